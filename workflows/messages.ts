import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PlatformOrderState } from '../domain/platform-state.js';
import type { CompletenessIssue } from '../domain/completeness.js';
import type { FulfilmentState } from './fulfilment.stage.js';
import type { CanonicalOrder, Receiver } from '../domain/order.js';
import type { OrderStatus } from '../domain/order-status.js';

/** The platform's view of the order's state, when the event came from a platform (push or pull). */
export type { PlatformOrderState };

/** Shop settings that shape how an order is processed, carried on its first event. */
export interface OrderProcessingOptions {
  /** Presale: start processing (and reserve stock) when the deposit is paid, not the balance. */
  processAtDeposit?: boolean;
}

/**
 * Events applied to an order workflow. Every event carries the inbox id it came from (platform, shop and the
 * platform's message id), so a redelivered or re-dispatched event is dropped.
 */
export type OrderEvent =
  | { eventId: string; type: 'created'; order: CanonicalOrder; platformState?: PlatformOrderState; options?: OrderProcessingOptions }
  /** A full re-read of the order (pull, or detail fetched after a push): the workflow reconciles with it. */
  | { eventId: string; type: 'snapshot'; order: CanonicalOrder; platformState?: PlatformOrderState; options?: OrderProcessingOptions }
  | { eventId: string; type: 'paid'; paidAt?: string; paidFen?: number }
  | { eventId: string; type: 'deposit_paid'; paidAt?: string; paidFen?: number }
  | { eventId: string; type: 'balance_paid'; paidAt?: string; paidFen?: number }
  | { eventId: string; type: 'address_changed'; receiver: Receiver }
  | { eventId: string; type: 'memo_changed'; sellerMemo?: string; buyerRemark?: string }
  | { eventId: string; type: 'amount_changed'; amounts: CanonicalOrder['amounts']; lines?: CanonicalOrder['lines'] }
  | { eventId: string; type: 'refund_requested'; lineIds?: string[]; reason?: string }
  | { eventId: string; type: 'refund_closed'; lineIds?: string[] }
  | { eventId: string; type: 'cancelled'; reason?: string }
  /** Shipped on the platform (outside Orderly, or confirmed by the platform after write-back). */
  | { eventId: string; type: 'shipped'; carrierCode?: string; trackingNo?: string };

export type OrderEventType = OrderEvent['type'];

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
