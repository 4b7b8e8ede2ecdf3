import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CanonicalOrder } from '../domain/order.js';
import type { OrderStatus } from '../domain/order-status.js';

/** Events applied to an order workflow. Every event carries the inbox id it came from, so repeats are dropped. */
export type OrderEvent =
  | { eventId: string; type: 'created'; order: CanonicalOrder }
  | { eventId: string; type: 'paid'; paidAt?: string; paidFen?: number }
  | { eventId: string; type: 'cancelled'; reason?: string };

export type OrderEventType = OrderEvent['type'];
export const ORDER_EVENT_TYPES = ['created', 'paid', 'cancelled'] as const satisfies readonly OrderEventType[];

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
  paymentDeadline?: string;
  closedReason?: string;
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
