import { describe, expect, it } from 'vitest';
import { carrierRulesForParcel, DEFAULT_CARRIER_RULE } from '../../../domain/fulfilment/carrier.js';

const codes = ['SF', 'YTO', 'ZTO', 'JD'];

describe('carrier rules of a parcel several orders share', () => {
  it('keeps the default rule when no member has rules', () => {
    expect(carrierRulesForParcel([undefined, undefined], codes)).toEqual({ rule: DEFAULT_CARRIER_RULE, notAllowed: new Set() });
  });

  it('leaves out what any member excludes or does not choose, and takes the lowest premium threshold', () => {
    const r = carrierRulesForParcel(
      [
        { ruleSetVersion: 3, exclude: ['ZTO'], highValueFen: 300_000 },
        { ruleSetVersion: 4, choose: ['SF', 'YTO', 'ZTO'], exclude: [] },
        undefined,
      ],
      codes,
    );
    expect([...r.notAllowed].sort()).toEqual(['JD', 'ZTO']);
    // The member without rules brings the default threshold (2,000 yuan), lower than 3,000.
    expect(r.rule).toEqual({ id: 'rules.carrier', version: 4, highValueFen: DEFAULT_CARRIER_RULE.highValueFen });
  });

  it('sets no premium requirement when no member with rules has one and none is without rules', () => {
    const r = carrierRulesForParcel([{ ruleSetVersion: 2, exclude: [] }], codes);
    expect(r.rule.highValueFen).toBe(Number.MAX_SAFE_INTEGER);
    expect(r.notAllowed.size).toBe(0);
  });
});
