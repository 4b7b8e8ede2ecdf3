import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWarehouse } from '../../channels/simulator/warehouse.js';
import { orderWorkflowId } from '../../domain/order.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

// The simulator as the warehouse, over real HTTP against a stack with the demo master data: orders are
// allocated and packed, their packages released, and the player finds them by the list and ships them.
let stack: TestStack;
let api: string;
/** The player reports as a WMS does: with a key of role warehouse. */
let apiKey: string;

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '1s' }, { carriers: true });
  await stack.app.listen({ port: 0, host: '127.0.0.1' });
  api = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  apiKey = (await stack.createKey('warehouse', { name: 'simulated WMS' })).key;
});
afterAll(async () => {
  await stack?.close();
});

const get = async (url: string) => {
  const r = await stack.app.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.json() };
};

const placeOrders = async (n: number, second: number): Promise<string[]> => {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    // Distinct buyers so that each order gets a parcel of its own.
    const order = makeOrder({ shopId: 'demo-taobao', paidAt: `2026-11-11T00:00:${String(second + i).padStart(2, '0')}Z`, buyerKey: `wh-buyer-${second}-${i}-${Date.now()}` });
    const r = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order });
    expect(r.statusCode).toBe(202);
    ids.push(orderWorkflowId('taobao', order.shopId, order.platformOrderId));
  }
  return ids;
};

describe('the simulator playing the warehouse', () => {
  it('ships every released package, and every order ends shipped with its tracking number', async () => {
    const ids = await placeOrders(3, 10);
    const player = startWarehouse({ api, apiKey, seed: 42, delayMs: [20, 100], failRate: 0, defaultCarrier: 'YTO', pollMs: 200 }, { durationMs: 60_000 });
    try {
      for (const id of ids) {
        await eventually(async () => (await get(`/v1/orders/${encodeURIComponent(id)}`)).body.status as string, (s) => s === 'shipped', 30_000, `${id} shipped`);
      }
    } finally {
      await player.stop();
    }
    const report = player.report();
    expect(report.shipped).toBeGreaterThanOrEqual(3);
    expect(report.failed).toBe(0);
    expect(report.errors).toEqual({});
    for (const id of ids) {
      const order = (await get(`/v1/orders/${encodeURIComponent(id)}`)).body;
      const pkgs = await stack.db.selectFrom('package_members as m').innerJoin('packages as p', 'p.id', 'm.package_id').select(['p.id', 'p.status', 'p.carrier_code', 'p.tracking_no']).where('m.order_id', '=', id).execute();
      expect(pkgs).toHaveLength(1);
      const pkg = pkgs[0]!;
      expect(pkg.status).toBe('shipped');
      expect(pkg.tracking_no).toBe(report.trackingNumbers[pkg.id]);
      // The package's own carrier decision was used, and the number looks like that carrier's.
      expect(['YTO', 'ZTO', 'SF']).toContain(pkg.carrier_code);
      expect(pkg.tracking_no).toMatch({ YTO: /^YT\d{13}$/, ZTO: /^7\d{13}$/, SF: /^SF\d{13}$/ }[pkg.carrier_code as 'YTO' | 'ZTO' | 'SF']);
      expect(JSON.stringify(order.timeline)).toContain(pkg.tracking_no);
    }
    // Nothing is left released, and a second player with the same seed finds nothing to ship again.
    expect((await get('/v1/packages?status=released')).body.items).toEqual([]);
    const again = startWarehouse({ api, apiKey, seed: 42, delayMs: [0, 0], failRate: 0, defaultCarrier: 'YTO', pollMs: 100 }, { durationMs: 500 });
    expect((await again.done).seen).toBe(0);
  });

  it('reports the configured share as failed and those orders go on hold', async () => {
    const ids = await placeOrders(2, 20);
    const player = startWarehouse({ api, apiKey, seed: 7, delayMs: [0, 50], failRate: 1, defaultCarrier: 'YTO', pollMs: 200 });
    try {
      for (const id of ids) {
        await eventually(async () => (await get(`/v1/orders/${encodeURIComponent(id)}`)).body.status as string, (s) => s === 'on_hold', 30_000, `${id} on hold`);
      }
    } finally {
      await player.stop();
    }
    expect(player.report()).toMatchObject({ failed: 2, shipped: 0, picked: 2 });
  });
});

describe('the simulator playing the warehouse when orders are cancelled after release', () => {
  const stock = async () =>
    new Map((await stack.db.selectFrom('inventory').select(['warehouse_code', 'sku_code', 'on_hand', 'reserved']).execute()).map((r) => [`${r.warehouse_code}/${r.sku_code}`, r]));

  it('stops or ships each intercepted parcel, and stock on hand ends as it was less what shipped', async () => {
    const before = await stock();
    const ids = await placeOrders(4, 30);
    const statusOf = async (id: string) => (await get(`/v1/orders/${encodeURIComponent(id)}`)).body.status as string;
    for (const id of ids) await eventually(() => statusOf(id), (s) => s === 'released', 30_000, `${id} released`);
    const cancelled = ids.slice(0, 2);
    for (const id of cancelled) {
      const r = await stack.app.inject({ method: 'POST', url: `/v1/orders/${encodeURIComponent(id)}/events`, payload: { type: 'cancelled', reason: 'buyer refunded after release' } });
      expect(r.statusCode).toBe(202);
      await eventually(() => statusOf(id), (s) => s === 'on_hold', 20_000, `${id} awaiting interception`);
    }

    // Half of the interceptions fail (seeded per package): those parcels ship although their order was cancelled.
    const player = startWarehouse({ api, apiKey, seed: 11, delayMs: [20, 100], failRate: 0, interceptFailRate: 0.5, defaultCarrier: 'YTO', pollMs: 200 }, { durationMs: 60_000 });
    try {
      for (const id of ids) await eventually(() => statusOf(id), (s) => s === 'shipped' || s === 'cancelled', 30_000, `${id} finished`);
    } finally {
      await player.stop();
    }
    const report = player.report();
    expect(report.intercepted + report.interceptFailed).toBe(2);
    expect(report.errors).toEqual({});
    for (const id of ids.slice(2)) expect(await statusOf(id)).toBe('shipped');
    const outcomes = await Promise.all(cancelled.map(statusOf));
    expect(outcomes.filter((s) => s === 'cancelled')).toHaveLength(report.intercepted);
    expect(outcomes.filter((s) => s === 'shipped')).toHaveLength(report.interceptFailed);

    // Every unit is accounted for: on hand went down by exactly what shipped, and nothing stays reserved.
    const shippedLines = await stack.db
      .selectFrom('package_members as m')
      .innerJoin('packages as p', 'p.id', 'm.package_id')
      .select(['p.warehouse_code', 'm.lines'])
      .where('m.order_id', 'in', ids)
      .where('p.status', '=', 'shipped')
      .execute();
    const shippedUnits = new Map<string, number>();
    for (const row of shippedLines) {
      for (const l of row.lines as { skuCode: string; quantity: number }[]) {
        const key = `${row.warehouse_code}/${l.skuCode}`;
        shippedUnits.set(key, (shippedUnits.get(key) ?? 0) + l.quantity);
      }
    }
    expect(shippedLines).toHaveLength(2 + report.interceptFailed);
    await eventually(
      async () => (await stack.db.selectFrom('reservations').select('status').where('order_id', 'in', ids).execute()).map((r) => r.status),
      (s) => s.every((x) => x !== 'reserved'),
      20_000,
      'no reservation left',
    );
    const after = await stock();
    for (const [key, row] of after) {
      const was = before.get(key)!;
      expect({ key, onHand: row.on_hand, reserved: row.reserved }).toEqual({ key, onHand: was.on_hand - (shippedUnits.get(key) ?? 0), reserved: was.reserved });
    }
  });
});

describe('GET /v1/packages', () => {
  it('filters by status and warehouse, pages by cursor oldest first, and refuses bad input', async () => {
    const all = (await get('/v1/packages?limit=500')).body;
    expect(all.items.length).toBeGreaterThanOrEqual(5);
    expect(all.nextCursor).toBeNull();
    const created = all.items.map((p: { createdAt: string }) => p.createdAt);
    expect([...created].sort()).toEqual(created);

    const shipped = (await get('/v1/packages?status=shipped')).body.items as Array<{ status: string; memberOrderIds: string[]; warehouseCode: string }>;
    expect(shipped.length).toBeGreaterThanOrEqual(3);
    expect(shipped.every((p) => p.status === 'shipped' && p.memberOrderIds.length === 1)).toBe(true);
    const wh = shipped[0]!.warehouseCode;
    const inWh = (await get(`/v1/packages?warehouse=${wh}`)).body.items as Array<{ warehouseCode: string }>;
    expect(inWh.length).toBeGreaterThan(0);
    expect(inWh.every((p) => p.warehouseCode === wh)).toBe(true);
    expect((await get('/v1/packages?warehouse=WH-NOWHERE')).body).toEqual({ items: [], nextCursor: null });

    // Pages of 2 cover the whole list once, in the same order.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (await get(`/v1/packages?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((p: { id: string }) => p.id));

    expect((await get('/v1/packages?status=lost')).status).toBe(400);
    expect((await get('/v1/packages?limit=0')).status).toBe(400);
    expect((await get('/v1/packages?limit=501')).status).toBe(400);
    expect((await get('/v1/packages?limit=abc')).status).toBe(400);
    expect((await get('/v1/packages?cursor=pk-doesnotexist')).status).toBe(400);
  });
});
