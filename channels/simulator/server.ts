import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { beijingToUtc } from '../common.js';
import { douyinEventSign, signDouyin } from '../douyin/index.js';
import { signJd } from '../jd/index.js';
import { pddPushSignature, signPdd } from '../pdd/index.js';
import { signTaobao, taobaoPushSignature } from '../taobao/index.js';
import { OrderGenerator, seededRandom, type SimOrder, type SimParcel, type SimPlatform } from './generator.js';
import { SIM_LOGISTICS_COMPANIES } from './logistics.js';
import { big, bigJson, douyinCiphertexts, douyinOrder, jdOrder, pddCiphertexts, pddListItem, pddOrder, taobaoListItem, taobaoTrade } from './render.js';

/**
 * A fake platform for all four channels: serves the pull and detail APIs with the real paging and response
 * shapes, checks every request's signature the platform's way, records shipment write-backs, and pushes
 * signed messages to Orderly's webhooks. Used by the tests, the benchmark and `npm run simulate`.
 */

export interface SimShop {
  platform: SimPlatform;
  /** Orderly's shop id (where pushes go). */
  shopId: string;
  appKey: string;
  appSecret: string;
}

/** A shipment write-back the platform accepted. */
export interface SimWriteback {
  platform: SimPlatform;
  appKey: string;
  /** The API method that carried it. */
  method: string;
  platformOrderId: string;
  /** The platform's logistics company code or id, as sent. */
  carrierCode: string;
  trackingNo: string;
  /** Sub-orders named by a split shipment; absent for a whole order or an added tracking number. */
  lineIds?: string[];
  at: Date;
}

/** A JSON scalar as text ('' for anything else). */
const scalar = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** Why a shipment was refused (each platform words it its own way). */
type ShipRefusal = 'no_order' | 'unknown_lines' | 'already_shipped' | 'not_shipped';

/**
 * The messages the simulator pushes: the order created and paid, shipped on the platform, a line's refund
 * requested and paid out (`lineId`), and the receiver changed.
 */
export type PushKind = 'created' | 'paid' | 'shipped' | 'refund_created' | 'refund_success' | 'address_changed';

/** Whether a platform has a push message for a kind (Douyin's after-sales come through another API; PDD pushes no refund success). */
export function pushesKind(platform: SimPlatform, kind: PushKind): boolean {
  if (platform === 'jd') return false;
  if (kind === 'refund_created') return platform !== 'douyin';
  if (kind === 'refund_success') return platform === 'taobao';
  return true;
}

export interface PushResult {
  status: number;
  body: string;
  /** Milliseconds from sending to the full answer. */
  ms: number;
}

interface Stored {
  shop: SimShop;
  order: SimOrder;
}

export class PlatformSimulator {
  private server: http.Server | undefined;
  private port = 0;
  private readonly shops = new Map<string, SimShop>();
  private readonly orders = new Map<string, Stored>();
  readonly writebacks: SimWriteback[] = [];
  /** Douyin multi-pack answers by request_id: a repeated request gets the first answer. */
  private readonly packRequests = new Map<string, string>();
  readonly generator: OrderGenerator;
  private readonly rnd: () => number;
  private failures = 0;
  private failStatus = 503;
  /** Counts of API calls by method, for tests and progress lines. */
  readonly calls = new Map<string, number>();
  private msgSeq = 0;
  /** Called before a list page is answered: lets a test change orders mid-pull. */
  onListPage: ((platform: SimPlatform, page: number) => void) | undefined;

  constructor(opts: { seed?: number; presaleRate?: number; unpaidRate?: number } = {}) {
    const seed = opts.seed ?? 42;
    this.generator = new OrderGenerator({ seed, ...(opts.presaleRate !== undefined ? { presaleRate: opts.presaleRate } : {}), ...(opts.unpaidRate !== undefined ? { unpaidRate: opts.unpaidRate } : {}) });
    this.rnd = seededRandom(seed ^ 0x5eed);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = this.handle(req.url ?? '/', Buffer.concat(chunks).toString('utf8'));
        res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(answer.body);
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The `baseUrl` a shop's credentials should carry for this platform. */
  baseUrl(platform: SimPlatform): string {
    return `${this.url}/${platform}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  addShop(shop: SimShop): SimShop {
    this.shops.set(`${shop.platform}:${shop.appKey}`, shop);
    return shop;
  }

  /** The next `n` API calls answer HTTP `status` (a platform outage). */
  failNext(n: number, status = 503): void {
    this.failures = n;
    this.failStatus = status;
  }

  createOrder(shop: SimShop, now = new Date()): SimOrder {
    const o = this.generator.create(shop.platform, shop.appKey, now);
    this.orders.set(`${shop.platform}:${o.id}`, { shop, order: o });
    return o;
  }

  modifyOrder(o: SimOrder, now = new Date()): void {
    this.generator.modify(o, now);
  }

  ordersOf(shop: SimShop): SimOrder[] {
    return [...this.orders.values()].filter((s) => s.shop === shop).map((s) => s.order);
  }

  getOrder(platform: SimPlatform, id: string): SimOrder | undefined {
    return this.orders.get(`${platform}:${id}`)?.order;
  }

  // Pushes ------------------------------------------------------------------------------------------

  private nextMessageId(): string {
    this.msgSeq++;
    let s = String(1 + Math.floor(this.rnd() * 9));
    while (s.length < 13) s += String(Math.floor(this.rnd() * 10));
    return `${s}${String(this.msgSeq).padStart(6, '0')}`;
  }

  /** The signed push for one event of an order, as the platform (or Orderly's message relay) sends it. `lineId` names a refund's line. */
  pushRequest(shop: SimShop, o: SimOrder, kind: PushKind, messageId = this.nextMessageId(), lineId?: string): { body: string; headers: Record<string, string>; messageId: string } {
    const now = new Date();
    if (!pushesKind(shop.platform, kind)) throw new Error(`${shop.platform} pushes no ${kind} message`);
    const parcel = o.parcels?.[0];
    const refundOf = (id: string | undefined): { lineId: string; refundId: string; fen: number } => {
      const line = o.lines.find((l) => l.lineId === id);
      if (!line) throw new Error(`a ${kind} message of order ${o.id} needs one of its line ids, got ${id ?? 'none'}`);
      // One refund per line: its id derived from the line's.
      return { lineId: line.lineId, refundId: `7${line.lineId.slice(-17)}`, fen: line.paidFen };
    };
    switch (shop.platform) {
      case 'taobao': {
        let topic: string;
        let content: string;
        if (kind === 'created' || kind === 'paid') {
          topic = kind === 'created' ? 'taobao_trade_TradeCreate' : 'taobao_trade_TradeBuyerPay';
          content = bigJson({ tid: big(o.id), type: o.presale ? 'step' : 'fixed', status: 'WAIT_BUYER_PAY', payment: (o.paidFen / 100).toFixed(2) });
        } else if (kind === 'shipped') {
          topic = 'taobao_trade_TradeSellerShip';
          content = bigJson({ tid: big(o.id), type: o.presale ? 'step' : 'fixed', status: 'WAIT_BUYER_CONFIRM_GOODS', ...(parcel ? { out_sid: parcel.trackingNo, company_code: parcel.carrierCode } : {}) });
        } else if (kind === 'address_changed') {
          topic = 'taobao_trade_TradeLogisticsAddressChanged';
          content = bigJson({ tid: big(o.id), buyer_open_uid: o.buyerKey });
        } else {
          const r = refundOf(lineId);
          topic = kind === 'refund_created' ? 'taobao_refund_RefundCreated' : 'taobao_refund_RefundSuccess';
          content = bigJson({ tid: big(o.id), oid: big(r.lineId), refund_id: big(r.refundId), refund_fee: (r.fen / 100).toFixed(2), refund_phase: 'onsale', bill_type: 'refund_bill', modified: now.toISOString().replace('T', ' ').slice(0, 19) });
        }
        const body = bigJson({ id: big(messageId), topic, pub_app_key: big('12497914'), pub_time: now.toISOString().replace('T', ' ').slice(0, 19), user_id: big('2201234567'), user_nick: 'sim-seller', content });
        return { body, headers: { 'content-type': 'application/json', 'x-tmc-sign': taobaoPushSignature(body, shop.appSecret) }, messageId };
      }
      case 'douyin': {
        const tag = { created: '100', paid: '101', shipped: '102', address_changed: '105' }[kind as 'created' | 'paid' | 'shipped' | 'address_changed'];
        const data = bigJson({
          p_id: big(o.id),
          s_ids: o.lines.map((l) => big(l.lineId)),
          shop_id: 77001,
          order_status: kind === 'created' ? 1 : kind === 'shipped' ? 3 : 2,
          order_type: 0,
          biz: 2,
          ...(kind === 'paid' ? { pay_amount: o.paidFen, pay_time: Math.floor((o.paidAt ?? now).getTime() / 1000), pay_type: 1 } : {}),
          ...(kind === 'created' ? { create_time: Math.floor(o.createdAt.getTime() / 1000) } : {}),
          ...(kind === 'shipped' && parcel ? { logistics_code: parcel.trackingNo, company_code: parcel.carrierCode, update_time: Math.floor(o.modifiedAt.getTime() / 1000) } : {}),
          ...(kind === 'address_changed' ? { update_time: Math.floor(o.modifiedAt.getTime() / 1000) } : {}),
        });
        const body = JSON.stringify([{ tag, msg_id: messageId, data }]);
        return { body, headers: { 'content-type': 'application/json', 'app-id': shop.appKey, 'event-sign': douyinEventSign(shop.appKey, body, shop.appSecret) }, messageId };
      }
      case 'pdd': {
        // PDD announces an order once it is confirmed (paid, group formed): both kinds are that message.
        const type = { created: 'pdd_trade_TradeConfirmed', paid: 'pdd_trade_TradeConfirmed', shipped: 'pdd_trade_TradeSellerShip', address_changed: 'pdd_trade_TradeLogisticsAddressChanged', refund_created: 'pdd_refund_RefundCreated' }[kind as Exclude<PushKind, 'refund_success'>];
        // PDD refund messages name the order and the refund, not a line: its after-sales are per order.
        const content = JSON.stringify(kind === 'refund_created' ? { tid: o.id, mall_id: 880001, refund_id: Number(refundOf(lineId).refundId.slice(-12)) } : { tid: o.id, mall_id: 880001 });
        const body = bigJson({ id: big(messageId), commandType: 'Common', sendTime: now.getTime(), message: { type, mallID: big('880001'), content } });
        return { body, headers: { 'content-type': 'application/json', 'x-pdd-sign': pddPushSignature(body, shop.appSecret) }, messageId };
      }
      case 'jd':
        throw new Error('JD does not push');
    }
  }

  async send(url: string, body: string, headers: Record<string, string>): Promise<PushResult> {
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers, body });
    const text = await res.text();
    return { status: res.status, body: text, ms: performance.now() - t0 };
  }

  // Platform API -----------------------------------------------------------------------------------

  private count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  handle(url: string, body: string): { status: number; body: string } {
    if (this.failures > 0) {
      this.failures--;
      return { status: this.failStatus, body: '{"error":"simulated outage"}' };
    }
    const u = new URL(url, 'http://sim');
    const [, platform, ...rest] = u.pathname.split('/');
    try {
      switch (platform) {
        case 'taobao':
          return this.taobao(new URLSearchParams(body));
        case 'jd':
          return this.jd(new URLSearchParams(body));
        case 'pdd':
          return this.pdd(new URLSearchParams(body));
        case 'douyin':
          return this.douyin(rest.join('.'), u.searchParams, body);
        default:
          return { status: 404, body: '{"error":"no such platform"}' };
      }
    } catch (e) {
      return { status: 500, body: JSON.stringify({ error: e instanceof Error ? e.message : String(e) }) };
    }
  }

  private shopFor(platform: SimPlatform, appKey: string | null): SimShop | undefined {
    return appKey ? this.shops.get(`${platform}:${appKey}`) : undefined;
  }

  private window(platform: SimPlatform, shop: SimShop, start: Date, end: Date, desc: boolean): SimOrder[] {
    return this.ordersOf(shop)
      .filter((o) => o.platform === platform && o.modifiedAt >= start && o.modifiedAt <= end)
      .sort((a, b) => (desc ? b.modifiedAt.getTime() - a.modifiedAt.getTime() : a.modifiedAt.getTime() - b.modifiedAt.getTime()) || (a.id < b.id ? -1 : 1));
  }

  private page<T>(all: T[], page: number, size: number, firstPage: number): T[] {
    const from = (page - firstPage) * size;
    return all.slice(from, from + size);
  }

  private taobao(p: URLSearchParams): { status: number; body: string } {
    const params = Object.fromEntries(p);
    const shop = this.shopFor('taobao', params.app_key ?? null);
    const method = params.method ?? '';
    this.count(method);
    const err = (code: string, msg: string) => ({ status: 200, body: JSON.stringify({ error_response: { code, msg, sub_msg: msg } }) });
    if (!shop) return err('29', 'Invalid app Key');
    if (signTaobao(params, shop.appSecret) !== params.sign) return err('25', 'Invalid signature');
    if (method === 'taobao.top.oaid.decrypt') return this.taobaoDecrypt(shop, params.query_list ?? '');
    if (method === 'taobao.trades.sold.increment.get') {
      const page = Number(params.page_no ?? 1);
      const size = Number(params.page_size ?? 40);
      this.onListPage?.('taobao', page);
      const all = this.window('taobao', shop, new Date(beijingToUtc(params.start_modified!)), new Date(beijingToUtc(params.end_modified!)), true);
      const items = this.page(all, page, size, 1).map(taobaoListItem);
      const useHasNext = params.use_has_next === 'true';
      const res = useHasNext ? { has_next: page * size < all.length, trades: { trade: items } } : { total_results: all.length, trades: { trade: items } };
      return { status: 200, body: bigJson({ trades_sold_increment_get_response: res }) };
    }
    if (method === 'taobao.trade.fullinfo.get') {
      const o = this.getOrder('taobao', params.tid ?? '');
      if (!o) return err('15', 'trade not found');
      return { status: 200, body: bigJson({ trade_fullinfo_get_response: { trade: taobaoTrade(o) } }) };
    }
    if (method === 'taobao.logistics.offline.send') {
      const company = params.company_code ?? '';
      if (!SIM_LOGISTICS_COMPANIES.taobao.has(company)) return err('isv.logistics-offline-service-error', `company_code ${company} is invalid`);
      if (!params.out_sid) return err('isv.missing-parameter', 'out_sid is required');
      const split = params.is_split === '1';
      const subTids = (params.sub_tid ?? '').split(',').filter(Boolean);
      if (split && subTids.length === 0) return err('isv.invalid-parameter', 'sub_tid is required when is_split=1');
      const refused = this.ship('taobao', shop, method, params.tid ?? '', { carrierCode: company, trackingNo: params.out_sid, lineIds: split ? subTids : undefined });
      if (refused === 'no_order') return err('isv.trade-not-exist', 'trade not exist');
      if (refused === 'unknown_lines') return err('isv.invalid-parameter', 'sub_tid names a sub-order of another trade');
      if (refused) return err('isv.logistics-offline-service-error', 'order already shipped');
      return { status: 200, body: JSON.stringify({ logistics_offline_send_response: { shipping: { is_success: true } } }) };
    }
    return err('22', `Invalid method ${method}`);
  }

  private jd(p: URLSearchParams): { status: number; body: string } {
    const params = Object.fromEntries(p);
    const shop = this.shopFor('jd', params.app_key ?? null);
    const method = params.method ?? '';
    this.count(method);
    const err = (code: string, msg: string) => ({ status: 200, body: JSON.stringify({ error_response: { code, zh_desc: msg, en_desc: msg } }) });
    if (!shop) return err('19', 'Invalid app key');
    if (signJd(params, shop.appSecret) !== params.sign) return err('11', 'Invalid signature');
    const business = JSON.parse(params['360buy_param_json'] ?? '{}') as Record<string, string | number>;
    if (method === 'jingdong.jos.order.oaid.decrypt') return this.jdDecrypt(shop, business.getReceiverInfoListReqVO);
    if (method === 'jingdong.pop.order.search') {
      const page = Number(business.page ?? 1);
      const size = Number(business.page_size ?? 20);
      this.onListPage?.('jd', page);
      const all = this.window('jd', shop, new Date(beijingToUtc(String(business.start_date))), new Date(beijingToUtc(String(business.end_date))), false);
      const list = this.page(all, page, size, 1).map(jdOrder);
      return { status: 200, body: JSON.stringify({ jingdong_pop_order_search_responce: { code: '0', searchorderinfo_result: { apiResult: { success: true }, orderTotal: all.length, orderInfoList: list } } }) };
    }
    if (method === 'jingdong.pop.order.get') {
      const o = this.getOrder('jd', String(business.order_id));
      if (!o) return err('10400001', 'order not found');
      return { status: 200, body: JSON.stringify({ jingdong_pop_order_get_responce: { orderDetailInfo: { apiResult: { success: true }, orderInfo: jdOrder(o) } } }) };
    }
    if (method === 'jingdong.pop.order.shipment') {
      const parcels = this.jdWaybills(String(business.logiCoprId ?? ''), String(business.logiNo ?? ''));
      if (typeof parcels === 'string') return err('10400009', parcels);
      const orderId = String(business.orderId ?? '');
      const o = this.getOrder('jd', orderId);
      if (!o) return err('10400001', 'order not found');
      if (o.parcels?.length) return err('10400012', 'order already shipped');
      // One call may carry several waybills; the first ships the order's lines.
      parcels.forEach((p, i) => this.ship('jd', shop, method, orderId, { ...p, lineIds: i === 0 ? undefined : [] }));
      return { status: 200, body: JSON.stringify({ jingdong_pop_order_shipment_responce: { sopjosshipment_result: { success: true, chineseErrCode: '成功' } } }) };
    }
    if (method === '360buy.order.sop.waybill.update') {
      const parcels = this.jdWaybills(String(business.logistics_id ?? ''), String(business.waybill ?? ''));
      if (typeof parcels === 'string') return err('10400009', parcels);
      const orderId = String(business.order_id ?? '');
      const o = this.getOrder('jd', orderId);
      if (!o) return err('10400001', 'order not found');
      if (!o.parcels?.length) return err('10400014', 'order state is not suitable for modify waybill');
      // The list replaces the order's waybills; numbers new to it are recorded as added parcels.
      const wanted = new Set(parcels.map((p) => p.trackingNo));
      o.parcels = o.parcels.filter((p) => wanted.has(p.trackingNo));
      for (const p of parcels) if (!o.parcels.some((x) => x.trackingNo === p.trackingNo)) this.ship('jd', shop, method, orderId, { ...p, lineIds: [] });
      return { status: 200, body: JSON.stringify({ '360buy_order_sop_waybill_update_responce': { code: '0', success: true } }) };
    }
    return err('20', `Invalid method ${method}`);
  }

  private pdd(p: URLSearchParams): { status: number; body: string } {
    const params = Object.fromEntries(p);
    const shop = this.shopFor('pdd', params.client_id ?? null);
    const type = params.type ?? '';
    this.count(type);
    const err = (code: number, msg: string) => ({ status: 200, body: JSON.stringify({ error_response: { error_code: code, error_msg: msg, sub_msg: msg } }) });
    if (!shop) return err(10016, 'client_id invalid');
    if (signPdd(params, shop.appSecret) !== params.sign) return err(10019, 'sign invalid');
    if (type === 'pdd.open.decrypt.batch') return this.pddDecrypt(shop, params.data_list ?? '');
    if (type === 'pdd.order.number.list.increment.get') {
      const page = Number(params.page ?? 1);
      const size = Number(params.page_size ?? 100);
      this.onListPage?.('pdd', page);
      const all = this.window('pdd', shop, new Date(Number(params.start_updated_at) * 1000), new Date(Number(params.end_updated_at) * 1000), true);
      const list = this.page(all, page, size, 1).map(pddListItem);
      return { status: 200, body: JSON.stringify({ order_sn_increment_get_response: { total_count: all.length, has_next: page * size < all.length, order_sn_list: list } }) };
    }
    if (type === 'pdd.order.information.get') {
      const o = this.getOrder('pdd', params.order_sn ?? '');
      if (!o) return err(50001, 'order not found');
      return { status: 200, body: JSON.stringify({ order_info_get_response: { order_info: pddOrder(o) } }) };
    }
    if (type === 'pdd.logistics.online.send') {
      const company = params.logistics_id ?? '';
      if (!SIM_LOGISTICS_COMPANIES.pdd.has(company)) return err(50000, `logistics_id ${company} is invalid`);
      if (!params.tracking_number) return err(50000, 'tracking_number is required');
      const refused = this.ship('pdd', shop, type, params.order_sn ?? '', { carrierCode: company, trackingNo: params.tracking_number });
      if (refused === 'no_order') return err(50001, 'order not found');
      if (refused) return err(52101, 'order already shipped');
      return { status: 200, body: JSON.stringify({ logistics_online_send_response: { is_success: true } }) };
    }
    if (type === 'pdd.order.upload.extra.logistics') {
      let tracks: { shipping_id?: unknown; tracking_number?: unknown }[];
      try {
        tracks = JSON.parse(params.extra_track_list ?? '') as typeof tracks;
        if (!Array.isArray(tracks) || tracks.length === 0) throw new Error('empty');
      } catch {
        return err(50000, 'extra_track_list is invalid');
      }
      for (const t of tracks) {
        if (!SIM_LOGISTICS_COMPANIES.pdd.has(String(t.shipping_id))) return err(50000, `shipping_id ${String(t.shipping_id)} is invalid`);
        if (typeof t.tracking_number !== 'string' || !t.tracking_number) return err(50000, 'tracking_number is required');
      }
      const o = this.getOrder('pdd', params.order_sn ?? '');
      if (!o) return err(50001, 'order not found');
      if (!o.parcels?.length) return err(50002, '订单未发货，不能上传额外运单');
      // A number the order already has is accepted again: the upload is a set.
      for (const t of tracks) this.ship('pdd', shop, type, o.id, { carrierCode: String(t.shipping_id), trackingNo: String(t.tracking_number), lineIds: [] });
      return { status: 200, body: JSON.stringify({ upload_extra_logistics_response: { success: true } }) };
    }
    return err(10000, `unknown type ${type}`);
  }

  private douyin(method: string, query: URLSearchParams, body: string): { status: number; body: string } {
    const shop = this.shopFor('douyin', query.get('app_key'));
    this.count(method);
    const reply = (data: unknown) => ({ status: 200, body: bigJson({ code: 10000, msg: 'success', sub_code: '', sub_msg: '', log_id: String(Date.now()), data }) });
    const err = (code: number, msg: string, subCode = 'isv.error') => ({ status: 200, body: JSON.stringify({ code, msg, sub_code: subCode, sub_msg: msg, log_id: '' }) });
    if (!shop) return err(30001, 'app_key invalid');
    const params = { app_key: query.get('app_key') ?? '', method: query.get('method') ?? '', param_json: body, timestamp: query.get('timestamp') ?? '', v: query.get('v') ?? '', sign_method: query.get('sign_method') ?? 'hmac-sha256' };
    if (signDouyin(params, shop.appSecret) !== query.get('sign')) return err(30002, 'sign invalid');
    if (method === 'order.batchDecrypt') return this.douyinDecrypt(shop, body);
    const b = JSON.parse(body) as Record<string, unknown>;
    if (method === 'order.searchList') {
      const page = Number(b.page ?? 0);
      const size = Number(b.size ?? 20);
      this.onListPage?.('douyin', page);
      const all = this.window('douyin', shop, new Date(Number(b.update_time_start) * 1000), new Date(Number(b.update_time_end) * 1000), false);
      return reply({ shop_order_list: this.page(all, page, size, 0).map(douyinOrder), total: all.length, page, size });
    }
    if (method === 'order.orderDetail') {
      const o = this.getOrder('douyin', String(b.shop_order_id));
      if (!o) return err(40004, 'order not found');
      return reply({ shop_order_detail: douyinOrder(o) });
    }
    if (method === 'order.logisticsAdd') {
      const company = scalar(b.company_code);
      if (!SIM_LOGISTICS_COMPANIES.douyin.has(company)) return err(50002, '暂不支持该物流公司或物流商已失效，请检查。', 'isv.business-failed:60018');
      const o = this.getOrder('douyin', String(b.order_id));
      // Whole orders only: an order some of whose packs have left is "partly shipped" for this call.
      if (o?.parcels?.length && o.status !== 'shipped') return err(50002, '该订单当前为“部分发货”状态，无法调用此接口', 'isv.business-failed:60110');
      const refused = this.ship('douyin', shop, method, String(b.order_id), { carrierCode: company, trackingNo: scalar(b.logistics_code) });
      if (refused === 'no_order') return err(50002, '订单不存在，请仔细检查后重试。', 'isv.business-failed:60033');
      if (refused) return err(50002, '订单已发货，不允许再次执行发货。', 'isv.business-failed:60110');
      return reply({});
    }
    if (method === 'order.logisticsAddMultiPack') {
      const requestId = typeof b.request_id === 'string' ? b.request_id : '';
      if (!requestId) return err(40002, '发货请求id不能为空，请检查requestId', 'isv.missing-parameter:50050');
      const repeated = this.packRequests.get(requestId);
      if (repeated) return { status: 200, body: repeated };
      const packs = Array.isArray(b.pack_list) ? (b.pack_list as Record<string, unknown>[]) : [];
      if (packs.length === 0) return err(50002, '发货信息为空。', 'isv.business-failed:60036');
      for (const p of packs) {
        if (!SIM_LOGISTICS_COMPANIES.douyin.has(scalar(p.company_code))) return err(50002, '暂不支持该物流公司或物流商已失效，请检查。', 'isv.business-failed:60018');
        if (typeof p.logistics_code !== 'string' || !p.logistics_code) return err(40004, '物流单号不符合规则', 'isv.parameter-invalid:60017');
      }
      const orderId = String(b.order_id);
      const lineIdsOf = (p: Record<string, unknown>) => (Array.isArray(p.shipped_order_info) ? (p.shipped_order_info as Record<string, unknown>[]).map((i) => scalar(i.shipped_order_id)) : []);
      // All packs or none, as the platform documents.
      const o = this.getOrder('douyin', orderId);
      if (!o) return err(50002, '订单不存在，请仔细检查后重试。', 'isv.business-failed:60033');
      const shipped = new Set((o.parcels ?? []).flatMap((x) => x.lineIds));
      for (const p of packs) {
        const ids = lineIdsOf(p);
        if (ids.length === 0 || ids.some((id) => !o.lines.some((l) => l.lineId === id))) return err(50002, '60102:商品单不存在，请仔细检查后重试', 'isv.business-failed:60102');
        if (ids.some((id) => shipped.has(id))) return err(50002, '70023:已发货，请检查订单状态', 'isv.business-failed:70023');
      }
      const answer = packs.map((p) => {
        this.ship('douyin', shop, method, orderId, { carrierCode: scalar(p.company_code), trackingNo: scalar(p.logistics_code), lineIds: lineIdsOf(p) });
        return { pack_id: `${orderId}-${o.parcels!.length}`, logistics_code: p.logistics_code, shipped_order_info: lineIdsOf(p).map((id) => ({ shipped_order_id: id, shipped_num: o.lines.find((l) => l.lineId === id)!.quantity })) };
      });
      const res = reply({ pack_list: answer });
      this.packRequests.set(requestId, res.body);
      return res;
    }
    return err(40000, `unknown method ${method}`);
  }

  /**
   * Records a package shipped on an order: `lineIds` undefined ships every line not yet shipped (a whole-order
   * call), an empty list adds a tracking number without lines (JD, PDD). A tracking number the order already
   * has, or lines already shipped, are refused as "already shipped"; so is a whole-order call once any
   * package has left. The order is shipped once no line is left.
   */
  private ship(platform: SimPlatform, shop: SimShop, method: string, platformOrderId: string, p: { carrierCode: string; trackingNo: string; lineIds?: string[] | undefined }): ShipRefusal | undefined {
    const o = this.getOrder(platform, platformOrderId);
    if (!o) return 'no_order';
    const parcels = (o.parcels ??= []);
    const added = p.lineIds !== undefined && p.lineIds.length === 0;
    if (parcels.some((x) => x.trackingNo === p.trackingNo)) return added ? undefined : 'already_shipped';
    if (p.lineIds?.some((id) => !o.lines.some((l) => l.lineId === id))) return 'unknown_lines';
    const shipped = new Set(parcels.flatMap((x) => x.lineIds));
    if (p.lineIds === undefined && parcels.length > 0) return 'already_shipped';
    if (p.lineIds?.some((id) => shipped.has(id))) return 'already_shipped';
    if (added && parcels.length === 0) return 'not_shipped';
    const parcel: SimParcel = { trackingNo: p.trackingNo, carrierCode: p.carrierCode, lineIds: p.lineIds ?? o.lines.map((l) => l.lineId) };
    parcels.push(parcel);
    this.writebacks.push({ platform, appKey: shop.appKey, method, platformOrderId, carrierCode: p.carrierCode, trackingNo: p.trackingNo, ...(p.lineIds?.length ? { lineIds: [...p.lineIds] } : {}), at: new Date() });
    const left = o.lines.some((l) => !parcels.some((x) => x.lineIds.includes(l.lineId)));
    if (!left) o.status = 'shipped';
    o.modifiedAt = new Date(Math.max(o.modifiedAt.getTime() + 1000, Math.floor(Date.now() / 1000) * 1000));
    o.version++;
    return undefined;
  }

  /** JD's waybill list: company ids "a|b" and per company its waybills "x,y|z". A string is the refusal. */
  private jdWaybills(ids: string, waybills: string): { carrierCode: string; trackingNo: string }[] | string {
    const companies = ids.split('|');
    const groups = waybills.split('|');
    if (!ids || companies.length !== groups.length) return 'logiCoprId and logiNo do not match';
    const out: { carrierCode: string; trackingNo: string }[] = [];
    for (const [i, c] of companies.entries()) {
      if (!SIM_LOGISTICS_COMPANIES.jd.has(c)) return `logiCoprId ${c} is invalid`;
      for (const no of groups[i]!.split(',').map((x) => x.trim())) {
        if (!no) return 'logiNo is required';
        out.push({ carrierCode: c, trackingNo: no });
      }
    }
    return out;
  }

  // Buyer-data decryption ---------------------------------------------------------------------------
  // Each platform's decrypt call answers only for orders of the calling shop, and only for what that order
  // carries (its ciphertexts, its oaid): the plaintext is the order's `plain`, which nothing else gives out.

  /** The order, when it belongs to the calling shop. */
  private ownOrder(platform: SimPlatform, shop: SimShop, id: string): SimOrder | undefined {
    const stored = this.orders.get(`${platform}:${id}`);
    return stored && stored.shop === shop ? stored.order : undefined;
  }

  private static text(v: unknown): string {
    return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
  }

  private static list(json: string): Array<Record<string, unknown>> {
    try {
      const v: unknown = JSON.parse(json);
      return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
    } catch {
      return [];
    }
  }

  private douyinDecrypt(shop: SimShop, body: string): { status: number; body: string } {
    const infos = PlatformSimulator.list(JSON.stringify((JSON.parse(body) as { cipher_infos?: unknown }).cipher_infos ?? []));
    const envelope = (code: number, msg: string, data?: unknown) => ({ status: 200, body: JSON.stringify({ code, msg, sub_code: code === 10000 ? '' : 'isv.parameter-invalid', sub_msg: msg, log_id: String(Date.now()), ...(data ? { data } : {}) }) });
    if (infos.length === 0 || infos.length > 50) return envelope(40004, 'cipher_infos 数量须在 1 到 50 之间');
    const decrypt_infos = infos.map((i) => {
      const authId = PlatformSimulator.text(i.auth_id);
      const cipher = PlatformSimulator.text(i.cipher_text);
      const o = this.ownOrder('douyin', shop, authId);
      const field = o ? (Object.entries(douyinCiphertexts(o)).find(([, c]) => c === cipher)?.[0] as keyof SimOrder['plain'] | undefined) : undefined;
      if (!o || !field) return { auth_id: authId, cipher_text: cipher, decrypt_text: '', err_no: 300004, err_msg: '密文与订单不匹配', is_virtual_tel: false };
      return { auth_id: authId, cipher_text: cipher, decrypt_text: o.plain[field], err_no: 0, err_msg: '', is_virtual_tel: false };
    });
    return envelope(10000, 'success', { decrypt_infos, custom_err: { err_code: 0, err_msg: '' } });
  }

  private pddDecrypt(shop: SimShop, dataList: string): { status: number; body: string } {
    const list = PlatformSimulator.list(dataList);
    if (list.length === 0 || list.length > 100) return { status: 200, body: JSON.stringify({ error_response: { error_code: 10000, error_msg: 'data_list 数量须在 1 到 100 之间', sub_msg: '' } }) };
    const TYPES = { name: 5, phone: 6, detail: 8 } as const;
    const data_decrypt_list = list.map((d) => {
      const tag = PlatformSimulator.text(d.data_tag);
      const cipher = PlatformSimulator.text(d.encrypted_data);
      const o = this.ownOrder('pdd', shop, tag);
      const field = o ? (Object.entries(pddCiphertexts(o)).find(([, c]) => c === cipher)?.[0] as keyof SimOrder['plain'] | undefined) : undefined;
      if (!o || !field) return { data_tag: tag, encrypted_data: cipher, decrypted_data: '', error_code: 70031, error_msg: '密文与订单不匹配' };
      return { data_tag: tag, encrypted_data: cipher, decrypted_data: o.plain[field], data_type: TYPES[field], error_code: 0, error_msg: '', virtual_number_type: 0 };
    });
    return { status: 200, body: JSON.stringify({ open_decrypt_batch_response: { data_decrypt_list } }) };
  }

  private taobaoDecrypt(shop: SimShop, queryList: string): { status: number; body: string } {
    const list = PlatformSimulator.list(queryList);
    const err = (code: string, msg: string) => ({ status: 200, body: JSON.stringify({ error_response: { code, msg, sub_code: 'isv.invalid-parameter', sub_msg: msg } }) });
    if (list.length === 0 || list.length > 20) return err('41', 'query_list must hold 1 to 20 entries');
    if (list.some((q) => !q.scene)) return err('40', 'scene is required');
    const receiver = list.flatMap((q) => {
      const tid = PlatformSimulator.text(q.tid);
      const o = this.ownOrder('taobao', shop, tid);
      if (!o) return [];
      const r = o.receiver;
      if (q.oaid !== o.addressKey) return [{ tid, oaid: PlatformSimulator.text(q.oaid), matched: false }];
      return [{ tid, oaid: o.addressKey, name: o.plain.name, mobile: o.plain.phone, phone: '', state: r.province, city: r.city, district: r.district, address_detail: o.plain.detail, matched: true, privacy_protection: false }];
    });
    return { status: 200, body: JSON.stringify({ top_oaid_decrypt_response: { receiver_list: { receiver }, request_id: String(Date.now()) } }) };
  }

  private jdDecrypt(shop: SimShop, req: unknown): { status: number; body: string } {
    const infos = PlatformSimulator.list(JSON.stringify((req as { orderInfos?: unknown } | undefined)?.orderInfos ?? []));
    if (infos.length === 0 || infos.length > 20) return { status: 200, body: JSON.stringify({ error_response: { code: '10100', zh_desc: 'orderInfos 数量须在 1 到 20 之间', en_desc: 'orderInfos must hold 1 to 20 entries' } }) };
    const data = infos.flatMap((i) => {
      const id = PlatformSimulator.text(i.orderId);
      const o = this.ownOrder('jd', shop, id);
      if (!o || i.oaid !== o.addressKey) return [];
      const r = o.receiver;
      return [{ orderId: id, oaid: o.addressKey, name: o.plain.name, mobile: o.plain.phone, province: r.province, city: r.city, county: r.district, address: o.plain.detail }];
    });
    return { status: 200, body: JSON.stringify({ jingdong_jos_order_oaid_decrypt_responce: { returnType: { code: '0', msg: 'success', data } } }) };
  }
}
