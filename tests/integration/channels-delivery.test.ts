import { describe, expect, it } from 'vitest';
import { channelContext } from '../../api/channels/context.js';
import { createDetailResolver } from '../../api/channels/inbox-resolver.js';
import { relayOnce } from '../../api/ingest/relay.js';
import { PlatformSimulator } from '../../channels/simulator/server.js';
import { orderWorkflowId } from '../../domain/order.js';
import { eventually, type TestStack } from '../helpers/stack.js';
import { connectShop, withSimulatorStack } from './channels-helpers.js';

// Pushes are acknowledged once stored; delivery to Temporal comes after. With no room in the delivery
// queue (DELIVERY_QUEUE_LIMIT=0) nothing is delivered at once, and the relay, which reads the order detail
// itself, delivers everything.
let stack: TestStack;
const sim = new PlatformSimulator({ seed: 11, presaleRate: 0, unpaidRate: 0 });

withSimulatorStack(sim, (s) => (stack = s), { DELIVERY_QUEUE_LIMIT: '0' });

describe('push delivery after the acknowledgement', () => {
  it('acknowledges stored pushes even when the delivery queue is full, and the relay delivers them', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    const orders = Array.from({ length: 4 }, () => sim.createOrder(shop));
    for (const o of orders) {
      const req = sim.pushRequest(shop, o, 'created');
      const res = await stack.app.inject({ method: 'POST', url: `/webhooks/douyin/${shop.shopId}`, payload: req.body, headers: req.headers });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ code: 0, msg: 'success' });
    }
    const stored = await stack.db.selectFrom('channel_events').select(['dispatched_at', 'payload']).where('shop_id', '=', shop.shopId).execute();
    expect(stored).toHaveLength(4);
    for (const row of stored) {
      expect(row.dispatched_at).toBeNull();
      // Stored as received: the order's detail has not been read from the platform yet.
      expect(row.payload).toMatchObject({ pending: 'detail' });
    }
    expect(await stack.db.selectFrom('orders').select('id').where('shop_id', '=', shop.shopId).execute()).toHaveLength(0);

    const resolve = createDetailResolver(channelContext(stack.app.services).shops);
    const r = await relayOnce({ db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, resolve }, { minAgeMs: 0 });
    expect(r).toEqual({ dispatched: 4, failed: 0 });
    for (const o of orders) {
      const id = orderWorkflowId('douyin', shop.shopId, o.id);
      await eventually(async () => (await stack.db.selectFrom('orders').select('status').where('id', '=', id).executeTakeFirst())?.status, (s) => s !== undefined && s !== 'received', 20_000, `${id} applied`);
    }
    const after = await stack.db.selectFrom('channel_events').select(['dispatched_at', 'event_type']).where('shop_id', '=', shop.shopId).execute();
    expect(after.every((x) => x.dispatched_at !== null && x.event_type === 'created')).toBe(true);
  });

  it('leaves a pending push untouched when the relay cannot read order details, acknowledged all the same', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    const o = sim.createOrder(shop);
    const req = sim.pushRequest(shop, o, 'created');
    const res = await stack.app.inject({ method: 'POST', url: `/webhooks/douyin/${shop.shopId}`, payload: req.body, headers: req.headers });
    expect(res.statusCode).toBe(200);
    // A relay without a detail reader leaves the row as it is: nothing is lost, nothing applied half-read.
    const idle = await relayOnce({ db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger }, { minAgeMs: 0 });
    expect(idle.dispatched).toBe(0);
    const row = await stack.db.selectFrom('channel_events').select(['dispatched_at']).where('shop_id', '=', shop.shopId).executeTakeFirstOrThrow();
    expect(row.dispatched_at).toBeNull();
  });
});
