import { unanswered, type DecryptApi, type DecryptedItem, type DecryptItem, type DecryptOptions, type DecryptRules, type PlainReceiver } from '../buyer-data.js';
import { field, objectArray, optId, optString } from '../common.js';
import { isJsonObject, type JsonObject } from '../json.js';
import type { ShopCredentials, SignedRequest } from '../types.js';
import { topResponse } from './pull.js';
import { buildTopRequest } from './request.js';

export const TAOBAO_DECRYPT: DecryptRules = {
  method: 'taobao.top.oaid.decrypt',
  // (?) query_list takes at most 20 entries (the TOP SDKs' own limit).
  maxBatch: 20,
  // (?) TOP meters oaid decryption per app and shop; 5 calls a second is a conservative pace.
  callsPerSecond: 5,
  by: 'order',
};

/**
 * (?) The decrypt scene: why plaintext is needed, which TOP's decryption policy depends on. 1004 is "other
 * electronic waybill", the warehouse hand-off's case; Cainiao waybills take the oaid and need no decrypt at all.
 */
export const TAOBAO_DECRYPT_SCENE = '1004';

/** `taobao.top.oaid.decrypt`: `query_list` [{tid, oaid, scene}] as a JSON string. */
export function buildTaobaoDecryptRequest(items: readonly DecryptItem[], credentials: ShopCredentials, now: Date, opts: DecryptOptions = {}): SignedRequest {
  const scene = opts.scene ?? TAOBAO_DECRYPT_SCENE;
  const queryList = items.map((i) => ({ tid: i.platformOrderId, oaid: i.addressKey ?? '', scene }));
  return buildTopRequest(TAOBAO_DECRYPT.method, { query_list: JSON.stringify(queryList) }, credentials, now);
}

/** TOP wraps lists of objects (`{receiver: [...]}`); a bare array is taken too. */
function receivers(res: JsonObject): JsonObject[] {
  const list = field(res, 'receiver_list');
  if (Array.isArray(list)) return list.filter(isJsonObject);
  return isJsonObject(list) ? objectArray(list, 'receiver') : [];
}

/**
 * `top_oaid_decrypt_response.receiver_list` [{tid, oaid, name, mobile, phone, state, city, district, town,
 * address_detail, matched, privacy_protection}]. `matched: false` means the order's address changed since the
 * oaid was read: that order is an error (read the order again), not a receiver.
 */
export function parseTaobaoDecryptResponse(rawBody: string, items: readonly DecryptItem[]): DecryptedItem[] {
  const res = topResponse(rawBody, 'top_oaid_decrypt_response');
  const answered = new Set<DecryptItem>();
  const out: DecryptedItem[] = [];
  for (const r of receivers(res)) {
    const tid = optId(r, 'tid') ?? optId(r, 'order_id') ?? '';
    const item = items.find((i) => i.platformOrderId === tid && (optString(r, 'oaid') === undefined || i.addressKey === optString(r, 'oaid')));
    if (!item) continue;
    answered.add(item);
    if (field(r, 'matched') === false) {
      out.push({ platformOrderId: tid, error: 'oaid no longer matches the order (address changed): read the order again' });
      continue;
    }
    const plain: PlainReceiver = {};
    const put = (k: keyof Omit<PlainReceiver, 'virtualPhone'>, v: string | undefined) => {
      if (v !== undefined) plain[k] = v;
    };
    put('name', optString(r, 'name'));
    put('phone', optString(r, 'mobile') ?? optString(r, 'phone'));
    put('detail', optString(r, 'address_detail'));
    put('province', optString(r, 'state'));
    put('city', optString(r, 'city'));
    put('district', optString(r, 'district'));
    put('town', optString(r, 'town'));
    if (field(r, 'privacy_protection') === true) plain.virtualPhone = true;
    out.push({ platformOrderId: tid, plain });
  }
  return [...out, ...unanswered(items, answered)];
}

export const taobaoDecrypt: DecryptApi = {
  platform: 'taobao',
  rules: TAOBAO_DECRYPT,
  buildRequest: buildTaobaoDecryptRequest,
  parseResponse: parseTaobaoDecryptResponse,
};
