import { ChannelApiError, ChannelPayloadError, objectArray, optInt, optObject, optString, reqId, unixSeconds } from '../common.js';
import { parseJsonObject, stableStringify, type JsonObject } from '../json.js';
import type { PagingRules, PullPage, PullQuery, ShopCredentials, SignedRequest } from '../types.js';
import { signDouyin, type DouyinSignMethod } from './sign.js';

export const DOUYIN_PAGING: PagingRules = {
  direction: 'forward',
  firstPage: 0,
  maxPageSize: 100,
  maxWindowMs: 24 * 3600 * 1000,
  // 20 + 15 s leaves a run 25 s of the minute; later index arrivals are read by the overlap.
  lagMs: 15 * 1000,
  intervalMs: 20 * 1000,
  listHasDetail: true,
};

const GATEWAY = 'https://openapi-fxg.jinritemai.com';
/** (?) The success code of the Douyin response envelope. */
export const DOUYIN_SUCCESS_CODE = 10000;

const ID_KEYS = ['order_id', 'parent_order_id', 'product_id', 'sku_id', 'shop_id', 'auth_id'];

/**
 * A signed Douyin call: system parameters in the query string, `param_json` (sorted keys, no spaces)
 * as the body, byte-identical to what was signed.
 */
export function buildDouyinRequest(
  method: string,
  business: Readonly<Record<string, unknown>>,
  credentials: ShopCredentials,
  now: Date,
  signMethod: DouyinSignMethod = 'hmac-sha256',
): SignedRequest {
  const paramJson = stableStringify(business);
  const params: Record<string, string> = {
    app_key: credentials.appKey,
    method,
    param_json: paramJson,
    timestamp: String(unixSeconds(now)),
    v: '2',
    sign_method: signMethod,
  };
  params.sign = signDouyin(params, credentials.appSecret);
  const query = new URLSearchParams({
    app_key: params.app_key ?? '',
    method,
    v: '2',
    timestamp: params.timestamp ?? '',
    sign: params.sign,
    sign_method: signMethod,
    ...(credentials.accessToken ? { access_token: credentials.accessToken } : {}),
  });
  const base = credentials.baseUrl ?? GATEWAY;
  return { method: 'POST', url: `${base}/${method.replaceAll('.', '/')}?${query.toString()}`, params, contentType: 'application/json', body: paramJson };
}

export function buildDouyinPullRequest(query: PullQuery, credentials: ShopCredentials): SignedRequest {
  return buildDouyinRequest(
    'order.searchList',
    {
      update_time_start: unixSeconds(query.window.start),
      update_time_end: unixSeconds(query.window.end),
      order_by: 'update_time',
      page: query.page,
      size: Math.min(query.pageSize, DOUYIN_PAGING.maxPageSize),
    },
    credentials,
    query.now,
  );
}

export function buildDouyinDetailRequest(orderId: string, credentials: ShopCredentials, now: Date): SignedRequest {
  return buildDouyinRequest('order.orderDetail', { shop_order_id: orderId }, credentials, now);
}

/** The `data` of a Douyin response, or the envelope's error as a ChannelApiError. */
export function douyinData(rawBody: string): JsonObject {
  const body = parseJsonObject(rawBody, { idKeys: ID_KEYS });
  const code = optInt(body, 'code');
  if (code !== DOUYIN_SUCCESS_CODE) {
    throw new ChannelApiError('douyin', String(code ?? '?'), optString(body, 'sub_msg') ?? optString(body, 'msg') ?? '', optString(body, 'sub_code'));
  }
  const data = optObject(body, 'data');
  if (!data) throw new ChannelPayloadError('Douyin response without data');
  return data;
}

export function parseDouyinPullPage(rawBody: string, query: PullQuery): PullPage {
  const data = douyinData(rawBody);
  const orders = objectArray(data, 'shop_order_list');
  const total = optInt(data, 'total') ?? 0;
  const page = optInt(data, 'page') ?? query.page;
  const pageSize = optInt(data, 'size') ?? Math.min(query.pageSize, DOUYIN_PAGING.maxPageSize);
  return {
    page,
    pageSize,
    total,
    // Pages count from 0.
    hasNext: (page + 1) * pageSize < total,
    platformOrderIds: orders.map((o) => reqId(o, 'order_id', 'Douyin list item')),
    orders,
  };
}

export function parseDouyinDetail(rawBody: string): JsonObject {
  const detail = optObject(douyinData(rawBody), 'shop_order_detail');
  if (!detail) throw new ChannelPayloadError('Douyin detail response without shop_order_detail');
  return detail;
}
