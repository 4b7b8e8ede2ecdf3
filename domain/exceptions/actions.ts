// What can be done about an exception: the actions a suggestion proposes and a resolution carries out. No zod
// here: workflows import this module.
import type { AutoResolve, ExceptionType } from './model.js';

export const RESOLUTION_ACTIONS = [
  /** Ship what is in stock now, back-order the rest (拆分发货). */
  'ship_available',
  /** Keep waiting for stock (an expected date when a transfer or receipt is known). */
  'wait_for_stock',
  /** Ship from another warehouse (with a transfer when needed). */
  'ship_from_warehouse',
  /** Replace a line's SKU with an equivalent one (from the SKU's substitutes). */
  'substitute_sku',
  /** Drop the short lines (the platform refunds them). */
  'cancel_lines',
  /** Take one of the address library's completions. */
  'choose_address',
  /** Correct the order's data by hand: address, lines, remark. */
  'edit_order',
  /** Release the hold: the order goes on as it is. */
  'release_hold',
  /** Cancel the whole order (the platform refunds it). */
  'cancel_order',
  /** Remind the buyer (payment, address): the exception stays open. */
  'notify_buyer',
  /** Send the failed parcel again, with the same or another carrier. */
  'reship',
  /** Refund the buyer on the platform instead of shipping. */
  'refund',
  /** Acknowledge: a person has dealt with it outside Orderly (a shop's sync fixed, a parcel recalled). */
  'acknowledge',
] as const;
export type ResolutionAction = (typeof RESOLUTION_ACTIONS)[number];

/** One ranked suggestion: what it does, what it costs and what it does to the delivery date. */
export interface Suggestion {
  readonly action: ResolutionAction;
  /** 1 = best. */
  readonly rank: number;
  /** For a person: what happens. */
  readonly label: string;
  /** Extra cost for the seller in fen (freight of a second parcel, a transfer, a refund); 0 when none. */
  readonly costFen: number;
  /** Days the delivery moves (0 none, positive later); absent when unknown. */
  readonly deliveryDelayDays?: number;
  /** What the action needs to be carried out (warehouse code, line refs, SKU, address candidate, carrier). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** The actions that fit each type; anything else is refused with 409 before it reaches the order. */
export const ACTIONS_BY_TYPE: Readonly<Record<ExceptionType, readonly ResolutionAction[]>> = {
  OUT_OF_STOCK: ['ship_available', 'wait_for_stock', 'ship_from_warehouse', 'substitute_sku', 'cancel_lines', 'cancel_order'],
  ADDRESS_AMBIGUOUS: ['choose_address', 'edit_order', 'notify_buyer', 'release_hold', 'cancel_order'],
  INCOMPLETE_INFO: ['edit_order', 'notify_buyer', 'release_hold', 'cancel_order'],
  PAYMENT_FAILED: ['notify_buyer', 'release_hold', 'cancel_order'],
  PRICE_MISMATCH: ['release_hold', 'edit_order', 'cancel_order'],
  BLACKLISTED: ['release_hold', 'cancel_order'],
  REFUND_IN_PROGRESS: ['release_hold', 'cancel_lines', 'cancel_order'],
  PLATFORM_CHANGED: ['acknowledge', 'reship', 'cancel_order'],
  SHIPMENT_OVERDUE: ['acknowledge', 'ship_from_warehouse', 'cancel_order'],
  WAREHOUSE_REJECTED: ['reship', 'refund', 'cancel_order'],
  INTERCEPT_FAILED: ['acknowledge', 'refund'],
  SYNC_FAILING: ['acknowledge'],
  REVIEW_OVERDUE: ['acknowledge'],
  REVIEW_REJECTED: ['cancel_order', 'release_hold'],
};

/**
 * Whether an action fits an exception type.
 *
 * @example actionFits('OUT_OF_STOCK', 'choose_address') // false
 */
export function actionFits(t: ExceptionType, action: ResolutionAction): boolean {
  return ACTIONS_BY_TYPE[t].includes(action);
}

/**
 * The suggestion a policy's automatic resolution takes: the best ranked of its action, when the policy has one
 * for the shop; undefined otherwise (a person decides).
 *
 * @example autoResolution({ action: 'ship_available' }, 'shop-1', [{ action: 'ship_available', rank: 1, ... }])?.rank // 1
 */
export function autoResolution(auto: AutoResolve | undefined, shopId: string, suggestions: readonly Suggestion[]): Suggestion | undefined {
  if (!auto || (auto.shops && !auto.shops.includes(shopId))) return undefined;
  return suggestions.filter((s) => s.action === auto.action).sort((a, b) => a.rank - b.rank)[0];
}
