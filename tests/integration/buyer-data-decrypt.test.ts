import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createBuyerDataActivities, type DecryptReceiversInput } from '../../activities/buyer-data-activities.js';
import { masterKeyFrom } from '../../channels/credentials.js';
import { decryptApis, openReceiver } from '../../channels/decrypt.js';
import { fetchPlatformOrder, looseOrder } from '../../channels/orders.js';
import { PlatformSimulator, type SimShop } from '../../channels/simulator/server.js';
import type { SimOrder, SimPlatform } from '../../channels/simulator/generator.js';
import { listDecryptAudit } from '../../db/buyer-data.repository.js';
import { checkCompleteness } from '../../domain/completeness.js';
import type { CanonicalOrder } from '../../domain/order.js';
import type { TestStack } from '../helpers/stack.js';
import { connectShop, withSimulatorStack } from './channels-helpers.js';

let stack: TestStack;
const sim = new PlatformSimulator({ seed: 23, presaleRate: 0, unpaidRate: 0 });
// A real master key for this file, not the development one.
withSimulatorStack(sim, (s) => (stack = s), { ORDERLY_MASTER_KEY: randomBytes(32).toString('base64') });

const activities = (rate?: number, clock?: { t: number; slept: number[] }) =>
  createBuyerDataActivities(
    { db: stack.db, config: { ...stack.config, ...(rate ? { BUYER_DECRYPT_CALLS_PER_SECOND: rate } : {}) }, logger: stack.logger, temporal: stack.client },
    clock
      ? {
          now: () => clock.t,
          sleep: async (ms) => {
            clock.slept.push(ms);
            clock.t += ms;
          },
        }
      : {},
  );

/** Orders created on the simulated platform and read back through the connector, as Orderly holds them. */
async function ordersOn(platform: SimPlatform, n: number): Promise<{ shop: SimShop; sim: SimOrder[]; mapped: CanonicalOrder[] }> {
  const shop = await connectShop(stack.app, sim, platform, platform === 'jd' ? { pullIntervalSeconds: 3600 } : { syncMode: 'push' });
  const simOrders = Array.from({ length: n }, () => sim.createOrder(shop));
  const credentials = { appKey: shop.appKey, appSecret: shop.appSecret, baseUrl: sim.baseUrl(platform) };
  const mapped = await Promise.all(simOrders.map(async (o) => looseOrder(await fetchPlatformOrder(platform, credentials, shop.shopId, o.id))));
  return { shop, sim: simOrders, mapped };
}

function request(shop: SimShop, orders: CanonicalOrder[]): DecryptReceiversInput {
  return { shopId: shop.shopId, purpose: 'warehouse_handoff', requestedBy: 'test:buyer-data', orders: orders.map((o) => ({ platformOrderId: o.platformOrderId, receiver: o.receiver })) };
}

const EXPECTED_CALLS: Record<SimPlatform, { orders: number; calls: number; items: number }> = {
  // Three ciphertexts an order: 60 x 3 = 180 in calls of 50.
  douyin: { orders: 60, calls: 4, items: 180 },
  // 40 x 3 = 120 in calls of 100.
  pdd: { orders: 40, calls: 2, items: 120 },
  // One oaid an order, 20 a call.
  taobao: { orders: 25, calls: 2, items: 25 },
  jd: { orders: 3, calls: 1, items: 3 },
};

describe.each(['douyin', 'pdd', 'taobao', 'jd'] as const)('decryptReceivers on %s', (platform) => {
  it('decrypts in batches, returns only sealed receivers that open to the platform’s plaintext, and audits every call', async () => {
    const want = EXPECTED_CALLS[platform];
    const { shop, sim: simOrders, mapped } = await ordersOn(platform, want.orders);
    // What Orderly holds is masked or encrypted, and complete.
    for (const [i, o] of mapped.entries()) {
      expect(JSON.stringify(o)).not.toContain(simOrders[i]!.plain.phone);
      expect(checkCompleteness(o).filter((x) => x.severity === 'blocking')).toEqual([]);
      expect(o.buyerKey).not.toBe('');
    }
    const before = sim.calls.get(decryptApis[platform].rules.method) ?? 0;

    const result = await activities().decryptReceivers(request(shop, mapped));

    expect(result.calls).toBe(want.calls);
    expect((sim.calls.get(decryptApis[platform].rules.method) ?? 0) - before).toBe(want.calls);
    const serialised = JSON.stringify(result);
    const key = masterKeyFrom(stack.config).key;
    for (const [i, r] of result.receivers.entries()) {
      const plain = simOrders[i]!.plain;
      expect(r.platformOrderId).toBe(simOrders[i]!.id);
      expect(r.errors).toEqual([]);
      expect(r.fields).toEqual(expect.arrayContaining(['name', 'phone', 'detail']));
      for (const v of [plain.name, plain.phone, plain.detail]) expect(serialised).not.toContain(v);
      expect(openReceiver(r.sealed!, key, shop.shopId, r.platformOrderId)).toMatchObject({ name: plain.name, phone: plain.phone, detail: plain.detail });
    }

    const audit = await listDecryptAudit(stack.db, shop.shopId);
    expect(audit).toHaveLength(want.calls);
    for (const row of audit) {
      expect(row).toMatchObject({ platform, method: decryptApis[platform].rules.method, purpose: 'warehouse_handoff', requested_by: 'test:buyer-data', outcome: 'ok', failed: 0, error: null, caller: null });
      expect(row.decrypted).toBe(row.items);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.items).toBeLessThanOrEqual(decryptApis[platform].rules.maxBatch);
    }
    expect(audit.reduce((s, r) => s + r.items, 0)).toBe(want.items);
    expect(new Set(audit.flatMap((r) => r.order_ids))).toEqual(new Set(simOrders.map((o) => o.id)));
    // The audit holds counts and ids only: no plaintext, no ciphertext.
    const auditText = JSON.stringify(audit);
    for (const o of simOrders) for (const v of [o.plain.name, o.plain.phone, o.plain.detail]) expect(auditText).not.toContain(v);
    for (const o of mapped) for (const c of Object.values(o.receiver.encrypted ?? {})) expect(auditText).not.toContain(c);
  });
});

describe('decryptReceivers: pace, partial answers and failures', () => {
  it('paces calls per shop at the configured rate', async () => {
    const { shop, mapped } = await ordersOn('douyin', 60);
    const clock = { t: 1_000_000, slept: [] as number[] };
    const result = await activities(2, clock).decryptReceivers(request(shop, mapped));
    expect(result.calls).toBe(4);
    // Two calls a second, a burst of two: the third and fourth call wait half a second each.
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(clock.t - 1_000_000).toBe(1000);
  });

  it('reports values the platform would not decrypt per order, and audits the call as partial', async () => {
    const { shop, mapped } = await ordersOn('pdd', 3);
    const other = await ordersOn('pdd', 1);
    const foreign = other.mapped[0]!;
    // A ciphertext of another shop's order under this order's sn, and an order with nothing to decrypt.
    const input = request(shop, mapped);
    input.orders = [
      ...input.orders,
      { platformOrderId: mapped[0]!.platformOrderId, receiver: { encrypted: { phone: foreign.receiver.encrypted!.phone! } } },
      { platformOrderId: 'no-cipher', receiver: {} },
    ];
    const result = await activities().decryptReceivers(input);
    const first = result.receivers.filter((r) => r.platformOrderId === mapped[0]!.platformOrderId);
    expect(first[0]!.errors).toEqual([expect.stringMatching(/^phone: 70031/)]);
    expect(first[0]!.sealed).not.toBeNull();
    expect(result.receivers.at(-1)).toEqual({ platformOrderId: 'no-cipher', sealed: null, fields: [], errors: ['nothing to decrypt: the order carries no ciphertext'] });
    const [row] = await listDecryptAudit(stack.db, shop.shopId);
    expect(row).toMatchObject({ outcome: 'partial', items: 10, decrypted: 9, failed: 1 });
  });

  it('audits a call that failed and lets Temporal retry a platform outage', async () => {
    const { shop, mapped } = await ordersOn('taobao', 2);
    sim.failNext(1, 503);
    await expect(activities().decryptReceivers(request(shop, mapped))).rejects.toThrow(/HTTP 503/);
    const [row] = await listDecryptAudit(stack.db, shop.shopId);
    expect(row).toMatchObject({ outcome: 'failed', items: 2, decrypted: 0, failed: 2, error: expect.stringMatching(/503/) });
    // The retry goes through and is audited as a call of its own.
    const again = await activities().decryptReceivers(request(shop, mapped));
    expect(again.receivers.every((r) => r.sealed !== null)).toBe(true);
    expect((await listDecryptAudit(stack.db, shop.shopId)).map((r) => r.outcome)).toEqual(['ok', 'failed']);
  });

  it('refuses without a purpose, or for an unknown shop, for good', async () => {
    const { shop, mapped } = await ordersOn('jd', 1);
    await expect(activities().decryptReceivers({ ...request(shop, mapped), purpose: ' ' })).rejects.toBeInstanceOf(ApplicationFailure);
    const unknown = activities().decryptReceivers({ ...request(shop, mapped), shopId: 'no-such-shop' });
    await expect(unknown).rejects.toMatchObject({ type: 'ShopNotFound', nonRetryable: true });
    expect(await listDecryptAudit(stack.db, shop.shopId)).toEqual([]);
  });
});
