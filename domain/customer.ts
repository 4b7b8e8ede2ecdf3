import { z } from 'zod';
import { platform } from './order.js';

// Customers are master data for the automatic-review rules ("VIP first", "blacklisted buyers held"). A buyer
// is known only by the platform's opaque buyer id (Taobao open_uid / `AAH5…`, Douyin's encrypted id, ...):
// ids are per platform, so the key is (platform, buyerKey), and the id is kept byte for byte (no trimming,
// no Unicode normalisation), since the platform compares it that way.

/** The platform's opaque buyer id: any characters, compared exactly. */
export const buyerKey = z.string().min(1).max(200).describe("The platform's opaque buyer id, exactly as the platform sends it");

export const MAX_VIP_LEVEL = 10;
export const MAX_CUSTOMER_TAGS = 50;

const tag = z.string().trim().min(1).max(50);

/** What the seller says about a buyer: everything of a customer but its key. Unknown fields are refused. */
export const customerAttributes = z.strictObject({
  vipLevel: z.number().int().min(0).max(MAX_VIP_LEVEL).default(0).describe('0: not a VIP; higher levels are served first'),
  blacklisted: z.boolean().default(false).describe("Orders of a blacklisted buyer are held for manual review"),
  blacklistReason: z.string().trim().min(1).max(500).optional(),
  // A repeated tag says nothing more: duplicates are dropped, the first occurrence keeps its place.
  tags: z
    .array(tag)
    .max(MAX_CUSTOMER_TAGS)
    .overwrite((ts) => [...new Set(ts)])
    .default([])
    .describe('Free labels the rules may match, e.g. "wholesale", "returns-often"'),
  note: z.string().max(2000).optional(),
});

/** The key of a customer. */
export const customerKey = z.strictObject({ platform, buyerKey });

/** A customer: a platform's buyer as the seller knows them. */
export const customer = z.strictObject({ ...customerKey.shape, ...customerAttributes.shape });

export type CustomerKey = z.infer<typeof customerKey>;
export type CustomerAttributes = z.output<typeof customerAttributes>;
export type Customer = z.output<typeof customer>;
export type CustomerInput = z.input<typeof customer>;

/** What the review rules need to know of an order's buyer. */
export type CustomerFacts = { vipLevel: number; blacklisted: boolean; tags: readonly string[] };

/** The facts of a buyer the seller has not recorded: no VIP level, not blacklisted, no tags. */
export const NO_CUSTOMER_FACTS: CustomerFacts = Object.freeze({ vipLevel: 0, blacklisted: false, tags: Object.freeze([]) });

/**
 * The review-relevant facts of a customer.
 *
 * @example
 * customerFacts({ vipLevel: 3, blacklisted: false, tags: ['wholesale'] })
 * // => { vipLevel: 3, blacklisted: false, tags: ['wholesale'] }
 */
export function customerFacts(c: Pick<Customer, 'vipLevel' | 'blacklisted' | 'tags'>): CustomerFacts {
  return { vipLevel: c.vipLevel, blacklisted: c.blacklisted, tags: [...c.tags] };
}
