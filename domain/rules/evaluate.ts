import type { FactName, OrderFacts } from './facts.js';
import type { Condition, FactCondition, ReviewExceptionType, Rule, RuleAction, RuleSet, RuleStage } from './schema.js';

type Test = (facts: OrderFacts) => boolean;

/** A rule with its condition compiled to a closure: a rule set is compiled once and evaluated per order. */
interface CompiledRule {
  readonly rule: Rule;
  readonly test: Test;
}

export interface CompiledRuleSet {
  readonly version: number;
  readonly stages: Readonly<Record<RuleStage, readonly CompiledRule[]>>;
  readonly source: RuleSet;
}

/** Why a rule fired, for the decision log: the rule, the set's version, the comparisons that held, what it did. */
export interface RuleHit {
  readonly ruleId: string;
  readonly ruleSetVersion: number;
  readonly stage: RuleStage;
  readonly why: string;
  readonly actions: readonly string[];
}

export type Verdict =
  | { readonly kind: 'approve' }
  | { readonly kind: 'manual_review'; readonly reasons: readonly string[] }
  | { readonly kind: 'hold'; readonly reason: string; readonly minutes?: number }
  | { readonly kind: 'reject'; readonly reason: string };

/** What the rules decided about one order, stage by stage. */
export interface RuleEvaluation {
  readonly ruleSetVersion: number;
  readonly verdict: Verdict;
  readonly tags: readonly string[];
  readonly priority: number;
  readonly merge: { readonly neverMerge: boolean; readonly holdWindowSeconds?: number };
  readonly split: { readonly maxExpressWeightG?: number };
  readonly carrier: { readonly choose?: readonly string[]; readonly exclude: readonly string[]; readonly highValueFen?: number };
  readonly allocation: { readonly excludeWarehouses: readonly string[]; readonly reservationAttempts: number };
  readonly fired: readonly RuleHit[];
  /** Exceptions the fired review rules open beside the verdict, each with the reason of its rule. */
  readonly exceptions: readonly { readonly type: ReviewExceptionType; readonly reason: string }[];
}

/** Without a rule saying otherwise an order may try to reserve its plan this many times. */
export const DEFAULT_RESERVATION_ATTEMPTS = 3;

const SEVERITY: Record<Verdict['kind'], number> = { approve: 0, manual_review: 1, hold: 2, reject: 3 };

/**
 * Compiles a rule set: enabled rules only, grouped by stage, in their `order` (ties keep the list's order).
 *
 * @example compileRuleSet(DEFAULT_RULE_SET).stages.review.length // the enabled review rules
 */
export function compileRuleSet(set: RuleSet): CompiledRuleSet {
  const stages: Record<RuleStage, CompiledRule[]> = { review: [], priority: [], merge: [], split: [], carrier: [], allocation: [] };
  set.rules
    .map((rule, index) => ({ rule, index }))
    .filter((x) => x.rule.enabled)
    .sort((a, b) => a.rule.order - b.rule.order || a.index - b.index)
    .forEach(({ rule }) => stages[rule.stage].push({ rule, test: rule.when ? compile(rule.when) : () => true }));
  return { version: set.version, stages, source: set };
}

function compile(c: Condition): Test {
  if ('all' in c) {
    const parts = c.all.map(compile);
    return (f) => parts.every((t) => t(f));
  }
  if ('any' in c) {
    const parts = c.any.map(compile);
    return (f) => parts.some((t) => t(f));
  }
  if ('not' in c) {
    const inner = compile(c.not);
    return (f) => !inner(f);
  }
  return compileComparison(c);
}

function compileComparison(c: FactCondition): Test {
  const { fact, value } = c;
  const read = (f: OrderFacts): unknown => f[fact];
  switch (c.op) {
    case 'exists':
      return (f) => {
        const v = read(f);
        return v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);
      };
    case 'eq':
      return (f) => read(f) === value;
    case 'ne':
      return (f) => read(f) !== value;
    case 'gt':
      return (f) => (read(f) as number) > (value as number);
    case 'gte':
      return (f) => (read(f) as number) >= (value as number);
    case 'lt':
      return (f) => (read(f) as number) < (value as number);
    case 'lte':
      return (f) => (read(f) as number) <= (value as number);
    case 'between': {
      const [low, high] = value as [number | string, number | string];
      // A time window that crosses midnight ("22:00".."06:00") holds outside the day part it leaves out.
      if (low > high) return (f) => (read(f) as number | string) >= low || (read(f) as number | string) <= high;
      return (f) => (read(f) as number | string) >= low && (read(f) as number | string) <= high;
    }
    case 'in': {
      const set = new Set(value as unknown[]);
      return (f) => set.has(read(f));
    }
    case 'not_in': {
      const set = new Set(value as unknown[]);
      return (f) => !set.has(read(f));
    }
    case 'contains':
      return (f) => ((read(f) as readonly string[] | undefined) ?? []).includes(value as string);
    case 'contains_any': {
      const set = new Set(value as unknown[]);
      return (f) => ((read(f) as readonly string[] | undefined) ?? []).some((x) => set.has(x));
    }
  }
}

/**
 * Explains why a condition holds for these facts: the comparisons that made it true, with the order's values.
 *
 * @example explain({ fact: 'amountFen', op: 'gte', value: 500000 }, facts) // 'amountFen 650000 gte 500000'
 */
export function explain(c: Condition | undefined, facts: OrderFacts): string {
  if (!c) return 'applies to every order';
  if ('all' in c) return c.all.length ? c.all.map((x) => explain(x, facts)).join(' and ') : 'applies to every order';
  if ('any' in c) {
    const hit = c.any.find((x) => compile(x)(facts));
    return hit ? explain(hit, facts) : 'none of any';
  }
  // A negation held because its comparisons did not: name the values they saw.
  if ('not' in c) {
    const seen = factsIn(c.not).map((f) => `${f} ${JSON.stringify(facts[f] ?? null)}`);
    return `not (${describe(c.not)})${seen.length ? ` with ${seen.join(', ')}` : ''}`;
  }
  const actual = facts[c.fact];
  return `${c.fact} ${JSON.stringify(actual ?? null)} ${c.op}${c.value === undefined ? '' : ` ${JSON.stringify(c.value)}`}`;
}

/** The facts a condition reads, each once. */
function factsIn(c: Condition): FactName[] {
  if ('all' in c) return [...new Set(c.all.flatMap(factsIn))];
  if ('any' in c) return [...new Set(c.any.flatMap(factsIn))];
  if ('not' in c) return factsIn(c.not);
  return [c.fact];
}

/** A condition in words, without an order's values. */
export function describe(c: Condition): string {
  if ('all' in c) return c.all.map(describe).join(' and ') || 'always';
  if ('any' in c) return `(${c.any.map(describe).join(' or ')})`;
  if ('not' in c) return `not (${describe(c.not)})`;
  return `${c.fact} ${c.op}${c.value === undefined ? '' : ` ${JSON.stringify(c.value)}`}`;
}

function actionText(a: RuleAction): string {
  const { type, ...rest } = a;
  const args = Object.values(rest);
  return args.length ? `${type}(${args.map((x) => (Array.isArray(x) ? x.join('|') : String(x))).join(', ')})` : type;
}

/**
 * Runs every stage of a compiled rule set over one order's facts. Within a stage the enabled rules run in
 * their order; every rule whose condition holds fires, its actions apply in turn, and a `stop` ends the stage.
 * Review: the most severe verdict of the fired rules wins (reject > hold > manual review > approve), manual
 * review reasons add up, tags are visible to later rules as the `tags` fact; no verdict means approve.
 * Priority: `set_priority` replaces, `add_priority` adds (from 0). Merge, split, carrier and allocation: a later
 * rule's setting replaces an earlier one's; carrier and warehouse exclusions add up. A stage without a rule
 * that fires sets no constraint (reservation attempts: `DEFAULT_RESERVATION_ATTEMPTS`).
 *
 * @example evaluateRules(compileRuleSet(DEFAULT_RULE_SET), facts).verdict // { kind: 'approve' }
 */
export function evaluateRules(set: CompiledRuleSet, input: OrderFacts): RuleEvaluation {
  const facts: OrderFacts = { ...input, tags: [...input.tags] };
  const fired: RuleHit[] = [];
  let verdict: Verdict = { kind: 'approve' };
  const manualReasons: string[] = [];
  const tags = facts.tags as string[];
  let priority = 0;
  let neverMerge = false;
  let holdWindowSeconds: number | undefined;
  let maxExpressWeightG: number | undefined;
  let choose: readonly string[] | undefined;
  const excludeCarriers = new Set<string>();
  let highValueFen: number | undefined;
  const excludeWarehouses = new Set<string>();
  let reservationAttempts = DEFAULT_RESERVATION_ATTEMPTS;

  const raise = (next: Verdict) => {
    if (SEVERITY[next.kind] > SEVERITY[verdict.kind]) verdict = next;
  };
  const exceptions: { type: ReviewExceptionType; reason: string }[] = [];
  const openException = (a: { reason: string; exception?: ReviewExceptionType | undefined }) => {
    if (a.exception && !exceptions.some((x) => x.type === a.exception)) exceptions.push({ type: a.exception, reason: a.reason });
  };

  for (const stage of ['review', 'priority', 'merge', 'split', 'carrier', 'allocation'] as const) {
    for (const { rule, test } of set.stages[stage]) {
      if (!test(facts)) continue;
      fired.push({ ruleId: rule.id, ruleSetVersion: set.version, stage, why: explain(rule.when, facts), actions: rule.then.map(actionText) });
      let stop = false;
      for (const a of rule.then) {
        switch (a.type) {
          case 'approve':
            break;
          case 'manual_review':
            manualReasons.push(a.reason);
            raise({ kind: 'manual_review', reasons: manualReasons });
            openException(a);
            break;
          case 'hold':
            raise({ kind: 'hold', reason: a.reason, ...(a.minutes !== undefined ? { minutes: a.minutes } : {}) });
            openException(a);
            break;
          case 'reject':
            raise({ kind: 'reject', reason: a.reason });
            openException(a);
            break;
          case 'tag':
            if (!tags.includes(a.tag)) tags.push(a.tag);
            break;
          case 'stop':
            stop = true;
            break;
          case 'set_priority':
            priority = a.value;
            break;
          case 'add_priority':
            priority += a.value;
            break;
          case 'hold_window':
            holdWindowSeconds = a.seconds;
            break;
          case 'never_merge':
            neverMerge = true;
            break;
          case 'split_thresholds':
            maxExpressWeightG = a.maxExpressWeightG;
            break;
          case 'choose_carrier':
            choose = a.carriers;
            break;
          case 'exclude_carrier':
            a.carriers.forEach((c) => excludeCarriers.add(c));
            break;
          case 'premium_from':
            highValueFen = a.valueFen;
            break;
          case 'exclude_warehouses':
            a.warehouses.forEach((w) => excludeWarehouses.add(w));
            break;
          case 'reservation_attempts':
            reservationAttempts = a.attempts;
            break;
        }
      }
      if (stop) break;
    }
  }
  // (assigned inside `raise`, which the compiler does not follow)
  if ((verdict as Verdict).kind === 'manual_review') verdict = { kind: 'manual_review', reasons: [...manualReasons] };
  return {
    ruleSetVersion: set.version,
    verdict,
    tags: [...tags],
    priority,
    merge: { neverMerge, ...(holdWindowSeconds !== undefined ? { holdWindowSeconds } : {}) },
    split: maxExpressWeightG !== undefined ? { maxExpressWeightG } : {},
    carrier: { ...(choose ? { choose: [...choose] } : {}), exclude: [...excludeCarriers], ...(highValueFen !== undefined ? { highValueFen } : {}) },
    allocation: { excludeWarehouses: [...excludeWarehouses], reservationAttempts },
    fired,
    exceptions,
  };
}
