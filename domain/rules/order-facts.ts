import { parseAddress } from '../address/index.js';
import { checkCompleteness } from '../completeness.js';
import type { CanonicalOrder } from '../order.js';
import { checkOrderPricing, type OrderPricingCheck, type PricedOrder } from '../pricing/check.js';
import type { PricingConfig } from '../pricing/types.js';
import type { OrderFacts } from './facts.js';

/** What a review knows of an order beyond the order itself: master data and stock, read by the caller. */
export interface ReviewContext {
  /** The buyer's customer record, or vip 0 / not blacklisted / no tags when unknown. */
  readonly customer: { readonly vipLevel: number; readonly blacklisted: boolean; readonly tags: readonly string[] };
  /** Category of each SKU that has one (SKU master data). */
  readonly categories: ReadonlyMap<string, string>;
  /** Free stock across active warehouses covers every line (true when no warehouse is managed here). */
  readonly stockSufficient: boolean;
  /** The instant of the review (the workflow's clock or the dry run's "as of"). */
  readonly now: string;
  readonly pricing: PricingConfig;
  /** Phrases a remark may consist of and still be routine (the rule set's `routineRemarks`). */
  readonly routineRemarks: readonly string[];
}

/**
 * Whether a remark says nothing but routine phrases: what is left once they, spaces, punctuation and symbols
 * (emoji included) are taken out is empty.
 *
 * @example isRoutineRemark('请尽快发货，谢谢🙏', ['请尽快发货', '谢谢']) // true
 * @example isRoutineRemark('发顺丰', ['请尽快发货']) // false
 */
export function isRoutineRemark(remark: string, phrases: readonly string[]): boolean {
  let rest = remark.normalize('NFKC');
  for (const p of [...phrases].sort((a, b) => b.length - a.length)) rest = rest.split(p.normalize('NFKC')).join('');
  return rest.replace(/[\p{P}\p{S}\p{Z}\s]/gu, '') === '';
}

const CHINA_OFFSET_MS = 8 * 3600_000;

/**
 * The order as the price rules see it: a discount kind the seller's policy does not define (no coupon list, no
 * 满减 tiers) is taken as the platform reported it, so an empty policy checks only that the amounts add up.
 */
function asPolicySees(order: CanonicalOrder, pricing: PricingConfig): PricedOrder {
  const discounts = order.discounts.map((d) =>
    (d.kind === 'coupon' && pricing.coupons.length === 0) || (d.kind === 'threshold' && pricing.thresholdTiers.length === 0) ? { ...d, kind: 'seller' as const } : d,
  );
  return { lines: order.lines, amounts: order.amounts, discounts, createdAt: order.createdAt, ...(order.paidAt ? { paidAt: order.paidAt } : {}) };
}

/** The price check the review's facts come from (also shown in the review's decision record). */
export function reviewPricing(order: CanonicalOrder, pricing: PricingConfig): OrderPricingCheck {
  // Platforms attribute order-level discounts to lines their own way: the totals are what is compared.
  return checkOrderPricing(asPolicySees(order, pricing), pricing, { compareLines: false });
}

/**
 * The facts the rules test, from the order, its price check and what the caller read (customer, categories,
 * stock). Pure: the same inputs give the same facts, so a dry run sees what a live review saw.
 *
 * @example orderFacts(order, ctx).amountFen // order.amounts.paidFen
 */
export function orderFacts(order: CanonicalOrder, ctx: ReviewContext, pricingCheck: OrderPricingCheck = reviewPricing(order, ctx.pricing)): OrderFacts {
  const r = order.receiver;
  const parsed = parseAddress({ province: r.province, city: r.city, district: r.district, detail: r.detail });
  const region = parsed.status === 'resolved' ? parsed.region : undefined;
  // Complete: receiver, phone and street present (masked or encrypted counts) and the region known to the district.
  const complete = !checkCompleteness(order).some((i) => i.field.startsWith('receiver')) && (parsed.status !== 'resolved' || parsed.missing.length === 0);
  const nowMs = Date.parse(ctx.now);
  const paidMs = order.paidAt ? Date.parse(order.paidAt) : undefined;
  const local = new Date(nowMs + CHINA_OFFSET_MS);
  const coupons = order.discounts.filter((d) => d.kind === 'coupon');
  const couponProblems = pricingCheck.findings.some((f) => f.severity === 'problem' && f.code.startsWith('coupon_'));
  const promised = order.promisedShipAt ? Date.parse(order.promisedShipAt) : undefined;
  const facts: OrderFacts = {
    amountFen: order.amounts.paidFen,
    goodsFen: order.amounts.goodsFen,
    discountFen: order.amounts.discountFen,
    lineCount: order.lines.length,
    quantity: order.lines.reduce((n, l) => n + l.quantity, 0),
    skuCodes: [...new Set(order.lines.map((l) => l.skuCode))],
    categories: [...new Set(order.lines.map((l) => ctx.categories.get(l.skuCode)).filter((c): c is string => c !== undefined))],
    channel: order.platform,
    shopId: order.shopId,
    province: region?.province.name ?? r.province,
    city: region?.city?.name ?? r.city,
    regionCode: region?.code ?? '',
    vipLevel: ctx.customer.vipLevel,
    blacklisted: ctx.customer.blacklisted,
    customerTags: [...ctx.customer.tags],
    hasBuyerRemark: (order.buyerRemark ?? '').trim().length > 0,
    remarkRoutine: (order.buyerRemark ?? '').trim().length > 0 && isRoutineRemark(order.buyerRemark ?? '', ctx.routineRemarks),
    hasSellerMemo: (order.sellerMemo ?? '').trim().length > 0,
    sellerFlag: order.sellerFlag ?? 0,
    presale: order.presale !== undefined,
    cashOnDelivery: order.cashOnDelivery,
    paidMinutes: paidMs !== undefined && Number.isFinite(paidMs) ? Math.max(0, Math.floor((nowMs - paidMs) / 60_000)) : 0,
    localHour: local.getUTCHours(),
    localTime: `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`,
    weekday: ((local.getUTCDay() + 6) % 7) + 1,
    couponsUsed: coupons.length > 0,
    couponIds: coupons.map((c) => c.name ?? '').filter((n) => n !== ''),
    couponsValid: !couponProblems,
    pricingConsistent: pricingCheck.consistent,
    pricingDifferenceFen: pricingCheck.differenceFen,
    addressStatus: parsed.status,
    addressComplete: complete,
    stockSufficient: ctx.stockSufficient,
    tags: [],
  };
  if (promised !== undefined && Number.isFinite(promised)) facts.hoursToPromise = Math.floor((promised - nowMs) / 3600_000);
  return facts;
}
