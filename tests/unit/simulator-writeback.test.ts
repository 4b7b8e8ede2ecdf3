import { describe, expect, it } from 'vitest';
import { PlatformSimulator, type SimShop } from '../../channels/simulator/server.js';
import type { SimOrder, SimPlatform } from '../../channels/simulator/generator.js';
import { SIM_LOGISTICS_COMPANIES } from '../../channels/simulator/logistics.js';
import { buildShipmentCheckRequest, buildWritebackRequest, parseShipmentCheck, parseWritebackResponse, type ShipmentNotice, type WritebackCall } from '../../channels/writeback.js';
import { SEED } from '../../db/migrations/2026_11_26_1000_carrier_platform_codes.js';

// The fake platforms judge write-backs as the real ones do: their own carrier codes, split fields, and
// "already shipped" for lines or orders that have left. Requests are built by Orderly's own builders and
// handed to the simulator without a socket.
const now = new Date('2026-11-11T00:00:00Z');

function setup(platform: SimPlatform): { sim: PlatformSimulator; o: SimOrder; send: (n: Omit<ShipmentNotice, 'platformOrderId'>) => { status: number; body: string }; shipped: () => string[] } {
  const sim = new PlatformSimulator({ seed: 11, unpaidRate: 0, presaleRate: 0 });
  const shop: SimShop = sim.addShop({ platform, shopId: `s-${platform}`, appKey: `${platform}-key`, appSecret: `${platform}-secret` });
  const credentials = { appKey: shop.appKey, appSecret: shop.appSecret, baseUrl: `http://sim/${platform}` };
  const o = sim.createOrder(shop);
  // Two sub-orders at least, so that the order can leave in two packages.
  if (o.lines.length < 2) o.lines.push({ ...o.lines[0]!, lineId: `${o.lines[0]!.lineId.slice(0, -1)}9` });
  const send = (n: Omit<ShipmentNotice, 'platformOrderId'>) => {
    const r = buildWritebackRequest(platform, { platformOrderId: o.id, ...n }, credentials, now);
    return sim.handle(r.url.replace('http://sim', ''), r.body);
  };
  const shipped = () => {
    const r = buildShipmentCheckRequest(platform, o.id, credentials, now);
    return parseShipmentCheck(platform, sim.handle(r.url.replace('http://sim', ''), r.body).body).map((p) => p.trackingNo);
  };
  return { sim, o, send, shipped };
}

const answer = (platform: SimPlatform, r: { body: string }, call: WritebackCall = 'whole') => parseWritebackResponse(platform, r.body, call);

describe('the simulator’s write-back rules', () => {
  it('taobao: company codes from its list; split shipments by sub-order; "already shipped" for lines that left', () => {
    const { sim, o, send, shipped } = setup('taobao');
    const [l1] = o.lines.map((l) => l.lineId);
    expect(() => answer('taobao', send({ carrierCode: '467', trackingNo: 'SF1' }))).toThrow(/company_code 467 is invalid/);
    expect(answer('taobao', send({ carrierCode: 'SF', trackingNo: 'SF1', lineIds: [l1!] }), 'split')).toMatchObject({ ok: true });
    expect(o.status).toBe('paid');
    expect(answer('taobao', send({ carrierCode: 'ZTO', trackingNo: 'ZT2', lineIds: [l1!] }), 'split')).toMatchObject({ ok: false, alreadyShipped: true });
    // A whole-order call once a package has left is refused too: the second number is not silently taken.
    expect(answer('taobao', send({ carrierCode: 'ZTO', trackingNo: 'ZT2' }))).toMatchObject({ ok: false, alreadyShipped: true });
    expect(() => answer('taobao', send({ carrierCode: 'ZTO', trackingNo: 'ZT2', lineIds: ['123'] }), 'split')).toThrow(/another trade/);
    expect(answer('taobao', send({ carrierCode: 'ZTO', trackingNo: 'ZT2', lineIds: o.lines.slice(1).map((l) => l.lineId) }), 'split')).toMatchObject({ ok: true });
    expect(o.status).toBe('shipped');
    expect(shipped()).toEqual(['SF1', 'ZT2']);
    expect(sim.writebacks.map((w) => [w.trackingNo, w.carrierCode, w.lineIds])).toEqual([
      ['SF1', 'SF', [l1]],
      ['ZT2', 'ZTO', o.lines.slice(1).map((l) => l.lineId)],
    ]);
  });

  it('douyin: whole orders by logisticsAdd, packs by logisticsAddMultiPack, a repeated request id answered once', () => {
    const { sim, o, send, shipped } = setup('douyin');
    const [l1] = o.lines.map((l) => l.lineId);
    expect(() => answer('douyin', send({ carrierCode: 'SF', trackingNo: 'SF1', lineIds: [l1!], requestId: 'r1' }), 'split')).toThrow(/60018/);
    const first = send({ carrierCode: 'shunfeng', trackingNo: 'SF1', lineIds: [l1!], requestId: 'r1' });
    expect(answer('douyin', first, 'split')).toMatchObject({ ok: true });
    expect(send({ carrierCode: 'shunfeng', trackingNo: 'SF1', lineIds: [l1!], requestId: 'r1' }).body).toBe(first.body);
    expect(sim.writebacks).toHaveLength(1);
    expect(answer('douyin', send({ carrierCode: 'yuantong', trackingNo: 'YT2', lineIds: [l1!], requestId: 'r2' }), 'split')).toMatchObject({ ok: false, alreadyShipped: true });
    expect(() => answer('douyin', send({ carrierCode: 'yuantong', trackingNo: 'YT2' }))).toThrow(/部分发货/);
    expect(answer('douyin', send({ carrierCode: 'yuantong', trackingNo: 'YT2', lineIds: o.lines.slice(1).map((l) => l.lineId), requestId: 'r3' }), 'split')).toMatchObject({ ok: true });
    expect(o.status).toBe('shipped');
    expect(shipped()).toEqual(['SF1', 'YT2']);
  });

  it('jd: numeric company ids; a further waybill only once the order has shipped', () => {
    const { o, send, shipped } = setup('jd');
    expect(() => answer('jd', send({ carrierCode: 'SF', trackingNo: 'SF1' }))).toThrow(/logiCoprId SF is invalid/);
    expect(() => answer('jd', send({ carrierCode: '463', trackingNo: 'YT2', call: 'additional' }), 'additional')).toThrow(/not suitable/);
    expect(answer('jd', send({ carrierCode: '467', trackingNo: 'SF1' }))).toMatchObject({ ok: true });
    expect(o.status).toBe('shipped');
    expect(answer('jd', send({ carrierCode: '463', trackingNo: 'YT2' }))).toMatchObject({ ok: false, alreadyShipped: true });
    expect(answer('jd', send({ carrierCode: '463', trackingNo: 'YT2', call: 'additional', earlier: [{ carrierCode: '467', trackingNo: 'SF1' }] }), 'additional')).toMatchObject({ ok: true });
    expect(shipped()).toEqual(['SF1', 'YT2']);
  });

  it('pdd: numeric logistics ids; extra tracking numbers once shipped, the same one accepted again', () => {
    const { sim, send, shipped } = setup('pdd');
    expect(() => answer('pdd', send({ carrierCode: 'SF', trackingNo: 'SF1' }))).toThrow(/logistics_id SF is invalid/);
    expect(() => answer('pdd', send({ carrierCode: '115', trackingNo: '731', call: 'additional' }), 'additional')).toThrow(/未发货/);
    expect(answer('pdd', send({ carrierCode: '44', trackingNo: 'SF1' }))).toMatchObject({ ok: true });
    expect(answer('pdd', send({ carrierCode: '115', trackingNo: '731' }))).toMatchObject({ ok: false, alreadyShipped: true });
    expect(answer('pdd', send({ carrierCode: '115', trackingNo: '731', call: 'additional' }), 'additional')).toMatchObject({ ok: true });
    expect(answer('pdd', send({ carrierCode: '115', trackingNo: '731', call: 'additional' }), 'additional')).toMatchObject({ ok: true });
    expect(shipped()).toEqual(['SF1', '731']);
    expect(sim.writebacks.map((w) => w.method)).toEqual(['pdd.logistics.online.send', 'pdd.order.upload.extra.logistics']);
  });

  it('accepts every code Orderly seeds for the platforms', () => {
    for (const [platform, , code] of SEED) expect(SIM_LOGISTICS_COMPANIES[platform as SimPlatform].has(code), `${platform} ${code}`).toBe(true);
  });
});
