import { ChannelApiError, ChannelPayloadError, formBody, listItemTime, objectArray, optInt, optObject, optString, reqString, unixSeconds } from '../common.js';
import { parseJsonObject, type JsonObject } from '../json.js';
import type { PagingRules, PullPage, PullQuery, ShopCredentials, SignedRequest } from '../types.js';
import { signPdd } from './sign.js';

export const PDD_PAGING: PagingRules = {
  direction: 'backward',
  firstPage: 1,
  maxPageSize: 100,
  maxWindowMs: 30 * 60 * 1000,
  // (?) The increment index trails by a few minutes: the window ends 3 minutes behind now, so a pull cannot
  // read a new order within a minute (PDD's message service pushes it). Hence no point in pulling often:
  // 60 s keeps the app's per-minute call limit, shared by all its shops, for the detail reads.
  lagMs: 3 * 60 * 1000,
  intervalMs: 60 * 1000,
  listHasDetail: false,
};

const ROUTER = 'https://gw-api.pinduoduo.com/api/router';
const ID_KEYS = ['goods_id', 'sku_id', 'mall_id'];

/** A signed PDD router call: system and business parameters flat in one form, all signed. */
export function buildPddRequest(type: string, business: Readonly<Record<string, string>>, credentials: ShopCredentials, now: Date): SignedRequest {
  const params: Record<string, string> = {
    type,
    client_id: credentials.appKey,
    timestamp: String(unixSeconds(now)),
    data_type: 'JSON',
    version: 'V1',
    ...(credentials.accessToken ? { access_token: credentials.accessToken } : {}),
    ...business,
  };
  params.sign = signPdd(params, credentials.appSecret);
  return { method: 'POST', url: credentials.baseUrl ?? ROUTER, params, contentType: 'application/x-www-form-urlencoded', body: formBody(params) };
}

/** The probe asks for total_count (use_has_next=false); pages of the backward walk only need the list. */
export function buildPddPullRequest(query: PullQuery, credentials: ShopCredentials): SignedRequest {
  return buildPddRequest(
    'pdd.order.number.list.increment.get',
    {
      is_lucky_flag: '0',
      // 5 means every status.
      order_status: '5',
      refund_status: '5',
      start_updated_at: String(unixSeconds(query.window.start)),
      end_updated_at: String(unixSeconds(query.window.end)),
      page: String(query.page),
      page_size: String(Math.min(query.pageSize, PDD_PAGING.maxPageSize)),
      use_has_next: query.probe ? 'false' : 'true',
    },
    credentials,
    query.now,
  );
}

export function buildPddDetailRequest(orderSn: string, credentials: ShopCredentials, now: Date): SignedRequest {
  return buildPddRequest('pdd.order.information.get', { order_sn: orderSn }, credentials, now);
}

/** The `key` object of a PDD response, or its error_response as a ChannelApiError. */
export function pddResponse(rawBody: string, key: string): JsonObject {
  const body = parseJsonObject(rawBody, { idKeys: ID_KEYS });
  const err = optObject(body, 'error_response');
  if (err) {
    throw new ChannelApiError('pdd', optString(err, 'error_code') ?? '?', optString(err, 'sub_msg') ?? optString(err, 'error_msg') ?? '', optString(err, 'sub_code'));
  }
  const res = optObject(body, key);
  if (!res) throw new ChannelPayloadError(`PDD response without ${key}`);
  return res;
}

export function parsePddPullPage(rawBody: string, query: PullQuery): PullPage {
  const res = pddResponse(rawBody, 'order_sn_increment_get_response');
  const orders = objectArray(res, 'order_sn_list');
  const total = optInt(res, 'total_count');
  const pageSize = Math.min(query.pageSize, PDD_PAGING.maxPageSize);
  return {
    page: query.page,
    pageSize,
    ...(total !== undefined ? { total } : {}),
    hasNext: res.has_next === true || (total !== undefined && query.page * pageSize < total),
    platformOrderIds: orders.map((o) => reqString(o, 'order_sn', 'PDD increment item')),
    orders,
    // As the order mapping reads the detail's `updated_at`.
    modified: orders.map((o) => listItemTime(o, 'updated_at')),
  };
}

export function parsePddDetail(rawBody: string): JsonObject {
  const info = optObject(pddResponse(rawBody, 'order_info_get_response'), 'order_info');
  if (!info) throw new ChannelPayloadError('PDD detail response without order_info');
  return info;
}
