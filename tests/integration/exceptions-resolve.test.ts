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
