import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import type { PlatformSimulator, SimShop } from '../../channels/simulator/server.js';
import type { SimPlatform } from '../../channels/simulator/generator.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';

let n = 0;

/** Connects a shop through the API and registers the same credentials on the simulator. */
export async function connectShop(
  app: FastifyInstance,
  sim: PlatformSimulator,
  platform: SimPlatform,
  extra: Record<string, unknown> = {},
): Promise<SimShop> {
  n++;
  const shop: SimShop = { platform, shopId: `${platform}-s${n}-${Date.now() % 100000}`, appKey: `${platform}key${n}${Date.now() % 1000}`, appSecret: `secret-${platform}-${n}` };
  const res = await app.inject({
    method: 'POST',
    url: '/v1/shops',
    payload: { id: shop.shopId, platform, name: `${platform} test shop`, credentials: { appKey: shop.appKey, appSecret: shop.appSecret }, apiBaseUrl: sim.baseUrl(platform), ...extra },
  });
  expect(res.statusCode, res.body).toBe(201);
  return sim.addShop(shop);
}

/** One test stack and one running simulator for the whole file; `set` receives the stack once it is up. */
export function withSimulatorStack(sim: PlatformSimulator, set: (stack: TestStack) => void, overrides: Record<string, string> = {}, opts: { relay?: boolean } = {}): void {
  let stack: TestStack | undefined;
  beforeAll(async () => {
    stack = await createTestStack(overrides, opts);
    set(stack);
    await sim.start();
  });
  afterAll(async () => {
    await sim.stop();
    await stack?.close();
  });
}
