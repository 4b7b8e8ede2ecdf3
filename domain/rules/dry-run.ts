// A rule set's dry run: the same orders' facts through the published set and a draft, and what would change.
// Pure: the caller reads the orders and their context and builds the facts (order-facts.ts); this compares.
import { DEFAULT_PRICING_CONFIG, type PricingConfig } from '../pricing/types.js';
import { analyseRuleSet, type RuleFinding } from './analysis.js';
import { DEFAULT_ROUTINE_REMARKS } from './defaults.js';
import { evaluateRules, type CompiledRuleSet, type RuleEvaluation, type Verdict } from './evaluate.js';
import type { OrderFacts } from './facts.js';
import { RULE_STAGES, type RuleSetInput, type RuleStage } from './schema.js';

/** One order of the dry run. `draftFacts`: the facts under the draft's settings when they differ from the base's. */
export interface DryRunOrder {
  readonly orderId: string;
  readonly facts: OrderFacts;
  readonly draftFacts?: OrderFacts;
}

/** What a rule set decided about an order, as the dry run shows it. */
export interface DryRunOutcome {
  readonly verdict: Verdict;
  readonly priority: number;
  readonly tags: readonly string[];
  readonly merge: RuleEvaluation['merge'];
  readonly carrier: RuleEvaluation['carrier'];
  readonly split: RuleEvaluation['split'];
  readonly allocation: RuleEvaluation['allocation'];
  /** The rules that fired, in evaluation order (not compared: the outcome is). */
  readonly fired: readonly string[];
}

/**
 * What differs between two outcomes. `verdict`: its kind (approve, manual review, hold, reject); `reasons`: the
 * same kind for other reasons (manual-review reasons, hold reason or minutes, reject reason).
 */
export const OUTCOME_FIELDS = ['verdict', 'reasons', 'priority', 'tags', 'merge', 'split', 'carrier', 'allocation'] as const;
export type OutcomeField = (typeof OUTCOME_FIELDS)[number];

export interface DryRunChange {
  readonly orderId: string;
  readonly before: DryRunOutcome;
  readonly after: DryRunOutcome;
  readonly changed: readonly OutcomeField[];
}

export interface DryRunTotals {
  readonly approvedBefore: number;
  readonly approvedAfter: number;
  readonly manualBefore: number;
  readonly manualAfter: number;
  readonly heldBefore: number;
  readonly heldAfter: number;
  readonly rejectedBefore: number;
  readonly rejectedAfter: number;
  /** Orders with any change. */
  readonly changed: number;
}

/** What the period showed of a draft's rules (beside what `analyseRuleSet` proves of them). */
export interface PeriodFinding {
  readonly ruleId: string;
  readonly stage: RuleStage;
  /**
   * `never_fired_in_period`: its condition held on none of the orders; `shadowed_in_period`: it held on some but
   * an earlier rule stopped the stage each time.
   */
  readonly kind: 'never_fired_in_period' | 'shadowed_in_period';
  readonly message: string;
  /** shadowed_in_period: orders on which the condition held. */
  readonly orders?: number;
  /** shadowed_in_period: the rules that stopped the stage first, with on how many of those orders. */
  readonly stoppedBy?: readonly { readonly ruleId: string; readonly orders: number }[];
}

export type DryRunFinding = RuleFinding | PeriodFinding;

export interface DryRunComparison {
  readonly orders: number;
  /** Only the orders where something changed, in the order given. */
  readonly changes: DryRunChange[];
  readonly totals: DryRunTotals;
  /** What `analyseRuleSet` proves of the draft, then what the period showed of its other rules. */
  readonly findings: DryRunFinding[];
}

/** The parts of a rule set's settings the facts depend on (with the defaults the review uses when absent). */
export interface FactSettings {
  readonly pricing: PricingConfig;
  readonly routineRemarks: readonly string[];
}

/**
 * The settings an order's facts are built with under this rule set: its price rules and routine remarks, or
 * the defaults.
 *
 * @example factSettingsOf({ settings: { reviewSlaMinutes: 120 } }).pricing // DEFAULT_PRICING_CONFIG
 */
export function factSettingsOf(set: Pick<RuleSetInput, 'settings'>): FactSettings {
  return { pricing: set.settings.pricing ?? DEFAULT_PRICING_CONFIG, routineRemarks: set.settings.routineRemarks ?? DEFAULT_ROUTINE_REMARKS };
}

/**
 * Whether two rule sets give an order the same facts, so the dry run builds them once.
 *
 * @example sameFactSettings(DEFAULT_RULE_SET, DEFAULT_RULE_SET) // true
 */
export function sameFactSettings(a: Pick<RuleSetInput, 'settings'>, b: Pick<RuleSetInput, 'settings'>): boolean {
  return canonical(factSettingsOf(a)) === canonical(factSettingsOf(b));
}

/** JSON with object keys sorted, so equal values give equal text. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

const sorted = (xs: readonly string[]) => [...xs].sort();

function outcomeOf(e: RuleEvaluation): DryRunOutcome {
  return {
    verdict: e.verdict,
    priority: e.priority,
    tags: [...e.tags],
    merge: e.merge,
    carrier: e.carrier,
    split: e.split,
    allocation: e.allocation,
    fired: e.fired.map((h) => h.ruleId),
  };
}

/** The fields whose values differ. Lists whose order means nothing (tags, exclusions) are compared as sets. */
function differences(a: DryRunOutcome, b: DryRunOutcome): OutcomeField[] {
  const verdictDetail = (v: Verdict) => {
    const { kind: _kind, ...rest } = v;
    return canonical('reasons' in rest ? { ...rest, reasons: sorted(rest.reasons) } : rest);
  };
  const carrier = (c: DryRunOutcome['carrier']) => canonical({ ...c, exclude: sorted(c.exclude) });
  const allocation = (x: DryRunOutcome['allocation']) => canonical({ ...x, excludeWarehouses: sorted(x.excludeWarehouses) });
  const changed: OutcomeField[] = [];
  if (a.verdict.kind !== b.verdict.kind) changed.push('verdict');
  else if (verdictDetail(a.verdict) !== verdictDetail(b.verdict)) changed.push('reasons');
  if (a.priority !== b.priority) changed.push('priority');
  if (canonical(sorted(a.tags)) !== canonical(sorted(b.tags))) changed.push('tags');
  if (canonical(a.merge) !== canonical(b.merge)) changed.push('merge');
  if (canonical(a.split) !== canonical(b.split)) changed.push('split');
  if (carrier(a.carrier) !== carrier(b.carrier)) changed.push('carrier');
  if (allocation(a.allocation) !== allocation(b.allocation)) changed.push('allocation');
  return changed;
}

/**
 * Calls `onShadowed(ruleId, stopperId)` for each rule of `set` that a `stop` kept from being evaluated on this
 * order although its condition held. The condition is tested with the facts as the stage saw them when it
 * stopped (tags of the rules fired up to then).
 */
function findShadowed(set: CompiledRuleSet, facts: OrderFacts, e: RuleEvaluation, onShadowed: (ruleId: string, stopperId: string) => void): void {
  const fired = new Set(e.fired.map((h) => h.ruleId));
  const tags = [...facts.tags];
  for (const stage of RULE_STAGES) {
    const rules = set.stages[stage];
    let stopAt = -1;
    for (let i = 0; i < rules.length; i++) {
      const { rule } = rules[i]!;
      if (!fired.has(rule.id)) continue;
      for (const a of rule.then) if (a.type === 'tag' && !tags.includes(a.tag)) tags.push(a.tag);
      if (rule.then.some((a) => a.type === 'stop')) {
        stopAt = i;
        break;
      }
    }
    if (stopAt < 0) continue;
    const seen: OrderFacts = { ...facts, tags: [...tags] };
    const stopper = rules[stopAt]!.rule.id;
    for (const { rule, test } of rules.slice(stopAt + 1)) if (test(seen)) onShadowed(rule.id, stopper);
  }
}

/**
 * Runs every order's facts through the base (published) set and the draft and compares the outcomes: the
 * orders whose outcome changes, the verdict totals before and after, and the findings on the draft: what
 * `analyseRuleSet` proves, and, over these orders, its enabled rules that never fired, either because their
 * condition never held (`never_fired_in_period`) or because an earlier rule always stopped the stage first
 * (`shadowed_in_period`, with counts). A rule the static analysis already reports is not reported again;
 * without orders there are no period findings.
 *
 * @example compareRuleSets(compileRuleSet(published), compileRuleSet({ ...draft, version: 0 }), [{ orderId, facts }]).totals.changed // 0 or 1
 */
export function compareRuleSets(base: CompiledRuleSet, draft: CompiledRuleSet, orders: Iterable<DryRunOrder>): DryRunComparison {
  const changes: DryRunChange[] = [];
  const count = { approve: [0, 0], manual_review: [0, 0], hold: [0, 0], reject: [0, 0] } satisfies Record<Verdict['kind'], [number, number]>;
  const firedCount = new Map<string, number>();
  const shadowed = new Map<string, Map<string, number>>();
  let n = 0;
  for (const o of orders) {
    n++;
    const draftFacts = o.draftFacts ?? o.facts;
    const beforeEval = evaluateRules(base, o.facts);
    const afterEval = evaluateRules(draft, draftFacts);
    count[beforeEval.verdict.kind][0]++;
    count[afterEval.verdict.kind][1]++;
    for (const h of afterEval.fired) firedCount.set(h.ruleId, (firedCount.get(h.ruleId) ?? 0) + 1);
    findShadowed(draft, draftFacts, afterEval, (ruleId, by) => {
      const m = shadowed.get(ruleId) ?? new Map<string, number>();
      m.set(by, (m.get(by) ?? 0) + 1);
      shadowed.set(ruleId, m);
    });
    const before = outcomeOf(beforeEval);
    const after = outcomeOf(afterEval);
    const changed = differences(before, after);
    if (changed.length) changes.push({ orderId: o.orderId, before, after, changed });
  }

  const findings: DryRunFinding[] = analyseRuleSet(draft.source);
  if (n > 0) {
    const reported = new Set(findings.map((f) => f.ruleId));
    for (const stage of RULE_STAGES) {
      for (const { rule } of draft.stages[stage]) {
        if (reported.has(rule.id) || firedCount.has(rule.id)) continue;
        const by = shadowed.get(rule.id);
        if (!by) {
          findings.push({ ruleId: rule.id, stage, kind: 'never_fired_in_period', message: `fired on none of the ${n} orders: its condition held on none of them` });
          continue;
        }
        // Each order is stopped by one rule per stage, so the counts add up to the orders shadowed.
        const stoppedBy = [...by].map(([ruleId, orders]) => ({ ruleId, orders })).sort((a, b) => b.orders - a.orders || (a.ruleId < b.ruleId ? -1 : 1));
        const orders = stoppedBy.reduce((s, x) => s + x.orders, 0);
        findings.push({
          ruleId: rule.id,
          stage,
          kind: 'shadowed_in_period',
          message: `its condition held on ${orders} of the ${n} orders, but ${stoppedBy.map((s) => `${s.ruleId} (${s.orders})`).join(', ')} stopped the ${stage} stage first every time`,
          orders,
          stoppedBy,
        });
      }
    }
  }

  return {
    orders: n,
    changes,
    totals: {
      approvedBefore: count.approve[0],
      approvedAfter: count.approve[1],
      manualBefore: count.manual_review[0],
      manualAfter: count.manual_review[1],
      heldBefore: count.hold[0],
      heldAfter: count.hold[1],
      rejectedBefore: count.reject[0],
      rejectedAfter: count.reject[1],
      changed: changes.length,
    },
    findings,
  };
}
