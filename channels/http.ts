import { ChannelApiError } from './common.js';
import type { SignedRequest } from './types.js';

export class ChannelHttpError extends Error {
  override readonly name = 'ChannelHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends a signed platform call and returns the raw body (parsed by the connector, bigint-safe). Non-2xx
 * and network failures throw: activities let Temporal retry them with backoff.
 */
export async function sendSigned(req: SignedRequest, timeoutMs = 10_000): Promise<string> {
  const res = await fetch(req.url, {
    method: req.method,
    headers: { 'content-type': req.contentType },
    body: req.body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new ChannelHttpError(res.status, `platform answered HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** Platform errors that retrying cannot fix (bad credentials, invalid parameters). */
export function isPermanentChannelError(e: unknown): boolean {
  if (e instanceof ChannelHttpError) return e.status >= 400 && e.status < 500 && e.status !== 429 && e.status !== 408;
  if (e instanceof ChannelApiError) return /sign|auth|param|invalid|permission/i.test(`${e.code} ${e.subCode ?? ''} ${e.message}`) && !/limit|busy|timeout/i.test(e.message);
  return false;
}
