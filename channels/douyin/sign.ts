import { hmacHex, md5Hex } from '../common.js';

export type DouyinSignMethod = 'hmac-sha256' | 'md5';

/** The text Douyin signs: secret + "app_key"k + "method"m + "param_json"pj + "timestamp"ts + "v"v + secret. */
export function douyinSignText(params: Readonly<Record<string, string>>, secret: string): string {
  const p = (k: string): string => params[k] ?? '';
  return `${secret}app_key${p('app_key')}method${p('method')}param_json${p('param_json')}timestamp${p('timestamp')}v${p('v')}${secret}`;
}

/**
 * Douyin (抖店) request signature: lowercase hex HMAC-SHA256 keyed with the app secret over
 * douyinSignText. `param_json` must already be the exact string that is sent (sorted keys, no spaces).
 * The md5 variant (plain md5 of the same text) is (?) in the reference.
 */
export function signDouyin(params: Readonly<Record<string, string>>, secret: string): string {
  const text = douyinSignText(params, secret);
  const method = params.sign_method ?? 'hmac-sha256';
  if (method === 'hmac-sha256') return hmacHex('sha256', secret, text);
  if (method === 'md5') return md5Hex(text);
  throw new Error(`unsupported Douyin sign_method: ${method}`);
}

/** Push `event-sign`: lowercase hex md5(app_key + raw body + app_secret). */
export function douyinEventSign(appKey: string, rawBody: string, appSecret: string): string {
  return md5Hex(appKey + rawBody + appSecret);
}
