import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { beijingToUtc } from '../common.js';
import { douyinEventSign, signDouyin } from '../douyin/index.js';
import { signJd } from '../jd/index.js';
import { pddPushSignature, signPdd } from '../pdd/index.js';
import { signTaobao, taobaoPushSignature } from '../taobao/index.js';
import { OrderGenerator, seededRandom, type SimOrder, type SimPlatform } from './generator.js';
import { big, bigJson, douyinOrder, jdOrder, pddListItem, pddOrder, taobaoListItem, taobaoTrade } from './render.js';

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

export interface SimWriteback {
  platform: SimPlatform;
  appKey: string;
  platformOrderId: string;
  carrierCode: string;
  trackingNo: string;
  at: Date;
}

export type PushKind = 'created' | 'paid';

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

  /** The signed push for one event of an order, as the platform (or Orderly's message relay) sends it. */
  pushRequest(shop: SimShop, o: SimOrder, kind: PushKind, messageId = this.nextMessageId()): { body: string; headers: Record<string, string>; messageId: string } {
    const now = new Date();
    switch (shop.platform) {
      case 'taobao': {
        const topic = kind === 'created' ? 'taobao_trade_TradeCreate' : 'taobao_trade_TradeBuyerPay';
        const content = bigJson({ tid: big(o.id), type: o.presale ? 'step' : 'fixed', status: 'WAIT_BUYER_PAY', payment: (o.paidFen / 100).toFixed(2) });
        const body = bigJson({ id: big(messageId), topic, pub_app_key: big('12497914'), pub_time: now.toISOString().replace('T', ' ').slice(0, 19), user_id: big('2201234567'), user_nick: 'sim-seller', content });
        return { body, headers: { 'content-type': 'application/json', 'x-tmc-sign': taobaoPushSignature(body, shop.appSecret) }, messageId };
      }
      case 'douyin': {
        const tag = kind === 'created' ? '100' : '101';
        const data = bigJson({
          p_id: big(o.id),
          s_ids: o.lines.map((l) => big(l.lineId)),
          shop_id: 77001,
          order_status: kind === 'created' ? 1 : 2,
          order_type: 0,
          biz: 2,
          ...(kind === 'paid' ? { pay_amount: o.paidFen, pay_time: Math.floor((o.paidAt ?? now).getTime() / 1000), pay_type: 1 } : { create_time: Math.floor(o.createdAt.getTime() / 1000) }),
        });
        const body = JSON.stringify([{ tag, msg_id: messageId, data }]);
        return { body, headers: { 'content-type': 'application/json', 'app-id': shop.appKey, 'event-sign': douyinEventSign(shop.appKey, body, shop.appSecret) }, messageId };
      }
      case 'pdd': {
        // PDD announces an order once it is confirmed (paid, group formed): both kinds are that message.
        const content = JSON.stringify({ tid: o.id, mall_id: 880001 });
        const body = bigJson({ id: big(messageId), commandType: 'Common', sendTime: now.getTime(), message: { type: 'pdd_trade_TradeConfirmed', mallID: big('880001'), content } });
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
      const dup = this.recordWriteback('taobao', shop, params.tid ?? '', params.company_code ?? '', params.out_sid ?? '');
      if (dup) return err('isv.logistics-offline-service-error', 'order already shipped');
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
      const dup = this.recordWriteback('jd', shop, String(business.order_id), String(business.logistics_id), String(business.waybill));
      if (dup) return err('10400012', 'order already shipped');
      return { status: 200, body: JSON.stringify({ jingdong_pop_order_shipment_responce: { sopjosshipment_result: { success: true, chineseErrCode: '成功' } } }) };
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
      const dup = this.recordWriteback('pdd', shop, params.order_sn ?? '', params.logistics_id ?? '', params.tracking_number ?? '');
      if (dup) return err(52101, 'order already shipped');
      return { status: 200, body: JSON.stringify({ logistics_online_send_response: { is_success: true } }) };
    }
    return err(10000, `unknown type ${type}`);
  }

  private douyin(method: string, query: URLSearchParams, body: string): { status: number; body: string } {
    const shop = this.shopFor('douyin', query.get('app_key'));
    this.count(method);
    const reply = (data: unknown) => ({ status: 200, body: bigJson({ code: 10000, msg: 'success', sub_code: '', sub_msg: '', log_id: String(Date.now()), data }) });
    const err = (code: number, msg: string) => ({ status: 200, body: JSON.stringify({ code, msg, sub_code: 'isv.error', sub_msg: msg, log_id: '' }) });
    if (!shop) return err(30001, 'app_key invalid');
    const params = { app_key: query.get('app_key') ?? '', method: query.get('method') ?? '', param_json: body, timestamp: query.get('timestamp') ?? '', v: query.get('v') ?? '', sign_method: query.get('sign_method') ?? 'hmac-sha256' };
    if (signDouyin(params, shop.appSecret) !== query.get('sign')) return err(30002, 'sign invalid');
    const b = JSON.parse(body) as Record<string, number | string>;
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
      const dup = this.recordWriteback('douyin', shop, String(b.order_id), String(b.company_code), String(b.logistics_code));
      if (dup) return err(50002, 'order already shipped');
      return reply({});
    }
    return err(40000, `unknown method ${method}`);
  }

  /** Records a write-back; true when the same tracking number was already given for the order. */
  private recordWriteback(platform: SimPlatform, shop: SimShop, platformOrderId: string, carrierCode: string, trackingNo: string): boolean {
    const dup = this.writebacks.some((w) => w.platform === platform && w.platformOrderId === platformOrderId && w.trackingNo === trackingNo);
    this.writebacks.push({ platform, appKey: shop.appKey, platformOrderId, carrierCode, trackingNo, at: new Date() });
    const o = this.getOrder(platform, platformOrderId);
    if (o && !dup) {
      o.status = 'shipped';
      o.modifiedAt = new Date(Math.max(o.modifiedAt.getTime() + 1000, Math.floor(Date.now() / 1000) * 1000));
      o.version++;
    }
    return dup;
  }
}
