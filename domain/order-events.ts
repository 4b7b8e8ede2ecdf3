import type { CanonicalOrder, Receiver } from './order.js';
import type { PlatformOrderState } from './platform-state.js';

/** The platform's view of the order's state, when the event came from a platform (push or pull). */
export type { PlatformOrderState };

/** Shop settings that shape how an order is processed, carried on its first event. */
export interface OrderProcessingOptions {
  /** Presale: start processing (and reserve stock) when the deposit is paid, not the balance. */
  processAtDeposit?: boolean;
}

/**
 * The canonical events of an order, whichever platform or caller they came from. Every event carries the
 * inbox id it came from (platform, shop and the platform's message id), so a redelivered or re-dispatched
 * event is dropped by whoever applies it.
 */
export type OrderEvent =
  | { eventId: string; type: 'created'; order: CanonicalOrder; platformState?: PlatformOrderState; options?: OrderProcessingOptions; refundingLineIds?: string[] }
  /**
   * A full re-read of the order (pull, or detail fetched after a push): the workflow reconciles with it.
   * `refundingLineIds`: lines with an after-sale request open on the platform at the time of the read.
   */
  | { eventId: string; type: 'snapshot'; order: CanonicalOrder; platformState?: PlatformOrderState; options?: OrderProcessingOptions; refundingLineIds?: string[] }
  | { eventId: string; type: 'paid'; paidAt?: string; paidFen?: number }
  | { eventId: string; type: 'deposit_paid'; paidAt?: string; paidFen?: number }
  | { eventId: string; type: 'balance_paid'; paidAt?: string; paidFen?: number }
  | { eventId: string; type: 'address_changed'; receiver: Receiver }
  | { eventId: string; type: 'memo_changed'; sellerMemo?: string; buyerRemark?: string }
  | { eventId: string; type: 'amount_changed'; amounts: CanonicalOrder['amounts']; lines?: CanonicalOrder['lines'] }
  | { eventId: string; type: 'refund_requested'; lineIds?: string[]; reason?: string }
  | { eventId: string; type: 'refund_closed'; lineIds?: string[] }
  /** The refund was paid out: those lines (the whole order without any) are no longer to be shipped. */
  | { eventId: string; type: 'refunded'; lineIds?: string[]; reason?: string }
  | { eventId: string; type: 'cancelled'; reason?: string }
  /** Shipped on the platform (outside Orderly, or confirmed by the platform after write-back). */
  | { eventId: string; type: 'shipped'; carrierCode?: string; trackingNo?: string };

export type OrderEventType = OrderEvent['type'];
