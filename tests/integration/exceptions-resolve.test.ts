// Exceptions raised by real orders and resolved through POST /v1/exceptions/:id/resolve, on a real Temporal
// server and PostgreSQL: a shortage with a substitute in stock, an address missing its street, a cancellation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateQuery } from '../../workflows/order.messages.js';
import { get, orderStatusOf, post, seedBasics, seedSku, seedStock, submitOrder, teaOrder } from '../helpers/fulfilment.js';
import { createTestStack, eventually, maybeRecordHistory, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await seedBasics(stack, { hz: { 'FZ-MUG': 5 } });
  // Longjing tea is sold out; the gift box of the same tea may replace it and is in stock.
  await seedSku(stack, { code: 'FZ-TEA-GIFT', name: 'Longjing tea 250 g, gift box', weightG: 400, volumeCm3: 1500, valueFen: 13800 });
  await seedStock(stack, 'FZ-HZ', 'FZ-TEA-GIFT', 3);
  const r = await stack.app.inject({ method: 'PATCH', url: '/v1/skus/FZ-TEA', payload: { substitutes: ['FZ-TEA-GIFT'] } });
  expect(r.statusCode, r.body).toBe(200);
});
afterAll(async () => {
  await stack?.close();
});

type ExceptionView = {
  id: string;
  type: string;
  kind: string;
  status: string;
  ownerRole: string;
  dueAt: string;
  orderId: string | null;
  suggestions: Array<{ action: string; rank: number; costFen: number; params: Record<string, unknown> }>;
  events: Array<{ event: string }>;
};
const status = (id: string) => orderStatusOf(stack, id);
const exceptionsOf = async (orderId: string): Promise<ExceptionView[]> => {
  const list = (await get(stack, `/v1/exceptions?status=all&limit=500`)).body.items as ExceptionView[];
  return Promise.all(list.filter((e) => e.orderId === orderId).map(async (e) => (await get(stack, `/v1/exceptions/${e.id}`)).body as ExceptionView));
};
const resolve = (id: string, body: unknown) => post(stack, `/v1/exceptions/${id}/resolve`, body);

describe('exceptions of real orders, resolved through the API', () => {
  it('suggests the in-stock substitute for a shortage, and allocates the order with it once chosen', async () => {
    const id = await submitOrder(stack, teaOrder('buyer-x1', '文三路 9 号'));
    await eventually(() => status(id), (s) => s === 'short', 20_000, 'short');
    const [ex] = await eventually(() => exceptionsOf(id), (l) => l.length === 1, 20_000, 'an exception');
    expect(ex).toMatchObject({ type: 'OUT_OF_STOCK', kind: 'out_of_stock', status: 'open', ownerRole: 'ops' });
    expect(Date.parse(ex!.dueAt)).toBeGreaterThan(Date.now());
    const substitute = ex!.suggestions.find((s) => s.action === 'substitute_sku');
    expect(substitute?.params).toMatchObject({ skuCode: 'FZ-TEA-GIFT' });
    expect(ex!.suggestions.at(-1)?.action).toBe('cancel_order');

    // Refused and nothing changes: an action of another type.
    expect((await resolve(ex!.id, { action: 'choose_address', resolvedBy: 'li.ops' })).status).toBe(409);
    expect(await status(id)).toBe('short');

    const ok = await resolve(ex!.id, { action: 'substitute_sku', params: substitute!.params, resolvedBy: 'li.ops', comment: 'buyer agreed to the gift box' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ status: 'accepted', action: 'substitute_sku' });
    await eventually(() => status(id), (s) => s === 'released' || s === 'allocated', 20_000, 'allocated with the substitute');
    const state = await stack.client.workflow.getHandle(id).query(stateQuery);
    expect(state.fulfilment?.packages[0]).toBeDefined();
    const reserved = await stack.db.selectFrom('reservations').select(['sku_code', 'status']).where('order_id', '=', id).execute();
    expect(reserved).toEqual([{ sku_code: 'FZ-TEA-GIFT', status: 'reserved' }]);
    const [after] = await eventually(() => exceptionsOf(id), (l) => l[0]?.status === 'resolved', 10_000, 'resolved');
    expect(after!.events.map((e) => e.event)).toEqual(['opened', 'resolved']);
    expect((await resolve(ex!.id, { action: 'wait_for_stock', resolvedBy: 'wang' })).status).toBe(409);
    await maybeRecordHistory(stack.client, id, 'order-short-substituted');
  });

  it('holds an order without its street, suggests completing it, and goes on once edited', async () => {
    const order = { ...teaOrder('buyer-x2', ''), lines: [{ skuCode: 'FZ-MUG', quantity: 1, unitPriceFen: 3900, paidFen: 3900 }], amounts: { goodsFen: 3900, paidFen: 3900 } };
    const id = await submitOrder(stack, order);
    await eventually(() => status(id), (s) => s === 'on_hold', 20_000, 'held');
    const [ex] = await eventually(() => exceptionsOf(id), (l) => l.length === 1, 20_000, 'an exception');
    expect(ex).toMatchObject({ type: 'INCOMPLETE_INFO', ownerRole: 'customer_service' });
    expect(ex!.suggestions[0]).toMatchObject({ action: 'edit_order' });
    const ok = await resolve(ex!.id, { action: 'edit_order', params: { receiver: { detail: '文三路 478 号 5 楼' } }, resolvedBy: 'li.cs' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    await eventually(() => status(id), (s) => s === 'released' || s === 'allocated', 20_000, 'allocated after the edit');
    const row = (await get(stack, `/v1/orders/${encodeURIComponent(id)}`)).body as { order: { receiver: { detail: string } } };
    expect(row.order.receiver.detail).toBe('文三路 478 号 5 楼');
  });

  it('ships the line in stock now and back-orders the other (拆分发货): a parcel each, the second once its stock arrives', async () => {
    // Mugs are in stock at FZ-HZ; the tea is sold out until the back-order's stock arrives.
    const base = teaOrder('buyer-x4', '文三路 11 号');
    const order = {
      ...base,
      lines: [
        { lineId: `${base.platformOrderId}-1`, skuCode: 'FZ-MUG', quantity: 1, unitPriceFen: 3900, paidFen: 3900 },
        { lineId: `${base.platformOrderId}-2`, skuCode: 'FZ-TEA', quantity: 1, unitPriceFen: 12800, paidFen: 12800 },
      ],
      amounts: { goodsFen: 16700, paidFen: 16700 },
    };
    const id = await submitOrder(stack, order);
    await eventually(() => status(id), (s) => s === 'short', 20_000, 'short');
    const [ex] = await eventually(() => exceptionsOf(id), (l) => l.length === 1, 20_000, 'an exception');
    const split = ex!.suggestions.find((x) => x.action === 'ship_available');
    expect(split?.params).toMatchObject({ warehouseCode: 'FZ-HZ', lines: [{ lineRef: `${base.platformOrderId}-1`, quantity: 1 }], backorder: [{ lineRef: `${base.platformOrderId}-2` }] });
    const ok = await resolve(ex!.id, { action: 'ship_available', params: split!.params, resolvedBy: 'li.ops' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);

    // The first parcel holds the mug alone; only the mug is reserved.
    await eventually(() => status(id), (s) => s === 'released', 20_000, 'the available part released');
    const first = (await stack.client.workflow.getHandle(id).query(stateQuery)).fulfilment!;
    expect(first.packages).toHaveLength(1);
    expect(first.packages[0]!.lineRefs).toEqual([`${base.platformOrderId}-1`]);
    expect(first.backorder).toEqual([{ lineRef: `${base.platformOrderId}-2`, skuCode: 'FZ-TEA', quantity: 1 }]);
    const reserved = await stack.db.selectFrom('reservations').select(['sku_code', 'line_ref']).where('order_id', '=', id).where('status', '=', 'reserved').execute();
    expect(reserved).toEqual([{ sku_code: 'FZ-MUG', line_ref: `${base.platformOrderId}-1` }]);
    const ship = async (packageId: string, trackingNo: string) => {
      await eventually(async () => (await get(stack, `/v1/packages/${encodeURIComponent(packageId)}`)).body.status as string, (s) => s === 'released', 20_000, 'package released');
      const r = await post(stack, `/v1/packages/${encodeURIComponent(packageId)}/events`, { type: 'shipped', carrierCode: 'FZ-YTO', trackingNo });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
    };
    await ship(first.packages[0]!.packageId, 'YT7100000000001');
    await eventually(() => status(id), (s) => s === 'short', 20_000, 'short for the back-order');

    // The tea arrives: the back-order is planned, packed and shipped as the second parcel.
    await seedStock(stack, 'FZ-HZ', 'FZ-TEA', 1);
    const second = await eventually(async () => (await stack.client.workflow.getHandle(id).query(stateQuery)).fulfilment!, (f) => f.packages.length === 2, 30_000, 'the back-order packed');
    expect(second.packages[1]!.lineRefs).toEqual([`${base.platformOrderId}-2`]);
    await ship(second.packages[1]!.packageId, 'YT7100000000002');
    expect(await stack.client.workflow.getHandle(id).result()).toMatchObject({ status: 'shipped' });
    const [after] = await exceptionsOf(id);
    expect(after).toMatchObject({ status: 'resolved' });
    await maybeRecordHistory(stack.client, id, 'order-split-backorder-shipped');
  });

  it('opens PRICE_MISMATCH for finance beside the manual review, and approves the order when finance releases it', async () => {
    // The buyer paid 10 yuan less than the mug's price with no discount that explains it.
    const base = teaOrder('buyer-x5', '文三路 12 号');
    const order = { ...base, lines: [{ skuCode: 'FZ-MUG', quantity: 1, unitPriceFen: 3900, paidFen: 2900 }], amounts: { goodsFen: 3900, paidFen: 2900 } };
    const id = await submitOrder(stack, order);
    await eventually(() => status(id), (s) => s === 'pending_review', 20_000, 'pending review');
    const [ex] = await eventually(() => exceptionsOf(id), (l) => l.some((e) => e.type === 'PRICE_MISMATCH'), 20_000, 'a PRICE_MISMATCH exception');
    expect(ex).toMatchObject({ type: 'PRICE_MISMATCH', kind: 'price_mismatch', ownerRole: 'finance', status: 'open' });
    expect(ex!.suggestions[0]).toMatchObject({ action: 'release_hold' });
    const ok = await resolve(ex!.id, { action: 'release_hold', resolvedBy: 'finance.qian', comment: 'a price agreed with the buyer' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    await eventually(() => status(id), (s) => s === 'released' || s === 'allocated', 20_000, 'approved and allocated');
    const review = (await stack.client.workflow.getHandle(id).query(stateQuery)).review;
    expect(review?.decision).toMatchObject({ decision: 'approve', reviewer: 'finance.qian' });
    await maybeRecordHistory(stack.client, id, 'order-price-mismatch-released');
  });

  it('cancels an order on cancel_order, and lets an exception of a finished order be acknowledged only', async () => {
    const id = await submitOrder(stack, teaOrder('buyer-x3', '文三路 10 号'));
    await eventually(() => status(id), (s) => s === 'short', 20_000, 'short');
    const [ex] = await eventually(() => exceptionsOf(id), (l) => l.length === 1, 20_000, 'an exception');
    const ok = await resolve(ex!.id, { action: 'cancel_order', resolvedBy: 'li.ops', comment: 'buyer asked' });
    expect(ok.body).toMatchObject({ status: 'resolved' });
    await eventually(() => status(id), (s) => s === 'cancelled', 20_000, 'cancelled');
    expect((await resolve(ex!.id, { action: 'cancel_order', resolvedBy: 'li.ops' })).status).toBe(409);
  });
});
