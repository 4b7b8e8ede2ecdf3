/**
 * Bigint-safe JSON for platform payloads.
 *
 * Platforms send ids beyond 2^53 as bare JSON numbers (Douyin `p_id`, PDD push `id`, Taobao `tid`).
 * `JSON.parse` would round them silently, so integer literals that are not safe integers are quoted
 * before the native parser sees them: they come back as strings with every digit, and everything else
 * (validation, escapes, speed) stays with `JSON.parse`.
 */

import { storableText } from '../domain/text.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export class JsonParseError extends Error {
  override readonly name = 'JsonParseError';
  constructor(message: string) {
    // V8 names the offending character ("Unexpected token '\u0000'"): the message is stored with an exception.
    super(storableText(message).slice(0, 500));
  }
}

export interface ParseJsonOptions {
  /**
   * Keys whose integer values are always returned as strings, even small ones, so that an id field has
   * one type whatever its size. Applies to array elements under such a key too (`s_ids: [1, 2]`).
   */
  idKeys?: ReadonlySet<string> | readonly string[];
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

/** Quotes every unsafe integer literal outside strings; leaves all other text untouched. */
function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if (c === 45 /* - */ || isDigit(c)) {
      const start = i;
      if (c === 45) i++;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      const next = i < n ? text.charCodeAt(i) : -1;
      const isFractionOrExponent = next === 46 /* . */ || next === 101 /* e */ || next === 69; /* E */
      if (isFractionOrExponent) {
        while (i < n && /[0-9eE.+-]/.test(text.charAt(i))) i++;
        continue;
      }
      const literal = text.slice(start, i);
      // A literal with a leading zero is invalid JSON; leave it for JSON.parse to reject.
      if (/^-?[1-9]\d{15,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copiedUpTo, start)}"${literal}"`;
        copiedUpTo = i;
      }
      continue;
    }
    i++;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

function toIdString(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (Array.isArray(value)) return (value as unknown[]).map((v) => (typeof v === 'number' && Number.isInteger(v) ? String(v) : v));
  return value;
}

/**
 * Parses JSON text; integers beyond `Number.MAX_SAFE_INTEGER` come back as decimal strings.
 *
 * @example parseJson('{"p_id": 4987654321012345678}') // { p_id: '4987654321012345678' }
 * @example parseJson('{"order_id": 12}', { idKeys: ['order_id'] }) // { order_id: '12' }
 */
export function parseJson(text: string, options: ParseJsonOptions = {}): JsonValue {
  const idKeys = options.idKeys === undefined ? undefined : new Set(options.idKeys);
  try {
    const safeText = quoteUnsafeIntegers(text);
    if (!idKeys || idKeys.size === 0) return JSON.parse(safeText) as JsonValue;
    return JSON.parse(safeText, (key, value: unknown) => (idKeys.has(key) ? toIdString(value) : value)) as JsonValue;
  } catch (err) {
    // V8 quotes the text around the error ("Unexpected token 'x', "{"receiver_name":..." is not valid JSON"):
    // a push's text may hold a buyer's name or phone, and the message goes to logs, answers and exceptions.
    const message = (err instanceof Error ? err.message : String(err)).replace(/, .* is not valid JSON$/s, ': not valid JSON');
    throw new JsonParseError(message);
  }
}

/** Parses JSON text that must be an object (a platform response or push message). */
export function parseJsonObject(text: string, options: ParseJsonOptions = {}): JsonObject {
  const value = parseJson(text, options);
  if (!isJsonObject(value)) throw new JsonParseError('expected a JSON object');
  return value;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Serialises with object keys sorted at every level and no whitespace. Platforms that sign a JSON
 * parameter (Douyin `param_json`) need the signed text and the sent text to be byte-identical.
 *
 * @example stableStringify({ b: 1, a: [{ d: 2, c: 3 }] }) // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    if (s === undefined) throw new TypeError(`cannot serialise ${typeof value}`);
    return s;
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableStringify(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}
