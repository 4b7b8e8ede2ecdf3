import type { Receiver } from './order.js';

// Buyer data at rest: what PostgreSQL keeps of a receiver. The full values are stored only as ciphertext (a
// `FieldCipher`, given to the repositories by their callers); lists, search and reports read the masked forms
// and the plain region, so they never need a key. Pure: masking here, the cipher's implementation (AES-256-GCM
// with the payload codec's key ring) in config/field-cipher.ts, below every process entry point.

/**
 * Encrypts and decrypts single values for PostgreSQL columns. `field` names where the value lives
 * (`orders.receiver_enc`): a ciphertext moved to another column does not open there.
 */
export interface FieldCipher {
  /** The value encrypted under the current key: `enc:v1:<key id>:<base64>`, a new random IV every time. */
  seal(field: string, plaintext: string): string;
  /** The plaintext of a sealed value, under whichever key of the ring its key id names; throws otherwise. */
  open(field: string, sealed: string): string;
  /**
   * Keyed digests of a value for equality lookups (a column that must be found by its value without holding
   * it), one per key of the ring, the current key's first: store the first, look up by all of them.
   */
  digests(field: string, value: string): string[];
}

/** The prefix of every sealed value; the key id follows, then the ciphertext. */
export const SEALED_PREFIX = 'enc:v1:';
/** The prefix of every lookup digest. */
export const DIGEST_PREFIX = 'h1:';

/**
 * Whether a stored value is a `FieldCipher` ciphertext (so a migration leaves it alone).
 *
 * @example isSealed('enc:v1:2026-06:q83v...') // true
 * @example isSealed('李**') // false
 */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}

/**
 * The key id a sealed value names, or undefined for anything else.
 *
 * @example sealedKeyId('enc:v1:2026-06:q83v...') // '2026-06'
 */
export function sealedKeyId(value: unknown): string | undefined {
  if (!isSealed(value)) return undefined;
  const end = value.indexOf(':', SEALED_PREFIX.length);
  return end > SEALED_PREFIX.length ? value.slice(SEALED_PREFIX.length, end) : undefined;
}

/**
 * A JSON value sealed as one string.
 *
 * @example sealJson(cipher, 'channel_events.payload', { type: 'paid' }) // 'enc:v1:k1:...'
 */
export function sealJson(cipher: FieldCipher, field: string, value: unknown): string {
  return cipher.seal(field, JSON.stringify(value));
}

/**
 * The JSON value a stored column holds: opened when sealed, as stored otherwise (a row written before buyer
 * data was encrypted, not yet migrated).
 *
 * @example openJson(cipher, 'channel_events.payload', 'enc:v1:k1:...') // { type: 'paid', ... }
 */
export function openJson(cipher: FieldCipher, field: string, stored: unknown): unknown {
  return isSealed(stored) ? (JSON.parse(cipher.open(field, stored)) as unknown) : stored;
}

/**
 * A stored text column: opened when sealed, as stored otherwise.
 *
 * @example openText(cipher, 'channel_events.raw_body', null) // null
 */
export function openText(cipher: FieldCipher, field: string, stored: string | null): string | null {
  return isSealed(stored) ? cipher.open(field, stored) : stored;
}

// Masks --------------------------------------------------------------------------------------------------

const DIGIT = /[0-9０-９]/;
/** Chinese numerals counting a house, building, unit, floor or room (二十七弄, 九号): masked like digits. */
const HOUSE_NUMERAL = /[零〇一二三四五六七八九十百千两]+(?=[号號弄栋幢楼樓室层層座单單户戶])/g;

/**
 * A name as lists show it: the first character, one `*` for each other one. Already masked names stay as
 * they are.
 *
 * @example maskName('李明轩') // '李**'
 * @example maskName('') // ''
 */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  return chars[0]! + '*'.repeat(Math.max(1, chars.length - 1));
}

/**
 * A phone as lists show it: the first three and the last four digits, every other digit `*`; a number of
 * fewer than eight digits keeps its last two only. Separators stay; an already masked phone is unchanged.
 *
 * @example maskPhone('13900010001') // '139****0001'
 * @example maskPhone('0571-88886666') // '057*-****6666'
 */
export function maskPhone(phone: string): string {
  const chars = [...phone.trim()];
  const positions = chars.flatMap((c, i) => (DIGIT.test(c) || c === '*' ? [i] : []));
  const n = positions.length;
  const keep = new Set(n >= 8 ? [...positions.slice(0, 3), ...positions.slice(n - 4)] : positions.slice(Math.max(0, n - 2)));
  return chars.map((c, i) => (DIGIT.test(c) && !keep.has(i) ? '*' : c)).join('');
}

/**
 * A street address as lists show it: every digit (and the Chinese numerals of a house, building or room
 * number) masked, the street's name kept.
 *
 * @example maskStreet('文三路478号5楼') // '文三路***号*楼'
 * @example maskStreet('梧桐巷二十七弄九号') // '梧桐巷***弄*号'
 */
export function maskStreet(detail: string): string {
  return detail.replace(HOUSE_NUMERAL, (m) => '*'.repeat([...m].length)).replace(/[0-9０-９]/g, '*');
}

/**
 * The receiver the read model keeps in plain: name, phone and street masked, region plain. The platform's
 * opaque address id (merging uses it) and its ciphertexts stay: they are no plaintext (only the platform's
 * audited decrypt call opens them; platforms have sellers store them instead of plaintext), and they keep a
 * field sent only encrypted present for the completeness checks a rules dry run repeats.
 *
 * @example maskReceiver(r).phone // '139****0001'
 */
export function maskReceiver(r: Receiver): Receiver {
  return { ...r, name: maskName(r.name), phone: maskPhone(r.phone), detail: maskStreet(r.detail) };
}

/**
 * The address in one line with the street masked, as lists show it.
 *
 * @example maskedAddress({ province: '浙江省', city: '杭州市', district: '西湖区', detail: '文三路478号' }) // '浙江省 杭州市 西湖区 文三路***号'
 */
export function maskedAddress(r: Pick<Receiver, 'province' | 'city' | 'district' | 'detail'> & { town?: string | undefined }): string {
  return [r.province, r.city, r.district, r.town ?? '', maskStreet(r.detail)].filter((s) => s.trim() !== '').join(' ');
}

/** Keys that carry a receiver's name, phone or street wherever they appear (edits, resolution parameters). */
const BUYER_KEYS: Readonly<Record<string, (v: string) => string>> = {
  name: maskName,
  receiverName: maskName,
  phone: maskPhone,
  mobile: maskPhone,
  receiverPhone: maskPhone,
  detail: maskStreet,
  address: maskStreet,
  street: maskStreet,
};

/**
 * A copy of a JSON value with every receiver name, phone and street masked, at any depth, and whether
 * anything was masked (then the original is worth keeping sealed beside it).
 *
 * @example maskBuyerFields({ receiver: { name: '王小明', city: '杭州市' } }) // { value: { receiver: { name: '王**', city: '杭州市' } }, masked: true }
 */
export function maskBuyerFields<T>(value: T): { value: T; masked: boolean } {
  let masked = false;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => {
        const mask = BUYER_KEYS[k];
        if (mask && typeof x === 'string' && x !== '') {
          const m = mask(x);
          if (m !== x) masked = true;
          return [k, m];
        }
        return [k, walk(x)];
      }),
    );
  };
  const out = walk(value) as T;
  return { value: out, masked };
}
