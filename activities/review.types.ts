// Contract types of the review activities: what the order workflow sends them and gets back. Types only, so
// workflow code imports no database or rule-engine code.
import type { CanonicalOrder } from '../domain/order.js';
import type { RuleEvaluation, RuleHit, Verdict } from '../domain/rules/evaluate.js';
import type { ReviewExceptionType } from '../domain/rules/schema.js';

export type { RuleHit, Verdict };

export interface ReviewInput {
  orderId: string;
  order: CanonicalOrder;
  /** The rule set version the order started with; absent on its first review (the published one is used). */
  ruleSetVersion?: number;
  /** Counts the order's reviews (a platform change sends it back): keys the decision log and the queue row. */
  reviewNo: number;
  /** The workflow's clock: the facts' "now" (paid-for-how-long, time windows). */
  now: string;
}

/** What the rules decided for the stages after review; the order carries it to fulfilment. */
export type FulfilmentRules = Pick<RuleEvaluation, 'merge' | 'split' | 'carrier' | 'allocation'> & { ruleSetVersion: number };

export interface ReviewResult {
  ruleSetVersion: number;
  verdict: Verdict;
  tags: string[];
  priority: number;
  fired: RuleHit[];
  /** Exceptions the fired rules open beside the verdict (absent in results recorded before they existed). */
  exceptions?: { type: ReviewExceptionType; reason: string }[];
  rules: FulfilmentRules;
  /** A pending manual review older than this escalates. */
  slaMinutes: number;
  /** The price check behind the amounts and coupon rules: paid minus expected, and what it found. */
  pricing: { consistent: boolean; differenceFen: number; findings: string[] };
}

/** A reviewer's decision, sent to the order workflow as the `reviewDecision` update. */
export interface ReviewDecision {
  decision: 'approve' | 'reject' | 'edit_and_approve';
  reviewer: string;
  comment?: string;
  /** edit_and_approve: what the reviewer corrected (receiver fields, seller memo). */
  edits?: ReviewEdits;
}

export interface ReviewEdits {
  receiver?: Partial<Pick<CanonicalOrder['receiver'], 'name' | 'phone' | 'province' | 'city' | 'district' | 'town' | 'detail' | 'postalCode'>>;
  sellerMemo?: string;
}

export interface ReviewDecisionResult {
  orderId: string;
  reviewNo: number;
  decision: ReviewDecision['decision'];
  status: 'approved' | 'rejected';
}
