import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeKey, planMerges, type MergeCandidate } from '../../../domain/fulfilment/index.js';

const order = (orderId: string, over: Partial<MergeCandidate> = {}): MergeCandidate => ({
  orderId,
  shopId: 'shop1',
  buyerKey: 'buyer-aaa',
  regionCode: '110105',
  detail: '建国路88号3号楼101室',
  readyAt: '2026-11-11T00:00:00Z',
  presale: false,
  cashOnDelivery: false,
  refundInProgress: false,
  sealed: false,
  warehouseCode: 'BJ',
  ...over,
});

describe('planMerges', () => {
  it('merges orders of one buyer to one door within the hold window, despite trivial address differences', () => {
    const plan = planMerges([
      order('a'),
      order('b', { readyAt: '2026-11-11T00:10:00Z', detail: '建国路 88 号 3栋 101' }),
      order('c', { readyAt: '2026-11-11T00:45:00Z' }),
    ]);
    expect(plan.groups.map((g) => g.orderIds)).toEqual([['a', 'b'], ['c']]);
    expect(plan.groups[0]).toMatchObject({ windowStart: '2026-11-11T00:00:00.000Z', windowEnd: '2026-11-11T00:30:00.000Z' });
    expect(plan.groups[0]!.id).toMatch(/^[0-9a-f]{8}$/);
    expect(plan.decision).toMatchObject({ kind: 'merge', ruleId: 'merge.default', ruleVersion: 2 });
  });

  it('does not merge across shops, buyers, addresses or warehouses', () => {
    const plan = planMerges([
      order('a'),
      order('b', { shopId: 'shop2' }),
      order('c', { buyerKey: 'buyer-bbb' }),
      order('d', { detail: '建国路89号' }),
      order('e', { warehouseCode: 'TJ' }),
    ]);
    expect(plan.groups.every((g) => g.orderIds.length === 1)).toBe(true);
  });

  it('uses the platform address id when there is one', () => {
    const plan = planMerges([order('a', { addressKey: 'oaid-1', detail: 'x' }), order('b', { addressKey: 'oaid-1', detail: 'y' })]);
    expect(plan.groups.map((g) => g.orderIds)).toEqual([['a', 'b']]);
  });

  it('never merges cash on delivery, refunding or sealed orders, and says why', () => {
    const plan = planMerges([
      order('a'),
      order('cod', { cashOnDelivery: true }),
      order('refund', { refundInProgress: true }),
      order('sealed', { sealed: true, cashOnDelivery: true }),
    ]);
    expect(plan.groups.map((g) => g.orderIds)).toEqual([['a']]);
    expect(plan.standalone).toEqual([
      { id: 'cod', reasons: [expect.objectContaining({ code: 'cash-on-delivery' })] },
      { id: 'refund', reasons: [expect.objectContaining({ code: 'refund-in-progress' })] },
      { id: 'sealed', reasons: [expect.objectContaining({ code: 'cash-on-delivery' }), expect.objectContaining({ code: 'sealed' })] },
    ]);
    expect(plan.decision.excluded).toEqual(plan.standalone);
  });

  it('never merges presale with in-stock orders, but presale with presale', () => {
    const plan = planMerges([order('stock'), order('pre1', { presale: true }), order('pre2', { presale: true })]);
    expect(plan.groups.map((g) => g.orderIds).sort()).toEqual([['pre1', 'pre2'], ['stock']]);
    expect(mergeKey(order('x', { presale: true }))).not.toBe(mergeKey(order('y')));
  });

  it('property: every eligible order is in exactly one group, and groups only hold compatible orders', () => {
    const orderArb = fc.record({
      shopId: fc.constantFrom('s1', 's2'),
      buyerKey: fc.constantFrom('b1', 'b2'),
      detail: fc.constantFrom('路1号', '路 1 号', '路2号'),
      minute: fc.nat(120),
      presale: fc.boolean(),
      cashOnDelivery: fc.boolean(),
      refundInProgress: fc.boolean(),
      sealed: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(orderArb, { maxLength: 20 }), (raw) => {
        const orders = raw.map((o, i) =>
          order(`o${i}`, { ...o, readyAt: new Date(Date.UTC(2026, 10, 11, 0, o.minute)).toISOString() }),
        );
        const plan = planMerges(orders);
        const seen = plan.groups.flatMap((g) => g.orderIds);
        expect(new Set(seen).size).toBe(seen.length);
        for (const o of orders) {
          const blocked = o.cashOnDelivery || o.refundInProgress || o.sealed;
          expect(seen.includes(o.orderId)).toBe(!blocked);
          expect(plan.standalone.some((s) => s.id === o.orderId)).toBe(blocked);
        }
        for (const g of plan.groups) {
          const members = g.orderIds.map((id) => orders.find((o) => o.orderId === id)!);
          expect(new Set(members.map((m) => mergeKey(m))).size).toBe(1);
          for (const m of members) expect(Date.parse(m.readyAt)).toBeLessThan(Date.parse(g.windowEnd));
        }
      }),
      { numRuns: 300 },
    );
  });
});
