/**
 * Where an order is in Orderly's process. The workflow owns the truth; the read model mirrors it.
 * `received` exists only in the read model: the event is in the inbox but no workflow has applied it yet.
 */
export const ORDER_STATUSES = [
  'received',
  'awaiting_payment',
  /** Presale: deposit paid, waiting for the balance. */
  'deposit_paid',
  'paid',
  /** Waiting for a reviewer: the rules sent the order to a person (manual review, or held for one). */
  'pending_review',
  /** Held: incomplete data or a refund in progress; waits for a fix, or for a person. */
  'on_hold',
  /** Not enough stock anywhere: waits for stock, a substitute or a person. */
  'short',
  /** In a package whose hold window is still open: stock reserved, the warehouse has nothing yet. */
  'allocated',
  /** Handed to the warehouse (the package is released). */
  'released',
  'shipped',
  /** Shipped or finished on the platform outside Orderly before Orderly released it: nothing is sent. */
  'shipped_elsewhere',
  'closed',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
