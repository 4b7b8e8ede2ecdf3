import { createHash, createHmac } from 'node:crypto';
import { yuanToFen, type Fen } from '../domain/money.js';
import { platformId } from '../domain/order.js';
import { storableText, unstorableReason } from '../domain/text.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';

/** A payload did not have the shape a connector relies on. The raw body stays in the inbox for a human. */
export class ChannelPayloadError extends Error {
  override readonly name = 'ChannelPayloadError';
  constructor(message: string) {
    // Messages quote what the platform sent (an id, a tag) and are stored with the exception they open: kept to
    // text PostgreSQL can hold, and short.
    super(storableText(message).slice(0, 500));
  }
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

export function hmacHex(algorithm: 'md5' | 'sha256', key: string, text: string): string {
  return createHmac(algorithm, key).update(text, 'utf8').digest('hex');
}

/** Compares two hex digests without leaking where they differ; case-insensitive. */
export function sameDigest(expected: string, actual: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(actual.trim().toLowerCase(), 'utf8');
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * key+value concatenation of parameters sorted by key (code-unit order, which is byte order for the
 * ASCII keys platforms use), skipping empty values, as TOP, JOS and PDD sign them.
 */
export function sortedConcat(params: Readonly<Record<string, string | undefined>>, exclude: readonly string[] = ['sign']): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => {
      const v = params[k];
      return v === undefined || v === '' ? '' : k + v;
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Time: platforms speak Beijing wall-clock time (UTC+8, no daylight saving) or unix seconds.

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const BEIJING_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/**
 * Beijing wall-clock "yyyy-MM-dd HH:mm:ss" to a UTC ISO instant.
 *
 * @example beijingToUtc('2026-11-11 00:00:05') // '2026-11-10T16:00:05Z'
 */
export function beijingToUtc(text: string): string {
  const m = BEIJING_TIME.exec(text.trim());
  if (!m) throw new ChannelPayloadError(`not a Beijing time "yyyy-MM-dd HH:mm:ss": ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - BEIJING_OFFSET_MS;
  return isoSeconds(ms);
}

/**
 * A list item's Beijing-time field as a UTC instant, or undefined when it is absent or unreadable: for hints
 * (a pull's "modified" before it decides whether to read the detail), where the detail stays the authority.
 *
 * @example listItemTime({ modified: '2026-11-11 00:00:05' }, 'modified') // '2026-11-10T16:00:05Z'
 */
export function listItemTime(o: JsonObject, key: string): string | undefined {
  const v = o[key];
  if (typeof v !== 'string') return undefined;
  try {
    return beijingToUtc(v);
  } catch {
    return undefined;
  }
}

/** The latest instant a JavaScript Date holds, in unix seconds (the year 275760). */
const MAX_UNIX_SECONDS = 8.64e12;

/** Unix seconds (number or digit string) to a UTC ISO instant. */
export function unixToUtc(seconds: number | string): string {
  const n = typeof seconds === 'string' ? Number(seconds) : seconds;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_UNIX_SECONDS) throw new ChannelPayloadError(`not unix seconds: ${String(seconds)}`);
  return isoSeconds(n * 1000);
}

/** A UTC instant as Beijing wall-clock "yyyy-MM-dd HH:mm:ss", as TOP and JOS timestamps want it. */
export function utcToBeijing(instant: Date): string {
  return new Date(instant.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

export function unixSeconds(instant: Date): number {
  return Math.floor(instant.getTime() / 1000);
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---------------------------------------------------------------------------------------------
// Reading loosely typed payloads. Accessors return undefined for absent or empty values so that the
// mapping decides what is required.

export function field(o: JsonObject, key: string): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/**
 * A text field. NUL is dropped and an unpaired surrogate becomes U+FFFD (domain/text.ts): a buyer's remark with a
 * stray control character is kept, as text PostgreSQL can store, rather than losing the order.
 */
export function optString(o: JsonObject, key: string): string | undefined {
  const v = field(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v === '' ? undefined : storableText(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function reqString(o: JsonObject, key: string, where: string): string {
  const v = optString(o, key);
  if (v === undefined) throw new ChannelPayloadError(`${where}: missing ${key}`);
  return v;
}

/** The longest id Orderly takes from a platform (message ids, order and line ids). */
export const MAX_ID_LENGTH = 128;

/**
 * An id, whatever JSON type it arrived as; small numbers are exact, big ones were kept as strings by the parser.
 * Ids are keys (the inbox's, workflow ids), never cleaned: one that is not printable text of at most
 * MAX_ID_LENGTH characters is refused.
 */
export function optId(o: JsonObject, key: string): string | undefined {
  const v = field(o, key);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new ChannelPayloadError(`id ${key} lost precision: ${v}`);
    return String(v);
  }
  if (typeof v === 'string' && v !== '') checkId(v, key);
  // `true` is not an id (text of one would pass for it).
  if (typeof v === 'boolean') throw new ChannelPayloadError(`${key} is not an id: ${String(v)}`);
  return optString(o, key);
}

function checkId(id: string, key: string): void {
  const unstorable = unstorableReason(id);
  // eslint-disable-next-line no-control-regex
  if (unstorable || id.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id)) {
    throw new ChannelPayloadError(`${key} is not an id: ${unstorable ?? (id.length > MAX_ID_LENGTH ? `${id.length} characters` : 'a control character')}`);
  }
}

/**
 * Checks an order event taken from a push before it is stored: its message id is the inbox's key, and its order
 * id becomes part of the workflow id (`order:<platform>:<shop>:<id>`), so it follows the canonical order's rule
 * for platform ids (letters, digits, "_", "-", "."; no colon).
 */
export function checkedPushEvent<E extends { messageId: string; platformOrderId: string }>(e: E, where: string): E {
  checkId(e.messageId, `${where} message id`);
  if (platformId.safeParse(e.platformOrderId).data !== e.platformOrderId) throw new ChannelPayloadError(`${where} ${e.messageId}: order id ${JSON.stringify(e.platformOrderId.slice(0, 80))} is not a platform order id`);
  return e;
}

export function reqId(o: JsonObject, key: string, where: string): string {
  const v = optId(o, key);
  if (v === undefined) throw new ChannelPayloadError(`${where}: missing ${key}`);
  return v;
}

export function optNumber(o: JsonObject, key: string): number | undefined {
  const v = field(o, key);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

export function optInt(o: JsonObject, key: string): number | undefined {
  const v = optNumber(o, key);
  return v !== undefined && Number.isSafeInteger(v) ? v : undefined;
}

export function reqInt(o: JsonObject, key: string, where: string): number {
  const v = optInt(o, key);
  if (v === undefined) throw new ChannelPayloadError(`${where}: missing integer ${key}`);
  return v;
}

export function optObject(o: JsonObject, key: string): JsonObject | undefined {
  const v = field(o, key);
  return isJsonObject(v) ? v : undefined;
}

export function reqObject(o: JsonObject, key: string, where: string): JsonObject {
  const v = optObject(o, key);
  if (!v) throw new ChannelPayloadError(`${where}: missing object ${key}`);
  return v;
}

export function objectArray(o: JsonObject, key: string): JsonObject[] {
  const v = field(o, key);
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
}

// ---------------------------------------------------------------------------------------------
// Money

/**
 * A yuan amount as the platforms send it: a decimal string ("179.00") or, from PDD, sometimes a JSON
 * number. A number's shortest decimal form is the literal that was sent, so it converts without floats.
 */
export function yuanField(o: JsonObject, key: string): Fen | undefined {
  const v = field(o, key);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return yuanToFen(v);
  if (typeof v === 'number' && Number.isFinite(v)) return yuanToFen(String(v));
  throw new ChannelPayloadError(`not a yuan amount in ${key}: ${JSON.stringify(v)}`);
}

export function fenField(o: JsonObject, key: string): Fen | undefined {
  const v = optNumber(o, key);
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v)) throw new ChannelPayloadError(`not integer fen in ${key}: ${v}`);
  return v;
}

/**
 * Spreads an order-level discount over lines in proportion to their totals, largest remainder first,
 * so that the parts are whole fen and add up exactly.
 *
 * @example allocate(100, [300, 100]) // [75, 25]
 */
export function allocate(total: Fen, weights: readonly Fen[]): Fen[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (total <= 0 || sum <= 0) return weights.map(() => 0);
  const capped = Math.min(total, sum);
  const exact = weights.map((w) => (capped * w) / sum);
  const parts = exact.map(Math.floor);
  let rest = capped - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (rest <= 0) break;
    parts[i] = (parts[i] ?? 0) + 1;
    rest--;
  }
  return parts;
}

/** The platform answered with an error object instead of data. */
export class ChannelApiError extends Error {
  override readonly name = 'ChannelApiError';
  constructor(
    readonly platform: string,
    readonly code: string,
    message: string,
    readonly subCode?: string,
  ) {
    super(`${platform} error ${code}${subCode ? `/${subCode}` : ''}: ${message}`);
  }
}

/** Header value as one string (the first, when a proxy repeated it). */
export function header(headers: Readonly<Record<string, string | readonly string[] | undefined>>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v[0];
}

export function formBody(params: Readonly<Record<string, string>>): string {
  return new URLSearchParams(params).toString();
}

export function jsonAck(status: number, body: unknown): { status: number; contentType: string; body: string } {
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}

/**
 * A table's own entry for a key the platform sent: never one inherited from Object (a topic named
 * `constructor` or `__proto__` is simply not in the table).
 *
 * @example ownEntry({ a: 1 }, 'constructor') // undefined
 */
export function ownEntry<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
