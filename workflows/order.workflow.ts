import {
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { CanonicalOrder } from '../domain/order.js';
import { isPaid } from '../domain/order.js';
import type { OrderStatus } from '../domain/order-status.js';
import { workflowNow } from './clock.js';
import {
  orderEventSignal,
  stateQuery,
  type OrderEvent,
  type OrderResult,
  type OrderState,
  type OrderWorkflowInput,
  type TimelineEntry,
} from './messages.js';
import { BuyerKeyKey, ChannelKey, OrderStatusKey, PriorityKey, ShopIdKey } from './search-attributes.js';

const { syncReadModel } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Applied event ids kept in the state query; the full set is kept for deduplication. */
const MAX_IDS_IN_QUERY = 50;

/**
 * One order, from the first event to release. Started by signal-with-start with the id
 * `order:<platform>:<shopId>:<platformOrderId>`; every event arrives as the `orderEvent` signal.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderResult> {
  const applied = new Set<string>();
  let ignored = 0;
  let order: CanonicalOrder | undefined;
  let paidAt: string | undefined;
  let cancelled: { reason: string } | undefined;
  let status: OrderStatus = 'received';
  let closedReason: string | undefined;
  let paymentDeadline: string | undefined;
  let releasedAt: string | undefined = undefined;
  let closedAt: string | undefined;
  let version = 0;
  let seq = 0;
  const timeline: TimelineEntry[] = [];
  let unsynced: TimelineEntry[] = [];

  const note = (type: string, detail?: Record<string, unknown>) => {
    const entry: TimelineEntry = { seq: ++seq, type, at: workflowNow().toISOString(), ...(detail ? { detail } : {}) };
    timeline.push(entry);
    unsynced.push(entry);
  };

  setHandler(orderEventSignal, (e: OrderEvent) => {
    if (applied.has(e.eventId)) {
      ignored++;
      return;
    }
    applied.add(e.eventId);
    switch (e.type) {
      case 'created':
        if (order) {
          ignored++;
          return;
        }
        order = e.order;
        if (isPaid(order)) paidAt ??= order.paidAt ?? order.presale?.balancePaidAt;
        note('created', { eventId: e.eventId });
        return;
      case 'paid':
        if (paidAt) {
          ignored++;
          return;
        }
        paidAt = e.paidAt ?? workflowNow().toISOString();
        note('payment_received', { eventId: e.eventId, paidAt, ...(e.paidFen !== undefined ? { paidFen: e.paidFen } : {}) });
        return;
      case 'cancelled':
        if (cancelled) {
          ignored++;
          return;
        }
        cancelled = { reason: e.reason ?? 'cancelled' };
        note('cancel_requested', { eventId: e.eventId, reason: cancelled.reason });
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
      ...(paymentDeadline ? { paymentDeadline } : {}),
      ...(closedReason ? { closedReason } : {}),
      appliedEventIds: ids.slice(-MAX_IDS_IN_QUERY),
      ignoredEvents: ignored,
      timeline: [...timeline],
    };
  });

  const moveTo = async (next: OrderStatus, detail?: Record<string, unknown>) => {
    status = next;
    note(`status:${next}`, detail);
    upsertSearchAttributes([{ key: OrderStatusKey, value: next }]);
    setCurrentDetails(`**${next}**${closedReason ? ` (${closedReason})` : ''}`);
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

  // 1. Wait for the order itself (a payment or cancel may arrive first, out of order).
  const gotOrder = await condition(() => order !== undefined || cancelled !== undefined, input.paymentTimeoutMs);
  if (!order) {
    closedReason = cancelled ? 'cancelled before the order arrived' : 'the order never arrived';
    status = cancelled ? 'cancelled' : 'closed';
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    log.warn('order workflow ended without an order', { orderId: input.orderId, gotOrder });
    return finish();
  }
  const o: CanonicalOrder = order;
  upsertSearchAttributes([
    { key: ChannelKey, value: o.platform },
    { key: ShopIdKey, value: o.shopId },
    { key: BuyerKeyKey, value: o.buyerKey },
    { key: PriorityKey, value: 0 },
  ]);

  // 2. Payment, unless it is already paid or cancelled.
  if (!paidAt && !cancelled) {
    paymentDeadline = new Date(workflowNow().getTime() + input.paymentTimeoutMs).toISOString();
    await moveTo('awaiting_payment', { paymentDeadline });
    const settled = await condition(() => paidAt !== undefined || cancelled !== undefined, input.paymentTimeoutMs);
    if (!settled) {
      closedReason = 'unpaid: payment timeout';
      closedAt = workflowNow().toISOString();
      await moveTo('closed', { reason: closedReason });
      return finish();
    }
  }
  if (cancelled && !paidAt) {
    closedReason = cancelled.reason;
    closedAt = workflowNow().toISOString();
    await moveTo('cancelled', { reason: cancelled.reason });
    return finish();
  }
  await moveTo('paid', { paidAt });

  // 3. Later stages (validation, review, allocation, merge, shipment) slot in here.
  if (cancelled) {
    closedReason = cancelled.reason;
    closedAt = workflowNow().toISOString();
    await moveTo('cancelled', { reason: cancelled.reason });
    return finish();
  }
  releasedAt = workflowNow().toISOString();
  await moveTo('released');
  return finish();
}
