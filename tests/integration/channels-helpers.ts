import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { PlatformSimulator, SimShop } from '../../channels/simulator/server.js';
import type { SimPlatform } from '../../channels/simulator/generator.js';

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
