import { sql } from 'kysely';
import { serveInOrder, type QueuedOrder } from '../domain/fulfilment/stock-queue.js';
import type { Db } from './database.js';
import type { StockWaitRow, StockWaitsTables } from './stock-waits.schema.js';

// The queue of orders short of stock, per SKU (and warehouse, where only one warehouse helps): served by
// priority, then paid time, then waiting time.

function waitsDb(db: Db) {
  return db.withTables<StockWaitsTables>();
}

export interface StockWaitNeed {
  skuCode: string;
  warehouseCode: string | null;
  /** Units of the SKU the order needs in all. */
  quantity: number;
  /** Units missing at the last plan. */
  short: number;
}

/**
 * Puts a short order in the queue of each SKU it is short of, or refreshes its place: the SKUs it no longer
 * waits for are dropped, the others keep when they started waiting (their place) and lose any claim in
 * flight (the order has just re-planned). Idempotent.
 */
export async function recordStockWaits(db: Db, orderId: string, w: { priority: number; paidAt: string | null; needs: readonly StockWaitNeed[] }): Promise<void> {
  const needs = new Map<string, StockWaitNeed>();
  for (const n of w.needs) {
    const prev = needs.get(n.skuCode);
    needs.set(n.skuCode, prev ? { ...prev, quantity: prev.quantity + n.quantity, short: prev.short + n.short } : { ...n });
  }
  await waitsDb(db)
    .transaction()
    .execute(async (tx) => {
      let del = tx.deleteFrom('stock_waits').where('order_id', '=', orderId);
      if (needs.size) del = del.where('sku_code', 'not in', [...needs.keys()]);
      await del.execute();
      for (const n of [...needs.values()].sort((a, b) => a.skuCode.localeCompare(b.skuCode))) {
        if (n.quantity <= 0 || n.short <= 0) continue;
        const row = {
          warehouse_code: n.warehouseCode,
          quantity: n.quantity,
          short: n.short,
          priority: w.priority,
          paid_at: w.paidAt,
          updated_at: sql<Date>`now()`,
          woken_at: null,
        };
        await tx
          .insertInto('stock_waits')
          .values({ order_id: orderId, sku_code: n.skuCode, ...row })
          .onConflict((oc) => oc.columns(['order_id', 'sku_code']).doUpdateSet(row))
          .execute();
      }
    });
}

/** Takes the order out of every queue (it holds its stock now, or it was cancelled). Returns the rows removed. */
export async function clearStockWaits(db: Db, orderId: string): Promise<number> {
  const r = await waitsDb(db).deleteFrom('stock_waits').where('order_id', '=', orderId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The queue of one SKU, in the order it is served. */
export async function listStockWaits(db: Db, skuCode: string): Promise<StockWaitRow[]> {
  return waitsDb(db)
    .selectFrom('stock_waits')
    .selectAll()
    .where('sku_code', '=', skuCode)
    .orderBy('priority', 'desc')
    .orderBy(sql`paid_at asc nulls last`)
    .orderBy('created_at', 'asc')
    .orderBy('order_id', 'asc')
    .execute();
}

/**
 * After stock of `skuCode` rose (in `warehouseCode`): picks, in queue order, the waiting orders the available
 * stock can fully serve (`serveInOrder`) and marks their wait for this SKU claimed, so a second increase soon
 * after neither tells them twice nor promises their share to the next order. A claim older than `claimMs`
 * (the order was told but never re-planned) no longer counts. One SKU's queue is served by one caller at a
 * time (a transaction-scoped advisory lock). Returns the order ids to tell, in order.
 */
export async function claimWaitingOrders(db: Db, s: { skuCode: string; warehouseCode: string }, claimMs: number): Promise<string[]> {
  return waitsDb(db)
    .transaction()
    .execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`stock_waits:${s.skuCode}`}))`.execute(tx);
      const queue = await tx
        .selectFrom('stock_waits')
        .select(['order_id', 'woken_at'])
        .select(sql<boolean>`woken_at is not null and woken_at > now() - make_interval(secs => ${claimMs / 1000})`.as('claimed'))
        .where('sku_code', '=', s.skuCode)
        .where((eb) => eb.or([eb('warehouse_code', 'is', null), eb('warehouse_code', '=', s.warehouseCode)]))
        .orderBy('priority', 'desc')
        .orderBy(sql`paid_at asc nulls last`)
        .orderBy('created_at', 'asc')
        .orderBy('order_id', 'asc')
        .execute();
      if (queue.length === 0) return [];
      const orderIds = queue.map((q) => q.order_id);
      const needs = await tx.selectFrom('stock_waits').select(['order_id', 'sku_code', 'warehouse_code', 'quantity']).where('order_id', 'in', orderIds).execute();
      const skuCodes = [...new Set(needs.map((n) => n.sku_code))];
      const stock = await tx.selectFrom('inventory').select(['sku_code', 'warehouse_code', 'on_hand', 'reserved']).where('sku_code', 'in', skuCodes).execute();
      const ordered: QueuedOrder[] = queue.map((q) => ({
        orderId: q.order_id,
        claimed: q.claimed,
        needs: needs.filter((n) => n.order_id === q.order_id).map((n) => ({ skuCode: n.sku_code, warehouseCode: n.warehouse_code, quantity: n.quantity })),
      }));
      const picked = serveInOrder(
        ordered,
        stock.map((r) => ({ skuCode: r.sku_code, warehouseCode: r.warehouse_code, available: r.on_hand - r.reserved })),
      );
      if (picked.length) {
        await tx.updateTable('stock_waits').set({ woken_at: sql<Date>`now()` }).where('sku_code', '=', s.skuCode).where('order_id', 'in', picked).execute();
      }
      return picked;
    });
}

/** Drops the claims of orders that could not be told (Temporal did not answer): the next increase tries again. */
export async function unclaimStockWaits(db: Db, skuCode: string, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  await waitsDb(db).updateTable('stock_waits').set({ woken_at: null }).where('sku_code', '=', skuCode).where('order_id', 'in', [...orderIds]).execute();
}
