// The facts a rule's conditions may test: a closed, typed list, so a rule set that names an unknown fact or
// compares a number with a string is refused when it is written, not discovered when an order arrives.

export type FactType = 'number' | 'string' | 'boolean' | 'strings';

export interface FactSpec {
  readonly type: FactType;
  readonly description: string;
  /** Inclusive bounds a number fact can take; a condition outside them can never hold. */
  readonly range?: readonly [number, number];
  /** The values a string fact can take, when the list is closed. */
  readonly values?: readonly string[];
}

export const FACTS = {
  amountFen: { type: 'number', description: 'What the buyer paid, in fen', range: [0, Number.MAX_SAFE_INTEGER] },
  goodsFen: { type: 'number', description: 'Goods value before discounts, in fen', range: [0, Number.MAX_SAFE_INTEGER] },
  discountFen: { type: 'number', description: 'All discounts of the order, in fen', range: [0, Number.MAX_SAFE_INTEGER] },
  lineCount: { type: 'number', description: 'Number of order lines', range: [1, 500] },
  quantity: { type: 'number', description: 'Total quantity of goods', range: [1, 50_000_000] },
  skuCodes: { type: 'strings', description: 'Merchant SKU codes of the lines' },
  categories: { type: 'strings', description: "Categories of the lines' SKUs (SKU master data)" },
  channel: { type: 'string', description: 'Platform', values: ['taobao', 'jd', 'douyin', 'pdd', 'manual'] },
  shopId: { type: 'string', description: 'Shop id' },
  province: { type: 'string', description: "Receiver's province, as resolved by the address library" },
  city: { type: 'string', description: "Receiver's city" },
  regionCode: { type: 'string', description: "Receiver's resolved region code (district, else city or province)" },
  vipLevel: { type: 'number', description: "Buyer's VIP level from the customer master data (0 when unknown)", range: [0, 10] },
  blacklisted: { type: 'boolean', description: 'Buyer is on the blacklist' },
  customerTags: { type: 'strings', description: "Buyer's tags from the customer master data" },
  hasBuyerRemark: { type: 'boolean', description: 'The buyer left a remark' },
  remarkRoutine: {
    type: 'boolean',
    description: "The buyer's remark says nothing but the rule set's routine phrases (请尽快发货, 谢谢, ...); false without a remark",
  },
  hasSellerMemo: { type: 'boolean', description: 'The seller wrote a memo on the platform' },
  sellerFlag: { type: 'number', description: "The seller's flag colour on the platform (0 none, 1..5)", range: [0, 5] },
  presale: { type: 'boolean', description: 'A presale (deposit) order' },
  cashOnDelivery: { type: 'boolean', description: 'Cash on delivery' },
  paidMinutes: { type: 'number', description: 'Minutes since payment at review time (0 when unpaid)', range: [0, Number.MAX_SAFE_INTEGER] },
  localHour: { type: 'number', description: 'Hour of the review in China time (UTC+8), 0..23', range: [0, 23] },
  localTime: { type: 'string', description: 'Time of the review in China time, "HH:MM"; use `between` for a window' },
  weekday: { type: 'number', description: 'Day of the review in China time, 1 Monday .. 7 Sunday', range: [1, 7] },
  hoursToPromise: { type: 'number', description: 'Hours left until the promised ship-by time (absent: no promise)', range: [-1_000_000, 1_000_000] },
  couponsUsed: { type: 'boolean', description: 'The buyer used a coupon' },
  couponIds: { type: 'strings', description: 'Coupons the buyer used' },
  couponsValid: { type: 'boolean', description: 'Every coupon used is known, valid at payment time and applicable' },
  pricingConsistent: { type: 'boolean', description: 'What the buyer paid equals what the price rules give' },
  pricingDifferenceFen: { type: 'number', description: 'Paid minus expected, in fen', range: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] },
  addressStatus: { type: 'string', description: 'Address library verdict', values: ['resolved', 'ambiguous', 'unresolved'] },
  addressComplete: { type: 'boolean', description: 'Receiver, phone, region to the district and street detail all present (masked counts)' },
  stockSufficient: { type: 'boolean', description: 'Free stock across active warehouses covers every line' },
  tags: { type: 'strings', description: 'Tags added by earlier review rules of this evaluation' },
} as const satisfies Record<string, FactSpec>;

export type FactName = keyof typeof FACTS;
export const FACT_NAMES = Object.keys(FACTS) as FactName[];

type ValueOf<T extends FactType> = T extends 'number' ? number : T extends 'string' ? string : T extends 'boolean' ? boolean : readonly string[];

/** The facts of one order at review time. `hoursToPromise` is absent when the platform promised nothing. */
export type OrderFacts = { -readonly [K in Exclude<FactName, 'hoursToPromise'>]: ValueOf<(typeof FACTS)[K]['type']> } & {
  hoursToPromise?: number;
};
