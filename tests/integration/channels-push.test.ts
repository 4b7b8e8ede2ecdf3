import { Client, Connection } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../ingest/dispatcher.js';
import { PlatformSimulator, type SimShop } from '../../channels/simulator/server.js';
import type { SimOrder } from '../../channels/simulator/generator.js';
import { orderWorkflowId } from '../../domain/order.js';
import { freePort } from '../helpers/ports.js';
import { eventually, type TestStack } from '../helpers/stack.js';
import { connectShop, withSimulatorStack } from './channels-helpers.js';

let stack: TestStack;
const sim = new PlatformSimulator({ seed: 7, presaleRate: 0, unpaidRate: 0 });

withSimulatorStack(sim, (s) => (stack = s));

async function inject(shop: SimShop, body: string, headers: Record<string, string>) {
  return stack.app.inject({ method: 'POST', url: `/webhooks/${shop.platform}/${shop.shopId}`, payload: body, headers });
}

async function inboxRows(shopId: string) {
  return stack.db.selectFrom('channel_events').selectAll().where('shop_id', '=', shopId).execute();
}

const orderIdOf = (shop: SimShop, o: SimOrder) => orderWorkflowId(shop.platform, shop.shopId, o.id);

async function workflowApplied(id: string): Promise<string[]> {
  try {
    const s = await stack.client.workflow.getHandle(id).query(stateQuery);
    return s.appliedEventIds;
  } catch {
    return [];
  }
}

describe.each(['taobao', 'douyin', 'pdd'] as const)('push from %s', (platform) => {
  let shop: SimShop;
  beforeAll(async () => {
    shop = await connectShop(stack.app, sim, platform, { syncMode: 'push' });
  });

  it('refuses a wrong signature with 401 and processes nothing', async () => {
    const o = sim.createOrder(shop);
    const req = sim.pushRequest(shop, o, 'created');
    const wrong: Record<string, string> = platform === 'taobao' ? { 'x-tmc-sign': 'F'.repeat(32) } : platform === 'pdd' ? { 'x-pdd-sign': 'F'.repeat(32) } : { 'event-sign': 'f'.repeat(32) };
    const res = await inject(shop, req.body, { ...req.headers, ...wrong });
    expect(res.statusCode).toBe(401);
    // A signature over a different body is as wrong as a forged one.
    const res2 = await inject(shop, req.body.replace(o.id, o.id.slice(0, -1) + (o.id.endsWith('1') ? '2' : '1')), req.headers);
    expect(res2.statusCode).toBe(401);
    expect((await inboxRows(shop.shopId)).filter((r) => r.order_id === orderIdOf(shop, o))).toHaveLength(0);
    await expect(stack.client.workflow.getHandle(orderIdOf(shop, o)).describe()).rejects.toThrow();
  });

  it("answers a malformed body with the platform's success, so it is not redelivered, and keeps the raw body in the inbox", async () => {
    const body = platform === 'douyin' ? '[{"tag":"100","msg_id":"m1","data":"{\\"p_id\\": 12' : '{"id": 1234, "topic": ';
    const sim2 = sim.pushRequest(shop, sim.createOrder(shop), 'created');
    // Signed properly: the platform really sent these bytes.
    const headers = { ...sim2.headers };
    const signed = resign(shop, body, headers);
    const res = await inject(shop, body, signed);
    expect(res.statusCode).toBe(200);
    if (platform === 'douyin') expect(JSON.parse(res.body)).toEqual({ code: 0, msg: 'success' });
    if (platform === 'taobao') expect(JSON.parse(res.body)).toEqual({ success: true });
    // PDD acknowledges by frame id: the body names none it could read.
    if (platform === 'pdd') expect(JSON.parse(res.body)).toEqual([]);
    const kept = (await inboxRows(shop.shopId)).filter((r) => r.event_type === 'malformed');
    expect(kept).toHaveLength(1);
    // Stored sealed (it may hold buyer data); an admin reads it back byte for byte.
    expect(kept[0]!.raw_body).toMatch(/^enc:v1:/);
    expect(kept[0]!.payload).toBeNull();
    const read = await stack.app.inject({ method: 'GET', url: `/v1/inbox/${kept[0]!.id}` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ eventType: 'malformed', rawBody: body, payload: null });
  });

  it('turns one message delivered 5 times into one order, answering each delivery the platform way', async () => {
    const o = sim.createOrder(shop);
    const req = sim.pushRequest(shop, o, 'created');
    for (let i = 0; i < 5; i++) {
      const res = await inject(shop, req.body, req.headers);
      expect(res.statusCode).toBe(200);
      if (platform === 'douyin') expect(JSON.parse(res.body)).toEqual({ code: 0, msg: 'success' });
      if (platform === 'taobao') expect(JSON.parse(res.body)).toEqual({ success: true });
      // PDD's ack frame echoes the message id with every digit.
      if (platform === 'pdd') expect(res.body).toBe(`{"id":${req.messageId},"commandType":"Ack"}`);
    }
    const id = orderIdOf(shop, o);
    const rows = (await inboxRows(shop.shopId)).filter((r) => r.order_id === id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.message_id).toBe(req.messageId);
    // The order itself is read from the platform after the acknowledgement, then recorded once.
    const orders = await eventually(() => stack.db.selectFrom('orders').select(['id', 'paid_fen']).where('id', '=', id).execute(), (r) => r.length > 0, 20_000, 'order recorded');
    expect(orders).toEqual([{ id, paid_fen: o.paidFen }]);
    const applied = await eventually(() => workflowApplied(id), (ids) => ids.length > 0, 20_000, 'workflow applied the event');
    expect(applied).toEqual([`${platform}:${shop.shopId}:${req.messageId}`]);
  });
});

describe('Temporal down during pushes', () => {
  it('stores every pushed order and the relay delivers them all when Temporal is back', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin', { syncMode: 'push' });
    const deadClient = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
    const deadDispatcher = createDispatcher({ client: deadClient, taskQueue: stack.taskQueue, paymentTimeoutMs: 3_600_000, timeoutMs: 300 });
    // The relay's Temporal is down: it keeps trying and failing.
    await stack.stopRelay();
    stack.startRelay(deadDispatcher);
    try {
      const orders = Array.from({ length: 6 }, () => sim.createOrder(shop));
      for (const o of orders) {
        const req = sim.pushRequest(shop, o, 'created');
        const res = await stack.app.inject({ method: 'POST', url: `/webhooks/douyin/${shop.shopId}`, payload: req.body, headers: req.headers });
        // Durable in the inbox, so the platform is told success: it need not push again.
        expect(res.statusCode).toBe(200);
        expect(JSON.parse(res.body)).toEqual({ code: 0, msg: 'success' });
      }
      await eventually(async () => (await inboxRows(shop.shopId)).filter((r) => r.dispatch_attempts > 0).length, (n) => n > 0, 10_000, 'the relay tried Temporal');
      expect((await inboxRows(shop.shopId)).filter((r) => r.dispatched_at === null)).toHaveLength(6);

      // Temporal is back: the relay (which reads any detail still missing from the platform) delivers them.
      await stack.stopRelay();
      stack.startRelay();
      for (const o of orders) {
        const applied = await eventually(() => workflowApplied(orderIdOf(shop, o)), (ids) => ids.length === 1, 20_000, 'relayed order applied');
        expect(applied).toHaveLength(1);
      }
      await eventually(async () => (await inboxRows(shop.shopId)).filter((x) => x.dispatched_at === null).length, (n) => n === 0, 10_000, 'every row marked delivered');
    } finally {
      await stack.stopRelay();
      stack.startRelay();
      await deadClient.connection.close();
    }
  });
});

import { douyinEventSign } from '../../channels/douyin/index.js';
import { pddPushSignature } from '../../channels/pdd/index.js';
import { taobaoPushSignature } from '../../channels/taobao/index.js';
import { stateQuery } from '../../workflows/order.messages.js';

function resign(shop: SimShop, body: string, headers: Record<string, string>): Record<string, string> {
  if (shop.platform === 'taobao') return { ...headers, 'x-tmc-sign': taobaoPushSignature(body, shop.appSecret) };
  if (shop.platform === 'pdd') return { ...headers, 'x-pdd-sign': pddPushSignature(body, shop.appSecret) };
  return { ...headers, 'event-sign': douyinEventSign(shop.appKey, body, shop.appSecret) };
}
