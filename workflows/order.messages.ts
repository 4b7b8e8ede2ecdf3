import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { OrderEvent, OrderEventType, OrderProcessingOptions, PlatformOrderState } from '../domain/order-events.js';
import type { CompletenessIssue } from '../domain/completeness.js';
import type { FulfilmentState } from './fulfilment.stage.js';
import type { OrderStatus } from '../domain/order-status.js';

export type { OrderEvent, OrderEventType, OrderProcessingOptions, PlatformOrderState };

export interface OrderWorkflowInput {
  orderId: string;
  /** How long to wait for payment after the order is known before closing it. */
  paymentTimeoutMs: number;
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

export const orderEventSignal = defineSignal<[OrderEvent]>('orderEvent');
export const stateQuery = defineQuery<OrderState>('state');
