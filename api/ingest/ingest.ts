import type { Logger } from '../../config/logger.js';
import type { Db } from '../../db/database.js';
import { markDispatched, markDispatchFailed, recordInboxEvent } from '../../db/inbox.repository.js';
import { insertReceivedOrder } from '../../db/orders.repository.js';
import type { CanonicalOrder } from '../../domain/order.js';
import type { OrderEvent } from '../../workflows/messages.js';
import type { Dispatcher, DispatchOutcome } from './dispatcher.js';

export interface IngestDeps {
  db: Db;
  dispatcher: Dispatcher;
  logger: Logger;
}

export interface IngestInput {
  platform: string;
  shopId: string;
  messageId: string;
  orderId: string;
  source: string;
  /** The event without its id: the id is derived from the inbox key so a re-dispatch carries the same one. */
  event: DistributiveOmit<OrderEvent, 'eventId'>;
  /** A new order to record in the read model at once (status `received`). */
  order?: CanonicalOrder;
  rawBody?: string;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface IngestResult {
  orderId: string;
  eventId: string;
  /** The same message was already in the inbox. */
  duplicate: boolean;
  /** Written to the inbox but not yet delivered to Temporal; the relay will deliver it. */
  queued: boolean;
  outcome: DispatchOutcome | 'pending';
}

/** The event id a workflow sees: stable for one inbox message, whoever dispatches it. */
export function inboxEventId(platform: string, shopId: string, messageId: string): string {
  return `${platform}:${shopId}:${messageId}`;
}

/**
 * Durably records an event (and a new order) in one transaction, then hands it to its workflow at once.
 * If Temporal cannot be reached the event stays in the inbox, undispatched, for the relay: nothing is lost.
 */
export async function ingestEvent(deps: IngestDeps, input: IngestInput): Promise<IngestResult> {
  const { db, dispatcher } = deps;
  const eventId = inboxEventId(input.platform, input.shopId, input.messageId);
  const event = { ...input.event, eventId };
  const rec = await db.transaction().execute(async (tx) => {
    const r = await recordInboxEvent(tx, {
      platform: input.platform,
      shopId: input.shopId,
      messageId: input.messageId,
      orderId: input.orderId,
      eventType: input.event.type,
      source: input.source,
      payload: event,
      rawBody: input.rawBody ?? null,
    });
    if (input.order && r.inserted) await insertReceivedOrder(tx, input.order);
    return r;
  });
  const base = { orderId: input.orderId, eventId, duplicate: !rec.inserted };
  if (rec.dispatchedAt) return { ...base, queued: false, outcome: (rec.dispatchOutcome as DispatchOutcome | null) ?? 'signalled' };

  const log = deps.logger.child({ orderId: input.orderId, workflowId: input.orderId, eventId });
  try {
    const outcome = await dispatcher.dispatch(input.orderId, event);
    await markDispatched(db, rec.id, outcome);
    if (outcome === 'order_closed') log.warn('event arrived after the order workflow finished; kept in the inbox');
    return { ...base, queued: false, outcome };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await markDispatchFailed(db, rec.id, message);
    log.warn({ err: message }, 'Temporal unreachable: event kept in the inbox for the relay');
    return { ...base, queued: true, outcome: 'pending' };
  }
}
