import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { OrderEvent } from '../domain/order-events.js';
import { orderEventSignal, orderWorkflowType, type OrderWorkflow } from '../workflows/order.messages.js';
import { ChannelKey, OrderStatusKey, orderAttributes, ShopIdKey } from '../workflows/search-attributes.js';
import { parseOrderWorkflowId } from '../domain/order.js';
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

function summary(orderId: string, event: OrderEvent): string | undefined {
  if (event.type !== 'created') return undefined;
  const o = event.order;
  return `${o.platform} order ${o.platformOrderId} · shop ${o.shopId} · ${o.lines.length} line(s) · ¥${fenToYuan(o.amounts.paidFen)}`;
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
      const text = summary(orderId, event);
      try {
        await opts.client.withDeadline(Date.now() + timeoutMs, () =>
          opts.client.workflow.signalWithStart<OrderWorkflow, [OrderEvent]>(orderWorkflowType, {
            workflowId: orderId,
            taskQueue: opts.taskQueue,
            args: [{ orderId, paymentTimeoutMs: opts.paymentTimeoutMs }],
            signal: orderEventSignal,
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
