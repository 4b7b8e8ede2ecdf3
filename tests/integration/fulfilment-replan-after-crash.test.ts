import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { reserveStock } from '../../db/reservations.repository.js';
import { canonicalOrder } from '../../domain/order.js';
import { seedBasics, teaOrder } from '../helpers/fulfilment.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';

// Planning and reserving are local activities: their results reach the workflow's history only with the end of
// the workflow task. When the worker dies, or Temporal restarts, after the reservation committed and before
// that, the task runs again and so do both activities (found by the chaos run, bench/chaos.ts). The second plan
// must see the order's own reservation as the order's, and a line is never held in two warehouses.
let stack: TestStack;
let acts: ReturnType<typeof createActivities>;

beforeAll(async () => {
  stack = await createTestStack({ DATABASE_POOL_SIZE: '10' });
  await seedBasics(stack, { hz: { 'FZ-MUG': 1, 'FZ-TEA': 5 }, bj: { 'FZ-TEA': 5 } });
  acts = createActivities({ db: stack.db, temporal: stack.client, config: stack.config, logger: stack.logger });
});
afterAll(async () => {
  await stack?.close();
});

const levels = async (sku: string) =>
  Object.fromEntries(
    (await stack.db.selectFrom('inventory').select(['warehouse_code', 'on_hand', 'reserved']).where('sku_code', '=', sku).execute()).map((r) => [r.warehouse_code, { onHand: r.on_hand, reserved: r.reserved }]),
  );
const rowsOf = (orderId: string) => stack.db.selectFrom('reservations').select(['line_ref', 'warehouse_code', 'quantity', 'status']).where('order_id', '=', orderId).orderBy('warehouse_code').execute();

describe('a plan and reservation run again after the workflow task was lost', () => {
  it('finds the order its own last unit instead of calling it short, and reserves nothing twice', async () => {
    const mug = (id: string) =>
      canonicalOrder.parse(
        makeOrder({
          platformOrderId: id,
          receiver: { name: '王**', phone: '138****0002', province: '浙江省', city: '杭州市', district: '西湖区', detail: '文一西路1号' },
          lines: [{ skuCode: 'FZ-MUG', quantity: 1, unitPriceFen: 3900, paidFen: 3900 }],
          amounts: { goodsFen: 3900, paidFen: 3900 },
          discounts: [],
        }),
      );
    const orderId = 'order:taobao:shop-test:crash-mug';
    const order = mug('crash-mug');
    const first = await acts.planFulfilment({ orderId, order, attempt: 1 });
    expect(first.status).toBe('planned');
    expect(await acts.reserveStock({ orderId, assignments: first.status === 'planned' ? first.assignments : [], transfers: [] })).toMatchObject({ ok: true, reserved: 1 });

    // The same workflow task again: the same attempt, planned and reserved once more.
    const again = await acts.planFulfilment({ orderId, order, attempt: 1 });
    expect(again.status).toBe('planned');
    if (again.status !== 'planned') return;
    expect(again.assignments).toEqual([expect.objectContaining({ lineRef: '1', warehouseCode: 'FZ-HZ', skuCode: 'FZ-MUG', quantity: 1 })]);
    expect(await acts.reserveStock({ orderId, assignments: again.assignments, transfers: [] })).toMatchObject({ ok: true, reserved: 0, alreadyReserved: 1 });
    expect(await rowsOf(orderId)).toEqual([{ line_ref: '1', warehouse_code: 'FZ-HZ', quantity: 1, status: 'reserved' }]);
    expect(await levels('FZ-MUG')).toEqual({ 'FZ-HZ': { onHand: 1, reserved: 1 } });

    // The unit is still not anybody else's.
    const other = await acts.planFulfilment({ orderId: 'order:taobao:shop-test:crash-mug-2', order: mug('crash-mug-2'), attempt: 1 });
    expect(other.status).toBe('short');
  });

  it('gives back what an earlier plan of the same line holds in another warehouse', async () => {
    const orderId = 'order:taobao:shop-test:crash-tea';
    const order = canonicalOrder.parse(teaOrder('crash-buyer', '文三路2号', { qty: 2 }));
    const plan = await acts.planFulfilment({ orderId, order, attempt: 1 });
    expect(plan.status).toBe('planned');
    if (plan.status !== 'planned') return;
    expect(plan.assignments.map((a) => a.warehouseCode)).toEqual(['FZ-HZ']);
    expect(await acts.reserveStock({ orderId, assignments: plan.assignments, transfers: [] })).toMatchObject({ ok: true, reserved: 1 });

    // The plan made again chose Beijing this time (stock moved meanwhile): the line is held there only.
    const moved = await reserveStock(stack.db, orderId, [{ lineRef: '1', warehouseCode: 'FZ-BJ', skuCode: 'FZ-TEA', quantity: 2 }]);
    expect(moved).toEqual({ ok: true, reserved: 1, alreadyReserved: 0 });
    expect(await rowsOf(orderId)).toEqual([
      { line_ref: '1', warehouse_code: 'FZ-BJ', quantity: 2, status: 'reserved' },
      { line_ref: '1', warehouse_code: 'FZ-HZ', quantity: 2, status: 'released' },
    ]);
    expect(await levels('FZ-TEA')).toEqual({ 'FZ-HZ': { onHand: 5, reserved: 0 }, 'FZ-BJ': { onHand: 5, reserved: 2 } });

    // A plan refused for want of stock changes nothing it held (all or nothing).
    const refused = await reserveStock(stack.db, orderId, [{ lineRef: '1', warehouseCode: 'FZ-HZ', skuCode: 'FZ-TEA', quantity: 6 }]);
    expect(refused.ok).toBe(false);
    expect(await levels('FZ-TEA')).toEqual({ 'FZ-HZ': { onHand: 5, reserved: 0 }, 'FZ-BJ': { onHand: 5, reserved: 2 } });

    // Back to Hangzhou: the row given back there is reserved again, for real (not taken for a retry).
    expect(await reserveStock(stack.db, orderId, [{ lineRef: '1', warehouseCode: 'FZ-HZ', skuCode: 'FZ-TEA', quantity: 2 }])).toEqual({ ok: true, reserved: 1, alreadyReserved: 0 });
    expect(await rowsOf(orderId)).toEqual([
      { line_ref: '1', warehouse_code: 'FZ-BJ', quantity: 2, status: 'released' },
      { line_ref: '1', warehouse_code: 'FZ-HZ', quantity: 2, status: 'reserved' },
    ]);
    expect(await levels('FZ-TEA')).toEqual({ 'FZ-HZ': { onHand: 5, reserved: 2 }, 'FZ-BJ': { onHand: 5, reserved: 0 } });
  });
});
