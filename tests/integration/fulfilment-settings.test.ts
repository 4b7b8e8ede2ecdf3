import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorkflowId } from '../../domain/order.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '1h' }, { carriers: true });
});
afterAll(async () => {
  await stack?.close();
});

const call = async (method: 'GET' | 'PUT' | 'PATCH' | 'POST', url: string, payload?: unknown) => {
  const r = await stack.app.inject({ method, url, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: r.json() };
};

/** A Hangzhou buyer orders one kettle; every demo warehouse but Tianjin stocks kettles. */
async function allocateKettleOrder(): Promise<{ warehouse: string; ruleId: string; ruleVersion: number }> {
  const order = makeOrder({
    paidAt: '2026-11-11T00:00:09Z',
    lines: [{ skuCode: 'KETTLE-17L', quantity: 1, unitPriceFen: 12900, paidFen: 12900 }],
    amounts: { goodsFen: 12900, paidFen: 12900 },
    discounts: [],
  });
  const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
  expect((await call('POST', '/v1/orders', order)).status).toBe(202);
  await eventually(async () => (await call('GET', `/v1/orders/${encodeURIComponent(id)}`)).body.status as string, (s) => s === 'allocated' || s === 'released', 20_000, 'allocated');
  const { body } = await call('GET', `/v1/orders/${encodeURIComponent(id)}/decisions`);
  const allocation = body.items.find((d: { kind: string }) => d.kind === 'allocation');
  return { warehouse: allocation.chosen[0], ruleId: allocation.ruleId, ruleVersion: allocation.ruleVersion };
}

describe('allocation strategy as a setting', () => {
  it('starts from the default strategy', async () => {
    const { status, body } = await call('GET', '/v1/settings/allocation-strategy');
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: 'allocation.default', version: 1, source: 'default', rankBy: ['load-threshold', 'distance', 'priority'] });
  });

  it('refuses a strategy with repeated or unknown steps', async () => {
    const base = { filters: ['inactive'], rankBy: ['distance'], loadThreshold: 0.9, distanceBandKm: 0 };
    expect((await call('PUT', '/v1/settings/allocation-strategy', { ...base, steps: ['single-warehouse', 'single-warehouse'] })).status).toBe(400);
    expect((await call('PUT', '/v1/settings/allocation-strategy', { ...base, steps: ['teleport'] })).status).toBe(400);
    expect((await call('PUT', '/v1/settings/allocation-strategy', { ...base, steps: [] })).status).toBe(400);
  });

  it('decides by the strategy in force and records its id and version', async () => {
    // Default: nearest first -> Shanghai ships to Hangzhou.
    expect(await allocateKettleOrder()).toEqual({ warehouse: 'WH-SH', ruleId: 'allocation.default', ruleVersion: 1 });

    // Guangzhou becomes the preferred warehouse and the strategy ranks by priority before distance.
    expect((await call('PATCH', '/v1/warehouses/WH-GZ', { priority: 0 })).status).toBe(200);
    const strategy = { id: 'allocation.priority-first', filters: ['inactive', 'at-capacity'], rankBy: ['priority', 'distance'], steps: ['single-warehouse', 'fewest-packages'], loadThreshold: 0.9, distanceBandKm: 0 };
    const first = await call('PUT', '/v1/settings/allocation-strategy', strategy);
    expect(first.body).toMatchObject({ ...strategy, version: 1, source: 'configured' });
    const second = await call('PUT', '/v1/settings/allocation-strategy', strategy);
    expect(second.body.version).toBe(2);
    expect((await call('GET', '/v1/settings/allocation-strategy')).body).toMatchObject({ id: 'allocation.priority-first', version: 2 });

    expect(await allocateKettleOrder()).toEqual({ warehouse: 'WH-GZ', ruleId: 'allocation.priority-first', ruleVersion: 2 });
  });
});
