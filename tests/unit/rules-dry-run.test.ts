import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { canonicalOrder } from '../../domain/order.js';
import { DEFAULT_PRICING_CONFIG } from '../../domain/pricing/index.js';
import { compareRuleSets, factSettingsOf, sameFactSettings, type DryRunOrder } from '../../domain/rules/dry-run.js';
import { DEFAULT_RULE_SET, DEFAULT_ROUTINE_REMARKS, compileRuleSet, orderFacts, ruleSetInput, type OrderFacts, type RuleSetInput, type rule } from '../../domain/rules/index.js';
import { makeOrder } from '../helpers/orders.js';

type RuleIn = z.input<typeof rule>;

const PAID = '2026-10-01T02:00:00Z';

/** The facts of a plain, paid Hangzhou order of one line at `fen`, reviewed as of its payment. */
function factsOf(fen: number, over: Partial<OrderFacts> = {}): OrderFacts {
  const order = canonicalOrder.parse(
    makeOrder({ paidAt: PAID, createdAt: '2026-10-01T01:59:00Z', lines: [{ skuCode: 'TEA', quantity: 1, unitPriceFen: fen, paidFen: fen }], amounts: { goodsFen: fen, paidFen: fen }, discounts: [] }),
  );
  const facts = orderFacts(order, {
    customer: { vipLevel: 0, blacklisted: false, tags: [] },
    categories: new Map([['TEA', 'tea']]),
    stockSufficient: true,
    now: PAID,
    ...factSettingsOf(DEFAULT_RULE_SET),
  });
  return { ...facts, ...over };
}

const set = (input: z.input<typeof ruleSetInput>, version: number) => compileRuleSet({ ...ruleSetInput.parse(input), version });
const BASE = set(DEFAULT_RULE_SET, 1);

/** The default set with the big-order rule's threshold (and reason) changed. */
function withBigOrderFrom(fen: number, reason = `order of ${fen / 100} yuan or more`, extra: RuleIn[] = []): RuleSetInput {
  return {
    ...DEFAULT_RULE_SET,
    rules: [
      ...DEFAULT_RULE_SET.rules.map((r) =>
        r.id === 'review.big-order' ? { ...r, when: { fact: 'amountFen' as const, op: 'gte' as const, value: fen }, then: [{ type: 'manual_review' as const, reason }] } : r,
      ),
      ...(extra as RuleSetInput['rules']),
    ],
  };
}

const orders = (list: [string, OrderFacts][]): DryRunOrder[] => list.map(([orderId, facts]) => ({ orderId, facts }));

describe('compareRuleSets', () => {
  const period = orders([
    ['o-300', factsOf(30_000)],
    ['o-1500', factsOf(150_000)],
    ['o-2500', factsOf(250_000)],
    ['o-6000', factsOf(600_000)],
    ['o-1200-blacklisted', factsOf(120_000, { blacklisted: true })],
  ]);

  it('lowering the big-order threshold sends exactly the orders between the thresholds to a person', () => {
    const r = compareRuleSets(BASE, set(withBigOrderFrom(100_000, 'order of 5,000 yuan or more'), 0), period);
    expect(r.orders).toBe(5);
    expect(r.changes.map((c) => [c.orderId, c.changed])).toEqual([
      ['o-1500', ['verdict']],
      ['o-2500', ['verdict']],
    ]);
    const c = r.changes[0]!;
    expect(c.before.verdict).toEqual({ kind: 'approve' });
    expect(c.after.verdict).toEqual({ kind: 'manual_review', reasons: ['order of 5,000 yuan or more'] });
    expect(c.after.fired).toContain('review.big-order');
    // The blacklisted buyer stays held: a hold outranks a manual review.
    expect(r.totals).toEqual({ approvedBefore: 3, approvedAfter: 1, manualBefore: 1, manualAfter: 3, heldBefore: 1, heldAfter: 1, rejectedBefore: 0, rejectedAfter: 0, changed: 2 });
  });

  it('a changed reason on an order that keeps its verdict is a change of reasons', () => {
    const r = compareRuleSets(BASE, set(withBigOrderFrom(100_000), 0), period);
    expect(r.changes.map((c) => [c.orderId, c.changed])).toEqual([
      ['o-1500', ['verdict']],
      ['o-2500', ['verdict']],
      ['o-6000', ['reasons']],
    ]);
    expect(r.totals.changed).toBe(3);
  });

  it('the same set changes nothing', () => {
    const r = compareRuleSets(BASE, set(DEFAULT_RULE_SET, 1), period);
    expect(r.changes).toEqual([]);
    expect(r.totals).toMatchObject({ approvedBefore: 3, approvedAfter: 3, changed: 0 });
  });

  it('reports priority and carrier changes; tags and exclusions in another order are no change', () => {
    const draft: RuleSetInput = {
      ...DEFAULT_RULE_SET,
      rules: [
        ...DEFAULT_RULE_SET.rules.filter((r) => r.id !== 'carrier.premium'),
        { id: 'review.t1', stage: 'review', order: 1, enabled: true, then: [{ type: 'tag', tag: 'a' }] },
        { id: 'review.t2', stage: 'review', order: 2, enabled: true, then: [{ type: 'tag', tag: 'b' }] },
        { id: 'priority.all', stage: 'priority', order: 1, enabled: true, then: [{ type: 'add_priority', value: 1 }] },
        { id: 'allocation.no-bj', stage: 'allocation', order: 20, enabled: true, then: [{ type: 'exclude_warehouses', warehouses: ['WH-BJ', 'WH-TJ'] }] },
      ],
    };
    const base: RuleSetInput = {
      ...DEFAULT_RULE_SET,
      rules: [
        ...DEFAULT_RULE_SET.rules,
        { id: 'review.t2', stage: 'review', order: 1, enabled: true, then: [{ type: 'tag', tag: 'b' }] },
        { id: 'review.t1', stage: 'review', order: 2, enabled: true, then: [{ type: 'tag', tag: 'a' }] },
        { id: 'allocation.no-bj', stage: 'allocation', order: 20, enabled: true, then: [{ type: 'exclude_warehouses', warehouses: ['WH-TJ', 'WH-BJ'] }] },
      ],
    };
    const r = compareRuleSets(set(base, 3), set(draft, 0), orders([['o', factsOf(30_000)]]));
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0]!.changed).toEqual(['priority', 'carrier']);
    expect(r.changes[0]!.before.carrier).toEqual({ exclude: [], highValueFen: 200_000 });
    expect(r.changes[0]!.after.carrier).toEqual({ exclude: [] });
    expect(r.changes[0]!.after.priority).toBe(1);
  });

  it('evaluates the draft on its own facts when its settings give other facts', () => {
    const base = factsOf(30_000);
    const r = compareRuleSets(BASE, set(DEFAULT_RULE_SET, 1), [{ orderId: 'o', facts: base, draftFacts: { ...base, pricingConsistent: false } }]);
    expect(r.changes.map((c) => [c.orderId, c.changed, c.after.verdict.kind])).toEqual([['o', ['verdict'], 'manual_review']]);
  });

  it('finds the draft rules that fired on no order, and those an earlier rule always stopped', () => {
    const draft = withBigOrderFrom(500_000, 'order of 5,000 yuan or more', [
      // Stops the review of trusted buyers before anything else.
      { id: 'review.trusted', stage: 'review', order: 5, when: { fact: 'customerTags', op: 'contains', value: 'trusted' }, then: [{ type: 'approve' }, { type: 'stop' }] },
      // Holds for the trusted buyer's order only, which review.trusted has stopped by then.
      { id: 'review.huge', stage: 'review', order: 65, when: { fact: 'amountFen', op: 'gte', value: 1_000_000 }, then: [{ type: 'manual_review', reason: 'huge' }] },
      // No order is furniture.
      { id: 'review.furniture', stage: 'review', order: 80, when: { fact: 'categories', op: 'contains', value: 'furniture' }, then: [{ type: 'manual_review', reason: 'bulky' }] },
      // Proven never to fire: no period finding on top of the static one.
      { id: 'review.impossible', stage: 'review', order: 90, when: { all: [{ fact: 'amountFen', op: 'gt', value: 100 }, { fact: 'amountFen', op: 'lt', value: 50 }] }, then: [{ type: 'tag', tag: 'x' }] },
      // Disabled rules are not run, so not reported.
      { id: 'review.off', stage: 'review', order: 95, enabled: false, when: { fact: 'amountFen', op: 'gt', value: 0 }, then: [{ type: 'tag', tag: 'off' }] },
    ]);
    const r = compareRuleSets(
      BASE,
      set(draft, 0),
      orders([
        ['o-300', factsOf(30_000)],
        ['o-12000-trusted', factsOf(1_200_000, { customerTags: ['trusted'] })],
        ['o-15000-trusted', factsOf(1_500_000, { customerTags: ['trusted'] })],
        ['o-300-trusted', factsOf(30_000, { customerTags: ['trusted'] })],
      ]),
    );
    // The trusted buyers' big orders are approved now.
    expect(r.changes.map((c) => [c.orderId, c.before.verdict.kind, c.after.verdict.kind])).toEqual([
      ['o-12000-trusted', 'manual_review', 'approve'],
      ['o-15000-trusted', 'manual_review', 'approve'],
    ]);
    const byRule = Object.fromEntries(r.findings.map((f) => [f.ruleId, f]));
    expect(byRule['review.impossible']).toMatchObject({ kind: 'never_fires' });
    expect(byRule['review.furniture']).toMatchObject({ kind: 'never_fired_in_period', stage: 'review' });
    expect(byRule['review.huge']).toMatchObject({ kind: 'shadowed_in_period', orders: 2, stoppedBy: [{ ruleId: 'review.trusted', orders: 2 }] });
    // review.big-order fired on no order either: on both it held, review.trusted stopped the stage first.
    expect(byRule['review.big-order']).toMatchObject({ kind: 'shadowed_in_period', orders: 2, stoppedBy: [{ ruleId: 'review.trusted', orders: 2 }] });
    // Rules that fired are not reported; nor is a disabled rule.
    expect(byRule['review.trusted']).toBeUndefined();
    expect(byRule['review.off']).toBeUndefined();
    expect(r.findings.filter((f) => f.ruleId === 'review.impossible')).toHaveLength(1);
  });

  it('tests a rule stopped by a stop with the tags fired up to the stop', () => {
    const draft: RuleSetInput = {
      settings: { reviewSlaMinutes: 120 },
      rules: [
        { id: 'review.mark', stage: 'review', order: 1, enabled: true, when: { fact: 'amountFen', op: 'lt', value: 100_000 }, then: [{ type: 'tag', tag: 'marked' }, { type: 'stop' }] },
        { id: 'review.marked', stage: 'review', order: 2, enabled: true, when: { fact: 'tags', op: 'contains', value: 'marked' }, then: [{ type: 'hold', reason: 'marked' }] },
      ],
    };
    const r = compareRuleSets(BASE, set(draft, 0), orders([['o', factsOf(30_000)]]));
    expect(r.findings).toEqual([expect.objectContaining({ ruleId: 'review.marked', kind: 'shadowed_in_period', orders: 1, stoppedBy: [{ ruleId: 'review.mark', orders: 1 }] })]);
  });

  it('without orders reports only what the static analysis proves', () => {
    const r = compareRuleSets(BASE, set(withBigOrderFrom(100_000), 0), []);
    expect(r).toEqual({
      orders: 0,
      changes: [],
      totals: { approvedBefore: 0, approvedAfter: 0, manualBefore: 0, manualAfter: 0, heldBefore: 0, heldAfter: 0, rejectedBefore: 0, rejectedAfter: 0, changed: 0 },
      findings: [],
    });
  });
});

describe('fact settings', () => {
  it('are the rule set’s price rules and routine remarks, or the defaults', () => {
    expect(factSettingsOf({ settings: { reviewSlaMinutes: 120 } })).toEqual({ pricing: DEFAULT_PRICING_CONFIG, routineRemarks: DEFAULT_ROUTINE_REMARKS });
    expect(sameFactSettings(DEFAULT_RULE_SET, { settings: { reviewSlaMinutes: 60 } })).toBe(true);
    expect(sameFactSettings(DEFAULT_RULE_SET, { settings: { reviewSlaMinutes: 120, routineRemarks: ['谢谢'] } })).toBe(false);
  });
});
