import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { controlTaskPriority, FAIRNESS_KEY_MAX_BYTES, taskPriorityOf } from '../../domain/fulfilment/task-priority.js';

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

describe('taskPriorityOf: priority key', () => {
  it('maps review priorities to Temporal keys at the 20 / 10 / 0 boundaries', () => {
    const key = (p: number) => taskPriorityOf(p, 'shop').priorityKey;
    expect([100, 20].map(key)).toEqual([1, 1]);
    expect([19.5, 19, 10].map(key)).toEqual([2, 2, 2]);
    expect([9.9, 9, 1, 0].map(key)).toEqual([3, 3, 3, 3]);
    expect([-0.5, -1, -100].map(key)).toEqual([4, 4, 4]);
  });
  it('treats infinities as the extremes and NaN as normal', () => {
    expect(taskPriorityOf(Infinity, 's').priorityKey).toBe(1);
    expect(taskPriorityOf(-Infinity, 's').priorityKey).toBe(4);
    expect(taskPriorityOf(NaN, 's').priorityKey).toBe(3);
  });
  it('never gives a more urgent key to a lower priority (monotone), and stays within 1..4', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const kLo = taskPriorityOf(lo, 's').priorityKey;
        const kHi = taskPriorityOf(hi, 's').priorityKey;
        return kHi <= kLo && kHi >= 1 && kLo <= 4;
      }),
    );
  });
});

describe('taskPriorityOf: fairness key', () => {
  it('is the shop id when it fits in 64 bytes', () => {
    expect(taskPriorityOf(0, 'tmall:1001').fairnessKey).toBe('tmall:1001');
    expect(taskPriorityOf(0, '').fairnessKey).toBe('');
    const exact = 'a'.repeat(64);
    expect(taskPriorityOf(0, exact).fairnessKey).toBe(exact);
  });
  it('cuts longer ids to 64 bytes', () => {
    expect(taskPriorityOf(0, 'b'.repeat(65)).fairnessKey).toBe('b'.repeat(64));
  });
  it('never splits a multi-byte character or a surrogate pair', () => {
    // 21 CJK characters are 63 bytes; a 22nd would make 66.
    expect(taskPriorityOf(0, '店'.repeat(30)).fairnessKey).toBe('店'.repeat(21));
    // 63 ASCII bytes, then a 4-byte emoji that does not fit.
    expect(taskPriorityOf(0, `${'x'.repeat(63)}🛒`).fairnessKey).toBe('x'.repeat(63));
    expect(taskPriorityOf(0, `${'x'.repeat(60)}🛒z`).fairnessKey).toBe(`${'x'.repeat(60)}🛒`);
    // 2-byte characters: 32 of them are exactly 64 bytes.
    expect(taskPriorityOf(0, 'é'.repeat(40)).fairnessKey).toBe('é'.repeat(32));
  });
  it('is always a prefix of the id, at most 64 bytes, and as long as fits (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (shop) => {
        const key = taskPriorityOf(0, shop).fairnessKey;
        if (!shop.startsWith(key) || utf8Bytes(key) > FAIRNESS_KEY_MAX_BYTES) return false;
        if (key === shop) return true;
        // The next code point would not have fit.
        const next = String.fromCodePoint(shop.codePointAt(key.length)!);
        return utf8Bytes(key + next) > FAIRNESS_KEY_MAX_BYTES;
      }),
    );
  });
});

describe('controlTaskPriority', () => {
  it('puts exception watches at the most urgent key, under a fairness key no shop id takes', () => {
    const p = controlTaskPriority();
    expect(p.priorityKey).toBe(1);
    expect(p.priorityKey).toBeLessThanOrEqual(Math.min(...[100, 20, 10, 0, -5].map((x) => taskPriorityOf(x, 'shop').priorityKey)));
    expect(p.fairnessKey).toBe('orderly-control');
    expect(utf8Bytes(p.fairnessKey)).toBeLessThanOrEqual(FAIRNESS_KEY_MAX_BYTES);
  });
});
