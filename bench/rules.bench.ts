/**
 * The review's cost per order: its facts (orderFacts, with the price check under a policy that has coupons and
 * 满减 tiers) and a 200-rule evaluation, beside an empty rule set evaluated in the same run over the same
 * stream of generated orders (bench/rules-data.ts). Also: the share of the stream DEFAULT_RULE_SET approves
 * with no person.
 *
 * Run: npm run bench:rules   (env: BENCH_ORDERS default 20000, BENCH_RULES default 200)
 */
import { cpus, loadavg } from 'node:os';
import {
  DEFAULT_RULE_SET,
  analyseRuleSet,
  compileRuleSet,
  evaluateRules,
  orderFacts,
  ruleSetInput,
  type OrderFacts,
  type RuleEvaluation,
} from '../domain/rules/index.js';
import { MIX, SHOP_PRICING, generatedRuleSet, orderStream, type StreamOrder } from './rules-data.js';
import { pct } from './stats.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 20_000);
const RULES = Number(process.env.BENCH_RULES ?? 200);
const WARM_UP = Math.min(ORDERS, 5_000);
const TARGET_P99_US = 1_000;

const clock = () => process.hrtime.bigint();
const us = (ns: bigint) => Number(ns) / 1000;

// Inputs, built before anything is timed.
const stream = orderStream(ORDERS);
const draft = generatedRuleSet(RULES);
let t = clock();
const parsed = ruleSetInput.parse(draft);
const parseUs = us(clock() - t);
t = clock();
const big = compileRuleSet({ ...parsed, version: 2 });
const compileUs = us(clock() - t);
t = clock();
const findings = analyseRuleSet(parsed);
const analyseUs = us(clock() - t);
const empty = compileRuleSet({ ...ruleSetInput.parse({ rules: [], settings: { pricing: SHOP_PRICING } }), version: 0 });
const defaults = compileRuleSet({ ...ruleSetInput.parse({ ...DEFAULT_RULE_SET, settings: { ...DEFAULT_RULE_SET.settings, pricing: SHOP_PRICING } }), version: 1 });
const given: OrderFacts[] = stream.map((s) => orderFacts(s.order, s.ctx));

// Keeps results alive so that no call is optimised away.
let sink = 0;
const keep = (e: RuleEvaluation) => (sink += e.fired.length + e.priority);

const variants = {
  baseline: (_s: StreamOrder, f: OrderFacts) => keep(evaluateRules(empty, f)),
  factsEmpty: (s: StreamOrder) => keep(evaluateRules(empty, orderFacts(s.order, s.ctx))),
  full: (s: StreamOrder) => keep(evaluateRules(big, orderFacts(s.order, s.ctx))),
  rulesOnly: (_s: StreamOrder, f: OrderFacts) => keep(evaluateRules(big, f)),
};
type Variant = keyof typeof variants;
const names = Object.keys(variants) as Variant[];

// Warm-up: every variant over the first orders, three times, so the timed passes run optimised code.
for (let round = 0; round < 3; round++) for (let i = 0; i < WARM_UP; i++) for (const v of names) variants[v](stream[i]!, given[i]!);

// Timed: per order, each variant in turn, so they share the machine's moments (GC, the other core's load).
const times: Record<Variant, number[]> = { baseline: [], factsEmpty: [], full: [], rulesOnly: [] };
for (let i = 0; i < ORDERS; i++) {
  const s = stream[i]!;
  const f = given[i]!;
  for (const v of names) {
    const t0 = clock();
    variants[v](s, f);
    times[v].push(us(clock() - t0));
  }
}

const stat = (xs: readonly number[]) => ({ p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs), mean: xs.reduce((a, b) => a + b, 0) / xs.length });
const s = Object.fromEntries(names.map((v) => [v, stat(times[v])])) as Record<Variant, ReturnType<typeof stat>>;
const fmt = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const line = (label: string, v: Variant, extra = '') =>
  console.log(`  ${label.padEnd(50)} p50 ${fmt(s[v].p50).padStart(6)} us  p99 ${fmt(s[v].p99).padStart(6)} us  max ${fmt(s[v].max).padStart(6)} us  mean ${fmt(s[v].mean).padStart(6)} us${extra}`);

// What the 200 rules did, and the default rule set's verdicts over the stream.
const fired = given.map((f) => evaluateRules(big, f).fired.length);
const verdicts = new Map<string, number>();
const reasons = new Map<string, number>();
for (const f of given) {
  const e = evaluateRules(defaults, f);
  verdicts.set(e.verdict.kind, (verdicts.get(e.verdict.kind) ?? 0) + 1);
  for (const h of e.fired) if (h.stage === 'review' && h.ruleId !== 'review.stock') reasons.set(h.ruleId, (reasons.get(h.ruleId) ?? 0) + 1);
}
const traits = new Map<string, number>();
for (const o of stream) for (const tr of o.traits) traits.set(tr, (traits.get(tr) ?? 0) + 1);
const share = (n: number | undefined) => `${(((n ?? 0) / ORDERS) * 100).toFixed(1)}%`;
const byStage = new Map<string, number>();
for (const r of parsed.rules) byStage.set(r.stage, (byStage.get(r.stage) ?? 0) + 1);

console.log(`machine: ${cpus().length} cores, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; ${ORDERS} orders timed after a warm-up of 3 x ${WARM_UP}, each variant in turn per order (process.hrtime.bigint)`);
console.log(
  `rules: ${parsed.rules.length} (${DEFAULT_RULE_SET.rules.length} of DEFAULT_RULE_SET + ${parsed.rules.length - DEFAULT_RULE_SET.rules.length} generated; ${[...byStage].map(([k, n]) => `${k} ${n}`).join(', ')}): ` +
    `parsed ${fmt(parseUs / 1000)} ms, compiled ${fmt(compileUs / 1000)} ms, analysed ${fmt(analyseUs / 1000)} ms (${findings.length} findings: ${findings.filter((f) => f.kind === 'never_fires').length} never fire, ${findings.filter((f) => f.kind === 'shadowed').length} shadowed)`,
);
console.log(`  rules fired per order: mean ${(fired.reduce((a, b) => a + b, 0) / ORDERS).toFixed(1)}, p99 ${pct(fired, 99)}, max ${Math.max(...fired)}`);
console.log(
  `stream: ${ORDERS} paid orders, 1-5 lines, priced under ${SHOP_PRICING.id} v${SHOP_PRICING.version} (${SHOP_PRICING.thresholdTiers.length} 满减 tiers, ${SHOP_PRICING.coupons.length} coupons); drawn: ` +
    [...traits].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${share(n)}`).join(', '),
);
console.log(`per order:`);
line('(a) baseline: empty rule set, facts given', 'baseline');
line('facts incl. price check + empty rule set', 'factsEmpty');
line(`(b) facts incl. price check + ${parsed.rules.length} rules`, 'full', `  (target p99 <= ${TARGET_P99_US} us: ${s.full.p99 <= TARGET_P99_US ? 'met' : 'MISSED'})`);
line(`${parsed.rules.length} rules alone, facts given`, 'rulesOnly');
console.log(`  ratio (b)/(a)  p50 ${(s.full.p50 / s.baseline.p50).toFixed(0)}x  p99 ${(s.full.p99 / s.baseline.p99).toFixed(0)}x;  (b)/(facts + empty)  p50 ${(s.full.p50 / s.factsEmpty.p50).toFixed(2)}x  p99 ${(s.full.p99 / s.factsEmpty.p99).toFixed(2)}x`);
console.log(
  `DEFAULT_RULE_SET over the stream (pricing: ${SHOP_PRICING.id}): approved with no person ${share(verdicts.get('approve'))}, manual review ${share(verdicts.get('manual_review'))}, hold ${share(verdicts.get('hold'))}, reject ${share(verdicts.get('reject'))}`,
);
console.log(`  review rules that fired: ${[...reasons].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${share(n)}`).join(', ')}`);
console.log(`  generator mix (shares of orders): remark ${MIX.remark} (of which routine ${MIX.remarkRoutine}), VIP ${MIX.vip} + ${MIX.highVip} high, blacklisted ${MIX.blacklisted}, ambiguous address ${MIX.ambiguousAddress}, no district ${MIX.noDistrict}, coupon tried ${MIX.coupon}, expired ${MIX.expiredCoupon} / unknown ${MIX.unknownCoupon} coupon, paid 1 yuan off ${MIX.paidMismatch}, stock short ${MIX.stockShort}, reviewed 40 h late ${MIX.reviewedLate}`);
if (sink === -1) console.log(sink);
