import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { canonicalOrder, type CanonicalOrder, type CanonicalOrderInput } from '../../domain/order.js';
import { DEFAULT_PRICING_CONFIG, type PricingConfig } from '../../domain/pricing/index.js';
import { pricingConfig } from '../../domain/pricing/schema.js';
import {
  DEFAULT_ROUTINE_REMARKS,
  DEFAULT_RULE_SET,
  analyseRuleSet,
  compileRuleSet,
  evaluateRules,
  orderFacts,
  ruleSetInput,
  type OrderFacts,
  type ReviewContext,
  type RuleEvaluation,
  type rule,
} from '../../domain/rules/index.js';
import { teaOrder } from '../helpers/fulfilment.js';

type RuleIn = z.input<typeof rule>;

// 10:00 in China; the order was paid half an hour earlier.
const NOW = '2026-11-11T02:00:00Z';
const CREATED = '2026-11-11T01:29:00Z';
const PAID = '2026-11-11T01:30:00Z';
const HOUR = 3600_000;
const at = (ms: number) => new Date(Date.parse(NOW) + ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** One Longjing tea (128 yuan) to a complete Hangzhou address, paid, nothing special about it. */
function order(over: Partial<CanonicalOrderInput> = {}): CanonicalOrder {
  return canonicalOrder.parse({ ...teaOrder('buyer-1', '文三路100号', { paidAt: PAID }), createdAt: CREATED, ...over });
}

/** An order of one line at `fen`, paid in full. */
function orderOf(fen: number, over: Partial<CanonicalOrderInput> = {}): CanonicalOrder {
  return order({ lines: [{ skuCode: 'FZ-TEA', quantity: 1, unitPriceFen: fen, paidFen: fen }], amounts: { goodsFen: fen, paidFen: fen }, ...over });
}

const RECEIVER = { name: '王**', phone: '138****0002', province: '浙江省', city: '杭州市', district: '西湖区', detail: '文三路100号' };

function ctx(over: Partial<ReviewContext> = {}): ReviewContext {
  return {
    customer: { vipLevel: 0, blacklisted: false, tags: [] },
    categories: new Map([['FZ-TEA', 'tea']]),
    stockSufficient: true,
    now: NOW,
    pricing: DEFAULT_PRICING_CONFIG,
    routineRemarks: DEFAULT_ROUTINE_REMARKS,
    ...over,
  };
}

const DEFAULTS = compileRuleSet({ ...ruleSetInput.parse(DEFAULT_RULE_SET), version: 1 });
const review = (o: CanonicalOrder, c: Partial<ReviewContext> = {}): RuleEvaluation => evaluateRules(DEFAULTS, orderFacts(o, ctx(c)));
const firedIds = (e: RuleEvaluation) => e.fired.map((h) => h.ruleId);
const reviewFired = (e: RuleEvaluation) => e.fired.filter((h) => h.stage === 'review').map((h) => h.ruleId);

describe('the built-in rules of DEFAULT_RULE_SET', () => {
  it('approve a complete, consistent order with nothing to say about it', () => {
    const e = review(order());
    expect(e.verdict).toEqual({ kind: 'approve' });
    expect(reviewFired(e)).toEqual([]);
    expect(e.tags).toEqual([]);
    expect(e.priority).toBe(0);
  });

  describe('review.address', () => {
    it('passes a complete address the library resolves to one district', () => {
      const facts = orderFacts(order(), ctx());
      expect([facts.addressStatus, facts.addressComplete, facts.regionCode]).toEqual(['resolved', true, '330106']);
      expect(reviewFired(evaluateRules(DEFAULTS, facts))).not.toContain('review.address');
    });

    it('sends an ambiguous address (a district name without province, in several cities) to a person', () => {
      const o = order({ receiver: { ...RECEIVER, province: '', city: '', district: '朝阳区', detail: '建国路88号' } });
      const facts = orderFacts(o, ctx());
      expect(facts.addressStatus).toBe('ambiguous');
      const e = evaluateRules(DEFAULTS, facts);
      expect(reviewFired(e)).toEqual(['review.address']);
      expect(e.verdict).toEqual({ kind: 'manual_review', reasons: ['address incomplete, ambiguous or not recognised'] });
    });

    it('sends an address resolved only to the city (no district) to a person', () => {
      const facts = orderFacts(order({ receiver: { ...RECEIVER, district: '' } }), ctx());
      expect([facts.addressStatus, facts.addressComplete]).toEqual(['resolved', false]);
      const e = evaluateRules(DEFAULTS, facts);
      expect(reviewFired(e)).toEqual(['review.address']);
      expect(e.verdict.kind).toBe('manual_review');
    });
  });

  describe('review.amounts', () => {
    it('passes an order whose paid amount is goods + shipping - discounts', () => {
      const o = order({
        lines: [{ skuCode: 'FZ-TEA', quantity: 2, unitPriceFen: 12800, discountFen: 500, paidFen: 25100 }],
        amounts: { goodsFen: 25600, shippingFen: 800, discountFen: 500, paidFen: 25900 },
        discounts: [{ kind: 'seller', name: '改价', amountFen: 500 }],
      });
      const facts = orderFacts(o, ctx());
      expect([facts.pricingConsistent, facts.pricingDifferenceFen]).toEqual([true, 0]);
      expect(review(o).verdict).toEqual({ kind: 'approve' });
    });

    it('sends an order paid 1 yuan more than goods + shipping - discounts to a person', () => {
      const o = order({
        lines: [{ skuCode: 'FZ-TEA', quantity: 2, unitPriceFen: 12800, discountFen: 500, paidFen: 25100 }],
        amounts: { goodsFen: 25600, shippingFen: 800, discountFen: 500, paidFen: 26000 },
        discounts: [{ kind: 'seller', name: '改价', amountFen: 500 }],
      });
      const facts = orderFacts(o, ctx());
      expect([facts.pricingConsistent, facts.pricingDifferenceFen]).toEqual([false, 100]);
      const e = evaluateRules(DEFAULTS, facts);
      expect(reviewFired(e)).toEqual(['review.amounts']);
      expect(e.verdict).toEqual({ kind: 'manual_review', reasons: ['paid amount differs from the price rules'] });
      expect(e.fired[0]!.why).toBe('pricingConsistent false eq false');
    });
  });

  describe('review.coupons (a pricing policy that lists the shop coupons)', () => {
    const pricing: PricingConfig = pricingConfig.parse({
      id: 'shop.pricing',
      version: 2,
      coupons: [
        { id: 'SHOP-10', amountFen: 1000, minSpendFen: 10000, validFrom: '2026-11-01T00:00:00Z', validTo: '2026-11-11T15:59:59Z' },
        { id: 'OLD-10', amountFen: 1000, validFrom: '2026-10-01T00:00:00Z', validTo: '2026-10-31T15:59:59Z' },
      ],
    });
    const withCoupon = (id: string) =>
      order({
        lines: [{ skuCode: 'FZ-TEA', quantity: 1, unitPriceFen: 12800, discountFen: 1000, paidFen: 11800 }],
        amounts: { goodsFen: 12800, discountFen: 1000, paidFen: 11800 },
        discounts: [{ kind: 'coupon', name: id, amountFen: 1000 }],
      });

    it('passes a coupon the policy knows, valid at payment, minimum spend reached', () => {
      const facts = orderFacts(withCoupon('SHOP-10'), ctx({ pricing }));
      expect([facts.couponsUsed, facts.couponIds, facts.couponsValid, facts.pricingConsistent]).toEqual([true, ['SHOP-10'], true, true]);
      expect(evaluateRules(DEFAULTS, facts).verdict).toEqual({ kind: 'approve' });
    });

    it('sends an expired coupon to a person', () => {
      const facts = orderFacts(withCoupon('OLD-10'), ctx({ pricing }));
      expect(facts.couponsValid).toBe(false);
      const e = evaluateRules(DEFAULTS, facts);
      expect(reviewFired(e)).toContain('review.coupons');
      expect(e.verdict.kind).toBe('manual_review');
      expect(e.verdict.kind === 'manual_review' && e.verdict.reasons).toContain('coupon not valid for this order');
    });

    it('sends a coupon id the policy does not know to a person', () => {
      const facts = orderFacts(withCoupon('NOPE-99'), ctx({ pricing }));
      expect(facts.couponsValid).toBe(false);
      expect(reviewFired(evaluateRules(DEFAULTS, facts))).toContain('review.coupons');
    });
  });

  describe('review.stock', () => {
    it('tags a short order stock_short and still approves it', () => {
      const e = review(order(), { stockSufficient: false });
      expect(reviewFired(e)).toEqual(['review.stock']);
      expect(e.tags).toEqual(['stock_short']);
      expect(e.verdict).toEqual({ kind: 'approve' });
    });

    it('adds no tag when stock suffices', () => {
      expect(review(order(), { stockSufficient: true }).tags).toEqual([]);
    });
  });

  describe('review.blacklist', () => {
    it('holds a blacklisted buyer until a person decides (no minutes)', () => {
      const e = review(order(), { customer: { vipLevel: 0, blacklisted: true, tags: [] } });
      expect(reviewFired(e)).toEqual(['review.blacklist']);
      expect(e.verdict).toEqual({ kind: 'hold', reason: 'blacklisted buyer' });
    });

    it('lets a buyer who is not blacklisted through', () => {
      expect(reviewFired(review(order()))).not.toContain('review.blacklist');
    });
  });

  describe('review.big-order', () => {
    it('sends 5,000 yuan to a person', () => {
      const e = review(orderOf(500_000));
      expect(reviewFired(e)).toEqual(['review.big-order']);
      expect(e.verdict).toEqual({ kind: 'manual_review', reasons: ['order of 5,000 yuan or more'] });
    });

    it('approves 4,999.99 yuan', () => {
      const e = review(orderOf(499_999));
      expect(reviewFired(e)).toEqual([]);
      expect(e.verdict).toEqual({ kind: 'approve' });
    });
  });

  describe('review.buyer-remark', () => {
    it('sends an order with a buyer remark to a person', () => {
      const e = review(order({ buyerRemark: '请发顺丰' }));
      expect(reviewFired(e)).toEqual(['review.buyer-remark']);
      expect(e.verdict).toEqual({ kind: 'manual_review', reasons: ['the buyer left a remark'] });
    });

    it('takes a remark of blanks as none', () => {
      expect(review(order({ buyerRemark: '   ' })).verdict).toEqual({ kind: 'approve' });
    });

    it('lets a remark of routine phrases only through, and not one that asks for something', () => {
      const routine = orderFacts(order({ buyerRemark: '请尽快发货，谢谢🙏' }), ctx());
      expect([routine.hasBuyerRemark, routine.remarkRoutine]).toEqual([true, true]);
      expect(evaluateRules(DEFAULTS, routine).verdict).toEqual({ kind: 'approve' });
      expect(review(order({ buyerRemark: '请尽快发货，发顺丰' })).verdict.kind).toBe('manual_review');
      // Without routine phrases configured, every remark goes to a person.
      expect(review(order({ buyerRemark: '谢谢' }), { routineRemarks: [] }).verdict.kind).toBe('manual_review');
    });
  });

  describe('priority', () => {
    it('gives VIP buyers +10', () => {
      const e = review(order(), { customer: { vipLevel: 1, blacklisted: false, tags: [] } });
      expect(e.priority).toBe(10);
      expect(firedIds(e)).toContain('priority.vip');
    });

    it('gives +20 to an order promised to ship within 12 hours, not at 12 hours', () => {
      expect(review(order({ promisedShipAt: at(5 * HOUR) })).priority).toBe(20);
      expect(review(order({ promisedShipAt: at(11 * HOUR + 59 * 60_000) })).priority).toBe(20);
      expect(review(order({ promisedShipAt: at(-2 * HOUR) })).priority).toBe(20);
      expect(review(order({ promisedShipAt: at(12 * HOUR) })).priority).toBe(0);
      expect(review(order()).priority).toBe(0);
    });

    it('gives +5 from 1,000 yuan, and the bonuses add up', () => {
      expect(review(orderOf(99_999)).priority).toBe(0);
      expect(review(orderOf(100_000)).priority).toBe(5);
      const all = review(orderOf(100_000, { promisedShipAt: at(HOUR) }), { customer: { vipLevel: 3, blacklisted: false, tags: [] } });
      expect(all.priority).toBe(35);
      expect(all.fired.filter((h) => h.stage === 'priority').map((h) => h.ruleId)).toEqual(['priority.vip', 'priority.promise', 'priority.amount']);
    });
  });

  it('give the split, carrier and allocation defaults: express to 30 kg, premium from 2,000 yuan, 3 attempts', () => {
    const e = review(order());
    expect(e.split).toEqual({ maxExpressWeightG: 30_000 });
    expect(e.carrier).toEqual({ exclude: [], highValueFen: 200_000 });
    expect(e.allocation).toEqual({ excludeWarehouses: [], reservationAttempts: 3 });
    expect(e.merge).toEqual({ neverMerge: false });
    expect(firedIds(e)).toEqual(['split.express-limit', 'carrier.premium', 'allocation.reservation-attempts']);
  });
});

// ---------------------------------------------------------------------------------------------------------

let version = 6;
/** Parses (as an admin's draft would be) and compiles a rule set, each under a new version. */
function compiled(rules: RuleIn[]) {
  return compileRuleSet({ ...ruleSetInput.parse({ rules }), version: ++version });
}
const BASE_FACTS: OrderFacts = orderFacts(order(), ctx());
const facts = (over: Partial<OrderFacts> = {}): OrderFacts => ({ ...BASE_FACTS, ...over });
const tag = (id: string, when?: RuleIn['when'], order = 10, extra: Partial<RuleIn> = {}): RuleIn => ({
  id,
  stage: 'review',
  order,
  ...(when ? { when } : {}),
  then: [{ type: 'tag', tag: id }],
  ...extra,
});

describe('evaluator semantics', () => {
  it('runs rules by their order, ties in the order of the list, whatever the list order', () => {
    const set = compiled([
      { id: 'late', stage: 'priority', order: 20, then: [{ type: 'set_priority', value: 3 }] },
      { id: 'tie-1', stage: 'priority', order: 10, then: [{ type: 'set_priority', value: 1 }] },
      { id: 'tie-2', stage: 'priority', order: 10, then: [{ type: 'set_priority', value: 2 }] },
      { id: 'first', stage: 'priority', order: 0, then: [{ type: 'add_priority', value: 100 }] },
    ]);
    const e = evaluateRules(set, facts());
    expect(firedIds(e)).toEqual(['first', 'tie-1', 'tie-2', 'late']);
    // set_priority replaces what came before: the last one in order wins.
    expect(e.priority).toBe(3);
  });

  it('stops the stage at a rule with stop (its own other actions still apply), other stages go on', () => {
    const set = compiled([
      { id: 'a', stage: 'review', order: 1, then: [{ type: 'tag', tag: 'a' }, { type: 'stop' }, { type: 'tag', tag: 'a2' }] },
      { id: 'b', stage: 'review', order: 2, then: [{ type: 'reject', reason: 'never reached' }] },
      { id: 'p', stage: 'priority', order: 1, then: [{ type: 'add_priority', value: 1 }] },
    ]);
    const e = evaluateRules(set, facts());
    expect(firedIds(e)).toEqual(['a', 'p']);
    expect(e.tags).toEqual(['a', 'a2']);
    expect(e.verdict).toEqual({ kind: 'approve' });
    expect(e.priority).toBe(1);
  });

  it('a rule that does not fire does not stop anything', () => {
    const set = compiled([
      { id: 'a', stage: 'review', order: 1, when: { fact: 'blacklisted', op: 'eq', value: true }, then: [{ type: 'stop' }] },
      tag('b', undefined, 2),
    ]);
    expect(firedIds(evaluateRules(set, facts()))).toEqual(['b']);
  });

  it('keeps the most severe verdict, whatever the order: reject > hold > manual review > approve', () => {
    const rules: RuleIn[] = [
      { id: 'hold', stage: 'review', order: 1, then: [{ type: 'hold', reason: 'held', minutes: 30 }] },
      { id: 'manual', stage: 'review', order: 2, then: [{ type: 'manual_review', reason: 'look' }] },
      { id: 'approve', stage: 'review', order: 3, then: [{ type: 'approve' }] },
      { id: 'reject', stage: 'review', order: 4, then: [{ type: 'reject', reason: 'fraud' }] },
      { id: 'hold2', stage: 'review', order: 5, then: [{ type: 'hold', reason: 'second hold' }] },
    ];
    expect(evaluateRules(compiled(rules), facts()).verdict).toEqual({ kind: 'reject', reason: 'fraud' });
    const noReject = rules.filter((r) => r.id !== 'reject');
    // Of equal severity, the first stays.
    expect(evaluateRules(compiled(noReject), facts()).verdict).toEqual({ kind: 'hold', reason: 'held', minutes: 30 });
    const secondFirst = noReject.map((r) => (r.id === 'hold2' ? { ...r, order: 0 } : r));
    expect(evaluateRules(compiled(secondFirst), facts()).verdict).toEqual({ kind: 'hold', reason: 'second hold' });
    expect(evaluateRules(compiled(rules.filter((r) => r.id === 'approve' || r.id === 'manual')), facts()).verdict.kind).toBe('manual_review');
    expect(evaluateRules(compiled(rules.filter((r) => r.id === 'approve')), facts()).verdict).toEqual({ kind: 'approve' });
  });

  it('adds up the reasons of every manual review that fired', () => {
    const set = compiled([
      { id: 'm1', stage: 'review', order: 1, then: [{ type: 'manual_review', reason: 'first' }] },
      { id: 'x', stage: 'review', order: 2, when: { fact: 'blacklisted', op: 'eq', value: true }, then: [{ type: 'manual_review', reason: 'not fired' }] },
      { id: 'm2', stage: 'review', order: 3, then: [{ type: 'manual_review', reason: 'second' }, { type: 'manual_review', reason: 'third' }] },
    ]);
    const e = evaluateRules(set, facts());
    expect(e.verdict).toEqual({ kind: 'manual_review', reasons: ['first', 'second', 'third'] });
    // A second evaluation starts afresh.
    expect(evaluateRules(set, facts()).verdict).toEqual({ kind: 'manual_review', reasons: ['first', 'second', 'third'] });
  });

  it('shows the tags of earlier rules to later ones as the tags fact, not to earlier ones, and leaves the input alone', () => {
    const set = compiled([
      { id: 'before', stage: 'review', order: 1, when: { fact: 'tags', op: 'contains', value: 'suspect' }, then: [{ type: 'reject', reason: 'too early' }] },
      { id: 'mark', stage: 'review', order: 2, when: { fact: 'amountFen', op: 'gte', value: 10_000 }, then: [{ type: 'tag', tag: 'suspect' }, { type: 'tag', tag: 'suspect' }] },
      { id: 'after', stage: 'review', order: 3, when: { fact: 'tags', op: 'contains', value: 'suspect' }, then: [{ type: 'manual_review', reason: 'suspect' }] },
      { id: 'later-stage', stage: 'priority', order: 1, when: { fact: 'tags', op: 'contains_any', value: ['suspect', 'x'] }, then: [{ type: 'add_priority', value: -5 }] },
    ]);
    const input = facts();
    const e = evaluateRules(set, input);
    expect(firedIds(e)).toEqual(['mark', 'after', 'later-stage']);
    expect(e.tags).toEqual(['suspect']);
    expect(e.verdict).toEqual({ kind: 'manual_review', reasons: ['suspect'] });
    expect(e.priority).toBe(-5);
    expect(input.tags).toEqual([]);
    // Tags given with the facts are there from the start.
    expect(firedIds(evaluateRules(set, facts({ tags: ['suspect'] })))).toContain('before');
  });

  it('ignores disabled rules, a disabled stop included', () => {
    const set = compiled([
      { id: 'off', stage: 'review', order: 1, enabled: false, then: [{ type: 'reject', reason: 'off' }, { type: 'stop' }] },
      tag('on', undefined, 2),
    ]);
    expect(set.stages.review.map((r) => r.rule.id)).toEqual(['on']);
    const e = evaluateRules(set, facts());
    expect(firedIds(e)).toEqual(['on']);
    expect(e.verdict).toEqual({ kind: 'approve' });
  });

  it('takes a between window on localTime that crosses midnight as the night', () => {
    const set = compiled([tag('night', { fact: 'localTime', op: 'between', value: ['22:00', '06:00'] }), tag('office', { fact: 'localTime', op: 'between', value: ['09:00', '18:00'] }, 11)]);
    const when = (localTime: string) => firedIds(evaluateRules(set, facts({ localTime })));
    expect(when('22:00')).toEqual(['night']);
    expect(when('23:59')).toEqual(['night']);
    expect(when('00:00')).toEqual(['night']);
    expect(when('06:00')).toEqual(['night']);
    expect(when('06:01')).toEqual([]);
    expect(when('21:59')).toEqual([]);
    expect(when('09:00')).toEqual(['office']);
    expect(when('18:01')).toEqual([]);
    // From the review instant, in China time: 15:30Z is 23:30 in Beijing, 04:00Z is 12:00.
    const night = orderFacts(order(), ctx({ now: '2026-11-11T15:30:00Z' }));
    expect([night.localTime, night.localHour, night.weekday]).toEqual(['23:30', 23, 3]);
    expect(firedIds(evaluateRules(set, night))).toEqual(['night']);
    expect(firedIds(evaluateRules(set, orderFacts(order(), ctx({ now: '2026-11-11T04:00:00Z' }))))).toEqual(['office']);
  });

  it('combines conditions with all, any and not', () => {
    const set = compiled([
      tag('all', { all: [{ fact: 'amountFen', op: 'gte', value: 10_000 }, { fact: 'channel', op: 'eq', value: 'taobao' }] }, 1),
      tag('any', { any: [{ fact: 'vipLevel', op: 'gte', value: 3 }, { fact: 'customerTags', op: 'contains', value: 'wholesale' }] }, 2),
      tag('not', { not: { fact: 'province', op: 'in', value: ['新疆维吾尔自治区', '西藏自治区'] } }, 3),
      tag('nested', { all: [{ not: { any: [{ fact: 'blacklisted', op: 'eq', value: true }, { fact: 'hasBuyerRemark', op: 'eq', value: true }] } }, { fact: 'categories', op: 'contains_any', value: ['tea', 'coffee'] }] }, 4),
      tag('empty-all', { all: [] }, 5),
      tag('empty-any', { any: [] }, 6),
      tag('promise', { fact: 'hoursToPromise', op: 'exists' }, 7),
    ]);
    expect(firedIds(evaluateRules(set, facts()))).toEqual(['all', 'not', 'nested', 'empty-all']);
    expect(firedIds(evaluateRules(set, facts({ channel: 'jd', customerTags: ['wholesale'], province: '西藏自治区', hasBuyerRemark: true, hoursToPromise: 3 })))).toEqual([
      'any',
      'empty-all',
      'promise',
    ]);
    expect(firedIds(evaluateRules(set, facts({ amountFen: 9_999, vipLevel: 3, categories: ['coffee'] })))).toEqual(['any', 'not', 'nested', 'empty-all']);
  });

  it('records for every fired rule its id, stage, the set version, its actions and why, with the order values', () => {
    const o = orderOf(650_000, { receiver: { ...RECEIVER, province: '', city: '', district: '朝阳区', detail: '建国路88号' }, buyerRemark: '周末不收货', promisedShipAt: at(3 * HOUR) });
    const e = review(o, { customer: { vipLevel: 2, blacklisted: true, tags: [] }, stockSufficient: false });
    expect(e.ruleSetVersion).toBe(1);
    expect(e.fired.every((h) => h.ruleSetVersion === 1)).toBe(true);
    expect(e.fired.map((h) => [h.ruleId, h.stage, h.why, h.actions])).toEqual([
      ['review.address', 'review', 'addressStatus "ambiguous" ne "resolved"', ['manual_review(address incomplete, ambiguous or not recognised, ADDRESS_AMBIGUOUS)']],
      ['review.stock', 'review', 'stockSufficient false eq false', ['tag(stock_short)']],
      ['review.blacklist', 'review', 'blacklisted true eq true', ['hold(blacklisted buyer, BLACKLISTED)']],
      ['review.big-order', 'review', 'amountFen 650000 gte 500000', ['manual_review(order of 5,000 yuan or more)']],
      ['review.buyer-remark', 'review', 'hasBuyerRemark true eq true and remarkRoutine false eq false', ['manual_review(the buyer left a remark)']],
      ['priority.vip', 'priority', 'vipLevel 2 gte 1', ['add_priority(10)']],
      ['priority.promise', 'priority', 'hoursToPromise 3 lt 12', ['add_priority(20)']],
      ['priority.amount', 'priority', 'amountFen 650000 gte 100000', ['add_priority(5)']],
      ['split.express-limit', 'split', 'applies to every order', ['split_thresholds(30000)']],
      ['carrier.premium', 'carrier', 'applies to every order', ['premium_from(200000)']],
      ['allocation.reservation-attempts', 'allocation', 'applies to every order', ['reservation_attempts(3)']],
    ]);
    expect(e.verdict).toEqual({ kind: 'hold', reason: 'blacklisted buyer' });
    expect(e.priority).toBe(35);
  });

  it('explains all, any and not with the values of the order', () => {
    const set = compiled([
      tag('c', {
        all: [
          { fact: 'amountFen', op: 'between', value: [10_000, 20_000] },
          { any: [{ fact: 'vipLevel', op: 'gte', value: 5 }, { fact: 'channel', op: 'in', value: ['taobao', 'jd'] }] },
          { not: { fact: 'province', op: 'eq', value: '西藏自治区' } },
        ],
      }),
    ]);
    const [hit] = evaluateRules(set, facts()).fired;
    expect(hit!.why).toContain('amountFen 12800 between [10000,20000]');
    expect(hit!.why).toContain('channel "taobao" in ["taobao","jd"]');
    expect(hit!.why).toContain('not (province eq "西藏自治区")');
    // A negation names the value it saw too, not only the condition.
    expect(hit!.why).toContain('not (province eq "西藏自治区") with province "浙江省"');
    const never = compiled([tag('not-none', { not: { any: [] } })]);
    expect(evaluateRules(never, facts()).fired[0]!.why).toBe('not (())');
  });
});

// ---------------------------------------------------------------------------------------------------------

const issuesOf = (input: unknown) => {
  const r = ruleSetInput.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('rule set schema', () => {
  it('accepts DEFAULT_RULE_SET as it is', () => {
    expect(issuesOf(DEFAULT_RULE_SET)).toEqual([]);
    expect(ruleSetInput.parse(DEFAULT_RULE_SET)).toEqual(DEFAULT_RULE_SET);
  });

  it('refuses unknown fields at every level, and unknown facts', () => {
    expect(issuesOf({ rules: [], author: 'x' })).not.toEqual([]);
    expect(issuesOf({ rules: [{ ...tag('a'), priority: 3 }] })).not.toEqual([]);
    expect(issuesOf({ rules: [tag('a', { fact: 'amountFen', op: 'gte', value: 1, unit: 'yuan' })] })).not.toEqual([]);
    expect(issuesOf({ rules: [{ ...tag('a'), then: [{ type: 'tag', tag: 'x', colour: 'red' }] }] })).not.toEqual([]);
    expect(issuesOf({ rules: [tag('a', { fact: 'amount', op: 'gte', value: 1 })] })).not.toEqual([]);
    expect(issuesOf({ rules: [], settings: { reviewSlaMinutes: 60, sla: 1 } })).not.toEqual([]);
  });

  it('refuses an action of another stage, naming what the stage allows', () => {
    const issues = issuesOf({ rules: [{ id: 'a', stage: 'review', order: 1, then: [{ type: 'set_priority', value: 5 }] }] });
    expect(issues).toEqual(['rules.0.then.0.type: set_priority is not an action of the review stage (allowed: approve, manual_review, hold, reject, tag, stop)']);
    expect(issuesOf({ rules: [{ id: 'a', stage: 'carrier', order: 1, then: [{ type: 'reservation_attempts', attempts: 2 }] }] })).toHaveLength(1);
  });

  it('refuses a number fact compared with a string, and the reverse', () => {
    expect(issuesOf({ rules: [tag('a', { fact: 'amountFen', op: 'gte', value: '500000' })] })).toEqual(['rules.0.when: amountFen gte: compares numbers only']);
    expect(issuesOf({ rules: [tag('a', { fact: 'amountFen', op: 'eq', value: '500000' })] })).toEqual(['rules.0.when: amountFen eq: needs a number']);
    expect(issuesOf({ rules: [tag('a', { any: [{ fact: 'vipLevel', op: 'in', value: [1, '2'] }] })] })).toEqual(['rules.0.when.any.0: vipLevel in: needs a list of numbers']);
    expect(issuesOf({ rules: [tag('a', { not: { fact: 'channel', op: 'eq', value: 1 } })] })).toEqual(['rules.0.when.not: channel eq: needs a string']);
    expect(issuesOf({ rules: [tag('a', { fact: 'province', op: 'gt', value: 'A' })] })).toEqual(['rules.0.when: province gt: compares numbers only']);
    expect(issuesOf({ rules: [tag('a', { fact: 'blacklisted', op: 'eq', value: 'true' })] })).toEqual(['rules.0.when: blacklisted eq: needs a boolean']);
  });

  it('refuses contains on a fact that is not a list, and eq or in on one that is', () => {
    expect(issuesOf({ rules: [tag('a', { fact: 'channel', op: 'contains', value: 'jd' })] })).toEqual(['rules.0.when: channel contains: applies to list facts, with one string']);
    expect(issuesOf({ rules: [tag('a', { fact: 'shopId', op: 'contains_any', value: ['s1'] })] })).toEqual(['rules.0.when: shopId contains_any: applies to list facts only']);
    expect(issuesOf({ rules: [tag('a', { fact: 'skuCodes', op: 'eq', value: 'TEA' })] })).toEqual(['rules.0.when: skuCodes eq: use contains on a list fact']);
    // `in` compares one value with a list: on a list fact it could never hold (and not_in would always hold).
    expect(issuesOf({ rules: [tag('a', { fact: 'skuCodes', op: 'in', value: ['TEA'] })] })).toHaveLength(1);
    expect(issuesOf({ rules: [tag('a', { fact: 'customerTags', op: 'not_in', value: ['vip'] })] })).toHaveLength(1);
  });

  it('refuses between outside numbers and localTime, and a value on exists', () => {
    expect(issuesOf({ rules: [tag('a', { fact: 'province', op: 'between', value: ['A', 'B'] })] })).toEqual(['rules.0.when: province between: applies to numbers and localTime only']);
    expect(issuesOf({ rules: [tag('a', { fact: 'amountFen', op: 'between', value: [1] })] })).toEqual(['rules.0.when: amountFen between: needs [low, high] of numbers']);
    expect(issuesOf({ rules: [tag('a', { fact: 'hoursToPromise', op: 'exists', value: true })] })).toEqual(['rules.0.when: hoursToPromise exists: takes no value']);
  });

  it('refuses two rules with the same id', () => {
    expect(issuesOf({ rules: [tag('same'), { ...tag('same'), stage: 'merge', then: [{ type: 'never_merge' }] }] })).toEqual(['rules.1.id: rule id same appears twice']);
  });
});

// ---------------------------------------------------------------------------------------------------------

const findings = (rules: RuleIn[]) => analyseRuleSet(ruleSetInput.parse({ rules })).map((f) => [f.ruleId, f.kind, f.by]);
const stopper = (id: string, when: RuleIn['when'], order: number): RuleIn => ({ id, stage: 'review', order, ...(when ? { when } : {}), then: [{ type: 'approve' }, { type: 'stop' }] });

describe('rule set analysis', () => {
  it('reports nothing on DEFAULT_RULE_SET', () => {
    expect(analyseRuleSet(ruleSetInput.parse(DEFAULT_RULE_SET))).toEqual([]);
  });

  it('finds rules whose condition can never hold', () => {
    expect(
      findings([
        tag('contradiction', { all: [{ fact: 'amountFen', op: 'gt', value: 100 }, { fact: 'amountFen', op: 'lt', value: 50 }] }, 1),
        tag('vip-out-of-range', { fact: 'vipLevel', op: 'gt', value: 10 }, 2),
        // The schema checks types, not a closed list's values: 'amazon' is a string, so the analysis names it.
        tag('amazon-eq', { fact: 'channel', op: 'eq', value: 'amazon' }, 3),
        tag('amazon-in', { fact: 'channel', op: 'in', value: ['amazon', 'ebay'] }, 4),
        tag('not-always', { not: { fact: 'amountFen', op: 'gte', value: 0 } }, 5),
        tag('not-empty-all', { not: { all: [] } }, 6),
        tag('bool-both', { all: [{ fact: 'blacklisted', op: 'ne', value: true }, { fact: 'blacklisted', op: 'ne', value: false }] }, 7),
        tag('hour', { any: [{ fact: 'localHour', op: 'lt', value: 0 }, { fact: 'localHour', op: 'between', value: [24, 30] }] }, 8),
        tag('status', { all: [{ fact: 'addressStatus', op: 'in', value: ['resolved', 'ambiguous'] }, { fact: 'addressStatus', op: 'not_in', value: ['resolved', 'ambiguous'] }] }, 9),
      ]),
    ).toEqual([
      ['contradiction', 'never_fires', undefined],
      ['vip-out-of-range', 'never_fires', undefined],
      ['amazon-eq', 'never_fires', undefined],
      ['amazon-in', 'never_fires', undefined],
      ['not-always', 'never_fires', undefined],
      ['not-empty-all', 'never_fires', undefined],
      ['bool-both', 'never_fires', undefined],
      ['hour', 'never_fires', undefined],
      ['status', 'never_fires', undefined],
    ]);
  });

  it('does not report rules that can fire', () => {
    expect(
      findings([
        tag('edge', { all: [{ fact: 'amountFen', op: 'gte', value: 100 }, { fact: 'amountFen', op: 'lte', value: 100 }] }, 1),
        tag('vip-top', { fact: 'vipLevel', op: 'gte', value: 10 }, 2),
        tag('channel', { fact: 'channel', op: 'in', value: ['amazon', 'jd'] }, 3),
        tag('not-never', { not: { fact: 'amountFen', op: 'lt', value: 0 } }, 4),
        tag('either', { any: [{ fact: 'amountFen', op: 'lt', value: 50 }, { fact: 'amountFen', op: 'gt', value: 100 }] }, 5),
        tag('lists', { all: [{ fact: 'skuCodes', op: 'contains', value: 'A' }, { not: { fact: 'skuCodes', op: 'contains', value: 'A' } }] }, 6),
        // A window across midnight, as the evaluator reads it: 22:00 to 06:59 is not empty.
        tag('night-hours', { fact: 'localHour', op: 'between', value: [22, 6] }, 7),
        tag('night-time', { fact: 'localTime', op: 'between', value: ['22:00', '06:00'] }, 8),
        // Holds for an order without a promise: not (x < 12) and not (x >= 12) are both true when x is absent.
        tag('no-promise', { all: [{ not: { fact: 'hoursToPromise', op: 'lt', value: 12 } }, { not: { fact: 'hoursToPromise', op: 'gte', value: 12 } }] }, 9),
      ]),
    ).toEqual([]);
    const set = compiled([
      tag('night-hours', { fact: 'localHour', op: 'between', value: [22, 6] }),
      tag('no-promise', { all: [{ not: { fact: 'hoursToPromise', op: 'lt', value: 12 } }, { not: { fact: 'hoursToPromise', op: 'gte', value: 12 } }] }, 11),
    ]);
    expect(firedIds(evaluateRules(set, facts({ localHour: 23 })))).toEqual(['night-hours', 'no-promise']);
  });

  it('finds rules shadowed by an earlier rule of the stage that stops whenever they would fire', () => {
    expect(
      findings([
        stopper('big-stop', { fact: 'amountFen', op: 'gte', value: 1000 }, 1),
        tag('bigger', { fact: 'amountFen', op: 'gte', value: 5000 }, 2),
        tag('smaller', { fact: 'amountFen', op: 'gte', value: 500 }, 3),
        tag('range-inside', { fact: 'amountFen', op: 'between', value: [2000, 3000] }, 4),
        tag('and-more', { all: [{ fact: 'amountFen', op: 'gt', value: 1000 }, { fact: 'channel', op: 'eq', value: 'jd' }] }, 5),
        tag('or-part', { any: [{ fact: 'amountFen', op: 'gte', value: 5000 }, { fact: 'vipLevel', op: 'gte', value: 3 }] }, 6),
        { id: 'other-stage', stage: 'priority', order: 7, when: { fact: 'amountFen', op: 'gte', value: 5000 }, then: [{ type: 'add_priority', value: 1 }] },
      ]),
    ).toEqual([
      ['bigger', 'shadowed', 'big-stop'],
      ['range-inside', 'shadowed', 'big-stop'],
      ['and-more', 'shadowed', 'big-stop'],
    ]);
  });

  it('finds every later rule of the stage shadowed by an unconditional stop, and none of another stage or before it', () => {
    expect(
      findings([
        tag('before', { fact: 'amountFen', op: 'gte', value: 1 }, 1),
        stopper('stop-all', undefined, 5),
        tag('after', { fact: 'amountFen', op: 'gte', value: 1 }, 6),
        tag('after-always', undefined, 7),
        { id: 'prio', stage: 'priority', order: 8, then: [{ type: 'add_priority', value: 1 }] },
        { ...stopper('off', undefined, 0), enabled: false },
      ]),
    ).toEqual([
      ['after', 'shadowed', 'stop-all'],
      ['after-always', 'shadowed', 'stop-all'],
    ]);
  });

  it('does not call a rule shadowed when it also fires where the stopper does not (no promise)', () => {
    const rules: RuleIn[] = [stopper('far-stop', { fact: 'hoursToPromise', op: 'gte', value: 12 }, 1), tag('not-urgent', { not: { fact: 'hoursToPromise', op: 'lt', value: 12 } }, 2)];
    expect(findings(rules)).toEqual([]);
    const noPromise = facts();
    expect(noPromise.hoursToPromise).toBeUndefined();
    expect(firedIds(evaluateRules(compiled(rules), noPromise))).toEqual(['not-urgent']);
    // The other way round it is shadowed: wherever hoursToPromise >= 12, not (hoursToPromise < 12) holds too.
    const reversed: RuleIn[] = [stopper('not-urgent-stop', { not: { fact: 'hoursToPromise', op: 'lt', value: 12 } }, 1), tag('far', { fact: 'hoursToPromise', op: 'gte', value: 12 }, 2)];
    expect(findings(reversed)).toEqual([['far', 'shadowed', 'not-urgent-stop']]);
  });

  it('agrees with the evaluator: a shadowed rule never fires, an unshadowed one sometimes does', () => {
    const set = compiled([stopper('s', { fact: 'amountFen', op: 'gte', value: 1000 }, 1), tag('shadowed', { fact: 'amountFen', op: 'gte', value: 5000 }, 2), tag('free', { fact: 'amountFen', op: 'gte', value: 500 }, 3)]);
    let freeFired = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), (amountFen) => {
        const ids = firedIds(evaluateRules(set, facts({ amountFen })));
        expect(ids).not.toContain('shadowed');
        if (ids.includes('free')) freeFired++;
      }),
      { seed: 42, numRuns: 500, examples: [[500], [999], [1000], [5000]] },
    );
    expect(freeFired).toBeGreaterThan(0);
  });
});
