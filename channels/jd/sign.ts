import { md5Hex, sortedConcat } from '../common.js';

/**
 * JOS request signature: uppercase md5(secret + sorted key+value + secret), empty values skipped.
 * The business JSON travels in `360buy_param_json` and is signed exactly as sent.
 */
export function signJd(params: Readonly<Record<string, string>>, secret: string): string {
  return md5Hex(secret + sortedConcat(params) + secret).toUpperCase();
}
