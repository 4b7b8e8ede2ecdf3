import { describe, expect, it } from 'vitest';
import { channelContext } from '../../api/channels/context.js';
import { createDetailResolver } from '../../ingest/detail-resolver.js';
import type { Dispatcher } from '../../ingest/dispatcher.js';
import { startRelay } from '../../ingest/relay.js';
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
