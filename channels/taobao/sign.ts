import { hmacHex, md5Hex, sortedConcat } from '../common.js';

export type TaobaoSignMethod = 'md5' | 'hmac';

/**
 * TOP request signature: parameters other than `sign` sorted by key, concatenated as key+value,
 * empty values skipped. `md5`: uppercase md5(secret + text + secret); `hmac`: uppercase HMAC-MD5(secret, text).
 * The method is read from the `sign_method` parameter, md5 when absent.
 */
export function signTaobao(params: Readonly<Record<string, string>>, secret: string): string {
  const text = sortedConcat(params);
  const method = params.sign_method ?? 'md5';
  if (method === 'md5') return md5Hex(secret + text + secret).toUpperCase();
  if (method === 'hmac') return hmacHex('md5', secret, text).toUpperCase();
  throw new Error(`unsupported TOP sign_method: ${method}`);
}
