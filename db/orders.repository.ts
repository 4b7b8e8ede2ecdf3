import { sql, type Transaction } from 'kysely';
import { maskedAddress, maskReceiver, openJson, sealJson, type FieldCipher } from '../domain/buyer-data.js';
import type { CanonicalOrder, Receiver } from '../domain/order.js';
import { orderWorkflowId, type Platform } from '../domain/order.js';
import type { OrderStatus } from '../domain/order-status.js';
import type { Db } from './database.js';
import type { Database, OrderEventRow, OrderRow } from './schema.js';

type DbOrTx = Db | Transaction<Database>;

export interface OrderSnapshot {
  orderId: string;
  status: OrderStatus;
  version: number;
  order: CanonicalOrder;
  workflowRunId?: string;
  paidAt?: string | null;
  releasedAt?: string | null;
  closedAt?: string | null;
}

/** Where an order's sealed receiver lives: bound into its ciphertext, so it opens nowhere else. */
export const RECEIVER_FIELD = 'orders.receiver_enc';

/**
 * The receiver as the read model keeps it: sealed whole, masked (and the region plain) where lists and
 * search read it. No column holds the name, phone or street in plain text.
 */
export function receiverColumns(r: Receiver, cipher: FieldCipher) {
  const masked = maskReceiver(r);
  return {
    receiver_province: r.province,
    receiver_city: r.city,
    receiver_district: r.district,
    receiver_name_masked: masked.name,
    receiver_phone_masked: masked.phone,
    receiver_address_masked: maskedAddress(r),
    receiver_enc: sealJson(cipher, RECEIVER_FIELD, r),
  };
}

function orderColumns(o: CanonicalOrder, cipher: FieldCipher) {
  return {
    platform: o.platform,
    shop_id: o.shopId,
    platform_order_id: o.platformOrderId,
    buyer_key: o.buyerKey,
    goods_fen: o.amounts.goodsFen,
    paid_fen: o.amounts.paidFen,
    ...receiverColumns(o.receiver, cipher),
    // Everything lists, rules dry runs and reports read, with the receiver masked.
    order: JSON.stringify({ ...o, receiver: maskReceiver(o.receiver) }),
    platform_created_at: o.createdAt,
  };
}

/**
 * The stored order with its receiver as received, for a caller allowed to see it: opened from
 * `receiver_enc`. A row not yet migrated is returned as it is stored.
 */
export function orderWithReceiver(row: Pick<OrderRow, 'order' | 'receiver_enc'>, cipher: FieldCipher): Record<string, unknown> {
  const doc = row.order as Record<string, unknown>;
  return row.receiver_enc === null ? doc : { ...doc, receiver: openJson(cipher, RECEIVER_FIELD, row.receiver_enc) };
}

async function replaceLines(db: DbOrTx, orderId: string, o: CanonicalOrder): Promise<void> {
  await db.deleteFrom('order_lines').where('order_id', '=', orderId).execute();
  await db
    .insertInto('order_lines')
    .values(
      o.lines.map((l, i) => ({
        order_id: orderId,
        line_no: i + 1,
        line_id: l.lineId ?? null,
        sku_code: l.skuCode,
        title: l.title ?? null,
        quantity: l.quantity,
        unit_price_fen: l.unitPriceFen,
        discount_fen: l.discountFen,
        paid_fen: l.paidFen,
      })),
    )
    .execute();
}

/**
 * Records an order the moment it is accepted, before any workflow has seen it (status `received`).
 * Does nothing when the order is already known.
 */
export async function insertReceivedOrder(db: DbOrTx, cipher: FieldCipher, o: CanonicalOrder): Promise<boolean> {
  const id = orderWorkflowId(o.platform, o.shopId, o.platformOrderId);
  const inserted = await db
    .insertInto('orders')
    .values({ id, status: 'received', version: 0, ...orderColumns(o, cipher) })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) await replaceLines(db, id, o);
  return inserted !== undefined;
}

/**
 * Writes the workflow's view of an order. Versioned: a write older than the stored one (a retried or
 * reordered activity) changes nothing, so the read model never goes backwards.
 */
export async function upsertOrderSnapshot(db: Db, cipher: FieldCipher, s: OrderSnapshot): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const times = {
      paid_at: s.paidAt ?? null,
      released_at: s.releasedAt ?? null,
      closed_at: s.closedAt ?? null,
    };
    const row = await tx
      .insertInto('orders')
      .values({ id: s.orderId, status: s.status, version: s.version, workflow_run_id: s.workflowRunId ?? null, ...orderColumns(s.order, cipher), ...times })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({
            status: eb.ref('excluded.status'),
            version: eb.ref('excluded.version'),
            workflow_run_id: eb.ref('excluded.workflow_run_id'),
            buyer_key: eb.ref('excluded.buyer_key'),
            goods_fen: eb.ref('excluded.goods_fen'),
            paid_fen: eb.ref('excluded.paid_fen'),
            receiver_province: eb.ref('excluded.receiver_province'),
            receiver_city: eb.ref('excluded.receiver_city'),
            receiver_district: eb.ref('excluded.receiver_district'),
            receiver_name_masked: eb.ref('excluded.receiver_name_masked'),
            receiver_phone_masked: eb.ref('excluded.receiver_phone_masked'),
            receiver_address_masked: eb.ref('excluded.receiver_address_masked'),
            receiver_enc: eb.ref('excluded.receiver_enc'),
            order: eb.ref('excluded.order'),
            paid_at: eb.ref('excluded.paid_at'),
            released_at: eb.ref('excluded.released_at'),
            closed_at: eb.ref('excluded.closed_at'),
            updated_at: sql<Date>`now()`,
          }))
          .where('orders.version', '<', s.version),
      )
      .returning('id')
      .executeTakeFirst();
    if (row) await replaceLines(tx, s.orderId, s.order);
    return row !== undefined;
  });
}

export interface TimelineEvent {
  seq: number;
  type: string;
  at: string;
  detail?: Record<string, unknown> | undefined;
}

/** Appends timeline entries; an entry already written (same order and seq) is left as it is. */
export async function appendOrderEvents(db: Db, orderId: string, events: readonly TimelineEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('order_events')
    .values(events.map((e) => ({ order_id: orderId, seq: e.seq, event_type: e.type, detail: JSON.stringify(e.detail ?? {}), occurred_at: e.at })))
    .onConflict((oc) => oc.columns(['order_id', 'seq']).doNothing())
    .execute();
}

export async function findOrder(db: Db, id: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function orderExists(db: DbOrTx, id: string): Promise<boolean> {
  const row = await db.selectFrom('orders').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

export async function listOrderEvents(db: Db, id: string): Promise<OrderEventRow[]> {
  return db.selectFrom('order_events').selectAll().where('order_id', '=', id).orderBy('seq').execute();
}

export interface OrderFilter {
  status?: OrderStatus | undefined;
  shopId?: string | undefined;
  /** Only these shops (an API key limited to them); absent: every shop. */
  shopIds?: readonly string[] | undefined;
  platform?: Platform | undefined;
  limit: number;
  offset: number;
}

export async function listOrders(db: Db, f: OrderFilter): Promise<{ total: number; rows: OrderRow[] }> {
  let q = db.selectFrom('orders');
  if (f.status) q = q.where('status', '=', f.status);
  if (f.shopId) q = q.where('shop_id', '=', f.shopId);
  if (f.shopIds) q = f.shopIds.length ? q.where('shop_id', 'in', [...f.shopIds]) : q.where(sql<boolean>`false`);
  if (f.platform) q = q.where('platform', '=', f.platform);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(f.limit).offset(f.offset).execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { total: Number(count.n), rows };
}
