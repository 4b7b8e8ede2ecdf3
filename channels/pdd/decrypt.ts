import { itemFor, unanswered, type DecryptApi, type DecryptedItem, type DecryptItem, type DecryptRules } from '../buyer-data.js';
import { objectArray, optInt, optString } from '../common.js';
import { stableStringify } from '../json.js';
import type { ShopCredentials, SignedRequest } from '../types.js';
import { buildPddRequest, pddResponse } from './pull.js';

export const PDD_DECRYPT: DecryptRules = {
  method: 'pdd.open.decrypt.batch',
  // At most 100 entries in data_list.
  maxBatch: 100,
  // (?) PDD publishes per-app limits for the decrypt calls (shared by every shop of the app); 5 calls a second
  // per shop stays well inside them. Configurable with BUYER_DECRYPT_CALLS_PER_SECOND.
  callsPerSecond: 5,
  by: 'ciphertext',
};

/** `pdd.open.decrypt.batch`: `data_list` [{data_tag (the order sn), encrypted_data}] as a JSON string, signed. */
export function buildPddDecryptRequest(items: readonly DecryptItem[], credentials: ShopCredentials, now: Date): SignedRequest {
  const dataList = items.map((i) => ({ data_tag: i.platformOrderId, encrypted_data: i.ciphertext ?? '' }));
  return buildPddRequest(PDD_DECRYPT.method, { data_list: stableStringify(dataList) }, credentials, now);
}

/**
 * `open_decrypt_batch_response.data_decrypt_list` [{data_tag, encrypted_data, decrypted_data, error_code,
 * error_msg, virtual_number_type, virtual_identify_number}], matched back to the items sent. A privacy
 * number comes as the main number plus an extension: kept as `main-extension`.
 */
export function parsePddDecryptResponse(rawBody: string, items: readonly DecryptItem[]): DecryptedItem[] {
  const res = pddResponse(rawBody, 'open_decrypt_batch_response');
  const answered = new Set<DecryptItem>();
  const out: DecryptedItem[] = [];
  for (const d of objectArray(res, 'data_decrypt_list')) {
    const item = itemFor(items, optString(d, 'data_tag') ?? '', optString(d, 'encrypted_data') ?? '');
    if (!item?.field) continue;
    answered.add(item);
    const code = optInt(d, 'error_code') ?? 0;
    const text = optString(d, 'decrypted_data');
    if (code !== 0 || text === undefined) {
      out.push({ platformOrderId: item.platformOrderId, error: `${item.field}: ${code} ${optString(d, 'error_msg') ?? 'no decrypted_data'}` });
      continue;
    }
    const extension = optString(d, 'virtual_identify_number');
    const virtual = item.field === 'phone' && optInt(d, 'virtual_number_type') === 1;
    out.push({
      platformOrderId: item.platformOrderId,
      plain: virtual ? { phone: extension ? `${text}-${extension}` : text, virtualPhone: true } : { [item.field]: text },
    });
  }
  return [...out, ...unanswered(items, answered)];
}

export const pddDecrypt: DecryptApi = {
  platform: 'pdd',
  rules: PDD_DECRYPT,
  buildRequest: buildPddDecryptRequest,
  parseResponse: parsePddDecryptResponse,
};
