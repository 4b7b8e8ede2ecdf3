import { describe, expect, it } from 'vitest';
import { fenToYuan, sumFen, yuanToFen } from '../../domain/money.js';

describe('money in integer fen', () => {
  it('converts yuan strings without floating point', () => {
    expect(yuanToFen('179.00')).toBe(17900);
    expect(yuanToFen('0.1')).toBe(10);
    expect(yuanToFen('0.29')).toBe(29); // 0.29 * 100 is 28.999999999999996 in floating point
    expect(yuanToFen('1.15')).toBe(115);
    expect(yuanToFen('12')).toBe(1200);
    expect(yuanToFen(' 3.50 ')).toBe(350);
    expect(yuanToFen('-5.20')).toBe(-520);
  });

  it('refuses what is not a yuan amount', () => {
    for (const bad of ['', 'abc', '1.234', '1,00', '1e3', '¥5']) expect(() => yuanToFen(bad), bad).toThrow(RangeError);
    expect(() => yuanToFen('99999999999999999.00')).toThrow(/range/);
  });

  it('formats fen as yuan', () => {
    expect(fenToYuan(17900)).toBe('179.00');
    expect(fenToYuan(5)).toBe('0.05');
    expect(fenToYuan(-520)).toBe('-5.20');
    expect(() => fenToYuan(1.5)).toThrow(RangeError);
  });

  it('sums only integer fen', () => {
    expect(sumFen([100, 250, 1])).toBe(351);
    expect(sumFen([])).toBe(0);
    expect(() => sumFen([1, 0.5])).toThrow(RangeError);
  });
});
