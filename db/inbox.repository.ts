import { sql, type Transaction } from 'kysely';
import type { Db } from './database.js';
import type { ChannelEventRow, Database } from './schema.js';

type DbOrTx = Db | Transaction<Database>;

export interface InboxEvent {
  platform: string;
  shopId: string;
  messageId: string;
  orderId: string | null;
  eventType: string;
  /** Where it came from: api, webhook, pull, relay... */
  source: string;
  /** The parsed event to dispatch, or null when the body could not be parsed (kept for a human). */
  payload: unknown;
  rawBody?: string | null;
}

export interface RecordedEvent {
  id: string;
  /** False when the same (platform, shop, message id) was already in the inbox. */
  inserted: boolean;
  dispatchedAt: Date | null;
  dispatchOutcome: string | null;
}

/** Writes an event to the inbox exactly once per (platform, shop, message id). */
export async function recordInboxEvent(db: DbOrTx, e: InboxEvent): Promise<RecordedEvent> {
  const row = await db
    .insertInto('channel_events')
    .values({
      platform: e.platform,
      shop_id: e.shopId,
      message_id: e.messageId,
      order_id: e.orderId,
      event_type: e.eventType,
      source: e.source,
      payload: e.payload === null || e.payload === undefined ? null : JSON.stringify(e.payload),
      raw_body: e.rawBody ?? null,
    })
    .onConflict((oc) => oc.columns(['platform', 'shop_id', 'message_id']).doNothing())
    .returning(['id', 'dispatched_at', 'dispatch_outcome'])
    .executeTakeFirst();
  if (row) return { id: row.id, inserted: true, dispatchedAt: row.dispatched_at, dispatchOutcome: row.dispatch_outcome };
  const existing = await db
    .selectFrom('channel_events')
    .select(['id', 'dispatched_at', 'dispatch_outcome'])
    .where('platform', '=', e.platform)
    .where('shop_id', '=', e.shopId)
    .where('message_id', '=', e.messageId)
    .executeTakeFirstOrThrow();
  return { id: existing.id, inserted: false, dispatchedAt: existing.dispatched_at, dispatchOutcome: existing.dispatch_outcome };
}

export async function markDispatched(db: DbOrTx, id: string, outcome: string): Promise<void> {
  await db
    .updateTable('channel_events')
    .set((eb) => ({ dispatched_at: sql<Date>`now()`, dispatch_outcome: outcome, dispatch_attempts: eb('dispatch_attempts', '+', 1), last_error: null }))
    .where('id', '=', id)
    .execute();
}

export async function markDispatchFailed(db: DbOrTx, id: string, error: string): Promise<void> {
  await db
    .updateTable('channel_events')
    .set((eb) => ({ dispatch_attempts: eb('dispatch_attempts', '+', 1), last_error: error.slice(0, 2000) }))
    .where('id', '=', id)
    .execute();
}

/**
 * Events that never reached their workflow and are older than `minAgeMs` (younger ones still belong to
 * the request that wrote them). Locked with SKIP LOCKED so several relays share the work.
 */
export async function lockUndispatched(tx: Transaction<Database>, minAgeMs: number, limit: number): Promise<ChannelEventRow[]> {
  return tx
    .selectFrom('channel_events')
    .selectAll()
    .where('dispatched_at', 'is', null)
    .where('payload', 'is not', null)
    .where('order_id', 'is not', null)
    .where('received_at', '<', sql<Date>`now() - make_interval(secs => ${minAgeMs / 1000})`)
    .orderBy('received_at')
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function countUndispatched(db: DbOrTx): Promise<number> {
  const r = await db
    .selectFrom('channel_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('dispatched_at', 'is', null)
    .where('payload', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
