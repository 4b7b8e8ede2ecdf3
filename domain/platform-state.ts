/** A platform's status of an order, in one vocabulary across Taobao, JD, Douyin and PDD. */
export const PLATFORM_ORDER_STATES = [
  'awaiting_payment',
  'deposit_paid',
  'awaiting_shipment',
  'partly_shipped',
  'shipped',
  'completed',
  'cancelled',
  'on_hold',
] as const;
export type PlatformOrderState = (typeof PLATFORM_ORDER_STATES)[number];

const PAID: readonly PlatformOrderState[] = ['awaiting_shipment', 'partly_shipped', 'shipped', 'completed'];

/**
 * Whether the platform's state means the buyer has paid in full (a presale deposit alone does not count).
 *
 * @example isPaidOnPlatform('awaiting_shipment') // true
 * @example isPaidOnPlatform('deposit_paid')      // false
 */
export function isPaidOnPlatform(state: PlatformOrderState): boolean {
  return PAID.includes(state);
}

/**
 * Whether the platform says the goods have left (by Orderly or by someone else).
 *
 * @example isShippedOnPlatform('completed') // true
 */
export function isShippedOnPlatform(state: PlatformOrderState): boolean {
  return state === 'shipped' || state === 'completed';
}
