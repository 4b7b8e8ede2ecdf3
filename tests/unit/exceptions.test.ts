import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../domain/address/index.js';
import { checkCompleteness } from '../../domain/completeness.js';
import {
  ACTIONS_BY_TYPE,
  autoResolution,
  DEFAULT_EXCEPTION_POLICY,
  EXCEPTION_TYPES,
  actionFits,
  exceptionTypeOf,
  scheduleFor,
  suggestFor,
  type ExceptionPolicy,
  type ExceptionType,
  type OutOfStockContext,
  type SuggestInput,
  type Suggestion,
} from '../../domain/exceptions/index.js';
import { EXCEPTION_POLICY_KEY, exceptionPolicyFrom, exceptionPolicyInput } from '../../domain/exceptions/policy.js';
import type { StockLevel } from '../../domain/fulfilment/types.js';
import { canonicalOrderLoose } from '../../domain/order.js';
import { makeOrder } from '../helpers/orders.js';
import { carrier } from './fulfilment/fixtures.js';

const st = (warehouseCode: string, skuCode: string, available: number): StockLevel => ({ warehouseCode, skuCode, available });
/** rank, action, cost, delay: the figures checked by hand. */
const brief = (ss: readonly Suggestion[]) => ss.map((s) => [s.rank, s.action, s.costFen, s.deliveryDelayDays]);

// An order of three teas and a cup: 2 × 59.00 + 1 × 35.00 + 3 × 48.00 = 297.00 yuan.
const LINES: OutOfStockContext['lines'] = [
  { lineRef: 'L1', skuCode: 'TEA-LJ-250', quantity: 2, unitValueFen: 5900 },
  { lineRef: 'L2', skuCode: 'CUP-GLASS', quantity: 1, unitValueFen: 3500 },
  { lineRef: 'L3', skuCode: 'TEA-TGY-100', quantity: 3, unitValueFen: 4800 },
];
const WAREHOUSES: OutOfStockContext['warehouses'] = [
  { code: 'SH', distanceKm: 1067, extraFreightFen: 400 },
  { code: 'TJ', distanceKm: 115 },
  { code: 'BJ', distanceKm: 12 },
];
const oos = (over: Partial<OutOfStockContext>): SuggestInput => ({
  type: 'OUT_OF_STOCK',
  today: '2026-11-11',
  lines: LINES,
  plannedWarehouseCode: 'BJ',
  warehouses: WAREHOUSES,
  stock: [],
  extraParcelFreightFen: 1000,
  transferFreightFen: 1500,
  ...over,
});

// A 2.5 kg parcel to Beijing: YTO 8.00 + 2 × 2.00, STO 7.00 + 2 × 3.00, SF 18.00 + 2 × 5.00; ZTO is inactive and
// JD takes at most 2 kg.
const carriers = [
  carrier('YTO'),
  carrier('STO', { rates: [{ service: 'express', regions: [], firstWeightG: 1000, firstFen: 700, stepG: 1000, stepFen: 300 }] }),
  carrier('SF', { premium: true, rates: [{ service: 'express', regions: [], firstWeightG: 1000, firstFen: 1800, stepG: 1000, stepFen: 500 }] }),
  carrier('ZTO', { active: false }),
  carrier('JD', { maxWeightG: 2000 }),
];
const parcel = { packageKey: 'o1:BJ:express', service: 'express' as const, weightG: 2500, valueFen: 29700, destinationRegionCode: '110105' };

describe('suggestFor OUT_OF_STOCK', () => {
  // BJ (planned) is one TGY short; TJ and SH each lack a SKU; GZ cannot ship to the buyer but may send a transfer.
  const shortEverywhere = oos({
    stock: [
      st('BJ', 'TEA-LJ-250', 2),
      st('BJ', 'CUP-GLASS', 5),
      st('BJ', 'TEA-TGY-100', 1),
      st('TJ', 'TEA-TGY-100', 1),
      st('SH', 'TEA-LJ-250', 10),
      st('SH', 'CUP-GLASS', 3),
      st('GZ', 'TEA-TGY-100', 20),
      st('SH', 'TEA-TGY-100B', 6),
      st('BJ', 'TEA-TGY-100-GIFT', 4),
    ],
    skus: [
      { code: 'TEA-TGY-100', valueFen: 4800, substitutes: ['TEA-TGY-100B', 'TEA-TGY-100-GIFT'] },
      { code: 'TEA-TGY-100B', valueFen: 4800, substitutes: [] },
      { code: 'TEA-TGY-100-GIFT', valueFen: 5600, substitutes: [] },
    ],
    incoming: [
      { warehouseCode: 'BJ', skuCode: 'TEA-TGY-100', quantity: 5, expectedOn: '2026-11-14' },
      { warehouseCode: 'TJ', skuCode: 'TEA-LJ-250', quantity: 10, expectedOn: '2026-11-13' },
      { warehouseCode: 'TJ', skuCode: 'CUP-GLASS', quantity: 2, expectedOn: '2026-11-16' },
    ],
  });

  it('with no warehouse holding everything: split, substitutes, transfer, wait, cancel the short line, cancel the order', () => {
    const s = suggestFor(shortEverywhere);
    expect(brief(s)).toEqual([
      // BJ ships 4 of 6 units now, the 2 TGY follow when BJ's receipt lands on the 14th; one more parcel.
      [1, 'ship_available', 1000, 0],
      // The same tea in other packaging at SH: no dearer goods, but a parcel of its own.
      [2, 'substitute_sku', 1000, 0],
      // The gift box at BJ: 3 × (56.00 - 48.00) more goods value, no extra parcel.
      [3, 'substitute_sku', 2400, 0],
      // 2 TGY from GZ (the only source with 2; TJ has 1) to BJ: one transfer, 2 days.
      [4, 'ship_from_warehouse', 1500, 2],
      // Everything is at BJ once 5 TGY arrive on the 14th: 3 days.
      [5, 'wait_for_stock', 0, 3],
      // L3 (3 × 48.00) refunded; L1 and L2 ship from BJ now.
      [6, 'cancel_lines', 14400, 0],
      [7, 'cancel_order', 29700, undefined],
    ]);
    expect(s[0]!.params).toEqual({
      warehouseCode: 'BJ',
      lines: [
        { lineRef: 'L1', skuCode: 'TEA-LJ-250', quantity: 2 },
        { lineRef: 'L2', skuCode: 'CUP-GLASS', quantity: 1 },
      ],
      // Lines go whole: L3 waits as a whole (3), none of it in the first parcel.
      backorder: [{ lineRef: 'L3', skuCode: 'TEA-TGY-100', quantity: 3 }],
      backorderWarehouseCode: 'BJ',
      backorderExpectedOn: '2026-11-14',
      backorderDelayDays: 3,
    });
    expect(s[0]!.label).toBe('Ship the 2 lines BJ has now (3 of 6 units) and back-order the rest (拆分发货): the rest ships from BJ in 3 days (expected 2026-11-14)');
    expect(s[1]!.params).toEqual({ lineRef: 'L3', skuCode: 'TEA-TGY-100B' });
    expect(s[2]!.params).toEqual({ lineRef: 'L3', skuCode: 'TEA-TGY-100-GIFT' });
    expect(s[3]!.params).toEqual({ warehouseCode: 'BJ', transfers: [{ fromWarehouseCode: 'GZ', skuCode: 'TEA-TGY-100', quantity: 2 }] });
    expect(s[3]!.label).toMatch(/调拨/);
    expect(s[4]!.params).toEqual({ warehouseCode: 'BJ', expectedOn: '2026-11-14' });
    expect(s[5]!.params).toEqual({ lineRefs: ['L3'], warehouseCode: 'BJ' });
    expect(s[5]!.label).toBe('Cancel the short line L3 and refund ¥144.00 (缺货退款); the rest ships from BJ now');
    expect(s[6]!.label).toBe('Cancel the order and refund ¥297.00 (取消订单)');
  });

  it('a transfer takes the days the caller says', () => {
    const transfer = suggestFor({ ...shortEverywhere, transferDays: 1 } as SuggestInput).find((x) => x.params.transfers);
    expect(transfer).toMatchObject({ costFen: 1500, deliveryDelayDays: 1 });
  });

  it('with warehouses holding everything: ship from them (cheapest first, at most three), nothing else but cancelling', () => {
    const s = suggestFor(
      oos({
        stock: [
          st('BJ', 'TEA-LJ-250', 2),
          st('BJ', 'TEA-TGY-100', 1),
          ...['TJ', 'SH'].flatMap((w) => [st(w, 'TEA-LJ-250', 9), st(w, 'CUP-GLASS', 9), st(w, 'TEA-TGY-100', 9)]),
        ],
        incoming: [{ warehouseCode: 'BJ', skuCode: 'TEA-TGY-100', quantity: 5, expectedOn: '2026-11-12' }],
      }),
    );
    expect(brief(s)).toEqual([
      [1, 'ship_from_warehouse', 0, 0],
      [2, 'ship_from_warehouse', 400, 0],
      [3, 'cancel_order', 29700, undefined],
    ]);
    expect(s.map((x) => x.params.warehouseCode)).toEqual(['TJ', 'SH', undefined]);
    expect(s[0]!.label).toBe('Ship everything from TJ (115 km from the buyer)');
    expect(s[1]!.label).toBe('Ship everything from SH (1067 km from the buyer), ¥4.00 more freight');

    const many = ['W1', 'W2', 'W3', 'W4', 'W5'];
    const capped = suggestFor(
      oos({ plannedWarehouseCode: undefined, warehouses: undefined, stock: many.flatMap((w) => LINES.map((l) => st(w, l.skuCode, 5))) }),
    );
    expect(capped.map((x) => x.params.warehouseCode)).toEqual(['W1', 'W2', 'W3', undefined]);
  });

  it('with nothing anywhere and no arrival known: a substitute in stock, waiting without a date, cancelling', () => {
    const s = suggestFor(
      oos({
        lines: [{ lineRef: '1', skuCode: 'MUG-CER-01', quantity: 2, unitValueFen: 3900 }],
        plannedWarehouseCode: undefined,
        warehouses: undefined,
        stock: [st('BJ', 'MUG-CER-01', 0), st('TJ', 'MUG-CER-02', 5)],
        skus: [
          { code: 'MUG-CER-01', valueFen: 3900, substitutes: ['MUG-CER-03', 'MUG-CER-02'] },
          { code: 'MUG-CER-02', valueFen: 3900, substitutes: [] },
        ],
      }),
    );
    expect(brief(s)).toEqual([
      [1, 'substitute_sku', 0, 0],
      [2, 'wait_for_stock', 0, undefined],
      [3, 'cancel_order', 7800, undefined],
    ]);
    expect(s[0]!.params).toEqual({ lineRef: '1', skuCode: 'MUG-CER-02' });
    expect(s[0]!.label).toBe('On line 1, send 2 × MUG-CER-02 instead of MUG-CER-01 (换货), from TJ');
    expect(s[1]!.params).toEqual({});
  });

  it('waits for the earliest day one warehouse has it all, adding up arrivals; the back-order likewise', () => {
    const s = suggestFor(
      oos({
        lines: [
          { lineRef: '1', skuCode: 'TEA-LJ-250', quantity: 1, unitValueFen: 12800 },
          { lineRef: '2', skuCode: 'TEA-LJ-250', quantity: 4, unitValueFen: 12800 },
        ],
        warehouses: [{ code: 'BJ', distanceKm: 12 }, { code: 'TJ', distanceKm: 115 }],
        stock: [st('BJ', 'TEA-LJ-250', 1)],
        incoming: [
          // BJ: 1 + 2 on the 12th = 3, + 3 on the 15th = 6 (4 days); TJ: 5 on the 14th (3 days).
          { warehouseCode: 'BJ', skuCode: 'TEA-LJ-250', quantity: 2, expectedOn: '2026-11-12' },
          { warehouseCode: 'BJ', skuCode: 'TEA-LJ-250', quantity: 3, expectedOn: '2026-11-15' },
          { warehouseCode: 'TJ', skuCode: 'TEA-LJ-250', quantity: 5, expectedOn: '2026-11-14' },
          { warehouseCode: 'TJ', skuCode: 'TEA-LJ-250', quantity: 9, expectedOn: 'soon' },
        ],
      }),
    );
    expect(brief(s)).toEqual([
      [1, 'ship_available', 1000, 0],
      [2, 'wait_for_stock', 0, 3],
      [3, 'cancel_lines', 51200, 0],
      [4, 'cancel_order', 64000, undefined],
    ]);
    // Line 2's 4 back-ordered units: BJ has 0 left + 2 + 3 by the 15th; TJ has 5 on the 14th.
    expect(s[0]!.params).toMatchObject({ lines: [{ lineRef: '1', quantity: 1 }], backorder: [{ lineRef: '2', quantity: 4 }], backorderWarehouseCode: 'TJ', backorderDelayDays: 3 });
    expect(s[1]!.params).toEqual({ warehouseCode: 'TJ', expectedOn: '2026-11-14' });
  });

  it('counts an arrival already late as due today', () => {
    const s = suggestFor(
      oos({ lines: [LINES[0]!], stock: [], incoming: [{ warehouseCode: 'BJ', skuCode: 'TEA-LJ-250', quantity: 2, expectedOn: '2026-11-09' }] }),
    );
    expect(s[0]).toMatchObject({ action: 'wait_for_stock', deliveryDelayDays: 0, params: { warehouseCode: 'BJ', expectedOn: '2026-11-11' } });
  });

  it('refuses a today that is not a calendar day', () => {
    expect(() => suggestFor(oos({ today: '2026-11-11T08:00:00Z' }))).toThrow(RangeError);
  });

  const tier = (s: Suggestion) =>
    s.action === 'cancel_order' ? 4 : s.action === 'cancel_lines' ? 3 : s.deliveryDelayDays === undefined ? 2 : s.deliveryDelayDays === 0 ? 0 : 1;

  it('property: actions fit, ranks run 1..n by the stated rule, plans never take stock that is not there', () => {
    const codes = ['W1', 'W2', 'W3', 'X'];
    const skuCodes = ['A', 'B', 'C', 'A2'];
    const arb = fc.record({
      lines: fc.array(fc.record({ sku: fc.constantFrom('A', 'B', 'C'), quantity: fc.integer({ min: 1, max: 5 }), unitValueFen: fc.integer({ min: 0, max: 10_000 }) }), { minLength: 1, maxLength: 4 }),
      stock: fc.array(fc.record({ w: fc.constantFrom(...codes), sku: fc.constantFrom(...skuCodes), n: fc.integer({ min: 0, max: 6 }) }), { maxLength: 12 }),
      incoming: fc.array(fc.record({ w: fc.constantFrom('W1', 'W2', 'W3'), sku: fc.constantFrom('A', 'B', 'C'), n: fc.integer({ min: 1, max: 6 }), day: fc.integer({ min: 5, max: 20 }) }), { maxLength: 5 }),
      planned: fc.option(fc.constantFrom('W1', 'W2'), { nil: undefined }),
    });
    fc.assert(
      fc.property(arb, (g) => {
        const ctx: OutOfStockContext = {
          today: '2026-11-11',
          lines: g.lines.map((l, i) => ({ lineRef: `L${i}`, skuCode: l.sku, quantity: l.quantity, unitValueFen: l.unitValueFen })),
          stock: g.stock.map((r) => st(r.w, r.sku, r.n)),
          warehouses: [{ code: 'W1', distanceKm: 10 }, { code: 'W2', distanceKm: 50, extraFreightFen: 300 }, { code: 'W3' }],
          ...(g.planned ? { plannedWarehouseCode: g.planned } : {}),
          skus: [{ code: 'A', valueFen: 1000, substitutes: ['A2'] }, { code: 'A2', valueFen: 1200, substitutes: [] }],
          incoming: g.incoming.map((a) => ({ warehouseCode: a.w, skuCode: a.sku, quantity: a.n, expectedOn: `2026-11-${String(a.day).padStart(2, '0')}` })),
          extraParcelFreightFen: 900,
          transferFreightFen: 1500,
        };
        const s = suggestFor({ type: 'OUT_OF_STOCK', ...ctx });
        const free = (w: string, sku: string) => ctx.stock.filter((r) => r.warehouseCode === w && r.skuCode === sku).reduce((n, r) => n + r.available, 0);
        const demand = new Map<string, number>();
        for (const l of ctx.lines) demand.set(l.skuCode, (demand.get(l.skuCode) ?? 0) + l.quantity);
        const hasAll = (w: string) => [...demand].every(([sku, q]) => free(w, sku) >= q);

        expect(s.map((x) => x.rank)).toEqual(s.map((_, i) => i + 1));
        expect(s.filter((x) => x.action === 'cancel_order')).toHaveLength(1);
        expect(s.at(-1)!.action).toBe('cancel_order');
        for (let i = 1; i < s.length; i++) {
          const [a, b] = [s[i - 1]!, s[i]!];
          expect(tier(a)).toBeLessThanOrEqual(tier(b));
          if (tier(a) === tier(b) && tier(a) === 1) expect(a.deliveryDelayDays!).toBeLessThanOrEqual(b.deliveryDelayDays!);
          if (tier(a) === tier(b) && tier(a) !== 1) expect(a.costFen).toBeLessThanOrEqual(b.costFen);
        }
        const someoneHasAll = ['W1', 'W2', 'W3'].some(hasAll);
        for (const x of s) {
          expect(actionFits('OUT_OF_STOCK', x.action)).toBe(true);
          expect(Number.isSafeInteger(x.costFen) && x.costFen >= 0).toBe(true);
          if (x.deliveryDelayDays !== undefined) expect(Number.isInteger(x.deliveryDelayDays) && x.deliveryDelayDays >= 0).toBe(true);
          if (someoneHasAll) expect(['ship_from_warehouse', 'cancel_order']).toContain(x.action);
          if (x.action === 'ship_from_warehouse') {
            const to = x.params.warehouseCode as string;
            expect(to).not.toBe('X');
            const transfers = (x.params.transfers ?? []) as { fromWarehouseCode: string; skuCode: string; quantity: number }[];
            if (transfers.length === 0) expect(hasAll(to)).toBe(true);
            for (const t of transfers) expect(t.quantity).toBeLessThanOrEqual(free(t.fromWarehouseCode, t.skuCode));
            for (const [sku, q] of demand) expect(free(to, sku) + transfers.filter((t) => t.skuCode === sku).reduce((n, t) => n + t.quantity, 0)).toBeGreaterThanOrEqual(q);
          }
          if (x.action === 'ship_available') {
            const parts = x.params.lines as { lineRef: string; skuCode: string; quantity: number }[];
            const rest = x.params.backorder as { lineRef: string; quantity: number }[];
            expect(rest.length).toBeGreaterThan(0);
            for (const sku of demand.keys()) {
              expect(parts.filter((p) => p.skuCode === sku).reduce((n, p) => n + p.quantity, 0)).toBeLessThanOrEqual(free(x.params.warehouseCode as string, sku));
            }
            for (const l of ctx.lines) {
              const sent = [...parts, ...rest].filter((p) => p.lineRef === l.lineRef).reduce((n, p) => n + p.quantity, 0);
              expect(sent).toBe(l.quantity);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('suggestFor: the other types', () => {
  it('ADDRESS_AMBIGUOUS: the library candidates in its order, then ask the buyer, then edit', () => {
    const parsed = parseAddress('朝阳区建国路88号');
    expect(parsed.status).toBe('ambiguous');
    const s = suggestFor({ type: 'ADDRESS_AMBIGUOUS', candidates: parsed.candidates });
    expect(brief(s)).toEqual([
      [1, 'choose_address', 0, 0],
      [2, 'choose_address', 0, 0],
      [3, 'notify_buyer', 0, undefined],
      [4, 'edit_order', 0, 0],
    ]);
    expect(s[0]!.params).toEqual({ province: '北京市', city: '北京市', district: '朝阳区', regionCode: '110105' });
    expect(s[0]!.label).toBe('Deliver to 北京市 朝阳区 (110105)');
    expect(s[1]!.params).toEqual({ province: '吉林省', city: '长春市', district: '朝阳区', regionCode: '220104' });
    expect(s[1]!.label).toBe('Deliver to 吉林省 长春市 朝阳区 (220104)');
  });

  it('INCOMPLETE_INFO: edit naming the fields, ask the buyer for what only they know, cancel last', () => {
    const base = makeOrder();
    const order = canonicalOrderLoose.parse({ ...base, receiver: { ...base.receiver, phone: '', detail: '' } });
    const issues = checkCompleteness(order, { knownSkus: new Set(['TEA-LJ-250']) });
    const s = suggestFor({ type: 'INCOMPLETE_INFO', issues, orderValueFen: 28500 });
    expect(brief(s)).toEqual([
      [1, 'edit_order', 0, 0],
      [2, 'notify_buyer', 0, undefined],
      [3, 'cancel_order', 28500, undefined],
    ]);
    expect(s[0]!.params).toEqual({ fields: ['receiver.phone', 'receiver.detail', 'lines[1].skuCode'] });
    expect(s[0]!.label).toBe("Fill in the receiver's phone, the street address, an SKU Orderly knows (补全信息)");
    expect(s[1]!.params).toEqual({ fields: ['receiver.phone', 'receiver.detail'] });

    // A SKU mapping is the seller's to fix: the buyer is not asked.
    const skuOnly = suggestFor({ type: 'INCOMPLETE_INFO', issues: [{ code: 'sku_unknown', field: 'lines[0].skuCode' }], orderValueFen: 100 });
    expect(skuOnly.map((x) => x.action)).toEqual(['edit_order', 'cancel_order']);
  });

  it('PAYMENT_FAILED: remind (催付) or, once paid, release; cancel last', () => {
    const unpaid = suggestFor({ type: 'PAYMENT_FAILED', paymentArrived: false, amountDueFen: 8800, orderValueFen: 29700, stage: 'balance' });
    expect(brief(unpaid)).toEqual([
      [1, 'notify_buyer', 0, undefined],
      [2, 'cancel_order', 29700, undefined],
    ]);
    expect(unpaid[0]!.label).toBe('Remind the buyer to pay the balance (尾款) of ¥88.00 (催付) and keep waiting');
    const paid = suggestFor({ type: 'PAYMENT_FAILED', paymentArrived: true, amountDueFen: 0, orderValueFen: 29700 });
    expect(brief(paid)).toEqual([
      [1, 'release_hold', 0, 0],
      [2, 'cancel_order', 29700, undefined],
    ]);
  });

  it('PRICE_MISMATCH: accepting costs what the buyer underpaid, nothing when they overpaid', () => {
    const under = suggestFor({ type: 'PRICE_MISMATCH', differenceFen: -1500, orderValueFen: 28500 });
    expect(brief(under)).toEqual([
      [1, 'release_hold', 1500, 0],
      [2, 'edit_order', 0, 0],
      [3, 'cancel_order', 28500, undefined],
    ]);
    expect(under[0]!.label).toBe("Accept the platform's price and ship: the buyer paid ¥15.00 less than the pricing policy gives");
    expect(suggestFor({ type: 'PRICE_MISMATCH', differenceFen: 300, orderValueFen: 28500 })[0]).toMatchObject({ costFen: 0, params: { differenceFen: 300 } });
  });

  it('BLACKLISTED: ship anyway or cancel', () => {
    const s = suggestFor({ type: 'BLACKLISTED', orderValueFen: 5000, reason: '恶意退款' });
    expect(brief(s)).toEqual([
      [1, 'release_hold', 0, 0],
      [2, 'cancel_order', 5000, undefined],
    ]);
    expect(s[1]!.label).toContain('恶意退款');
  });

  it('REFUND_IN_PROGRESS: agreeing first (the refunded lines, or the whole order), shipping anyway second', () => {
    const lines = suggestFor({ type: 'REFUND_IN_PROGRESS', refundingLineRefs: ['L2'], refundFen: 3500, orderValueFen: 29700 });
    expect(brief(lines)).toEqual([
      [1, 'cancel_lines', 3500, 0],
      [2, 'release_hold', 0, 0],
      [3, 'cancel_order', 29700, undefined],
    ]);
    expect(lines[0]!.params).toEqual({ lineRefs: ['L2'] });
    const whole = suggestFor({ type: 'REFUND_IN_PROGRESS', refundingLineRefs: [], refundFen: 29700, orderValueFen: 29700 });
    expect(brief(whole)).toEqual([
      [1, 'cancel_order', 29700, undefined],
      [2, 'release_hold', 0, 0],
    ]);
  });

  it('PLATFORM_CHANGED: a stopped parcel is sent again first; one already gone is acknowledged first', () => {
    const ctx = { changes: ['address', 'address'] as const, reshipFreightFen: 1200, reshipDelayDays: 1, orderValueFen: 29700 };
    const stopped = suggestFor({ type: 'PLATFORM_CHANGED', ...ctx, changes: [...ctx.changes], parcelStopped: true });
    expect(brief(stopped)).toEqual([
      [1, 'reship', 1200, 1],
      [2, 'acknowledge', 0, 0],
      [3, 'cancel_order', 29700, undefined],
    ]);
    expect(stopped[0]!.params).toEqual({ changes: ['address'] });
    const gone = suggestFor({ type: 'PLATFORM_CHANGED', ...ctx, changes: [...ctx.changes], parcelStopped: false });
    expect(gone.map((x) => x.action)).toEqual(['acknowledge', 'reship', 'cancel_order']);
  });

  it('SHIPMENT_OVERDUE: chase the warehouse, then other warehouses with everything, then cancel', () => {
    const s = suggestFor({
      type: 'SHIPMENT_OVERDUE',
      warehouseCode: 'BJ',
      alternatives: [{ code: 'BJ' }, { code: 'TJ', distanceKm: 115 }, { code: 'SH', distanceKm: 1067, extraFreightFen: 400 }],
      orderValueFen: 29700,
    });
    expect(brief(s)).toEqual([
      [1, 'acknowledge', 0, undefined],
      [2, 'ship_from_warehouse', 0, 0],
      [3, 'ship_from_warehouse', 400, 0],
      [4, 'cancel_order', 29700, undefined],
    ]);
    expect(s[1]!.params).toEqual({ warehouseCode: 'TJ' });
  });

  it('WAREHOUSE_REJECTED: reship with the same carrier, then each other one that can take it (cheapest first), then refund', () => {
    const s = suggestFor({ type: 'WAREHOUSE_REJECTED', carrierCode: 'STO', parcel, carriers, refundFen: 29700 });
    expect(brief(s)).toEqual([
      [1, 'reship', 1300, undefined],
      [2, 'reship', 1200, undefined],
      [3, 'reship', 2800, undefined],
      [4, 'refund', 29700, undefined],
    ]);
    expect(s.slice(0, 3).map((x) => x.params)).toEqual([{ carrierCode: 'STO' }, { carrierCode: 'YTO' }, { carrierCode: 'SF' }]);
    expect(s[0]!.label).toBe('Ship again with STO, the same carrier (补发), ¥13.00 freight');
    // A carrier that can no longer take it is not suggested again.
    const fromZto = suggestFor({ type: 'WAREHOUSE_REJECTED', carrierCode: 'ZTO', parcel, carriers, refundFen: 29700 });
    expect(fromZto.map((x) => x.params.carrierCode ?? x.action)).toEqual(['YTO', 'STO', 'SF', 'refund']);
  });

  it('INTERCEPT_FAILED, SYNC_FAILING, REVIEW_OVERDUE, REVIEW_REJECTED: short lists', () => {
    expect(brief(suggestFor({ type: 'INTERCEPT_FAILED', refundFen: 12800, packageIds: ['p1'] }))).toEqual([
      [1, 'acknowledge', 0, undefined],
      [2, 'refund', 12800, undefined],
    ]);
    expect(suggestFor({ type: 'SYNC_FAILING', kind: 'channel_pull_failing', shopId: 'tb-1' })[0]!.label).toMatch(/^Re-authorise shop tb-1 .*重新授权/);
    expect(suggestFor({ type: 'SYNC_FAILING', kind: 'channel_writeback_rejected' })[0]!.label).toMatch(/手动发货/);
    expect(brief(suggestFor({ type: 'REVIEW_OVERDUE' }))).toEqual([[1, 'acknowledge', 0, undefined]]);
    expect(brief(suggestFor({ type: 'REVIEW_REJECTED', orderValueFen: 9900, reason: 'address on the fraud list' }))).toEqual([
      [1, 'cancel_order', 9900, undefined],
      [2, 'release_hold', 0, 0],
    ]);
  });
});

describe('every suggestion fits its type', () => {
  const cases: Record<ExceptionType, SuggestInput[]> = {
    OUT_OF_STOCK: [
      oos({ stock: [st('BJ', 'TEA-LJ-250', 2), st('TJ', 'CUP-GLASS', 1), st('GZ', 'TEA-TGY-100', 3)], skus: [{ code: 'CUP-GLASS', valueFen: 3500, substitutes: ['CUP-B'] }] }),
      oos({ stock: LINES.map((l) => st('TJ', l.skuCode, 9)) }),
    ],
    ADDRESS_AMBIGUOUS: [{ type: 'ADDRESS_AMBIGUOUS', candidates: parseAddress('鼓楼区中山路1号').candidates }],
    INCOMPLETE_INFO: [{ type: 'INCOMPLETE_INFO', issues: [{ code: 'region_missing', field: 'receiver.province' }], orderValueFen: 100 }],
    PAYMENT_FAILED: [
      { type: 'PAYMENT_FAILED', paymentArrived: false, amountDueFen: 100, orderValueFen: 100 },
      { type: 'PAYMENT_FAILED', paymentArrived: true, amountDueFen: 0, orderValueFen: 100 },
    ],
    PRICE_MISMATCH: [{ type: 'PRICE_MISMATCH', differenceFen: -1, orderValueFen: 100 }],
    BLACKLISTED: [{ type: 'BLACKLISTED', orderValueFen: 100 }],
    REFUND_IN_PROGRESS: [
      { type: 'REFUND_IN_PROGRESS', refundingLineRefs: ['1'], refundFen: 50, orderValueFen: 100 },
      { type: 'REFUND_IN_PROGRESS', refundingLineRefs: [], refundFen: 100, orderValueFen: 100 },
    ],
    PLATFORM_CHANGED: [{ type: 'PLATFORM_CHANGED', changes: ['refunded'], parcelStopped: true, reshipFreightFen: 800, orderValueFen: 100 }],
    SHIPMENT_OVERDUE: [{ type: 'SHIPMENT_OVERDUE', warehouseCode: 'BJ', alternatives: [{ code: 'TJ' }], orderValueFen: 100 }],
    WAREHOUSE_REJECTED: [{ type: 'WAREHOUSE_REJECTED', carrierCode: 'YTO', parcel, carriers, refundFen: 100 }],
    INTERCEPT_FAILED: [{ type: 'INTERCEPT_FAILED', refundFen: 100 }],
    SYNC_FAILING: [{ type: 'SYNC_FAILING', kind: 'channel_malformed_push' }],
    REVIEW_OVERDUE: [{ type: 'REVIEW_OVERDUE' }],
    REVIEW_REJECTED: [{ type: 'REVIEW_REJECTED', orderValueFen: 100 }],
  };

  it.each(EXCEPTION_TYPES)('%s', (t) => {
    for (const input of cases[t]) {
      expect(input.type).toBe(t);
      const s = suggestFor(input);
      expect(s.length).toBeGreaterThan(0);
      expect(s.map((x) => x.rank)).toEqual(s.map((_, i) => i + 1));
      for (const x of s) {
        expect(ACTIONS_BY_TYPE[t]).toContain(x.action);
        expect(Number.isSafeInteger(x.costFen) && x.costFen >= 0).toBe(true);
        expect(x.label).toMatch(/^[A-Z]/);
      }
    }
  });
});

describe('exception policy schema', () => {
  const ladder = (sla: number) => [
    { level: 1, afterMinutes: sla, ownerRole: 'ops_lead' },
    { level: 2, afterMinutes: sla * 3, ownerRole: 'ops_lead' },
    { level: 3, afterMinutes: sla * 6, ownerRole: 'admin' },
  ];
  const outOfStock = { severity: 'critical', ownerRole: 'ops', slaMinutes: 60, escalation: ladder(60), finalAction: 'ship_available', finalActionAfterMinutes: 30 };
  const issues = (value: unknown) => {
    const r = exceptionPolicyInput.safeParse(value);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.code}`);
  };

  it('is stored under its own key', () => {
    expect(EXCEPTION_POLICY_KEY).toBe('exception-policy');
  });

  it('accepts the default policy written out in full, and gives it back unchanged', () => {
    expect(issues({ types: DEFAULT_EXCEPTION_POLICY.types })).toEqual([]);
    expect(exceptionPolicyFrom({ value: { types: DEFAULT_EXCEPTION_POLICY.types }, version: 2 })).toEqual({ ...DEFAULT_EXCEPTION_POLICY, id: 'exceptions.configured', version: 2 });
  });

  it('keeps the defaults for the types a stored policy leaves out', () => {
    const p = exceptionPolicyFrom({ value: { id: 'shop-rules', types: { OUT_OF_STOCK: outOfStock } }, version: 3 });
    expect(p.id).toBe('shop-rules');
    expect(p.version).toBe(3);
    expect(p.shipmentWarningMinutes).toBe(120);
    expect(p.types.OUT_OF_STOCK).toEqual({ ...outOfStock });
    for (const t of EXCEPTION_TYPES.filter((x) => x !== 'OUT_OF_STOCK')) expect(p.types[t]).toEqual(DEFAULT_EXCEPTION_POLICY.types[t]);
    // finalAction defaults to none.
    const q = exceptionPolicyFrom({ value: { shipmentWarningMinutes: 60, types: { SYNC_FAILING: { severity: 'high', ownerRole: 'admin', slaMinutes: 30, escalation: ladder(30).slice(0, 1) } } }, version: 1 });
    expect(q.types.SYNC_FAILING).toEqual({ severity: 'high', ownerRole: 'admin', slaMinutes: 30, escalation: ladder(30).slice(0, 1), finalAction: 'none' });
    expect(q.shipmentWarningMinutes).toBe(60);
  });

  it('refuses unknown fields at every level', () => {
    expect(issues({ types: {}, owner: 'ops' })).toEqual([': unrecognized_keys']);
    expect(issues({ types: { OUT_OF_STOK: outOfStock } })).toEqual(['types: unrecognized_keys']);
    expect(issues({ types: { OUT_OF_STOCK: { ...outOfStock, slaMinute: 60 } } })).toEqual(['types.OUT_OF_STOCK: unrecognized_keys']);
    expect(issues({ types: { OUT_OF_STOCK: { ...outOfStock, escalation: [{ ...ladder(60)[0], owner: 'x' }] } } })).toEqual(['types.OUT_OF_STOCK.escalation.0: unrecognized_keys']);
  });

  it('refuses levels out of order, before the SLA or not increasing, and more than three', () => {
    const withLadder = (escalation: unknown[], slaMinutes = 60) => issues({ types: { OUT_OF_STOCK: { ...outOfStock, slaMinutes, escalation } } });
    const [l1, l2, l3] = ladder(60) as [object, object, object];
    expect(withLadder([l2, l1, l3])).toEqual(['types.OUT_OF_STOCK.escalation.0.level: custom', 'types.OUT_OF_STOCK.escalation.1.level: custom', 'types.OUT_OF_STOCK.escalation.1.afterMinutes: custom']);
    expect(withLadder([l1, l3])).toEqual(['types.OUT_OF_STOCK.escalation.1.level: custom']);
    expect(withLadder(ladder(60), 90)).toEqual(['types.OUT_OF_STOCK.escalation.0.afterMinutes: custom']);
    expect(withLadder([l1, { ...l2, afterMinutes: 60 }, l3])).toEqual(['types.OUT_OF_STOCK.escalation.1.afterMinutes: custom']);
    expect(withLadder([...ladder(60), { level: 3, afterMinutes: 999, ownerRole: 'admin' }])).toContain('types.OUT_OF_STOCK.escalation: too_big');
    expect(withLadder([])).toEqual(['types.OUT_OF_STOCK.escalation: too_small']);
    expect(withLadder([{ level: 4, afterMinutes: 60, ownerRole: 'admin' }])).toEqual(['types.OUT_OF_STOCK.escalation.0.level: invalid_union']);
  });

  it('takes a final action from FINAL_ACTIONS that fits the type, and its delay only with one', () => {
    expect(issues({ types: { OUT_OF_STOCK: { ...outOfStock, finalAction: 'explode' } } })).toEqual(['types.OUT_OF_STOCK.finalAction: invalid_value']);
    expect(issues({ types: { OUT_OF_STOCK: { ...outOfStock, finalAction: 'close_unpaid' } } })).toEqual(['types.OUT_OF_STOCK.finalAction: invalid_value']);
    expect(issues({ types: { PAYMENT_FAILED: { ...outOfStock, finalAction: 'close_unpaid' } } })).toEqual([]);
    expect(issues({ types: { SYNC_FAILING: { ...outOfStock, finalAction: 'cancel_order' } } })).toEqual(['types.SYNC_FAILING.finalAction: invalid_value']);
    expect(issues({ types: { OUT_OF_STOCK: { ...outOfStock, finalAction: 'none', finalActionAfterMinutes: 10 } } })).toEqual(['types.OUT_OF_STOCK.finalActionAfterMinutes: custom']);
  });

  it('takes an automatic resolution that fits the type, for some shops or all, and applies it to the best suggestion of its action', () => {
    expect(issues({ types: { OUT_OF_STOCK: { ...outOfStock, autoResolve: { action: 'ship_available', shops: ['tb-1'] } } } })).toEqual([]);
    expect(issues({ types: { OUT_OF_STOCK: { ...outOfStock, autoResolve: { action: 'reship' } } } })).toEqual(['types.OUT_OF_STOCK.autoResolve.action: invalid_value']);
    expect(issues({ types: { OUT_OF_STOCK: { ...outOfStock, autoResolve: { action: 'ship_available', extra: 1 } } } })).toEqual(['types.OUT_OF_STOCK.autoResolve: unrecognized_keys']);
    // A type none of whose resolutions may be automatic takes none.
    expect(issues({ types: { SYNC_FAILING: { ...outOfStock, finalAction: 'none', autoResolve: { action: 'acknowledge' } } } })).toEqual(['types.SYNC_FAILING.autoResolve: invalid_type']);
    const policy = exceptionPolicyFrom({ value: { types: { OUT_OF_STOCK: { ...outOfStock, autoResolve: { action: 'ship_available', shops: ['tb-1'] } } } }, version: 4 });
    const auto = policy.types.OUT_OF_STOCK.autoResolve;
    expect(auto).toEqual({ action: 'ship_available', shops: ['tb-1'] });
    const suggestions = [
      { action: 'ship_available' as const, rank: 2, label: 'from BJ', costFen: 1000, params: { warehouseCode: 'BJ' } },
      { action: 'ship_available' as const, rank: 1, label: 'from HZ', costFen: 800, params: { warehouseCode: 'HZ' } },
      { action: 'cancel_order' as const, rank: 3, label: 'cancel', costFen: 9900, params: {} },
    ];
    expect(autoResolution(auto, 'tb-1', suggestions)?.params).toEqual({ warehouseCode: 'HZ' });
    expect(autoResolution(auto, 'jd-7', suggestions)).toBeUndefined();
    expect(autoResolution(auto, 'tb-1', suggestions.slice(2))).toBeUndefined();
    expect(autoResolution(undefined, 'tb-1', suggestions)).toBeUndefined();
  });

  it('falls back to the default as a whole when the stored value no longer parses, or nothing is stored', () => {
    expect(exceptionPolicyFrom(undefined)).toBe(DEFAULT_EXCEPTION_POLICY);
    const bad = { types: { PAYMENT_FAILED: { ...outOfStock, finalAction: 'close_unpaid' }, OUT_OF_STOCK: { ...outOfStock, slaMinutes: 0 } } };
    expect(exceptionPolicyFrom({ value: bad, version: 7 })).toBe(DEFAULT_EXCEPTION_POLICY);
    expect(exceptionPolicyFrom({ value: 'not a policy', version: 7 })).toBe(DEFAULT_EXCEPTION_POLICY);
  });
});

describe('scheduleFor and exceptionTypeOf', () => {
  it('schedules the default SLA and ladder from the opening instant', () => {
    expect(scheduleFor('OUT_OF_STOCK', '2026-11-11T00:00:00Z')).toEqual({
      dueAt: '2026-11-11T02:00:00.000Z',
      levels: [
        { level: 1, at: '2026-11-11T02:00:00.000Z', ownerRole: 'ops_lead' },
        { level: 2, at: '2026-11-11T04:00:00.000Z', ownerRole: 'ops_lead' },
        { level: 3, at: '2026-11-11T08:00:00.000Z', ownerRole: 'admin' },
      ],
    });
    // 15 minutes past 23:50 is the next day.
    expect(scheduleFor('SYNC_FAILING', '2026-11-11T23:50:00Z').dueAt).toBe('2026-11-12T00:05:00.000Z');
  });

  it('places the final action after the last level under a stored policy', () => {
    const policy: ExceptionPolicy = exceptionPolicyFrom({
      value: { types: { PAYMENT_FAILED: { severity: 'high', ownerRole: 'finance', slaMinutes: 60, escalation: [{ level: 1, afterMinutes: 90, ownerRole: 'ops_lead' }, { level: 2, afterMinutes: 240, ownerRole: 'admin' }], finalAction: 'close_unpaid', finalActionAfterMinutes: 30 } } },
      version: 4,
    });
    // Due at 01:00, level 1 at 01:30, level 2 at 04:00, closed at 04:30.
    expect(scheduleFor('PAYMENT_FAILED', '2026-11-11T00:00:00Z', policy)).toEqual({
      dueAt: '2026-11-11T01:00:00.000Z',
      levels: [
        { level: 1, at: '2026-11-11T01:30:00.000Z', ownerRole: 'ops_lead' },
        { level: 2, at: '2026-11-11T04:00:00.000Z', ownerRole: 'admin' },
      ],
      finalAction: { action: 'close_unpaid', at: '2026-11-11T04:30:00.000Z' },
    });
  });

  it('maps each cause to its type, channel_* to SYNC_FAILING and anything else to INCOMPLETE_INFO', () => {
    const expected: Record<string, ExceptionType> = {
      out_of_stock: 'OUT_OF_STOCK',
      address_ambiguous: 'ADDRESS_AMBIGUOUS',
      balance_overdue: 'PAYMENT_FAILED',
      shipment_failed: 'WAREHOUSE_REJECTED',
      changed_after_release: 'PLATFORM_CHANGED',
      intercept_failed: 'INTERCEPT_FAILED',
      review_overdue: 'REVIEW_OVERDUE',
      review_rejected: 'REVIEW_REJECTED',
      channel_writeback_rejected: 'SYNC_FAILING',
      channel_pull_failing: 'SYNC_FAILING',
      something_new: 'INCOMPLETE_INFO',
    };
    for (const [kind, type] of Object.entries(expected)) expect([kind, exceptionTypeOf(kind)]).toEqual([kind, type]);
  });
});
