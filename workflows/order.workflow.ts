import {
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { hasBlockingIssues, type CompletenessIssue } from '../domain/completeness.js';
import type { CanonicalOrder } from '../domain/order.js';
import type { OrderStatus } from '../domain/order-status.js';
import { isPaidOnPlatform, isShippedOnPlatform } from '../domain/platform-state.js';
import { workflowNow } from './clock.js';
import { runFulfilment, type Fulfilment } from './fulfilment.stage.js';
import {
  orderEventSignal,
  stateQuery,
  type OrderEvent,
  type OrderProcessingOptions,
  type OrderResult,
  type OrderState,
  type OrderWorkflowInput,
  type PlatformOrderState,
  type TimelineEntry,
} from './order.messages.js';
import { ExceptionTypeKey, orderAttributes, OrderStatusKey, WarehouseKey } from './search-attributes.js';

// Read-model writes and validation are short database calls: local activities run them in the worker
// without a round trip through the Temporal server per call (half the server work per order at peak).
const { syncReadModel, validateOrder } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// A platform that is down for hours must not lose the tracking number: keep retrying for a day, then give up
// (non-retryable rejections stop at once; both leave an exception for a person).
const { writeBackShipment } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 150 },
  summary: 'write the tracking number back to the platform',
});

/** Applied event ids kept in the state query; the full set is kept for deduplication. */
const MAX_IDS_IN_QUERY = 50;

/**
 * One order, from its first event to release. Started by signal-with-start with the id
 * `order:<platform>:<shopId>:<platformOrderId>`; every event arrives as the `orderEvent` signal, in any
 * order and possibly more than once.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderResult> {
  const applied = new Set<string>();
  let ignored = 0;
  let order: CanonicalOrder | undefined;
  let options: OrderProcessingOptions = {};
  let paidAt: string | undefined;
  let depositPaidAt: string | undefined;
  let balancePaidAt: string | undefined;
  let cancelled: { reason: string } | undefined;
  const refundingLines = new Set<string>();
  let refundingWholeOrder = false;
  let platformShipment: { carrierCode?: string; trackingNo?: string } | undefined;
  /** Bumped whenever the order's data changes, so a held order is validated again. */
  let revision = 0;
  let released = false;
  let issues: CompletenessIssue[] = [];
  let fulfilmentStage: Fulfilment | undefined = undefined;
  let status: OrderStatus = 'received';
  let closedReason: string | undefined;
  let holdReason: string | undefined;
  let paymentDeadline: string | undefined;
  let releasedAt: string | undefined = undefined;
  let closedAt: string | undefined;
  let version = 0;
  let seq = 0;
  const timeline: TimelineEntry[] = [];
  let unsynced: TimelineEntry[] = [];

  const now = () => workflowNow().toISOString();
  const note = (type: string, detail?: Record<string, unknown>) => {
    const entry: TimelineEntry = { seq: ++seq, type, at: now(), ...(detail ? { detail } : {}) };
    timeline.push(entry);
    unsynced.push(entry);
  };
  const refundInProgress = () => refundingWholeOrder || refundingLines.size > 0;

  /** Payment facts carried by the order itself (an order that arrives already paid). */
  const takePaymentsFrom = (o: CanonicalOrder) => {
    if (o.presale) {
      if (o.presale.depositPaidAt) depositPaidAt ??= o.presale.depositPaidAt;
      if (o.presale.balancePaidAt) {
        balancePaidAt ??= o.presale.balancePaidAt;
        paidAt ??= o.presale.balancePaidAt;
      }
    } else if (o.paidAt) {
      paidAt ??= o.paidAt;
    }
  };

  const takePlatformState = (state: PlatformOrderState | undefined, o: CanonicalOrder) => {
    if (!state) return;
    if (state === 'cancelled') cancelled ??= { reason: 'cancelled on the platform' };
    if (state === 'deposit_paid') depositPaidAt ??= o.presale?.depositPaidAt ?? now();
    if (isPaidOnPlatform(state)) {
      paidAt ??= o.paidAt ?? o.presale?.balancePaidAt ?? now();
      if (o.presale) balancePaidAt ??= paidAt;
    }
    if (isShippedOnPlatform(state)) platformShipment ??= {};
  };

  const takeOrder = (e: Extract<OrderEvent, { type: 'created' | 'snapshot' }>) => {
    if (!order) {
      order = e.order;
      options = e.options ?? {};
      note('created', { eventId: e.eventId, via: e.type });
    } else if (!released) {
      order = e.order;
      revision++;
      note('order_updated', { eventId: e.eventId });
    } else {
      // After release the warehouse owns the parcel: a changed order needs interception, not an edit.
      note('order_changed_after_release', { eventId: e.eventId });
    }
    takePaymentsFrom(e.order);
    takePlatformState(e.platformState, e.order);
  };

  setHandler(orderEventSignal, (e: OrderEvent) => {
    if (applied.has(e.eventId)) {
      ignored++;
      return;
    }
    applied.add(e.eventId);
    switch (e.type) {
      case 'created':
      case 'snapshot':
        takeOrder(e);
        return;
      case 'paid': {
        const at = e.paidAt ?? now();
        paidAt ??= at;
        if (order?.presale) balancePaidAt ??= at;
        note('payment_received', { eventId: e.eventId, paidAt: at, ...(e.paidFen !== undefined ? { paidFen: e.paidFen } : {}) });
        return;
      }
      case 'deposit_paid':
        depositPaidAt ??= e.paidAt ?? now();
        note('deposit_received', { eventId: e.eventId, paidAt: depositPaidAt });
        return;
      case 'balance_paid':
        balancePaidAt ??= e.paidAt ?? now();
        paidAt ??= balancePaidAt;
        note('balance_received', { eventId: e.eventId, paidAt: balancePaidAt });
        return;
      case 'address_changed':
        if (order && !released) {
          order = { ...order, receiver: e.receiver };
          revision++;
          note('address_changed', { eventId: e.eventId });
        } else {
          note(order ? 'address_changed_after_release' : 'address_changed_before_order', { eventId: e.eventId });
        }
        return;
      case 'memo_changed':
        if (order) {
          order = {
            ...order,
            ...(e.sellerMemo !== undefined ? { sellerMemo: e.sellerMemo } : {}),
            ...(e.buyerRemark !== undefined ? { buyerRemark: e.buyerRemark } : {}),
          };
        }
        note('memo_changed', { eventId: e.eventId });
        return;
      case 'amount_changed':
        if (order && !released) {
          order = { ...order, amounts: e.amounts, ...(e.lines ? { lines: e.lines } : {}) };
          revision++;
        }
        note('amount_changed', { eventId: e.eventId, paidFen: e.amounts.paidFen });
        return;
      case 'refund_requested':
        if (e.lineIds?.length) for (const id of e.lineIds) refundingLines.add(id);
        else refundingWholeOrder = true;
        note('refund_requested', { eventId: e.eventId, ...(e.lineIds ? { lineIds: e.lineIds } : {}), ...(e.reason ? { reason: e.reason } : {}) });
        return;
      case 'refund_closed':
        if (e.lineIds?.length) for (const id of e.lineIds) refundingLines.delete(id);
        else {
          refundingLines.clear();
          refundingWholeOrder = false;
        }
        note('refund_closed', { eventId: e.eventId, ...(e.lineIds ? { lineIds: e.lineIds } : {}) });
        return;
      case 'cancelled':
        if (cancelled) {
          ignored++;
          return;
        }
        cancelled = { reason: e.reason ?? 'cancelled' };
        note('cancel_requested', { eventId: e.eventId, reason: cancelled.reason });
        return;
      case 'shipped':
        platformShipment = { ...(e.carrierCode ? { carrierCode: e.carrierCode } : {}), ...(e.trackingNo ? { trackingNo: e.trackingNo } : {}) };
        note('shipped_on_platform', { eventId: e.eventId, ...platformShipment });
        return;
    }
  });

  setHandler(stateQuery, (): OrderState => {
    const ids = [...applied];
    return {
      orderId: input.orderId,
      status,
      ...(order ? { platform: order.platform, shopId: order.shopId, platformOrderId: order.platformOrderId } : {}),
      ...(paidAt ? { paidAt } : {}),
      ...(depositPaidAt ? { depositPaidAt } : {}),
      ...(paymentDeadline ? { paymentDeadline } : {}),
      ...(closedReason ? { closedReason } : {}),
      ...(holdReason ? { holdReason } : {}),
      ...(issues.length ? { issues } : {}),
      ...(refundInProgress() ? { refunding: refundingWholeOrder ? ['*'] : [...refundingLines] } : {}),
      ...(fulfilmentStage ? { fulfilment: fulfilmentStage.state() } : {}),
      appliedEventIds: ids.slice(-MAX_IDS_IN_QUERY),
      ignoredEvents: ignored,
      timeline: [...timeline],
    };
  });

  const moveTo = async (next: OrderStatus, detail?: Record<string, unknown>) => {
    status = next;
    note(`status:${next}`, detail);
    upsertSearchAttributes([{ key: OrderStatusKey, value: next }]);
    setCurrentDetails(`**${next}**${closedReason ? ` (${closedReason})` : holdReason ? ` (${holdReason})` : ''}`);
    if (!order) return;
    const batch = unsynced;
    unsynced = [];
    await syncReadModel({
      orderId: input.orderId,
      version: ++version,
      status: next,
      order,
      workflowRunId: workflowInfo().runId,
      ...(paidAt ? { paidAt } : {}),
      ...(releasedAt ? { releasedAt } : {}),
      ...(closedAt ? { closedAt } : {}),
      timeline: batch,
    });
  };

  const finish = async (): Promise<OrderResult> => {
    await condition(allHandlersFinished);
    log.info('order workflow finished', { orderId: input.orderId, status });
    return { orderId: input.orderId, status };
  };
  const close = async (reason: string): Promise<OrderResult> => {
    closedReason = reason;
    closedAt = now();
    await moveTo('closed', { reason });
    return finish();
  };
  const cancel = async (): Promise<OrderResult> => {
    closedReason = cancelled?.reason ?? 'cancelled';
    closedAt = now();
    await moveTo('cancelled', { reason: closedReason });
    return finish();
  };
  /** Waits for `done` or a cancellation, at most `ms`; true when `done` happened. */
  const waitFor = async (done: () => boolean, ms: number): Promise<boolean> => {
    const settled = await condition(() => done() || cancelled !== undefined, Math.max(ms, 1));
    return settled && done();
  };

  // 1. Wait for the order itself (a payment or cancellation may arrive first, out of order).
  const gotOrder = await condition(() => order !== undefined || cancelled !== undefined, input.paymentTimeoutMs);
  if (!order) {
    closedReason = cancelled ? 'cancelled before the order arrived' : 'the order never arrived';
    status = cancelled ? 'cancelled' : 'closed';
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    log.warn('order workflow ended without an order', { orderId: input.orderId, gotOrder });
    return finish();
  }
  const first: CanonicalOrder = order;
  // An order whose workflow began with its creation had these set at start (the dispatcher): upserted only
  // when one is missing or different. The start's attributes are in the history, so replay decides alike.
  const fixed = orderAttributes(first);
  const known = workflowInfo().typedSearchAttributes;
  if (fixed.some((a) => known.get(a.key) !== a.value)) upsertSearchAttributes(fixed);

  // 2. Payment. A presale order pays a deposit, then the balance before its deadline.
  const deadlineIn = (ms: number) => {
    paymentDeadline = new Date(workflowNow().getTime() + ms).toISOString();
    return ms;
  };
  if (first.presale) {
    if (!depositPaidAt && !balancePaidAt && !cancelled) {
      deadlineIn(input.paymentTimeoutMs);
      await moveTo('awaiting_payment', { paymentDeadline, presale: true });
      if (!(await waitFor(() => depositPaidAt !== undefined || balancePaidAt !== undefined, input.paymentTimeoutMs))) {
        return cancelled ? cancel() : close('unpaid: deposit not paid in time');
      }
    }
    if (cancelled) return cancel();
    if (!balancePaidAt) {
      const due = first.presale.balanceDueAt ? Date.parse(first.presale.balanceDueAt) - workflowNow().getTime() : input.paymentTimeoutMs;
      deadlineIn(due);
      await moveTo('deposit_paid', { balanceDueAt: paymentDeadline });
      if (options.processAtDeposit) {
        // The shop checks presale orders at deposit time so problems surface weeks before the balance day.
        const held = await validateUntilClean();
        if (held) return held;
      }
      if (!(await waitFor(() => balancePaidAt !== undefined, due))) {
        return cancelled ? cancel() : close('unpaid: balance deadline passed');
      }
    }
  } else if (!paidAt && !cancelled) {
    deadlineIn(input.paymentTimeoutMs);
    await moveTo('awaiting_payment', { paymentDeadline });
    if (!(await waitFor(() => paidAt !== undefined, input.paymentTimeoutMs))) {
      return cancelled ? cancel() : close('unpaid: payment timeout');
    }
  }
  if (cancelled) return cancel();
  await moveTo('paid', { paidAt });

  // 3. Validate: complete data, no refund in flight. A held order waits for a fix (an address change, a
  //    fresh snapshot, a closed refund) or a cancellation.
  const heldOutcome = await validateUntilClean();
  if (heldOutcome) return heldOutcome;

  // 4. Later stages (review, allocation, merge, shipment) slot in here.

  // 5. Fulfilment (workflows/fulfilment.stage.ts): allocate, reserve, split, merge into packages.
  const isCancelled = () => cancelled !== undefined;
  const cancelReason = (): string => cancelled?.reason ?? 'cancelled';
  const fulfilment = await runFulfilment({ orderId: input.orderId, order, refundInProgress: refundInProgress(), isCancelled });
  fulfilmentStage = fulfilment;
  if (fulfilment.outcome.status === 'short') {
    upsertSearchAttributes([{ key: ExceptionTypeKey, value: 'out_of_stock' }]);
    await moveTo('short', { shortages: fulfilment.outcome.shortages.map((s) => ({ skuCode: s.skuCode, short: s.short })) });
    if (await fulfilment.waitForStock(isCancelled)) upsertSearchAttributes([{ key: ExceptionTypeKey, value: null }]);
  }
  if (fulfilment.outcome.status === 'unroutable') {
    holdReason = fulfilment.outcome.reason;
    await moveTo('on_hold', { reason: holdReason });
    await condition(isCancelled);
  }
  if (cancelled) {
    await fulfilment.cancel(cancelReason());
    return cancel();
  }
  released = true;
  releasedAt = now();
  const warehouses = [...new Set(fulfilment.state().packages.map((p) => p.warehouseCode))].sort();
  if (warehouses.length) upsertSearchAttributes([{ key: WarehouseKey, value: warehouses.join(',') }]);
  await moveTo('released', fulfilment.outcome.status === 'released' ? { packages: fulfilment.outcome.packageIds } : undefined);

  // 6. Shipment: every package reports back with its carrier and tracking number.
  const shipment = await fulfilment.awaitShipment(isCancelled);
  if (shipment.status === 'cancelled') {
    await fulfilment.cancel(cancelReason());
    return cancel();
  }
  if (shipment.status === 'shipped' || shipment.status === 'failed') {
    // 7. Write the tracking numbers back to the platform, then the order is done.
    for (const sh of shipment.shipments) await writeBack(sh.carrierCode, sh.trackingNo);
  }
  if (shipment.status === 'shipped') await moveTo('shipped', { packages: shipment.shipments });
  if (shipment.status === 'failed') {
    // The warehouse could not ship a parcel: a person decides (re-ship, refund, cancel).
    holdReason = 'shipment failed';
    upsertSearchAttributes([{ key: ExceptionTypeKey, value: 'shipment_failed' }]);
    await moveTo('on_hold', { reason: holdReason, failed: shipment.failed });
    await condition(isCancelled);
    await fulfilment.cancel(cancelReason());
    return cancel();
  }
  return finish();

  /** Sends one tracking number to the platform. A rejection is recorded (the activity opens an exception), not fatal. */
  async function writeBack(carrierCode: string, trackingNo: string): Promise<void> {
    try {
      const r = await writeBackShipment({
        orderId: input.orderId,
        platform: first.platform,
        shopId: first.shopId,
        platformOrderId: first.platformOrderId,
        carrierCode,
        trackingNo,
      });
      note(r.status === 'skipped' ? 'writeback_skipped' : 'tracking_written_back', { trackingNo, carrierCode, result: r.status });
    } catch (e) {
      note('writeback_failed', { trackingNo, carrierCode, error: e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e) });
    }
  }

  /** Validates until the order is clean; returns the final result when the order was cancelled meanwhile. */
  async function validateUntilClean(): Promise<OrderResult | undefined> {
    for (;;) {
      if (cancelled) return cancel();
      const seen = revision;
      issues = await validateOrder({ orderId: input.orderId, order: order! });
      const blocking = hasBlockingIssues(issues);
      if (!blocking && !refundInProgress()) break;
      holdReason = blocking ? 'incomplete' : 'refund in progress';
      upsertSearchAttributes([{ key: ExceptionTypeKey, value: blocking ? 'incomplete' : 'refund' }]);
      await moveTo('on_hold', { reason: holdReason, ...(blocking ? { issues: issues.filter((i) => i.severity === 'blocking').map((i) => i.code) } : {}) });
      await condition(() => cancelled !== undefined || revision !== seen || (!blocking && !refundInProgress()));
    }
    if (holdReason) {
      holdReason = undefined;
      upsertSearchAttributes([{ key: ExceptionTypeKey, value: null }]);
      note('hold_cleared');
    }
    if (issues.length) note('validation_warnings', { issues: issues.map((i) => i.code) });
    return undefined;
  }
}
