import { z } from 'zod';
import { fen } from '../money.schema.js';
import { utcInstant } from '../order.js';
import type { PricingConfig } from './types.js';

const id = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'ids may contain letters, digits, "_", "-" and "."');

export const coupon = z
  .strictObject({
    /** A string even when the platform's id is numeric: ids beyond 2^53 must keep every digit. */
    id,
    name: z.string().trim().max(200).optional(),
    amountFen: fen.positive('a coupon takes something off'),
    minSpendFen: fen.default(0),
    validFrom: utcInstant.optional(),
    validTo: utcInstant.optional(),
    /** Absent: every SKU. An empty list would be a coupon for nothing, so it is refused. */
    skuCodes: z.array(z.string().trim().min(1).max(64)).min(1).max(1000).optional(),
  })
  .refine((c) => c.validFrom === undefined || c.validTo === undefined || Date.parse(c.validFrom) <= Date.parse(c.validTo), {
    message: 'validFrom must not be after validTo',
    path: ['validTo'],
  });

export const thresholdTier = z
  .strictObject({
    thresholdFen: fen.positive('a 满减 threshold is more than 0'),
    offFen: fen.positive('a 满减 tier takes something off'),
  })
  .refine((t) => t.offFen <= t.thresholdFen, { message: 'a 满减 tier cannot take off more than its threshold', path: ['offFen'] });

export const shippingRule = z.strictObject({
  flatFen: fen,
  /** Goods payable (after the seller's discounts) from which shipping is free (满 X 包邮). */
  freeFromFen: fen.optional(),
});

/**
 * A seller's pricing policy as stored or sent by an admin. Strict: an unknown field is a mistake (a typo of
 * `thresholdRepeat` would otherwise silently keep the default). `pricingConfig.parse({})` is
 * `DEFAULT_PRICING_CONFIG`.
 */
export const pricingConfig = z
  .strictObject({
    id: id.default('pricing.default'),
    version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    /** Fen per point; 1 means 100 points = 1 yuan. */
    fenPerPoint: z.number().int().positive().max(10_000).default(1),
    coupons: z.array(coupon).max(500).default([]),
    thresholdTiers: z.array(thresholdTier).max(50).default([]),
    /** true: 每满 X 减 Y, repeating for each whole multiple of the threshold. */
    thresholdRepeat: z.boolean().default(false),
    shipping: shippingRule.optional(),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    c.coupons.forEach((cp, i) => {
      if (ids.has(cp.id)) ctx.addIssue({ code: 'custom', path: ['coupons', i, 'id'], message: `coupon id ${cp.id} appears more than once` });
      ids.add(cp.id);
    });
    const thresholds = new Set<number>();
    c.thresholdTiers.forEach((t, i) => {
      if (thresholds.has(t.thresholdFen)) ctx.addIssue({ code: 'custom', path: ['thresholdTiers', i, 'thresholdFen'], message: 'two 满减 tiers have the same threshold' });
      thresholds.add(t.thresholdFen);
    });
  });
export type PricingConfigInput = z.input<typeof pricingConfig>;

// The schema and the zod-free type in types.ts must not drift apart: a parsed config is a PricingConfig, and a
// PricingConfig written in code passes the schema's types.
type Assignable<From, To> = [From] extends [To] ? true : false;
const _parsedIsConfig: Assignable<z.output<typeof pricingConfig>, PricingConfig> = true;
const _configIsInput: Assignable<PricingConfig, PricingConfigInput> = true;
void _parsedIsConfig;
void _configIsInput;
