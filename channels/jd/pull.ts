import { ChannelApiError, ChannelPayloadError, formBody, objectArray, optInt, optObject, optString, reqId, utcToBeijing } from '../common.js';
import { parseJsonObject, stableStringify, type JsonObject } from '../json.js';
import type { PagingRules, PullPage, PullQuery, ShopCredentials, SignedRequest } from '../types.js';
import { signJd } from './sign.js';

export const JD_PAGING: PagingRules = {
  direction: 'forward',
  firstPage: 1,
  // (?) 50 is the documented ceiling of jingdong.pop.order.search's page_size.
  maxPageSize: 50,
  // JOS accepts a month; short windows keep pages few.
  maxWindowMs: 24 * 3600 * 1000,
  // JD does not push: pulls are its only way in. 20 + 15 s leaves a run 25 s of the minute; later index
  // arrivals are read by the overlap.
  lagMs: 15 * 1000,
  intervalMs: 20 * 1000,
  listHasDetail: true,
};

const ROUTER = 'https://api.jd.com/routerjson';

/** Every state, so that a pull sees cancellations and shipments too. */
export const JD_ORDER_STATES =
  'WAIT_SELLER_STOCK_OUT,WAIT_GOODS_RECEIVE_CONFIRM,WAIT_SELLER_DELIVERY,PAUSE,FINISHED_L,TRADE_CANCELED,LOCKED,POP_ORDER_PAUSE';

export const JD_OPTIONAL_FIELDS = [
  'orderId', 'venderId', 'orderType', 'orderTotalPrice', 'orderSellerPrice', 'orderPayment', 'freightPrice',
  'sellerDiscount', 'orderState', 'orderRemark', 'venderRemark', 'orderStartTime', 'paymentConfirmTime',
  'modified', 'consigneeInfo', 'itemInfoList', 'couponDetailList', 'open_id_buyer',
].join(',');

const ID_KEYS = ['orderId', 'venderId', 'skuId', 'wareId'];

/** A signed JOS call: `360buy_param_json` is signed and sent as the same string. */
export function buildJosRequest(method: string, business: Readonly<Record<string, unknown>>, credentials: ShopCredentials, now: Date): SignedRequest {
  const params: Record<string, string> = {
    method,
    app_key: credentials.appKey,
    timestamp: utcToBeijing(now),
    v: '2.0',
    '360buy_param_json': stableStringify(business),
    ...(credentials.accessToken ? { access_token: credentials.accessToken } : {}),
  };
  params.sign = signJd(params, credentials.appSecret);
  return { method: 'POST', url: credentials.baseUrl ?? ROUTER, params, contentType: 'application/x-www-form-urlencoded', body: formBody(params) };
}

export function buildJdPullRequest(query: PullQuery, credentials: ShopCredentials): SignedRequest {
  return buildJosRequest(
    'jingdong.pop.order.search',
    {
      start_date: utcToBeijing(query.window.start),
      end_date: utcToBeijing(query.window.end),
      order_state: JD_ORDER_STATES,
      optional_fields: JD_OPTIONAL_FIELDS,
      page: String(query.page),
      page_size: String(Math.min(query.pageSize, JD_PAGING.maxPageSize)),
      // 0: the window is on modified time, so changes to old orders are seen.
      dateType: 0,
    },
    credentials,
    query.now,
  );
}

export function buildJdDetailRequest(orderId: string, credentials: ShopCredentials, now: Date): SignedRequest {
  return buildJosRequest('jingdong.pop.order.get', { order_id: orderId, optional_fields: JD_OPTIONAL_FIELDS, order_state: JD_ORDER_STATES }, credentials, now);
}

/** The `key` object of a JOS response, or its error_response as a ChannelApiError. */
export function josBody(rawBody: string, key: string): JsonObject {
  const body = parseJsonObject(rawBody, { idKeys: ID_KEYS });
  const err = optObject(body, 'error_response');
  if (err) throw new ChannelApiError('jd', optString(err, 'code') ?? '?', optString(err, 'zh_desc') ?? optString(err, 'en_desc') ?? '');
  const res = optObject(body, key);
  if (!res) throw new ChannelPayloadError(`JOS response without ${key}`);
  return res;
}

function checkApiResult(result: JsonObject): void {
  const api = optObject(result, 'apiResult');
  if (api && api.success !== true && api.success !== 'true') {
    throw new ChannelApiError('jd', optString(api, 'englishErrCode') ?? '?', optString(api, 'chineseErrCode') ?? 'apiResult.success is false');
  }
}

export function parseJdPullPage(rawBody: string, query: PullQuery): PullPage {
  // "responce" is JOS's own spelling.
  const res = josBody(rawBody, 'jingdong_pop_order_search_responce');
  const result = optObject(res, 'searchorderinfo_result');
  if (!result) throw new ChannelPayloadError('JOS search response without searchorderinfo_result');
  checkApiResult(result);
  const orders = objectArray(result, 'orderInfoList');
  const total = optInt(result, 'orderTotal') ?? 0;
  const pageSize = Math.min(query.pageSize, JD_PAGING.maxPageSize);
  return {
    page: query.page,
    pageSize,
    total,
    hasNext: query.page * pageSize < total,
    platformOrderIds: orders.map((o) => reqId(o, 'orderId', 'JD order list item')),
    orders,
  };
}

export function parseJdDetail(rawBody: string): JsonObject {
  const res = josBody(rawBody, 'jingdong_pop_order_get_responce');
  const detail = optObject(res, 'orderDetailInfo');
  if (!detail) throw new ChannelPayloadError('JOS detail response without orderDetailInfo');
  checkApiResult(detail);
  const info = optObject(detail, 'orderInfo');
  if (!info) throw new ChannelPayloadError('JOS detail response without orderInfo');
  return info;
}
