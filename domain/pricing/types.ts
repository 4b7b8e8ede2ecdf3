// No zod here: workflows may price or check an order, and every module a workflow imports is initialised again
// for each workflow run. The schema of the config is in schema.ts.
import type { Fen } from '../money.js';

/** A shop coupon (店铺优惠券) as the seller defined it. */
export interface Coupon {
  /** The coupon's id; platform ids can exceed 2^53, so it is a string and compared as one. */
  readonly id: string;
  readonly name?: string | undefined;
  readonly amountFen: Fen;
  /** Eligible goods (after item discounts and 满减) must reach this for the coupon to apply. */
  readonly minSpendFen: Fen;
  /** UTC instant; the coupon is valid from this instant on (inclusive). Absent: no start. */
  readonly validFrom?: string | undefined;
  /** UTC instant; the coupon is valid up to and including this instant. Absent: no end. */
  readonly validTo?: string | undefined;
  /** The SKUs the coupon applies to; absent: every SKU. */
  readonly skuCodes?: string[] | undefined;
}

/** One tier of 满减: goods reaching `thresholdFen` get `offFen` off. */
export interface ThresholdTier {
  readonly thresholdFen: Fen;
  readonly offFen: Fen;
}

/** The seller's shipping charge: a flat fee, free once the goods payable reach `freeFromFen` (满 X 包邮). */
export interface ShippingRule {
  readonly flatFen: Fen;
  readonly freeFromFen?: Fen | undefined;
}

/**
 * A seller's pricing policy, versioned so that a price or a check can say which policy it used. The arrays are
 * not `readonly` so that a config written in code is also a valid input of the zod schema (schema.ts).
 */
export interface PricingConfig {
  readonly id: string;
  readonly version: number;
  /** What one point is worth in fen. 1 means 100 points = 1 yuan. */
  readonly fenPerPoint: number;
  readonly coupons: Coupon[];
  /** 满减 tiers; the best tier the goods reach applies. */
  readonly thresholdTiers: ThresholdTier[];
  /** true: 每满 X 减 Y, a tier applies once for each whole multiple of its threshold. */
  readonly thresholdRepeat: boolean;
  /** Absent: the shipping the platform charged is accepted as it is. */
  readonly shipping?: ShippingRule | undefined;
}

/** No coupons, no 满减, 1 fen per point (100 points = 1 yuan), the platform's shipping accepted. */
export const DEFAULT_PRICING_CONFIG: PricingConfig = Object.freeze({
  id: 'pricing.default',
  version: 0,
  fenPerPoint: 1,
  // Frozen so that nobody edits the shared default; the types stay mutable arrays (see PricingConfig).
  coupons: Object.freeze<Coupon[]>([]) as Coupon[],
  thresholdTiers: Object.freeze<ThresholdTier[]>([]) as ThresholdTier[],
  thresholdRepeat: false,
});

export interface PriceInputLine {
  /** The platform's sub-order id, passed through untouched (a string: it may exceed 2^53). */
  readonly lineId?: string | undefined;
  readonly skuCode: string;
  readonly quantity: number;
  readonly unitPriceFen: Fen;
  /** Discount on this line alone (单品优惠, price change), taken before any order-level discount. */
  readonly itemDiscountFen: Fen;
}

export interface PriceInput {
  readonly lines: readonly PriceInputLine[];
  /** Coupons the buyer used, by id, in the order they are applied. */
  readonly couponIds: readonly string[];
  readonly pointsUsed: number;
  /** Shipping the platform charged; used as it is when the config has no shipping rule. */
  readonly shippingFen?: Fen | undefined;
  /** Discount paid by the platform (平台优惠), taken as given and deducted last. */
  readonly platformDiscountFen?: Fen | undefined;
  /** UTC instant at which coupon validity is judged. */
  readonly at: string;
}

export interface PricedLine {
  readonly index: number;
  readonly lineId?: string | undefined;
  readonly skuCode: string;
  readonly quantity: number;
  readonly unitPriceFen: Fen;
  /** unitPriceFen x quantity. */
  readonly goodsFen: Fen;
  /** The line's item discount, capped at goodsFen. */
  readonly itemDiscountFen: Fen;
  readonly thresholdFen: Fen;
  readonly couponFen: Fen;
  readonly pointsFen: Fen;
  readonly platformFen: Fen;
  /** thresholdFen + couponFen + pointsFen + platformFen: the line's share of the order-level discounts. */
  readonly orderDiscountFen: Fen;
  /** goodsFen - itemDiscountFen - orderDiscountFen; never negative. */
  readonly payableFen: Fen;
}

export const PRICING_FINDING_CODES = [
  'coupon_unknown',
  'coupon_expired',
  'coupon_not_yet_valid',
  'coupon_window_unknown',
  'coupon_not_applicable',
  'coupon_min_spend',
  'coupon_duplicate',
  'discount_capped',
  'points_invalid',
  'instant_invalid',
  'shipping_mismatch',
  // checkOrderPricing only:
  'goods_mismatch',
  'discount_mismatch',
  'paid_mismatch',
  'line_paid_mismatch',
  'line_amounts_absent',
  'threshold_mismatch',
  'points_mismatch',
  'points_not_whole',
  'coupon_amount_mismatch',
  'coupon_unidentified',
  'discount_as_reported',
] as const;
export type PricingFindingCode = (typeof PRICING_FINDING_CODES)[number];

/**
 * Something the pricing noticed. `problem`: the price differs from what the policy gives or a requested
 * discount was refused; `note`: worth knowing, not a difference (e.g. a platform discount taken as reported).
 */
export interface PricingFinding {
  readonly code: PricingFindingCode;
  readonly severity: 'problem' | 'note';
  readonly message: string;
  /** Reported (or requested) minus applied/expected, in fen. */
  readonly differenceFen?: Fen | undefined;
  readonly lineId?: string | undefined;
  readonly lineIndex?: number | undefined;
  readonly couponId?: string | undefined;
}

export interface AppliedCoupon {
  readonly id: string;
  readonly amountFen: Fen;
  /** Indexes of the lines the coupon was spread over. */
  readonly lineIndexes: readonly number[];
}

export interface AppliedThreshold {
  readonly thresholdFen: Fen;
  readonly offFen: Fen;
  /** How many times the tier applied: 1, or more with thresholdRepeat. */
  readonly times: number;
}

export interface PriceResult {
  readonly configId: string;
  readonly configVersion: number;
  readonly at: string;
  /** Sum of unit price x quantity. */
  readonly goodsFen: Fen;
  readonly itemDiscountFen: Fen;
  readonly thresholdFen: Fen;
  readonly couponFen: Fen;
  readonly pointsFen: Fen;
  readonly platformFen: Fen;
  /** All discounts: item + threshold + coupon + points + platform. */
  readonly discountFen: Fen;
  /** goodsFen - discountFen; the lines' payableFen add up to exactly this. */
  readonly goodsPayableFen: Fen;
  readonly shippingFen: Fen;
  /** goodsPayableFen + shippingFen: what the buyer pays. */
  readonly payableFen: Fen;
  readonly threshold?: AppliedThreshold | undefined;
  readonly coupons: readonly AppliedCoupon[];
  /** Points actually redeemed (fewer than requested when the discount was capped). */
  readonly pointsUsed: number;
  readonly lines: readonly PricedLine[];
  readonly findings: readonly PricingFinding[];
}
