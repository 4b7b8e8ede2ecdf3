import { sql } from 'kysely';
import type { Db } from './database.js';

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
 * Reserves an order's stock, all or nothing. Idempotent per (order, line, warehouse): a line already reserved
 * (a retried activity) is skipped. Each reservation is a conditional update that only succeeds while
 * `on_hand - reserved` covers it, so concurrent orders can never promise the same unit twice; the table's
 * CHECK constraint stands behind it. Rows are locked in a fixed order so two orders never deadlock.
 */
export async function reserveStock(db: Db, orderId: string, requests: readonly ReservationRequest[]): Promise<ReserveResult> {
  const sorted = [...requests]
    .filter((r) => r.quantity > 0)
    .sort((a, b) => a.warehouseCode.localeCompare(b.warehouseCode) || a.skuCode.localeCompare(b.skuCode) || a.lineRef.localeCompare(b.lineRef));
  try {
    return await db.transaction().execute(async (tx) => {
      let reserved = 0;
      let already = 0;
      for (const r of sorted) {
        const row = await tx
          .insertInto('reservations')
          .values({ order_id: orderId, line_ref: r.lineRef, warehouse_code: r.warehouseCode, sku_code: r.skuCode, quantity: r.quantity, updated_at: sql<Date>`now()` })
          .onConflict((oc) => oc.columns(['order_id', 'line_ref', 'warehouse_code']).doNothing())
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
    for (const r of sortRows(rows)) {
      await tx
        .updateTable('inventory')
        .set({ reserved: sql<number>`reserved - ${r.quantity}`, updated_at: sql<Date>`now()` })
        .where('warehouse_code', '=', r.warehouse_code)
        .where('sku_code', '=', r.sku_code)
        .execute();
    }
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

function sortRows<T extends { warehouse_code: string; sku_code: string }>(rows: T[]): T[] {
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

/** Cancels the order's transfers that have not started. */
export async function cancelTransfers(db: Db, orderId: string): Promise<void> {
  await db.updateTable('transfers').set({ status: 'cancelled', updated_at: new Date() }).where('order_id', '=', orderId).where('status', '=', 'requested').execute();
}
