import { ChannelApiError, ChannelPayloadError, listItemTime, objectArray, optId, optInt, optObject, optString, utcToBeijing } from '../common.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../json.js';
import type { PagingRules, PullPage, PullQuery, ShopCredentials, SignedRequest } from '../types.js';
import { buildTopRequest } from './request.js';

export const TAOBAO_PAGING: PagingRules = {
  // Sorted by modified descending: see PagingRules.direction.
  direction: 'backward',
  firstPage: 1,
  maxPageSize: 100,
  // TOP allows a day; 30 minutes is what it advises.
  maxWindowMs: 30 * 60 * 1000,
  // TOP states no index delay; later arrivals are read by the overlap. 20 + 15 s leaves a run 25 s of the minute.
  lagMs: 15 * 1000,
  intervalMs: 20 * 1000,
  listHasDetail: false,
};

const LIST_FIELDS = 'tid,tid_str,status,modified,type,step_trade_status';

export const TAOBAO_DETAIL_FIELDS = [
  'tid', 'tid_str', 'status', 'type', 'step_trade_status', 'step_paid_fee', 'created', 'pay_time', 'modified',
  'payment', 'total_fee', 'post_fee', 'discount_fee', 'buyer_message', 'seller_memo', 'seller_flag', 'buyer_open_uid', 'oaid',
  'receiver_name', 'receiver_mobile', 'receiver_phone', 'receiver_state', 'receiver_city', 'receiver_district',
  'receiver_town', 'receiver_address', 'receiver_zip', 'orders',
].join(',');

const ID_KEYS = ['tid', 'oid', 'num_iid', 'sku_id'];

/**
 * `taobao.trades.sold.increment.get` for one page of a window. The probe asks for the total
 * (use_has_next=false); walking pages only need has_next.
 */
export function buildTaobaoPullRequest(query: PullQuery, credentials: ShopCredentials): SignedRequest {
  return buildTopRequest(
    'taobao.trades.sold.increment.get',
    {
      fields: LIST_FIELDS,
      start_modified: utcToBeijing(query.window.start),
      end_modified: utcToBeijing(query.window.end),
      page_no: String(query.page),
      page_size: String(Math.min(query.pageSize, TAOBAO_PAGING.maxPageSize)),
      use_has_next: query.probe ? 'false' : 'true',
    },
    credentials,
    query.now,
  );
}

export function buildTaobaoDetailRequest(tid: string, credentials: ShopCredentials, now: Date): SignedRequest {
  return buildTopRequest('taobao.trade.fullinfo.get', { fields: TAOBAO_DETAIL_FIELDS, tid }, credentials, now);
}

/** Unwraps `<method>_response`, or throws the TOP `error_response`. */
export function topResponse(rawBody: string, key: string): JsonObject {
  const body = parseJsonObject(rawBody, { idKeys: ID_KEYS });
  const err = optObject(body, 'error_response');
  if (err) {
    throw new ChannelApiError('taobao', optString(err, 'code') ?? '?', optString(err, 'sub_msg') ?? optString(err, 'msg') ?? '', optString(err, 'sub_code'));
  }
  const res = optObject(body, key);
  if (!res) throw new ChannelPayloadError(`TOP response without ${key}`);
  return res;
}

export function parseTaobaoPullPage(rawBody: string, query: PullQuery): PullPage {
  const res = topResponse(rawBody, 'trades_sold_increment_get_response');
  const orders = objectArray(optObject(res, 'trades') ?? {}, 'trade');
  const total = optInt(res, 'total_results');
  const hasNext = res.has_next === true || res.has_next === 'true';
  return {
    page: query.page,
    pageSize: Math.min(query.pageSize, TAOBAO_PAGING.maxPageSize),
    ...(total !== undefined ? { total } : {}),
    hasNext: total !== undefined && !('has_next' in res) ? query.page * query.pageSize < total : hasNext,
    platformOrderIds: orders.map((t) => {
      const id = optString(t, 'tid_str') ?? optId(t, 'tid');
      if (!id) throw new ChannelPayloadError('Taobao increment list item without tid');
      return id;
    }),
    orders,
    // As the order mapping reads fullinfo's `modified`.
    modified: orders.map((t) => listItemTime(t, 'modified')),
  };
}

export function parseTaobaoDetail(rawBody: string): JsonObject {
  const trade = topResponse(rawBody, 'trade_fullinfo_get_response').trade;
  if (!isJsonObject(trade)) throw new ChannelPayloadError('fullinfo response without trade');
  return trade;
}
