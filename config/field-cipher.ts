import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { DIGEST_PREFIX, SEALED_PREFIX, type FieldCipher } from '../domain/buyer-data.js';
import type { Logger } from './logger.js';
import { payloadCodecFor } from './payload-codec.js';
import type { PayloadKey, PayloadKeyRing, PayloadKeySettings } from './payload-keys.js';

/**
 * Buyer data at rest: AES-256-GCM for single PostgreSQL values (receivers, raw pushes, edits), with the payload
 * codec's key ring, so one PAYLOAD_KEYS protects buyer data in Temporal and in PostgreSQL and rotates the same
 * way: the current key seals, every listed key opens what names its id.
 *
 * Each key is not used as it is: HKDF derives a key for sealing and one for lookup digests, apart from the
 * payload codec's use of it, so the three never share a key (nor the GCM IV space).
 */

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A value that cannot be opened: an unknown key id, a malformed value, or one that fails authentication. */
export class FieldDecryptError extends Error {
  override name = 'FieldDecryptError';
  constructor(
    message: string,
    /** The key id the value names, when it names one. */
    readonly keyId?: string,
  ) {
    super(message);
  }
}

interface DerivedKeys {
  seal: Buffer;
  digest: Buffer;
}

function derive(key: PayloadKey): DerivedKeys {
  const sub = (info: string) => Buffer.from(hkdfSync('sha256', key.key, Buffer.alloc(0), info, 32));
  return { seal: sub('orderly-field-seal-v1'), digest: sub('orderly-field-digest-v1') };
}

/** Binds a ciphertext to its key id and its place: relabelled or moved to another column, it fails. */
function aad(keyId: string, field: string): Buffer {
  return Buffer.from(`orderly-field-v1\u0000${keyId}\u0000${field}`, 'utf8');
}

export class AesGcmFieldCipher implements FieldCipher {
  private readonly derived = new Map<string, DerivedKeys>();

  constructor(readonly ring: PayloadKeyRing) {}

  private keysOf(key: PayloadKey): DerivedKeys {
    let d = this.derived.get(key.id);
    if (!d) this.derived.set(key.id, (d = derive(key)));
    return d;
  }

  seal(field: string, plaintext: string): string {
    const key = this.ring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.keysOf(key).seal, iv);
    cipher.setAAD(aad(key.id, field));
    const data = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SEALED_PREFIX}${key.id}:${data.toString('base64')}`;
  }

  open(field: string, sealed: string): string {
    if (!sealed.startsWith(SEALED_PREFIX)) throw new FieldDecryptError(`${field}: the value is not sealed`);
    const rest = sealed.slice(SEALED_PREFIX.length);
    const colon = rest.indexOf(':');
    if (colon <= 0) throw new FieldDecryptError(`${field}: a sealed value names no key`);
    const id = rest.slice(0, colon);
    const key = this.ring.get(id);
    if (!key) throw new FieldDecryptError(`${field}: sealed with key "${id}", which is not in the key ring (${this.ring.ids.join(', ')}): add it to PAYLOAD_KEYS after the current key`, id);
    const data = Buffer.from(rest.slice(colon + 1), 'base64');
    if (data.length < IV_BYTES + TAG_BYTES) throw new FieldDecryptError(`${field}: the value sealed with key "${id}" is truncated`, id);
    try {
      const decipher = createDecipheriv(CIPHER, this.keysOf(key).seal, data.subarray(0, IV_BYTES));
      decipher.setAAD(aad(id, field));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new FieldDecryptError(`${field}: the value sealed with key "${id}" fails authentication (tampered, moved from another column, or another key of the same id)`, id);
    }
  }

  digests(field: string, value: string): string[] {
    const keys = [this.ring.current, ...this.ring.ids.filter((id) => id !== this.ring.current.id).map((id) => this.ring.get(id)!)];
    return keys.map((k) => `${DIGEST_PREFIX}${k.id}:${createHmac('sha256', this.keysOf(k).digest).update(`${field}\u0000${value}`, 'utf8').digest('base64url')}`);
  }
}

const ciphers = new WeakMap<object, AesGcmFieldCipher>();

/**
 * The process's field cipher for a configuration: the same key ring as its payload codec (resolved once per
 * config object). Throws PayloadKeyError in production without PAYLOAD_KEYS.
 */
export function fieldCipherFor(config: PayloadKeySettings, logger?: Logger): AesGcmFieldCipher {
  const known = ciphers.get(config);
  if (known) return known;
  const cipher = new AesGcmFieldCipher(payloadCodecFor(config, logger).ring);
  ciphers.set(config, cipher);
  return cipher;
}
