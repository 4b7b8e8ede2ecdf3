import { ApplicationFailure } from '@temporalio/activity';
import { recordDecisions, type DecisionEntry } from '../db/decisions.repository.js';
import { markReviewEscalated, recordReviewDecision, requestReview, type ReviewDecisionRecord } from '../db/reviews.repository.js';
import { loadReviewContexts } from '../db/review-context.repository.js';
import { publishedRuleSet, ruleSetVersion } from '../db/rules.repository.js';
import type { DecisionRecord } from '../domain/fulfilment/decision.js';
import { compileRuleSet, evaluateRules, type CompiledRuleSet, type RuleEvaluation } from '../domain/rules/evaluate.js';
import { DEFAULT_REVIEW_SLA_MINUTES } from '../domain/rules/defaults.js';
import { factSettingsOf } from '../domain/rules/dry-run.js';
import { orderFacts, reviewPricing } from '../domain/rules/order-facts.js';
import type { RuleSet } from '../domain/rules/schema.js';
import { openWatchedException } from '../ingest/exception-watch.js';
import type { ActivityDeps } from './order-activities.js';
import type { ReviewInput, ReviewResult } from './review.types.js';

/** Compiled rule sets by version: a stored version never changes, so it is compiled once per process. */
const compiled = new Map<number, CompiledRuleSet>();

function compiledFor(set: RuleSet): CompiledRuleSet {
  let c = compiled.get(set.version);
  if (!c) {
    c = compileRuleSet(set);
    compiled.set(set.version, c);
  }
  return c;
}

function verdictText(e: RuleEvaluation): string {
  const v = e.verdict;
  switch (v.kind) {
    case 'approve':
      return 'approved';
    case 'manual_review':
      return `manual review: ${v.reasons.join('; ')}`;
    case 'hold':
      return `held${v.minutes ? ` for ${v.minutes} min` : ' for a person'}: ${v.reason}`;
    case 'reject':
      return `rejected: ${v.reason}`;
  }
}

/**
 * Review activities: the rules' verdict on an order, the manual-review queue and its escalation. Each is
 * idempotent: keyed by the order id and its review number.
 */
export function createReviewActivities({ db, logger, temporal, config }: ActivityDeps) {
  const log = logger.child({ component: 'review' });

  return {
    /**
     * Runs the rule set (the version the order started with, else the published one) over the order: facts from
     * the order, its price check, the customer, SKU categories and stock; logs the verdict and the priority with
     * every rule that fired; puts the order in the manual-review queue when a person must decide.
     */
    async reviewOrder(input: ReviewInput): Promise<ReviewResult> {
      const { orderId, order, reviewNo } = input;
      const set = input.ruleSetVersion !== undefined ? await ruleSetVersion(db, input.ruleSetVersion) : await publishedRuleSet(db);
      if (!set) throw ApplicationFailure.nonRetryable(`rule set version ${input.ruleSetVersion} does not exist`, 'RuleSetMissing');
      const settings = factSettingsOf(set);
      const [ctx] = await loadReviewContexts(db, [{ platform: order.platform, buyerKey: order.buyerKey, skuCodes: order.lines.map((l) => l.skuCode), lines: order.lines }]);
      const pricing = reviewPricing(order, settings.pricing);
      const facts = orderFacts(order, { ...ctx!, now: input.now, ...settings }, pricing);
      const evaluation = evaluateRules(compiledFor(set), facts);
      const slaMinutes = set.settings.reviewSlaMinutes ?? DEFAULT_REVIEW_SLA_MINUTES;

      const reviewRecord: DecisionRecord = {
        kind: 'review',
        subject: orderId,
        ruleId: 'rules',
        ruleVersion: set.version,
        outcome: verdictText(evaluation),
        chosen: [evaluation.verdict.kind],
        candidates: [],
        excluded: [],
        steps: evaluation.fired.filter((h) => h.stage === 'review').map((h) => ({ step: h.ruleId, outcome: `${h.actions.join(', ')} because ${h.why}` })),
      };
      const priorityRecord: DecisionRecord = {
        kind: 'priority',
        subject: orderId,
        ruleId: 'rules',
        ruleVersion: set.version,
        outcome: `priority ${evaluation.priority}`,
        chosen: [String(evaluation.priority)],
        candidates: [],
        excluded: [],
        steps: evaluation.fired.filter((h) => h.stage !== 'review').map((h) => ({ step: h.ruleId, outcome: `${h.actions.join(', ')} because ${h.why}` })),
      };
      const entries: DecisionEntry[] = [
        { stepKey: `review:${reviewNo}`, record: reviewRecord },
        { stepKey: `review:${reviewNo}:priority`, record: priorityRecord },
      ];
      await recordDecisions(db, orderId, entries);

      const v = evaluation.verdict;
      if (v.kind === 'manual_review' || (v.kind === 'hold' && v.minutes === undefined)) {
        await requestReview(db, {
          orderId,
          platform: order.platform,
          shopId: order.shopId,
          kind: v.kind,
          reasons: v.kind === 'manual_review' ? [...v.reasons] : [v.reason],
          fired: [...evaluation.fired],
          ruleSetVersion: set.version,
          priority: evaluation.priority,
          amountFen: order.amounts.paidFen,
          reviewNo,
          requestedAt: input.now,
          slaDueAt: new Date(Date.parse(input.now) + slaMinutes * 60_000).toISOString(),
        });
      }
      log.debug({ orderId, version: set.version, verdict: v.kind, priority: evaluation.priority, fired: evaluation.fired.length }, 'order reviewed');
      const { merge, split, carrier, allocation } = evaluation;
      return {
        ruleSetVersion: set.version,
        verdict: evaluation.verdict,
        tags: [...evaluation.tags],
        priority: evaluation.priority,
        fired: [...evaluation.fired],
        exceptions: evaluation.exceptions.map((x) => ({ ...x })),
        rules: { merge, split, carrier, allocation, ruleSetVersion: set.version },
        slaMinutes,
        pricing: { consistent: pricing.consistent, differenceFen: pricing.differenceFen, findings: pricing.findings.filter((f) => f.severity === 'problem').map((f) => f.message) },
      };
    },

    /** Records a review's decision in the queue row (a person's, or the end of a timed hold). */
    async recordReviewDecision(input: ReviewDecisionRecord): Promise<{ recorded: boolean }> {
      return { recorded: await recordReviewDecision(db, input) };
    },

    /**
     * A pending review passed its SLA: marked escalated, an exception opened (`review_overdue`) and logged at
     * warn, once per review.
     */
    async escalateReview(input: {
      orderId: string;
      shopId: string;
      reviewNo: number;
      at: string;
      slaMinutes: number;
      reasons: string[];
      /** The order workflow opens the exception itself (and holds its SLA timers); runs from before did not. */
      workflowRaises?: boolean;
    }): Promise<{ escalated: boolean }> {
      const first = await markReviewEscalated(db, input.orderId, input.reviewNo, input.at);
      if (!input.workflowRaises) {
        // That run holds no timers for it: a watch of its own escalates it (a retry finds it open and starts it again).
        await openWatchedException({ db, client: temporal, taskQueue: config.TEMPORAL_TASK_QUEUE }, { kind: 'review_overdue', shopId: input.shopId, orderId: input.orderId, detail: { reviewNo: input.reviewNo, slaMinutes: input.slaMinutes, reasons: input.reasons } });
      }
      if (first) log.warn({ orderId: input.orderId, reviewNo: input.reviewNo, slaMinutes: input.slaMinutes }, 'manual review overdue: escalated');
      return { escalated: first };
    },
  };
}

export type ReviewActivities = ReturnType<typeof createReviewActivities>;
