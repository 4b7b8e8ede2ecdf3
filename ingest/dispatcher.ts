import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { OrderEvent } from '../domain/order-events.js';
import { orderEventSignalFor, orderSummary, orderWorkflowType, type OrderWorkflow } from '../workflows/order.messages.js';
import { ChannelKey, OrderStatusKey, orderAttributes, ShopIdKey } from '../workflows/search-attributes.js';
import { parseOrderWorkflowId } from '../domain/order.js';
import { taskPriorityOf } from '../domain/fulfilment/task-priority.js';
import { fenToYuan } from '../domain/money.js';

export type DispatchOutcome = 'signalled' | 'order_closed';

export interface DispatcherOptions {
  client: Client;
  taskQueue: string;
  paymentTimeoutMs: number;
  /** How long one attempt may take before the event is left to the relay. */
  timeoutMs?: number;
}

export interface Dispatcher {
  dispatch(orderId: string, event: OrderEvent): Promise<DispatchOutcome>;
}

/**
 * The workflow's one-line summary in the Temporal UI, from whatever event starts it (a payment or a
 * cancellation may come before the order). No buyer data: platform, shop, order id, lines, amounts, province.
 */
export function startSummary(orderId: string, event: OrderEvent): string | undefined {
  if (event.type === 'created' || event.type === 'snapshot') return orderSummary(event.order);
  const ids = parseOrderWorkflowId(orderId);
  if (!ids) return undefined;
  const paid = 'paidFen' in event && event.paidFen !== undefined ? ` (¥${fenToYuan(event.paidFen)})` : '';
  return orderSummary({ platform: ids.platform, shopId: ids.shopId, platformOrderId: ids.platformOrderId }, `${event.type.replace('_', ' ')}${paid} came before the order`);
}

/**
 * Delivers an inbox event to its order workflow with signal-with-start: the first event starts the
 * workflow, later ones signal it. A finished order is never restarted (REJECT_DUPLICATE): the event stays
 * in the inbox marked `order_closed`.
 */
export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return {
    async dispatch(orderId, event) {
      const ids = parseOrderWorkflowId(orderId);
      const text = startSummary(orderId, event);
      try {
        await opts.client.withDeadline(Date.now() + timeoutMs, () =>
          opts.client.workflow.signalWithStart<OrderWorkflow, [OrderEvent]>(orderWorkflowType, {
            workflowId: orderId,
            taskQueue: opts.taskQueue,
            args: [{ orderId, paymentTimeoutMs: opts.paymentTimeoutMs }],
            // The event's own signal name (`order.paid`, ...): the history says what each signal was.
            // Workers must run the workflow code that handles these names before a dispatcher sends them.
            signal: orderEventSignalFor(event),
            signalArgs: [event],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            // Everything known at start is set at start: the workflow then has nothing to upsert for it
            // (each upsert is one more visibility write on the Temporal server, per order).
            typedSearchAttributes: [
              { key: OrderStatusKey, value: 'received' },
              ...(event.type === 'created'
                ? orderAttributes(event.order)
                : ids
                  ? [{ key: ChannelKey, value: ids.platform }, { key: ShopIdKey, value: ids.shopId }]
                  : []),
            ],
            ...(text ? { staticSummary: text } : {}),
            // The shop as fairness key from the first task on (the review sets the priority key later, for the
            // order's activities): a new order of one shop is handed to a worker beside another shop's backlog,
            // not behind it. This is what keeps a pulled order's start within the minute during a peak of pushes
            // from other shops (bench/pull-starvation.bench.ts).
            ...(ids ? { priority: taskPriorityOf(0, ids.shopId) } : {}),
          }),
        );
        return 'signalled';
      } catch (e) {
        if (e instanceof WorkflowExecutionAlreadyStartedError) return 'order_closed';
        throw e;
      }
    },
  };
}
