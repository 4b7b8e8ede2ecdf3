import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelActivities } from '../../activities/channel-activities.js';
import type { SimOrder, SimPlatform } from '../../channels/simulator/generator.js';
import { PlatformSimulator, type SimShop } from '../../channels/simulator/server.js';
import { listExceptions } from '../../db/channels.repository.js';
import { orderWorkflowId } from '../../domain/order.js';
import { stateQuery } from '../../workflows/order.messages.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';
import { connectShop } from './channels-helpers.js';

// Write-back per package: a split order's packages are told to the platform one by one, each with its own
// lines (where the platform takes them) and its own record, confirmed or retried on its own.
let stack: TestStack;
const sim = new PlatformSimulator({ seed: 17, unpaidRate: 0, presaleRate: 0 });

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '1s' }, { carriers: true });
  await sim.start();
});
afterAll(async () => {
  await sim.stop();
  await stack?.close();
});

const acts = () => createChannelActivities({ db: stack.db, temporal: stack.client, config: stack.config, logger: stack.logger });

/** A simulated order with two sub-orders at least. */
function twoLineOrder(shop: SimShop): SimOrder {
  const o = sim.createOrder(shop);
  if (o.lines.length < 2) o.lines.push({ ...o.lines[0]!, lineId: `${o.lines[0]!.lineId.slice(0, -1)}${o.lines[0]!.lineId.endsWith('7') ? '8' : '7'}` });
  return o;
}

async function pullShop(platform: SimPlatform): Promise<SimShop> {
  const shop = await connectShop(stack.app, sim, platform, { syncMode: 'pull', pullIntervalSeconds: 3600 });
  await stack.client.schedule.getHandle(`pull-sync:${shop.shopId}`).delete();
  return shop;
}

const rows = (orderId: string) => stack.db.selectFrom('channel_writebacks').selectAll().where('order_id', '=', orderId).orderBy('id').execute();

describe('two packages of one order', () => {
  it.each(['taobao', 'douyin', 'jd', 'pdd'] as const)('%s: each tracking number is confirmed on its own; the second survives an outage', async (platform) => {
    const shop = await pullShop(platform);
    const o = twoLineOrder(shop);
    const a = acts();
    const orderId = orderWorkflowId(platform, shop.shopId, o.id);
    const base = { orderId, platform, shopId: shop.shopId, platformOrderId: o.id, split: true };
    const first = { ...base, packageId: 'pk-a', carrierCode: 'SF', trackingNo: `SF${o.id.slice(-10)}1`, lineIds: [o.lines[0]!.lineId] };
    const second = { ...base, packageId: 'pk-b', carrierCode: 'YTO', trackingNo: `YT${o.id.slice(-10)}2`, lineIds: o.lines.slice(1).map((l) => l.lineId) };
    const byLines = platform === 'taobao' || platform === 'douyin';

    expect(await a.writeBackShipment(first)).toMatchObject({ status: 'sent', attempts: 1, call: byLines ? 'split' : 'whole' });
    sim.failNext(1);
    await expect(a.writeBackShipment(second)).rejects.toThrow(/503/);
    expect((await rows(orderId)).map((r) => [r.tracking_no, r.status, r.attempts])).toEqual([
      [first.trackingNo, 'sent', 1],
      [second.trackingNo, 'pending', 1],
    ]);
    expect(await a.writeBackShipment(second)).toMatchObject({ status: 'sent', attempts: 2, call: byLines ? 'split' : 'additional' });
    // Repeats after success call nobody.
    const calls = sim.writebacks.length;
    expect(await a.writeBackShipment(first)).toMatchObject({ status: 'already_sent' });
    expect(await a.writeBackShipment(second)).toMatchObject({ status: 'already_sent' });
    expect(sim.writebacks.length).toBe(calls);

    const told = sim.writebacks.filter((w) => w.platformOrderId === o.id);
    expect(told.map((w) => w.trackingNo)).toEqual([first.trackingNo, second.trackingNo]);
    expect(o.parcels!.map((p) => p.trackingNo)).toEqual([first.trackingNo, second.trackingNo]);
    if (byLines) {
      expect(told.map((w) => w.lineIds)).toEqual([first.lineIds, second.lineIds]);
      expect(o.status).toBe('shipped');
    }
    const methods = { taobao: ['taobao.logistics.offline.send', 'taobao.logistics.offline.send'], douyin: ['order.logisticsAddMultiPack', 'order.logisticsAddMultiPack'], jd: ['jingdong.pop.order.shipment', '360buy.order.sop.waybill.update'], pdd: ['pdd.logistics.online.send', 'pdd.order.upload.extra.logistics'] }[platform];
    expect(told.map((w) => w.method)).toEqual(methods);
    const stored = await rows(orderId);
    expect(stored.map((r) => [r.package_id, r.status, r.call, r.line_ids])).toEqual([
      ['pk-a', 'sent', byLines ? 'split' : 'whole', first.lineIds],
      ['pk-b', 'sent', byLines ? 'split' : 'additional', second.lineIds],
    ]);
    expect(stored.map((r) => r.platform_carrier_code)).toEqual({ taobao: ['SF', 'YTO'], douyin: ['shunfeng', 'yuantong'], jd: ['467', '463'], pdd: ['44', '85'] }[platform]);
  });
});

describe('an "already shipped" answer', () => {
  it('counts as sent when the platform has this very tracking number (an earlier attempt got through unheard)', async () => {
    const shop = await pullShop('douyin');
    const o = twoLineOrder(shop);
    const trackingNo = `SF${o.id.slice(-10)}5`;
    o.parcels = [{ trackingNo, carrierCode: 'shunfeng', lineIds: o.lines.map((l) => l.lineId) }];
    o.status = 'shipped';
    const input = { orderId: orderWorkflowId('douyin', shop.shopId, o.id), platform: 'douyin' as const, shopId: shop.shopId, platformOrderId: o.id, carrierCode: 'SF', trackingNo };
    expect(await acts().writeBackShipment(input)).toMatchObject({ status: 'sent', call: 'whole' });
    expect(sim.writebacks.filter((w) => w.platformOrderId === o.id)).toEqual([]);
  });

  it('is a conflict with an exception when the platform has another tracking number', async () => {
    const shop = await pullShop('taobao');
    const o = twoLineOrder(shop);
    o.parcels = [{ trackingNo: 'ZT-SHIPPED-BY-HAND', carrierCode: 'ZTO', lineIds: o.lines.map((l) => l.lineId) }];
    o.status = 'shipped';
    const orderId = orderWorkflowId('taobao', shop.shopId, o.id);
    const input = { orderId, platform: 'taobao' as const, shopId: shop.shopId, platformOrderId: o.id, carrierCode: 'SF', trackingNo: `SF${o.id.slice(-10)}6` };
    const err = await acts().writeBackShipment(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'WritebackConflict', nonRetryable: true });
    expect((await rows(orderId))[0]).toMatchObject({ status: 'rejected', last_error: expect.stringContaining('ZT-SHIPPED-BY-HAND') });
    const [ex] = await listExceptions(stack.db, { kind: 'channel_writeback_conflict', shopId: shop.shopId });
    expect(ex).toMatchObject({ order_id: orderId, status: 'open', detail: expect.objectContaining({ trackingNo: input.trackingNo, platformTrackingNos: ['ZT-SHIPPED-BY-HAND'] }) });
  });

  it.each(['jd', 'pdd'] as const)('%s: with only the order’s own earlier package on record, the package is added as a further tracking number', async (platform) => {
    const shop = await pullShop(platform);
    const o = twoLineOrder(shop);
    const orderId = orderWorkflowId(platform, shop.shopId, o.id);
    const base = { orderId, platform, shopId: shop.shopId, platformOrderId: o.id, split: true };
    const a = acts();
    await a.writeBackShipment({ ...base, packageId: 'pk-1', carrierCode: 'SF', trackingNo: `SF${o.id.slice(-9)}71` });
    // The first call reached the platform, but Orderly never heard the answer: its record is still pending.
    await stack.db.updateTable('channel_writebacks').set({ status: 'pending' }).where('order_id', '=', orderId).execute();
    const r = await a.writeBackShipment({ ...base, packageId: 'pk-2', carrierCode: 'ZTO', trackingNo: `ZT${o.id.slice(-9)}72` });
    expect(r).toMatchObject({ status: 'sent', call: 'additional' });
    expect(o.parcels!.map((p) => p.trackingNo)).toEqual([`SF${o.id.slice(-9)}71`, `ZT${o.id.slice(-9)}72`]);
  });
});

describe('carriers without a platform code', () => {
  it('are a clear rejection with an exception, and no call to the platform', async () => {
    const shop = await pullShop('jd');
    const o = twoLineOrder(shop);
    const orderId = orderWorkflowId('jd', shop.shopId, o.id);
    const before = sim.calls.get('jingdong.pop.order.shipment') ?? 0;
    const err = await acts()
      .writeBackShipment({ orderId, platform: 'jd', shopId: shop.shopId, platformOrderId: o.id, carrierCode: 'JT', trackingNo: 'JT0000000000001' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'CarrierNotMapped', nonRetryable: true, message: expect.stringContaining('PUT /v1/carriers/JT/platform-codes') });
    expect(sim.calls.get('jingdong.pop.order.shipment') ?? 0).toBe(before);
    const [ex] = await listExceptions(stack.db, { kind: 'channel_writeback_carrier_unmapped', shopId: shop.shopId });
    expect(ex).toMatchObject({ order_id: orderId, detail: expect.objectContaining({ carrierCode: 'JT', platform: 'jd' }) });
  });
});

describe('carriers API: platform codes', () => {
  const put = (code: string, payload: unknown) => stack.app.inject({ method: 'PUT', url: `/v1/carriers/${code}/platform-codes`, payload: payload as object });

  it('shows the seeded codes, with the unconfirmed ones listed', async () => {
    const r = await stack.app.inject({ method: 'GET', url: '/v1/carriers/SF/platform-codes' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ carrierCode: 'SF', platformCodes: { douyin: 'shunfeng', jd: '467', pdd: '44', taobao: 'SF' }, unverified: ['douyin', 'jd', 'pdd'] });
    expect((await stack.app.inject({ method: 'GET', url: '/v1/carriers/NOPE/platform-codes' })).statusCode).toBe(404);
  });

  it('replaces them, and rejects unknown platforms, extra fields and codes of the wrong shape', async () => {
    const ok = await put('DBL', { taobao: 'DBKD', jd: ' 3046 ', douyin: 'debangkuaidi' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toEqual({ carrierCode: 'DBL', platformCodes: { douyin: 'debangkuaidi', jd: '3046', taobao: 'DBKD' }, unverified: [] });
    expect((await stack.app.inject({ method: 'GET', url: '/v1/carriers/DBL/platform-codes' })).json().platformCodes).not.toHaveProperty('pdd');

    const unknownPlatform = await put('DBL', { taobao: 'DBKD', kuaishou: 'DBKD' });
    expect(unknownPlatform.statusCode).toBe(400);
    expect(JSON.stringify(unknownPlatform.json().issues)).toContain('kuaishou');
    const wrongShape = await put('DBL', { jd: 'DBKD', pdd: '' });
    expect(wrongShape.statusCode).toBe(400);
    expect(wrongShape.json().issues.map((i: { path: string }) => i.path).sort()).toEqual(['/jd', '/pdd']);
    expect(JSON.stringify(wrongShape.json().issues)).toContain('jd expects numeric company id');
    expect((await put('DBL', ['SF'])).statusCode).toBe(400);
    expect((await put('NOPE', { taobao: 'X' })).statusCode).toBe(404);
    // Nothing of the refused bodies was stored.
    expect((await stack.app.inject({ method: 'GET', url: '/v1/carriers/DBL/platform-codes' })).json().platformCodes).toEqual({ douyin: 'debangkuaidi', jd: '3046', taobao: 'DBKD' });

    const doc = (await stack.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths['/v1/carriers/{code}/platform-codes'])).toEqual(expect.arrayContaining(['get', 'put']));
  });
});

describe('a split order through the order workflow', () => {
  it('writes back both packages, each with its own lines, and ships', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin');
    const o = twoLineOrder(shop);
    // Tea ships from Shanghai or Tianjin, the phone only from Guangzhou: two packages.
    const order = makeOrder({
      platform: 'douyin',
      shopId: shop.shopId,
      platformOrderId: o.id,
      lines: [
        { lineId: o.lines[0]!.lineId, skuCode: 'TEA-LJ-250', quantity: 1, unitPriceFen: 12800, paidFen: 12800 },
        { lineId: o.lines[1]!.lineId, skuCode: 'PHONE-X1', quantity: 1, unitPriceFen: 399_900, paidFen: 399_900 },
      ],
      amounts: { goodsFen: 412_700, shippingFen: 0, discountFen: 0, paidFen: 412_700 },
      discounts: [],
      paidAt: '2026-11-11T00:00:09Z',
    });
    const id = orderWorkflowId('douyin', shop.shopId, o.id);
    const url = `/v1/orders/${encodeURIComponent(id)}`;
    const posted = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order });
    expect(posted.statusCode, posted.body).toBe(202);

    const handle = stack.client.workflow.getHandle(id);
    const packages = await eventually(async () => (await handle.query(stateQuery).catch(() => undefined))?.fulfilment?.packages ?? [], (p) => p.length === 2, 20_000, 'two packages');
    expect(packages.map((p) => p.lineRefs).sort()).toEqual([[o.lines[0]!.lineId], [o.lines[1]!.lineId]].sort());
    for (const [i, p] of packages.entries()) {
      await eventually(async () => (await stack.app.inject({ method: 'GET', url: `/v1/packages/${encodeURIComponent(p.packageId)}` })).json().status as string, (s) => s === 'released', 20_000, 'released');
      const carrierCode = p.carrierCode ?? 'YTO';
      const r = await stack.app.inject({ method: 'POST', url: `/v1/packages/${encodeURIComponent(p.packageId)}/events`, payload: { type: 'shipped', carrierCode, trackingNo: `${carrierCode}${o.id.slice(-8)}${i}` } });
      expect(r.statusCode).toBe(202);
    }
    expect(await handle.result()).toEqual({ orderId: id, status: 'shipped' });

    const told = sim.writebacks.filter((w) => w.platformOrderId === o.id);
    expect(told).toHaveLength(2);
    expect(told.every((w) => w.method === 'order.logisticsAddMultiPack')).toBe(true);
    for (const p of packages) {
      const w = told.find((x) => x.trackingNo.endsWith(String(packages.indexOf(p))) && x.lineIds?.[0] === p.lineRefs[0]);
      expect(w, `write-back of ${p.packageId}`).toBeDefined();
    }
    expect(o.status).toBe('shipped');
    const stored = await rows(id);
    expect(stored.map((r) => r.status)).toEqual(['sent', 'sent']);
    expect(stored.map((r) => r.package_id).sort()).toEqual(packages.map((p) => p.packageId).sort());
    const timeline = (await stack.app.inject({ method: 'GET', url })).json().timeline as { type: string; detail?: { lineIds?: string[] } }[];
    expect(timeline.filter((t) => t.type === 'tracking_written_back').map((t) => t.detail?.lineIds)).toHaveLength(2);
  });
});
