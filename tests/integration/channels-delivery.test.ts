import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { channelContext } from '../../api/channels/context.js';
import { openInboxPayload } from '../../db/inbox.repository.js';
import { createDetailResolver } from '../../ingest/detail-resolver.js';
import { relayOnce, startRelay } from '../../ingest/relay.js';
import type { InboxResolver } from '../../ingest/ingest.js';
import { PlatformSimulator } from '../../channels/simulator/server.js';
import { orderWorkflowId } from '../../domain/order.js';
import { eventually, type TestStack } from '../helpers/stack.js';
import { connectShop, withSimulatorStack } from './channels-helpers.js';

// Pushes are acknowledged once stored; the inbox relay delivers them to Temporal after. This file runs no
// relay of its own, so nothing is delivered until a test drives one: round by round, or running.
let stack: TestStack;
const sim = new PlatformSimulator({ seed: 11, presaleRate: 0, unpaidRate: 0 });

withSimulatorStack(sim, (s) => (stack = s), {}, { relay: false });

describe('push delivery after the acknowledgement', () => {
  it('acknowledges stored pushes before any delivery, and a relay round delivers them', async () => {
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
      // Stored as received (sealed): the order's detail has not been read from the platform yet.
      expect(openInboxPayload(stack.cipher, row.payload)).toMatchObject({ pending: 'detail' });
    }
    expect(await stack.db.selectFrom('orders').select('id').where('shop_id', '=', shop.shopId).execute()).toHaveLength(0);

    const resolve = createDetailResolver(channelContext(stack.app.services).shops);
    const r = await relayOnce({ db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, cipher: stack.cipher, resolve });
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
    const idle = await relayOnce({ db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, cipher: stack.cipher });
    expect(idle.dispatched).toBe(0);
    const row = await stack.db.selectFrom('channel_events').select(['dispatched_at']).where('shop_id', '=', shop.shopId).executeTakeFirstOrThrow();
    expect(row.dispatched_at).toBeNull();
  });
});

describe('the running relay', () => {
  it('is woken by the notification a stored push sends, not by its poll', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    // Nothing pending, then a poll interval far longer than the test: only a notification can wake it.
    await relayOnce({ db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, cipher: stack.cipher, resolve: createDetailResolver(channelContext(stack.app.services).shops) }, { limit: 1000 });
    const relay = startRelay(
      { db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, cipher: stack.cipher, resolve: createDetailResolver(channelContext(stack.app.services).shops) },
      { concurrency: 4, intervalMs: 600_000, listenUrl: stack.databaseUrl },
    );
    try {
      // Let it listen and find the inbox empty.
      await eventually(async () => relay.active, (n) => n === 0, 5_000, 'relay idle');
      await new Promise((r) => setTimeout(r, 500));
      const orders = Array.from({ length: 3 }, () => sim.createOrder(shop));
      for (const o of orders) {
        const req = sim.pushRequest(shop, o, 'created');
        const res = await stack.app.inject({ method: 'POST', url: `/webhooks/douyin/${shop.shopId}`, payload: req.body, headers: req.headers });
        expect(res.statusCode).toBe(200);
      }
      const delivered = async () => (await stack.db.selectFrom('channel_events').select('dispatched_at').where('shop_id', '=', shop.shopId).execute()).filter((r) => r.dispatched_at).length;
      await eventually(delivered, (n) => n === 3, 15_000, 'pushes delivered by the notified relay');

      // Its listening connection dies (a database restart, a DBA): it listens again, and is woken again.
      const listeners = async () =>
        (await sql<{ pid: number }>`select pid from pg_stat_activity where application_name = 'orderly-relay' and datname = current_database()`.execute(stack.db)).rows.map((r) => r.pid);
      const [before] = await listeners();
      expect(before).toBeDefined();
      await sql`select pg_terminate_backend(${before})`.execute(stack.db);
      await eventually(listeners, (pids) => pids.length === 1 && pids[0] !== before, 15_000, 'a new listening connection');
      const late = sim.createOrder(shop);
      const req = sim.pushRequest(shop, late, 'created');
      expect((await stack.app.inject({ method: 'POST', url: `/webhooks/douyin/${shop.shopId}`, payload: req.body, headers: req.headers })).statusCode).toBe(200);
      await eventually(delivered, (n) => n === 4, 15_000, 'a push delivered after the reconnection');
    } finally {
      await relay.stop();
    }
  });

  it('retries a push whose detail cannot be read later, and keeps that order\'s next event behind it', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    const o = sim.createOrder(shop);
    for (const kind of ['created', 'paid'] as const) {
      const req = sim.pushRequest(shop, o, kind);
      const res = await stack.app.inject({ method: 'POST', url: `/webhooks/douyin/${shop.shopId}`, payload: req.body, headers: req.headers });
      expect(res.statusCode).toBe(200);
    }
    const failing: InboxResolver = () => Promise.reject(new Error('platform answered 502'));
    const r = await relayOnce({ db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, cipher: stack.cipher, resolve: failing }, { limit: 1000 });
    expect(r).toEqual({ dispatched: 0, failed: 1 });
    const rows = await stack.db
      .selectFrom('channel_events')
      .select(['event_type', 'dispatched_at', 'dispatch_attempts', 'last_error', 'claimed_until'])
      .where('shop_id', '=', shop.shopId)
      .orderBy('id')
      .execute();
    expect(rows.map((x) => [x.event_type, x.dispatched_at, x.dispatch_attempts])).toEqual([
      ['created', null, 1],
      ['paid', null, 0],
    ]);
    expect(rows[0]!.last_error).toMatch(/502/);
    // Backed off: the next round leaves both alone (the paid event must not overtake its order's creation).
    expect(rows[0]!.claimed_until!.getTime()).toBeGreaterThan(Date.now());
    const again = await relayOnce({ db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, cipher: stack.cipher, resolve: createDetailResolver(channelContext(stack.app.services).shops) }, { limit: 1000 });
    expect(again).toEqual({ dispatched: 0, failed: 0 });
    // Once the back-off is over, both go, in order.
    await stack.db.updateTable('channel_events').set({ claimed_until: null }).where('shop_id', '=', shop.shopId).execute();
    const later = await relayOnce({ db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, cipher: stack.cipher, resolve: createDetailResolver(channelContext(stack.app.services).shops) }, { limit: 1000 });
    expect(later).toEqual({ dispatched: 2, failed: 0 });
    const id = orderWorkflowId('douyin', shop.shopId, o.id);
    await eventually(async () => (await stack.db.selectFrom('orders').select('status').where('id', '=', id).executeTakeFirst())?.status, (s) => s !== undefined && s !== 'received' && s !== 'awaiting_payment', 20_000, `${id} paid`);
  });
});
