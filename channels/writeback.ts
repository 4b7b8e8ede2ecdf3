import type { Platform } from '../domain/order.js';
import { ChannelApiError, ChannelPayloadError, optInt, optObject, optString } from './common.js';
import { buildDouyinRequest, DOUYIN_SUCCESS_CODE } from './douyin/index.js';
import { parseJsonObject, type JsonObject } from './json.js';
import { buildJosRequest } from './jd/index.js';
import { buildPddRequest } from './pdd/index.js';
import { buildTopRequest } from './taobao/index.js';
import type { ShopCredentials, SignedRequest } from './types.js';

/**
 * Shipment write-back: telling the platform an order left with a carrier and tracking number. Pure, like
 * the connectors: the activity sends the request. (?) The method names and answer shapes below are the
 * platforms' public "offline/online send" APIs as documented; each lives in one function so a correction
 * touches one place.
 */
export interface ShipmentNotice {
  platformOrderId: string;
  /** The platform's carrier code (e.g. SF, ZTO, YTO). */
  carrierCode: string;
  trackingNo: string;
  /** Sub-orders shipped in this package; absent for the whole order. */
  lineIds?: readonly string[];
}

export const WRITEBACK_METHODS: Readonly<Record<Exclude<Platform, 'manual'>, string>> = {
  taobao: 'taobao.logistics.offline.send',
  jd: 'jingdong.pop.order.shipment',
  douyin: 'order.logisticsAdd',
  pdd: 'pdd.logistics.online.send',
};

export function buildWritebackRequest(platform: Exclude<Platform, 'manual'>, n: ShipmentNotice, credentials: ShopCredentials, now: Date): SignedRequest {
  switch (platform) {
    case 'taobao':
      return buildTopRequest(
        WRITEBACK_METHODS.taobao,
        {
          tid: n.platformOrderId,
          out_sid: n.trackingNo,
          company_code: n.carrierCode,
          ...(n.lineIds?.length ? { is_split: '1', sub_tid: n.lineIds.join(',') } : {}),
        },
        credentials,
        now,
      );
    case 'jd':
      return buildJosRequest(WRITEBACK_METHODS.jd, { order_id: n.platformOrderId, logistics_id: n.carrierCode, waybill: n.trackingNo }, credentials, now);
    case 'douyin':
      return buildDouyinRequest(
        WRITEBACK_METHODS.douyin,
        { order_id: n.platformOrderId, company_code: n.carrierCode, logistics_code: n.trackingNo, ...(n.lineIds?.length ? { sku_order_ids: [...n.lineIds] } : {}) },
        credentials,
        now,
      );
    case 'pdd':
      return buildPddRequest(WRITEBACK_METHODS.pdd, { order_sn: n.platformOrderId, logistics_id: n.carrierCode, tracking_number: n.trackingNo }, credentials, now);
  }
}

export interface WritebackAnswer {
  ok: boolean;
  /** The platform already has this tracking number for the order: as good as ok. */
  alreadyShipped: boolean;
  message: string;
}

const ALREADY = /already|重复|已发货/i;

function fromError(platform: string, err: JsonObject): WritebackAnswer {
  const message = optString(err, 'sub_msg') ?? optString(err, 'msg') ?? optString(err, 'error_msg') ?? optString(err, 'zh_desc') ?? 'error';
  if (ALREADY.test(message)) return { ok: true, alreadyShipped: true, message };
  throw new ChannelApiError(platform, optString(err, 'code') ?? optString(err, 'error_code') ?? '?', message, optString(err, 'sub_code'));
}

/** Reads the platform's answer; platform errors throw ChannelApiError (an "already shipped" answer is success). */
export function parseWritebackResponse(platform: Exclude<Platform, 'manual'>, rawBody: string): WritebackAnswer {
  const body = parseJsonObject(rawBody);
  const err = optObject(body, 'error_response');
  if (err) return fromError(platform, err);
  switch (platform) {
    case 'taobao': {
      const shipping = optObject(optObject(body, 'logistics_offline_send_response') ?? {}, 'shipping');
      if (!shipping) throw new ChannelPayloadError('TOP write-back answer without shipping');
      return { ok: shipping.is_success === true, alreadyShipped: false, message: 'shipped' };
    }
    case 'jd': {
      const result = optObject(optObject(body, 'jingdong_pop_order_shipment_responce') ?? {}, 'sopjosshipment_result');
      if (!result) throw new ChannelPayloadError('JOS write-back answer without sopjosshipment_result');
      return { ok: result.success === true, alreadyShipped: false, message: optString(result, 'chineseErrCode') ?? 'shipped' };
    }
    case 'douyin': {
      if (optInt(body, 'code') !== DOUYIN_SUCCESS_CODE) return fromError('douyin', body);
      return { ok: true, alreadyShipped: false, message: 'shipped' };
    }
    case 'pdd': {
      const res = optObject(body, 'logistics_online_send_response');
      if (!res) throw new ChannelPayloadError('PDD write-back answer without logistics_online_send_response');
      return { ok: res.is_success === true, alreadyShipped: false, message: 'shipped' };
    }
  }
}
