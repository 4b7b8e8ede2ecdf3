import { fenToYuan, type Fen } from '../money.js';
import type { CanonicalOrder } from '../order.js';
import { apportion } from './apportion.js';
import { computePrice } from './pricing.js';
import type { PriceResult, PricingConfig, PricingFinding, PricingFindingCode } from './types.js';

/** What checkOrderPricing reads of an order. */
export type PricedOrder = Pick<CanonicalOrder, 'lines' | 'amounts' | 'discounts' | 'createdAt' | 'paidAt'>;
export type DiscountKind = CanonicalOrder['discounts'][number]['kind'];

// A copy of order.ts's DISCOUNT_KINDS, typed against it: importing the value would load zod into workflows.
const KINDS = ['coupon', 'points', 'threshold', 'platform', 'seller', 'other'] as const satisfies readonly DiscountKind[];
type MissingKind = Exclude<DiscountKind, (typeof KINDS)[number]>;
const _allKinds: [MissingKind] extends [never] ? true : false = true;
void _allKinds;

/** The order's amounts as the platform reported them. */
export interface ReportedPricing {
  readonly goodsFen: Fen;
  readonly shippingFen: Fen;
  readonly discountFen: Fen;
  readonly paidFen: Fen;
  readonly discountsByKind: Readonly<Record<DiscountKind, Fen>>;
  readonly lines: readonly { readonly index: number; readonly lineId?: string | undefined; readonly discountFen: Fen; readonly paidFen: Fen }[];
}

export interface OrderPricingCheck {
  /** The price the policy gives, with the platform's own discounts (platform, seller, other) as reported. */
  readonly expected: PriceResult;
  readonly reported: ReportedPricing;
  /** reported.paidFen - expected.payableFen: positive when the buyer was charged more than the policy gives. */
  readonly differenceFen: Fen;
  readonly findings: readonly PricingFinding[];
  /** No finding of severity `problem`. */
  readonly consistent: boolean;
}

export interface CheckOptions {
  /**
   * Compare each line's paidFen with its apportioned amount (default true). Turn it off for a channel whose
   * line amounts are Orderly's own estimate rather than the platform's figures.
   */
  readonly compareLines?: boolean;
}

const yuan = (f: Fen): string => `¥${fenToYuan(f)}`;

function mismatch(code: PricingFindingCode, what: string, reportedFen: Fen, expectedFen: Fen, extra: Partial<PricingFinding> = {}): PricingFinding {
  const differenceFen = reportedFen - expectedFen;
  return {
    code,
    severity: 'problem',
    message: `${what}: reported ${yuan(reportedFen)}, expected ${yuan(expectedFen)} (difference ${differenceFen > 0 ? '+' : ''}${fenToYuan(differenceFen)})`,
    differenceFen,
    ...extra,
  };
}

/**
 * Recomputes an order's price under the seller's policy and compares it with what the platform reported.
 *
 * The order's `discounts` are read as follows:
 * - `coupon`: its `name` is the coupon id; the coupon is checked against the policy (window at `paidAt`, or
 *   `createdAt` while unpaid; minimum spend; SKUs) and its amount compared with the policy's;
 * - `points`: amountFen / fenPerPoint points; an amount that is not a whole number of points is a finding;
 * - `threshold`: compared with what the policy's 满减 tiers give;
 * - `seller` and `other` (price changes, item promotions): taken as reported, not recomputed, and spread over
 *   the lines by goods value as item discounts, before 满减;
 * - `platform` (paid by the platform): taken as reported, not recomputed, and deducted last.
 * The discounts taken as reported are listed as `discount_as_reported` notes.
 *
 * Then goods, total discount, shipping (when the policy has a rule), the amount paid and, where the platform
 * gave line amounts, each line's paidFen are compared. Every difference is a `problem` finding carrying
 * reported minus expected in `differenceFen`; nothing here throws on what a platform sent.
 *
 * @example
 * checkOrderPricing(order, config) // { consistent: false, differenceFen: 100, findings: [{ code: 'paid_mismatch', ... }] }
 */
export function checkOrderPricing(order: PricedOrder, config: PricingConfig, options: CheckOptions = {}): OrderPricingCheck {
  const findings: PricingFinding[] = [];
  const discountsByKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<DiscountKind, Fen>;
  const couponIds: string[] = [];
  const reportedByCoupon = new Map<string, Fen>();
  for (const d of order.discounts) {
    discountsByKind[d.kind] += d.amountFen;
    const name = d.name?.trim();
    if (d.kind === 'coupon') {
      if (!name) {
        findings.push({
          code: 'coupon_unidentified',
          severity: 'problem',
          message: `a coupon of ${yuan(d.amountFen)} has no id, so the policy cannot account for it`,
          differenceFen: d.amountFen,
        });
        continue;
      }
      couponIds.push(name);
      reportedByCoupon.set(name, (reportedByCoupon.get(name) ?? 0) + d.amountFen);
    } else if (d.kind === 'platform' || d.kind === 'seller' || d.kind === 'other') {
      findings.push({
        code: 'discount_as_reported',
        severity: 'note',
        message: `${d.kind} discount${name ? ` "${name}"` : ''} of ${yuan(d.amountFen)} taken as reported, not recomputed`,
      });
    }
  }

  const rate = config.fenPerPoint;
  const reportedPointsFen = discountsByKind.points;
  if (Number.isSafeInteger(rate) && rate > 0 && reportedPointsFen % rate !== 0) {
    findings.push({
      code: 'points_not_whole',
      severity: 'problem',
      message: `points discount ${yuan(reportedPointsFen)} is not a whole number of points at ${rate} fen per point`,
      differenceFen: reportedPointsFen % rate,
    });
  }

  // Seller and other discounts become item discounts, spread by goods value.
  const goods = order.lines.map((l) => l.unitPriceFen * l.quantity);
  const goodsTotal = goods.reduce((a, b) => a + b, 0);
  const sellerFen = discountsByKind.seller + discountsByKind.other;
  const itemTotal = Math.min(sellerFen, goodsTotal);
  if (itemTotal < sellerFen) {
    findings.push({
      code: 'discount_capped',
      severity: 'problem',
      message: `seller and other discounts of ${yuan(sellerFen)} are more than the goods ${yuan(goodsTotal)}; capped`,
      differenceFen: sellerFen - itemTotal,
    });
  }
  const itemShares = apportion(itemTotal, goods);

  const expected = computePrice(
    {
      lines: order.lines.map((l, i) => ({ lineId: l.lineId, skuCode: l.skuCode, quantity: l.quantity, unitPriceFen: l.unitPriceFen, itemDiscountFen: itemShares[i]! })),
      couponIds,
      pointsUsed: Number.isSafeInteger(rate) && rate > 0 ? Math.floor(reportedPointsFen / rate) : 0,
      shippingFen: order.amounts.shippingFen,
      platformDiscountFen: discountsByKind.platform,
      at: order.paidAt ?? order.createdAt,
    },
    config,
  );
  findings.unshift(...expected.findings);

  const { amounts } = order;
  if (amounts.goodsFen !== expected.goodsFen) findings.push(mismatch('goods_mismatch', 'goods', amounts.goodsFen, expected.goodsFen));
  if (discountsByKind.threshold !== expected.thresholdFen) {
    findings.push(mismatch('threshold_mismatch', '满减', discountsByKind.threshold, expected.thresholdFen));
  }
  for (const applied of expected.coupons) {
    const reportedFen = reportedByCoupon.get(applied.id) ?? 0;
    if (reportedFen !== applied.amountFen) {
      findings.push(mismatch('coupon_amount_mismatch', `coupon ${applied.id}`, reportedFen, applied.amountFen, { couponId: applied.id }));
    }
  }
  if (reportedPointsFen !== expected.pointsFen) findings.push(mismatch('points_mismatch', 'points', reportedPointsFen, expected.pointsFen));
  if (amounts.discountFen !== expected.discountFen) findings.push(mismatch('discount_mismatch', 'total discount', amounts.discountFen, expected.discountFen));
  if (amounts.paidFen !== expected.payableFen) findings.push(mismatch('paid_mismatch', 'amount paid', amounts.paidFen, expected.payableFen));

  if (options.compareLines ?? true) {
    if (order.lines.every((l) => l.paidFen === 0) && expected.goodsPayableFen > 0) {
      findings.push({ code: 'line_amounts_absent', severity: 'note', message: 'the platform gave no line amounts; lines not compared' });
    } else {
      order.lines.forEach((l, i) => {
        const expectedFen = expected.lines[i]!.payableFen;
        if (l.paidFen !== expectedFen) {
          findings.push(mismatch('line_paid_mismatch', `line ${l.lineId ?? i} paid`, l.paidFen, expectedFen, { lineId: l.lineId, lineIndex: i }));
        }
      });
    }
  }

  return {
    expected,
    reported: {
      goodsFen: amounts.goodsFen,
      shippingFen: amounts.shippingFen,
      discountFen: amounts.discountFen,
      paidFen: amounts.paidFen,
      discountsByKind,
      lines: order.lines.map((l, index) => ({ index, ...(l.lineId !== undefined ? { lineId: l.lineId } : {}), discountFen: l.discountFen, paidFen: l.paidFen })),
    },
    differenceFen: amounts.paidFen - expected.payableFen,
    findings,
    consistent: findings.every((f) => f.severity !== 'problem'),
  };
}
