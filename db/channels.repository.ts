import { sql } from 'kysely';
import type { Platform } from '../domain/order.js';
import type { ExceptionRow, ExceptionStatus, PullCursorRow, WritebackCallKind, WritebackRow, WritebackStatus } from './channels.schema.js';
import type { Db } from './database.js';
import { resolveOpenExceptionsOfKind } from './exceptions.repository.js';

// Pull cursors ---------------------------------------------------------------------------------------

export async function findPullCursor(db: Db, shopId: string): Promise<PullCursorRow | undefined> {
  return db.selectFrom('pull_cursors').selectAll().where('shop_id', '=', shopId).executeTakeFirst();
}

/** The pull cursors of several shops, by shop id (shops that never pulled are absent). */
export async function findPullCursors(db: Db, shopIds: readonly string[]): Promise<Map<string, PullCursorRow>> {
  if (shopIds.length === 0) return new Map();
  const rows = await db.selectFrom('pull_cursors').selectAll().where('shop_id', 'in', shopIds).execute();
  return new Map(rows.map((r) => [r.shop_id, r]));
}

/** Moves the cursor forward only: a late or repeated run never rewinds it. Resets the failure count. */
export async function advancePullCursor(db: Db, shopId: string, cursorAt: Date, ordersSeen: number): Promise<Date> {
  const row = await db
    .insertInto('pull_cursors')
    .values({ shop_id: shopId, cursor_at: cursorAt, last_run_at: new Date(), last_success_at: new Date(), orders_seen: ordersSeen, updated_at: new Date() })
    .onConflict((oc) =>
      oc.column('shop_id').doUpdateSet((eb) => ({
        cursor_at: sql<Date>`greatest(pull_cursors.cursor_at, excluded.cursor_at)`,
        last_run_at: eb.ref('excluded.last_run_at'),
        last_success_at: eb.ref('excluded.last_success_at'),
        consecutive_failures: 0,
        last_error: null,
        orders_seen: sql<number>`pull_cursors.orders_seen + excluded.orders_seen`,
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning('cursor_at')
    .executeTakeFirstOrThrow();
  return row.cursor_at;
}

/** Counts a failed run; the cursor stays where it was (created at `initialCursor` for a shop never pulled). */
export async function recordPullFailure(db: Db, shopId: string, error: string, initialCursor: Date): Promise<number> {
  const row = await db
    .insertInto('pull_cursors')
    .values({ shop_id: shopId, cursor_at: initialCursor, last_run_at: new Date(), consecutive_failures: 1, last_error: error.slice(0, 2000), updated_at: new Date() })
    .onConflict((oc) =>
      oc.column('shop_id').doUpdateSet((eb) => ({
        last_run_at: eb.ref('excluded.last_run_at'),
        consecutive_failures: sql<number>`pull_cursors.consecutive_failures + 1`,
        last_error: eb.ref('excluded.last_error'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning('consecutive_failures')
    .executeTakeFirstOrThrow();
  return row.consecutive_failures;
}

// Write-backs ----------------------------------------------------------------------------------------

export interface WritebackKey {
  orderId: string;
  platform: Platform;
  shopId: string;
  platformOrderId: string;
  carrierCode: string;
  trackingNo: string;
  lineIds?: readonly string[] | undefined;
  packageId?: string | undefined;
}

/**
 * The write-back row for (order, tracking number), created pending when new: each package of an order has
 * its own row, so each tracking number is confirmed, retried or rejected on its own.
 */
export async function claimWriteback(db: Db, k: WritebackKey): Promise<WritebackRow> {
  await db
    .insertInto('channel_writebacks')
    .values({
      order_id: k.orderId,
      platform: k.platform,
      shop_id: k.shopId,
      platform_order_id: k.platformOrderId,
      carrier_code: k.carrierCode,
      tracking_no: k.trackingNo,
      line_ids: k.lineIds ? JSON.stringify(k.lineIds) : null,
      package_id: k.packageId ?? null,
      updated_at: new Date(),
    })
    .onConflict((oc) => oc.columns(['order_id', 'tracking_no']).doNothing())
    .execute();
  return db.selectFrom('channel_writebacks').selectAll().where('order_id', '=', k.orderId).where('tracking_no', '=', k.trackingNo).executeTakeFirstOrThrow();
}

export async function finishWriteback(
  db: Db,
  id: string,
  r: { status: Exclude<WritebackStatus, 'pending'>; response: string; error?: string; platformCarrierCode?: string; call?: WritebackCallKind },
): Promise<void> {
  await db
    .updateTable('channel_writebacks')
    .set((eb) => ({
      status: r.status,
      response: r.response.slice(0, 4000),
      last_error: r.error?.slice(0, 2000) ?? null,
      ...(r.platformCarrierCode !== undefined ? { platform_carrier_code: r.platformCarrierCode } : {}),
      ...(r.call !== undefined ? { call: r.call } : {}),
      attempts: eb('attempts', '+', 1),
      ...(r.status === 'sent' ? { sent_at: new Date() } : {}),
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .execute();
}

export async function failWritebackAttempt(db: Db, id: string, error: string): Promise<void> {
  await db
    .updateTable('channel_writebacks')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 2000), updated_at: new Date() }))
    .where('id', '=', id)
    .execute();
}

/** Every write-back row of an order, oldest first (the packages it has told, or tried to tell, its platform). */
export async function listOrderWritebacks(db: Db, orderId: string): Promise<WritebackRow[]> {
  return db.selectFrom('channel_writebacks').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
}

// Exceptions (alerts) -------------------------------------------------------------------------------

/**
 * Opens an exception unless one of the same kind is already open for the shop (and order); returns it with its
 * due time and SLA schedule. Lives with the exception center (exceptions.repository.ts); kept here for callers.
 */
export { openException } from './exceptions.repository.js';

/** Closes the open exceptions of a kind for a shop whose cause went away (acknowledged by `orderly`); returns how many. */
export async function resolveExceptions(db: Db, kind: string, shopId: string): Promise<number> {
  return resolveOpenExceptionsOfKind(db, kind, shopId, 'the cause went away');
}

export async function listExceptions(db: Db, f: { shopId?: string; kind?: string; status?: ExceptionStatus }): Promise<ExceptionRow[]> {
  let q = db.selectFrom('exceptions').selectAll();
  if (f.shopId) q = q.where('shop_id', '=', f.shopId);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.status) q = q.where('status', '=', f.status);
  return q.orderBy('id').execute();
}
