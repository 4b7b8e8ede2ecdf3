import { describe, expect, it } from 'vitest';
import { channelContext } from '../../api/channels/context.js';
import { createDetailResolver } from '../../ingest/detail-resolver.js';
import type { Dispatcher } from '../../ingest/dispatcher.js';
import { backlogAdmission, startRelay } from '../../ingest/relay.js';
import { PlatformSimulator, type SimShop } from '../../channels/simulator/server.js';
import { claimUndispatched, releaseClaims } from '../../db/inbox.repository.js';
import { orderWorkflowId } from '../../domain/order.js';
import { makeOrder } from '../helpers/orders.js';
import { eventually, type TestStack } from '../helpers/stack.js';
import { connectShop, withSimulatorStack } from './channels-helpers.js';

// Claims keep relays (and requests delivering their own rows) apart. This file runs no relay of its own.
let stack: TestStack;
const sim = new PlatformSimulator({ seed: 23, presaleRate: 0, unpaidRate: 0 });
withSimulatorStack(sim, (s) => (stack = s), {}, { relay: false });

async function push(shop: SimShop, kind: 'created' | 'paid', o = sim.createOrder(shop)) {
  const req = sim.pushRequest(shop, o, kind);
  const res = await stack.app.inject({ method: 'POST', url: `/webhooks/douyin/${shop.shopId}`, payload: req.body, headers: req.headers });
  expect(res.statusCode).toBe(200);
  return o;
}
/** Takes a test's rows out of the inbox's way (as if delivered), so the next test's claims see only its own. */
const settle = (shopId: string) => stack.db.updateTable('channel_events').set({ dispatched_at: new Date(), claimed_until: null }).where('shop_id', '=', shopId).execute();
const rowsOf = (shopId: string) => stack.db.selectFrom('channel_events').select(['id', 'order_id', 'event_type', 'dispatched_at', 'claimed_until']).where('shop_id', '=', shopId).orderBy('id').execute();

describe('inbox claims', () => {
  it('gives a row to one claimant until its claim is released or expires', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    await push(shop, 'created');
    await push(shop, 'created');
    const mine = (await claimUndispatched(stack.db, 1000, 30_000)).filter((r) => r.shop_id === shop.shopId);
    expect(mine).toHaveLength(2);
    // Held: nobody else gets them.
    expect((await claimUndispatched(stack.db, 1000, 30_000)).filter((r) => r.shop_id === shop.shopId)).toHaveLength(0);
    // Given back: claimable again.
    await releaseClaims(stack.db, [mine[0]!.id]);
    expect((await claimUndispatched(stack.db, 1000, 30_000)).map((r) => r.id)).toEqual([mine[0]!.id]);
    // Expired (the holder died): claimable again.
    await stack.db.updateTable('channel_events').set({ claimed_until: new Date(Date.now() - 1000) }).where('id', '=', mine[1]!.id).execute();
    expect((await claimUndispatched(stack.db, 1000, 30_000)).map((r) => r.id)).toEqual([mine[1]!.id]);
    await settle(shop.shopId);
  });

  it('does not hand out an order\'s later event while its earlier one is held', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    const o = await push(shop, 'created');
    await push(shop, 'paid', o);
    const [created, paid] = await rowsOf(shop.shopId);
    // Somebody holds the creation: the payment waits behind it.
    const first = await claimUndispatched(stack.db, 1, 30_000);
    expect(first.map((r) => r.id)).toEqual([created!.id]);
    expect((await claimUndispatched(stack.db, 1000, 30_000)).map((r) => r.id)).not.toContain(paid!.id);
    // Both free: one claimant gets both, in order.
    await releaseClaims(stack.db, [created!.id]);
    const both = (await claimUndispatched(stack.db, 1000, 30_000)).filter((r) => r.shop_id === shop.shopId);
    expect(both.map((r) => r.id)).toEqual([created!.id, paid!.id]);
    await releaseClaims(stack.db, both.map((r) => r.id));
    expect((await claimUndispatched(stack.db, 1000, 30_000)).map((r) => r.id)).toEqual([created!.id, paid!.id]);
    await settle(shop.shopId);
  });

  it("takes shops in turns, so one shop's flood does not queue another shop's orders behind it", async () => {
    const flood = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    const quiet = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    for (let i = 0; i < 12; i++) await push(flood, 'created');
    await push(quiet, 'created');
    await push(quiet, 'created');
    const ours = new Set([flood.shopId, quiet.shopId]);
    // Other tests' rows are settled: a claim of 6 is the first 6 of ours, in turns (flood, quiet, flood, quiet, ...).
    const claimed = (await claimUndispatched(stack.db, 6, 30_000)).filter((r) => ours.has(r.shop_id));
    expect(claimed).toHaveLength(6);
    expect(claimed.filter((r) => r.shop_id === quiet.shopId)).toHaveLength(2);
    const floodRows = (await rowsOf(flood.shopId)).map((r) => r.id);
    // The flood's part is its oldest four rows, and the claim hands them out in turns, the quiet shop's second.
    expect(claimed.filter((r) => r.shop_id === flood.shopId).map((r) => r.id)).toEqual(floodRows.slice(0, 4));
    expect(claimed.map((r) => (r.shop_id === quiet.shopId ? 'quiet' : 'flood'))).toEqual(['flood', 'quiet', 'flood', 'quiet', 'flood', 'flood']);
    await settle(flood.shopId);
    await settle(quiet.shopId);
  });

  it('lets a request that delivers its own row hold it against the relays', async () => {
    const order = makeOrder();
    const res = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order });
    expect(res.statusCode).toBe(202);
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    const row = await stack.db.selectFrom('channel_events').select(['dispatched_at', 'claimed_until']).where('order_id', '=', id).executeTakeFirstOrThrow();
    expect(row.dispatched_at).not.toBeNull();
    expect(row.claimed_until).toBeNull();
  });
});

describe('several relays at once', () => {
  it('deliver every push exactly once, each order\'s events in order', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    const orders = [];
    for (let i = 0; i < 15; i++) {
      const o = await push(shop, 'created');
      await push(shop, 'paid', o);
      orders.push(o);
    }
    const seen = new Map<string, string[]>();
    const counting: Dispatcher = {
      async dispatch(orderId, event) {
        seen.set(orderId, [...(seen.get(orderId) ?? []), event.type]);
        return stack.dispatcher.dispatch(orderId, event);
      },
    };
    const resolve = createDetailResolver(channelContext(stack.app.services).shops);
    const relays = [1, 2, 3].map(() => startRelay({ db: stack.db, dispatcher: counting, logger: stack.logger, cipher: stack.cipher, resolve }, { concurrency: 4, intervalMs: 100, listenUrl: stack.databaseUrl }));
    try {
      await eventually(async () => (await rowsOf(shop.shopId)).filter((r) => r.dispatched_at === null).length, (n) => n === 0, 30_000, 'every row delivered');
    } finally {
      for (const r of relays) await r.stop();
    }
    for (const o of orders) {
      expect(seen.get(orderWorkflowId('douyin', shop.shopId, o.id))).toEqual(['created', 'paid']);
    }
  });
});

describe('admission', () => {
  it('holds new deliveries back while admission says no, and delivers them once it says yes', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    for (let i = 0; i < 3; i++) await push(shop, 'created');
    let open = false;
    let asked = 0;
    const resolve = createDetailResolver(channelContext(stack.app.services).shops);
    const relay = startRelay(
      { db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, cipher: stack.cipher, resolve },
      {
        concurrency: 4,
        intervalMs: 100,
        admitWaitMs: 50,
        admit: async () => {
          asked++;
          return open;
        },
      },
    );
    try {
      await eventually(async () => asked, (n) => n >= 5, 10_000, 'admission asked again and again');
      // Held back: nothing claimed, nothing delivered.
      expect((await rowsOf(shop.shopId)).every((r) => r.dispatched_at === null && r.claimed_until === null)).toBe(true);
      open = true;
      await eventually(async () => (await rowsOf(shop.shopId)).filter((r) => r.dispatched_at === null).length, (n) => n === 0, 30_000, 'every row delivered once admitted');
    } finally {
      await relay.stop();
    }
  });

  it("reads the orders' workflow task backlog from Temporal", async () => {
    // Nobody polls this queue: each started workflow leaves its first workflow task waiting.
    const queue = `admission-${Date.now()}`;
    for (let i = 0; i < 3; i++) await stack.client.workflow.start('orderWorkflow', { workflowId: `${queue}-${i}`, taskQueue: queue, args: [{ orderId: `${queue}-${i}`, paymentTimeoutMs: 60_000 }] });
    // The count is approximate and updated asynchronously: asked until it shows.
    await eventually(async () => backlogAdmission(stack.client, stack.config.TEMPORAL_NAMESPACE, queue, 2)(), (admitted) => admitted === false, 30_000, 'a backlog of 3 closes admission at 2');
    expect(await backlogAdmission(stack.client, stack.config.TEMPORAL_NAMESPACE, queue, 100)()).toBe(true);
    for (let i = 0; i < 3; i++) await stack.client.workflow.getHandle(`${queue}-${i}`).terminate('test done');
  });
});
