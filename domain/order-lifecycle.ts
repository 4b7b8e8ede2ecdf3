// The order's lifecycle as a pure function: which event changes which fact. The order workflow applies every
// event through `applyOrderEvent`; it decides what to wait for from the facts, never from the events.
import type { OrderEvent, OrderProcessingOptions, PlatformOrderState } from './order-events.js';
import { paidAtOf } from './order-rules.js';
import type { CanonicalOrder } from './order.js';
import { isPaidOnPlatform, isShippedOnPlatform } from './platform-state.js';

/** What is known about one order, from all the events applied so far. */
export interface OrderFacts {
  readonly order?: CanonicalOrder;
  readonly options: OrderProcessingOptions;
  /** Paid in full (for a presale order: the balance). */
  readonly paidAt?: string;
  readonly depositPaidAt?: string;
  readonly balancePaidAt?: string;
  readonly cancelled?: { readonly reason: string };
  /** Line ids with a refund in progress, in the order the requests came. */
  readonly refundingLines: readonly string[];
  readonly refundingWholeOrder: boolean;
  /** Shipped on the platform, by Orderly's write-back or by someone else. */
  readonly platformShipment?: { readonly carrierCode?: string; readonly trackingNo?: string };
  /** Bumped whenever the order's data changes before release, so a held order is validated again. */
  readonly revision: number;
  /**
   * Committed to its parcels (allocated into a package, or released to the warehouse): from then on edits
   * are not applied to the order; they need the parcel back (interception).
   */
  readonly released: boolean;
  /** Every event id applied, oldest first: a redelivered event is recognised and dropped. */
  readonly appliedEventIds: readonly string[];
  /**
   * Changes the platform reported once the order was committed to its parcels: the parcel in the warehouse
   * no longer matches the order, so a person (and the warehouse) must act.
   */
  readonly changesAfterRelease: readonly ChangeAfterRelease[];
}

export interface ChangeAfterRelease {
  eventId: string;
  kind: 'address' | 'amount' | 'refund_requested' | 'refunded';
  lineIds?: string[];
}

/** A line for the order's timeline: what happened, with the event that caused it. */
export interface LifecycleNote {
  type: string;
  detail?: Record<string, unknown>;
}

export interface Applied {
  facts: OrderFacts;
  notes: LifecycleNote[];
  /** `duplicate`: the event id was applied before; `ignored`: applied, but it changed nothing (a second cancel). */
  outcome: 'applied' | 'duplicate' | 'ignored';
}

/** Rules of the lifecycle that changed over time: runs that began under an older rule keep it. */
export interface LifecycleRules {
  /**
   * A presale order with no balance (paid in full up front) is paid when its deposit is (the domain's
   * `isPaid`). Without it such an order waits for a balance payment that never comes.
   */
  presaleWithoutBalancePaidAtDeposit: boolean;
}

export const CURRENT_LIFECYCLE_RULES: LifecycleRules = { presaleWithoutBalancePaidAtDeposit: true };

export const initialOrderFacts: OrderFacts = {
  options: {},
  refundingLines: [],
  refundingWholeOrder: false,
  revision: 0,
  released: false,
  appliedEventIds: [],
  changesAfterRelease: [],
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<OrderFacts>;

/** Whether a refund (of some lines or of the whole order) is in progress. */
export function refundInProgress(f: OrderFacts): boolean {
  return f.refundingWholeOrder || f.refundingLines.length > 0;
}

/**
 * Records a change the parcels no longer match (found by the workflow, e.g. a line refunded while it was
 * being packed), to be reported like the platform's changes after release.
 */
export function recordChangeAfterRelease(f: OrderFacts, change: ChangeAfterRelease): OrderFacts {
  return { ...f, changesAfterRelease: [...f.changesAfterRelease, change] };
}

/** The facts once the order is committed to its parcels. */
export function markReleased(f: OrderFacts): OrderFacts {
  return { ...f, released: true };
}

/**
 * Applies one event to the facts. Pure: the same facts, event and `now` (a UTC ISO instant, used where the
 * event carries no time of its own) always give the same result. Events may come in any order and more than
 * once; an event id seen before changes nothing.
 *
 * @example
 * const { facts } = applyOrderEvent(initialOrderFacts, { eventId: 'e1', type: 'paid' }, '2026-11-11T00:00:05Z');
 * facts.paidAt // '2026-11-11T00:00:05Z'
 */
export function applyOrderEvent(facts: OrderFacts, event: OrderEvent, now: string, rules: LifecycleRules = CURRENT_LIFECYCLE_RULES): Applied {
  if (facts.appliedEventIds.includes(event.eventId)) return { facts, notes: [], outcome: 'duplicate' };
  const f: Draft = { ...facts, appliedEventIds: [...facts.appliedEventIds, event.eventId] };
  const notes: LifecycleNote[] = [];
  const note = (type: string, detail: Record<string, unknown>) => void notes.push({ type, detail });
  const eventId = event.eventId;
  const changedAfterRelease = (kind: ChangeAfterRelease['kind'], lineIds?: string[]) => {
    f.changesAfterRelease = [...f.changesAfterRelease, { eventId, kind, ...(lineIds?.length ? { lineIds } : {}) }];
  };

  switch (event.type) {
    case 'created':
    case 'snapshot':
      takeOrder(f, event, now, note);
      break;
    case 'paid': {
      const at = event.paidAt ?? now;
      f.paidAt ??= at;
      if (f.order?.presale) f.balancePaidAt ??= at;
      note('payment_received', { eventId, paidAt: at, ...(event.paidFen !== undefined ? { paidFen: event.paidFen } : {}) });
      break;
    }
    case 'deposit_paid':
      f.depositPaidAt ??= event.paidAt ?? now;
      note('deposit_received', { eventId, paidAt: f.depositPaidAt });
      break;
    case 'balance_paid':
      f.balancePaidAt ??= event.paidAt ?? now;
      f.paidAt ??= f.balancePaidAt;
      note('balance_received', { eventId, paidAt: f.balancePaidAt });
      break;
    case 'address_changed':
      if (f.order && !f.released) {
        f.order = { ...f.order, receiver: event.receiver };
        f.revision++;
        note('address_changed', { eventId });
      } else {
        note(f.order ? 'address_changed_after_release' : 'address_changed_before_order', { eventId });
        if (f.order) changedAfterRelease('address');
      }
      break;
    case 'memo_changed':
      if (f.order) {
        f.order = {
          ...f.order,
          ...(event.sellerMemo !== undefined ? { sellerMemo: event.sellerMemo } : {}),
          ...(event.buyerRemark !== undefined ? { buyerRemark: event.buyerRemark } : {}),
        };
      }
      note('memo_changed', { eventId });
      break;
    case 'amount_changed':
      if (f.order && !f.released) {
        f.order = { ...f.order, amounts: event.amounts, ...(event.lines ? { lines: event.lines } : {}) };
        f.revision++;
      } else if (f.released) {
        changedAfterRelease('amount');
      }
      note('amount_changed', { eventId, paidFen: event.amounts.paidFen });
      break;
    case 'refund_requested':
      if (event.lineIds?.length) f.refundingLines = [...new Set([...f.refundingLines, ...event.lineIds])];
      else f.refundingWholeOrder = true;
      if (f.released) changedAfterRelease('refund_requested', event.lineIds);
      note('refund_requested', { eventId, ...(event.lineIds ? { lineIds: event.lineIds } : {}), ...(event.reason ? { reason: event.reason } : {}) });
      break;
    case 'refunded':
      takeRefund(f, event, note, changedAfterRelease);
      break;
    case 'refund_closed':
      if (event.lineIds?.length) {
        const closed = new Set(event.lineIds);
        f.refundingLines = f.refundingLines.filter((id) => !closed.has(id));
      } else {
        f.refundingLines = [];
        f.refundingWholeOrder = false;
      }
      note('refund_closed', { eventId, ...(event.lineIds ? { lineIds: event.lineIds } : {}) });
      break;
    case 'cancelled':
      // The first cancellation counts; a second (another id, same intent) is recorded as ignored.
      if (f.cancelled) return { facts: f, notes: [], outcome: 'ignored' };
      f.cancelled = { reason: event.reason ?? 'cancelled' };
      note('cancel_requested', { eventId, reason: f.cancelled.reason });
      break;
    case 'shipped':
      f.platformShipment = { ...(event.carrierCode ? { carrierCode: event.carrierCode } : {}), ...(event.trackingNo ? { trackingNo: event.trackingNo } : {}) };
      note('shipped_on_platform', { eventId, ...f.platformShipment });
      break;
  }
  if (rules.presaleWithoutBalancePaidAtDeposit) settlePresale(f);
  return { facts: f, notes, outcome: 'applied' };
}

/** The order itself (first seen, or re-read): taken before release; after it, only noted. */
function takeOrder(
  f: Draft,
  e: Extract<OrderEvent, { type: 'created' | 'snapshot' }>,
  now: string,
  note: (type: string, detail: Record<string, unknown>) => void,
): void {
  if (!f.order) {
    f.order = e.order;
    f.options = e.options ?? {};
    note('created', { eventId: e.eventId, via: e.type });
  } else if (!f.released) {
    f.order = e.order;
    f.revision++;
    note('order_updated', { eventId: e.eventId });
  } else {
    // After release the warehouse owns the parcel: a changed order needs interception, not an edit.
    note('order_changed_after_release', { eventId: e.eventId });
  }
  takePaymentsFrom(f, e.order);
  takePlatformState(f, e.platformState, e.order, now);
  // After-sale requests the platform shows on the order: a pull carries refunds no push announced.
  const newRefunds = (e.refundingLineIds ?? []).filter((id) => !f.refundingLines.includes(id));
  if (newRefunds.length) {
    f.refundingLines = [...f.refundingLines, ...newRefunds];
    note('refund_requested', { eventId: e.eventId, lineIds: newRefunds, via: e.type });
  }
}

/**
 * A refund paid out. Before release the refunded lines leave the order (the whole order refunded is a
 * cancellation); after release the parcel already holds them, which a person must sort out.
 */
function takeRefund(
  f: Draft,
  e: Extract<OrderEvent, { type: 'refunded' }>,
  note: (type: string, detail: Record<string, unknown>) => void,
  changedAfterRelease: (kind: ChangeAfterRelease['kind'], lineIds?: string[]) => void,
): void {
  const ids = e.lineIds ?? [];
  const detail = { eventId: e.eventId, ...(ids.length ? { lineIds: ids } : {}), ...(e.reason ? { reason: e.reason } : {}) };
  f.refundingLines = ids.length ? f.refundingLines.filter((id) => !ids.includes(id)) : [];
  if (!ids.length) f.refundingWholeOrder = false;
  if (!f.order && ids.length) {
    // Lines of an order not seen yet: the order's own read will show them refunded.
    note('refunded_before_order', detail);
    return;
  }
  if (f.released) {
    changedAfterRelease('refunded', ids);
    note('refunded_after_release', detail);
    return;
  }
  const remaining = f.order && ids.length ? f.order.lines.filter((l) => l.lineId === undefined || !ids.includes(l.lineId)) : [];
  if (f.order && remaining.length > 0) {
    f.order = { ...f.order, lines: remaining };
    f.revision++;
    note('lines_refunded', detail);
    return;
  }
  f.cancelled ??= { reason: e.reason ?? 'refunded' };
  note('refunded', detail);
}

/** Payment facts carried by the order itself (an order that arrives already paid). */
function takePaymentsFrom(f: Draft, o: CanonicalOrder): void {
  if (o.presale) {
    if (o.presale.depositPaidAt) f.depositPaidAt ??= o.presale.depositPaidAt;
    if (o.presale.balancePaidAt) {
      f.balancePaidAt ??= o.presale.balancePaidAt;
      f.paidAt ??= o.presale.balancePaidAt;
    }
  } else if (o.paidAt) {
    f.paidAt ??= o.paidAt;
  }
}

/** A presale order counts as paid by the domain's rule (`paidAtOf`) over the payments known so far. */
function settlePresale(f: Draft): void {
  const presale = f.order?.presale;
  if (!presale) return;
  const paidAt = paidAtOf({ presale: { ...presale, depositPaidAt: f.depositPaidAt, balancePaidAt: f.balancePaidAt } });
  if (paidAt === undefined) return;
  f.balancePaidAt ??= paidAt;
  f.paidAt ??= paidAt;
}

/** The platform's own state of the order, when the event came from the platform. */
function takePlatformState(f: Draft, state: PlatformOrderState | undefined, o: CanonicalOrder, now: string): void {
  if (!state) return;
  if (state === 'cancelled') f.cancelled ??= { reason: 'cancelled on the platform' };
  if (state === 'deposit_paid') f.depositPaidAt ??= o.presale?.depositPaidAt ?? now;
  if (isPaidOnPlatform(state)) {
    f.paidAt ??= o.paidAt ?? o.presale?.balancePaidAt ?? now;
    if (o.presale) f.balancePaidAt ??= f.paidAt;
  }
  if (isShippedOnPlatform(state)) f.platformShipment ??= {};
}
