import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { ShopCredentials } from './types.js';

/**
 * The development master key: derived from a public string, so anything it encrypts is readable by anyone
 * with this source. Only ever used when ORDERLY_MASTER_KEY is unset outside production.
 */
export const INSECURE_DEV_MASTER_KEY = createHash('sha256').update('orderly-insecure-development-master-key').digest();

export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError';
}

/**
 * The key that encrypts shop credentials, from ORDERLY_MASTER_KEY (base64 or hex, 32 bytes). Production
 * refuses to run without one, or with the development key, rather than store secrets readably.
 */
export function masterKeyFrom(config: { ORDERLY_MASTER_KEY?: string | undefined; NODE_ENV: string }): { key: Buffer; insecure: boolean } {
  const raw = config.ORDERLY_MASTER_KEY?.trim();
  if (!raw) {
    if (config.NODE_ENV === 'production') throw new MasterKeyError('ORDERLY_MASTER_KEY must be set in production (32 bytes, base64 or hex)');
    return { key: INSECURE_DEV_MASTER_KEY, insecure: true };
  }
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new MasterKeyError('ORDERLY_MASTER_KEY must decode to 32 bytes (base64 or 64 hex digits)');
  if (key.equals(INSECURE_DEV_MASTER_KEY) && config.NODE_ENV === 'production') throw new MasterKeyError('the development master key may not be used in production');
  return { key, insecure: key.equals(INSECURE_DEV_MASTER_KEY) };
}

const VERSION = 'v1';

/**
 * `v1.<iv>.<tag>.<ciphertext>` (base64url): AES-256-GCM under the master key, a fresh 96-bit IV per value,
 * `aad` bound in so that a sealed value copied onto another row (another shop, another order) does not open.
 */
export function sealText(plain: string, key: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

/** Opens what `sealText` sealed with the same key and `aad`; throws MasterKeyError otherwise. */
export function openText(sealed: string, key: Buffer, aad: string, what = 'value'): string {
  const [version, iv, tag, ct] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || ct === undefined) throw new MasterKeyError(`unrecognised ${what} ciphertext`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new MasterKeyError(`${what} cannot be decrypted: wrong ORDERLY_MASTER_KEY or tampered data`);
  }
}

/** The credentials JSON sealed with `sealText`, the shop id as AAD. */
export function encryptCredentials(credentials: ShopCredentials, key: Buffer, shopId: string): string {
  // Binding the ciphertext to its shop stops a row's credentials being copied onto another shop.
  return sealText(JSON.stringify(credentials), key, shopId);
}

export function decryptCredentials(sealed: string, key: Buffer, shopId: string): ShopCredentials {
  return JSON.parse(openText(sealed, key, shopId, 'credentials')) as ShopCredentials;
}

/**
 * What may be shown of a shop's credentials: the app key's ends, never the secret or token.
 *
 * @example credentialsHint({ appKey: '12345678', appSecret: 's' }) // 'app key 12****78, secret set'
 */
export function credentialsHint(c: Pick<ShopCredentials, 'appKey' | 'appSecret' | 'accessToken'>): string {
  const k = c.appKey;
  const masked = k.length <= 4 ? '****' : `${k.slice(0, 2)}****${k.slice(-2)}`;
  return `app key ${masked}, secret set${c.accessToken ? ', access token set' : ''}`;
}
