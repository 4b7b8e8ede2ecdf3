import { fenToYuan, type Fen } from '../money.js';
import { apportion } from './apportion.js';
import type {
  AppliedCoupon,
  AppliedThreshold,
  Coupon,
  PriceInput,
  PriceResult,
  PricedLine,
  PricingConfig,
  PricingFinding,
  PricingFindingCode,
} from './types.js';

const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** Milliseconds since the epoch of a UTC ISO instant ending in Z, or undefined when it is not one. */
export function instantMs(value: string | undefined): number | undefined {
  if (value === undefined || !UTC_INSTANT.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function requireFen(value: number, what: string): Fen {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} is not a non-negative integer fen: ${value}`);
  return value;
}

function requireCount(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} is not a non-negative integer: ${value}`);
  return value;
}

const yuan = (f: Fen): string => `¥${fenToYuan(f)}`;

function problem(code: PricingFindingCode, message: string, extra: Omit<PricingFinding, 'code' | 'severity' | 'message'> = {}): PricingFinding {
  return { code, severity: 'problem', message, ...extra };
}

function total(values: readonly Fen[]): Fen {
  let t = 0;
  for (const v of values) t += v;
  if (!Number.isSafeInteger(t)) throw new RangeError('amount out of range');
  return t;
}

/** The tier giving the most off on `baseFen` (ties: the lower threshold), or undefined when none is reached. */
function bestTier(config: PricingConfig, baseFen: Fen): AppliedThreshold | undefined {
  let best: AppliedThreshold | undefined;
  for (const tier of config.thresholdTiers) {
    const thresholdFen = requireFen(tier.thresholdFen, 'tier threshold');
    const offFen = requireFen(tier.offFen, 'tier amount');
    if (thresholdFen === 0 || baseFen < thresholdFen) continue;
    const times = config.thresholdRepeat ? Math.floor(baseFen / thresholdFen) : 1;
    const candidate = { thresholdFen, offFen: times * offFen, times };
    if (
      !best ||
      candidate.offFen > best.offFen ||
      (candidate.offFen === best.offFen && candidate.thresholdFen < best.thresholdFen)
    ) {
      best = candidate;
    }
  }
  return best && best.offFen > 0 ? best : undefined;
}

/** Why a coupon cannot be used at `atMs`, or undefined when its window allows it. */
function windowFinding(coupon: Coupon, at: string, atMs: number | undefined): PricingFinding | undefined {
  if (coupon.validFrom === undefined && coupon.validTo === undefined) return undefined;
  const couponId = coupon.id;
  if (atMs === undefined) {
    return problem('coupon_window_unknown', `coupon ${couponId} has a validity window but the pricing instant "${at}" is not a UTC instant`, { couponId, differenceFen: coupon.amountFen });
  }
  const from = instantMs(coupon.validFrom);
  const to = instantMs(coupon.validTo);
  if (from !== undefined && atMs < from) {
    return problem('coupon_not_yet_valid', `coupon ${couponId} is valid from ${coupon.validFrom}, not at ${at}`, { couponId, differenceFen: coupon.amountFen });
  }
  if (to !== undefined && atMs > to) {
    return problem('coupon_expired', `coupon ${couponId} expired at ${coupon.validTo}, before ${at}`, { couponId, differenceFen: coupon.amountFen });
  }
  return undefined;
}

/** Takes `amountFen` off the given lines in proportion to what each still has to pay; returns the shares. */
function deduct(remaining: Fen[], indexes: readonly number[], amountFen: Fen): Fen[] {
  const shares = remaining.map(() => 0);
  const parts = apportion(amountFen, indexes.map((i) => remaining[i]!));
  indexes.forEach((i, k) => {
    shares[i] = parts[k]!;
    remaining[i] = remaining[i]! - parts[k]!;
  });
  return shares;
}

/**
 * Prices an order under a seller's policy, in integer fen: item discounts, then 满减 on the goods after item
 * discounts, then coupons (validity at `at`, minimum spend on their eligible goods after item discounts and
 * 满减, only their SKUs), then points, then any platform-paid discount, as given. Each order-level discount
 * is spread over the lines with {@link apportion}, weighted by what each line still has to pay at that step
 * (after item discounts for 满减; after the earlier discounts for the later ones, so that no line goes
 * below zero), so the lines' payable amounts add up to `goodsPayableFen` to the fen.
 *
 * A discount that cannot be used (unknown, expired or not yet valid coupon, minimum spend not reached, no
 * line it applies to, repeated coupon, invalid points) is left out and reported in `findings`; a discount
 * larger than what is left to pay is capped (`discount_capped`). Throws RangeError only on amounts that
 * are not non-negative integer fen, which is a programmer error.
 *
 * @example
 * computePrice(
 *   { lines: [{ skuCode: 'TEA', quantity: 2, unitPriceFen: 10000, itemDiscountFen: 0 }], couponIds: [], pointsUsed: 500, at: '2025-01-01T00:00:00Z' },
 *   { ...DEFAULT_PRICING_CONFIG, thresholdTiers: [{ thresholdFen: 15000, offFen: 2000 }] },
 * ) // goods 20000, 满减 2000, points 500 -> payableFen 17500
 */
export function computePrice(input: PriceInput, config: PricingConfig): PriceResult {
  const fenPerPoint = config.fenPerPoint;
  if (!Number.isSafeInteger(fenPerPoint) || fenPerPoint <= 0) throw new RangeError(`fenPerPoint is not a positive integer: ${fenPerPoint}`);
  const findings: PricingFinding[] = [];

  // Item discounts.
  const goods: Fen[] = [];
  const item: Fen[] = [];
  input.lines.forEach((line, index) => {
    const quantity = requireCount(line.quantity, `line ${index} quantity`);
    const lineGoods = requireFen(requireFen(line.unitPriceFen, `line ${index} unit price`) * quantity, `line ${index} goods`);
    const wanted = requireFen(line.itemDiscountFen, `line ${index} item discount`);
    goods.push(lineGoods);
    item.push(Math.min(wanted, lineGoods));
    if (wanted > lineGoods) {
      findings.push(
        problem('discount_capped', `line ${index} item discount ${yuan(wanted)} is more than its goods ${yuan(lineGoods)}; capped`, {
          differenceFen: wanted - lineGoods,
          lineId: line.lineId,
          lineIndex: index,
        }),
      );
    }
  });
  const remaining = goods.map((g, i) => g - item[i]!);
  const allLines = remaining.map((_, i) => i);

  // 满减 on the goods after item discounts.
  const thresholdBaseFen = total(remaining);
  let threshold = bestTier(config, thresholdBaseFen);
  if (threshold && threshold.offFen > thresholdBaseFen) {
    findings.push(
      problem('discount_capped', `满减 of ${yuan(threshold.offFen)} is more than the ${yuan(thresholdBaseFen)} of goods; capped`, {
        differenceFen: threshold.offFen - thresholdBaseFen,
      }),
    );
    threshold = { ...threshold, offFen: thresholdBaseFen };
  }
  const thresholdShares = threshold ? deduct(remaining, allLines, threshold.offFen) : remaining.map(() => 0);
  const afterThreshold = [...remaining];

  // Coupons.
  const atMs = instantMs(input.at);
  if (atMs === undefined) findings.push(problem('instant_invalid', `pricing instant "${input.at}" is not a UTC ISO instant ending in Z`));
  const couponShares = remaining.map(() => 0);
  const coupons: AppliedCoupon[] = [];
  const seen = new Set<string>();
  for (const couponId of input.couponIds) {
    if (seen.has(couponId)) {
      findings.push(problem('coupon_duplicate', `coupon ${couponId} is used more than once; applied once`, { couponId }));
      continue;
    }
    seen.add(couponId);
    const coupon = config.coupons.find((c) => c.id === couponId);
    if (!coupon) {
      findings.push(problem('coupon_unknown', `coupon ${couponId} is not in pricing policy ${config.id} v${config.version}`, { couponId }));
      continue;
    }
    const amountFen = requireFen(coupon.amountFen, `coupon ${couponId} amount`);
    const minSpendFen = requireFen(coupon.minSpendFen, `coupon ${couponId} minimum spend`);
    const outOfWindow = windowFinding(coupon, input.at, atMs);
    if (outOfWindow) {
      findings.push(outOfWindow);
      continue;
    }
    const skus = coupon.skuCodes ? new Set(coupon.skuCodes) : undefined;
    const applicable = allLines.filter((i) => goods[i]! > 0 && (!skus || skus.has(input.lines[i]!.skuCode)));
    if (applicable.length === 0) {
      findings.push(problem('coupon_not_applicable', `coupon ${couponId} applies to none of the order's SKUs`, { couponId, differenceFen: amountFen }));
      continue;
    }
    const eligibleFen = total(applicable.map((i) => afterThreshold[i]!));
    if (eligibleFen < minSpendFen) {
      findings.push(
        problem('coupon_min_spend', `coupon ${couponId} needs ${yuan(minSpendFen)} of eligible goods after discounts; the order has ${yuan(eligibleFen)}`, {
          couponId,
          differenceFen: amountFen,
        }),
      );
      continue;
    }
    const leftFen = total(applicable.map((i) => remaining[i]!));
    const appliedFen = Math.min(amountFen, leftFen);
    if (appliedFen < amountFen) {
      findings.push(
        problem('discount_capped', `coupon ${couponId} of ${yuan(amountFen)} is more than the ${yuan(leftFen)} left to pay on its lines; capped`, {
          couponId,
          differenceFen: amountFen - appliedFen,
        }),
      );
    }
    const shares = deduct(remaining, applicable, appliedFen);
    shares.forEach((s, i) => (couponShares[i] = couponShares[i]! + s));
    coupons.push({ id: couponId, amountFen: appliedFen, lineIndexes: applicable });
  }

  // Points, in whole points.
  let pointsUsed = 0;
  if (!Number.isSafeInteger(input.pointsUsed) || input.pointsUsed < 0 || !Number.isSafeInteger(input.pointsUsed * fenPerPoint)) {
    findings.push(problem('points_invalid', `points used ${input.pointsUsed} is not a whole number of points; none applied`));
  } else {
    const leftFen = total(remaining);
    pointsUsed = Math.min(input.pointsUsed, Math.floor(leftFen / fenPerPoint));
    if (pointsUsed < input.pointsUsed) {
      findings.push(
        problem('discount_capped', `${input.pointsUsed} points (${yuan(input.pointsUsed * fenPerPoint)}) are more than the ${yuan(leftFen)} left to pay; ${pointsUsed} used`, {
          differenceFen: (input.pointsUsed - pointsUsed) * fenPerPoint,
        }),
      );
    }
  }
  const pointsShares = deduct(remaining, allLines, pointsUsed * fenPerPoint);
  const sellerPayableFen = total(remaining);

  // Platform-paid discount, as given.
  const platformWanted = requireFen(input.platformDiscountFen ?? 0, 'platform discount');
  const platformFen = Math.min(platformWanted, sellerPayableFen);
  if (platformFen < platformWanted) {
    findings.push(
      problem('discount_capped', `platform discount ${yuan(platformWanted)} is more than the ${yuan(sellerPayableFen)} left to pay; capped`, {
        differenceFen: platformWanted - platformFen,
      }),
    );
  }
  const platformShares = deduct(remaining, allLines, platformFen);

  // Shipping: the seller's rule when there is one, free from a threshold on the goods after the seller's own
  // discounts (a platform subsidy does not take free shipping away).
  const chargedFen = input.shippingFen === undefined ? undefined : requireFen(input.shippingFen, 'shipping');
  let shippingFen = chargedFen ?? 0;
  if (config.shipping) {
    const { flatFen, freeFromFen } = config.shipping;
    const ruleFen = freeFromFen !== undefined && sellerPayableFen >= freeFromFen ? 0 : requireFen(flatFen, 'flat shipping');
    if (chargedFen !== undefined && chargedFen !== ruleFen) {
      findings.push(problem('shipping_mismatch', `shipping charged ${yuan(chargedFen)} differs from the policy's ${yuan(ruleFen)}`, { differenceFen: chargedFen - ruleFen }));
    }
    shippingFen = ruleFen;
  }

  const lines: PricedLine[] = input.lines.map((line, index) => {
    const orderDiscountFen = thresholdShares[index]! + couponShares[index]! + pointsShares[index]! + platformShares[index]!;
    return {
      index,
      ...(line.lineId !== undefined ? { lineId: line.lineId } : {}),
      skuCode: line.skuCode,
      quantity: line.quantity,
      unitPriceFen: line.unitPriceFen,
      goodsFen: goods[index]!,
      itemDiscountFen: item[index]!,
      thresholdFen: thresholdShares[index]!,
      couponFen: couponShares[index]!,
      pointsFen: pointsShares[index]!,
      platformFen: platformShares[index]!,
      orderDiscountFen,
      payableFen: remaining[index]!,
    };
  });

  const goodsFen = total(goods);
  const goodsPayableFen = total(remaining);
  return {
    configId: config.id,
    configVersion: config.version,
    at: input.at,
    goodsFen,
    itemDiscountFen: total(item),
    thresholdFen: threshold?.offFen ?? 0,
    couponFen: total(coupons.map((c) => c.amountFen)),
    pointsFen: pointsUsed * fenPerPoint,
    platformFen,
    discountFen: goodsFen - goodsPayableFen,
    goodsPayableFen,
    shippingFen,
    payableFen: goodsPayableFen + shippingFen,
    ...(threshold ? { threshold } : {}),
    coupons,
    pointsUsed,
    lines,
    findings,
  };
}
