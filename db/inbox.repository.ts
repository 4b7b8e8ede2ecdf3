import { sql, type Transaction } from 'kysely';
import { openJson, openText, sealJson, type FieldCipher } from '../domain/buyer-data.js';
import type { Platform } from '../domain/order.js';
import type { Db } from './database.js';
import type { ChannelEventRow, Database } from './schema.js';

type DbOrTx = Db | Transaction<Database>;

export interface InboxEvent {
  platform: Platform;
  shopId: string;
  messageId: string;
  orderId: string | null;
  eventType: string;
  /** Where it came from: api, webhook, pull, relay... */
  source: string;
  /** The parsed event to dispatch, or null when the body could not be parsed (kept for a human). */
  payload: unknown;
  rawBody?: string | null;
  /**
   * The writer delivers the row itself right after its commit: the row is claimed for this long, so that no
   * relay delivers it at the same time. Without it, a relay takes the row at once.
   */
  claimMs?: number;
}

export interface RecordedEvent {
  id: string;
  /** False when the same (platform, shop, message id) was already in the inbox. */
  inserted: boolean;
  dispatchedAt: Date | null;
  dispatchOutcome: string | null;
  /** The writer holds the claim (always, for a new row with `claimMs`; for a redelivery, when free). */
  claimed: boolean;
}

const secondsFromNow = (ms: number) => sql<Date>`now() + make_interval(secs => ${ms / 1000})`;

// A pushed body and the event parsed from it hold the buyer's receiver: both are stored sealed, each bound to
// its column. The inbox's other columns (ids, type, times, outcome) are what the relay and metrics query.
export const PAYLOAD_FIELD = 'channel_events.payload';
export const RAW_BODY_FIELD = 'channel_events.raw_body';

/** The payload column's value: the event sealed as one JSON string (jsonb holds the string). */
export function sealInboxPayload(cipher: FieldCipher, payload: unknown): string {
  return JSON.stringify(sealJson(cipher, PAYLOAD_FIELD, payload));
}

/** The event a stored payload holds (as stored, for a row written before the inbox was sealed). */
export function openInboxPayload(cipher: FieldCipher, stored: unknown): unknown {
  return openJson(cipher, PAYLOAD_FIELD, stored);
}

const inboxRow = (cipher: FieldCipher, e: InboxEvent) => ({
  platform: e.platform,
  shop_id: e.shopId,
  message_id: e.messageId,
  order_id: e.orderId,
  event_type: e.eventType,
  source: e.source,
  payload: e.payload === null || e.payload === undefined ? null : sealInboxPayload(cipher, e.payload),
  raw_body: e.rawBody === null || e.rawBody === undefined ? null : cipher.seal(RAW_BODY_FIELD, e.rawBody),
  claimed_until: e.claimMs ? secondsFromNow(e.claimMs) : null,
});

/** Writes an event to the inbox exactly once per (platform, shop, message id), its payload and body sealed. */
export async function recordInboxEvent(db: DbOrTx, cipher: FieldCipher, e: InboxEvent): Promise<RecordedEvent> {
  const row = await db
    .insertInto('channel_events')
    .values(inboxRow(cipher, e))
    .onConflict((oc) => oc.columns(['platform', 'shop_id', 'message_id']).doNothing())
    .returning(['id', 'dispatched_at', 'dispatch_outcome'])
    .executeTakeFirst();
  if (row) return { id: row.id, inserted: true, dispatchedAt: row.dispatched_at, dispatchOutcome: row.dispatch_outcome, claimed: Boolean(e.claimMs) };
  const existing = await db
    .selectFrom('channel_events')
    .select(['id', 'dispatched_at', 'dispatch_outcome'])
    .where('platform', '=', e.platform)
    .where('shop_id', '=', e.shopId)
    .where('message_id', '=', e.messageId)
    .executeTakeFirstOrThrow();
  const claimed = Boolean(e.claimMs) && !existing.dispatched_at && (await claimRow(db, existing.id, e.claimMs!));
  return { id: existing.id, inserted: false, dispatchedAt: existing.dispatched_at, dispatchOutcome: existing.dispatch_outcome, claimed };
}

/**
 * Writes several events in one statement (all or none), each once per (platform, shop, message id); returns
 * how many were new. No explicit transaction: one round trip to the database.
 */
export async function recordInboxEvents(db: DbOrTx, cipher: FieldCipher, events: InboxEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await db
    .insertInto('channel_events')
    .values(events.map((e) => inboxRow(cipher, e)))
    .onConflict((oc) => oc.columns(['platform', 'shop_id', 'message_id']).doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

/** Claims one undispatched row unless somebody else holds it. */
async function claimRow(db: DbOrTx, id: string, ms: number): Promise<boolean> {
  const r = await db
    .updateTable('channel_events')
    .set({ claimed_until: secondsFromNow(ms) })
    .where('id', '=', id)
    .where('dispatched_at', 'is', null)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', sql<Date>`now()`)]))
    .returning('id')
    .executeTakeFirst();
  return r !== undefined;
}

export async function markDispatched(db: DbOrTx, id: string, outcome: string): Promise<void> {
  await db
    .updateTable('channel_events')
    .set((eb) => ({ dispatched_at: sql<Date>`now()`, dispatch_outcome: outcome, dispatch_attempts: eb('dispatch_attempts', '+', 1), last_error: null, claimed_until: null }))
    .where('id', '=', id)
    .execute();
}

/** Replaces a pending row's payload with the event its platform detail gave, so the platform is read once. */
export async function storeResolvedPayload(db: DbOrTx, cipher: FieldCipher, id: string, event: unknown): Promise<void> {
  await db.updateTable('channel_events').set({ payload: sealInboxPayload(cipher, event) }).where('id', '=', id).execute();
}

/** Records a failed delivery and gives the row up: to any relay at once, or after `retryAfterMs`. */
export async function markDispatchFailed(db: DbOrTx, id: string, error: string, retryAfterMs = 0): Promise<void> {
  await db
    .updateTable('channel_events')
    .set((eb) => ({ dispatch_attempts: eb('dispatch_attempts', '+', 1), last_error: error.slice(0, 2000), claimed_until: retryAfterMs > 0 ? secondsFromNow(retryAfterMs) : null }))
    .where('id', '=', id)
    .execute();
}

/** An inbox row claimed for delivery; its payload as stored (sealed: `openInboxPayload`). */
export type ClaimedRow = Pick<ChannelEventRow, 'id' | 'platform' | 'shop_id' | 'message_id' | 'order_id' | 'payload' | 'dispatch_attempts'>;

/**
 * Claims up to `limit` undispatched rows for `leaseMs`, skipping rows somebody holds (SKIP LOCKED for
 * concurrent relays, an unexpired claim for deliveries in progress) and rows whose order has an earlier
 * undispatched row still held, so one order's events reach its workflow in order.
 *
 * Shops take turns: the claim takes each shop's oldest row, then each shop's second oldest, and so on (oldest
 * first within a turn), so one shop's flood in the inbox does not queue another shop's orders behind it.
 */
export async function claimUndispatched(db: DbOrTx, limit: number, leaseMs: number): Promise<ClaimedRow[]> {
  const r = await sql<ClaimedRow>`
    with ready as (
      select e.id, e.received_at, row_number() over (partition by e.shop_id order by e.received_at, e.id) as turn
      from channel_events e
      where e.dispatched_at is null and e.payload is not null and e.order_id is not null
        and (e.claimed_until is null or e.claimed_until < now())
        and not exists (
          select 1 from channel_events p
          where p.order_id = e.order_id and p.dispatched_at is null and p.id < e.id and p.claimed_until >= now())),
    chosen as (select id from ready order by turn, received_at, id limit ${limit})
    update channel_events c set claimed_until = ${secondsFromNow(leaseMs)}
    where c.id in (
      select e.id from channel_events e
      where e.id in (select id from chosen)
        and e.dispatched_at is null and (e.claimed_until is null or e.claimed_until < now())
      for update skip locked)
    returning c.id, c.platform, c.shop_id, c.message_id, c.order_id, c.payload, c.dispatch_attempts`.execute(db);
  // RETURNING has no order: the shops' turns again (ids grow with time), which is the order they are delivered in.
  const byId = r.rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const turns = new Map<string, number>();
  const ranked = byId.map((row, i) => {
    const turn = turns.get(row.shop_id) ?? 0;
    turns.set(row.shop_id, turn + 1);
    return { row, turn, i };
  });
  return ranked.sort((a, b) => a.turn - b.turn || a.i - b.i).map((x) => x.row);
}

/** Gives claimed rows back without counting an attempt (their delivery never started). */
export async function releaseClaims(db: DbOrTx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('channel_events').set({ claimed_until: null }).where('id', 'in', ids).where('dispatched_at', 'is', null).execute();
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

/**
 * Sends a notification on `channel` without waiting for durability (a lost one is harmless to its
 * listeners, which also poll). Sent on its own, after the rows' commit: PostgreSQL serialises the commits
 * of transactions that notify.
 */
export async function notifyFast(db: Db, channel: string): Promise<void> {
  await sql`select set_config('synchronous_commit', 'off', true), pg_notify(${channel}, '')`.execute(db);
}

/** Whether the inbox holds any event of the order (a pulled order is then a re-read, not a creation). */
export async function hasInboxEvents(db: Db, orderId: string): Promise<boolean> {
  const row = await db.selectFrom('channel_events').select('id').where('order_id', '=', orderId).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Which of `messageIds` the inbox already holds for the shop (one query, on the inbox's unique key). */
export async function knownMessageIds(db: Db, platform: Platform, shopId: string, messageIds: readonly string[]): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('channel_events')
    .select('message_id')
    .where('platform', '=', platform)
    .where('shop_id', '=', shopId)
    .where('message_id', 'in', [...messageIds])
    .execute();
  return new Set(rows.map((r) => r.message_id));
}

// Reading the inbox (admins) ------------------------------------------------------------------------------

export interface InboxQuery {
  shopId?: string | undefined;
  orderId?: string | undefined;
  eventType?: string | undefined;
  /** Only events not (yet) delivered. */
  undelivered?: boolean | undefined;
  /** Rows with an id below this one (the previous page's last). */
  before?: string | undefined;
  limit: number;
}

/** What the inbox knows of an event, without its payload or body. */
export type InboxEventSummary = Omit<ChannelEventRow, 'payload' | 'raw_body'> & { has_payload: boolean; has_raw_body: boolean };

/** Inbox events newest first, keyset paged by id; payloads and bodies are not read. */
export async function listInboxEvents(db: Db, q: InboxQuery): Promise<InboxEventSummary[]> {
  let query = db
    .selectFrom('channel_events')
    .select(['id', 'platform', 'shop_id', 'message_id', 'order_id', 'event_type', 'source', 'received_at', 'dispatched_at', 'dispatch_outcome', 'dispatch_attempts', 'last_error', 'claimed_until'])
    .select([sql<boolean>`payload is not null`.as('has_payload'), sql<boolean>`raw_body is not null`.as('has_raw_body')]);
  if (q.shopId) query = query.where('shop_id', '=', q.shopId);
  if (q.orderId) query = query.where('order_id', '=', q.orderId);
  if (q.eventType) query = query.where('event_type', '=', q.eventType);
  if (q.undelivered) query = query.where('dispatched_at', 'is', null);
  if (q.before) query = query.where('id', '<', q.before);
  return query.orderBy('id', 'desc').limit(q.limit).execute();
}

/** One inbox event with its payload and raw body opened: for a person allowed to read buyer data. */
export async function getInboxEvent(db: Db, cipher: FieldCipher, id: string): Promise<ChannelEventRow | undefined> {
  const row = await db.selectFrom('channel_events').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return { ...row, payload: openInboxPayload(cipher, row.payload), raw_body: openText(cipher, RAW_BODY_FIELD, row.raw_body) };
}
