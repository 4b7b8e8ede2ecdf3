import { z } from 'zod';
import { pricingConfig } from '../pricing/schema.js';
import { FACTS, FACT_NAMES, type FactName } from './facts.js';

/** The stages a rule can belong to: each decides one thing about an order. */
export const RULE_STAGES = ['review', 'priority', 'merge', 'split', 'carrier', 'allocation'] as const;
export type RuleStage = (typeof RULE_STAGES)[number];

export const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'contains', 'contains_any', 'exists'] as const;
export type Operator = (typeof OPERATORS)[number];

const scalar = z.union([z.string().max(200), z.number(), z.boolean()]);

/** One comparison of a fact with a value, e.g. `{ fact: 'amountFen', op: 'gte', value: 500000 }`. */
export const factCondition = z.strictObject({
  fact: z.enum(FACT_NAMES as [FactName, ...FactName[]]),
  op: z.enum(OPERATORS),
  /** A scalar for eq..lte; `[low, high]` (inclusive) for `between`; a list for in, not_in, contains_any; absent for exists. */
  value: z.union([scalar, z.array(scalar).max(500)]).optional(),
});
export type FactCondition = z.infer<typeof factCondition>;

export type Condition = FactCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export const condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    factCondition,
    z.strictObject({ all: z.array(condition).max(100) }),
    z.strictObject({ any: z.array(condition).max(100) }),
    z.strictObject({ not: condition }),
  ]),
);

const reason = z.string().trim().min(1).max(300);
const codes = z.array(z.string().trim().min(1).max(64)).min(1).max(100);

/** What a fired rule does, by stage. `stop` ends the stage's evaluation after this rule. */
export const ACTIONS_BY_STAGE = {
  review: ['approve', 'manual_review', 'hold', 'reject', 'tag', 'stop'],
  priority: ['set_priority', 'add_priority', 'tag', 'stop'],
  merge: ['hold_window', 'never_merge', 'stop'],
  split: ['split_thresholds', 'stop'],
  carrier: ['choose_carrier', 'exclude_carrier', 'premium_from', 'stop'],
  allocation: ['exclude_warehouses', 'reservation_attempts', 'stop'],
} as const satisfies Record<RuleStage, readonly string[]>;

/**
 * The exception a review rule may open beside its verdict, so the problem is in the exception queue with its
 * owner, SLA and suggestions (a price difference goes to finance, an address to customer service).
 */
export const REVIEW_EXCEPTION_TYPES = ['PRICE_MISMATCH', 'BLACKLISTED', 'ADDRESS_AMBIGUOUS', 'INCOMPLETE_INFO'] as const;
export type ReviewExceptionType = (typeof REVIEW_EXCEPTION_TYPES)[number];
const exception = z.enum(REVIEW_EXCEPTION_TYPES).optional().describe('Opens an exception of this type beside the verdict, resolved in the exception queue');

export const action = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('approve') }),
  z.strictObject({ type: z.literal('manual_review'), reason, exception }),
  /** Held: for `minutes` (then it goes on), or, without them, until a person decides. */
  z.strictObject({ type: z.literal('hold'), reason, minutes: z.number().int().min(1).max(60 * 24 * 30).optional(), exception }),
  z.strictObject({ type: z.literal('reject'), reason, exception }),
  z.strictObject({ type: z.literal('tag'), tag: z.string().trim().min(1).max(50) }),
  z.strictObject({ type: z.literal('stop') }),
  z.strictObject({ type: z.literal('set_priority'), value: z.number().int().min(-1000).max(1000) }),
  z.strictObject({ type: z.literal('add_priority'), value: z.number().int().min(-1000).max(1000) }),
  z.strictObject({ type: z.literal('hold_window'), seconds: z.number().int().min(0).max(7 * 24 * 3600) }),
  z.strictObject({ type: z.literal('never_merge') }),
  z.strictObject({ type: z.literal('split_thresholds'), maxExpressWeightG: z.number().int().min(1).max(10_000_000) }),
  z.strictObject({ type: z.literal('choose_carrier'), carriers: codes }),
  z.strictObject({ type: z.literal('exclude_carrier'), carriers: codes }),
  z.strictObject({ type: z.literal('premium_from'), valueFen: z.number().int().min(0) }),
  z.strictObject({ type: z.literal('exclude_warehouses'), warehouses: codes }),
  z.strictObject({ type: z.literal('reservation_attempts'), attempts: z.number().int().min(1).max(20) }),
]);
export type RuleAction = z.infer<typeof action>;
export type ActionType = RuleAction['type'];

const ruleId = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'rule ids may contain letters, digits, "_", "-" and "."');

export const rule = z.strictObject({
  id: ruleId,
  stage: z.enum(RULE_STAGES),
  /** Evaluation order within the stage, lowest first; ties keep the list's order. */
  order: z.number().int().min(0).max(1_000_000),
  enabled: z.boolean().default(true),
  description: z.string().max(500).optional(),
  /** Absent: the rule applies to every order. */
  when: condition.optional(),
  then: z.array(action).min(1).max(20),
});
export type Rule = z.infer<typeof rule>;

/** Settings of the rule set that are not conditional: the review SLA and the price rules. */
export const ruleSetSettings = z.strictObject({
  /** A pending manual review older than this escalates (log and an exception record). */
  reviewSlaMinutes: z.number().int().min(1).max(60 * 24 * 30).default(120),
  pricing: pricingConfig.optional(),
  /** Phrases a buyer remark may consist of and still need no person (请尽快发货, 谢谢, ...). */
  routineRemarks: z.array(z.string().trim().min(1).max(50)).max(200).optional(),
});
export type RuleSetSettings = z.infer<typeof ruleSetSettings>;

/** A rule set as an admin writes it (a draft); the server gives it a version when it is stored. */
export const ruleSetInput = z
  .strictObject({
    description: z.string().max(500).optional(),
    rules: z.array(rule).max(2000),
    settings: ruleSetSettings.default({ reviewSlaMinutes: 120 }),
  })
  .superRefine((set, ctx) => {
    const seen = new Set<string>();
    set.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `rule id ${r.id} appears twice` });
      seen.add(r.id);
      const allowed: readonly string[] = ACTIONS_BY_STAGE[r.stage];
      r.then.forEach((a, j) => {
        if (!allowed.includes(a.type)) {
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'then', j, 'type'], message: `${a.type} is not an action of the ${r.stage} stage (allowed: ${allowed.join(', ')})` });
        }
      });
      if (r.when) checkCondition(r.when, ['rules', i, 'when'], ctx);
    });
  });
export type RuleSetInput = z.infer<typeof ruleSetInput>;

/** A stored, immutable version of the rule set. */
export interface RuleSet extends RuleSetInput {
  readonly version: number;
}

type Path = (string | number)[];

/** Checks that each comparison fits its fact's type: a number with a number, a list where a list is due. */
function checkCondition(c: Condition, path: Path, ctx: z.RefinementCtx): void {
  if ('all' in c) return c.all.forEach((x, i) => checkCondition(x, [...path, 'all', i], ctx));
  if ('any' in c) return c.any.forEach((x, i) => checkCondition(x, [...path, 'any', i], ctx));
  if ('not' in c) return checkCondition(c.not, [...path, 'not'], ctx);
  const problem = comparisonProblem(c);
  if (problem) ctx.addIssue({ code: 'custom', path, message: `${c.fact} ${c.op}: ${problem}` });
}

function comparisonProblem(c: FactCondition): string | undefined {
  const type = FACTS[c.fact].type;
  const v = c.value;
  const scalarOf = (x: unknown) => (type === 'strings' ? 'string' : type) === typeof x;
  switch (c.op) {
    case 'exists':
      return v === undefined ? undefined : 'takes no value';
    case 'between':
      if (!Array.isArray(v) || v.length !== 2 || !v.every(scalarOf)) return `needs [low, high] of ${type}s`;
      return type === 'number' || c.fact === 'localTime' ? undefined : 'applies to numbers and localTime only';
    case 'in':
    case 'not_in':
    case 'contains_any':
      if (!Array.isArray(v) || !v.every(scalarOf)) return `needs a list of ${type === 'strings' ? 'string' : type}s`;
      if (c.op === 'contains_any' && type !== 'strings') return 'applies to list facts only';
      // `in` tests one value: on a list fact it would never hold (not_in: always), whatever the list says.
      if (c.op !== 'contains_any' && type === 'strings') return 'use contains_any on a list fact';
      return undefined;
    case 'contains':
      return type === 'strings' && typeof v === 'string' ? undefined : 'applies to list facts, with one string';
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return type === 'number' && typeof v === 'number' ? undefined : 'compares numbers only';
    case 'eq':
    case 'ne':
      if (type === 'strings') return 'use contains on a list fact';
      return scalarOf(v) ? undefined : `needs a ${type}`;
  }
}
