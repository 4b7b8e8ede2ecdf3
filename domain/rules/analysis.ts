// Static analysis of a rule set: rules whose condition can never hold, and rules an earlier rule of the same
// stage always stops first. Conditions are brought to a disjunction of conjunctions of comparisons; a
// conjunction is checked fact by fact (number intervals, closed value sets). What cannot be reasoned about
// (list facts, very large conditions) is never reported: the analysis names only what it can prove.
import { FACTS, type FactName } from './facts.js';
import { describe } from './evaluate.js';
import type { Condition, FactCondition, Rule, RuleSetInput, RuleStage } from './schema.js';

/** A comparison, possibly negated where no positive form exists (`exists`, list facts). */
interface Atom {
  readonly c: FactCondition;
  readonly negated: boolean;
}
type Term = readonly Atom[];

const MAX_TERMS = 64;

export interface RuleFinding {
  readonly ruleId: string;
  readonly stage: RuleStage;
  readonly kind: 'never_fires' | 'shadowed';
  /** The earlier rule that always stops evaluation before this one (shadowed only). */
  readonly by?: string;
  readonly message: string;
}

/** Pushes negations down to the comparisons and expands to at most MAX_TERMS conjunctions (undefined: too big). */
function dnf(c: Condition | undefined, negate = false): Term[] | undefined {
  if (!c) return negate ? [] : [[]];
  if ('not' in c) return dnf(c.not, !negate);
  if ('all' in c || 'any' in c) {
    const parts = 'all' in c ? c.all : c.any;
    const conjunctive = 'all' in c !== negate;
    const expanded = parts.map((p) => dnf(p, negate));
    if (expanded.some((e) => e === undefined)) return undefined;
    const terms = expanded as Term[][];
    if (!conjunctive) {
      const union = terms.flat();
      return union.length > MAX_TERMS ? undefined : union;
    }
    let product: Term[] = [[]];
    for (const t of terms) {
      const next: Term[] = [];
      for (const a of product) for (const b of t) next.push([...a, ...b]);
      if (next.length > MAX_TERMS) return undefined;
      product = next;
    }
    return product;
  }
  return negate ? negateComparison(c) : [[{ c, negated: false }]];
}

/** Facts an order may lack (no promise: no hoursToPromise); an ordering comparison with an absent fact fails. */
const OPTIONAL_FACTS: ReadonlySet<FactName> = new Set(['hoursToPromise']);

function negateComparison(c: FactCondition): Term[] {
  const flip: Partial<Record<FactCondition['op'], FactCondition['op']>> = { eq: 'ne', ne: 'eq', gt: 'lte', gte: 'lt', lt: 'gte', lte: 'gt', in: 'not_in', not_in: 'in' };
  const op = flip[c.op];
  // not (x < 12) also holds when x is absent, where x >= 12 does not: that case stays a term of its own.
  const absent: Term[] = OPTIONAL_FACTS.has(c.fact) ? [[{ c: { fact: c.fact, op: 'exists' }, negated: true }]] : [];
  if (op) return [[{ c: { ...c, op }, negated: false }], ...(['gt', 'gte', 'lt', 'lte'].includes(c.op) ? absent : [])];
  if (c.op === 'between' && FACTS[c.fact].type === 'number') {
    const [low, high] = c.value as [number, number];
    if (low <= high) return [[{ c: { fact: c.fact, op: 'lt', value: low }, negated: false }], [{ c: { fact: c.fact, op: 'gt', value: high }, negated: false }], ...absent];
  }
  return [[{ c, negated: true }]];
}

/** What a conjunction allows of one fact: an interval for numbers, a value set for closed or equality-bound facts. */
interface FactBounds {
  low: number;
  lowOpen: boolean;
  high: number;
  highOpen: boolean;
  /** Undefined: any value of the fact's domain. */
  allowed?: Set<unknown>;
  excluded: Set<unknown>;
  /** Comparisons kept as they are (list facts, negated forms), compared by their JSON. */
  opaque: Set<string>;
}

function domainOf(fact: FactName): Set<unknown> | undefined {
  const spec = FACTS[fact];
  if (spec.type === 'boolean') return new Set([true, false]);
  if ('values' in spec) return new Set(spec.values);
  return undefined;
}

function boundsOf(term: Term): Map<FactName, FactBounds> {
  const map = new Map<FactName, FactBounds>();
  for (const { c, negated } of term) {
    let b = map.get(c.fact);
    if (!b) {
      const spec = FACTS[c.fact];
      const [low, high] = 'range' in spec ? spec.range : [-Infinity, Infinity];
      const domain = domainOf(c.fact);
      b = { low, high, lowOpen: false, highOpen: false, excluded: new Set(), opaque: new Set(), ...(domain ? { allowed: domain } : {}) };
      map.set(c.fact, b);
    }
    const numeric = FACTS[c.fact].type === 'number';
    if (negated || (!numeric && ['gt', 'gte', 'lt', 'lte', 'between'].includes(c.op)) || FACTS[c.fact].type === 'strings' || c.op === 'exists') {
      b.opaque.add(JSON.stringify({ c, negated }));
      continue;
    }
    const v = c.value;
    const narrow = (values: unknown[]) => {
      b.allowed = new Set((b.allowed ? [...b.allowed] : values).filter((x) => values.includes(x)));
    };
    switch (c.op) {
      case 'eq':
        narrow([v]);
        break;
      case 'in':
        narrow(v as unknown[]);
        break;
      case 'ne':
        b.excluded.add(v);
        break;
      case 'not_in':
        (v as unknown[]).forEach((x) => b.excluded.add(x));
        break;
      case 'gt':
      case 'gte':
        if ((v as number) > b.low || ((v as number) === b.low && c.op === 'gt')) {
          b.low = v as number;
          b.lowOpen = c.op === 'gt';
        }
        break;
      case 'lt':
      case 'lte':
        if ((v as number) < b.high || ((v as number) === b.high && c.op === 'lt')) {
          b.high = v as number;
          b.highOpen = c.op === 'lt';
        }
        break;
      case 'between': {
        const [lo, hi] = v as [number, number];
        // low > high wraps around (localHour 22..6 is the night), as the evaluator reads it: not one interval.
        if (lo > hi) {
          b.opaque.add(JSON.stringify({ c, negated }));
          break;
        }
        if (lo > b.low) [b.low, b.lowOpen] = [lo, false];
        if (hi < b.high) [b.high, b.highOpen] = [hi, false];
        break;
      }
      default:
        b.opaque.add(JSON.stringify({ c, negated }));
    }
  }
  return map;
}

function inInterval(x: number, b: FactBounds): boolean {
  return (b.lowOpen ? x > b.low : x >= b.low) && (b.highOpen ? x < b.high : x <= b.high);
}

function satisfiable(term: Term): boolean {
  for (const [fact, b] of boundsOf(term)) {
    const numeric = FACTS[fact].type === 'number';
    if (numeric && (b.low > b.high || (b.low === b.high && (b.lowOpen || b.highOpen)))) return false;
    if (b.allowed) {
      const left = [...b.allowed].filter((x) => !b.excluded.has(x) && (!numeric || inInterval(x as number, b)));
      if (left.length === 0) return false;
    }
  }
  return true;
}

/** Whether every order the conjunction `t` admits also satisfies the conjunction `u`. */
function implies(t: Term, u: Term): boolean {
  if (!satisfiable(t)) return true;
  const tb = boundsOf(t);
  for (const [fact, ub] of boundsOf(u)) {
    const b = tb.get(fact);
    if (!b) {
      // `t` says nothing of this fact: `u` must not restrict it beyond its domain.
      const spec = FACTS[fact];
      const [low, high] = 'range' in spec ? spec.range : [-Infinity, Infinity];
      if (ub.opaque.size || ub.excluded.size || ub.low > low || ub.high < high || ub.lowOpen || ub.highOpen) return false;
      const domain = domainOf(fact);
      if (ub.allowed && (!domain || [...domain].some((x) => !ub.allowed!.has(x)))) return false;
      continue;
    }
    for (const o of ub.opaque) if (!b.opaque.has(o)) return false;
    if (FACTS[fact].type === 'number') {
      const lowOk = b.low > ub.low || (b.low === ub.low && (b.lowOpen || !ub.lowOpen));
      const highOk = b.high < ub.high || (b.high === ub.high && (b.highOpen || !ub.highOpen));
      if (!lowOk || !highOk) {
        // An integer-valued equality set may still fit inside.
        if (!b.allowed || ![...b.allowed].every((x) => inInterval(x as number, ub))) return false;
      }
    }
    if (ub.allowed || ub.excluded.size) {
      const values = b.allowed ? [...b.allowed].filter((x) => !b.excluded.has(x)) : undefined;
      if (!values) return false;
      if (values.some((x) => (ub.allowed && !ub.allowed.has(x)) || ub.excluded.has(x))) return false;
    }
  }
  return true;
}

/** Whether the condition can hold for some order (false only when that is proven). */
export function canFire(c: Condition | undefined): boolean {
  const terms = dnf(c);
  return terms === undefined || terms.some(satisfiable);
}

/** Whether `b` holding proves `a` holds (false when it cannot be proven). */
export function conditionImplies(b: Condition | undefined, a: Condition | undefined): boolean {
  const tb = dnf(b);
  const ta = dnf(a);
  if (!tb || !ta) return false;
  return tb.every((t) => !satisfiable(t) || ta.some((u) => implies(t, u)));
}

/**
 * Finds enabled rules that can never fire (their condition contradicts itself or a fact's range) and rules
 * shadowed by an earlier enabled rule of the same stage that stops evaluation whenever they would fire.
 *
 * @example analyseRuleSet({ rules: [{ id: 'a', stage: 'review', order: 1, enabled: true, when: { all: [{ fact: 'amountFen', op: 'gt', value: 100 }, { fact: 'amountFen', op: 'lt', value: 50 }] }, then: [{ type: 'tag', tag: 'x' }] }], settings }) // [{ ruleId: 'a', kind: 'never_fires', ... }]
 */
export function analyseRuleSet(set: Pick<RuleSetInput, 'rules'>): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const ordered = set.rules
    .map((rule, index) => ({ rule, index }))
    .filter((x) => x.rule.enabled)
    .sort((a, b) => a.rule.order - b.rule.order || a.index - b.index)
    .map((x) => x.rule);
  const stoppers: Rule[] = [];
  for (const rule of ordered) {
    if (!canFire(rule.when)) {
      findings.push({ ruleId: rule.id, stage: rule.stage, kind: 'never_fires', message: `its condition can never hold: ${rule.when ? describe(rule.when) : 'always'}` });
      continue;
    }
    const by = stoppers.find((s) => s.stage === rule.stage && conditionImplies(rule.when, s.when));
    if (by) {
      findings.push({
        ruleId: rule.id,
        stage: rule.stage,
        kind: 'shadowed',
        by: by.id,
        message: `${by.id} fires and stops the ${rule.stage} stage whenever this rule would fire`,
      });
    }
    if (rule.then.some((a) => a.type === 'stop')) stoppers.push(rule);
  }
  return findings;
}
