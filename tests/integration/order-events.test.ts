import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalOrder, canonicalOrderLoose, orderWorkflowId, type CanonicalOrder } from '../../domain/order.js';
import { stateQuery, type OrderEvent } from '../../workflows/order.messages.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

// Channel events as the webhooks and the pull sync deliver them: straight to the dispatcher.
let stack: TestStack;
let n = 0;

beforeAll(async () => {
  stack = await createTestStack({ ORDER_PAYMENT_TIMEOUT: '1h' });
});
afterAll(async () => {
  await stack?.close();
});

type EventBody = OrderEvent extends infer E ? (E extends unknown ? Omit<E, 'eventId'> : never) : never;

async function send(order: Pick<CanonicalOrder, 'platform' | 'shopId' | 'platformOrderId'>, event: EventBody): Promise<string> {
  const id = orderWorkflowId(order.platform, order.shopId, order.platformOrderId);
  await stack.dispatcher.dispatch(id, { ...event, eventId: `test-${++n}` });
  return id;
}

const state = (id: string) => stack.client.workflow.getHandle(id).query(stateQuery);
const statusOf = async (id: string) => (await state(id)).status;
const dbStatus = async (id: string) => (await stack.db.selectFrom('orders').select('status').where('id', '=', id).executeTakeFirst())?.status;

describe('order workflow applies channel events', () => {
  it('presale: deposit, then balance, then release', async () => {
    const order = canonicalOrder.parse(makeOrder({ presale: { depositFen: 5000, balanceFen: 23500, balanceDueAt: '2099-11-11T16:00:00Z' } }));
    const id = await send(order, { type: 'created', order });
    await eventually(() => statusOf(id), (s) => s === 'awaiting_payment', 20_000, 'awaiting_payment');
    await send(order, { type: 'deposit_paid', paidAt: '2026-10-24T12:00:00Z' });
    await eventually(() => statusOf(id), (s) => s === 'deposit_paid', 20_000, 'deposit_paid');
    expect((await state(id)).paymentDeadline).toBe('2099-11-11T16:00:00.000Z');
    await send(order, { type: 'balance_paid', paidAt: '2026-11-11T00:10:00Z' });
    await eventually(() => dbStatus(id), (s) => s === 'released', 20_000, 'released');
    const row = await stack.db.selectFrom('orders').select(['paid_at']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.paid_at?.toISOString()).toBe('2026-11-11T00:10:00.000Z');
  });

  it('presale: an unpaid balance at its deadline opens PAYMENT_FAILED for finance; the order waits, then is cancelled', async () => {
    const due = new Date(Date.now() + 1500).toISOString().replace(/\.\d+Z$/, 'Z');
    const order = canonicalOrder.parse(
      makeOrder({ presale: { depositFen: 5000, balanceFen: 23500, depositPaidAt: '2026-10-24T12:00:00Z', balanceDueAt: due } }),
    );
    const id = await send(order, { type: 'created', order });
    const open = await eventually(() => state(id), (s) => (s.exceptions ?? []).some((e) => e.type === 'PAYMENT_FAILED'), 20_000, 'PAYMENT_FAILED');
    expect(open.status).toBe('deposit_paid');
    const ex = open.exceptions!.find((e) => e.type === 'PAYMENT_FAILED')!;
    expect(ex.kind).toBe('balance_overdue');
    const row = await stack.db.selectFrom('exceptions').select(['owner_role', 'status']).where('id', '=', Number(ex.id)).executeTakeFirstOrThrow();
    expect(row).toEqual({ owner_role: 'finance', status: 'open' });
    const r = await stack.app.inject({ method: 'POST', url: `/v1/exceptions/${ex.id}/resolve`, payload: { action: 'cancel_order', resolvedBy: 'finance.qian', comment: 'balance never came' } });
    expect(r.statusCode, r.body).toBe(200);
    const result = await stack.client.workflow.getHandle(id).result();
    expect(result.status).toBe('cancelled');
    expect(await dbStatus(id)).toBe('cancelled');
  });

  it('holds an incomplete order and releases it once an address change completes it', async () => {
    const base = makeOrder({ paidAt: '2026-11-11T00:00:05Z' });
    // An order as a platform might send it: no phone, no street, an unknown SKU is fine to keep too.
    const order = canonicalOrderLoose.parse({ ...base, receiver: { ...base.receiver, phone: '', detail: '' } });
    const id = await send(order, { type: 'created', order });
    await eventually(() => statusOf(id), (s) => s === 'on_hold', 20_000, 'on_hold');
    const held = await state(id);
    expect(held.holdReason).toBe('incomplete');
    expect(held.issues?.map((i) => i.code)).toEqual(['receiver_phone_missing', 'address_detail_missing']);
    expect(await dbStatus(id)).toBe('on_hold');
    const desc = await stack.client.workflow.getHandle(id).describe();
    expect(desc.searchAttributes.ExceptionType).toEqual(['INCOMPLETE_INFO']);

    await send(order, { type: 'address_changed', receiver: { ...base.receiver, phone: '139****0002', detail: '文一西路**号' } as CanonicalOrder['receiver'] });
    await eventually(() => dbStatus(id), (s) => s === 'released', 20_000, 'released after the fix');
    const row = await stack.db.selectFrom('orders').select('order').where('id', '=', id).executeTakeFirstOrThrow();
    expect((row.order as CanonicalOrder).receiver.detail).toBe('文一西路**号');
    // The server's view of the search attributes may trail the workflow by a moment under load.
    const cleared = await eventually(async () => (await stack.client.workflow.getHandle(id).describe()).searchAttributes.ExceptionType ?? [], (v) => v.length === 0, 10_000, 'ExceptionType cleared');
    expect(cleared).toEqual([]);
  });

  it('holds an order with an unknown SKU', async () => {
    const base = makeOrder({ paidAt: '2026-11-11T00:00:05Z' });
    const order = canonicalOrder.parse({ ...base, lines: [{ ...base.lines[0]!, skuCode: 'NOT-A-SKU' }, base.lines[1]!] });
    const id = await send(order, { type: 'created', order });
    await eventually(() => statusOf(id), (s) => s === 'on_hold', 20_000, 'on_hold');
    expect((await state(id)).issues?.[0]).toMatchObject({ code: 'sku_unknown', field: 'lines[0].skuCode', severity: 'blocking' });
    await send(order, { type: 'cancelled', reason: 'seller cancelled' });
    expect((await stack.client.workflow.getHandle(id).result()).status).toBe('cancelled');
  });

  it('waits while a refund is in progress and goes on when it closes', async () => {
    const order = canonicalOrder.parse(makeOrder());
    const id = await send(order, { type: 'created', order });
    await send(order, { type: 'refund_requested', lineIds: [order.lines[0]!.lineId!], reason: 'wrong size' });
    await send(order, { type: 'paid' });
    await eventually(() => statusOf(id), (s) => s === 'on_hold', 20_000, 'on_hold for refund');
    expect((await state(id)).holdReason).toBe('refund in progress');
    await send(order, { type: 'refund_closed', lineIds: [order.lines[0]!.lineId!] });
    await eventually(() => dbStatus(id), (s) => s === 'released', 20_000, 'released after the refund closed');
  });

  it('reconciles snapshots: a pulled order that is paid on the platform is released, a later cancelled one is not reopened', async () => {
    const order = canonicalOrder.parse(makeOrder());
    const id = await send(order, { type: 'snapshot', order, platformState: 'awaiting_payment' });
    await eventually(() => statusOf(id), (s) => s === 'awaiting_payment', 20_000, 'awaiting_payment');
    await send(order, { type: 'snapshot', order: { ...order, paidAt: '2026-11-11T00:02:00Z' }, platformState: 'awaiting_shipment' });
    await eventually(() => dbStatus(id), (s) => s === 'released', 20_000, 'released');
    expect((await state(id)).paidAt).toBe('2026-11-11T00:02:00Z');

    const other = canonicalOrder.parse(makeOrder());
    const otherId = await send(other, { type: 'snapshot', order: other, platformState: 'cancelled' });
    expect((await stack.client.workflow.getHandle(otherId).result()).status).toBe('cancelled');
    expect((await state(otherId)).closedReason).toBe('cancelled on the platform');
  });

  it('applies memo changes and keeps them in the read model', async () => {
    const order = canonicalOrder.parse(makeOrder());
    const id = await send(order, { type: 'created', order });
    await eventually(() => statusOf(id), (s) => s === 'awaiting_payment', 20_000, 'awaiting_payment');
    await send(order, { type: 'memo_changed', sellerMemo: '送小样' });
    await send(order, { type: 'paid' });
    await eventually(() => dbStatus(id), (s) => s === 'released', 20_000, 'released');
    const row = await stack.db.selectFrom('orders').select('order').where('id', '=', id).executeTakeFirstOrThrow();
    expect((row.order as CanonicalOrder).sellerMemo).toBe('送小样');
  });
});
