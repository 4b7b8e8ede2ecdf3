import fc from 'fast-check';

// Bad input for the fuzz tests (tests/integration/fuzz.test.ts): text PostgreSQL cannot store, ids that are not
// ids, numbers JavaScript cannot hold, and request bodies generated from the API's own OpenAPI document, so a
// new route or field is fuzzed without a test naming it.

/** How many runs a property gets: `FUZZ_RUNS` for a longer run, else the CI-sized number given. */
export function fuzzRuns(ciSized: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ciSized;
}

/** A test's time limit: the project's default for the CI-sized runs, an hour for a longer `FUZZ_RUNS` run. */
export function fuzzTimeout(): number | undefined {
  return process.env.FUZZ_RUNS ? 3_600_000 : undefined;
}

/** `FUZZ_SEED` repeats a run (fast-check prints the seed of a failing one). */
export function fuzzParams(ciSized: number): fc.Parameters<unknown> {
  const seed = Number(process.env.FUZZ_SEED);
  return { numRuns: fuzzRuns(ciSized), ...(Number.isInteger(seed) ? { seed } : {}) };
}

// A JSON literal no JavaScript value serialises to (an integer beyond 2^53, 1e400) is carried through a value as
// a marked string and written into the text at the end.
const RAW = '@@raw@@';

/** A raw JSON literal inside a value given to `toJsonText`. */
export const rawJson = (literal: string): string => `${RAW}${literal}${RAW}`;

/** JSON text of a value, with its `rawJson` literals written as they are. */
export function toJsonText(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(/"@@raw@@(.*?)@@raw@@"/g, '$1');
}

/** Text a platform or a caller may send that PostgreSQL, a path or an id parser may choke on. */
export const NASTY_TEXT: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d',
  '..',
  '../..',
  '../../etc/passwd',
  '%2F',
  '%2e%2e',
  'a/b',
  '%00',
  ':',
  'order:taobao:demo-taobao:..',
  'order:taobao:demo-taobao',
  '\\',
  '"',
  "' or 1=1 --",
  '<script>alert(1)</script>',
  'null',
  'NaN',
  '-1',
  '1e400',
  '9007199254740993',
  '\u202e',
  '\ufeff',
  '\u2028',
  '🙂',
  '中文',
  '\t\n\r',
  'x'.repeat(3000),
  '__proto__',
  'constructor',
];

/** Numbers as JSON text: beyond safe integers, beyond int4, beyond doubles, negative, fractional. */
export const RAW_NUMBERS: readonly string[] = [
  '9007199254740993',
  '-9007199254740993',
  '123456789012345678901234567890',
  '1e400',
  '-1e400',
  '1e-400',
  '2147483648',
  '-2147483649',
  '4294967296',
  '9223372036854775808',
  '-1',
  '0',
  '-0',
  '0.5',
  '1.5e3',
];

export const nastyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_TEXT) },
  // Any code unit, lone surrogates and NUL included.
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 24 }) },
);

export const nastyNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...RAW_NUMBERS).map(rawJson),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 31, -(2 ** 31) - 1, 2 ** 63, 1e308),
);

/** Anything in the wrong place: text, numbers, null, booleans, empty or random structures. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyText },
  { weight: 3, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** A platform id as platforms send it (digits, beyond 2^53 as bare numbers) or anything that is not one. */
export const platformIdish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[1-9][0-9]{5,18}$/) },
  { weight: 2, arbitrary: fc.stringMatching(/^[1-9][0-9]{16,22}$/).map(rawJson) },
  { weight: 1, arbitrary: fc.integer({ min: 1 }) },
  { weight: 2, arbitrary: nastyText },
  { weight: 1, arbitrary: nastyValue },
);

/**
 * Percent-encodes a path or query part. A lone surrogate (which encodeURIComponent refuses) becomes the bytes
 * its code unit would have in UTF-8: invalid UTF-8 on the wire, as a hostile client may send.
 */
export function encodePart(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Values shaped by a JSON schema (the OpenAPI document's), with a share of nasty leaves.

type JsonSchema = Record<string, unknown>;

export interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; required?: boolean; schema?: JsonSchema }>; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const MAX_DEPTH = 6;

function deref(doc: OpenApiDoc, s: JsonSchema): JsonSchema {
  let cur = s;
  for (let i = 0; i < 10 && typeof cur.$ref === 'string'; i++) {
    const name = cur.$ref.replace('#/components/schemas/', '');
    cur = doc.components?.schemas?.[name] ?? {};
  }
  return cur;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function stringsFor(s: JsonSchema): fc.Arbitrary<string> {
  const min = num(s.minLength) ?? 0;
  const max = Math.max(min, Math.min(num(s.maxLength) ?? 24, min + 24));
  switch (s.format) {
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    case 'date':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    case 'uuid':
      return fc.uuid();
    case 'email':
      return fc.emailAddress();
    case 'uri':
    case 'url':
      return fc.constantFrom('http://127.0.0.1:1/api', 'https://gw.example.com/router');
  }
  if (typeof s.pattern === 'string') {
    try {
      return fc.stringMatching(new RegExp(s.pattern), { size: 'xsmall' });
    } catch {
      // A pattern the generator cannot read: plain text of the right length.
    }
  }
  return fc.string({ minLength: min, maxLength: max });
}

function integersFor(s: JsonSchema): fc.Arbitrary<number> {
  const lo = Math.max(Number.MIN_SAFE_INTEGER, num(s.minimum) ?? (num(s.exclusiveMinimum) !== undefined ? num(s.exclusiveMinimum)! + 1 : -1_000_000));
  const hi = Math.min(Number.MAX_SAFE_INTEGER, num(s.maximum) ?? (num(s.exclusiveMaximum) !== undefined ? num(s.exclusiveMaximum)! - 1 : 1_000_000));
  if (lo > hi) return fc.constant(lo);
  return fc.oneof({ weight: 4, arbitrary: fc.integer({ min: lo, max: hi }) }, { weight: 1, arbitrary: fc.constantFrom(lo, hi) });
}

function validFor(doc: OpenApiDoc, schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const s = deref(doc, schema);
  if (depth > MAX_DEPTH) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.enum) && s.enum.length) return fc.constantFrom(...(s.enum as unknown[]));
  for (const k of ['anyOf', 'oneOf'] as const) {
    const alts = s[k];
    if (Array.isArray(alts) && alts.length) return fc.oneof(...alts.map((a) => valueFor(doc, a as JsonSchema, depth + 1)));
  }
  if (Array.isArray(s.allOf) && s.allOf.length) return valueFor(doc, { ...(s.allOf[0] as JsonSchema) }, depth + 1);
  if (Array.isArray(s.type)) return fc.oneof(...(s.type as string[]).map((t) => validFor(doc, { ...s, type: t }, depth)));
  switch (s.type) {
    case 'string':
      return stringsFor(s);
    case 'integer':
      return integersFor(s);
    case 'number':
      return fc.double({ min: num(s.minimum) ?? -1e9, max: num(s.maximum) ?? 1e9, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = (s.items as JsonSchema | undefined) ?? {};
      const minLength = Math.min(num(s.minItems) ?? 0, 3);
      return fc.array(valueFor(doc, items, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min(num(s.maxItems) ?? 3, 3)) });
    }
  }
  if (s.type === 'object' || s.properties || s.additionalProperties) {
    const props = (s.properties as Record<string, JsonSchema> | undefined) ?? {};
    const required = ((s.required as string[] | undefined) ?? []).filter((k) => k in props);
    const record = fc.record(Object.fromEntries(Object.entries(props).map(([k, p]) => [k, valueFor(doc, p, depth + 1)])), { requiredKeys: required });
    const more = s.additionalProperties;
    const extra = more && typeof more === 'object' ? fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), valueFor(doc, more as JsonSchema, depth + 1), { maxKeys: 3 }) : fc.constant({});
    return fc.tuple(record, extra).map(([a, b]) => ({ ...b, ...a }));
  }
  return fc.jsonValue({ maxDepth: 2 });
}

/** A value of the schema's shape; about one leaf in eight is nasty instead (wrong type, NUL, huge number...). */
export function valueFor(doc: OpenApiDoc, schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 7, arbitrary: validFor(doc, schema, depth) }, { weight: 1, arbitrary: nastyValue });
}

/** Object schemas in a request schema that let an unknown field through (no `additionalProperties: false`). */
export function lenientObjects(doc: OpenApiDoc, schema: JsonSchema, path = '$', seen = new Set<JsonSchema>()): string[] {
  const s = deref(doc, schema);
  if (seen.has(s)) return [];
  seen.add(s);
  const out: string[] = [];
  const isObject = s.type === 'object' || s.properties !== undefined;
  if (isObject && s.properties && s.additionalProperties !== false) out.push(path);
  for (const [k, p] of Object.entries((s.properties as Record<string, JsonSchema> | undefined) ?? {})) out.push(...lenientObjects(doc, p, `${path}.${k}`, seen));
  if (s.additionalProperties && typeof s.additionalProperties === 'object') out.push(...lenientObjects(doc, s.additionalProperties as JsonSchema, `${path}.*`, seen));
  if (s.items && typeof s.items === 'object') out.push(...lenientObjects(doc, s.items as JsonSchema, `${path}[]`, seen));
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    const alts = s[k];
    if (Array.isArray(alts)) alts.forEach((a, i) => out.push(...lenientObjects(doc, a as JsonSchema, `${path}|${i}`, seen)));
  }
  return [...new Set(out)];
}
