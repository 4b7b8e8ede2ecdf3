import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOCATION_STRATEGY } from '../../../domain/fulfilment/allocation.js';
import { allocationStrategyInput, strategyFrom } from '../../../domain/fulfilment/strategy.js';

describe('stored allocation strategy', () => {
  const stored = { id: 'allocation.custom', filters: ['inactive'], rankBy: ['priority'], steps: ['nearest-per-line'], loadThreshold: 0.5, distanceBandKm: 50 };

  it('uses the default when nothing is stored', () => {
    expect(strategyFrom(undefined)).toBe(DEFAULT_ALLOCATION_STRATEGY);
  });

  it('takes the stored strategy with the stored version', () => {
    expect(strategyFrom({ value: stored, version: 7 })).toEqual({ ...stored, version: 7 });
  });

  it('falls back to the default when the stored value no longer parses', () => {
    expect(strategyFrom({ value: { ...stored, steps: ['teleport'] }, version: 3 })).toBe(DEFAULT_ALLOCATION_STRATEGY);
  });

  it('names the problem in bad input', () => {
    const r = allocationStrategyInput.safeParse({ ...stored, rankBy: ['priority', 'priority'] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(/repeat/);
  });
});
