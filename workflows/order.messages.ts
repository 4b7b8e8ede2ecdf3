// Every message of the order workflow (its signals, queries and the types they carry) and its typed name:
// callers (ingest, API, activities, package workflows, tests) use these definitions, never string names.
import { defineQuery, defineSignal, defineUpdate, type SignalDefinition } from '@temporalio/workflow';
import type { DecisionSummary, Shortage } from '../activities/fulfilment.types.js';
import type { FulfilmentRules, ReviewDecision, ReviewDecisionResult, RuleHit, Verdict } from '../activities/review.types.js';
import type { ResolutionAction } from '../domain/exceptions/actions.js';
import type { ExceptionType, FinalAction, OwnerRole } from '../domain/exceptions/model.js';
import type { CompletenessIssue } from '../domain/completeness.js';
import type { OrderEvent, OrderEventType, OrderProcessingOptions, PlatformOrderState } from '../domain/order-events.js';
import type { OrderFacts } from '../domain/order-lifecycle.js';
import type { OrderStatus } from '../domain/order-status.js';
import type { CanonicalOrder } from '../domain/order.js';
import { fenToYuan } from '../domain/money.js';

export type { OrderEvent, OrderEventType, OrderProcessingOptions, PlatformOrderState };
export type { ReviewDecision, ReviewDecisionResult };

export interface OrderWorkflowInput {
  orderId: string;
  /** How long to wait for payment after the order is known before closing it. */
  paymentTimeoutMs: number;
  /** Set by the order itself when it continues as new while it waits for stock: where the last run stood. */
  resume?: ResumedOrderRun;
  /** Plans one run may make while waiting for stock before it continues as new (default 200). */
  plansPerRun?: number;
}

/**
 * What a run waiting for stock hands to the run it continues as: the order's facts (applied event ids
 * included, so nothing is applied twice), where it stands, the recent timeline and its fulfilment so far.
 */
export interface ResumedOrderRun {
  facts: OrderFacts;
  status: OrderStatus;
  /** The timeline's last sequence number and the read model's last version: both keep counting up. */
  seq: number;
  version: number;
  ignoredEvents: number;
  /** The latest timeline entries (the read model keeps all of them), and those not yet in the read model. */
  timeline: TimelineEntry[];
  unsynced: TimelineEntry[];
  issues: CompletenessIssue[];
  fulfilment: { attempts: number; decisions: DecisionSummary[]; shortages?: Shortage[]; stockWakeups?: number };
  /** How many runs came before this one. */
  runs: number;
  /** The review's outcome (rule set version, priority, rules for fulfilment), for runs that reviewed. */
  review?: ReviewState;
  /** The order's exceptions: the open ones get their SLA timers again in the next run. */
  exceptions?: OrderException[];
}

/** One of the order's exceptions, as its state query shows it (open, or resolved in this run). */
export interface OrderException {
  id: string;
  kind: string;
  type: ExceptionType;
  openedAt: string;
  dueAt: string;
  /** The escalation level reached (0 until the SLA passes). */
  level: number;
  levels: { level: number; at: string; ownerRole: OwnerRole }[];
  resolved?: { action: ResolutionAction; by: string; at: string; comment?: string };
  /** What the policy does if it is still open after the last level, and when. */
  finalAction?: { action: FinalAction; at: string };
}

/** The order's review, as its state query shows it. */
export interface ReviewState {
  /** Reviews so far (a platform change before release sends the order back). */
  reviewNo: number;
  /** The rule set version the order started with; every later review uses it too. */
  ruleSetVersion?: number;
  verdict?: Verdict;
  priority: number;
  tags: string[];
  /** Every rule that fired in the last review: id, rule set version, why, what it did. */
  fired: RuleHit[];
  /** What the rules decided for merge, split, carrier and allocation. */
  rules?: FulfilmentRules;
  /** Waiting for a reviewer: since when, until when before it escalates, and whether it has. */
  pending?: { since: string; slaDueAt: string; reasons: string[]; escalated: boolean };
  /** The last reviewer's decision. */
  decision?: ReviewDecision & { at: string; reviewNo: number };
  /** Fingerprint of what was approved (address, remarks, amounts, lines): a change sends the order back. */
  approved?: string;
}

export interface TimelineEntry {
  seq: number;
  type: string;
  at: string;
  detail?: Record<string, unknown>;
}

/** What the `state` query returns: everything ops need to understand the order without reading code. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  platform?: string;
  shopId?: string;
  platformOrderId?: string;
  paidAt?: string;
  depositPaidAt?: string;
  paymentDeadline?: string;
  closedReason?: string;
  /** Why the order is on hold (incomplete data, refund in progress). */
  holdReason?: string;
  /** Completeness issues found by the last validation. */
  issues?: CompletenessIssue[];
  /** Line ids with a refund in progress (`*` for the whole order). */
  refunding?: string[];
  /** The rules' verdict, priority and the rules that fired; a pending manual review. */
  review?: ReviewState;
  /** Exceptions the order raised: type, due time, escalation level, resolution. */
  exceptions?: OrderException[];
  /** Allocation, packages and decisions, once the order reached fulfilment. */
  fulfilment?: FulfilmentState;
  appliedEventIds: string[];
  ignoredEvents: number;
  timeline: TimelineEntry[];
}

export interface OrderResult {
  orderId: string;
  status: OrderStatus;
}

export type OrderPackageStatus =
  | 'joined'
  | 'released'
  | 'picked'
  | 'shipped'
  | 'failed'
  | 'left'
  | 'intercept_requested'
  | 'intercepted'
  /** Failed or stopped, and sent again in a new package. */
  | 'reshipped';

/** One of the order's packages, as the order sees it. */
export interface OrderPackage {
  packageId: string;
  packageKey: string;
  warehouseCode: string;
  logisticsClass: string;
  /** The order's lines (line ids, or their position) in this parcel: what its tracking number covers. */
  lineRefs: string[];
  status: OrderPackageStatus;
  /** Other orders sharing the parcel, as the package reported at release. */
  mergedWith: string[];
  /** When the package's hold window closes and it is sealed and released (UTC). */
  windowEnd?: string;
  carrierCode?: string;
  trackingNo?: string;
  shippedAt?: string;
  failureReason?: string;
  /** The warehouse said it could not stop the parcel (after an interception was asked for). */
  interceptFailed?: string;
  /** Asked back from the warehouse because the order changed after release (the order stays in it). */
  interceptForChange?: string;
}

export type FulfilmentOutcome =
  | { status: 'released'; packageIds: string[] }
  | { status: 'short'; shortages: Shortage[]; replanAfterMs: number }
  /** No warehouse or no carrier is configured: the order is released without allocation, for an external WMS. */
  | { status: 'unmanaged'; reason: string }
  | { status: 'unroutable'; reason: string }
  /** Reserved, with stock on its way between warehouses: packages are joined once every transfer is received. */
  | { status: 'awaiting_transfer'; transferIds: number[] }
  | { status: 'cancelled' };

export type OrderTransferStatus = 'requested' | 'shipped' | 'received' | 'cancelled';

/** One transfer the order's plan relies on (`transfer:<id>`), as the order sees it. */
export interface OrderTransfer {
  transferId: number;
  lineRef: string;
  skuCode: string;
  quantity: number;
  fromWarehouseCode: string;
  toWarehouseCode: string;
  status: OrderTransferStatus;
  trackingNo?: string;
  /** When the source said the units will reach the target (UTC). */
  expectedArrival?: string;
  receivedAt?: string;
}

/** Sent by a transfer workflow to the order waiting for it. */
export type TransferUpdate =
  | { transferId: number; type: 'shipped'; trackingNo?: string; expectedArrival: string; at: string }
  | { transferId: number; type: 'received'; quantity: number; at: string }
  | { transferId: number; type: 'cancelled'; at: string };

/** What the order's `fulfilment` query shows. */
export interface FulfilmentState {
  outcome?: FulfilmentOutcome['status'];
  attempts: number;
  decisions: DecisionSummary[];
  packages: OrderPackage[];
  shortages?: Shortage[];
  /** Lines left to ship later (拆分发货): the first parcels went without them, they are planned once in stock. */
  backorder?: { lineRef: string; skuCode: string; quantity: number }[];
  /** Times the order was told that stock it waits for arrived. */
  stockWakeups?: number;
  /** Stock moved between warehouses for the order: each transfer's status and expected arrival. */
  transfers?: OrderTransfer[];
  cancelled?: {
    reason: string;
    unmerged: string[];
    interceptRequested: string[];
    releasedReservations: number;
    /** The warehouse's answers: parcels stopped, and parcels that shipped all the same. */
    interceptions?: { intercepted: string[]; shippedAnyway: string[] };
  };
}

/** Sent by a package to each of its member orders. */
export type PackageUpdate =
  | { packageId: string; type: 'released'; carrierCode: string | null; memberOrderIds: string[] }
  | { packageId: string; type: 'picked'; at: string }
  | { packageId: string; type: 'shipped'; carrierCode: string; trackingNo: string; at: string }
  | { packageId: string; type: 'failed'; reason: string; at: string }
  /** The package was sealed without this member (it had left): nothing of it ships in this package. */
  | { packageId: string; type: 'dropped'; at: string }
  /** The warehouse stopped the parcel at a member's request: its goods are back in stock. */
  | { packageId: string; type: 'intercepted'; at: string }
  /** The warehouse could not stop the parcel: it ships. */
  | { packageId: string; type: 'intercept_failed'; reason: string; at: string };

/** Stock the order waits for has arrived (an adjustment, a receipt, stock given back): it re-plans at once. */
export interface StockAvailable {
  skuCode: string;
  warehouseCode: string;
  /** What raised the stock: `adjustment`, `released` (an order gave it back), ... */
  reason: string;
}

/** The Temporal UI keeps a workflow's summary to 200 bytes: longer text is cut (on a character) with `…`. */
export const SUMMARY_MAX_BYTES = 200;

/** `text` cut to at most `max` UTF-8 bytes, whole characters only, ending in `…` when cut. */
export function clipUtf8(text: string, max = SUMMARY_MAX_BYTES): string {
  // Counted by hand: workflow code has no TextEncoder it can rely on.
  const size = (ch: string) => {
    const c = ch.codePointAt(0)!;
    return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  };
  let total = 0;
  for (const ch of text) total += size(ch);
  if (total <= max) return text;
  let out = '';
  let used = 3; // the ellipsis
  for (const ch of text) {
    if (used + size(ch) > max) break;
    used += size(ch);
    out += ch;
  }
  return `${out}…`;
}

/**
 * An order's one line for the Temporal UI (its workflow's summary, the head of its current details): platform,
 * order id, shop, lines, amount paid, presale, province. Never buyer data. `note` replaces what the order's
 * content would say when only its ids are known (a payment that came before the order).
 *
 * @example orderSummary(order) // 'taobao order 3021877710042315001 · shop demo-taobao · 2 line(s) · ¥358.00 · 浙江省'
 */
export function orderSummary(
  o: Pick<CanonicalOrder, 'platform' | 'shopId' | 'platformOrderId'> & Partial<Pick<CanonicalOrder, 'lines' | 'amounts' | 'presale' | 'receiver'>>,
  note?: string,
): string {
  const parts = [`${o.platform} order ${o.platformOrderId}`, `shop ${o.shopId}`];
  if (note) parts.push(note);
  if (o.lines) parts.push(`${o.lines.length} line(s)`);
  if (o.amounts) parts.push(`¥${fenToYuan(o.amounts.paidFen)}`);
  if (o.presale) parts.push('presale');
  if (o.receiver?.province) parts.push(o.receiver.province);
  return clipUtf8(parts.join(' · '));
}

/** The order workflow as callers see it (`workflows/order.workflow.ts` implements it under this name). */
export type OrderWorkflow = (input: OrderWorkflowInput) => Promise<OrderResult>;
export const orderWorkflowType = 'orderWorkflow';

/**
 * Every event of the order (created, paid, cancelled, ...), from the inbox, in any order, maybe twice. The
 * legacy name: kept for recorded histories and senders from before the per-type names below.
 */
export const orderEventSignal = defineSignal<[OrderEvent]>('orderEvent');

/**
 * The same events under a signal name per type (`order.created`, `order.paid`, ...), so each row of a
 * history says what arrived. One handler takes all of them and `orderEvent`: what an event does depends on
 * its content and its place in the history, never on the name it came under (deduplicated by `eventId`).
 */
export const ORDER_EVENT_SIGNAL_NAMES: Readonly<Record<OrderEventType, string>> = {
  created: 'order.created',
  snapshot: 'order.snapshot',
  paid: 'order.paid',
  deposit_paid: 'order.deposit_paid',
  balance_paid: 'order.balance_paid',
  address_changed: 'order.address_changed',
  memo_changed: 'order.memo_changed',
  amount_changed: 'order.amount_changed',
  refund_requested: 'order.refund_requested',
  refund_closed: 'order.refund_closed',
  refunded: 'order.refunded',
  cancelled: 'order.cancelled',
  shipped: 'order.shipped',
};

/** One signal definition per event type (see `ORDER_EVENT_SIGNAL_NAMES`). */
export const orderEventSignals = Object.fromEntries(
  Object.entries(ORDER_EVENT_SIGNAL_NAMES).map(([type, name]) => [type, defineSignal<[OrderEvent]>(name)]),
) as Readonly<Record<OrderEventType, SignalDefinition<[OrderEvent]>>>;

/** The signal an event is sent with: its type's own name. */
export function orderEventSignalFor(e: OrderEvent): SignalDefinition<[OrderEvent]> {
  return orderEventSignals[e.type];
}
/** News from one of the order's packages (released, picked, shipped, failed, dropped). */
export const packageUpdateSignal = defineSignal<[PackageUpdate]>('packageUpdate');
/** Stock a short order waits for has arrived; sent in queue order (priority, then paid time). */
export const stockAvailableSignal = defineSignal<[StockAvailable]>('stockAvailable');
/** News from a transfer the order waits for (shipped with its expected arrival, received at the target). */
export const transferUpdateSignal = defineSignal<[TransferUpdate]>('transferUpdate');
/**
 * A reviewer's decision on an order waiting for manual review: approve, reject, or edit then approve. Refused
 * by its validator unless the order is waiting for a review that has no decision yet.
 */
export const reviewDecisionUpdate = defineUpdate<ReviewDecisionResult, [ReviewDecision]>('reviewDecision');
/** A person's (or a rule's) resolution of one of the order's open exceptions. */
export interface ExceptionResolution {
  exceptionId: string;
  action: ResolutionAction;
  /** What the action needs (a suggestion's params, or the edits of edit_order). */
  params?: Record<string, unknown>;
  resolvedBy: string;
  comment?: string;
}

export interface ExceptionResolutionResult {
  orderId: string;
  exceptionId: string;
  action: ResolutionAction;
  /** `resolved`: done and the exception closed; `accepted`: the order is carrying it out (re-plan, re-ship). */
  status: 'resolved' | 'accepted';
}

/**
 * Resolves one of the order's open exceptions. Refused by its validator unless the exception is open on this
 * order and the action fits its type and the order's state; the workflow carries the action out.
 */
export const resolveExceptionUpdate = defineUpdate<ExceptionResolutionResult, [ExceptionResolution]>('resolveException');
/** The whole live state of the order, for ops and the API. */
export const stateQuery = defineQuery<OrderState>('state');
/** Allocation, packages and decisions alone, once the order reached fulfilment. */
export const fulfilmentQuery = defineQuery<FulfilmentState>('fulfilment');
