import { md5Hex, sortedConcat } from '../common.js';

/**
 * PDD request signature: uppercase md5(client_secret + sorted key+value + client_secret) over every
 * parameter except `sign` (system and business parameters alike), empty values skipped.
 */
export function signPdd(params: Readonly<Record<string, string>>, clientSecret: string): string {
  return md5Hex(clientSecret + sortedConcat(params) + clientSecret).toUpperCase();
}
