// The order's review: the rules' verdict after payment and validation, and, where a rule says so, a person's
// decision through the `reviewDecision` update, with an SLA timer that escalates. Workflow code: deterministic,
// I/O only through activities.
import { ApplicationFailure, condition, log, proxyLocalActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ReviewDecision, ReviewDecisionResult, ReviewResult } from '../activities/review.types.js';
import type { ReviewExceptionType } from '../domain/rules/schema.js';
import { workflowNow } from './clock.js';
import type { ReviewState } from './order.messages.js';
import type { OrderRun, ReviewPart } from './order.run.js';
import { PriorityKey } from './search-attributes.js';

// The review reads the rules and master data and writes the queue row: short database calls, run as local
// activities so an approved order goes on to allocation without a server round trip.
const LOCAL_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const { reviewOrder } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'review by the published rules' });
const { recordReviewDecision } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: "record the reviewer's decision" });
const { escalateReview } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'escalate the overdue review' });
const { openOrderException } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'record an exception' });

/**
 * What the review looked at, as one string: a platform change to any of it (address, remarks, amounts,
 * lines, discounts) sends the order back through review; a re-sent identical snapshot does not.
 */
export function reviewedContent(run: OrderRun): string {
  const o = run.facts.order;
  return o ? JSON.stringify([o.receiver, o.buyerRemark ?? '', o.sellerMemo ?? '', o.amounts, o.lines, o.discounts]) : '';
}

/** A short, deterministic fingerprint of a string (FNV-1a, 32 bits, hex): workflow code has no crypto. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** How a wait for a reviewer ended (`resolved`: an exception the review opened was resolved in its queue). */
type Wait = 'decided' | 'changed' | 'stopping' | 'resolved';

/** The cause (`kind`) under which a review rule's exception type is opened. */
const REVIEW_EXCEPTION_KIND: Readonly<Record<ReviewExceptionType, string>> = {
  PRICE_MISMATCH: 'price_mismatch',
  BLACKLISTED: 'blacklisted',
  ADDRESS_AMBIGUOUS: 'address_ambiguous',
  INCOMPLETE_INFO: 'incomplete_info',
};

/**
 * What the workflow does with resolutions of the review's exceptions (set for runs of the later exception
 * actions): carries them out and says whether one took the order as it is now (release, an address, edits).
 */
export interface ReviewResolutions {
  pending: () => boolean;
  /** Carries out the accepted resolutions; says which exception (by kind) each closed, how and by whom. */
  carryOut: () => Promise<{ kind: string; action: string; by: string }[]>;
  /** Whether an exception of the kind is still open on the order. */
  isOpen: (kind: string) => boolean;
}

/** Resolutions that take the order as it is (or as the person corrected it) for the review's problem. */
const ACCEPTING = ['release_hold', 'choose_address', 'edit_order'];

export class ReviewStage implements ReviewPart {
  private readonly st: ReviewState = { reviewNo: 0, priority: 0, tags: [], fired: [] };
  /**
   * Opens an exception through the order's exceptions (with their SLA timers); set by the workflow for runs of
   * the exception centre, absent for runs from before (the exception is then only recorded).
   */
  raise: ((kind: string, detail: Record<string, unknown>) => Promise<void>) | undefined;
  /** Closes the open exception of a kind because its cause went away (set with `raise`). */
  clear: ((kind: string, reason: string) => Promise<void>) | undefined;
  /** The decision the update handler accepted for the pending review, not yet acted on. */
  private decided: ReviewDecision | undefined;
  /** Resolutions of the review's own exceptions (PRICE_MISMATCH, BLACKLISTED, ...); set by the workflow. */
  resolutions: ReviewResolutions | undefined;
  /** The kinds of the exceptions the latest review opened. */
  private opened: string[] = [];
  /** Kinds a person released: the order is taken as it is for them, and a later review does not open them again. */
  private readonly waived = new Set<string>();

  constructor(private readonly run: OrderRun) {
    const carried = run.input.resume?.review;
    if (carried) Object.assign(this.st, carried);
  }

  state(): ReviewState {
    return { ...this.st, tags: [...this.st.tags], fired: [...this.st.fired] };
  }

  get priority(): number {
    return this.st.priority;
  }

  get rules(): ReviewState['rules'] {
    return this.st.rules;
  }

  /** The update's validator: only an order waiting for a reviewer, whose review has no decision yet, is decided. */
  validate(d: ReviewDecision): void {
    if (!this.st.pending) throw ApplicationFailure.nonRetryable(`order ${this.run.orderId} is not waiting for a review (status ${this.run.status})`, 'ReviewNotPending');
    if (this.decided) throw ApplicationFailure.nonRetryable(`review ${this.st.reviewNo} of order ${this.run.orderId} is already decided`, 'ReviewAlreadyDecided');
    if (d.decision === 'edit_and_approve' && !d.edits?.receiver && d.edits?.sellerMemo === undefined) {
      throw ApplicationFailure.nonRetryable('edit_and_approve needs edits (receiver fields or sellerMemo)', 'ReviewEditsMissing');
    }
  }

  /** The update's handler: takes the decision (edits applied to the order at once) for the pending review. */
  decide(d: ReviewDecision): ReviewDecisionResult {
    this.decided = d;
    if (d.decision === 'edit_and_approve') this.applyEdits(d);
    return { orderId: this.run.orderId, reviewNo: this.st.reviewNo, decision: d.decision, status: d.decision === 'reject' ? 'rejected' : 'approved' };
  }

  private applyEdits(d: ReviewDecision): void {
    const order = this.run.order;
    const prefix = `review:${this.st.reviewNo}`;
    if (d.edits?.receiver) {
      this.run.onEvent({ eventId: `${prefix}:address`, type: 'address_changed', receiver: { ...order.receiver, ...d.edits.receiver } });
    }
    if (d.edits?.sellerMemo !== undefined) this.run.onEvent({ eventId: `${prefix}:memo`, type: 'memo_changed', sellerMemo: d.edits.sellerMemo });
  }

  /**
   * Reviews the order until it may go on: undefined when approved (by the rules, a person, or a timed hold
   * running out), 'stopping' when it was cancelled or shipped elsewhere meanwhile. A platform change while the
   * order waits (for a reviewer, a timed hold, or after a rejection) sends it through the rules again.
   */
  async untilApproved(): Promise<'stopping' | undefined> {
    const run = this.run;
    for (;;) {
      if (run.isStopping()) return 'stopping';
      const seen = reviewedContent(run);
      const r = await this.evaluate();
      const v = r.verdict;
      if (v.kind === 'approve') return this.approved(seen);
      if (v.kind === 'hold' && v.minutes !== undefined) {
        run.holdReason = v.reason;
        const until = new Date(workflowNow().getTime() + v.minutes * 60_000).toISOString();
        run.holdUntil = until;
        await run.moveTo('on_hold', { reason: v.reason, until });
        const changed = await condition(() => run.isStopping() || reviewedContent(run) !== seen, v.minutes * 60_000, { summary: `review hold for ${v.minutes} min: ${v.reason}`.slice(0, 150) });
        run.holdReason = undefined;
        run.holdUntil = undefined;
        if (changed) continue;
        run.note('hold_elapsed', { reason: v.reason });
        return this.approved(seen);
      }
      if (v.kind === 'reject') {
        await this.holdRejected(`rejected by rule: ${v.reason}`, seen);
        continue;
      }
      const reasons = v.kind === 'manual_review' ? [...v.reasons] : [v.reason];
      const waited = await this.awaitReviewer(r, reasons, seen);
      if (waited !== 'decided') continue;
      const d = this.decided!;
      this.decided = undefined;
      const at = workflowNow().toISOString();
      this.st.decision = { ...d, at, reviewNo: this.st.reviewNo };
      delete this.st.pending;
      const status = d.decision === 'reject' ? 'rejected' : 'approved';
      await recordReviewDecision({ orderId: run.orderId, reviewNo: this.st.reviewNo, status, decision: d.decision, reviewer: d.reviewer, ...(d.comment ? { comment: d.comment } : {}), decidedAt: at });
      await this.clear?.('review_overdue', 'the review was decided');
      for (const kind of this.opened.splice(0)) await this.clear?.(kind, 'the review was decided');
      run.note('review_decided', { reviewNo: this.st.reviewNo, decision: d.decision, reviewer: d.reviewer, ...(d.comment ? { comment: d.comment } : {}) });
      run.holdReason = undefined;
      run.tagException(null);
      if (d.decision !== 'reject') return this.approved(reviewedContent(run));
      // Rejected by a person: held for the cancellation (or a change that sends it back through review).
      await this.holdRejected(`rejected by ${d.reviewer}${d.comment ? `: ${d.comment}` : ''}`, reviewedContent(run));
    }
  }

  /** Remembers what was approved (as a fingerprint), so a later platform change can be told apart. */
  private approved(content: string): undefined {
    this.st.approved = fingerprint(content);
    return undefined;
  }

  /** Takes the order as it is now as approved: a person changed it (an exception's resolution), not the platform. */
  acceptCurrent(): void {
    if (this.st.approved !== undefined) this.st.approved = fingerprint(reviewedContent(this.run));
  }

  /** Whether the order changed on the platform since it was approved (address, remarks, amounts, lines). */
  changedSinceApproval(): boolean {
    return this.st.approved !== undefined && fingerprint(reviewedContent(this.run)) !== this.st.approved;
  }

  /** One pass of the rules over the order as it is now; the first pass fixes the rule set version. */
  private async evaluate(): Promise<ReviewResult> {
    const run = this.run;
    const reviewNo = ++this.st.reviewNo;
    const r = await reviewOrder({
      orderId: run.orderId,
      order: run.order,
      reviewNo,
      now: workflowNow().toISOString(),
      ...(this.st.ruleSetVersion !== undefined ? { ruleSetVersion: this.st.ruleSetVersion } : {}),
    });
    this.st.ruleSetVersion ??= r.ruleSetVersion;
    this.st.verdict = r.verdict;
    this.st.tags = r.tags;
    this.st.fired = r.fired;
    this.st.rules = r.rules;
    // Set at start (0) for most orders: upserted only when the rules give another priority (one visibility write less).
    if (workflowInfo().typedSearchAttributes.get(PriorityKey) !== r.priority) upsertSearchAttributes([{ key: PriorityKey, value: r.priority }]);
    this.st.priority = r.priority;
    if (this.resolutions) await this.openExceptions(r);
    run.note('reviewed', {
      reviewNo,
      ruleSetVersion: r.ruleSetVersion,
      verdict: r.verdict.kind,
      priority: r.priority,
      rules: r.fired.map((h) => h.ruleId),
      ...(r.tags.length ? { tags: r.tags } : {}),
      ...(r.pricing.consistent ? {} : { pricingDifferenceFen: r.pricing.differenceFen }),
    });
    return r;
  }

  /**
   * Opens the exceptions the rules name beside their verdict (a price difference, a blacklisted buyer, an
   * address), and closes those a new review of the changed order no longer names.
   */
  private async openExceptions(r: ReviewResult): Promise<void> {
    const now = (r.exceptions ?? []).map((x) => ({ ...x, kind: REVIEW_EXCEPTION_KIND[x.type] })).filter((x) => !this.waived.has(x.kind));
    for (const kind of this.opened.filter((k) => !now.some((x) => x.kind === k))) await this.clear?.(kind, 'the order no longer has this problem');
    this.opened = now.map((x) => x.kind);
    for (const x of now) {
      await this.raise?.(x.kind, { reason: x.reason, reviewNo: this.st.reviewNo, ...(x.type === 'PRICE_MISMATCH' ? { differenceFen: r.pricing.differenceFen, findings: r.pricing.findings } : {}) });
    }
  }

  /** Waits for a reviewer's decision; escalates once when the SLA passes, then keeps waiting. */
  private async awaitReviewer(r: ReviewResult, reasons: string[], seen: string): Promise<Wait> {
    const run = this.run;
    const now = workflowNow();
    const slaMs = r.slaMinutes * 60_000;
    this.st.pending = { since: now.toISOString(), slaDueAt: new Date(now.getTime() + slaMs).toISOString(), reasons, escalated: false };
    run.holdReason = reasons.join('; ');
    run.tagException('manual_review');
    await run.moveTo('pending_review', { reviewNo: this.st.reviewNo, reasons, slaDueAt: this.st.pending.slaDueAt });
    const over = (): Wait | undefined =>
      this.decided ? 'decided' : run.isStopping() ? 'stopping' : this.resolutions?.pending() ? 'resolved' : reviewedContent(run) !== seen ? 'changed' : undefined;
    const deadline = now.getTime() + slaMs;
    let first = true;
    for (;;) {
      const pending = this.st.pending;
      // Until the SLA passes, then without a timer (escalated once).
      const done = () => over() !== undefined;
      // (condition without a timeout resolves to nothing: only a timed one says whether it timed out)
      const sla = { summary: `review SLA: escalated at ${pending.slaDueAt} unless decided` };
      const inTime = pending.escalated ? (await condition(done), true) : await condition(done, first ? slaMs : Math.max(deadline - workflowNow().getTime(), 1), sla);
      first = false;
      if (!inTime) {
        pending.escalated = true;
        log.warn('manual review overdue: escalated', { orderId: run.orderId, reviewNo: this.st.reviewNo, slaMinutes: r.slaMinutes });
        const detail = { reviewNo: this.st.reviewNo, slaMinutes: r.slaMinutes, reasons };
        await escalateReview({ orderId: run.orderId, shopId: run.order.shopId, at: workflowNow().toISOString(), ...detail, ...(this.raise ? { workflowRaises: true } : {}) });
        if (this.raise) await this.raise('review_overdue', detail);
        run.note('review_escalated', { reviewNo: this.st.reviewNo, slaMinutes: r.slaMinutes });
        continue;
      }
      const how = over()!;
      if (how === 'resolved') {
        if (await this.settledInQueue(r, reasons)) return 'decided';
        continue;
      }
      if (how !== 'decided') {
        delete this.st.pending;
        run.holdReason = undefined;
        if (how === 'changed') run.note('review_restarted', { reason: 'the order changed on the platform' });
      }
      return how;
    }
  }

  /**
   * Carries out resolutions of the review's exceptions (release, an address, edits, a reminder). Once every
   * reason the order waits for came with an exception and none is open any more, the last accepting
   * resolution stands for the reviewer's approval (true). Edits change the order: the next wait sees it.
   */
  private async settledInQueue(r: ReviewResult, reasons: readonly string[]): Promise<boolean> {
    const done = await this.resolutions!.carryOut();
    for (const d of done) if (d.action === 'release_hold') this.waived.add(d.kind);
    const accepted = done.filter((d) => ACCEPTING.includes(d.action)).at(-1);
    const covered = reasons.every((reason) => (r.exceptions ?? []).some((x) => x.reason === reason));
    if (!accepted || !covered || this.opened.some((k) => this.resolutions!.isOpen(k))) return false;
    this.decided = { decision: 'approve', reviewer: accepted.by, comment: `${accepted.action} in the exception queue` };
    return true;
  }

  /** A rejected order: on hold for a person to cancel it on the platform; a change sends it back through review. */
  private async holdRejected(reason: string, seen: string): Promise<void> {
    const run = this.run;
    run.holdReason = reason;
    run.tagException('review_rejected');
    const detail = { reason, reviewNo: this.st.reviewNo };
    if (this.raise) await this.raise('review_rejected', detail);
    else await openOrderException({ orderId: run.orderId, shopId: run.order.shopId, kind: 'review_rejected', detail });
    await run.moveTo('on_hold', { reason });
    await condition(() => run.isStopping() || reviewedContent(run) !== seen);
    run.holdReason = undefined;
  }
}
