// A plan that relies on a transfer (Hangzhou ships the order, its tea comes from Beijing, which does not ship
// to Hangzhou itself), carried out by the workflow `transfer:<id>` on real PostgreSQL and Temporal: the source's
// units stay reserved until received, then move into the target's stock reserved for the order, and the order
// joins its package. Warehouses report through the REST API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveStock } from '../../db/reservations.repository.js';
import { stateQuery, type FulfilmentState } from '../../workflows/order.messages.js';
import { transferStateQuery, transferWorkflowId } from '../../workflows/transfer.messages.js';
import { get, seedBasics, submitOrder } from '../helpers/fulfilment.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, eventually, maybeRecordHistory, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '1h' });
  await seedBasics(stack, { hz: { 'FZ-MUG': 5 }, bj: { 'FZ-TEA': 1 } });
  // Beijing ships only within Beijing: for a Hangzhou buyer its tea can only travel by transfer.
  const bj = await stack.app.inject({ method: 'PATCH', url: '/v1/warehouses/FZ-BJ', payload: { regionsServed: ['110000'] } });
  expect(bj.statusCode, bj.body).toBe(200);
  const strategy = await stack.app.inject({
    method: 'PUT',
    url: '/v1/settings/allocation-strategy',
    payload: { filters: ['inactive', 'region-not-served'], rankBy: ['distance'], steps: ['single-warehouse', 'fewest-packages', 'transfer'], loadThreshold: 0.9, distanceBandKm: 50 },
  });
  expect(strategy.statusCode, strategy.body).toBe(200);
});
afterAll(async () => {
  await stack?.close();
});

const level = async (wh: string, sku: string) => {
  const r = await get(stack, `/v1/inventory/${wh}/${sku}`);
  return r.status === 200 ? (r.body as { onHand: number; reserved: number; available: number }) : undefined;
};
/** The order's fulfilment, as its state query shows it (empty before the order reaches fulfilment). */
const fulfilment = async (id: string): Promise<FulfilmentState> =>
  (await stack.client.workflow.getHandle(id).query(stateQuery)).fulfilment ?? { attempts: 0, decisions: [], packages: [] };
const event = (id: number, payload: Record<string, unknown>) => stack.app.inject({ method: 'POST', url: `/v1/transfers/${id}/events`, payload });

describe('an order fed by a transfer', () => {
  it('reserves at the source, receives into the target reserved for the order, then joins its package', async () => {
    const order = makeOrder({
      platformOrderId: 'transfer-1',
      buyerKey: 'buyer-t1',
      paidAt: '2026-11-11T00:00:05Z',
      receiver: { name: '王**', phone: '138****0002', province: '浙江省', city: '杭州市', district: '西湖区', detail: '文三路 9 号' },
      lines: [
        { skuCode: 'FZ-MUG', quantity: 1, unitPriceFen: 3900, paidFen: 3900 },
        { skuCode: 'FZ-TEA', quantity: 1, unitPriceFen: 12800, paidFen: 12800 },
      ],
      amounts: { goodsFen: 16700, paidFen: 16700 },
      discounts: [],
    });
    const orderId = await submitOrder(stack, order);
    const waiting = await eventually(() => fulfilment(orderId), (f) => f.outcome === 'awaiting_transfer', 30_000, 'the order awaiting its transfer');
    expect(waiting.transfers).toHaveLength(1);
    const t = waiting.transfers![0]!;
    expect(t).toMatchObject({ skuCode: 'FZ-TEA', quantity: 1, fromWarehouseCode: 'FZ-BJ', toWarehouseCode: 'FZ-HZ', status: 'requested' });
    expect(waiting.packages).toEqual([]);
    // The source's unit is promised to the order: nobody else can take it meanwhile.
    expect(await level('FZ-BJ', 'FZ-TEA')).toMatchObject({ onHand: 1, reserved: 1, available: 0 });
    expect(await reserveStock(stack.db, 'order:x:y:thief', [{ lineRef: '1', warehouseCode: 'FZ-BJ', skuCode: 'FZ-TEA', quantity: 1 }])).toMatchObject({ ok: false });
    const transfer = stack.client.workflow.getHandle(transferWorkflowId(t.transferId));
    expect((await transfer.query(transferStateQuery)).status).toBe('requested');
    // Its summary in the Temporal UI: what moves where, for which order.
    expect(await (await transfer.describe()).staticSummary()).toBe(`transfer ${t.transferId} · 1 × FZ-TEA · FZ-BJ → FZ-HZ · for ${orderId}`);

    // REST: unknown transfer, a body with fields it does not know, a receipt of the wrong quantity.
    expect((await get(stack, '/v1/transfers/987654')).status).toBe(404);
    expect((await event(987654, { type: 'received', quantity: 1 })).statusCode).toBe(404);
    expect((await event(t.transferId, { type: 'shipped', expectedArrival: '2026-12-03T10:00:00Z', carrier: 'SF' })).statusCode).toBe(400);
    expect((await event(t.transferId, { type: 'shipped', expectedArrival: '2026-12-03 10:00' })).statusCode).toBe(400);
    expect((await event(t.transferId, { type: 'received', quantity: 2 })).statusCode).toBe(409);
    expect((await get(stack, `/v1/transfers/${t.transferId}`)).body).toMatchObject({ status: 'requested', orderId, workflowId: transferWorkflowId(t.transferId) });

    const expectedArrival = '2026-12-03T10:00:00.000Z';
    const shipped = await event(t.transferId, { type: 'shipped', trackingNo: 'SF-123456', expectedArrival: '2026-12-03T10:00:00Z' });
    expect(shipped.statusCode, shipped.body).toBe(202);
    const onTheRoad = await eventually(() => fulfilment(orderId), (f) => f.transfers?.[0]?.status === 'shipped', 20_000, 'the order told the transfer shipped');
    expect(onTheRoad.transfers![0]).toMatchObject({ expectedArrival: '2026-12-03T10:00:00Z', trackingNo: 'SF-123456' });
    expect((await get(stack, `/v1/transfers/${t.transferId}`)).body).toMatchObject({ status: 'shipped', trackingNo: 'SF-123456', expectedArrival });
    const logged = await stack.db.selectFrom('decisions').select(['step_key', 'outcome']).where('order_id', '=', orderId).where('step_key', 'like', 'transfer:%').orderBy('id').execute();
    expect(logged.map((d) => d.step_key)).toEqual([`transfer:${t.transferId}`, `transfer:${t.transferId}:shipped:2026-12-03T10:00:00Z`]);
    expect(logged[1]!.outcome).toMatch(/expected at FZ-HZ by 2026-12-03T10:00:00Z/);
    // Still at the source until received.
    expect(await level('FZ-BJ', 'FZ-TEA')).toMatchObject({ onHand: 1, reserved: 1 });

    const received = await event(t.transferId, { type: 'received', quantity: 1 });
    expect(received.statusCode, received.body).toBe(202);
    const joined = await eventually(() => fulfilment(orderId), (f) => f.outcome === 'released' && f.packages.length > 0, 20_000, 'the order joined its package');
    expect(joined.transfers![0]!.status).toBe('received');
    expect(joined.packages.map((p) => ({ wh: p.warehouseCode, lines: [...p.lineRefs].sort() }))).toEqual([{ wh: 'FZ-HZ', lines: ['1', '2'] }]);
    expect(await transfer.result()).toMatchObject({ transferId: t.transferId, status: 'received' });
    await maybeRecordHistory(stack.client, transferWorkflowId(t.transferId), 'transfer-shipped-received');

    // Source -1 on hand (its reservation consumed), target +1 on hand and reserved for the order: no oversell.
    expect(await level('FZ-BJ', 'FZ-TEA')).toMatchObject({ onHand: 0, reserved: 0, available: 0 });
    expect(await level('FZ-HZ', 'FZ-TEA')).toMatchObject({ onHand: 1, reserved: 1, available: 0 });
    const rows = await stack.db.selectFrom('reservations').select(['warehouse_code', 'status', 'quantity']).where('order_id', '=', orderId).where('sku_code', '=', 'FZ-TEA').orderBy('warehouse_code').execute();
    expect(rows).toEqual([
      { warehouse_code: 'FZ-BJ', status: 'consumed', quantity: 1 },
      { warehouse_code: 'FZ-HZ', status: 'reserved', quantity: 1 },
    ]);
    expect(await reserveStock(stack.db, 'order:x:y:thief', [{ lineRef: '1', warehouseCode: 'FZ-HZ', skuCode: 'FZ-TEA', quantity: 1 }])).toMatchObject({ ok: false });

    // Finished: nothing more may be reported, and a repeated receipt moves nothing.
    expect((await event(t.transferId, { type: 'received', quantity: 1 })).statusCode).toBe(409);
    expect((await get(stack, `/v1/transfers/${t.transferId}`)).body).toMatchObject({ status: 'received' });
    expect(await level('FZ-HZ', 'FZ-TEA')).toMatchObject({ onHand: 1, reserved: 1 });
  });
});
