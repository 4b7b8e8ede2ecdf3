import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { Logger } from './logger.js';
import { PayloadKeyError, PayloadKeyRing, resolvePayloadKeys, type PayloadKeySettings } from './payload-keys.js';

/**
 * Orderly's Temporal payload codec: every payload a client or worker sends (workflow and activity inputs and
 * results, signals, updates, queries, memos, summaries) is stored by Temporal as AES-256-GCM ciphertext, so
 * buyer names, phones and addresses never sit in a workflow history in plain text. The Temporal UI shows
 * them through the API's codec endpoint (`/codec/decode`).
 */

/** `encoding` of an encrypted payload. */
export const ENCODING_ENCRYPTED = 'binary/encrypted';
/** Metadata naming the key that encrypted the payload. */
export const METADATA_KEY_ID = 'encryption-key-id';
/** Metadata naming the cipher, for whoever reads a history without this code. */
export const METADATA_CIPHER = 'encryption-cipher';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export { PayloadKeyError, PayloadKeyRing };

/** A payload that cannot be decrypted: an unknown key id, or data that fails authentication. */
export class PayloadDecryptError extends Error {
  override name = 'PayloadDecryptError';
  constructor(
    message: string,
    /** The key id the payload names, when it names one. */
    readonly keyId?: string,
  ) {
    super(message);
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function metadataText(p: Payload, key: string): string | undefined {
  const v = p.metadata?.[key];
  return v ? fromUtf8.decode(v) : undefined;
}

/** True for a payload this codec (or another with the same encoding) encrypted. */
export function isEncryptedPayload(p: Payload): boolean {
  return metadataText(p, METADATA_ENCODING_KEY) === ENCODING_ENCRYPTED;
}

/** Binds the ciphertext to its key id: a payload relabelled with another key id fails authentication. */
function aad(keyId: string): Buffer {
  return Buffer.from(`orderly-payload-v1:${keyId}`, 'utf8');
}

/**
 * AES-256-GCM over the whole serialized payload (its metadata included, so the original encoding comes back
 * on decode). Data: 12-byte random IV, ciphertext, 16-byte tag. Decoding passes through payloads that are
 * not encrypted: histories recorded before encryption keep replaying.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(readonly ring: PayloadKeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (isEncryptedPayload(p) ? this.decrypt(p) : p));
  }

  encrypt(payload: Payload): Payload {
    const { id, key } = this.ring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv);
    cipher.setAAD(aad(id));
    const plain = proto.temporal.api.common.v1.Payload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8.encode(ENCODING_ENCRYPTED),
        [METADATA_KEY_ID]: utf8.encode(id),
        [METADATA_CIPHER]: utf8.encode(CIPHER),
      },
      data,
    };
  }

  decrypt(payload: Payload): Payload {
    const id = metadataText(payload, METADATA_KEY_ID);
    if (!id) throw new PayloadDecryptError(`an encrypted payload names no key (metadata "${METADATA_KEY_ID}" is missing)`);
    const cipherName = metadataText(payload, METADATA_CIPHER);
    if (cipherName !== undefined && cipherName !== CIPHER) throw new PayloadDecryptError(`payload encrypted with key "${id}" uses cipher "${cipherName}"; only ${CIPHER} is known`, id);
    const entry = this.ring.get(id);
    if (!entry) {
      throw new PayloadDecryptError(
        `payload encrypted with key "${id}", which is not in the payload key ring (${this.ring.ids.join(', ')}): add it to PAYLOAD_KEYS after the current key`,
        id,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptError(`payload encrypted with key "${id}" is truncated`, id);
    try {
      const decipher = createDecipheriv(CIPHER, entry.key, data.subarray(0, IV_BYTES));
      decipher.setAAD(aad(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return proto.temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new PayloadDecryptError(`payload encrypted with key "${id}" fails authentication: tampered, or another key of the same id`, id);
    }
  }
}

const codecs = new WeakMap<object, AesGcmPayloadCodec>();

/**
 * The process's codec for a configuration (resolved once per config object: every client, worker and the
 * codec endpoint of a process share one key ring). Throws PayloadKeyError in production without PAYLOAD_KEYS.
 */
export function payloadCodecFor(config: PayloadKeySettings, logger?: Logger): AesGcmPayloadCodec {
  const known = codecs.get(config);
  if (known) return known;
  const resolved = resolvePayloadKeys(config);
  if (resolved.created) logger?.warn({ file: resolved.file }, 'PAYLOAD_KEYS is unset: generated a development payload key (Temporal payloads are encrypted with it)');
  else if (resolved.source === 'dev-file') logger?.debug({ file: resolved.file }, 'PAYLOAD_KEYS is unset: Temporal payloads are encrypted with the development key');
  const codec = new AesGcmPayloadCodec(resolved.ring);
  codecs.set(config, codec);
  return codec;
}

/** The data converter of every Temporal client and worker Orderly makes. */
export function payloadDataConverter(config: PayloadKeySettings, logger?: Logger): DataConverter {
  return { payloadCodecs: [payloadCodecFor(config, logger)] };
}
