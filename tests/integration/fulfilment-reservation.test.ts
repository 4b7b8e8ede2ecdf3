import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { releaseReservations, reserveStock } from '../../db/reservations.repository.js';
import { canonicalOrder } from '../../domain/order.js';
import { get, seedBasics } from '../helpers/fulfilment.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ DATABASE_POOL_SIZE: '20' });
  await seedBasics(stack, { hz: { 'FZ-TEA': 10 } });
});
afterAll(async () => {
  await stack?.close();
});

async function level() {
  const r = await get(stack, '/v1/inventory/FZ-HZ/FZ-TEA');
  expect(r.status).toBe(200);
  return r.body as { onHand: number; reserved: number; available: number };
}

async function reservedRows() {
  return stack.db.selectFrom('reservations').selectAll().where('sku_code', '=', 'FZ-TEA').where('status', '=', 'reserved').execute();
}

describe('stock reservation in PostgreSQL', () => {
  it('lets exactly 10 of 200 concurrent orders plan and reserve the last 10 units', async () => {
    // The planning and reserving activities themselves, on the real database, as 200 order workflows would call them.
    const acts = createActivities({ db: stack.db, temporal: stack.client, config: stack.config, logger: stack.logger });
    const orders = Array.from({ length: 200 }, (_, i) =>
      canonicalOrder.parse(
        makeOrder({
          platformOrderId: `race${i}`,
          lines: [{ lineId: `race${i}-1`, skuCode: 'FZ-TEA', quantity: 1, unitPriceFen: 12800, paidFen: 12800 }],
          amounts: { goodsFen: 12800, paidFen: 12800 },
          discounts: [],
        }),
      ),
    );
    const outcomes = await Promise.all(
      orders.map(async (order, i) => {
        const orderId = `order:taobao:shop-test:race${i}`;
        // As the stage does: re-plan with fresh stock when another order got there first.
        for (let attempt = 1; attempt <= 3; attempt++) {
          const plan = await acts.planFulfilment({ orderId, order, attempt });
          if (plan.status !== 'planned') return plan.status;
          const r = await acts.reserveStock({ orderId, assignments: plan.assignments, transfers: plan.transfers });
          if (r.ok) return 'reserved';
        }
        return 'overtaken';
      }),
    );
    const reserved = outcomes.filter((o) => o === 'reserved').length;
    expect(reserved).toBe(10);
    expect(outcomes.filter((o) => o !== 'reserved').every((o) => o === 'short' || o === 'overtaken')).toBe(true);

    const rows = await reservedRows();
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((r) => r.order_id)).size).toBe(10);
    expect(rows.reduce((n, r) => n + r.quantity, 0)).toBe(10);
    expect(await level()).toMatchObject({ onHand: 10, reserved: 10, available: 0 });

    // Every short order's allocation decision names the warehouse that ran out.
    const shortOrder = outcomes.findIndex((o) => o === 'short');
    expect(shortOrder).toBeGreaterThanOrEqual(0);
    const decisions = await stack.db.selectFrom('decisions').selectAll().where('order_id', '=', `order:taobao:shop-test:race${shortOrder}`).execute();
    expect(decisions.at(-1)?.outcome).toMatch(/short/);
  });

  it('is idempotent per (order, line, warehouse) and never lets available go negative', async () => {
    const winner = (await reservedRows())[0]!;
    const again = await reserveStock(stack.db, winner.order_id, [{ lineRef: winner.line_ref, warehouseCode: 'FZ-HZ', skuCode: 'FZ-TEA', quantity: 1 }]);
    expect(again).toEqual({ ok: true, reserved: 0, alreadyReserved: 1 });

    const loser = await reserveStock(stack.db, 'order:x:y:late', [{ lineRef: '1', warehouseCode: 'FZ-HZ', skuCode: 'FZ-TEA', quantity: 1 }]);
    expect(loser).toMatchObject({ ok: false, short: [{ skuCode: 'FZ-TEA', available: 0 }] });
    // All or nothing: the failed order left no row behind.
    expect(await stack.db.selectFrom('reservations').select('id').where('order_id', '=', 'order:x:y:late').execute()).toHaveLength(0);

    // Even a direct write past the conditional update is stopped by the CHECK constraint.
    await expect(
      stack.db.updateTable('inventory').set({ reserved: 11 }).where('warehouse_code', '=', 'FZ-HZ').where('sku_code', '=', 'FZ-TEA').execute(),
    ).rejects.toThrow(/inventory_non_negative/);
    expect(await level()).toMatchObject({ reserved: 10, available: 0 });
  });

  it('releases on cancel (once) and consumes on shipment', async () => {
    const [first, second] = await reservedRows();
    expect(await releaseReservations(stack.db, first!.order_id)).toBe(1);
    expect(await releaseReservations(stack.db, first!.order_id)).toBe(0);
    expect(await level()).toMatchObject({ onHand: 10, reserved: 9, available: 1 });

    const acts = createActivities({ db: stack.db, temporal: stack.client, config: stack.config, logger: stack.logger });
    const { released } = await acts.releaseStock({ orderId: second!.order_id });
    expect(released).toBe(1);
    expect(await level()).toMatchObject({ onHand: 10, reserved: 8, available: 2 });

    // Taking stock below what is reserved is refused with 409; the audit trail keeps every accepted change.
    const tooMuch = await stack.app.inject({ method: 'POST', url: '/v1/inventory/FZ-HZ/FZ-TEA/adjustments', payload: { delta: -3, reason: 'damaged' } });
    expect(tooMuch.statusCode).toBe(409);
    const ok = await stack.app.inject({ method: 'POST', url: '/v1/inventory/FZ-HZ/FZ-TEA/adjustments', payload: { delta: -2, reason: 'damaged', reference: 'QC-7' } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ level: { onHand: 8, reserved: 8, available: 0 }, adjustment: { delta: -2, onHandAfter: 8, reason: 'damaged', reference: 'QC-7' } });
    const audit = await get(stack, '/v1/inventory/FZ-HZ/FZ-TEA/adjustments');
    expect(audit.body.items.map((a: { delta: number }) => a.delta)).toEqual([-2, 10]);
  });
});
