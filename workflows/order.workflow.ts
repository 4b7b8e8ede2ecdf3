import { allHandlersFinished, condition, log, makeContinueAsNewFunc, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { hasBlockingIssues } from '../domain/completeness.js';
import { taskPriorityOf } from '../domain/fulfilment/task-priority.js';
import { workflowNow } from './clock.js';
import { FulfilmentStage, type OrderChangeHook } from './fulfilment.stage.js';
import {
  orderEventSignal,
  orderEventSignals,
  resolveExceptionUpdate,
  reviewDecisionUpdate,
  stateQuery,
  type ExceptionResolution,
  type OrderResult,
  type OrderWorkflow,
  type OrderWorkflowInput,
  type ReviewDecision,
} from './order.messages.js';
import { OrderExceptions, type OrderSituation } from './order.exceptions.js';
import { OrderRun } from './order.run.js';
import { ReviewStage } from './review.stage.js';
import type { ChangeAfterRelease } from '../domain/order-lifecycle.js';

// Validation is a short database read: a local activity, no server round trip.
const LOCAL_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const { validateOrder } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'validate: complete data, known SKUs' });
const { openOrderException } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'record an exception' });
const { shipmentWarningLead } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: "read the policy's shipment warning lead" });

// Asking the seller's systems to act (remind a buyer, refund on the platform) goes through the outbound
// webhook, which may be down for a while: retried with back-off, like an escalation's notification.
const { announceException } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 50 },
  summary: "ask the seller's systems to act on an exception",
});

// A platform that is down for hours must not lose the tracking number: keep retrying for a day, then give up
// (non-retryable rejections stop at once; both leave an exception for a person).
const { writeBackShipment } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 150 },
  summary: 'write the tracking number back to the platform',
});

/** A stage of the order's path: undefined to go on, or the order's result when it ended there. */
type Stage = (run: OrderRun) => Promise<OrderResult | undefined>;

/** The run's stages beside `OrderRun`: its review and its exceptions. */
interface Parts {
  review: ReviewStage;
  exceptions: OrderExceptions;
}

/** Where the order stands, for the exception resolution's validator. */
function situationOf(run: OrderRun): OrderSituation {
  if (run.status === 'short') return 'short';
  if (run.status === 'awaiting_payment' || run.status === 'deposit_paid') return 'unpaid';
  if (run.status === 'pending_review') return 'review';
  if (run.status !== 'on_hold') return 'other';
  if (run.holdReason === 'shipment failed') return 'shipment_failed';
  if (run.holdReason === 'incomplete' || run.holdReason === 'refund in progress') return 'held';
  return run.fulfilment?.outcome.status === 'unroutable' ? 'unroutable' : 'other';
}

/**
 * Carries out an accepted resolution on the order's data (a cancellation, edits, a substitute SKU, cancelled
 * lines) and closes its exception. A person's change is not a platform change: it needs no new review.
 */
async function carryOut(run: OrderRun, parts: Parts, r: ExceptionResolution): Promise<void> {
  const e = parts.exceptions.exception(r.exceptionId);
  if (!e) return;
  const id = `exception:${e.id}:${r.action}`;
  const p = r.params ?? {};
  const announce = (event: 'exception.notify_buyer' | 'exception.refund_requested', detail: Record<string, unknown>) =>
    announceException({ exceptionId: e.id, orderId: run.orderId, shopId: run.order.shopId, type: e.type, event, by: r.resolvedBy, detail: { ...detail, ...(r.comment ? { comment: r.comment } : {}) } });
  switch (r.action) {
    case 'notify_buyer':
      // A reminder: the exception stays open until the buyer acts (or its SLA escalates it).
      await announce('exception.notify_buyer', { platformOrderId: run.order.platformOrderId });
      run.note('buyer_reminded', { exceptionId: e.id, type: e.type, by: r.resolvedBy });
      return;
    case 'refund':
      await announce('exception.refund_requested', {
        platformOrderId: run.order.platformOrderId,
        packages: (run.fulfilment?.state().packages ?? []).filter((x) => x.status === 'failed' || x.status === 'intercepted' || x.status === 'shipped').map((x) => ({ packageId: x.packageId, status: x.status, lineRefs: x.lineRefs })),
      });
      break;
    case 'ship_available':
    case 'ship_from_warehouse':
      if (!(await planChosen(run, r))) {
        // The stock moved on since it was suggested: the exception stays open for another choice.
        run.note('resolution_failed', { exceptionId: e.id, action: r.action, warehouseCode: p.warehouseCode, reason: 'the stock is no longer there' });
        log.warn('resolution could not be carried out: the stock is no longer there', { orderId: run.orderId, exceptionId: e.id, action: r.action });
        return;
      }
      break;
    case 'cancel_order':
      // The policy closing an order left unpaid: it ends closed (unpaid), not cancelled by a person.
      if (p.closeUnpaid === true) run.unpaidClosing = `unpaid: ${e.type === 'PAYMENT_FAILED' ? 'balance not paid' : 'not paid'} (${r.comment ?? 'exception policy'})`;
      run.onEvent({ eventId: id, type: 'cancelled', reason: r.comment ?? `cancelled by ${r.resolvedBy} (${e.type})` });
      break;
    case 'cancel_lines':
      run.onEvent({ eventId: id, type: 'refunded', lineIds: (p.lineRefs as string[]).map(String), reason: `lines cancelled by ${r.resolvedBy}` });
      break;
    case 'substitute_sku': {
      const lines = run.order.lines.map((l, i) => ((l.lineId ?? String(i + 1)) === p.lineRef ? { ...l, skuCode: String(p.skuCode) } : l));
      run.editLines(lines);
      break;
    }
    case 'edit_order':
    case 'choose_address': {
      const receiver = (r.action === 'choose_address' ? p : (p.receiver ?? {})) as Record<string, unknown>;
      const fields = ['name', 'phone', 'province', 'city', 'district', 'town', 'detail', 'postalCode'] as const;
      const edits = Object.fromEntries(fields.filter((f) => typeof receiver[f] === 'string').map((f) => [f, receiver[f] as string]));
      if (Object.keys(edits).length) run.onEvent({ eventId: `${id}:address`, type: 'address_changed', receiver: { ...run.order.receiver, ...edits } });
      const memo = typeof p.sellerMemo === 'string' ? { sellerMemo: p.sellerMemo } : {};
      const remark = typeof p.buyerRemark === 'string' ? { buyerRemark: p.buyerRemark } : {};
      if (Object.keys(memo).length || Object.keys(remark).length) run.onEvent({ eventId: `${id}:memo`, type: 'memo_changed', ...memo, ...remark });
      break;
    }
    default:
      break;
  }
  parts.review.acceptCurrent();
  await parts.exceptions.close(e, r.action, r.resolvedBy, r.comment);
}

/**
 * Plans as a person (or the policy) chose resolving a shortage: from one warehouse (with transfers when the
 * suggestion moves stock there), or only the lines in stock now with the others back-ordered (拆分发货).
 */
async function planChosen(run: OrderRun, r: ExceptionResolution): Promise<boolean> {
  const stage = run.fulfilment;
  const p = r.params ?? {};
  if (!stage) return false;
  const all = run.order.lines.map((l, i) => ({ lineRef: l.lineId ?? String(i + 1), skuCode: l.skuCode, quantity: l.quantity }));
  const chosen = r.action === 'ship_available' ? new Set((p.lines as { lineRef: string }[]).map((l) => l.lineRef)) : undefined;
  const transfers = Array.isArray(p.transfers) && p.transfers.length > 0;
  const planned = await stage.planDirected(
    {
      reason: `${r.action} by ${r.resolvedBy}`,
      warehouseCode: String(p.warehouseCode),
      ...(chosen ? { lines: all.filter((l) => chosen.has(l.lineRef)) } : {}),
      ...(transfers ? { transfers: true } : {}),
    },
    chosen ? all.filter((l) => !chosen.has(l.lineRef)) : undefined,
  );
  if (planned) run.note('planned_by_resolution', { action: r.action, warehouseCode: p.warehouseCode, ...(chosen ? { now: [...chosen], backorder: stage.backorder().map((l) => l.lineRef) } : {}) });
  return planned;
}

/**
 * One order, from its first event to shipment. Started by signal-with-start with the id
 * `order:<platform>:<shopId>:<platformOrderId>`; every event arrives as its `order.<type>` signal (or the
 * legacy `orderEvent`), in any order and possibly more than once. The state of the run lives in `OrderRun`;
 * this reads as the stages.
 */
export const orderWorkflow: OrderWorkflow = async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderResult> {
  const run = new OrderRun(input);
  // One handler for every event, whatever name it came under (see ORDER_EVENT_SIGNAL_NAMES).
  setHandler(orderEventSignal, (e) => run.onEvent(e), { description: 'Any order event (the name senders used before order.<type>)' });
  for (const [type, signal] of Object.entries(orderEventSignals)) {
    setHandler(signal, (e) => run.onEvent(e), { description: `The order event \`${type}\` from the platform, the API or a person` });
  }
  setHandler(stateQuery, () => run.state());
  const review = new ReviewStage(run);
  run.reviewStage = review;
  setHandler(reviewDecisionUpdate, (d: ReviewDecision) => review.decide(d), { validator: (d: ReviewDecision) => review.validate(d), description: 'A reviewer decides an order waiting for manual review' });
  const exceptions = new OrderExceptions(run, () => situationOf(run));
  run.exceptionsPart = exceptions;
  setHandler(resolveExceptionUpdate, async (r: ExceptionResolution) => exceptions.accept(r), {
    validator: (r: ExceptionResolution) => exceptions.validate(r),
    description: "Resolves one of the order's open exceptions with a suggested or manual action",
  });
  const parts: Parts = { review, exceptions };
  exceptions.perform = (r) => carryOut(run, parts, r);
  if (run.exceptionCentre()) {
    review.raise = (kind, detail) => raise(run, parts, kind, detail);
    review.clear = (kind, reason) => exceptions.clear(kind, reason);
  }
  if (run.exceptionActions()) {
    // The review's own exceptions (a price difference, a blacklisted buyer, an address) are resolved in the
    // exception queue like any other; the review learns how.
    review.resolutions = {
      pending: () => exceptions.hasPending(),
      carryOut: async () => {
        const done: { kind: string; action: string; by: string }[] = [];
        for (let r = exceptions.next(); r; r = exceptions.next()) {
          const e = exceptions.exception(r.exceptionId);
          await carryOut(run, parts, r);
          if (e?.resolved) done.push({ kind: e.kind, action: r.action, by: r.resolvedBy });
        }
        return done;
      },
      isOpen: (kind) => exceptions.openOf(kind) !== undefined,
    };
  }

  // A payment or a cancellation may arrive before the order itself (a continued run has it already).
  if (!run.resumed && !run.facts.order && !run.isCancelled()) {
    run.orderDueBy = new Date(workflowNow().getTime() + input.paymentTimeoutMs).toISOString();
    run.showDetails();
  }
  if (!run.resumed) await condition(() => run.facts.order !== undefined || run.isCancelled(), input.paymentTimeoutMs, { summary: 'wait for the order itself: another event came first' });
  if (!run.facts.order) return run.endWithoutOrder();
  run.tagOrder();
  // Exceptions still open when the run ends are handed to watches of their own.
  const end = async (result: OrderResult): Promise<OrderResult> => {
    if (run.exceptionActions()) await exceptions.handOver();
    return result;
  };

  // A run continued while waiting for stock was paid, validated and reviewed by the run before it.
  const stages: Stage[] = run.resumed
    ? [(r) => fulfil(r, parts), (r) => ship(r, parts)]
    : [(r) => awaitPayment(r, parts), (r) => validateUntilClean(r, parts), (r) => reviewByRules(r, review), (r) => fulfil(r, parts), (r) => ship(r, parts)];
  for (const stage of stages) {
    const ended = await stage(run);
    if (ended) return end(ended);
  }
  return end(await run.finish());
};

/** Payment: a normal order waits for it until its timeout; a presale order pays a deposit, then the balance. */
async function awaitPayment(run: OrderRun, parts: Parts): Promise<OrderResult | undefined> {
  const first = run.order;
  const timeout = run.input.paymentTimeoutMs;
  if (first.presale) {
    const ended = await awaitPresalePayment(run, parts, first.presale.balanceDueAt);
    if (ended) return ended;
  } else if (!run.facts.paidAt && !run.isStopping()) {
    run.deadlineIn(timeout);
    await run.moveTo('awaiting_payment', { paymentDeadline: run.paymentDeadline });
    if (!(await run.waitFor(() => run.facts.paidAt !== undefined, timeout, `payment deadline ${run.paymentDeadline}`))) return run.isStopping() ? endStopped(run, undefined) : run.close('unpaid: payment timeout');
  }
  if (run.isStopping()) return endStopped(run, undefined);
  await run.moveTo('paid', { paidAt: run.facts.paidAt });
  return undefined;
}

/** A presale order: the deposit within the payment timeout, then the balance by its deadline. */
async function awaitPresalePayment(run: OrderRun, parts: Parts, balanceDueAt: string | undefined): Promise<OrderResult | undefined> {
  const timeout = run.input.paymentTimeoutMs;
  const depositOrBalance = () => run.facts.depositPaidAt !== undefined || run.facts.balancePaidAt !== undefined;
  if (!depositOrBalance() && !run.isStopping()) {
    run.deadlineIn(timeout);
    await run.moveTo('awaiting_payment', { paymentDeadline: run.paymentDeadline, presale: true });
    if (!(await run.waitFor(depositOrBalance, timeout, `deposit deadline ${run.paymentDeadline}`))) return run.isStopping() ? endStopped(run, undefined) : run.close('unpaid: deposit not paid in time');
  }
  if (run.isStopping()) return endStopped(run, undefined);
  if (run.facts.balancePaidAt) return undefined;
  const due = run.deadlineIn(balanceDueAt ? Date.parse(balanceDueAt) - workflowNow().getTime() : timeout);
  await run.moveTo('deposit_paid', { balanceDueAt: run.paymentDeadline });
  if (run.facts.options.processAtDeposit) {
    // The shop checks presale orders at deposit time so problems surface weeks before the balance day.
    const held = await validateUntilClean(run, parts);
    if (held) return held;
  }
  const balancePaid = () => run.facts.balancePaidAt !== undefined;
  if (await run.waitFor(balancePaid, due, `balance deadline ${run.paymentDeadline}`)) return undefined;
  if (run.isStopping()) return endStopped(run, undefined);
  if (!run.exceptionActions()) return run.close('unpaid: balance deadline passed');
  return balanceOverdue(run, parts);
}

/**
 * The balance deadline passed unpaid: PAYMENT_FAILED opens and the order keeps waiting for the balance while a
 * person reminds the buyer (the exception stays open), releases it (the payment is known to have arrived: it
 * goes on as paid) or cancels it; the policy's final action closes it unpaid.
 */
async function balanceOverdue(run: OrderRun, parts: Parts): Promise<OrderResult | undefined> {
  const balancePaid = () => run.facts.balancePaidAt !== undefined;
  await parts.exceptions.raise('balance_overdue', { balanceDueAt: run.paymentDeadline, balanceFen: run.order.presale?.balanceFen });
  let released = false;
  while (!released && !balancePaid() && !run.isStopping()) {
    await condition(() => balancePaid() || run.isStopping() || parts.exceptions.hasPending());
    for (let r = parts.exceptions.next(); r; r = parts.exceptions.next()) {
      await carryOut(run, parts, r);
      if (r.action === 'release_hold') released = true;
    }
  }
  if (run.unpaidClosing && run.isCancelled()) return run.close(run.unpaidClosing);
  if (run.isStopping()) return endStopped(run, undefined);
  if (released) run.note('balance_released', { reason: 'released by a person: the balance is known to be paid' });
  else await parts.exceptions.clear('balance_overdue', 'the balance was paid');
  return undefined;
}

/**
 * Validation: complete data, no refund in flight. A held order waits for a fix (an address change, a fresh
 * snapshot, a closed refund) or a cancellation, and is validated again.
 */
async function validateUntilClean(run: OrderRun, parts: Parts): Promise<OrderResult | undefined> {
  const { exceptions } = parts;
  let released = false;
  for (;;) {
    if (run.isStopping()) return endStopped(run, undefined);
    const seen = run.facts.revision;
    run.issues = await validateOrder({ orderId: run.orderId, order: run.order });
    const blocking = hasBlockingIssues(run.issues);
    if (released || (!blocking && !run.refundInProgress)) break;
    run.holdReason = blocking ? 'incomplete' : 'refund in progress';
    run.tagException(blocking ? 'incomplete' : 'refund');
    const blockingCodes = run.issues.filter((i) => i.severity === 'blocking').map((i) => i.code);
    await run.moveTo('on_hold', { reason: run.holdReason, ...(blocking ? { issues: blockingCodes } : {}) });
    const centre = run.exceptionCentre();
    if (centre) await exceptions.raise(blocking ? 'incomplete' : 'refund', blocking ? { issues: run.issues.filter((i) => i.severity === 'blocking') } : { refunding: run.facts.refundingLines });
    await condition(() => run.isStopping() || run.facts.revision !== seen || (!blocking && !run.refundInProgress) || (centre && exceptions.hasPending()));
    // A person's resolution: released as it is, or edited (validated again), or cancelled.
    for (let r = exceptions.next(); r; r = exceptions.next()) {
      await carryOut(run, parts, r);
      if (r.action === 'release_hold') released = true;
    }
  }
  if (run.holdReason) {
    run.holdReason = undefined;
    run.tagException(null);
    run.note(released ? 'hold_released' : 'hold_cleared');
    await exceptions.clear('incomplete', 'the order was fixed');
    await exceptions.clear('refund', 'the refund was closed');
  }
  if (run.issues.length) run.note('validation_warnings', { issues: run.issues.map((i) => i.code) });
  return undefined;
}

/**
 * Review: the rules' verdict (approve, manual review, hold, reject) with priority and the rules for
 * fulfilment; a person decides where a rule says so (see `ReviewStage`).
 */
async function reviewByRules(run: OrderRun, review: ReviewStage): Promise<OrderResult | undefined> {
  if (!run.reviews()) return undefined;
  const ended = await review.untilApproved();
  return ended === 'stopping' ? endStopped(run, undefined) : undefined;
}

/**
 * Fulfilment: allocate, reserve, split and merge into packages (waiting for stock when short); the order is
 * `allocated` while its packages wait in their hold windows and `released` once the warehouse has them.
 */
async function fulfil(run: OrderRun, parts: Parts): Promise<OrderResult | undefined> {
  const { review, exceptions } = parts;
  const paidAt = run.facts.paidAt ?? run.order.paidAt;
  const input = {
    orderId: run.orderId,
    order: run.order,
    currentOrder: () => run.order,
    refundInProgress: run.refundInProgress,
    isCancelled: run.isStopping,
    changed: () => run.showDetails(),
    ...(paidAt ? { paidAt } : {}),
    ...(run.reviewStage?.rules
      ? { rules: run.reviewStage.rules, priority: run.reviewStage.priority, taskPriority: taskPriorityOf(run.reviewStage.priority, run.order.shopId) }
      : {}),
  };
  const stage = await FulfilmentStage.run(input, run.input.resume?.fulfilment);
  run.fulfilment = stage;
  // Short, awaiting transfers or unroutable; an unroutable order whose address a person corrects is planned
  // again and goes through these once more.
  for (;;) {
    if (stage.outcome.status === 'short') {
      // A continued run is short already: the status and its exception tag came with it.
      if (!run.resumed) {
        run.tagException('out_of_stock');
        await run.moveTo('short', { shortages: stage.outcome.shortages.map((s) => ({ skuCode: s.skuCode, short: s.short })) });
      }
      const centre = run.exceptionCentre();
      if (centre) await exceptions.raise('out_of_stock', { shortages: stage.outcome.shortages });
      const hooks = { ...reviewAgainOnChange(run, review, stage), ...(centre ? resolvedWhileShort(run, parts) : {}) };
      const waited = await stage.waitForStock(run.isStopping, run.input.plansPerRun, hooks);
      if (waited === 'continue_as_new') return continueWaiting(run, stage);
      if (waited === 'planned') {
        run.tagException(null);
        await exceptions.clear('out_of_stock', 'stock found: planned');
      }
    } else if (run.resumed) {
      run.tagException(null);
    }
    if (stage.outcome.status === 'awaiting_transfer') {
      // Stock on its way from another warehouse: the packages are joined once it is in the target's stock.
      run.note('awaiting_transfers', { transfers: stage.state().transfers ?? [] });
      if (await stage.awaitTransfers(run.isStopping)) run.note('transfers_received', { transfers: (stage.state().transfers ?? []).map((t) => t.transferId) });
    }
    if (stage.outcome.status === 'unroutable') {
      run.holdReason = stage.outcome.reason;
      await run.moveTo('on_hold', { reason: run.holdReason });
      if (run.exceptionCentre()) {
        await exceptions.raise('unroutable', { reason: stage.outcome.reason });
        // Held until a person gives the address (planned again at once) or cancels the order.
        if (await addressGiven(run, parts)) {
          run.holdReason = undefined;
          run.note('planned_again', { reason: 'address corrected' });
          await stage.planAgain();
          continue;
        }
      } else {
        await condition(run.isStopping);
      }
    }
    break;
  }
  if (run.isStopping()) return endStopped(run, stage, parts);
  // A line refunded while the parcels were being packed is in a parcel the order no longer has: reported once
  // the warehouse has it, like a refund after release.
  const gone = stage.linesNotIn(run.order);
  if (gone.length) run.recordChange({ eventId: 'refunded-while-packing', kind: 'refunded', lineIds: gone });
  const warehouses = [...new Set(stage.state().packages.map((p) => p.warehouseCode))].sort();
  const outcome = stage.outcome;
  // Released without allocation (no warehouse managed here), or a run from before the allocated status.
  if (outcome.status !== 'released' || !run.showsAllocated()) {
    await run.release(warehouses, outcome.status === 'released' ? { packages: outcome.packageIds } : undefined);
    return undefined;
  }
  await run.allocate(warehouses, { packages: stage.state().packages.map((p) => ({ packageId: p.packageId, warehouseCode: p.warehouseCode, windowEnd: p.windowEnd })) });
  await condition(() => stage.handedOver() || run.isStopping());
  if (!stage.handedOver()) return endStopped(run, stage, parts);
  await run.release(undefined, { packages: outcome.packageIds });
  return undefined;
}

/**
 * An approved order waiting for stock that the platform changes (address, remark, amount) goes through review
 * again before its next plan, under the rule set version it started with; its new rules and priority apply to
 * the plans after. Undefined for runs from before (patched) and orders that were never reviewed.
 */
function reviewAgainOnChange(run: OrderRun, review: ReviewStage, stage: FulfilmentStage): OrderChangeHook | undefined {
  if (!run.reReviewsOnChange()) return undefined;
  return {
    changed: () => review.changedSinceApproval(),
    review: async () => {
      run.note('review_restarted', { reason: 'the order changed on the platform while it waited for stock' });
      const ended = await review.untilApproved();
      if (ended) return ended;
      stage.useRules(review.rules, review.priority, taskPriorityOf(review.priority, run.order.shopId));
      if (run.status === 'short') return undefined;
      run.tagException('out_of_stock');
      await run.moveTo('short', { shortages: (stage.state().shortages ?? []).map((s) => ({ skuCode: s.skuCode, short: s.short })) });
      return undefined;
    },
  };
}

/**
 * Waits, for an unroutable order, for a person's resolution: true once an address was given (choose_address,
 * edit_order), false when the order was cancelled or stopped.
 */
async function addressGiven(run: OrderRun, parts: Parts): Promise<boolean> {
  for (;;) {
    await condition(() => run.isStopping() || parts.exceptions.hasPending());
    if (run.isStopping()) return false;
    let given = false;
    for (let r = parts.exceptions.next(); r; r = parts.exceptions.next()) {
      await carryOut(run, parts, r);
      if (r.action === 'choose_address' || r.action === 'edit_order') given = true;
    }
    if (given && !run.isStopping()) return true;
  }
}

/**
 * A person's resolution of the OUT_OF_STOCK exception while the order waits: substitute a SKU or cancel the
 * short lines (the next plan reads the order as it is then), keep waiting, or cancel the order.
 */
function resolvedWhileShort(run: OrderRun, parts: Parts): Pick<OrderChangeHook, 'pending' | 'act' | 'replanned'> {
  return {
    pending: () => parts.exceptions.hasPending(),
    act: async () => {
      for (let r = parts.exceptions.next(); r; r = parts.exceptions.next()) await carryOut(run, parts, r);
      return run.isStopping() ? 'stopping' : undefined;
    },
    // The exception shows the order's shortages as they are now, and its suggestions follow the stock.
    ...(run.exceptionActions()
      ? {
          replanned: async (shortages) => {
            await parts.exceptions.refresh('out_of_stock', { shortages });
          },
        }
      : {}),
  };
}

/**
 * Carries a short order to a fresh run (continue-as-new) so its history stays small however long it waits:
 * the next run starts at fulfilment with the order's facts, timeline and fulfilment so far.
 */
async function continueWaiting(run: OrderRun, stage: FulfilmentStage): Promise<never> {
  await condition(allHandlersFinished);
  run.note('continued_as_new', { runs: (run.input.resume?.runs ?? 0) + 1, attempts: stage.state().attempts });
  const next = makeContinueAsNewFunc<OrderWorkflow>({ typedSearchAttributes: workflowInfo().typedSearchAttributes });
  return next({ ...run.input, resume: run.carry(stage.carry()) });
}

/** Shipment: every package reports back; the tracking numbers are written back to the platform. */
async function ship(run: OrderRun, parts: Parts): Promise<OrderResult | undefined> {
  const stage = run.fulfilment!;
  const promised = run.order.promisedShipAt;
  if (promised && run.exceptionCentre()) {
    // SHIPMENT_OVERDUE opens the policy's warning lead before the platform's promised ship time.
    const { minutes } = await shipmentWarningLead();
    const warnAt = new Date(Date.parse(promised) - minutes * 60_000).toISOString();
    void parts.exceptions.watchPromise(warnAt, () => stage.settled() || run.isCancelled(), { promisedShipAt: promised, packages: stage.state().packages.map((p) => p.packageId) });
  }
  await reportChangesUntilShipped(run, stage, parts);
  const written = new Set<string>();
  const missedReported = new Set<string>();
  for (;;) {
    const shipment = await stage.awaitShipment(run.isCancelled);
    if (shipment.status === 'cancelled') return cancelFulfilment(run, stage, parts);
    if (shipment.status === 'shipped' || shipment.status === 'failed') {
      const parcels = shipment.shipments.length + (shipment.status === 'failed' ? shipment.failed.length : 0);
      // A parcel sent again: those that shipped before were written back then.
      for (const sh of shipment.shipments.filter((x) => !written.has(x.packageId))) {
        written.add(sh.packageId);
        await writeBack(run, sh, parcels);
      }
    }
    if (run.exceptionActions()) await reportMissedInterceptions(run, stage, parts, missedReported);
    if (shipment.status === 'shipped' && stage.backorder().length > 0) {
      // The lines in stock went; the back-ordered ones follow once they are (拆分发货).
      const ended = await shipBackorder(run, stage, parts, shipment.shipments);
      if (ended) return ended;
      continue;
    }
    if (shipment.status === 'shipped') await run.moveTo('shipped', { packages: shipment.shipments });
    if (shipment.status !== 'failed') return undefined;
    // The warehouse could not ship a parcel: a person decides (re-ship, refund, cancel).
    run.holdReason = 'shipment failed';
    run.tagException('shipment_failed');
    await run.moveTo('on_hold', { reason: run.holdReason, failed: shipment.failed });
    const again = run.exceptionCentre() ? await reshipWanted(run, parts, shipment.failed) : undefined;
    if (again === 'refund') return refundFailed(run, stage, shipment);
    if (!again) {
      await condition(run.isCancelled);
      return cancelFulfilment(run, stage, parts);
    }
    const packages = await stage.reship(again.carrierCode);
    run.holdReason = undefined;
    run.tagException(null);
    await run.moveTo('released', { reshipped: shipment.failed.map((f) => f.packageId), packages, ...(again.carrierCode ? { carrierCode: again.carrierCode } : {}) });
  }
}

/**
 * Opens WAREHOUSE_REJECTED for the parcels that did not ship and waits for a person: `reship` (with a carrier
 * when one was chosen), or undefined when the order is cancelled instead.
 */
async function reshipWanted(run: OrderRun, parts: Parts, failed: unknown[]): Promise<{ carrierCode?: string } | 'refund' | undefined> {
  await parts.exceptions.raise('shipment_failed', { failed });
  for (;;) {
    await condition(() => run.isCancelled() || parts.exceptions.hasPending());
    if (run.isCancelled()) return undefined;
    for (let r = parts.exceptions.next(); r; r = parts.exceptions.next()) {
      await carryOut(run, parts, r);
      if (r.action === 'reship') return typeof r.params?.carrierCode === 'string' ? { carrierCode: r.params.carrierCode } : {};
      if (r.action === 'refund') return 'refund';
    }
  }
}

/**
 * The buyer is refunded for the parcels the warehouse could not ship (the seller's systems were asked to refund
 * on the platform): their stock is given back and the order ends with what shipped, or cancelled when nothing did.
 */
async function refundFailed(run: OrderRun, stage: FulfilmentStage, shipment: { shipments: unknown[]; failed: { packageId: string }[] }): Promise<OrderResult | undefined> {
  const released = await stage.giveUpFailed();
  run.holdReason = undefined;
  run.tagException(null);
  const detail = { refunded: shipment.failed.map((f) => f.packageId), releasedReservations: released };
  if (shipment.shipments.length === 0) {
    run.onEvent({ eventId: 'refund-instead-of-shipping', type: 'cancelled', reason: 'refunded: the warehouse could not ship the order' });
    run.note('refunded_instead_of_shipping', detail);
    return run.cancel();
  }
  await run.moveTo('shipped', { packages: shipment.shipments, ...detail });
  return undefined;
}

/**
 * Ships the back-ordered lines once the first parcels went: the order waits in the stock queues (short) until
 * they are in stock, then they are planned, packed and released like the first ones; cancelled meanwhile, it
 * ends as a cancellation of what is left.
 */
async function shipBackorder(run: OrderRun, stage: FulfilmentStage, parts: Parts, shipped: unknown[]): Promise<OrderResult | undefined> {
  const lines = stage.backorder().map((l) => l.lineRef);
  await stage.planBackorder();
  if (stage.outcome.status === 'short') {
    run.tagException('out_of_stock');
    await run.moveTo('short', { backorder: lines, shipped, shortages: stage.outcome.shortages.map((x) => ({ skuCode: x.skuCode, short: x.short })) });
    // The run does not continue as new here: its parcels so far are part of the order it follows.
    const waited = await stage.waitForStock(run.isStopping, undefined, resolvedWhileShort(run, parts), { mayContinueAsNew: false });
    if (waited === 'cancelled' || run.isStopping()) return endStopped(run, stage, parts);
    run.tagException(null);
  }
  if (stage.outcome.status === 'awaiting_transfer') await stage.awaitTransfers(run.isStopping);
  await condition(() => stage.handedOver() || run.isStopping());
  if (run.isStopping()) return endStopped(run, stage, parts);
  await run.moveTo('released', { backorder: lines, packages: stage.outcome.status === 'released' ? stage.outcome.packageIds : [] });
  return undefined;
}

/**
 * A parcel the warehouse was asked to stop for a change after release but that shipped all the same:
 * INTERCEPT_FAILED, for a person to settle with the buyer (acknowledge, refund).
 */
async function reportMissedInterceptions(run: OrderRun, stage: FulfilmentStage, parts: Parts, reported: Set<string>): Promise<void> {
  const missed = stage.state().packages.filter((p) => p.interceptForChange !== undefined && !reported.has(p.packageId) && (p.status === 'shipped' || p.interceptFailed !== undefined));
  if (missed.length === 0) return;
  for (const p of missed) reported.add(p.packageId);
  run.tagException('intercept_failed');
  await raise(run, parts, 'intercept_failed', { reason: missed[0]!.interceptForChange, packages: missed.map((p) => ({ packageId: p.packageId, trackingNo: p.trackingNo, failure: p.interceptFailed })) });
}

/**
 * While the parcels are with the warehouse, a change the platform reports (address, amount, a refund) means
 * the parcel no longer matches the order: each one opens an exception for a person, who decides whether to
 * intercept and re-ship.
 */
async function reportChangesUntilShipped(run: OrderRun, stage: FulfilmentStage, parts: Parts): Promise<void> {
  let reported = 0;
  const unreported = () => run.facts.changesAfterRelease.length > reported && run.reportsChangesAfterRelease();
  for (;;) {
    await condition(() => stage.settled() || run.isCancelled() || unreported());
    if (stage.settled() || run.isCancelled()) return;
    const changes = run.facts.changesAfterRelease.slice(reported);
    reported = run.facts.changesAfterRelease.length;
    run.tagException('changed_after_release');
    const packages = stage.state().packages.map((p) => p.packageId);
    await raise(run, parts, 'changed_after_release', { changes, packages });
    run.note('changed_after_release', { changes, packages });
    if (run.interceptsOnChange()) await interceptChanged(run, stage, changes);
  }
}

/** Asks the warehouse for the parcels a change concerns: those holding refunded lines, or all for an address or amount change. */
async function interceptChanged(run: OrderRun, stage: FulfilmentStage, changes: readonly ChangeAfterRelease[]): Promise<void> {
  const isRefund = (c: ChangeAfterRelease) => c.kind === 'refunded' || c.kind === 'refund_requested';
  const wholeOrder = changes.some((c) => !isRefund(c) || !c.lineIds?.length);
  const lineRefs = wholeOrder ? undefined : changes.flatMap((c) => c.lineIds ?? []);
  const reason = `order changed after release: ${[...new Set(changes.map((c) => c.kind))].join(', ')}`;
  const requested = await stage.requestInterception(reason, lineRefs);
  if (requested.length) run.note('interception_requested', { packages: requested, reason });
}

/** Opens an exception: with its SLA timers in runs of the exception centre, only recorded in runs from before. */
async function raise(run: OrderRun, parts: Parts | undefined, kind: string, detail: Record<string, unknown>): Promise<void> {
  if (parts && run.exceptionCentre()) await parts.exceptions.raise(kind, detail);
  else await openOrderException({ orderId: run.orderId, shopId: run.order.shopId, kind, detail });
}

/** Ends an order stopped before release: cancelled, or shipped on the platform outside Orderly. */
async function endStopped(run: OrderRun, stage: FulfilmentStage | undefined, parts?: Parts): Promise<OrderResult> {
  if (run.isCancelled()) return stage ? cancelFulfilment(run, stage, parts) : run.cancel();
  if (stage) await stage.cancel('shipped on the platform');
  return run.endShippedElsewhere();
}

/**
 * Cancels an order that holds stock and package places: it leaves open packages and asks the warehouse to
 * intercept sealed ones. An intercepted parcel keeps its stock reserved until the warehouse answers: stopped
 * (the stock is given back) or shipped all the same (the shipment consumes it, the order ends shipped and a
 * person is told).
 */
async function cancelFulfilment(run: OrderRun, stage: FulfilmentStage, parts?: Parts): Promise<OrderResult> {
  const protocol = run.followsInterceptions();
  await stage.cancel(run.cancelReason, { keepIntercepted: protocol });
  if (!protocol || stage.intercepting().length === 0) return run.cancel();
  run.holdReason = 'awaiting interception';
  await run.moveTo('on_hold', { reason: run.holdReason, packages: stage.intercepting().map((p) => p.packageId) });
  const settled = await stage.settleInterceptions();
  run.holdReason = undefined;
  if (settled.shippedAnyway.length === 0) return run.cancel();
  run.tagException('intercept_failed');
  const detail = { reason: run.cancelReason, packages: settled.shippedAnyway };
  await raise(run, parts, 'intercept_failed', detail);
  await run.moveTo('shipped', { ...detail, afterCancellation: true });
  return run.finish();
}

/**
 * Sends one package's tracking number to the platform, with the platform's ids of the lines it carries. An
 * order that leaves in one package holding all its lines is told as a whole; otherwise each package is part
 * of a split shipment. A rejection is recorded (the activity opens an exception), not fatal.
 */
async function writeBack(run: OrderRun, sh: { packageId: string; lineRefs: string[]; carrierCode: string; trackingNo: string }, parcels: number): Promise<void> {
  const { platform, shopId, platformOrderId, lines } = run.order;
  const { carrierCode, trackingNo, packageId } = sh;
  // A line's ref is its platform id, or its 1-based position without one (as planFulfilment builds it).
  const refs = new Set(sh.lineRefs);
  const inParcel = lines.filter((l, i) => refs.has(l.lineId ?? String(i + 1)));
  // Packages from before lineRefs existed name no lines: they are the whole order, as they were then.
  const split = parcels > 1 || (refs.size > 0 && inParcel.length < lines.length);
  const lineIds = split ? inParcel.flatMap((l) => (l.lineId ? [l.lineId] : [])) : undefined;
  try {
    const r = await writeBackShipment({ orderId: run.orderId, platform, shopId, platformOrderId, carrierCode, trackingNo, packageId, split, ...(lineIds ? { lineIds } : {}) });
    run.note(r.status === 'skipped' ? 'writeback_skipped' : 'tracking_written_back', { trackingNo, carrierCode, packageId, result: r.status, ...(lineIds ? { lineIds } : {}) });
  } catch (e) {
    run.note('writeback_failed', { trackingNo, carrierCode, packageId, error: e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e) });
  }
}
