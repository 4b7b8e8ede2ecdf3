import { z } from 'zod';
import { fen } from './money.schema.js';
import { sumFen } from './money.js';

/** Sales channels Orderly connects to. Tmall shares Taobao's open platform, so it is `taobao` here. */
export const PLATFORMS = ['taobao', 'jd', 'douyin', 'pdd', 'manual'] as const;
export const platform = z.enum(PLATFORMS);
export type Platform = z.infer<typeof platform>;

/** UTC instant as ISO-8601 with a `Z` suffix; platform local times are converted at the edge. */
export const utcInstant = z.iso.datetime({ offset: false, message: 'expected a UTC ISO-8601 instant ending in Z' });

/** Platform ids are strings: several platforms use ids beyond 2^53. Also the parts of a workflow id (no colons). */
export const platformId = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'ids may contain letters, digits, "_", "-" and "."');

const PHONE_CHARS = /^[0-9*+\- ()#]*$/;

/** One receiver field as the platform encrypted it (Douyin `##…#1##`, PDD `~…~0~`, `$…$1$`), byte for byte. */
const ciphertext = z.string().trim().min(1).max(2000);

/**
 * The receiver fields a platform sent only encrypted, kept so that its decrypt call has what it needs. They are
 * the platform's ciphertexts, not plaintext; what may be shown stays in `name`, `phone` and `detail` (masked).
 */
export const receiverCiphertexts = z.object({
  name: ciphertext.optional(),
  phone: ciphertext.optional(),
  detail: ciphertext.optional(),
});
export type ReceiverCiphertexts = z.infer<typeof receiverCiphertexts>;

/**
 * Receiver as the platform gives it. Masked values (`张**`, `138****5678`) are accepted: they are present.
 * Where a platform sends a field only encrypted, the display value may be empty and the ciphertext is in
 * `encrypted`; province, city and district come in plain text and are what routing uses.
 */
export const receiver = z.object({
  name: z.string().trim().min(1).max(100),
  phone: z.string().trim().min(3).max(40).regex(PHONE_CHARS, 'phone may contain digits, "*" masks, "+", "-", spaces and brackets'),
  province: z.string().trim().max(50).default(''),
  city: z.string().trim().max(50).default(''),
  district: z.string().trim().max(50).default(''),
  town: z.string().trim().max(50).optional(),
  detail: z.string().trim().max(500).default(''),
  postalCode: z.string().trim().max(12).optional(),
  /** The platform's opaque address id (e.g. Taobao oaid) when PII is encrypted. */
  addressKey: z.string().max(200).optional(),
  /** Ciphertexts of the fields the platform encrypts, for its decrypt call; never replaced by plaintext. */
  encrypted: receiverCiphertexts.optional(),
});
export type Receiver = z.infer<typeof receiver>;

export const orderLine = z.object({
  /** The platform's sub-order id when it has one. */
  lineId: z.string().max(64).optional(),
  /** Merchant SKU code (Orderly's SKU). */
  skuCode: z.string().trim().min(1).max(64),
  title: z.string().max(300).optional(),
  quantity: z.number().int().positive().max(100_000),
  unitPriceFen: fen,
  /** Discount attributed to this line. */
  discountFen: fen.default(0),
  /** What the buyer paid for this line after discounts. */
  paidFen: fen,
});
export type OrderLine = z.infer<typeof orderLine>;

export const DISCOUNT_KINDS = ['coupon', 'points', 'threshold', 'platform', 'seller', 'other'] as const;
export const discount = z.object({
  kind: z.enum(DISCOUNT_KINDS),
  name: z.string().max(200).optional(),
  amountFen: fen,
});

export const presale = z.object({
  depositFen: fen,
  balanceFen: fen,
  depositPaidAt: utcInstant.optional(),
  balancePaidAt: utcInstant.optional(),
  /** After this instant an unpaid balance closes the order. */
  balanceDueAt: utcInstant.optional(),
});

export const amounts = z.object({
  /** Sum of unit price x quantity over the lines. */
  goodsFen: fen,
  shippingFen: fen.default(0),
  discountFen: fen.default(0),
  /** What the platform says the buyer paid (or will pay). */
  paidFen: fen,
});

const orderFields = {
  platform,
  shopId: platformId,
  platformOrderId: platformId,
  /** The platform's opaque buyer id; used for merging and blacklists. */
  buyerKey: z.string().trim().min(1).max(200),
  receiver,
  lines: z.array(orderLine).min(1).max(500),
  amounts,
  discounts: z.array(discount).max(50).default([]),
  presale: presale.optional(),
  buyerRemark: z.string().max(1000).optional(),
  sellerMemo: z.string().max(1000).optional(),
  /** The seller's flag colour on the platform (Taobao 旗帜 and the like): 0 none, 1..5. */
  sellerFlag: z.number().int().min(0).max(5).optional(),
  /** When the platform promised the order would ship by (承诺发货时间), when it says. */
  promisedShipAt: utcInstant.optional(),
  /** Cash on delivery: never merged with other orders. */
  cashOnDelivery: z.boolean().default(false),
  createdAt: utcInstant,
  paidAt: utcInstant.optional(),
  updatedAt: utcInstant.optional(),
};

/** The canonical order: every channel's payload is mapped to this shape at the edge. */
export const canonicalOrder = z.object(orderFields).superRefine((o, ctx) => {
  // Each amount is a safe integer on its own; their products and sum may not be (a price near 2^53 x 100 000).
  const products = o.lines.map((l) => l.unitPriceFen * l.quantity);
  const total = products.reduce((a, b) => a + b, 0);
  if (!products.every(Number.isSafeInteger) || !Number.isSafeInteger(total)) {
    ctx.addIssue({ code: 'custom', path: ['lines'], message: 'unit price x quantity over the lines is beyond what integer fen can count' });
    return;
  }
  const goods = sumFen(products);
  if (goods !== o.amounts.goodsFen) {
    ctx.addIssue({
      code: 'custom',
      path: ['amounts', 'goodsFen'],
      message: `goodsFen ${o.amounts.goodsFen} does not equal the lines' price x quantity ${goods}`,
    });
  }
  if (o.presale && o.presale.depositFen + o.presale.balanceFen !== o.amounts.paidFen) {
    ctx.addIssue({
      code: 'custom',
      path: ['presale'],
      message: 'deposit plus balance must equal amounts.paidFen',
    });
  }
});

/**
 * The same shape with nothing but types enforced: what a platform sends is kept even when it is incomplete
 * (empty receiver, unknown SKU, amounts that do not add up). The order workflow then flags what is missing
 * (see `checkCompleteness`) instead of the order being dropped at the door.
 */
export const canonicalOrderLoose = z.object({
  ...orderFields,
  buyerKey: z.string().trim().max(200).default(''),
  receiver: receiver.extend({
    name: z.string().trim().max(100).default(''),
    phone: z.string().trim().max(400).default(''),
  }),
  lines: z
    .array(orderLine.extend({ skuCode: z.string().trim().max(64).default(''), quantity: z.number().int().nonnegative().max(100_000) }))
    .max(500),
});
export type CanonicalOrder = z.infer<typeof canonicalOrder>;
/** Input shape (before defaults are applied), e.g. for building fixtures. */
export type CanonicalOrderInput = z.input<typeof canonicalOrder>;

/**
 * The workflow id of an order, readable in the Temporal UI.
 *
 * @example orderWorkflowId('taobao', 'shop1', '3021') // 'order:taobao:shop1:3021'
 */
export function orderWorkflowId(p: Platform, shopId: string, platformOrderId: string): string {
  return `order:${p}:${shopId}:${platformOrderId}`;
}

/** Splits an order workflow id back into its parts, or returns null when it is not one. */
export function parseOrderWorkflowId(
  id: string,
): { platform: Platform; shopId: string; platformOrderId: string } | null {
  const parts = id.split(':');
  if (parts.length !== 4 || parts[0] !== 'order') return null;
  const p = platform.safeParse(parts[1]);
  if (!p.success || !parts[2] || !parts[3]) return null;
  return { platform: p.data, shopId: parts[2], platformOrderId: parts[3] };
}
