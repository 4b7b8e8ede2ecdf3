import { itemFor, unanswered, type DecryptApi, type DecryptedItem, type DecryptItem, type DecryptRules } from '../buyer-data.js';
import { ChannelApiError, field, objectArray, optId, optInt, optObject, optString } from '../common.js';
import type { ShopCredentials, SignedRequest } from '../types.js';
import { buildDouyinRequest, douyinData } from './pull.js';

export const DOUYIN_DECRYPT: DecryptRules = {
  method: 'order.batchDecrypt',
  // At most 50 cipher_infos per call.
  maxBatch: 50,
  // (?) Douyin meters decryption per shop (a daily quota, and a risk check on bursts); 5 calls a second is a
  // conservative pace, configurable with BUYER_DECRYPT_CALLS_PER_SECOND.
  callsPerSecond: 5,
  by: 'ciphertext',
};

/**
 * `order.batchDecrypt`: `cipher_infos` [{auth_id (the order id), cipher_text}]. Ciphertexts hold `#`, `$`, `+`,
 * `/` and `=`: the param_json travels in the POST body (still signed), never in the URL.
 */
export function buildDouyinDecryptRequest(items: readonly DecryptItem[], credentials: ShopCredentials, now: Date): SignedRequest {
  return buildDouyinRequest(
    DOUYIN_DECRYPT.method,
    { cipher_infos: items.map((i) => ({ auth_id: i.platformOrderId, cipher_text: i.ciphertext ?? '' })) },
    credentials,
    now,
  );
}

/**
 * `data.decrypt_infos` [{auth_id, cipher_text, decrypt_text, err_no, err_msg, is_virtual_tel}], matched back to
 * the items sent. A `custom_err` with no answers at all fails the whole call (e.g. the shop's quota is spent).
 */
export function parseDouyinDecryptResponse(rawBody: string, items: readonly DecryptItem[]): DecryptedItem[] {
  const data = douyinData(rawBody);
  const infos = objectArray(data, 'decrypt_infos');
  const customErr = optObject(data, 'custom_err');
  const errCode = customErr ? optInt(customErr, 'err_code') : undefined;
  if (errCode && infos.length === 0) throw new ChannelApiError('douyin', String(errCode), optString(customErr!, 'err_msg') ?? 'batchDecrypt failed');
  const answered = new Set<DecryptItem>();
  const out: DecryptedItem[] = [];
  for (const info of infos) {
    const item = itemFor(items, optId(info, 'auth_id') ?? '', optString(info, 'cipher_text') ?? '');
    if (!item?.field) continue;
    answered.add(item);
    const errNo = optInt(info, 'err_no') ?? 0;
    const text = optString(info, 'decrypt_text');
    if (errNo !== 0 || text === undefined) {
      out.push({ platformOrderId: item.platformOrderId, error: `${item.field}: ${errNo} ${optString(info, 'err_msg') ?? 'no decrypt_text'}` });
      continue;
    }
    out.push({ platformOrderId: item.platformOrderId, plain: { [item.field]: text, ...(item.field === 'phone' && field(info, 'is_virtual_tel') === true ? { virtualPhone: true } : {}) } });
  }
  return [...out, ...unanswered(items, answered)];
}

export const douyinDecrypt: DecryptApi = {
  platform: 'douyin',
  rules: DOUYIN_DECRYPT,
  buildRequest: buildDouyinDecryptRequest,
  parseResponse: parseDouyinDecryptResponse,
};
