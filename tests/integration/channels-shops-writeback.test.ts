import { describe, expect, it } from 'vitest';
import { createChannelActivities } from '../../activities/channel-activities.js';
import { PlatformSimulator } from '../../channels/simulator/server.js';
import { orderWorkflowId } from '../../domain/order.js';
import { type TestStack } from '../helpers/stack.js';
import { connectShop, withSimulatorStack } from './channels-helpers.js';

let stack: TestStack;
const sim = new PlatformSimulator({ seed: 5 });

withSimulatorStack(sim, (s) => (stack = s));

describe('shops API', () => {
  it('stores credentials encrypted and never returns them', async () => {
    const secret = 'top-secret-value-123';
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/shops',
      payload: { id: 'tb-crud-1', platform: 'taobao', name: 'Tmall flagship', credentials: { appKey: '12497914', appSecret: secret, accessToken: 'sess-abc' } },
    });
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain(secret);
    expect(res.body).not.toContain('sess-abc');
    const shop = res.json();
    expect(shop).toMatchObject({ id: 'tb-crud-1', platform: 'taobao', syncMode: 'push', pullIntervalSeconds: 20, webhookPath: '/webhooks/taobao/tb-crud-1' });
    expect(shop.credentials).toEqual({ set: true, hint: 'app key 12****14, secret set, access token set' });
    expect(shop.pull.schedule).toBe('none');

    const row = await stack.db.selectFrom('shops').selectAll().where('id', '=', 'tb-crud-1').executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret);

    const list = await stack.app.inject({ method: 'GET', url: '/v1/shops?platform=taobao' });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(secret);
    expect(list.json().shops.map((s: { id: string }) => s.id)).toContain('tb-crud-1');

    const patched = await stack.app.inject({ method: 'PATCH', url: '/v1/shops/tb-crud-1', payload: { name: 'Renamed', credentials: { appKey: '99887766', appSecret: 'new-secret' } } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Renamed', credentials: { set: true, hint: 'app key 99****66, secret set' } });
    expect(patched.body).not.toContain('new-secret');

    expect((await stack.app.inject({ method: 'POST', url: '/v1/shops', payload: { id: 'tb-crud-1', platform: 'taobao', name: 'x', credentials: { appKey: 'k', appSecret: 's' } } })).statusCode).toBe(409);
    expect((await stack.app.inject({ method: 'POST', url: '/v1/shops', payload: { platform: 'jd', name: 'x', syncMode: 'push', credentials: { appKey: 'k', appSecret: 's' } } })).statusCode).toBe(400);
    expect((await stack.app.inject({ method: 'PATCH', url: '/v1/shops/nope', payload: { name: 'x' } })).statusCode).toBe(404);
  });
});

describe('shipment write-back', () => {
  it.each(['taobao', 'jd', 'douyin', 'pdd'] as const)('%s: sends the tracking number once, retried through an outage', async (platform) => {
    const shop = await connectShop(stack.app, sim, platform, { syncMode: 'pull', pullIntervalSeconds: 3600 });
    await stack.client.schedule.getHandle(`pull-sync:${shop.shopId}`).delete();
    const o = sim.createOrder(shop);
    const acts = createChannelActivities({ db: stack.db, temporal: stack.client, config: stack.config, logger: stack.logger });
    const input = { orderId: orderWorkflowId(platform, shop.shopId, o.id), platform, shopId: shop.shopId, platformOrderId: o.id, carrierCode: 'SF', trackingNo: `SF${o.id.slice(-10)}` };

    sim.failNext(1);
    await expect(acts.writeBackShipment(input)).rejects.toThrow(/503/);
    expect(await acts.writeBackShipment(input)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await acts.writeBackShipment(input)).toMatchObject({ status: 'already_sent' });
    const sent = sim.writebacks.filter((w) => w.platformOrderId === o.id);
    // Orderly's carrier SF travels as each platform's own logistics company code or id.
    const platformCode = { taobao: 'SF', jd: '467', douyin: 'shunfeng', pdd: '44' }[platform];
    expect(sent).toEqual([expect.objectContaining({ platform, carrierCode: platformCode, trackingNo: input.trackingNo })]);
    expect(sim.getOrder(platform, o.id)!.status).toBe('shipped');
    const row = await stack.db.selectFrom('channel_writebacks').selectAll().where('order_id', '=', input.orderId).executeTakeFirstOrThrow();
    expect(row.status).toBe('sent');
  });
});
