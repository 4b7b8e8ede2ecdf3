import type { Platform } from '../domain/order.js';
import { ChannelApiError, ChannelPayloadError, field, objectArray, optId, optInt, optObject, optString } from './common.js';
import { buildDouyinDetailRequest, buildDouyinRequest, DOUYIN_SUCCESS_CODE, parseDouyinDetail } from './douyin/index.js';
import { isJsonObject, parseJsonObject, type JsonObject } from './json.js';
import { buildJosRequest, parseJdDetail } from './jd/index.js';
import { buildPddDetailRequest, buildPddRequest, parsePddDetail } from './pdd/index.js';
import { buildTopRequest, parseTaobaoDetail } from './taobao/index.js';
import type { ShopCredentials, SignedRequest } from './types.js';

/**
 * Shipment write-back: telling the platform that a package of an order left with a carrier and tracking
 * number. Pure, like the connectors: the activity sends the requests. Facts the platforms' public material
 * leaves open are marked (?) and kept in one function or constant each.
 *
 * An order that leaves in one package is told with the platform's plain shipment call. An order split into
 * several packages is told package by package, the way each platform allows:
 * - Taobao/Tmall: `taobao.logistics.offline.send` with `is_split=1` and `sub_tid` = the package's sub-order
 *   ids (oid), once per package.
 * - Douyin: `order.logisticsAddMultiPack` with one pack naming its sku orders (`shipped_order_id`), once per
 *   package, `request_id` making a repeated call harmless. (`order.logisticsAdd` takes whole orders only.)
 * - JD (POP) and Pinduoduo have no per-line shipment: the first package ships the order
 *   (`jingdong.pop.order.shipment`, `pdd.logistics.online.send`), each further package adds its tracking
 *   number to the shipped order (`360buy.order.sop.waybill.update` (?) with every waybill of the order,
 *   `pdd.order.upload.extra.logistics`). Which lines a package carried is not told on these platforms.
 */

export type WritebackPlatform = Exclude<Platform, 'manual'>;

/** How one package is told: as the order's shipment, as a split shipment of its lines, or as an added tracking number. */
export type WritebackCall = 'whole' | 'split' | 'additional';

export interface ShipmentNotice {
  platformOrderId: string;
  /** The platform's logistics company code or id (mapped from Orderly's carrier code). */
  carrierCode: string;
  trackingNo: string;
  /** The platform's sub-order ids in this package; absent for the whole order. */
  lineIds?: readonly string[];
  /** Default: `split` when line ids are given, else `whole`. */
  call?: WritebackCall;
  /** JD's added waybill replaces the order's list: the packages already told, in order (platform codes). */
  earlier?: readonly { carrierCode: string; trackingNo: string }[];
  /** Douyin's multi-pack `request_id`: the same id for every attempt at the same package. */
  requestId?: string;
}

export const WRITEBACK_METHODS: Readonly<Record<WritebackPlatform, string>> = {
  taobao: 'taobao.logistics.offline.send',
  jd: 'jingdong.pop.order.shipment',
  douyin: 'order.logisticsAdd',
  pdd: 'pdd.logistics.online.send',
};

/** Per-line shipment (Taobao uses its plain method with split flags). */
export const SPLIT_METHODS = { taobao: 'taobao.logistics.offline.send', douyin: 'order.logisticsAddMultiPack' } as const;

/** A further tracking number for an order already shipped. (?) JD's is the legacy SOP name, still documented by the SDKs. */
export const ADDITIONAL_METHODS = { jd: '360buy.order.sop.waybill.update', pdd: 'pdd.order.upload.extra.logistics' } as const;

/** What each platform offers for an order in several packages: sub-order ids per package, or added tracking numbers. */
export const SPLIT_SUPPORT: Readonly<Record<WritebackPlatform, 'lines' | 'additional'>> = { taobao: 'lines', douyin: 'lines', jd: 'additional', pdd: 'additional' };

/** Carrier codes as each platform's logistics company list has them: JD and PDD take numeric ids. */
export const PLATFORM_CARRIER_CODE: Readonly<Record<WritebackPlatform, RegExp>> = {
  taobao: /^[A-Za-z0-9_-]{1,64}$/,
  douyin: /^[A-Za-z0-9_-]{1,64}$/,
  jd: /^\d{1,18}$/,
  pdd: /^\d{1,18}$/,
};

/**
 * Which call tells this package. `split`: the order leaves in more than one package (or this package does
 * not hold all its lines); `firstOfOrder`: no other package of the order has been told yet.
 *
 * @example planWriteback('taobao', { split: true, lineIds: ['11'], firstOfOrder: false }) // { call: 'split' }
 * @example planWriteback('pdd', { split: true, lineIds: [], firstOfOrder: false }) // { call: 'additional' }
 */
export function planWriteback(platform: WritebackPlatform, p: { split: boolean; lineIds: readonly string[]; firstOfOrder: boolean }): { call: WritebackCall } | { error: string } {
  if (!p.split) return { call: 'whole' };
  if (SPLIT_SUPPORT[platform] === 'lines') {
    if (p.lineIds.length === 0) return { error: `${platform} ships a split order by its sub-order ids, and this package names none of the order's lines` };
    return { call: 'split' };
  }
  return { call: p.firstOfOrder ? 'whole' : 'additional' };
}

/** The method a call uses on a platform. */
export function writebackMethod(platform: WritebackPlatform, call: WritebackCall): string {
  if (call === 'split' && (platform === 'taobao' || platform === 'douyin')) return SPLIT_METHODS[platform];
  if (call === 'additional' && (platform === 'jd' || platform === 'pdd')) return ADDITIONAL_METHODS[platform];
  return WRITEBACK_METHODS[platform];
}

function callOf(platform: WritebackPlatform, n: ShipmentNotice): WritebackCall {
  const call = n.call ?? (n.lineIds?.length ? 'split' : 'whole');
  // A platform without the call falls back to the one it has (JD/PDD ignore lines; Taobao/Douyin add nothing).
  if (call === 'split' && SPLIT_SUPPORT[platform] !== 'lines') return 'whole';
  if (call === 'additional' && SPLIT_SUPPORT[platform] !== 'additional') return 'whole';
  return call;
}

/**
 * JD's waybill list: (?) company ids joined by "|", and per company its waybills joined by "," in the same
 * order, as the SDKs document `logiCoprId`/`logiNo` ("2100|4700", "1200458628372,111232|468778814888").
 */
export function jdWaybillList(parcels: readonly { carrierCode: string; trackingNo: string }[]): { logisticsIds: string; waybills: string } {
  const groups = new Map<string, string[]>();
  for (const p of parcels) {
    const g = groups.get(p.carrierCode) ?? [];
    if (!g.includes(p.trackingNo)) g.push(p.trackingNo);
    groups.set(p.carrierCode, g);
  }
  return { logisticsIds: [...groups.keys()].join('|'), waybills: [...groups.values()].map((g) => g.join(',')).join('|') };
}

export function buildWritebackRequest(platform: WritebackPlatform, n: ShipmentNotice, credentials: ShopCredentials, now: Date): SignedRequest {
  const call = callOf(platform, n);
  const method = writebackMethod(platform, call);
  switch (platform) {
    case 'taobao':
      return buildTopRequest(
        method,
        {
          tid: n.platformOrderId,
          out_sid: n.trackingNo,
          company_code: n.carrierCode,
          ...(call === 'split' ? { is_split: '1', sub_tid: (n.lineIds ?? []).join(',') } : {}),
        },
        credentials,
        now,
      );
    case 'jd': {
      if (call === 'additional') {
        const { logisticsIds, waybills } = jdWaybillList([...(n.earlier ?? []), { carrierCode: n.carrierCode, trackingNo: n.trackingNo }]);
        return buildJosRequest(method, { order_id: n.platformOrderId, logistics_id: logisticsIds, waybill: waybills }, credentials, now);
      }
      return buildJosRequest(method, { orderId: n.platformOrderId, logiCoprId: n.carrierCode, logiNo: n.trackingNo }, credentials, now);
    }
    case 'douyin': {
      if (call === 'split') {
        return buildDouyinRequest(
          method,
          {
            order_id: n.platformOrderId,
            // (?) Without shipped_num a sku order is shipped whole.
            pack_list: [{ shipped_order_info: (n.lineIds ?? []).map((id) => ({ shipped_order_id: id })), logistics_code: n.trackingNo, company_code: n.carrierCode }],
            request_id: n.requestId ?? `${n.platformOrderId}-${n.trackingNo}`,
          },
          credentials,
          now,
        );
      }
      return buildDouyinRequest(method, { order_id: n.platformOrderId, company_code: n.carrierCode, logistics_code: n.trackingNo }, credentials, now);
    }
    case 'pdd': {
      if (call === 'additional') {
        // (?) A list parameter travels as a JSON string among PDD's flat business parameters.
        return buildPddRequest(
          method,
          { order_sn: n.platformOrderId, extra_track_list: JSON.stringify([{ shipping_id: Number(n.carrierCode), tracking_number: n.trackingNo }]) },
          credentials,
          now,
        );
      }
      return buildPddRequest(method, { order_sn: n.platformOrderId, logistics_id: n.carrierCode, tracking_number: n.trackingNo }, credentials, now);
    }
  }
}

export interface WritebackAnswer {
  ok: boolean;
  /**
   * The platform says the order (or these lines) shipped already. That is success only when its record holds
   * this tracking number: the caller reads the order's shipments (`parseShipmentCheck`) and judges
   * (`judgeAlreadyShipped`), so a split order's second tracking number is never taken as sent unseen.
   */
  alreadyShipped: boolean;
  message: string;
}

/** "Already shipped" in the platforms' words. (?) Douyin 60110 "订单已发货", PDD "重复发货", JD 10400012. */
const ALREADY = /already|重复|已发货/i;

function fromError(platform: string, err: JsonObject): WritebackAnswer {
  const message = optString(err, 'sub_msg') ?? optString(err, 'msg') ?? optString(err, 'error_msg') ?? optString(err, 'zh_desc') ?? 'error';
  if (ALREADY.test(message)) return { ok: false, alreadyShipped: true, message };
  throw new ChannelApiError(platform, optString(err, 'code') ?? optString(err, 'error_code') ?? '?', message, optString(err, 'sub_code'));
}

/** (?) JOS names an answer after its method ("jingdong_pop_order_shipment_responce", sic); some gateways spell it "response". */
function josAnswer(body: JsonObject, method: string): JsonObject | undefined {
  const base = method.replace(/\./g, '_');
  return optObject(body, `${base}_responce`) ?? optObject(body, `${base}_response`);
}

/**
 * Reads the platform's answer to a write-back call. Platform errors throw ChannelApiError; an "already
 * shipped" refusal comes back as `alreadyShipped` (not ok) for the caller to check.
 */
export function parseWritebackResponse(platform: WritebackPlatform, rawBody: string, call: WritebackCall = 'whole'): WritebackAnswer {
  const body = parseJsonObject(rawBody);
  const err = optObject(body, 'error_response');
  if (err) return fromError(platform, err);
  const method = writebackMethod(platform, call);
  switch (platform) {
    case 'taobao': {
      const shipping = optObject(optObject(body, 'logistics_offline_send_response') ?? {}, 'shipping');
      if (!shipping) throw new ChannelPayloadError('TOP write-back answer without shipping');
      return { ok: shipping.is_success === true, alreadyShipped: false, message: 'shipped' };
    }
    case 'jd': {
      if (method === ADDITIONAL_METHODS.jd) {
        const res = josAnswer(body, method);
        if (!res) throw new ChannelPayloadError(`JOS answer to ${method} without its result`);
        // (?) The legacy answer's fields are not documented publicly: anything but an explicit failure is success.
        const failed = res.success === false || res.success === 'false';
        return { ok: !failed, alreadyShipped: false, message: optString(res, 'chineseErrCode') ?? (failed ? 'not updated' : 'waybill updated') };
      }
      const result = optObject(josAnswer(body, method) ?? {}, 'sopjosshipment_result');
      if (!result) throw new ChannelPayloadError('JOS write-back answer without sopjosshipment_result');
      const ok = result.success === true || result.success === 'true';
      const message = optString(result, 'chineseErrCode') ?? optString(result, 'englishErrCode') ?? 'shipped';
      if (!ok && ALREADY.test(message)) return { ok: false, alreadyShipped: true, message };
      return { ok, alreadyShipped: false, message };
    }
    case 'douyin': {
      if (optInt(body, 'code') !== DOUYIN_SUCCESS_CODE) return fromError('douyin', body);
      return { ok: true, alreadyShipped: false, message: call === 'split' ? 'pack added' : 'shipped' };
    }
    case 'pdd': {
      if (method === ADDITIONAL_METHODS.pdd) {
        const res = optObject(body, 'upload_extra_logistics_response');
        if (!res) throw new ChannelPayloadError('PDD answer without upload_extra_logistics_response');
        return { ok: res.success === true, alreadyShipped: false, message: 'tracking number added' };
      }
      const res = optObject(body, 'logistics_online_send_response');
      if (!res) throw new ChannelPayloadError('PDD write-back answer without logistics_online_send_response');
      return { ok: res.is_success === true, alreadyShipped: false, message: 'shipped' };
    }
  }
}

/**
 * A refusal that retrying cannot change, beyond what `isPermanentChannelError` knows: Douyin's business and
 * parameter failures (`isv.business-failed:*`, `isv.parameter-invalid:*`, `isv.missing-parameter:*`)
 * except those that say to try again later.
 */
export function isWritebackRefusal(e: unknown): boolean {
  if (!(e instanceof ChannelApiError)) return false;
  if (/繁忙|稍后|busy|later|timeout|超时/i.test(e.message)) return false;
  return /^isv\.(business-failed|parameter-invalid|missing-parameter)/.test(e.subCode ?? '');
}

// Checking an "already shipped" answer ---------------------------------------------------------------

/** A parcel the platform has on record for an order. `lineIds` is empty where the platform does not say. */
export interface PlatformParcel {
  trackingNo: string;
  carrierCode?: string;
  lineIds: string[];
}

/** Fields a Taobao shipment check reads. (?) `orders` returns each sub-order's `invoice_no` once consigned. */
const TAOBAO_CHECK_FIELDS = 'tid,status,orders';
/** JD returns the waybills only when asked for them. */
const JD_CHECK_FIELDS = 'orderId,orderState,waybill,logisticsId';

/** Reads the order's recorded shipments from the platform (its detail call). */
export function buildShipmentCheckRequest(platform: WritebackPlatform, platformOrderId: string, credentials: ShopCredentials, now: Date): SignedRequest {
  switch (platform) {
    case 'taobao':
      return buildTopRequest('taobao.trade.fullinfo.get', { fields: TAOBAO_CHECK_FIELDS, tid: platformOrderId }, credentials, now);
    case 'jd':
      return buildJosRequest('jingdong.pop.order.get', { order_id: platformOrderId, optional_fields: JD_CHECK_FIELDS }, credentials, now);
    case 'douyin':
      return buildDouyinDetailRequest(platformOrderId, credentials, now);
    case 'pdd':
      return buildPddDetailRequest(platformOrderId, credentials, now);
  }
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

/** The parcels an order detail records: Taobao per sub-order, Douyin per pack with its sku orders, JD and PDD by tracking number only. */
export function parseShipmentCheck(platform: WritebackPlatform, rawBody: string): PlatformParcel[] {
  switch (platform) {
    case 'taobao': {
      const trade = parseTaobaoDetail(rawBody);
      const byNo = new Map<string, PlatformParcel>();
      const orders = optObject(trade, 'orders');
      for (const o of orders ? objectArray(orders, 'order') : []) {
        const no = optString(o, 'invoice_no');
        if (!no) continue;
        const p = byNo.get(no) ?? { trackingNo: no, lineIds: [] };
        const oid = optId(o, 'oid');
        if (oid) p.lineIds.push(oid);
        const company = optString(o, 'logistics_company');
        if (company) p.carrierCode = company;
        byNo.set(no, p);
      }
      return [...byNo.values()];
    }
    case 'jd': {
      const info = parseJdDetail(rawBody);
      const waybill = optString(info, 'waybill') ?? '';
      return waybill
        .split(/[|,]/)
        .map((s) => s.trim())
        .filter(Boolean)
        .map((trackingNo) => ({ trackingNo, lineIds: [] }));
    }
    case 'douyin': {
      const detail = parseDouyinDetail(rawBody);
      return objectArray(detail, 'logistics_info').flatMap((l) => {
        const no = optString(l, 'tracking_no');
        if (!no) return [];
        const lineIds = objectArray(l, 'product_info').flatMap((p) => (optId(p, 'sku_order_id') ? [optId(p, 'sku_order_id')!] : []));
        const company = optString(l, 'company');
        return [{ trackingNo: no, lineIds, ...(company ? { carrierCode: company } : {}) }];
      });
    }
    case 'pdd': {
      const info = parsePddDetail(rawBody);
      const main = optString(info, 'tracking_number');
      const parcels: PlatformParcel[] = main ? [{ trackingNo: main, lineIds: [], ...(text(field(info, 'logistics_id')) ? { carrierCode: text(field(info, 'logistics_id'))! } : {}) }] : [];
      const extra = field(info, 'extra_delivery_list');
      for (const e of Array.isArray(extra) ? extra.filter(isJsonObject) : []) {
        const no = optString(e, 'tracking_number');
        if (no) parcels.push({ trackingNo: no, lineIds: [], ...(text(field(e, 'logistics_id')) ? { carrierCode: text(field(e, 'logistics_id'))! } : {}) });
      }
      return parcels;
    }
  }
}

export type AlreadyShippedVerdict =
  /** The platform holds this tracking number (for these lines, where it says): it was sent before. */
  | { verdict: 'same' }
  /** The platform holds only other tracking numbers of this order's own packages: this one still needs its own call. */
  | { verdict: 'ours_other'; platformTrackingNos: string[] }
  /** The platform holds a tracking number Orderly never sent for this order: someone shipped it elsewhere. */
  | { verdict: 'conflict'; platformTrackingNos: string[] };

/**
 * Judges an "already shipped" answer against what the platform has on record.
 *
 * @example judgeAlreadyShipped({ trackingNo: 'B', lineIds: ['2'], parcels: [{ trackingNo: 'A', lineIds: ['1'] }], ownTrackingNos: ['A', 'B'] })
 * // { verdict: 'ours_other', platformTrackingNos: ['A'] }
 */
export function judgeAlreadyShipped(p: { trackingNo: string; lineIds: readonly string[]; parcels: readonly PlatformParcel[]; ownTrackingNos: readonly string[] }): AlreadyShippedVerdict {
  const platformTrackingNos = [...new Set(p.parcels.map((x) => x.trackingNo))];
  const mine = p.parcels.filter((x) => x.trackingNo === p.trackingNo);
  const sameLines = mine.some((x) => x.lineIds.length === 0 || p.lineIds.length === 0 || x.lineIds.some((l) => p.lineIds.includes(l)));
  if (mine.length > 0 && sameLines) return { verdict: 'same' };
  const own = new Set(p.ownTrackingNos);
  if (platformTrackingNos.length > 0 && platformTrackingNos.every((t) => own.has(t))) return { verdict: 'ours_other', platformTrackingNos };
  return { verdict: 'conflict', platformTrackingNos };
}
