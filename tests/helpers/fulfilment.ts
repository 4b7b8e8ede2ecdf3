import { expect } from 'vitest';
import { orderWorkflowId } from '../../domain/order.js';
import { makeOrder } from './orders.js';
import type { TestStack } from './stack.js';

// Seeds fulfilment master data through the REST API, as an admin would.

export async function post(stack: TestStack, url: string, payload: unknown) {
  const res = await stack.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
  return { status: res.statusCode, body: res.json() };
}

export async function get(stack: TestStack, url: string) {
  const res = await stack.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

export async function seedWarehouse(stack: TestStack, w: Record<string, unknown>): Promise<void> {
  const r = await post(stack, '/v1/warehouses', w);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

export async function seedSku(stack: TestStack, s: Record<string, unknown>): Promise<void> {
  const r = await post(stack, '/v1/skus', s);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

export async function seedStock(stack: TestStack, warehouseCode: string, skuCode: string, delta: number): Promise<void> {
  const r = await post(stack, `/v1/inventory/${warehouseCode}/${skuCode}/adjustments`, { delta, reason: 'opening stock count' });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

export async function seedCarrier(stack: TestStack, c: Record<string, unknown>): Promise<void> {
  const r = await post(stack, '/v1/carriers', c);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

/**
 * Two warehouses (Hangzhou, Beijing), a tea SKU, a mug SKU and a nationwide express carrier, under codes of
 * their own (the test stack also seeds the demo data, which these must not share stock with).
 */
export async function seedBasics(stack: TestStack, stock: { hz?: Record<string, number>; bj?: Record<string, number> } = {}): Promise<void> {
  await seedWarehouse(stack, { code: 'FZ-HZ', name: 'Hangzhou Xiaoshan', province: '浙江省', city: '杭州市', district: '萧山区', priority: 1, dailyCapacity: 5000 });
  await seedWarehouse(stack, { code: 'FZ-BJ', name: 'Beijing Daxing', province: '北京市', city: '北京市', district: '大兴区', priority: 1, dailyCapacity: 5000 });
  await seedSku(stack, { code: 'FZ-TEA', name: 'Longjing tea 250 g', weightG: 300, volumeCm3: 1200, valueFen: 12800 });
  await seedSku(stack, { code: 'FZ-MUG', name: 'Ceramic mug', weightG: 450, volumeCm3: 2000, valueFen: 3900 });
  await seedCarrier(stack, {
    code: 'FZ-YTO',
    name: 'YTO Express',
    services: ['express'],
    maxWeightG: 50_000,
    rates: [{ service: 'express', regions: [], firstWeightG: 1000, firstFen: 800, stepG: 1000, stepFen: 200 }],
  });
  for (const [sku, n] of Object.entries(stock.hz ?? {})) await seedStock(stack, 'FZ-HZ', sku, n);
  for (const [sku, n] of Object.entries(stock.bj ?? {})) await seedStock(stack, 'FZ-BJ', sku, n);
}

/** Teas (the seeded FZ-TEA) for one buyer to one door in Hangzhou; paid at `paidAt` unless it is null. */
export function teaOrder(buyer: string, door: string, opts: { paidAt?: string | null; qty?: number } = {}) {
  const qty = opts.qty ?? 1;
  const paidAt = opts.paidAt === undefined ? '2026-11-11T00:00:05Z' : opts.paidAt;
  return makeOrder({
    buyerKey: buyer,
    ...(paidAt ? { paidAt } : {}),
    receiver: { name: '王**', phone: '138****0002', province: '浙江省', city: '杭州市', district: '西湖区', detail: door },
    lines: [{ skuCode: 'FZ-TEA', quantity: qty, unitPriceFen: 12800, paidFen: 12800 * qty }],
    amounts: { goodsFen: 12800 * qty, paidFen: 12800 * qty },
    discounts: [],
  });
}

/** Posts a canonical order (202 expected) and returns its workflow id. */
export async function submitOrder(stack: TestStack, order: ReturnType<typeof makeOrder>): Promise<string> {
  const res = await post(stack, '/v1/orders', order);
  expect(res.status).toBe(202);
  return orderWorkflowId('taobao', order.shopId, order.platformOrderId);
}

/** The order's status in the read model. */
export async function orderStatusOf(stack: TestStack, id: string): Promise<string | undefined> {
  return (await get(stack, `/v1/orders/${encodeURIComponent(id)}`)).body.status as string | undefined;
}
