import type { ChannelEvent } from '../channels/index.js';
import type { Logger } from '../config/logger.js';
import type { Db } from '../db/database.js';
import { markDispatched, markDispatchFailed, openInboxPayload, recordInboxEvent, storeResolvedPayload } from '../db/inbox.repository.js';
import { insertReceivedOrder } from '../db/orders.repository.js';
import type { FieldCipher } from '../domain/buyer-data.js';
import type { CanonicalOrder, Platform } from '../domain/order.js';
import type { OrderEvent, OrderProcessingOptions } from '../domain/order-events.js';
import type { Dispatcher, DispatchOutcome } from './dispatcher.js';

export interface IngestDeps {
  db: Db;
  dispatcher: Dispatcher;
  logger: Logger;
  /** Seals the buyer data the inbox and the read model store (config/field-cipher.ts). */
  cipher: FieldCipher;
}

export interface IngestInput {
  platform: Platform;
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

/** How long a caller delivering its own row holds it against the relay (one dispatch attempt takes at most 5 s). */
const INLINE_CLAIM_MS = 30_000;

/**
 * Durably records an event (and a new order) in one transaction, then hands it to its workflow at once.
 * If Temporal cannot be reached the event stays in the inbox, undispatched, for the relay: nothing is lost.
 */
export async function ingestEvent(deps: IngestDeps, input: IngestInput): Promise<IngestResult> {
  const { db, dispatcher } = deps;
  const eventId = inboxEventId(input.platform, input.shopId, input.messageId);
  const event = { ...input.event, eventId };
  const rec = await db.transaction().execute(async (tx) => {
    const r = await recordInboxEvent(tx, deps.cipher, {
      platform: input.platform,
      shopId: input.shopId,
      messageId: input.messageId,
      orderId: input.orderId,
      eventType: input.event.type,
      source: input.source,
      payload: event,
      rawBody: input.rawBody ?? null,
      claimMs: INLINE_CLAIM_MS,
    });
    if (input.order && r.inserted) await insertReceivedOrder(tx, deps.cipher, input.order);
    return r;
  });
  const base = { orderId: input.orderId, eventId, duplicate: !rec.inserted };
  if (rec.dispatchedAt) return { ...base, queued: false, outcome: (rec.dispatchOutcome as DispatchOutcome | null) ?? 'signalled' };
  // A redelivery of a message somebody else is delivering right now: theirs will do.
  if (!rec.claimed) return { ...base, queued: true, outcome: 'pending' };

  const log = deps.logger.child({ orderId: input.orderId, workflowId: input.orderId, eventId });
  try {
    const outcome = await dispatchAndMark(dispatcher, db, rec.id, input.orderId, event);
    if (outcome === 'order_closed') log.warn('event arrived after the order workflow finished; kept in the inbox');
    return { ...base, queued: false, outcome };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await markDispatchFailed(db, rec.id, message);
    log.warn({ err: message }, 'Temporal unreachable: event kept in the inbox for the relay');
    return { ...base, queued: true, outcome: 'pending' };
  }
}

/**
 * An inbox payload that still needs the platform's order detail before it can be applied: pushes that carry
 * ids only are stored like this so the platform gets its acknowledgement without waiting for a detail call.
 */
export interface PendingDetailPayload {
  pending: 'detail';
  /** The parsed push message. */
  channelEvent: ChannelEvent;
  options: OrderProcessingOptions;
}

function isPendingDetail(payload: unknown): payload is PendingDetailPayload {
  return typeof payload === 'object' && payload !== null && (payload as { pending?: unknown }).pending === 'detail';
}

/** Where an inbox row is, for delivery. */
export interface InboxRowRef {
  id: string;
  platform: Platform;
  shop_id: string;
  message_id: string;
  order_id: string | null;
  /** As stored: sealed (opened here, for delivery). */
  payload: unknown;
}

/** The platform could not give the order detail a pending row needs (not a Temporal failure). */
export class DetailReadError extends Error {
  override name = 'DetailReadError';
}

/** Turns a pending payload into the event to apply (reading the platform), plus a new order to record. */
export type InboxResolver = (row: InboxRowRef & { payload: PendingDetailPayload }) => Promise<{ event: OrderEvent; order?: CanonicalOrder }>;

export interface DeliverDeps {
  dispatcher: Dispatcher;
  resolve?: InboxResolver | undefined;
  /** Opens stored payloads, seals resolved ones and new orders. */
  cipher: FieldCipher;
}

/**
 * Delivers one stored inbox row to its workflow: resolves a pending payload first (and stores the result, so
 * the platform is read once), then dispatches and marks the row.
 */
export async function deliverInboxRow(deps: DeliverDeps & { db: Db }, stored: InboxRowRef): Promise<DispatchOutcome | 'unresolved'> {
  const orderId = stored.order_id;
  if (!orderId) return 'unresolved';
  const row = { ...stored, order_id: orderId, payload: openInboxPayload(deps.cipher, stored.payload) };
  let event: OrderEvent;
  if (isPendingDetail(row.payload)) {
    if (!deps.resolve) return 'unresolved';
    const r = await deps.resolve({ ...row, payload: row.payload }).catch((e: unknown) => {
      throw new DetailReadError(e instanceof Error ? e.message : String(e), { cause: e });
    });
    event = r.event;
    await storeResolvedPayload(deps.db, deps.cipher, row.id, event);
    if (r.order) await insertReceivedOrder(deps.db, deps.cipher, r.order);
  } else {
    event = row.payload as OrderEvent;
  }
  return dispatchAndMark(deps.dispatcher, deps.db, row.id, row.order_id, event);
}

/** Hands an event to its workflow and marks its inbox row with the outcome. */
async function dispatchAndMark(dispatcher: Dispatcher, db: Db, rowId: string, orderId: string, event: OrderEvent): Promise<DispatchOutcome> {
  const outcome = await dispatcher.dispatch(orderId, event);
  await markDispatched(db, rowId, outcome);
  return outcome;
}
