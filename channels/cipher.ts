import { createHash } from 'node:crypto';
import type { ReceiverCiphertexts } from '../domain/order.js';

// Buyer data as the platforms send it now: masked values for display (`李**`, `138****0000`), ciphertexts for
// their decrypt calls, and sometimes an opaque buyer or address id. These helpers keep the three apart so
// that a ciphertext is never shown as if it were a name, and never mistaken for a missing value.

/**
 * Whether a value is a platform ciphertext in the envelope Taobao (legacy), PDD and Douyin share: segments
 * separated by one of `~` (names, addresses), `$` (phones) or `#`, starting and ending with it, e.g.
 * `~AgAAAAFk…=~0~`, `$1234$AgAAAA…=$1$`, `##qIOpbL…==*CgYIASAH…#1##`. Masked values never look like this.
 *
 * @example isWrappedCiphertext('$$KlqdO3S6…*CgYIAS…$1$$') // true
 * @example isWrappedCiphertext('138****0000') // false
 */
export function isWrappedCiphertext(value: string): boolean {
  const v = value.trim();
  if (v.length < 8) return false;
  const sep = v[0];
  if (sep !== '~' && sep !== '$' && sep !== '#') return false;
  // At least: separator, a segment, separator, a version, separator.
  return v.endsWith(sep) && v.split(sep).length >= 4;
}

/** One receiver field as sent: what may be shown (a masked value) or what only the decrypt call can read. */
export interface SplitValue {
  shown?: string;
  cipher?: string;
}

/** Sorts one value into shown or ciphertext by `isCipher` (the platform's own test). */
export function splitValue(value: string | undefined, isCipher: (v: string) => boolean = isWrappedCiphertext): SplitValue {
  if (value === undefined || value.trim() === '') return {};
  return isCipher(value) ? { cipher: value.trim() } : { shown: value };
}

/** The `receiver.encrypted` object, or undefined when the platform sent no ciphertext at all. */
export function receiverCiphertexts(c: { name?: string | undefined; phone?: string | undefined; detail?: string | undefined }): ReceiverCiphertexts | undefined {
  const out: ReceiverCiphertexts = {
    ...(c.name ? { name: c.name } : {}),
    ...(c.phone ? { phone: c.phone } : {}),
    ...(c.detail ? { detail: c.detail } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A stable opaque key from ciphertexts, for a payload that names no buyer or address id: `<prefix>:` and a
 * SHA-256 digest (base64url), so that the key is short, carries nothing readable, and is the same for the same
 * ciphertexts. Whether two orders of one buyer get the same key depends on the platform encrypting the same
 * plaintext to the same ciphertext; where it does not, orders simply do not merge (never the wrong way round).
 * Undefined when there is no ciphertext to derive from.
 *
 * @example opaqueKeyFrom('dyc', ['$$Klqd…$1$$']) // 'dyc:Xk2…' (43 characters after the prefix)
 */
export function opaqueKeyFrom(prefix: string, ciphertexts: ReadonlyArray<string | undefined>): string | undefined {
  const parts = ciphertexts.filter((c): c is string => c !== undefined && c !== '');
  if (parts.length === 0) return undefined;
  return `${prefix}:${createHash('sha256').update(parts.join('\n'), 'utf8').digest('base64url')}`;
}
