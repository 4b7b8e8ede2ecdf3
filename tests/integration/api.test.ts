import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { createDispatcher } from '../../ingest/dispatcher.js';
import { relayOnce } from '../../ingest/relay.js';
import { countUndispatched } from '../../db/inbox.repository.js';
import { orderWorkflowId } from '../../domain/order.js';
import { makeOrder } from '../helpers/orders.js';
import { freePort } from '../helpers/ports.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const statusOf = async (id: string) => {
  const r = await stack.app.inject({ method: 'GET', url: `/v1/orders/${encodeURIComponent(id)}` });
  return r.statusCode === 200 ? (r.json().status as string) : `http ${r.statusCode}`;
};

describe('bad input gets a clear 4xx', () => {
  it('rejects an invalid order with 400 and the zod issues', async () => {
    const order = makeOrder();
    const bad = { ...order, lines: [{ ...order.lines[0], quantity: 0, unitPriceFen: 12.5 }], receiver: { ...order.receiver, name: '' } };
    const res = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: bad });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('bad_request');
    const paths = body.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['/lines/0/quantity', '/lines/0/unitPriceFen', '/receiver/name']));
    expect(await stack.db.selectFrom('orders').select('id').where('platform_order_id', '=', order.platformOrderId).execute()).toHaveLength(0);
  });

  it('rejects amounts that do not add up', async () => {
    const order = makeOrder();
    const res = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: { ...order, amounts: { ...order.amounts, goodsFen: 1 } } });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json().issues)).toContain('goodsFen');
  });

  it('rejects local times: instants must be UTC', async () => {
    const res = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: makeOrder({ createdAt: '2026-11-11 00:00:03' }) });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toContain('UTC');
  });

  it('rejects malformed JSON with 400', async () => {
    const res = await stack.app.inject({ method: 'POST', url: '/v1/orders', headers: { 'content-type': 'application/json' }, payload: '{"platform": "taobao",' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/JSON/i);
  });

  it('answers 404 for unknown orders', async () => {
    const id = encodeURIComponent('order:taobao:nope:1');
    expect((await stack.app.inject({ method: 'GET', url: `/v1/orders/${id}` })).statusCode).toBe(404);
    const ev = await stack.app.inject({ method: 'POST', url: `/v1/orders/${id}/events`, payload: { type: 'paid' } });
    expect(ev.statusCode).toBe(404);
    expect(ev.json()).toMatchObject({ error: 'not_found' });
    expect((await stack.app.inject({ method: 'GET', url: `/v1/orders/${id}/state` })).statusCode).toBe(404);
  });

  it('rejects an unknown event type', async () => {
    const order = makeOrder();
    await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order });
    const id = encodeURIComponent(orderWorkflowId('taobao', order.shopId, order.platformOrderId));
    const res = await stack.app.inject({ method: 'POST', url: `/v1/orders/${id}/events`, payload: { type: 'teleported' } });
    expect(res.statusCode).toBe(400);
  });
});

describe('reading orders', () => {
  it('lists orders from PostgreSQL with filters and paging', async () => {
    const shopId = `shop-list-${Date.now()}`;
    for (let i = 0; i < 3; i++) await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: makeOrder({ shopId, platform: 'jd' }) });
    const page1 = await stack.app.inject({ method: 'GET', url: `/v1/orders?shopId=${shopId}&channel=jd&limit=2` });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().total).toBe(3);
    expect(page1.json().items).toHaveLength(2);
    const page2 = await stack.app.inject({ method: 'GET', url: `/v1/orders?shopId=${shopId}&limit=2&offset=2` });
    expect(page2.json().items).toHaveLength(1);
    const ids = [...page1.json().items, ...page2.json().items].map((o: { id: string }) => o.id);
    expect(new Set(ids).size).toBe(3);
    const none = await stack.app.inject({ method: 'GET', url: `/v1/orders?shopId=${shopId}&channel=pdd` });
    expect(none.json().total).toBe(0);
    const bad = await stack.app.inject({ method: 'GET', url: '/v1/orders?status=lost' });
    expect(bad.statusCode).toBe(400);
  });

  it('answers health, readiness and the OpenAPI document', async () => {
    expect((await stack.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await stack.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', postgres: { ok: true }, temporal: { ok: true } });
    const doc = (await stack.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/orders', '/v1/orders/{id}', '/v1/orders/{id}/events', '/readyz']));
    expect(doc.paths['/v1/orders'].post.requestBody.content['application/json'].schema.required).toContain('platformOrderId');
  });
});

describe('Temporal unreachable', () => {
  it('keeps the order, says it is queued, and the relay delivers it when Temporal is back', async () => {
    // This test drives the relay round by round.
    await stack.stopRelay();
    // An API whose Temporal is down: nothing listens on this port.
    const deadPort = await freePort();
    const deadClient = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${deadPort}` }) });
    const deadDispatcher = createDispatcher({ client: deadClient, taskQueue: stack.taskQueue, paymentTimeoutMs: 3_600_000, timeoutMs: 1000 });
    const downApp = stack.authorize(await buildApp({ services: { config: stack.config, db: stack.db, temporal: deadClient, dispatcher: deadDispatcher, logger: stack.logger } }));
    try {
      const order = makeOrder();
      const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
      const res = await downApp.inject({ method: 'POST', url: '/v1/orders', payload: order });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ status: 'queued', queued: true });
      expect(res.json().message).toMatch(/queued/);
      const paid = await downApp.inject({ method: 'POST', url: `/v1/orders/${encodeURIComponent(id)}/events`, payload: { type: 'paid' } });
      expect(paid.json()).toMatchObject({ status: 'queued' });

      expect(await statusOf(id)).toBe('received');
      const ready = await downApp.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().temporal.ok).toBe(false);
      const pending = await stack.db.selectFrom('channel_events').select(['dispatched_at', 'dispatch_attempts', 'last_error']).where('order_id', '=', id).execute();
      expect(pending).toHaveLength(2);
      for (const p of pending) {
        expect(p.dispatched_at).toBeNull();
        expect(p.dispatch_attempts).toBe(1);
        expect(p.last_error).toBeTruthy();
      }

      // Temporal is back (the good dispatcher): one relay round delivers both events, in order.
      expect(await countUndispatched(stack.db)).toBeGreaterThanOrEqual(2);
      const r = await relayOnce({ db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, cipher: stack.cipher });
      expect(r.dispatched).toBeGreaterThanOrEqual(2);
      expect(await countUndispatched(stack.db)).toBe(0);
      await eventually(() => statusOf(id), (s) => s === 'released', 20_000, 'released after relay');

      // A second relay round has nothing to do.
      expect(await relayOnce({ db: stack.db, dispatcher: stack.dispatcher, logger: stack.logger, cipher: stack.cipher })).toEqual({ dispatched: 0, failed: 0 });
    } finally {
      await downApp.close();
      await deadClient.connection.close();
      stack.startRelay();
    }
  });
});
