import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { countWarehouseLoad, findWarehouse, loadOn, releaseWarehouseLoad } from '../../db/stock.repository.js';
import { localDay } from '../../domain/local-day.js';
import { canonicalOrder, orderWorkflowId } from '../../domain/order.js';
import { get, post, seedBasics, seedWarehouse } from '../helpers/fulfilment.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

// A warehouse's daily load counts the orders allocated to it on its own calendar day (Asia/Shanghai unless
// it says otherwise), once per order, warehouse and plan attempt.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await seedBasics(stack, { hz: { 'FZ-TEA': 20 } });
});
afterAll(async () => {
  await stack?.close();
});

const teaOrder = (platformOrderId: string) =>
  makeOrder({
    shopId: 'demo-taobao',
    platformOrderId,
    paidAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    lines: [{ lineId: `${platformOrderId}-1`, skuCode: 'FZ-TEA', quantity: 1, unitPriceFen: 12800, paidFen: 12800 }],
    amounts: { goodsFen: 12800, paidFen: 12800 },
    discounts: [],
  });

const loadRows = (orderId: string) => stack.db.selectFrom('warehouse_load').selectAll().where('order_id', '=', orderId).orderBy('warehouse_code').execute();

async function patch(url: string, payload: Record<string, unknown>) {
  const res = await stack.app.inject({ method: 'PATCH', url, payload });
  return { status: res.statusCode, body: res.json() };
}

describe('warehouse time zone through REST', () => {
  it('defaults to Asia/Shanghai, takes IANA zones in their canonical spelling, and refuses anything else with 400', async () => {
    expect((await get(stack, '/v1/warehouses/FZ-HZ')).body).toMatchObject({ timeZone: 'Asia/Shanghai', currentLoad: 0 });

    const bad = await post(stack, '/v1/warehouses', { code: 'FZ-TZ', name: 'x', province: '天津市', city: '天津市', timeZone: 'Asia/Beijing' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path)).toEqual(['/timeZone']);
    expect((await post(stack, '/v1/warehouses', { code: 'FZ-TZ', name: 'x', province: '天津市', city: '天津市', timeZone: '+08:00' })).status).toBe(400);

    await seedWarehouse(stack, { code: 'FZ-TZ', name: 'Urumqi', province: '新疆维吾尔自治区', city: '乌鲁木齐市', district: '天山区', timeZone: 'asia/urumqi' });
    expect((await get(stack, '/v1/warehouses/FZ-TZ')).body).toMatchObject({ timeZone: 'Asia/Urumqi' });
    expect((await patch('/v1/warehouses/FZ-TZ', { timeZone: 'CST' })).status).toBe(400);
    const utc = await patch('/v1/warehouses/FZ-TZ', { timeZone: 'UTC', active: false });
    expect(utc.status).toBe(200);
    expect(utc.body).toMatchObject({ timeZone: 'UTC', loadDate: localDay(new Date(), 'UTC') });
  });
});

describe('warehouse load', () => {
  it('counts an order when the workflow allocates it, on the warehouse’s local day, and gives it back when it is cancelled before release', async () => {
    // A lone buyer's package is released at once by default; this order must wait in its window to be cancelled before release.
    expect((await stack.app.inject({ method: 'PUT', url: '/v1/settings/merge-policy', payload: { hold: 'always' } })).statusCode).toBe(200);
    const before = new Date();
    const order = teaOrder(`load-wf-${Date.now()}`);
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    const url = `/v1/orders/${encodeURIComponent(id)}`;
    expect((await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order })).statusCode).toBe(202);
    // Allocated and reserved; its package waits out the 30 min hold window, so nothing has reached the warehouse.
    const rows = await eventually(() => loadRows(id), (r) => r.length > 0, 20_000, 'load counted');
    const after = new Date();
    const days = [localDay(before, 'Asia/Shanghai'), localDay(after, 'Asia/Shanghai')];

    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ warehouse_code: 'FZ-HZ', attempt: 1, released_at: null });
    const hz = (await findWarehouse(stack.db, 'FZ-HZ'))!;
    expect(hz.current_load).toBe(1);
    expect(days).toContain(dayString(hz.load_date));
    // Planning and the API read the same local day.
    expect(loadOn(hz, after)).toBe(1);
    const api = (await get(stack, '/v1/warehouses/FZ-HZ')).body;
    expect(api).toMatchObject({ currentLoad: 1 });
    expect(days).toContain(api.loadDate);

    expect((await stack.app.inject({ method: 'POST', url: `${url}/events`, payload: { type: 'cancelled', reason: 'buyer changed their mind' } })).statusCode).toBe(202);
    await eventually(async () => (await loadRows(id))[0]?.released_at ?? null, (v) => v !== null, 20_000, 'load released');
    expect((await findWarehouse(stack.db, 'FZ-HZ'))!.current_load).toBe(0);
  });

  it('counts a retried reservation once, and a new plan attempt again', async () => {
    const acts = createActivities({ db: stack.db, temporal: stack.client, config: stack.config, logger: stack.logger });
    const orderId = `order:taobao:demo-taobao:load-retry-${Date.now()}`;
    const order = canonicalOrder.parse(teaOrder(orderId.split(':').at(-1)!));
    const load = async () => (await findWarehouse(stack.db, 'FZ-HZ'))!.current_load;
    const start = await load();

    const plan = await acts.planFulfilment({ orderId, order, attempt: 1 });
    expect(plan.status).toBe('planned');
    if (plan.status !== 'planned') return;
    const input = { orderId, assignments: plan.assignments, transfers: plan.transfers };
    expect((await acts.reserveStock(input)).ok).toBe(true);
    expect(await load()).toBe(start + 1);
    // The same local activity again (its result was lost): same attempt, nothing counted twice.
    expect(await acts.reserveStock(input)).toMatchObject({ ok: true, reserved: 0, alreadyReserved: 1 });
    expect(await acts.reserveStock(input)).toMatchObject({ ok: true });
    expect(await load()).toBe(start + 1);
    expect(await loadRows(orderId)).toHaveLength(1);

    // Released before any package reached the warehouse, then planned again: attempt 2 is a new allocation.
    await acts.releaseStock({ orderId });
    await acts.releaseStock({ orderId });
    expect(await load()).toBe(start);
    const again = await acts.planFulfilment({ orderId, order, attempt: 2 });
    expect(again.status).toBe('planned');
    if (again.status !== 'planned') return;
    await acts.reserveStock({ orderId, assignments: again.assignments, transfers: again.transfers });
    expect(await load()).toBe(start + 1);
    expect((await loadRows(orderId)).map((r) => [r.attempt, r.released_at === null])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('starts a new day at midnight in the warehouse’s zone: 16:00 UTC in Shanghai, 00:00 UTC for a UTC warehouse', async () => {
    await seedWarehouse(stack, { code: 'FZ-SHA', name: 'Shanghai Qingpu', province: '上海市', city: '上海市', district: '青浦区', active: false });
    await seedWarehouse(stack, { code: 'FZ-UTC', name: 'Offshore', province: '上海市', city: '上海市', district: '浦东新区', active: false, timeZone: 'UTC' });
    const codes = ['FZ-SHA', 'FZ-UTC'];
    const lastSecond = new Date('2026-03-01T15:59:59Z');
    const midnightShanghai = new Date('2026-03-01T16:00:00Z');

    expect(await countWarehouseLoad(stack.db, { orderId: 'o-a', attempt: 1, warehouseCodes: codes, at: lastSecond })).toEqual([
      { warehouseCode: 'FZ-SHA', day: '2026-03-01' },
      { warehouseCode: 'FZ-UTC', day: '2026-03-01' },
    ]);
    expect(await countWarehouseLoad(stack.db, { orderId: 'o-b', attempt: 1, warehouseCodes: codes, at: midnightShanghai })).toEqual([
      { warehouseCode: 'FZ-SHA', day: '2026-03-02' },
      { warehouseCode: 'FZ-UTC', day: '2026-03-01' },
    ]);
    // A retry of the same attempt counts nothing.
    expect(await countWarehouseLoad(stack.db, { orderId: 'o-b', attempt: 1, warehouseCodes: codes, at: midnightShanghai })).toEqual([]);

    const row = async (code: string) => (await findWarehouse(stack.db, code))!;
    expect([(await row('FZ-SHA')).current_load, dayString((await row('FZ-SHA')).load_date)]).toEqual([1, '2026-03-02']);
    expect([(await row('FZ-UTC')).current_load, dayString((await row('FZ-UTC')).load_date)]).toEqual([2, '2026-03-01']);
    // Planning at 16:00:05Z sees Shanghai's new day and UTC's old one.
    const planningAt = new Date('2026-03-01T16:00:05Z');
    expect(loadOn(await row('FZ-SHA'), planningAt)).toBe(1);
    expect(loadOn(await row('FZ-UTC'), planningAt)).toBe(2);
    expect(loadOn(await row('FZ-SHA'), lastSecond)).toBe(0);

    // Cancelling the first order gives back UTC's count of that day; Shanghai's day has moved on already.
    expect(await releaseWarehouseLoad(stack.db, 'o-a')).toBe(2);
    expect((await row('FZ-SHA')).current_load).toBe(1);
    expect((await row('FZ-UTC')).current_load).toBe(1);
  });
});

/** A `date` column as `YYYY-MM-DD` (node-postgres reads it as local midnight). */
function dayString(d: Date | string | null): string | null {
  if (d === null || typeof d === 'string') return d;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
