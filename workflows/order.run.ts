// The state of one order workflow run: the order's facts (domain/order-lifecycle.ts), where the run is
// (status, hold, deadlines), its timeline, the read model it keeps in sync and its search attributes.
// Workflow code: deterministic, I/O only through activities.
import { allHandlersFinished, condition, log, patched, proxyLocalActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { CompletenessIssue } from '../domain/completeness.js';
import { applyOrderEvent, initialOrderFacts, markReleased, recordChangeAfterRelease, refundInProgress, type ChangeAfterRelease, type LifecycleRules, type OrderFacts } from '../domain/order-lifecycle.js';
import type { OrderEvent } from '../domain/order-events.js';
import type { OrderStatus } from '../domain/order-status.js';
import { exceptionTypeOf } from '../domain/exceptions/model.js';
import type { CanonicalOrder } from '../domain/order.js';
import { workflowNow } from './clock.js';
import type { FulfilmentStage } from './fulfilment.stage.js';
import { orderDetails } from './order.details.js';
import { orderSummary, type OrderException, type OrderResult, type OrderState, type OrderWorkflowInput, type ResumedOrderRun, type ReviewState, type TimelineEntry } from './order.messages.js';
import { ExceptionTypeKey, orderAttributes, OrderStatusKey, PackageIdsKey, WarehouseKey } from './search-attributes.js';

// Read-model writes are short database calls: local activities run them in the worker without a round trip
// through the Temporal server per call (half the server work per order at peak).
const { syncReadModel } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  summary: 'write status and timeline to the read model',
});

/** Applied event ids kept in the state query; the full list is kept for deduplication. */
const MAX_IDS_IN_QUERY = 50;

/** Timeline entries a continued run carries for the state query (the read model keeps every one). */
const CARRIED_TIMELINE = 100;

/** Runs recorded before presale orders without a balance counted as paid at their deposit keep waiting. */
const PRESALE_WITHOUT_BALANCE_PATCH = 'presale-without-balance-paid-at-deposit';
/** Runs recorded before a shipment on the platform stopped processing went on to allocate. */
const SHIPPED_ELSEWHERE_PATCH = 'shipped-elsewhere';
/** Runs recorded before cancellations waited for the warehouse's answer to an interception. */
const INTERCEPTION_PATCH = 'interception-protocol';
/** Runs recorded before a change after release asked the warehouse for the parcel only opened an exception. */
const INTERCEPT_ON_CHANGE_PATCH = 'intercept-on-change';
/** Runs recorded before changes after release opened an exception only noted them. */
const CHANGES_AFTER_RELEASE_PATCH = 'changes-after-release';
/** Runs recorded before the review stage went from validation straight to fulfilment. */
const REVIEW_PATCH = 'review-stage';
/** Runs recorded before holds were typed exceptions with SLA timers and resolutions. */
const EXCEPTION_CENTRE_PATCH = 'exception-centre';
/**
 * Runs recorded before these resolutions were carried out (ship the available part, ship from a chosen
 * warehouse, refund, remind the buyer), before an overdue presale balance and a failed interception after a
 * change opened exceptions, and before the review's typed exceptions.
 */
const EXCEPTION_ACTIONS_PATCH = 'exception-actions';
/** Runs recorded before a change to an approved order waiting for stock sent it back through review. */
const REVIEW_ON_CHANGE_PATCH = 'review-on-change';
/** Runs recorded before the `allocated` status showed `released` as soon as the order joined its package. */
const ALLOCATED_STATUS_PATCH = 'allocated-status';

/** The exception an order on hold or short is tagged with in the Temporal UI (`ExceptionType`). */
export type OrderExceptionType =
  | 'incomplete'
  | 'refund'
  | 'manual_review'
  | 'review_rejected'
  | 'out_of_stock'
  | 'shipment_failed'
  | 'intercept_failed'
  | 'changed_after_release';

/** What the run reads of its review stage (`ReviewStage`): the state query part, priority and fulfilment rules. */
export interface ReviewPart {
  state(): ReviewState;
  readonly priority: number;
  readonly rules: ReviewState['rules'];
}

export class OrderRun {
  facts: OrderFacts = initialOrderFacts;
  status: OrderStatus = 'received';
  issues: CompletenessIssue[] = [];
  holdReason: string | undefined;
  paymentDeadline: string | undefined;
  fulfilment: FulfilmentStage | undefined;
  /** The review stage (its state query part, and what it decided for fulfilment). */
  reviewStage: ReviewPart | undefined;
  /** The order's exceptions (state query part), once the exception centre runs them. */
  exceptionsPart: { state(): OrderException[] } | undefined;
  private closedReason: string | undefined;
  private closedAt: string | undefined;
  private releasedAt: string | undefined;
  /** Released to the warehouse: from then on a platform shipment is the write-back's echo, not news. */
  private handedOver = false;
  private ignored = 0;
  private version = 0;
  private seq = 0;
  private readonly timeline: TimelineEntry[] = [];
  /** Timeline entries not yet written to the read model. */
  private unsynced: TimelineEntry[] = [];

  /**
   * The review and exception-centre patches, asked once as the run starts: a patch asked right after a local
   * activity may fall in another workflow task on replay than it did when it ran, and the replay fails.
   */
  /** Set when the exception policy closes the order unpaid (its final action): it ends closed with this reason. */
  unpaidClosing: string | undefined;

  private readonly features: { review: boolean; reviewOnChange: boolean; exceptionCentre: boolean; exceptionActions: boolean };

  /** A timed hold's end (a review rule's hold for some minutes), for the UI's current details. */
  holdUntil: string | undefined;
  /** Before the order arrived: until when the run waits for it, and the events that came first. */
  orderDueBy: string | undefined;
  private readonly earlyEvents: string[] = [];
  /** When the run reached its status, and the current details and package ids last given to Temporal. */
  private statusSince: string | undefined;
  private shownDetails = '';
  private taggedPackages = '';

  constructor(readonly input: OrderWorkflowInput) {
    this.features = { review: patched(REVIEW_PATCH), reviewOnChange: patched(REVIEW_ON_CHANGE_PATCH), exceptionCentre: patched(EXCEPTION_CENTRE_PATCH), exceptionActions: patched(EXCEPTION_ACTIONS_PATCH) };
    const r = input.resume;
    if (!r) return;
    // Continued as new while waiting for stock: the run goes on where the last one stood.
    this.facts = r.facts;
    this.status = r.status;
    this.issues = r.issues;
    this.seq = r.seq;
    this.version = r.version;
    this.ignored = r.ignoredEvents;
    this.timeline.push(...r.timeline);
    this.unsynced = [...r.unsynced];
    this.statusSince = r.timeline.findLast((e) => e.type.startsWith('status:'))?.at;
  }

  /** Whether this run continues an earlier one (it starts at fulfilment, paid and validated). */
  get resumed(): boolean {
    return this.input.resume !== undefined;
  }

  /** What the next run needs to go on from here (see `ResumedOrderRun`). */
  carry(fulfilment: ResumedOrderRun['fulfilment']): ResumedOrderRun {
    return {
      facts: this.facts,
      status: this.status,
      seq: this.seq,
      version: this.version,
      ignoredEvents: this.ignored,
      timeline: this.timeline.slice(-CARRIED_TIMELINE),
      unsynced: this.unsynced,
      issues: this.issues,
      fulfilment,
      runs: (this.input.resume?.runs ?? 0) + 1,
      ...(this.reviewed() ? { review: this.reviewStage!.state() } : {}),
      ...(this.exceptionsPart?.state().length ? { exceptions: this.exceptionsPart.state() } : {}),
    };
  }

  get orderId(): string {
    return this.input.orderId;
  }

  /** The order; only called once it has arrived. */
  get order(): CanonicalOrder {
    if (!this.facts.order) throw new Error(`order ${this.orderId} has not arrived`);
    return this.facts.order;
  }

  readonly isCancelled = (): boolean => this.facts.cancelled !== undefined;

  /**
   * Shipped (or finished) on the platform before Orderly released it to a warehouse: someone shipped it
   * outside Orderly, so nothing more is allocated or sent.
   */
  readonly shippedElsewhere = (): boolean => this.facts.platformShipment !== undefined && !this.handedOver && patched(SHIPPED_ELSEWHERE_PATCH);

  /** Whatever ends processing before release: a cancellation or a shipment elsewhere. */
  readonly isStopping = (): boolean => this.isCancelled() || this.shippedElsewhere();

  /** Whether the order goes through review (runs from before went from validation to fulfilment). */
  reviews(): boolean {
    return this.features.review;
  }

  /** Whether an approved order waiting for stock goes through review again when the platform changes it. */
  reReviewsOnChange(): boolean {
    return this.reviewed() && this.features.reviewOnChange;
  }

  /** Whether holds are typed exceptions with SLA timers and resolutions (runs from before only tagged them). */
  exceptionCentre(): boolean {
    return this.features.exceptionCentre;
  }

  /** Whether the later resolutions and exceptions are carried out (see `EXCEPTION_ACTIONS_PATCH`). */
  exceptionActions(): boolean {
    return this.features.exceptionCentre && this.features.exceptionActions;
  }

  /** Edits the order's lines on a person's resolution (a substitute SKU): the next plan reads them. */
  editLines(lines: CanonicalOrder['lines']): void {
    const order = this.order;
    this.facts = { ...this.facts, order: { ...order, lines }, revision: this.facts.revision + 1 };
  }

  /** Whether the order has been reviewed, in this run or the one it continues. */
  private reviewed(): boolean {
    return (this.reviewStage?.state().reviewNo ?? 0) > 0;
  }

  /** Whether this run shows `allocated` while its packages wait in their hold windows. */
  showsAllocated(): boolean {
    return patched(ALLOCATED_STATUS_PATCH);
  }

  get cancelReason(): string {
    return this.facts.cancelled?.reason ?? 'cancelled';
  }

  get refundInProgress(): boolean {
    return refundInProgress(this.facts);
  }

  /** The order's event signals (`order.<type>`, and the legacy `orderEvent`): every event goes through the order lifecycle. */
  onEvent(e: OrderEvent): void {
    if (!this.facts.order && e.type !== 'created' && e.type !== 'snapshot') this.earlyEvents.push(e.type);
    const r = applyOrderEvent(this.facts, e, this.now(), this.rulesFor(e));
    this.facts = r.facts;
    if (r.outcome !== 'applied') this.ignored++;
    for (const n of r.notes) this.note(n.type, n.detail);
    this.showDetails();
  }

  /**
   * The Temporal UI's current details (see `orderDetails`): what the run waits for, until when, and what holds
   * it. Rebuilt on each change of the run (a timeline entry, an event, package or transfer news) and handed to
   * Temporal only when the text changed. No command: replay is not affected.
   */
  showDetails(): void {
    const f = this.facts;
    const text = orderDetails({
      status: this.status,
      ...(this.statusSince ? { since: this.statusSince } : {}),
      ...(f.order ? { summary: orderSummary(f.order), presale: f.order.presale !== undefined } : {}),
      ...(this.orderDueBy && !f.order ? { orderDueBy: this.orderDueBy, earlyEvents: this.earlyEvents } : {}),
      ...(this.paymentDeadline ? { paymentDeadline: this.paymentDeadline } : {}),
      ...(f.depositPaidAt ? { depositPaidAt: f.depositPaidAt } : {}),
      ...(this.holdReason ? { holdReason: this.holdReason } : {}),
      ...(this.holdUntil ? { holdUntil: this.holdUntil } : {}),
      ...(this.closedReason ? { closedReason: this.closedReason } : {}),
      issues: this.issues,
      ...(this.refundInProgress ? { refunding: f.refundingWholeOrder ? ['*'] : [...f.refundingLines] } : {}),
      ...(this.reviewStage ? { review: this.reviewStage.state() } : {}),
      exceptions: this.exceptionsPart?.state() ?? [],
      ...(this.fulfilment ? { fulfilment: this.fulfilment.peek() } : {}),
      ...(this.fulfilment?.nextReplanAt ? { nextReplanAt: this.fulfilment.nextReplanAt } : {}),
    });
    if (text === this.shownDetails) return;
    this.shownDetails = text;
    setCurrentDetails(text);
  }

  /** The lifecycle rules for an event; a rule that changed is asked of `patched()` only where it matters. */
  private rulesFor(e: OrderEvent): LifecycleRules {
    const order = e.type === 'created' || e.type === 'snapshot' ? e.order : this.facts.order;
    const noBalance = order?.presale?.balanceFen === 0;
    return { presaleWithoutBalancePaidAtDeposit: noBalance && patched(PRESALE_WITHOUT_BALANCE_PATCH) };
  }

  /** The `state` query. */
  state(): OrderState {
    const f = this.facts;
    return {
      orderId: this.orderId,
      status: this.status,
      ...(f.order ? { platform: f.order.platform, shopId: f.order.shopId, platformOrderId: f.order.platformOrderId } : {}),
      ...(f.paidAt ? { paidAt: f.paidAt } : {}),
      ...(f.depositPaidAt ? { depositPaidAt: f.depositPaidAt } : {}),
      ...(this.paymentDeadline ? { paymentDeadline: this.paymentDeadline } : {}),
      ...(this.closedReason ? { closedReason: this.closedReason } : {}),
      ...(this.holdReason ? { holdReason: this.holdReason } : {}),
      ...(this.issues.length ? { issues: this.issues } : {}),
      ...(this.refundInProgress ? { refunding: f.refundingWholeOrder ? ['*'] : [...f.refundingLines] } : {}),
      ...(this.reviewed() ? { review: this.reviewStage!.state() } : {}),
      ...(this.exceptionsPart?.state().length ? { exceptions: this.exceptionsPart.state() } : {}),
      ...(this.fulfilment ? { fulfilment: this.fulfilment.state() } : {}),
      appliedEventIds: f.appliedEventIds.slice(-MAX_IDS_IN_QUERY),
      ignoredEvents: this.ignored,
      timeline: [...this.timeline],
    };
  }

  now(): string {
    return workflowNow().toISOString();
  }

  note(type: string, detail?: Record<string, unknown>): void {
    const entry: TimelineEntry = { seq: ++this.seq, type, at: this.now(), ...(detail ? { detail } : {}) };
    this.timeline.push(entry);
    this.unsynced.push(entry);
    this.showDetails();
  }

  /** Moves to a status: timeline, search attribute, the UI's current details, and the read model. */
  async moveTo(next: OrderStatus, detail?: Record<string, unknown>): Promise<void> {
    this.status = next;
    this.statusSince = this.now();
    // The timeline entry also refreshes the UI's current details.
    this.note(`status:${next}`, detail);
    const packages = this.untaggedPackages();
    upsertSearchAttributes([{ key: OrderStatusKey, value: next }, ...(packages ? [{ key: PackageIdsKey, value: packages }] : [])]);
    const order = this.facts.order;
    if (!order) return;
    const batch = this.unsynced;
    this.unsynced = [];
    await syncReadModel({
      orderId: this.orderId,
      version: ++this.version,
      status: next,
      order,
      workflowRunId: workflowInfo().runId,
      ...(this.facts.paidAt ? { paidAt: this.facts.paidAt } : {}),
      ...(this.releasedAt ? { releasedAt: this.releasedAt } : {}),
      ...(this.closedAt ? { closedAt: this.closedAt } : {}),
      timeline: batch,
    });
  }

  /**
   * The order's package ids when they changed since last upserted, or undefined. They ride on the status upsert
   * that `moveTo` makes anyway: no command and no visibility write of their own, so no patch either (replay
   * matches an upsert by its command, not by its attributes: runs recorded before replay with them added, as
   * the replay test's histories show).
   */
  private untaggedPackages(): string[] | undefined {
    if (!this.fulfilment) return undefined;
    const ids = [...new Set(this.fulfilment.peek().packages.map((p) => p.packageId))];
    const key = ids.join(',');
    if (ids.length === 0 || key === this.taggedPackages) return undefined;
    this.taggedPackages = key;
    return ids;
  }

  /** Sets the payment deadline `ms` from now (shown in the state query); returns `ms`. */
  deadlineIn(ms: number): number {
    this.paymentDeadline = new Date(workflowNow().getTime() + ms).toISOString();
    return ms;
  }

  /**
   * Waits for `done` or a stop (cancellation, shipment elsewhere), at most `ms`; true when `done` happened.
   * `summary` names the timer in the UI's history.
   */
  async waitFor(done: () => boolean, ms: number, summary?: string): Promise<boolean> {
    const settled = await condition(() => done() || this.isStopping(), Math.max(ms, 1), summary ? { summary } : {});
    return settled && done();
  }

  /**
   * Tags the order with its exception in the Temporal UI, or clears it (null): the exception centre's type
   * (OUT_OF_STOCK, ...), as the exceptions API names it; runs from before it keep the cause's name.
   */
  tagException(cause: OrderExceptionType | null): void {
    // A manual review is the review queue's, not an exception type.
    const value = cause && this.features.exceptionCentre ? (cause === 'manual_review' ? 'MANUAL_REVIEW' : exceptionTypeOf(cause)) : cause;
    upsertSearchAttributes([{ key: ExceptionTypeKey, value }]);
  }

  /**
   * Upserts the attributes the order's own data fixes, when the start lacked them or they differ. An order
   * whose workflow began with its creation had them set at start by the dispatcher; the start's attributes
   * are in the history, so replay decides alike.
   */
  tagOrder(): void {
    const fixed = orderAttributes(this.order);
    const known = workflowInfo().typedSearchAttributes;
    if (fixed.some((a) => known.get(a.key) !== a.value)) upsertSearchAttributes(fixed);
  }

  /** A change the parcels no longer match, found by the workflow itself (reported like the platform's). */
  recordChange(change: ChangeAfterRelease): void {
    this.facts = recordChangeAfterRelease(this.facts, change);
  }

  /** Commits the order to its packages, which wait in their hold windows: edits are no longer applied. */
  async allocate(warehouses: string[], detail: Record<string, unknown>): Promise<void> {
    this.facts = markReleased(this.facts);
    if (warehouses.length) upsertSearchAttributes([{ key: WarehouseKey, value: warehouses.join(',') }]);
    await this.moveTo('allocated', detail);
  }

  /**
   * Hands the order to the warehouse(s). `warehouses` is given when the order was not allocated first
   * (runs from before the allocated status, and orders released without allocation).
   */
  async release(warehouses: string[] | undefined, detail: Record<string, unknown> | undefined): Promise<void> {
    this.facts = markReleased(this.facts);
    this.releasedAt = this.now();
    this.handedOver = true;
    if (warehouses?.length) upsertSearchAttributes([{ key: WarehouseKey, value: warehouses.join(',') }]);
    await this.moveTo('released', detail);
  }

  /** Ends the run once every signal handler has finished. */
  async finish(): Promise<OrderResult> {
    await condition(allHandlersFinished);
    log.info('order workflow finished', { orderId: this.orderId, status: this.status });
    return { orderId: this.orderId, status: this.status };
  }

  /** Closes the order without processing it (unpaid). */
  async close(reason: string): Promise<OrderResult> {
    this.closedReason = reason;
    this.closedAt = this.now();
    await this.moveTo('closed', { reason });
    return this.finish();
  }

  /** Ends an order shipped on the platform outside Orderly (what it held is the caller's to give back). */
  async endShippedElsewhere(): Promise<OrderResult> {
    this.closedReason = 'shipped on the platform';
    this.closedAt = this.now();
    this.tagException(null);
    await this.moveTo('shipped_elsewhere', { ...this.facts.platformShipment });
    return this.finish();
  }

  /** Whether changes after release open an exception (runs from before only noted them). */
  reportsChangesAfterRelease(): boolean {
    return patched(CHANGES_AFTER_RELEASE_PATCH);
  }

  /** Whether a change after release asks the warehouse for the parcels it concerns (older runs did not). */
  interceptsOnChange(): boolean {
    return patched(INTERCEPT_ON_CHANGE_PATCH);
  }

  /** Whether a cancellation waits for the warehouse's answer on intercepted parcels (runs from before it did not). */
  followsInterceptions(): boolean {
    return patched(INTERCEPTION_PATCH);
  }

  /** Ends a cancelled order (compensation, if any, is the caller's). */
  async cancel(): Promise<OrderResult> {
    this.closedReason = this.cancelReason;
    this.closedAt = this.now();
    await this.moveTo('cancelled', { reason: this.closedReason });
    return this.finish();
  }

  /** Cancelled or closed, when no order ever arrived (only a payment or a cancellation did). */
  async endWithoutOrder(): Promise<OrderResult> {
    const cancelled = this.isCancelled();
    this.closedReason = cancelled ? 'cancelled before the order arrived' : 'the order never arrived';
    this.status = cancelled ? 'cancelled' : 'closed';
    upsertSearchAttributes([{ key: OrderStatusKey, value: this.status }]);
    this.statusSince = this.now();
    this.showDetails();
    log.warn('order workflow ended without an order', { orderId: this.orderId });
    return this.finish();
  }
}
