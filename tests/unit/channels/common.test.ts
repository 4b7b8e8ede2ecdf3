import { describe, expect, it } from 'vitest';
import { allocate, beijingToUtc, unixToUtc, utcToBeijing } from '../../../channels/common.js';
import { firstPageStep, nextPageStep, splitWindow } from '../../../channels/paging.js';
import { connectors } from '../../../channels/index.js';
import type { PullPage } from '../../../channels/types.js';

describe('times', () => {
  it('converts Beijing wall-clock time to UTC', () => {
    expect(beijingToUtc('2026-11-11 00:03:15')).toBe('2026-11-10T16:03:15Z');
    expect(beijingToUtc('2026-01-01 07:59:59')).toBe('2025-12-31T23:59:59Z');
  });
  it('converts unix seconds to UTC', () => {
    expect(unixToUtc(1762826400)).toBe('2025-11-11T02:00:00Z');
  });
  it('formats a UTC instant as Beijing time', () => {
    expect(utcToBeijing(new Date('2026-11-10T16:03:15Z'))).toBe('2026-11-11 00:03:15');
  });
});

describe('allocate', () => {
  it('splits by weight with whole fen that add up', () => {
    expect(allocate(1000, [9980, 4990])).toEqual([667, 333]);
    expect(allocate(100, [100, 100, 100])).toEqual([34, 33, 33]);
    // A discount never exceeds what the lines are worth.
    expect(allocate(100, [1, 1, 1])).toEqual([1, 1, 1]);
    expect(allocate(0, [5, 5])).toEqual([0, 0]);
  });
});

const page = (p: Partial<PullPage>): PullPage => ({ page: 1, pageSize: 100, hasNext: false, platformOrderIds: [], orders: [], ...p });

describe('paging', () => {
  it('walks Taobao and PDD from the last page back to the first', () => {
    for (const rules of [connectors.taobao.paging, connectors.pdd.paging]) {
      let step = firstPageStep(rules);
      expect(step).toEqual({ page: 1, probe: true });
      const visited: number[] = [];
      let next = nextPageStep(rules, step, page({ total: 250 }));
      while (next) {
        visited.push(next.page);
        step = next;
        next = nextPageStep(rules, step, page({ page: step.page }));
      }
      expect(visited).toEqual([3, 2, 1]);
    }
  });

  it('stops after the probe when the window fits one page', () => {
    expect(nextPageStep(connectors.pdd.paging, { page: 1, probe: true }, page({ total: 40 }))).toBeNull();
    expect(nextPageStep(connectors.pdd.paging, { page: 1, probe: true }, page({ total: 0 }))).toBeNull();
  });

  it('walks Douyin from page 0 and JD from page 1 forwards while there is a next page', () => {
    expect(firstPageStep(connectors.douyin.paging)).toEqual({ page: 0, probe: false });
    expect(nextPageStep(connectors.douyin.paging, { page: 0, probe: false }, page({ page: 0, hasNext: true }))).toEqual({ page: 1, probe: false });
    expect(nextPageStep(connectors.jd.paging, { page: 2, probe: false }, page({ page: 2, hasNext: false }))).toBeNull();
  });

  it('splits a long window into platform-sized ones', () => {
    const w = splitWindow(new Date('2026-11-11T00:00:00Z'), new Date('2026-11-11T01:10:00Z'), 30 * 60 * 1000);
    expect(w.map((x) => [x.start.toISOString(), x.end.toISOString()])).toEqual([
      ['2026-11-11T00:00:00.000Z', '2026-11-11T00:30:00.000Z'],
      ['2026-11-11T00:30:00.000Z', '2026-11-11T01:00:00.000Z'],
      ['2026-11-11T01:00:00.000Z', '2026-11-11T01:10:00.000Z'],
    ]);
  });
});
