import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorkflowId } from '../../domain/order.js';
import { stateQuery } from '../../workflows/order.messages.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, eventually, maybeRecordHistory, type TestStack } from '../helpers/stack.js';

// The whole path on the demo data (warehouses, stock and carriers, as `npm start` seeds them):
// created -> paid -> allocated and reserved -> package released -> shipped by the warehouse -> shipped.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '1s' }, { carriers: true });
});
afterAll(async () => {
  await stack?.close();
});

const get = async (url: string) => {
  const r = await stack.app.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.json() };
};

describe('an order from the API to shipment', () => {
  it('allocates from stock, releases a package, and finishes when the warehouse ships it', async () => {
    // Hangzhou buyer: tea (Tianjin 120, Shanghai 300) and a mug (Shanghai 500, Guangzhou 200) -> one parcel from Shanghai.
    const order = makeOrder({ shopId: 'demo-taobao', paidAt: '2026-11-11T00:00:07Z' });
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    const url = `/v1/orders/${encodeURIComponent(id)}`;
    expect((await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order })).statusCode).toBe(202);

    await eventually(async () => (await get(url)).body.status as string, (s) => s === 'released', 20_000, 'released');
    const handle = stack.client.workflow.getHandle(id);
    const state = await handle.query(stateQuery);
    expect(state.fulfilment?.packages).toHaveLength(1);
    const pkg = state.fulfilment!.packages[0]!;

    const stock = await stack.db.selectFrom('inventory').select(['warehouse_code', 'sku_code', 'reserved']).where('reserved', '>', 0).orderBy('sku_code').execute();
    expect(stock).toEqual([
      { warehouse_code: 'WH-SH', sku_code: 'MUG-CER-01', reserved: 1 },
      { warehouse_code: 'WH-SH', sku_code: 'TEA-LJ-250', reserved: 2 },
    ]);

    const decisions = await get(`${url}/decisions`);
    expect(decisions.status).toBe(200);
    const kinds = decisions.body.items.map((d: { kind: string }) => d.kind);
    expect(kinds).toEqual(expect.arrayContaining(['allocation', 'split', 'carrier']));

    // The package workflow seals after its 1 s window and is released to the warehouse; the WMS then reports.
    await eventually(async () => (await get(`/v1/packages/${encodeURIComponent(pkg.packageId)}`)).body.status as string, (s) => s === 'released', 20_000, 'package released');
    const shipped = await stack.app.inject({
      method: 'POST',
      url: `/v1/packages/${encodeURIComponent(pkg.packageId)}/events`,
      payload: { type: 'shipped', carrierCode: 'YTO', trackingNo: 'YT7000000000001' },
    });
    expect(shipped.statusCode).toBe(202);

    expect(await handle.result()).toEqual({ orderId: id, status: 'shipped' });
    expect((await handle.describe()).searchAttributes.Warehouse).toEqual(['WH-SH']);
    await maybeRecordHistory(stack.client, id, 'order-shipped');
    // The package workflow sealed, released and shipped the parcel, and has finished.
    const packageHandle = stack.client.workflow.getHandle(`package:${pkg.packageId}`);
    expect(await packageHandle.result()).toEqual({ packageId: pkg.packageId, status: 'shipped' });
    await maybeRecordHistory(stack.client, packageHandle.workflowId, 'package-shipped');
    const done = await get(url);
    expect(done.body.status).toBe('shipped');
    const types = done.body.timeline.map((t: { type: string }) => t.type);
    expect(types).toEqual(expect.arrayContaining(['status:paid', 'status:released', 'writeback_skipped', 'status:shipped']));
    // Shipping consumed the reservation: on hand and reserved both went down.
    const after = await stack.db
      .selectFrom('inventory')
      .select(['sku_code', 'on_hand', 'reserved'])
      .where('warehouse_code', '=', 'WH-SH')
      .where('sku_code', 'in', ['MUG-CER-01', 'TEA-LJ-250'])
      .orderBy('sku_code')
      .execute();
    expect(after).toEqual([
      { sku_code: 'MUG-CER-01', on_hand: 499, reserved: 0 },
      { sku_code: 'TEA-LJ-250', on_hand: 298, reserved: 0 },
    ]);
  });

  it('holds the order when the warehouse cannot ship its parcel, and releases the stock when it is cancelled', async () => {
    const order = makeOrder({ shopId: 'demo-taobao', paidAt: '2026-11-11T00:00:08Z', lines: [{ skuCode: 'KETTLE-17L', quantity: 1, unitPriceFen: 12900, paidFen: 12900 }], amounts: { goodsFen: 12900, paidFen: 12900 }, discounts: [] });
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    const url = `/v1/orders/${encodeURIComponent(id)}`;
    expect((await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order })).statusCode).toBe(202);
    await eventually(async () => (await get(url)).body.status as string, (s) => s === 'released', 20_000, 'released');
    const handle = stack.client.workflow.getHandle(id);
    const pkg = (await handle.query(stateQuery)).fulfilment!.packages[0]!;
    await eventually(async () => (await get(`/v1/packages/${encodeURIComponent(pkg.packageId)}`)).body.status as string, (s) => s === 'released', 20_000, 'package released');
    const reservedBefore = await stack.db.selectFrom('inventory').select((eb) => eb.fn.sum<number>('reserved').as('n')).where('sku_code', '=', 'KETTLE-17L').executeTakeFirstOrThrow();
    expect(Number(reservedBefore.n)).toBe(1);

    const failed = await stack.app.inject({ method: 'POST', url: `/v1/packages/${encodeURIComponent(pkg.packageId)}/events`, payload: { type: 'failed', reason: 'carton damaged' } });
    expect(failed.statusCode).toBe(202);
    await eventually(async () => (await get(url)).body.status as string, (s) => s === 'on_hold', 20_000, 'on_hold');
    // Visibility follows the workflow's upsert a moment later than the read model.
    await eventually(async () => (await handle.describe()).searchAttributes.ExceptionType, (v) => JSON.stringify(v) === '["WAREHOUSE_REJECTED"]', 10_000, 'ExceptionType');

    const cancel = await stack.app.inject({ method: 'POST', url: `${url}/events`, payload: { type: 'cancelled', reason: 'refunded by the seller' } });
    expect(cancel.statusCode).toBe(202);
    expect(await handle.result()).toEqual({ orderId: id, status: 'cancelled' });
    const reservedAfter = await stack.db.selectFrom('inventory').select((eb) => eb.fn.sum<number>('reserved').as('n')).where('sku_code', '=', 'KETTLE-17L').executeTakeFirstOrThrow();
    expect(Number(reservedAfter.n)).toBe(0);
  });
});
