import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRICING_CONFIG,
  apportion,
  checkOrderPricing,
  computePrice,
  type PriceInput,
  type PricedOrder,
  type PricingConfig,
} from '../../domain/pricing/index.js';
import { pricingConfig } from '../../domain/pricing/schema.js';

const AT = '2025-07-01T02:05:00Z';

/** 满 300 减 40 / 满 200 减 20, coupon C1 (10 yuan off TEA and CUP from 100 yuan), shipping 8 yuan, free from 299. */
const CONFIG: PricingConfig = pricingConfig.parse({
  id: 'shop1.pricing',
  version: 3,
  thresholdTiers: [
    { thresholdFen: 20000, offFen: 2000 },
    { thresholdFen: 30000, offFen: 4000 },
  ],
  coupons: [
    { id: 'C1', amountFen: 1000, minSpendFen: 10000, skuCodes: ['TEA', 'CUP'], validFrom: '2025-06-01T00:00:00Z', validTo: '2025-07-31T15:59:59Z' },
    { id: 'EXPIRED', amountFen: 500, validTo: '2025-06-30T15:59:59Z' },
    { id: 'LATER', amountFen: 500, validFrom: '2025-07-02T00:00:00Z' },
    { id: 'BIG_SPEND', amountFen: 500, minSpendFen: 31000 },
    { id: 'PAD_ONLY', amountFen: 300, minSpendFen: 3000, skuCodes: ['PAD'] },
    { id: 'OTHER_SKU', amountFen: 300, skuCodes: ['KETTLE'] },
    { id: 'HUGE', amountFen: 5000, skuCodes: ['PAD'] },
    { id: 'ENDS_NOW', amountFen: 100, validTo: AT },
  ],
  shipping: { flatFen: 800, freeFromFen: 29900 },
});

const LINES: PriceInput['lines'] = [
  { lineId: 'L1', skuCode: 'TEA', quantity: 2, unitPriceFen: 9900, itemDiscountFen: 800 }, // 19800 - 800 = 19000
  { lineId: 'L2', skuCode: 'CUP', quantity: 1, unitPriceFen: 12000, itemDiscountFen: 0 }, // 12000
  { lineId: 'L3', skuCode: 'PAD', quantity: 3, unitPriceFen: 1001, itemDiscountFen: 3 }, // 3003 - 3 = 3000
];

const price = (over: Partial<PriceInput> = {}, config: PricingConfig = CONFIG) =>
  computePrice({ lines: LINES, couponIds: [], pointsUsed: 0, at: AT, ...over }, config);

const codes = (r: { findings: readonly { code: string }[] }) => r.findings.map((f) => f.code);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('apportion', () => {
  it('splits by weight, the leftover fen to the largest remainders', () => {
    // 100 x 3333 / 10000 = 33 r3300, 33 r3300; 100 x 3334 / 10000 = 33 r3400: 99 handed out, the 1 left to
    // the largest remainder (index 2).
    expect(apportion(100, [3333, 3333, 3334])).toEqual([33, 33, 34]);
    // 1001 x 3333 = 3336333 -> 333 r6333 (twice); 1001 x 3334 = 3337334 -> 333 r7334. 999 handed out, 2 left:
    // index 2 (r7334), then index 0 (r6333, tied with index 1: the lower index first).
    expect(apportion(1001, [3333, 3333, 3334])).toEqual([334, 333, 334]);
    // Equal remainders (2 each): lower indexes first.
    expect(apportion(2, [1, 1, 1])).toEqual([1, 1, 0]);
  });

  it('gives zero weights nothing and handles empty and zero totals', () => {
    expect(apportion(10, [0, 5, 0, 5])).toEqual([0, 5, 0, 5]);
    expect(apportion(0, [0, 0])).toEqual([0, 0]);
    expect(apportion(0, [])).toEqual([]);
  });

  it('does not lose precision where total x weight exceeds 2^53', () => {
    const max = Number.MAX_SAFE_INTEGER;
    // Sum of the weights equals the total: every part is its weight exactly.
    expect(apportion(max, [max - 1, 1])).toEqual([max - 1, 1]);
    // 9007199254740991 = 3 x 3002399751580330 + 1: each part floors to ...330 with remainder 1 (all equal), and
    // the 1 fen left goes to the lowest index.
    expect(apportion(max, [1, 1, 1])).toEqual([3002399751580331, 3002399751580330, 3002399751580330]);
  });

  it('throws on what is not integer fen (programmer error)', () => {
    expect(() => apportion(1.5, [1])).toThrow(RangeError);
    expect(() => apportion(1, [0.5, 1])).toThrow(RangeError);
    expect(() => apportion(-1, [1])).toThrow(RangeError);
    expect(() => apportion(1, [0, 0])).toThrow(RangeError);
  });

  it('always adds up, stays within one fen of the exact share and within the weights', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 20 }), fc.double({ min: 0, max: 1, noNaN: true }), (weights, f) => {
        const total = sum(weights);
        fc.pre(total > 0);
        const t = Math.floor(total * f);
        const parts = apportion(t, weights);
        expect(sum(parts)).toBe(t);
        parts.forEach((p, i) => {
          expect(Number.isInteger(p)).toBe(true);
          expect(p).toBeLessThanOrEqual(weights[i]!);
          // |part - t x w / total| < 1, checked in integers: |part x total - t x w| < total.
          const diff = BigInt(p) * BigInt(total) - BigInt(t) * BigInt(weights[i]!);
          expect(diff < BigInt(total) && diff > -BigInt(total)).toBe(true);
        });
      }),
    );
  });
});

describe('pricing config', () => {
  it('parses {} as the default: no coupons, no tiers, 100 points = 1 yuan, platform shipping', () => {
    expect(pricingConfig.parse({})).toEqual(DEFAULT_PRICING_CONFIG);
    expect(DEFAULT_PRICING_CONFIG.fenPerPoint).toBe(1);
    expect(pricingConfig.parse(DEFAULT_PRICING_CONFIG)).toEqual(DEFAULT_PRICING_CONFIG);
    expect(Object.isFrozen(DEFAULT_PRICING_CONFIG.coupons)).toBe(true);
  });

  it('refuses configs that are mistakes', () => {
    const bad = [
      { fenPerPoint: 0 },
      { fenPerPoint: 1.5 },
      { coupons: [{ id: 'A', amountFen: 100.5 }] },
      { coupons: [{ id: 'A', amountFen: 100 }, { id: 'A', amountFen: 200 }] },
      { coupons: [{ id: 'A', amountFen: 100, skuCodes: [] }] },
      { coupons: [{ id: 'A', amountFen: 100, validFrom: '2025-07-02T00:00:00Z', validTo: '2025-07-01T00:00:00Z' }] },
      { coupons: [{ id: 'A', amountFen: 100, validTo: '2025-07-01 00:00:00' }] },
      { thresholdTiers: [{ thresholdFen: 1000, offFen: 2000 }] },
      { thresholdTiers: [{ thresholdFen: 1000, offFen: 100 }, { thresholdFen: 1000, offFen: 200 }] },
      { thresholdRepat: true },
    ];
    for (const b of bad) expect(pricingConfig.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });
});

describe('computePrice', () => {
  it('applies item discounts, 满减, a coupon and points, and the lines add up to the fen', () => {
    const r = price({ couponIds: ['C1'], pointsUsed: 1500, shippingFen: 800 });
    // Goods 19800 + 12000 + 3003 = 34803; item discounts 800 + 0 + 3 = 803; after them 19000 + 12000 + 3000 = 34000.
    expect(r.goodsFen).toBe(34803);
    expect(r.itemDiscountFen).toBe(803);
    // 34000 reaches 满 300 (4000 off), the best tier. Over [19000, 12000, 3000] (sum 34000):
    // 4000 x 19000 / 34000 = 2235 r10000, x 12000 = 1411 r26000, x 3000 = 352 r32000; 2 fen left -> L3, L2.
    expect(r.threshold).toEqual({ thresholdFen: 30000, offFen: 4000, times: 1 });
    expect(r.lines.map((l) => l.thresholdFen)).toEqual([2235, 1412, 353]);
    // Left: [16765, 10588, 2647]. C1 covers TEA and CUP: eligible 16765 + 10588 = 27353 >= 10000.
    // 1000 x 16765 / 27353 = 612 r24964, x 10588 = 387 r2389; 1 fen left -> L1.
    expect(r.coupons).toEqual([{ id: 'C1', amountFen: 1000, lineIndexes: [0, 1] }]);
    expect(r.lines.map((l) => l.couponFen)).toEqual([613, 387, 0]);
    // Left: [16152, 10201, 2647], sum 29000. 1500 points x 1 fen:
    // 1500 x 16152 / 29000 = 835 r13000, x 10201 = 527 r18500, x 2647 = 136 r26500; 2 left -> L3, L2.
    expect(r.pointsUsed).toBe(1500);
    expect(r.lines.map((l) => l.pointsFen)).toEqual([835, 528, 137]);
    // Lines: 19800-800-2235-613-835 = 15317; 12000-1412-387-528 = 9673; 3003-3-353-137 = 2510; sum 27500.
    expect(r.lines.map((l) => l.payableFen)).toEqual([15317, 9673, 2510]);
    expect(r.lines.map((l) => l.orderDiscountFen)).toEqual([3683, 2327, 490]);
    expect(sum(r.lines.map((l) => l.payableFen))).toBe(r.goodsPayableFen);
    expect(r).toMatchObject({
      thresholdFen: 4000,
      couponFen: 1000,
      pointsFen: 1500,
      platformFen: 0,
      discountFen: 7303, // 803 + 4000 + 1000 + 1500
      goodsPayableFen: 27500, // 34803 - 7303
      shippingFen: 800, // 27500 < 29900: not free
      payableFen: 28300,
      configId: 'shop1.pricing',
      configVersion: 3,
    });
    expect(r.findings).toEqual([]);
    expect(r.lines.map((l) => l.lineId)).toEqual(['L1', 'L2', 'L3']);
  });

  it('splits an odd discount over 3333/3333/3334 with the remainder rule, adding up exactly', () => {
    const lines = [
      { skuCode: 'A', quantity: 1, unitPriceFen: 3333, itemDiscountFen: 0 },
      { skuCode: 'B', quantity: 1, unitPriceFen: 3333, itemDiscountFen: 0 },
      { skuCode: 'C', quantity: 1, unitPriceFen: 3334, itemDiscountFen: 0 },
    ];
    // 1001 points: 334 / 333 / 334 (see apportion above); payable 2999 + 3000 + 3000 = 8999 = 10000 - 1001.
    const r = computePrice({ lines, couponIds: [], pointsUsed: 1001, at: AT }, DEFAULT_PRICING_CONFIG);
    expect(r.lines.map((l) => l.pointsFen)).toEqual([334, 333, 334]);
    expect(r.lines.map((l) => l.payableFen)).toEqual([2999, 3000, 3000]);
    expect(r.goodsPayableFen).toBe(8999);
    expect(r.payableFen).toBe(8999); // no shipping rule and none charged
  });

  it('refuses each kind of unusable coupon with a finding and applies the rest', () => {
    const one = (id: string) => price({ couponIds: [id] });
    const unknown = one('NOPE');
    expect(codes(unknown)).toEqual(['coupon_unknown']);
    expect(unknown.couponFen).toBe(0);
    expect(unknown.findings[0]).toMatchObject({ couponId: 'NOPE', severity: 'problem' });

    // Valid to 2025-06-30T15:59:59Z, priced at 2025-07-01T02:05:00Z.
    expect(one('EXPIRED').findings).toEqual([expect.objectContaining({ code: 'coupon_expired', couponId: 'EXPIRED', differenceFen: 500 })]);
    expect(codes(one('LATER'))).toEqual(['coupon_not_yet_valid']);
    // The window's end is inclusive: at exactly validTo the coupon is still valid.
    expect(one('ENDS_NOW')).toMatchObject({ couponFen: 100, findings: [] });

    // Minimum 31000 on goods after item discounts (34000) and 满减 (-4000): 30000 is short.
    const bigSpend = one('BIG_SPEND');
    expect(codes(bigSpend)).toEqual(['coupon_min_spend']);
    expect(bigSpend.findings[0]!.message).toContain('¥300.00');
    // Minimum 3000 counted on PAD only: 3000 after item discounts, 2647 after its 353 of 满减.
    expect(codes(one('PAD_ONLY'))).toEqual(['coupon_min_spend']);
    expect(codes(one('OTHER_SKU'))).toEqual(['coupon_not_applicable']);

    // 5000 off PAD, which has 2647 left to pay: capped, and PAD pays 0.
    const huge = one('HUGE');
    expect(huge.findings).toEqual([expect.objectContaining({ code: 'discount_capped', couponId: 'HUGE', differenceFen: 5000 - 2647 })]);
    expect(huge.coupons).toEqual([{ id: 'HUGE', amountFen: 2647, lineIndexes: [2] }]);
    expect(huge.lines[2]!.payableFen).toBe(0);

    const twice = price({ couponIds: ['C1', 'C1', 'NOPE'] });
    expect(codes(twice)).toEqual(['coupon_duplicate', 'coupon_unknown']);
    expect(twice.couponFen).toBe(1000);
  });

  it('does not apply a windowed coupon when the instant is not a UTC instant', () => {
    const r = price({ couponIds: ['C1'], at: '2025-07-01 10:05:00' });
    expect(codes(r)).toEqual(['instant_invalid', 'coupon_window_unknown']);
    expect(r.couponFen).toBe(0);
  });

  it('repeats 满减 per whole multiple when thresholdRepeat is set', () => {
    const one = (unitPriceFen: number, config: Partial<PricingConfig>) =>
      computePrice(
        { lines: [{ skuCode: 'TEA', quantity: 1, unitPriceFen, itemDiscountFen: 0 }], couponIds: [], pointsUsed: 0, at: AT },
        { ...DEFAULT_PRICING_CONFIG, ...config },
      );
    const every100 = { thresholdTiers: [{ thresholdFen: 10000, offFen: 1000 }] };
    // 每满 100 减 10 on 350 yuan: 3 x 10 = 30 yuan off.
    expect(one(35000, { ...every100, thresholdRepeat: true })).toMatchObject({ thresholdFen: 3000, threshold: { times: 3 }, payableFen: 32000 });
    // Not repeating: once.
    expect(one(35000, every100)).toMatchObject({ thresholdFen: 1000, threshold: { times: 1 } });
    // Just under the threshold: nothing.
    const under = one(9999, { ...every100, thresholdRepeat: true });
    expect(under.thresholdFen).toBe(0);
    expect(under.threshold).toBeUndefined();
    // Two repeating tiers, the better one wins: 350 yuan -> 3 x 10 = 30 vs 1 x 40 = 40; 600 yuan -> 60 vs 2 x 40 = 80.
    const tiers = { thresholdTiers: [{ thresholdFen: 10000, offFen: 1000 }, { thresholdFen: 30000, offFen: 4000 }], thresholdRepeat: true };
    expect(one(35000, tiers)).toMatchObject({ thresholdFen: 4000, threshold: { thresholdFen: 30000, times: 1 } });
    expect(one(60000, tiers)).toMatchObject({ thresholdFen: 8000, threshold: { thresholdFen: 30000, times: 2 } });
  });

  it('caps item discounts and points, in whole points', () => {
    const config = { ...DEFAULT_PRICING_CONFIG, fenPerPoint: 3 };
    const r = computePrice(
      { lines: [{ lineId: 'L', skuCode: 'TEA', quantity: 1, unitPriceFen: 1000, itemDiscountFen: 0 }], couponIds: [], pointsUsed: 400, at: AT },
      config,
    );
    // 400 points x 3 = 1200 > 1000 left: floor(1000 / 3) = 333 points = 999 fen; 67 points (201 fen) not used.
    expect(r).toMatchObject({ pointsUsed: 333, pointsFen: 999, payableFen: 1 });
    expect(r.findings).toEqual([expect.objectContaining({ code: 'discount_capped', differenceFen: 201 })]);

    const item = computePrice(
      { lines: [{ lineId: 'L', skuCode: 'TEA', quantity: 1, unitPriceFen: 1000, itemDiscountFen: 1200 }], couponIds: [], pointsUsed: 0, at: AT },
      DEFAULT_PRICING_CONFIG,
    );
    expect(item).toMatchObject({ itemDiscountFen: 1000, payableFen: 0 });
    expect(item.findings).toEqual([expect.objectContaining({ code: 'discount_capped', lineId: 'L', lineIndex: 0, differenceFen: 200 })]);

    expect(codes(price({ pointsUsed: 1.5 }))).toEqual(['points_invalid']);
    expect(codes(price({ pointsUsed: -1 }))).toEqual(['points_invalid']);
  });

  it('charges shipping by the rule, or takes the platform\'s without one', () => {
    const lines = [
      { skuCode: 'TEA', quantity: 2, unitPriceFen: 9900, itemDiscountFen: 0 }, // 19800
      { skuCode: 'CUP', quantity: 1, unitPriceFen: 12000, itemDiscountFen: 0 }, // 12000
      { skuCode: 'PAD', quantity: 3, unitPriceFen: 1000, itemDiscountFen: 0 }, // 3000
    ];
    const r = price({ shippingFen: 800, lines });
    // 34800 of goods - 4000 (满 300) = 30800 >= 29900: free; the platform charged 800.
    expect(r.goodsFen).toBe(34800);
    expect(r).toMatchObject({ goodsPayableFen: 30800, shippingFen: 0, payableFen: 30800 });
    expect(r.findings).toEqual([expect.objectContaining({ code: 'shipping_mismatch', differenceFen: 800 })]);
    const platform = computePrice({ lines: LINES, couponIds: [], pointsUsed: 0, shippingFen: 1234, at: AT }, DEFAULT_PRICING_CONFIG);
    expect(platform).toMatchObject({ shippingFen: 1234, payableFen: 34000 + 1234, findings: [] });
  });

  it('throws only on amounts that are not integer fen', () => {
    expect(() => price({ lines: [{ skuCode: 'A', quantity: 1, unitPriceFen: 10.5, itemDiscountFen: 0 }] })).toThrow(RangeError);
    expect(() => price({ lines: [{ skuCode: 'A', quantity: 1, unitPriceFen: 100, itemDiscountFen: Number.NaN }] })).toThrow(RangeError);
    expect(() => price({ shippingFen: 0.5 })).toThrow(RangeError);
    expect(() => price({ platformDiscountFen: -1 })).toThrow(RangeError);
    expect(() => price({ couponIds: ['NOPE', 'EXPIRED'], pointsUsed: 1e30, at: 'garbage' })).not.toThrow();
  });

  it('always adds up and never leaves a line below zero', () => {
    const lineArb = fc.record({
      skuCode: fc.constantFrom('TEA', 'CUP', 'PAD'),
      quantity: fc.integer({ min: 0, max: 20 }),
      unitPriceFen: fc.integer({ min: 0, max: 50_000 }),
      itemDiscountFen: fc.integer({ min: 0, max: 20_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(lineArb, { minLength: 1, maxLength: 8 }),
        fc.subarray(['C1', 'BIG_SPEND', 'PAD_ONLY', 'HUGE', 'ENDS_NOW']),
        fc.integer({ min: 0, max: 200_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        (lines, couponIds, pointsUsed, platformDiscountFen) => {
          const r = computePrice({ lines, couponIds, pointsUsed, platformDiscountFen, at: AT }, { ...CONFIG, thresholdRepeat: true });
          expect(sum(r.lines.map((l) => l.payableFen))).toBe(r.goodsPayableFen);
          expect(r.goodsFen - r.itemDiscountFen - r.thresholdFen - r.couponFen - r.pointsFen - r.platformFen).toBe(r.goodsPayableFen);
          for (const l of r.lines) {
            expect(l.payableFen).toBeGreaterThanOrEqual(0);
            expect(l.goodsFen - l.itemDiscountFen - l.orderDiscountFen).toBe(l.payableFen);
          }
          expect(sum(r.lines.map((l) => l.couponFen))).toBe(r.couponFen);
          expect(sum(r.lines.map((l) => l.pointsFen))).toBe(r.pointsFen);
        },
      ),
    );
  });
});

describe('checkOrderPricing', () => {
  // Line ids beyond 2^53: Number('3021987654321098766') would not keep its digits.
  const IDS = ['3021987654321098765', '3021987654321098766', '3021987654321098767'];

  /**
   * TEA 2 x 9500 = 19000, CUP 12000, PAD 3 x 1000 = 3000: 34000 of goods, as after item discounts above, so the
   * same split: lines pay 15317 / 9673 / 2510 = 27500 after 满减 4000, C1 1000 and 1500 points; shipping 800.
   */
  const consistentOrder = (): PricedOrder => ({
    lines: [
      { lineId: IDS[0], skuCode: 'TEA', quantity: 2, unitPriceFen: 9500, discountFen: 3683, paidFen: 15317 },
      { lineId: IDS[1], skuCode: 'CUP', quantity: 1, unitPriceFen: 12000, discountFen: 2327, paidFen: 9673 },
      { lineId: IDS[2], skuCode: 'PAD', quantity: 3, unitPriceFen: 1000, discountFen: 490, paidFen: 2510 },
    ],
    amounts: { goodsFen: 34000, shippingFen: 800, discountFen: 6500, paidFen: 28300 },
    discounts: [
      { kind: 'threshold', name: '满300减40', amountFen: 4000 },
      { kind: 'coupon', name: 'C1', amountFen: 1000 },
      { kind: 'points', amountFen: 1500 },
    ],
    createdAt: '2025-07-01T02:00:00Z',
    paidAt: AT,
  });

  it('finds a consistent order consistent', () => {
    const c = checkOrderPricing(consistentOrder(), CONFIG);
    expect(c.findings).toEqual([]);
    expect(c.consistent).toBe(true);
    expect(c.differenceFen).toBe(0);
    expect(c.expected).toMatchObject({ goodsFen: 34000, thresholdFen: 4000, couponFen: 1000, pointsFen: 1500, discountFen: 6500, payableFen: 28300 });
    // The ids come back as the same strings, digit for digit.
    expect(c.expected.lines.map((l) => l.lineId)).toEqual(IDS);
    expect(c.reported.lines.map((l) => l.lineId)).toEqual(IDS);
    expect(c.reported.discountsByKind).toEqual({ coupon: 1000, points: 1500, threshold: 4000, platform: 0, seller: 0, other: 0 });
  });

  it('reports what the platform charged beyond the policy, per order and per line', () => {
    const order = consistentOrder();
    order.amounts.paidFen = 28400; // 1 yuan more
    order.lines[1]!.paidFen = 9773; // on the CUP line
    const c = checkOrderPricing(order, CONFIG);
    expect(c.consistent).toBe(false);
    expect(c.differenceFen).toBe(100); // 28400 - 28300
    expect(c.findings).toEqual([
      expect.objectContaining({ code: 'paid_mismatch', differenceFen: 100 }),
      expect.objectContaining({ code: 'line_paid_mismatch', differenceFen: 100, lineId: IDS[1], lineIndex: 1 }),
    ]);
  });

  it('compares each discount with what the policy gives', () => {
    const order = consistentOrder();
    order.discounts = [
      { kind: 'threshold', amountFen: 2000 }, // the platform used 满 200 减 20; the policy gives 40
      { kind: 'coupon', name: 'C1', amountFen: 1200 }, // C1 is 10 yuan, not 12
      { kind: 'points', amountFen: 1500 },
    ];
    // Reported 2000 + 1200 + 1500 = 4700 off, paid 34000 - 4700 + 800 = 30100; the policy: 6500 off, 28300.
    order.amounts.discountFen = 4700;
    order.amounts.paidFen = 30100;
    const c = checkOrderPricing(order, CONFIG, { compareLines: false });
    expect(c.differenceFen).toBe(1800);
    expect(c.findings).toEqual([
      expect.objectContaining({ code: 'threshold_mismatch', differenceFen: -2000 }),
      expect.objectContaining({ code: 'coupon_amount_mismatch', couponId: 'C1', differenceFen: 200 }),
      expect.objectContaining({ code: 'discount_mismatch', differenceFen: -1800 }),
      expect.objectContaining({ code: 'paid_mismatch', differenceFen: 1800 }),
    ]);
    expect(c.consistent).toBe(false);
  });

  it('judges a coupon at payment time and flags a coupon without an id', () => {
    // Valid until 02:03, the order was created at 02:00 and paid at 02:05.
    const config = pricingConfig.parse({ ...CONFIG, coupons: [{ id: 'FLASH', amountFen: 1000, validTo: '2025-07-01T02:03:00Z' }] });
    const order = consistentOrder();
    order.discounts = [{ kind: 'threshold', amountFen: 4000 }, { kind: 'coupon', name: 'FLASH', amountFen: 1000 }, { kind: 'coupon', amountFen: 500 }, { kind: 'points', amountFen: 1500 }];
    const c = checkOrderPricing(order, config, { compareLines: false });
    expect(codes(c)).toEqual(['coupon_expired', 'coupon_unidentified', 'discount_mismatch', 'paid_mismatch']);
    // Without the coupons the policy gives 4000 + 1500 off: 28500 + 800 = 29300 payable; 28300 was paid.
    expect(c.differenceFen).toBe(-1000);
    expect(checkOrderPricing({ ...order, paidAt: undefined }, config, { compareLines: false }).findings[0]!.code).toBe('coupon_unidentified');
  });

  it('keeps coupon ids beyond 2^53 as strings', () => {
    // 9007199254740993 and 9007199254740992 are the same number in floating point, not the same coupon.
    const config = pricingConfig.parse({ coupons: [{ id: '9007199254740993', amountFen: 1000 }] });
    const order: PricedOrder = {
      lines: [{ lineId: '9007199254740993001', skuCode: 'TEA', quantity: 1, unitPriceFen: 10000, discountFen: 1000, paidFen: 9000 }],
      amounts: { goodsFen: 10000, shippingFen: 0, discountFen: 1000, paidFen: 9000 },
      discounts: [{ kind: 'coupon', name: '9007199254740993', amountFen: 1000 }],
      createdAt: AT,
    };
    const c = checkOrderPricing(order, config);
    expect(c).toMatchObject({ consistent: true, differenceFen: 0 });
    expect(c.expected.coupons[0]!.id).toBe('9007199254740993');
    expect(c.expected.lines[0]!.lineId).toBe('9007199254740993001');
    const other = checkOrderPricing({ ...order, discounts: [{ kind: 'coupon', name: '9007199254740992', amountFen: 1000 }] }, config);
    expect(other.findings[0]).toMatchObject({ code: 'coupon_unknown', couponId: '9007199254740992' });
    expect(other.consistent).toBe(false);
  });

  it('takes platform, seller and other discounts as reported, as notes', () => {
    const order: PricedOrder = {
      lines: [
        { skuCode: 'TEA', quantity: 1, unitPriceFen: 6000, discountFen: 480, paidFen: 5520 },
        { skuCode: 'CUP', quantity: 1, unitPriceFen: 4000, discountFen: 320, paidFen: 3680 },
      ],
      amounts: { goodsFen: 10000, shippingFen: 0, discountFen: 800, paidFen: 9200 },
      discounts: [
        { kind: 'seller', name: '改价', amountFen: 300 },
        { kind: 'platform', name: '百亿补贴', amountFen: 500 },
      ],
      createdAt: AT,
    };
    // Seller 300 by goods 6000 : 4000 -> 180 / 120; left 5820 / 3880; platform 500 by those (sum 9700):
    // 500 x 5820 / 9700 = 300 r0, 500 x 3880 / 9700 = 200 r0. Lines pay 5520 / 3680 = 9200.
    const c = checkOrderPricing(order, DEFAULT_PRICING_CONFIG);
    expect(c.expected.lines.map((l) => [l.itemDiscountFen, l.platformFen, l.payableFen])).toEqual([
      [180, 300, 5520],
      [120, 200, 3680],
    ]);
    expect(c.consistent).toBe(true);
    expect(c.findings.map((f) => [f.code, f.severity])).toEqual([
      ['discount_as_reported', 'note'],
      ['discount_as_reported', 'note'],
    ]);
  });

  it('flags points that are not whole points at the policy rate', () => {
    const config = pricingConfig.parse({ fenPerPoint: 10 });
    const order: PricedOrder = {
      lines: [{ skuCode: 'TEA', quantity: 1, unitPriceFen: 10000, discountFen: 1005, paidFen: 8995 }],
      amounts: { goodsFen: 10000, shippingFen: 0, discountFen: 1005, paidFen: 8995 },
      discounts: [{ kind: 'points', amountFen: 1005 }],
      createdAt: AT,
    };
    // 1005 fen at 10 fen per point: 100 points (1000 fen) and 5 fen that no whole point explains.
    const c = checkOrderPricing(order, config);
    expect(c.expected).toMatchObject({ pointsUsed: 100, pointsFen: 1000, payableFen: 9000 });
    expect(c.findings).toEqual([
      expect.objectContaining({ code: 'points_not_whole', differenceFen: 5 }),
      expect.objectContaining({ code: 'points_mismatch', differenceFen: 5 }),
      expect.objectContaining({ code: 'discount_mismatch', differenceFen: 5 }),
      expect.objectContaining({ code: 'paid_mismatch', differenceFen: -5 }),
      expect.objectContaining({ code: 'line_paid_mismatch', differenceFen: -5, lineIndex: 0 }),
    ]);
  });

  it('does not compare lines the platform left empty, and never throws on what it reported', () => {
    const order = consistentOrder();
    for (const l of order.lines) l.paidFen = 0;
    const c = checkOrderPricing(order, CONFIG);
    expect(c.findings).toEqual([expect.objectContaining({ code: 'line_amounts_absent', severity: 'note' })]);
    expect(c.consistent).toBe(true);

    const wild = consistentOrder();
    wild.amounts = { goodsFen: 1, shippingFen: 0, discountFen: 99_999_999, paidFen: 0 };
    wild.discounts = [{ kind: 'seller', amountFen: 10_000_000 }, { kind: 'coupon', name: 'NOPE', amountFen: 5 }, { kind: 'points', amountFen: 10_000_000 }];
    const w = checkOrderPricing(wild, CONFIG);
    expect(w.consistent).toBe(false);
    expect(codes(w)).toContain('goods_mismatch');
    expect(sum(w.expected.lines.map((l) => l.payableFen))).toBe(w.expected.goodsPayableFen);
  });
});
