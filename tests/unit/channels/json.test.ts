import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonParseError, parseJson, parseJsonObject, stableStringify } from '../../../channels/json.js';

describe('parseJson', () => {
  it('keeps every digit of integers beyond 2^53', () => {
    const v = parseJsonObject('{"p_id":4987654321012345678,"s_ids":[4987654321012345679, -9007199254740993],"n":12}');
    expect(v).toEqual({ p_id: '4987654321012345678', s_ids: ['4987654321012345679', '-9007199254740993'], n: 12 });
  });

  it('quotes 2^53 itself, which is not a safe integer, and leaves the largest safe integer a number', () => {
    expect(parseJson('[9007199254740992,9007199254740991]')).toEqual(['9007199254740992', 9007199254740991]);
  });

  it('leaves decimals, exponents and digits inside strings alone', () => {
    const text = '{"a":179.5,"b":1e21,"c":"12345678901234567890","d":"x\\"99999999999999999999","e":-0.25}';
    expect(parseJson(text)).toEqual({ a: 179.5, b: 1e21, c: '12345678901234567890', d: 'x"99999999999999999999', e: -0.25 });
  });

  it('returns small integers under id keys as strings too', () => {
    expect(parseJson('{"tid":12,"s_ids":[1,2],"num":3,"o":{"tid":4165310245678901234}}', { idKeys: ['tid', 's_ids'] })).toEqual({
      tid: '12',
      s_ids: ['1', '2'],
      num: 3,
      o: { tid: '4165310245678901234' },
    });
  });

  it('rejects malformed JSON with its own error type', () => {
    expect(() => parseJson('{"a":')).toThrow(JsonParseError);
    expect(() => parseJson('{"a":0123}')).toThrow(JsonParseError);
    expect(() => parseJsonObject('[1]')).toThrow(JsonParseError);
  });

  it('handles unicode and escapes like JSON.parse', () => {
    expect(parseJson('{"name":"张**","s":"\\u738b\\n"}')).toEqual({ name: '张**', s: '王\n' });
  });
});

describe('parseJson properties', () => {
  it('returns any integer literal with every digit: as a number when safe, else as its decimal string', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (n) => {
        const text = `{"id":${n.toString()},"list":[${n.toString()}]}`;
        const v = parseJsonObject(text);
        const expected = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
        expect(v).toEqual({ id: expected, list: [expected] });
      }),
    );
  });

  it('agrees with JSON.parse except that unsafe integer literals become strings', () => {
    // JSON.stringify writes integers below 1e21 as plain digits, so String(v) is the literal that was parsed.
    const unsafeToString = (_k: string, v: unknown): unknown =>
      typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) && /^-?\d+$/.test(String(v)) ? String(v) : v;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        const text = JSON.stringify(value);
        expect(parseJson(text)).toEqual(JSON.parse(text, unsafeToString));
      }),
      { numRuns: 300 },
    );
  });
});

describe('stableStringify', () => {
  it('sorts keys at every level and adds no whitespace', () => {
    expect(stableStringify({ size: 100, page: 0, nested: { b: 'x', a: [{ d: 1, c: 2 }] } })).toBe(
      '{"nested":{"a":[{"c":2,"d":1}],"b":"x"},"page":0,"size":100}',
    );
  });
});
