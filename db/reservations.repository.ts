import { sql, type Transaction } from 'kysely';
import type { Db } from './database.js';
import type { Database } from './schema.js';

export interface ReservationRequest {
  lineRef: string;
  warehouseCode: string;
  skuCode: string;
  quantity: number;
}

export type ReserveResult =
  | { ok: true; reserved: number; alreadyReserved: number }
  | { ok: false; short: { lineRef: string; warehouseCode: string; skuCode: string; quantity: number; available: number }[] };

class ReservationShort extends Error {
  constructor(readonly short: Extract<ReserveResult, { ok: false }>['short']) {
    super('not enough stock');
  }
}

/**
 * What the order holds reserved (not yet shipped) of these lines, per warehouse and SKU. A plan of the order
 * counts it as available to the order: it is the order's own, from an earlier plan of the same lines.
 */
export async function heldByOrder(db: Db, orderId: string, lineRefs: readonly string[]): Promise<Array<{ warehouseCode: string; skuCode: string; quantity: number }>> {
  if (lineRefs.length === 0) return [];
  const rows = await db
    .selectFrom('reservations')
    .select(['warehouse_code', 'sku_code'])
    .select((eb) => eb.fn.sum<number>('quantity').as('quantity'))
    .where('order_id', '=', orderId)
    .where('status', '=', 'reserved')
    .where('line_ref', 'in', [...lineRefs])
    .groupBy(['warehouse_code', 'sku_code'])
    .execute();
  return rows.map((r) => ({ warehouseCode: r.warehouse_code, skuCode: r.sku_code, quantity: Number(r.quantity) }));
}

/** Takes given-back reservations off their stock rows' `reserved`, the rows locked in the fixed order. */
async function unreserve(tx: Transaction<Database>, rows: ReadonlyArray<{ warehouse_code: string; sku_code: string; quantity: number }>): Promise<void> {
  for (const r of sortRows(rows)) {
    await tx
      .updateTable('inventory')
      .set({ reserved: sql<number>`reserved - ${r.quantity}`, updated_at: sql<Date>`now()` })
      .where('warehouse_code', '=', r.warehouse_code)
      .where('sku_code', '=', r.sku_code)
      .execute();
  }
}

/**
 * Reserves an order's stock, all or nothing. Idempotent per (order, line, warehouse): a line already reserved
 * (a retried activity) is skipped. Each reservation is a conditional update that only succeeds while
 * `on_hand - reserved` covers it, so concurrent orders can never promise the same unit twice; the table's
 * CHECK constraint stands behind it. Rows are locked in a fixed order so two orders never deadlock.
 *
 * The requests are the order's whole plan for their lines: what the order still holds of those lines at a
 * warehouse the plan no longer names (an earlier plan of the same lines, whose outcome the workflow never
 * recorded: its worker died, or Temporal restarted, between the reservation and the end of the workflow task)
 * is given back in the same transaction, so one line is never held in two warehouses.
 */
export async function reserveStock(db: Db, orderId: string, requests: readonly ReservationRequest[]): Promise<ReserveResult> {
  const sorted = [...requests]
    .filter((r) => r.quantity > 0)
    .sort((a, b) => a.warehouseCode.localeCompare(b.warehouseCode) || a.skuCode.localeCompare(b.skuCode) || a.lineRef.localeCompare(b.lineRef));
  try {
    return await db.transaction().execute(async (tx) => {
      let reserved = 0;
      let already = 0;
      const lineRefs = [...new Set(sorted.map((r) => r.lineRef))];
      if (lineRefs.length) {
        const wanted = new Set(sorted.map((r) => `${r.lineRef}\u0000${r.warehouseCode}`));
        const held = await tx
          .selectFrom('reservations')
          .select(['id', 'line_ref', 'warehouse_code', 'sku_code', 'quantity'])
          .where('order_id', '=', orderId)
          .where('status', '=', 'reserved')
          .where('line_ref', 'in', lineRefs)
          .execute();
        const superseded = held.filter((h) => !wanted.has(`${h.line_ref}\u0000${h.warehouse_code}`));
        if (superseded.length) {
          await tx
            .updateTable('reservations')
            .set({ status: 'released', updated_at: sql<Date>`now()` })
            .where('id', 'in', superseded.map((h) => h.id))
            .execute();
          await unreserve(tx, superseded);
        }
      }
      for (const r of sorted) {
        const row = await tx
          .insertInto('reservations')
          .values({ order_id: orderId, line_ref: r.lineRef, warehouse_code: r.warehouseCode, sku_code: r.skuCode, quantity: r.quantity, updated_at: sql<Date>`now()` })
          // A row the order gave back (a superseded plan, a release) is taken again; a held or shipped one stays.
          .onConflict((oc) =>
            oc
              .columns(['order_id', 'line_ref', 'warehouse_code'])
              .doUpdateSet((eb) => ({ status: 'reserved', sku_code: eb.ref('excluded.sku_code'), quantity: eb.ref('excluded.quantity'), updated_at: sql<Date>`now()` }))
              .where('reservations.status', '=', 'released'),
          )
          .returning('id')
          .executeTakeFirst();
        if (!row) {
          already++;
          continue;
        }
        const updated = await tx
          .updateTable('inventory')
          .set({ reserved: sql<number>`reserved + ${r.quantity}`, updated_at: sql<Date>`now()` })
          .where('warehouse_code', '=', r.warehouseCode)
          .where('sku_code', '=', r.skuCode)
          .where(sql<boolean>`on_hand - reserved >= ${r.quantity}`)
          .returning('reserved')
          .executeTakeFirst();
        if (!updated) {
          const level = await tx
            .selectFrom('inventory')
            .select(['on_hand', 'reserved'])
            .where('warehouse_code', '=', r.warehouseCode)
            .where('sku_code', '=', r.skuCode)
            .executeTakeFirst();
          throw new ReservationShort([{ ...r, available: level ? level.on_hand - level.reserved : 0 }]);
        }
        reserved++;
      }
      return { ok: true as const, reserved, alreadyReserved: already };
    });
  } catch (e) {
    if (e instanceof ReservationShort) return { ok: false, short: e.short };
    throw e;
  }
}

export interface ReleaseFilter {
  warehouseCode?: string;
  lineRefs?: readonly string[];
  /** Parcels (a warehouse's lines) to leave reserved. */
  exclude?: readonly { warehouseCode: string; lineRefs: readonly string[] }[];
}

/** Gives back every unit an order still holds (cancellation, re-planning). Idempotent: released rows stay released. */
export async function releaseReservations(db: Db, orderId: string, filter?: ReleaseFilter): Promise<number> {
  return (await releaseReservationRows(db, orderId, filter)).length;
}

/** As `releaseReservations`, returning what was given back (whose waiting orders may now be served). */
export async function releaseReservationRows(
  db: Db,
  orderId: string,
  filter?: ReleaseFilter,
): Promise<Array<{ warehouse_code: string; sku_code: string; quantity: number }>> {
  return db.transaction().execute(async (tx) => {
    let q = tx
      .updateTable('reservations')
      .set({ status: 'released', updated_at: sql<Date>`now()` })
      .where('order_id', '=', orderId)
      .where('status', '=', 'reserved');
    if (filter?.warehouseCode) q = q.where('warehouse_code', '=', filter.warehouseCode);
    if (filter?.lineRefs) q = q.where('line_ref', 'in', filter.lineRefs.length ? [...filter.lineRefs] : ['\u0000']);
    const exclude = filter?.exclude ?? [];
    if (exclude.length) {
      q = q.where((eb) =>
        eb.not(eb.or(exclude.map((x) => eb.and([eb('warehouse_code', '=', x.warehouseCode), eb('line_ref', 'in', x.lineRefs.length ? [...x.lineRefs] : ['\u0000'])])))),
      );
    }
    const rows = await q.returning(['warehouse_code', 'sku_code', 'quantity']).execute();
    await unreserve(tx, rows);
    return rows;
  });
}

/**
 * Turns reservations into shipped stock: on hand and reserved both go down. Only the rows of the shipped
 * package (its warehouse and lines); idempotent, consumed rows stay consumed.
 */
export async function consumeReservations(db: Db, orderId: string, warehouseCode: string, lineRefs: readonly string[]): Promise<number> {
  if (lineRefs.length === 0) return 0;
  return db.transaction().execute(async (tx) => {
    const rows = await tx
      .updateTable('reservations')
      .set({ status: 'consumed', updated_at: sql<Date>`now()` })
      .where('order_id', '=', orderId)
      .where('warehouse_code', '=', warehouseCode)
      .where('line_ref', 'in', [...lineRefs])
      .where('status', '=', 'reserved')
      .returning(['warehouse_code', 'sku_code', 'quantity'])
      .execute();
    for (const r of sortRows(rows)) {
      await tx
        .updateTable('inventory')
        .set({ on_hand: sql<number>`on_hand - ${r.quantity}`, reserved: sql<number>`reserved - ${r.quantity}`, updated_at: sql<Date>`now()` })
        .where('warehouse_code', '=', r.warehouse_code)
        .where('sku_code', '=', r.sku_code)
        .execute();
    }
    return rows.length;
  });
}

function sortRows<T extends { warehouse_code: string; sku_code: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => a.warehouse_code.localeCompare(b.warehouse_code) || a.sku_code.localeCompare(b.sku_code));
}


/** A stock move between warehouses an order's plan relies on. */
export interface TransferRequest {
  lineRef: string;
  skuCode: string;
  fromWarehouseCode: string;
  toWarehouseCode: string;
  quantity: number;
}

/** Records the order's requested transfers; a retry records nothing twice. */
export async function recordTransfers(db: Db, orderId: string, transfers: readonly TransferRequest[]): Promise<void> {
  if (transfers.length === 0) return;
  await db
    .insertInto('transfers')
    .values(
      transfers.map((t) => ({
        order_id: orderId,
        line_ref: t.lineRef,
        sku_code: t.skuCode,
        from_warehouse_code: t.fromWarehouseCode,
        to_warehouse_code: t.toWarehouseCode,
        quantity: t.quantity,
        updated_at: new Date(),
      })),
    )
    .onConflict((oc) => oc.columns(['order_id', 'line_ref', 'from_warehouse_code']).doNothing())
    .execute();
}

/** Cancels the order's transfers that have not started; returns the ids of those it cancelled. */
export async function cancelTransfers(db: Db, orderId: string): Promise<number[]> {
  const rows = await db
    .updateTable('transfers')
    .set({ status: 'cancelled', updated_at: new Date() })
    .where('order_id', '=', orderId)
    .where('status', '=', 'requested')
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** One transfer by id, or undefined. */
export async function findTransfer(db: Db, id: number) {
  return db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The order's transfers still under way or done (not cancelled), oldest first. */
export async function listOrderTransfers(db: Db, orderId: string) {
  return db.selectFrom('transfers').selectAll().where('order_id', '=', orderId).where('status', '!=', 'cancelled').orderBy('id').execute();
}

/** Marks a transfer shipped (again: a later report updates the expected arrival). False once received or cancelled. */
export async function markTransferShipped(db: Db, id: number, s: { trackingNo?: string | undefined; expectedArrival: string; shippedAt: string }): Promise<boolean> {
  const row = await db
    .updateTable('transfers')
    .set({ status: 'shipped', tracking_no: s.trackingNo ?? null, expected_arrival: s.expectedArrival, shipped_at: s.shippedAt, updated_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', ['requested', 'shipped'])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export interface ReceiveResult {
  /** False when the transfer had been received before (a retry) or cancelled: nothing moved this time. */
  applied: boolean;
  /** Units now reserved at the target for the order (0 when the order no longer held the source's units). */
  reservedForOrder: number;
}

/**
 * Receives a transfer into its target's stock, once: the source's on hand goes down by the quantity (its
 * reservation for the order is consumed), the target's on hand goes up, and, while the order still holds
 * the source's units, the same units are reserved for it at the target so no other order takes them. One
 * transaction, rows locked in warehouse order.
 */
export async function receiveTransfer(db: Db, id: number, at: string): Promise<ReceiveResult> {
  return db.transaction().execute(async (tx) => {
    const t = await tx
      .updateTable('transfers')
      .set({ status: 'received', received_at: at, received_quantity: sql<number>`quantity`, updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('status', 'in', ['requested', 'shipped'])
      .returningAll()
      .executeTakeFirst();
    if (!t) return { applied: false, reservedForOrder: 0 };
    const held = await tx
      .updateTable('reservations')
      .set({ status: 'consumed', updated_at: sql<Date>`now()` })
      .where('order_id', '=', t.order_id)
      .where('line_ref', '=', t.line_ref)
      .where('warehouse_code', '=', t.from_warehouse_code)
      .where('status', '=', 'reserved')
      .returning('quantity')
      .executeTakeFirst();
    await tx
      .insertInto('inventory')
      .values({ warehouse_code: t.to_warehouse_code, sku_code: t.sku_code, on_hand: 0, reserved: 0, updated_at: sql<Date>`now()` })
      .onConflict((oc) => oc.columns(['warehouse_code', 'sku_code']).doNothing())
      .execute();
    const moves = [
      { wh: t.from_warehouse_code, onHand: -t.quantity, reserved: held ? -held.quantity : 0 },
      { wh: t.to_warehouse_code, onHand: t.quantity, reserved: held ? t.quantity : 0 },
    ].sort((a, b) => a.wh.localeCompare(b.wh));
    for (const m of moves) {
      await tx
        .updateTable('inventory')
        .set({ on_hand: sql<number>`on_hand + ${m.onHand}`, reserved: sql<number>`reserved + ${m.reserved}`, updated_at: sql<Date>`now()` })
        .where('warehouse_code', '=', m.wh)
        .where('sku_code', '=', t.sku_code)
        .execute();
    }
    if (!held) return { applied: true, reservedForOrder: 0 };
    // The line's own units at the target (if any) are reserved under the same key: the transfer adds to them.
    await tx
      .insertInto('reservations')
      .values({ order_id: t.order_id, line_ref: t.line_ref, warehouse_code: t.to_warehouse_code, sku_code: t.sku_code, quantity: t.quantity, updated_at: sql<Date>`now()` })
      .onConflict((oc) =>
        oc.columns(['order_id', 'line_ref', 'warehouse_code']).doUpdateSet({
          quantity: sql<number>`case when reservations.status = 'reserved' then reservations.quantity + excluded.quantity else excluded.quantity end`,
          status: 'reserved',
          updated_at: sql<Date>`now()`,
        }),
      )
      .execute();
    return { applied: true, reservedForOrder: t.quantity };
  });
}
