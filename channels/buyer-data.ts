import type { Platform, ReceiverCiphertexts } from '../domain/order.js';
import { openText, sealText } from './credentials.js';
import type { ShopCredentials, SignedRequest } from './types.js';

// The platforms' buyer-data decrypt calls as data: which items one call takes, how they are batched, and the
// plaintext they give back. Plaintext exists only between a decrypt response and `sealReceiver`, in memory:
// what leaves the caller is sealed with the master key.

export const RECEIVER_FIELDS = ['name', 'phone', 'detail'] as const;
export type ReceiverField = (typeof RECEIVER_FIELDS)[number];

/** What a decrypt call needs of one order's receiver: its ciphertexts, or the opaque address id (oaid). */
export interface ReceiverHandle {
  platformOrderId: string;
  encrypted?: ReceiverCiphertexts | undefined;
  addressKey?: string | undefined;
}

/** One entry of a decrypt call: a ciphertext of one field (Douyin, PDD) or one order's oaid (Taobao, JD). */
export interface DecryptItem {
  platformOrderId: string;
  field?: ReceiverField;
  ciphertext?: string;
  addressKey?: string;
}

/** A receiver in plain text, as a decrypt call answers. Never stored or logged: sealed at once. */
export interface PlainReceiver {
  name?: string;
  phone?: string;
  detail?: string;
  province?: string;
  city?: string;
  district?: string;
  town?: string;
  /** The phone is a privacy (virtual) number that forwards to the buyer. */
  virtualPhone?: boolean;
}

/** One item's answer: plaintext fields, or why the platform gave none. */
export interface DecryptedItem {
  platformOrderId: string;
  plain?: PlainReceiver;
  error?: string;
}

export interface DecryptRules {
  /** The platform API method, as audited. */
  method: string;
  /** Most items one call may carry. */
  maxBatch: number;
  /** Default pace of calls per shop (per second), unless configured otherwise. */
  callsPerSecond: number;
  /** `ciphertext`: one item per encrypted field; `order`: one item per order (by its oaid). */
  by: 'ciphertext' | 'order';
}

export interface DecryptOptions {
  /** Taobao's decrypt scene (why plaintext is needed), e.g. 1004 for an electronic waybill. */
  scene?: string;
}

/** One platform's decrypt call: pure request building and response parsing. */
export interface DecryptApi {
  readonly platform: Exclude<Platform, 'manual'>;
  readonly rules: DecryptRules;
  buildRequest: (items: readonly DecryptItem[], credentials: ShopCredentials, now: Date, opts?: DecryptOptions) => SignedRequest;
  /** Throws ChannelApiError when the whole call failed; per-item failures come back as `error`. */
  parseResponse: (rawBody: string, items: readonly DecryptItem[]) => DecryptedItem[];
}

/**
 * What one order contributes to a platform's decrypt calls: its ciphertexts, or its oaid.
 *
 * @example decryptItems({ by: 'ciphertext', ... }, { platformOrderId: '1', encrypted: { phone: '$$x$1$$' } })
 *   // [{ platformOrderId: '1', field: 'phone', ciphertext: '$$x$1$$' }]
 */
export function decryptItems(rules: DecryptRules, h: ReceiverHandle): DecryptItem[] {
  if (rules.by === 'order') return h.addressKey ? [{ platformOrderId: h.platformOrderId, addressKey: h.addressKey }] : [];
  return RECEIVER_FIELDS.flatMap((field) => {
    const ciphertext = h.encrypted?.[field];
    return ciphertext ? [{ platformOrderId: h.platformOrderId, field, ciphertext }] : [];
  });
}

/**
 * Every item of the given orders in batches of at most `rules.maxBatch` (an order's items may span two
 * batches), duplicates sent once; `nothing` lists the orders that have nothing a decrypt call could take.
 */
export function planDecryptBatches(rules: DecryptRules, handles: readonly ReceiverHandle[]): { batches: DecryptItem[][]; nothing: string[] } {
  const seen = new Set<string>();
  const items: DecryptItem[] = [];
  const nothing: string[] = [];
  for (const h of handles) {
    const own = decryptItems(rules, h);
    if (own.length === 0) nothing.push(h.platformOrderId);
    for (const it of own) {
      const key = `${it.platformOrderId}\u0001${it.field ?? ''}\u0001${it.ciphertext ?? it.addressKey ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      items.push(it);
    }
  }
  const batches: DecryptItem[][] = [];
  for (let i = 0; i < items.length; i += rules.maxBatch) batches.push(items.slice(i, i + rules.maxBatch));
  return { batches, nothing };
}

/** Merges the items' answers per order: the fields that came back, and every error. */
export function collectDecrypted(results: readonly DecryptedItem[]): Map<string, { plain: PlainReceiver; errors: string[] }> {
  const out = new Map<string, { plain: PlainReceiver; errors: string[] }>();
  for (const r of results) {
    const entry = out.get(r.platformOrderId) ?? { plain: {}, errors: [] };
    if (r.plain) entry.plain = { ...entry.plain, ...r.plain };
    if (r.error) entry.errors.push(r.error);
    out.set(r.platformOrderId, entry);
  }
  return out;
}

/** Finds the item a per-ciphertext answer belongs to (same order, same ciphertext). */
export function itemFor(items: readonly DecryptItem[], platformOrderId: string, ciphertext: string): DecryptItem | undefined {
  return items.find((i) => i.platformOrderId === platformOrderId && i.ciphertext === ciphertext);
}

/** Items the platform's answer did not mention, as errors. */
export function unanswered(items: readonly DecryptItem[], answered: ReadonlySet<DecryptItem>): DecryptedItem[] {
  return items.filter((i) => !answered.has(i)).map((i) => ({ platformOrderId: i.platformOrderId, error: `no answer for ${i.field ?? 'the order'}` }));
}

const aad = (shopId: string, platformOrderId: string): string => `receiver:${shopId}:${platformOrderId}`;

/**
 * A decrypted receiver sealed with the master key (AES-256-GCM), bound to its shop and order: safe to return
 * from an activity, to keep in Temporal's history or to hand to the warehouse step that opens it.
 */
export function sealReceiver(plain: PlainReceiver, key: Buffer, shopId: string, platformOrderId: string): string {
  return sealText(JSON.stringify(plain), key, aad(shopId, platformOrderId));
}

/** Opens what `sealReceiver` sealed for the same shop and order; throws MasterKeyError otherwise. */
export function openReceiver(sealed: string, key: Buffer, shopId: string, platformOrderId: string): PlainReceiver {
  return JSON.parse(openText(sealed, key, aad(shopId, platformOrderId), 'receiver')) as PlainReceiver;
}
