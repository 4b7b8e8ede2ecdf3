import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorkflowId } from '../../domain/order.js';
import { get, post, seedBasics } from '../helpers/fulfilment.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';
import { fulfilmentQuery } from '../../workflows/order.messages.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await seedBasics(stack, { bj: { 'FZ-TEA': 3 }, hz: { 'FZ-MUG': 5 } });
});
afterAll(async () => {
  await stack?.close();
});

async function patch(url: string, payload: Record<string, unknown>) {
  const res = await stack.app.inject({ method: 'PATCH', url, payload });
  return { status: res.statusCode, body: res.json() };
}

describe('fulfilment master data through REST', () => {
  it('creates, reads, lists and changes warehouses, with the region resolved by the address library', async () => {
    const created = await post(stack, '/v1/warehouses', { code: 'FZ-TJ', name: 'Tianjin Wuqing', province: '天津', city: '天津市', district: '武清区', regionsServed: ['110000', '120000'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'FZ-TJ', regionCode: '120114', active: true, priority: 0, dailyCapacity: 10000, regionsServed: ['110000', '120000'], currentLoad: 0 });
    expect(created.body.lat).toBeCloseTo(39.38, 0);

    expect((await get(stack, '/v1/warehouses/FZ-TJ')).body).toMatchObject({ code: 'FZ-TJ', name: 'Tianjin Wuqing' });
    const list = await get(stack, '/v1/warehouses');
    expect(list.body.items.map((w: { code: string }) => w.code)).toEqual(expect.arrayContaining(['FZ-BJ', 'FZ-HZ', 'FZ-TJ']));

    const changed = await patch('/v1/warehouses/FZ-TJ', { active: false, dailyCapacity: 50 });
    expect(changed.status).toBe(200);
    // A patch changes only what it names.
    expect(changed.body).toMatchObject({ active: false, dailyCapacity: 50, priority: 0, district: '武清区', regionsServed: ['110000', '120000'] });

    expect((await post(stack, '/v1/warehouses', { code: 'FZ-TJ', name: 'x', province: '天津市', city: '天津市' })).status).toBe(409);
  });

  it('rejects bad input with 400 and every zod issue, and unknown ids with 404', async () => {
    const bad = await post(stack, '/v1/warehouses', { code: 'has space', name: '', province: '天津市', city: '天津市', regionsServed: ['12'], dailyCapacity: -1 });
    expect(bad.status).toBe(400);
    const paths = bad.body.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['/code', '/name', '/regionsServed/0', '/dailyCapacity']));

    const nowhere = await post(stack, '/v1/warehouses', { code: 'FZ-X', name: 'Nowhere', province: '火星', city: '基地' });
    expect(nowhere.status).toBe(400);
    expect(nowhere.body.message).toMatch(/regionCode/);

    expect((await get(stack, '/v1/warehouses/NOPE')).status).toBe(404);
    expect((await patch('/v1/warehouses/NOPE', { active: false })).status).toBe(404);
    expect((await get(stack, '/v1/skus/NOPE')).status).toBe(404);
    expect((await patch('/v1/skus/NOPE', { bulky: true })).status).toBe(404);
    expect((await get(stack, '/v1/carriers/NOPE')).status).toBe(404);
    expect((await get(stack, '/v1/inventory/NOPE/FZ-TEA')).status).toBe(404);
    expect((await get(stack, '/v1/inventory/FZ-HZ/NOPE')).status).toBe(404);
    expect((await post(stack, '/v1/inventory/NOPE/FZ-TEA/adjustments', { delta: 1, reason: 'count' })).status).toBe(404);
    expect((await post(stack, '/v1/inventory/FZ-HZ/FZ-TEA/adjustments', { delta: 0, reason: '' })).status).toBe(400);
    expect((await get(stack, '/v1/packages/pk-none')).status).toBe(404);
    expect((await post(stack, '/v1/packages/pk-none/events', { type: 'picked' })).status).toBe(404);
    expect((await post(stack, '/v1/packages/pk-none/events', { type: 'shipped', carrierCode: 'X' })).status).toBe(400);
    expect((await get(stack, `/v1/orders/${encodeURIComponent('order:taobao:none:1')}/decisions`)).status).toBe(404);
  });

  it('manages SKUs with substitutes and carriers with their cost tables', async () => {
    const sku = await post(stack, '/v1/skus', { code: 'FZ-SOFA', name: 'Sofa', weightG: 55000, bulky: true, valueFen: 459900, substitutes: ['FZ-MUG'] });
    expect(sku.status).toBe(201);
    expect(sku.body).toMatchObject({ bulky: true, substitutes: ['FZ-MUG'], volumeCm3: 0 });
    expect((await post(stack, '/v1/skus', { code: 'FZ-SELF', name: 'x', substitutes: ['FZ-SELF'] })).status).toBe(400);
    expect((await patch('/v1/skus/FZ-SOFA', { valueFen: 399900 })).body).toMatchObject({ valueFen: 399900, bulky: true, weightG: 55000 });

    const carrier = await post(stack, '/v1/carriers', {
      code: 'FZ-SF',
      name: 'SF Express',
      services: ['express', 'freight'],
      premium: true,
      maxWeightG: 100_000,
      regionsCovered: ['110000'],
      rates: [
        { service: 'express', firstWeightG: 1000, firstFen: 2300, stepG: 1000, stepFen: 1200 },
        { service: 'freight', regions: ['110000'], firstWeightG: 20000, firstFen: 9000, stepG: 1000, stepFen: 300 },
      ],
    });
    expect(carrier.status).toBe(201);
    expect(carrier.body).toMatchObject({ code: 'FZ-SF', premium: true, active: true, rates: [{ regions: [] }, { regions: ['110000'] }] });
    const badLimits = await post(stack, '/v1/carriers', { code: 'FZ-B', name: 'b', services: ['express'], minWeightG: 10, maxWeightG: 5, rates: [{ service: 'express', firstWeightG: 1, firstFen: 1, stepG: 1, stepFen: 1 }] });
    expect(badLimits.status).toBe(400);
    const rateForMissingService = await patch('/v1/carriers/FZ-SF', { services: ['express'] });
    expect(rateForMissingService.status).toBe(400);
    expect((await patch('/v1/carriers/FZ-SF', { active: false })).body).toMatchObject({ active: false, services: ['express', 'freight'] });
    expect((await get(stack, '/v1/carriers')).body.items.map((c: { code: string }) => c.code)).toEqual(expect.arrayContaining(['FZ-SF', 'FZ-YTO']));
  });

  it('returns every decision of an order with rule id, version, candidates and exclusions', async () => {
    // A Beijing order for tea: the Beijing warehouse has it; Hangzhou has none and is excluded with its reason.
    const order = makeOrder({
      paidAt: '2026-11-11T00:00:05Z',
      receiver: { name: '赵**', phone: '137****0003', province: '北京市', city: '北京市', district: '朝阳区', detail: '建国路 88 号' },
      lines: [{ lineId: 'l1', skuCode: 'FZ-TEA', quantity: 2, unitPriceFen: 12800, paidFen: 25600 }],
      amounts: { goodsFen: 25600, paidFen: 25600 },
      discounts: [],
    });
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    expect((await post(stack, '/v1/orders', order)).status).toBe(202);
    const { body } = await eventually(
      () => get(stack, `/v1/orders/${encodeURIComponent(id)}/decisions`),
      (r) => r.status === 200 && (r.body.items as { kind: string }[]).some((d) => d.kind === 'merge'),
      30_000,
      'decisions',
    );
    const kinds = body.items.map((d: { kind: string }) => d.kind);
    expect(kinds.slice(0, 6)).toEqual(['review', 'priority', 'allocation', 'split', 'carrier', 'merge']);
    expect(body.items[0]).toMatchObject({ step: 'review:1', ruleVersion: 1, outcome: 'approved' });
    const allocation = body.items[2];
    expect(allocation).toMatchObject({ ruleId: 'allocation.default', ruleVersion: 1, step: 'plan:1:allocation', chosen: ['FZ-BJ'] });
    expect(allocation.candidates[0]).toMatchObject({ id: 'FZ-BJ', rank: 1, metrics: { chosen: true } });
    expect(allocation.candidates[0].criteria).toHaveProperty('distance');
    expect(allocation.excluded).toEqual(expect.arrayContaining([{ id: 'FZ-HZ', reasons: [expect.objectContaining({ code: 'no-stock' })] }]));
    const carrier = body.items[4];
    // The carrier rule is the order's review rules (rule set version 1: premium from 2,000 yuan).
    expect(carrier).toMatchObject({ ruleId: 'rules.carrier', ruleVersion: 1, chosen: ['FZ-YTO'] });
    expect(carrier.excluded).toEqual(expect.arrayContaining([{ id: 'FZ-SF', reasons: expect.arrayContaining([expect.objectContaining({ code: 'inactive' })]) }]));

    // The workflow's fulfilment query shows the same decisions.
    const state = await stack.client.workflow.getHandle(id).query(fulfilmentQuery);
    expect(state.decisions.slice(0, 4).map((d) => d.kind)).toEqual(['allocation', 'split', 'carrier', 'merge']);
    expect((await get(stack, '/v1/inventory/FZ-BJ/FZ-TEA')).body).toMatchObject({ onHand: 3, reserved: 2, available: 1 });
  });
});
