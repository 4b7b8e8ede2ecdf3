import { unanswered, type DecryptApi, type DecryptedItem, type DecryptItem, type DecryptOptions, type DecryptRules, type PlainReceiver } from '../buyer-data.js';
import { ChannelApiError, ChannelPayloadError, field, objectArray, optId, optObject, optString } from '../common.js';
import { isJsonObject, type JsonObject } from '../json.js';
import type { ShopCredentials, SignedRequest } from '../types.js';
import { buildJosRequest, josBody } from './pull.js';

// (?) Everything in this file is unverified: JD's receiver decryption is not confirmed by the reference. The
// method and request follow the JOS SDKs' `jingdong.jos.order.oaid.decrypt` (getReceiverInfoListReqVO with
// orderInfos [{orderId, oaid}]); the answer's shape is assumed and read by `parseJdDecryptResponse` alone, so a
// correction touches this file only. Orders whose consigneeInfo holds JD ciphertexts without an oaid are not
// decryptable here (JD decrypts those with keys it hands to the app, which Orderly does not implement).

export const JD_DECRYPT: DecryptRules = {
  method: 'jingdong.jos.order.oaid.decrypt',
  // (?) Batch ceiling unknown; 20 as for Taobao's oaid decryption.
  maxBatch: 20,
  // (?) Rate unknown; a conservative pace.
  callsPerSecond: 5,
  by: 'order',
};

/** (?) The scene JD's decryption is asked for (shipping with an electronic waybill). */
export const JD_DECRYPT_SCENE = '1004';

/** (?) `jingdong.jos.order.oaid.decrypt` with getReceiverInfoListReqVO {orderType, scenesType, orderInfos}. */
export function buildJdDecryptRequest(items: readonly DecryptItem[], credentials: ShopCredentials, now: Date, opts: DecryptOptions = {}): SignedRequest {
  return buildJosRequest(
    JD_DECRYPT.method,
    {
      getReceiverInfoListReqVO: {
        orderType: 'POP',
        scenesType: opts.scene ?? JD_DECRYPT_SCENE,
        orderInfos: items.map((i) => ({ orderId: i.platformOrderId, oaid: i.addressKey ?? '' })),
      },
    },
    credentials,
    now,
  );
}

/**
 * (?) Assumed answer: `jingdong_jos_order_oaid_decrypt_responce.returnType` {code ("0" success), msg, data:
 * [{orderId, oaid, name, mobile, telephone, province, city, county, town, address}]}, `address` the street.
 */
export function parseJdDecryptResponse(rawBody: string, items: readonly DecryptItem[]): DecryptedItem[] {
  const res = josBody(rawBody, 'jingdong_jos_order_oaid_decrypt_responce');
  const ret = optObject(res, 'returnType');
  if (!ret) throw new ChannelPayloadError('JOS decrypt response without returnType');
  const code = optString(ret, 'code') ?? '0';
  if (code !== '0') throw new ChannelApiError('jd', code, optString(ret, 'msg') ?? 'oaid decrypt failed');
  const data = field(ret, 'data');
  const list: JsonObject[] = Array.isArray(data) ? data.filter(isJsonObject) : isJsonObject(data) ? objectArray(data, 'receiverInfoList') : [];
  const answered = new Set<DecryptItem>();
  const out: DecryptedItem[] = [];
  for (const r of list) {
    const item = items.find((i) => i.platformOrderId === optId(r, 'orderId'));
    if (!item) continue;
    answered.add(item);
    const plain: PlainReceiver = {};
    const put = (k: keyof Omit<PlainReceiver, 'virtualPhone'>, v: string | undefined) => {
      if (v !== undefined) plain[k] = v;
    };
    put('name', optString(r, 'name'));
    put('phone', optString(r, 'mobile') ?? optString(r, 'telephone'));
    put('detail', optString(r, 'address'));
    put('province', optString(r, 'province'));
    put('city', optString(r, 'city'));
    put('district', optString(r, 'county'));
    put('town', optString(r, 'town'));
    out.push({ platformOrderId: item.platformOrderId, plain });
  }
  return [...out, ...unanswered(items, answered)];
}

export const jdDecrypt: DecryptApi = {
  platform: 'jd',
  rules: JD_DECRYPT,
  buildRequest: buildJdDecryptRequest,
  parseResponse: parseJdDecryptResponse,
};
