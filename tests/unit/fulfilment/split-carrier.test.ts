import { describe, expect, it } from 'vitest';
import {
  allocate,
  chooseCarrier,
  rateCost,
  splitIntoPackages,
  type CarrierRequest,
  type LineAssignment,
} from '../../../domain/fulfilment/index.js';
import { ALL, carrier, dest, sku } from './fixtures.js';

const a = (lineRef: string, skuCode: string, warehouseCode: string, quantity: number): LineAssignment => ({
  lineRef,
  skuCode,
  warehouseCode,
  quantity,
  transferredIn: 0,
});

describe('splitIntoPackages', () => {
  const catalogue = [sku('SOFA', { bulky: true, weightG: 40_000, valueFen: 299_900 }), sku('CUSHION', { weightG: 300, valueFen: 5_900 }), sku('LAMP', { weightG: 1_200 })];

  it('bulky plus small items make a freight plus an express package', () => {
    const r = splitIntoPackages('o1', [a('1', 'SOFA', 'SH', 1), a('2', 'CUSHION', 'SH', 2)], catalogue);
    expect(r.packages).toEqual([
      { key: 'o1:SH:freight', warehouseCode: 'SH', logisticsClass: 'freight', lines: [{ lineRef: '1', skuCode: 'SOFA', quantity: 1 }], weightG: 40_000, volumeCm3: 1000, valueFen: 299_900 },
      { key: 'o1:SH:express', warehouseCode: 'SH', logisticsClass: 'express', lines: [{ lineRef: '2', skuCode: 'CUSHION', quantity: 2 }], weightG: 600, volumeCm3: 2000, valueFen: 11_800 },
    ]);
    expect(r.decision).toMatchObject({ kind: 'split', ruleId: 'split.default', ruleVersion: 1, chosen: ['o1:SH:freight', 'o1:SH:express'] });
  });

  it('makes one package per warehouse and class', () => {
    const r = splitIntoPackages('o2', [a('1', 'LAMP', 'SH', 1), a('2', 'LAMP', 'GZ', 1), a('3', 'CUSHION', 'SH', 1), a('4', 'SOFA', 'GZ', 1)], catalogue);
    expect(r.packages.map((p) => p.key)).toEqual(['o2:SH:express', 'o2:GZ:express', 'o2:GZ:freight']);
  });

  it('sends an overweight express parcel by freight', () => {
    const r = splitIntoPackages('o3', [a('1', 'LAMP', 'SH', 30)], catalogue);
    expect(r.packages.map((p) => [p.logisticsClass, p.weightG])).toEqual([['freight', 36_000]]);
    expect(r.decision.steps.map((s) => s.step)).toContain('overweight-express');
  });

  it('flags SKUs missing from the catalogue', () => {
    const r = splitIntoPackages('o4', [a('1', 'MYSTERY', 'SH', 1)], catalogue);
    expect(r.unknownSkus).toEqual(['MYSTERY']);
    expect(r.packages[0]!.logisticsClass).toBe('express');
  });

  it('works end to end: allocation then split of a two-warehouse order', () => {
    const alloc = allocate(
      { orderId: 'o5', destination: dest('110105'), lines: [{ lineRef: '1', skuCode: 'SOFA', quantity: 1 }, { lineRef: '2', skuCode: 'CUSHION', quantity: 1 }] },
      { warehouses: ALL, stock: [{ warehouseCode: 'SH', skuCode: 'SOFA', available: 1 }, { warehouseCode: 'GZ', skuCode: 'CUSHION', available: 1 }] },
    );
    const r = splitIntoPackages('o5', alloc.assignments, catalogue);
    expect(r.packages.map((p) => p.key).sort()).toEqual(['o5:GZ:express', 'o5:SH:freight']);
  });
});

describe('chooseCarrier', () => {
  const req = (over: Partial<CarrierRequest> = {}): CarrierRequest => ({
    packageKey: 'o1:SH:express',
    service: 'express',
    weightG: 800,
    valueFen: 9_900,
    destinationRegionCode: '110105',
    ...over,
  });
  const YTO = carrier('YTO', { rates: [{ service: 'express', regions: [], firstWeightG: 1000, firstFen: 600, stepG: 1000, stepFen: 200 }] });
  const ZTO = carrier('ZTO', { regionsCovered: ['310000', '320000'], rates: [{ service: 'express', regions: [], firstWeightG: 1000, firstFen: 500, stepG: 1000, stepFen: 200 }] });
  const SF = carrier('SF', {
    premium: true,
    services: ['express', 'freight'],
    maxWeightG: 100_000,
    rates: [
      { service: 'express', regions: [], firstWeightG: 1000, firstFen: 1_800, stepG: 1000, stepFen: 500 },
      { service: 'express', regions: ['110000'], firstWeightG: 1000, firstFen: 1_500, stepG: 1000, stepFen: 400 },
      { service: 'freight', regions: [], firstWeightG: 20_000, firstFen: 6_000, stepG: 1000, stepFen: 150 },
    ],
  });
  const DBL = carrier('DBL', { services: ['freight'], maxWeightG: 500_000, rates: [{ service: 'freight', regions: [], firstWeightG: 30_000, firstFen: 4_500, stepG: 1000, stepFen: 100 }] });
  const all = [YTO, ZTO, SF, DBL];

  it('prices by first weight and started steps', () => {
    expect(rateCost({ service: 'express', regions: [], firstWeightG: 1000, firstFen: 800, stepG: 1000, stepFen: 200 }, 2500)).toBe(1200);
    expect(rateCost({ service: 'express', regions: [], firstWeightG: 1000, firstFen: 800, stepG: 1000, stepFen: 200 }, 900)).toBe(800);
  });

  it('takes the cheapest carrier covering the region', () => {
    const r = chooseCarrier(req(), all);
    // ZTO is cheaper but does not deliver to Beijing.
    expect(r.carrierCode).toBe('YTO');
    expect(r.costFen).toBe(600);
    const excluded = Object.fromEntries(r.decision.excluded.map((e) => [e.id, e.reasons.map((x) => x.code)]));
    expect(excluded).toEqual({ ZTO: ['region-not-covered'], DBL: ['service-not-offered', 'no-rate'] });
    expect(r.decision.candidates.map((c) => [c.id, c.score])).toEqual([['YTO', 1], ['SF', 0.4]]);
  });

  it('sends high-value parcels only with a premium carrier, at the most specific rate', () => {
    const r = chooseCarrier(req({ valueFen: 500_000 }), all);
    expect(r.carrierCode).toBe('SF');
    expect(r.costFen).toBe(1_500);
    expect(r.decision.excluded.find((e) => e.id === 'YTO')!.reasons.map((x) => x.code)).toEqual(['not-premium']);
  });

  it('respects weight limits for freight', () => {
    const r = chooseCarrier(req({ service: 'freight', weightG: 150_000, packageKey: 'o1:SH:freight' }), all);
    expect(r.carrierCode).toBe('DBL');
    expect(r.decision.excluded.find((e) => e.id === 'SF')!.reasons.map((x) => x.code)).toEqual(['overweight']);
  });

  it('returns null with the reasons when nothing qualifies', () => {
    const r = chooseCarrier(req({ service: 'freight', weightG: 900_000 }), all);
    expect(r.carrierCode).toBeNull();
    expect(r.decision.outcome).toBe('no carrier qualifies');
    expect(r.decision.excluded).toHaveLength(4);
  });
});
