/**
 * Inputs of bench/rules.bench.ts: a seeded stream of realistic paid orders with what the review reads beside
 * them (customer, stock, review instant), the shop's pricing policy they were priced under, and a generated
 * set of rules. Same seed, same stream and rules.
 *
 * The simulator's generator (channels/simulator/generator.ts) makes platform orders for the wire, without coupon
 * ids, VIPs or blacklists and with a remark on 30% of orders; this stream is made for the review instead. Only
 * its random source is shared.
 */
import { seededRandom } from '../channels/simulator/generator.js';
import { canonicalOrder, type CanonicalOrder, type CanonicalOrderInput, type Platform } from '../domain/order.js';
import { apportion, computePrice, type PricingConfig } from '../domain/pricing/index.js';
import { pricingConfig } from '../domain/pricing/schema.js';
import { DEFAULT_ROUTINE_REMARKS, DEFAULT_RULE_SET, type ReviewContext, type RuleSetInput } from '../domain/rules/index.js';

type Rnd = () => number;

const STREAM_START_MS = Date.parse('2026-11-10T16:00:00Z'); // 11.11, 00:00 in China

/** The shop's policy: 满减 tiers, shop coupons (one expired), 1 fen per point, the platform's shipping. */
export const SHOP_PRICING: PricingConfig = pricingConfig.parse({
  id: 'bench.shop',
  version: 4,
  thresholdTiers: [
    { thresholdFen: 19_900, offFen: 2_000 },
    { thresholdFen: 39_900, offFen: 5_000 },
    { thresholdFen: 99_900, offFen: 12_000 },
  ],
  coupons: [
    { id: 'SHOP-5', amountFen: 500, minSpendFen: 3_000, validFrom: '2026-11-01T00:00:00Z', validTo: '2026-11-30T15:59:59Z' },
    { id: 'SHOP-20', amountFen: 2_000, minSpendFen: 19_900, validFrom: '2026-11-01T00:00:00Z', validTo: '2026-11-30T15:59:59Z' },
    { id: 'SHOP-100', amountFen: 10_000, minSpendFen: 99_900, validFrom: '2026-11-01T00:00:00Z', validTo: '2026-11-30T15:59:59Z' },
    { id: 'TEA-15', amountFen: 1_500, minSpendFen: 10_000, skuCodes: ['TEA-LJ-250', 'TEA-PE-357', 'TEA-DHP-125'] },
    { id: 'D11-50', amountFen: 5_000, minSpendFen: 49_900, validFrom: '2026-11-10T16:00:00Z', validTo: '2026-11-11T15:59:59Z' },
    { id: 'OCT-10', amountFen: 1_000, minSpendFen: 5_000, validFrom: '2026-10-01T00:00:00Z', validTo: '2026-10-31T15:59:59Z' },
  ],
});
const GOOD_COUPONS = ['SHOP-5', 'SHOP-20', 'SHOP-100', 'TEA-15', 'D11-50'];

interface Item {
  readonly sku: string;
  readonly fen: number;
  readonly category: string;
  /** Relative chance of being picked. */
  readonly weight: number;
}

const CATALOGUE: readonly Item[] = [
  { sku: 'TEA-LJ-250', fen: 12_800, category: 'tea', weight: 8 },
  { sku: 'TEA-PE-357', fen: 26_800, category: 'tea', weight: 3 },
  { sku: 'TEA-DHP-125', fen: 39_900, category: 'tea', weight: 2 },
  { sku: 'MUG-CER-01', fen: 3_900, category: 'kitchen', weight: 8 },
  { sku: 'KETTLE-17L', fen: 12_900, category: 'appliance', weight: 4 },
  { sku: 'RICE-WC-5KG', fen: 8_990, category: 'food', weight: 7 },
  { sku: 'SNACK-NUT-500', fen: 7_900, category: 'food', weight: 9 },
  { sku: 'SNACK-DATE-1KG', fen: 5_900, category: 'food', weight: 6 },
  { sku: 'SOCK-WOOL-3', fen: 3_990, category: 'apparel', weight: 8 },
  { sku: 'PJ-CORAL-L', fen: 17_900, category: 'apparel', weight: 5 },
  { sku: 'DOWN-JACKET-M', fen: 89_900, category: 'apparel', weight: 2 },
  { sku: 'TOWEL-4P', fen: 4_990, category: 'home', weight: 6 },
  { sku: 'DUVET-200', fen: 45_900, category: 'home', weight: 2 },
  { sku: 'PHONE-CASE-15', fen: 1_990, category: 'digital', weight: 9 },
  { sku: 'CHARGER-65W', fen: 14_900, category: 'digital', weight: 4 },
  { sku: 'EARBUDS-PRO', fen: 79_900, category: 'digital', weight: 2 },
  { sku: 'AIR-FRYER-5L', fen: 39_900, category: 'appliance', weight: 2 },
  { sku: 'BAIJIU-MT-500', fen: 149_900, category: 'liquor', weight: 0.6 },
  { sku: 'PHONE-X-256', fen: 599_900, category: 'digital', weight: 0.35 },
  { sku: 'LAPTOP-14', fen: 699_900, category: 'digital', weight: 0.15 },
  { sku: 'BABY-FORMULA-3', fen: 32_800, category: 'baby', weight: 3 },
  { sku: 'FACE-CREAM-50', fen: 58_000, category: 'beauty', weight: 2 },
];
export const CATEGORIES: ReadonlyMap<string, string> = new Map(CATALOGUE.map((i) => [i.sku, i.category]));
const TOTAL_WEIGHT = CATALOGUE.reduce((s, i) => s + i.weight, 0);

/** Real places, as platforms send them: region in plain text, street masked. */
const ADDRESSES: readonly (readonly [string, string, string, string])[] = [
  ['浙江省', '杭州市', '西湖区', '文三路***号'],
  ['浙江省', '杭州市', '余杭区', '文一西路***号'],
  ['浙江省', '宁波市', '鄞州区', '天童南路***号'],
  ['上海市', '上海市', '浦东新区', '张杨路***号'],
  ['上海市', '上海市', '徐汇区', '漕溪北路***号'],
  ['北京市', '北京市', '朝阳区', '建国路***号'],
  ['北京市', '北京市', '海淀区', '中关村大街***号'],
  ['广东省', '深圳市', '南山区', '科技园南路***号'],
  ['广东省', '广州市', '天河区', '天河路***号'],
  ['广东省', '东莞市', '', '南城街道鸿福路***号'],
  ['江苏省', '南京市', '鼓楼区', '中山北路***号'],
  ['江苏省', '苏州市', '姑苏区', '人民路***号'],
  ['四川省', '成都市', '武侯区', '人民南路***号'],
  ['重庆市', '重庆市', '渝中区', '解放碑***号'],
  ['湖北省', '武汉市', '洪山区', '珞喻路***号'],
  ['湖南省', '长沙市', '岳麓区', '麓山南路***号'],
  ['陕西省', '西安市', '雁塔区', '长安南路***号'],
  ['山东省', '青岛市', '崂山区', '香港东路***号'],
  ['河南省', '郑州市', '金水区', '花园路***号'],
  ['福建省', '福州市', '鼓楼区', '五四路***号'],
  ['辽宁省', '沈阳市', '和平区', '南京南街***号'],
  ['天津市', '天津市', '和平区', '南京路***号'],
  ['黑龙江省', '哈尔滨市', '南岗区', '西大直街***号'],
  ['云南省', '昆明市', '五华区', '东风西路***号'],
  ['新疆维吾尔自治区', '乌鲁木齐市', '天山区', '解放南路***号'],
  ['海南省', '三亚市', '吉阳区', '迎宾路***号'],
];
/** A district without province or city: the name exists in several cities, so the library cannot choose. */
const AMBIGUOUS: readonly (readonly [string, string])[] = [
  ['朝阳区', '建国路88号'],
  ['鼓楼区', '中山路1号'],
  ['西湖区', '南京西路***号'],
  ['和平区', '南京路***号'],
];
/** Only province and city: resolved, but not to the district. */
const NO_DISTRICT: readonly (readonly [string, string, string])[] = [
  ['浙江省', '杭州市', '文三路***号'],
  ['广东省', '深圳市', '深南大道***号'],
];

const ROUTINE = ['请尽快发货', '谢谢', '请尽快发货，谢谢', '辛苦了😊', '尽快发货 谢谢老板'];
const ASKS = ['发顺丰', '周末不收货', '不要放驿站', '送人的，不要放价格单', '颜色要蓝色的', '能开发票吗', '放门口就行，别打电话', '下午三点后再送'];
const SURNAMES = ['张', '王', '李', '赵', '陈', '刘', '杨', '黄', '周', '吴'];
const PLATFORMS: readonly (readonly [Platform, number])[] = [
  ['taobao', 0.45],
  ['jd', 0.2],
  ['douyin', 0.2],
  ['pdd', 0.15],
];

/** The mix the stream is drawn from, as shares of orders (what the bench prints is counted from the stream). */
export const MIX = {
  remark: 0.06,
  /** Of the remarks: only routine phrases (请尽快发货, 谢谢), which need no person. */
  remarkRoutine: 0.25,
  vip: 0.12,
  highVip: 0.01,
  blacklisted: 0.005,
  ambiguousAddress: 0.02,
  noDistrict: 0.005,
  coupon: 0.3,
  expiredCoupon: 0.003,
  unknownCoupon: 0.002,
  paidMismatch: 0.003,
  stockShort: 0.04,
  reviewedLate: 0.02,
} as const;

export interface StreamOrder {
  readonly order: CanonicalOrder;
  readonly ctx: ReviewContext;
  /** What was drawn for this order, to count the mix. */
  readonly traits: readonly string[];
}

function pickWeighted(rnd: Rnd): Item {
  let x = rnd() * TOTAL_WEIGHT;
  for (const item of CATALOGUE) {
    x -= item.weight;
    if (x < 0) return item;
  }
  return CATALOGUE[CATALOGUE.length - 1]!;
}

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function digits(rnd: Rnd, n: number): string {
  let s = String(1 + Math.floor(rnd() * 9));
  while (s.length < n) s += String(Math.floor(rnd() * 10));
  return s;
}

/**
 * One paid order, priced the way the platform would under SHOP_PRICING (满减, the coupon the buyer picked,
 * points, a platform subsidy, a seller's price change), then sometimes spoiled: an expired or unknown coupon the
 * platform still granted, a paid amount off by one yuan.
 */
function makeOne(rnd: Rnd, i: number): StreamOrder {
  const traits: string[] = [];
  const chance = (p: number, trait?: string) => {
    const hit = rnd() < p;
    if (hit && trait) traits.push(trait);
    return hit;
  };
  let x = rnd();
  const platform = PLATFORMS.find(([, share]) => (x -= share) < 0)?.[0] ?? 'taobao';

  // 1-5 lines: most orders have one.
  const r = rnd();
  const want = r < 0.55 ? 1 : r < 0.8 ? 2 : r < 0.92 ? 3 : r < 0.97 ? 4 : 5;
  const items = new Map<string, { item: Item; quantity: number }>();
  while (items.size < want) {
    const item = pickWeighted(rnd);
    if (items.has(item.sku)) continue;
    const q = rnd();
    items.set(item.sku, { item, quantity: q < 0.75 ? 1 : q < 0.93 ? 2 : 3 + Math.floor(rnd() * 3) });
  }
  const lines = [...items.values()];
  const goods = lines.map((l) => l.item.fen * l.quantity);
  const goodsFen = goods.reduce((a, b) => a + b, 0);

  const paidMs = STREAM_START_MS + i * 4_000 + Math.floor(rnd() * 4_000);
  const createdMs = paidMs - (5 + Math.floor(rnd() * 300)) * 1000;
  const at = iso(paidMs);

  const sellerFen = chance(0.03, 'seller price change') ? Math.min(goodsFen - 1, 100 * (1 + Math.floor(rnd() * 20))) : 0;
  const itemShares = apportion(sellerFen, goods);
  const priceLines = lines.map((l, k) => ({ skuCode: l.item.sku, quantity: l.quantity, unitPriceFen: l.item.fen, itemDiscountFen: itemShares[k]! }));
  const pointsUsed = chance(0.04, 'points') ? 100 * (1 + Math.floor(rnd() * 20)) : 0;
  const platformDiscountFen = chance(0.08, 'platform subsidy') ? 300 + 100 * Math.floor(rnd() * 18) : 0;
  const shippingFen = rnd() < 0.85 ? 0 : rnd() < 0.5 ? 600 : 1_000;
  const price = (couponIds: string[]) => computePrice({ lines: priceLines, couponIds, pointsUsed, shippingFen, platformDiscountFen, at }, SHOP_PRICING);

  // The buyer picks the best shop coupon the order qualifies for, as the platform offers it.
  let priced = price([]);
  if (chance(MIX.coupon)) {
    const best = GOOD_COUPONS.map((id) => price([id]))
      .filter((p) => p.coupons.length === 1 && p.findings.length === 0)
      .sort((a, b) => b.couponFen - a.couponFen)[0];
    if (best) {
      priced = best;
      traits.push('coupon');
    }
  }
  const discounts: NonNullable<CanonicalOrderInput['discounts']> = [];
  if (priced.thresholdFen) discounts.push({ kind: 'threshold', name: '满减', amountFen: priced.thresholdFen });
  for (const c of priced.coupons) discounts.push({ kind: 'coupon', name: c.id, amountFen: c.amountFen });
  if (priced.pointsFen) discounts.push({ kind: 'points', amountFen: priced.pointsFen });
  if (priced.platformFen) discounts.push({ kind: 'platform', name: '平台补贴', amountFen: priced.platformFen });
  if (sellerFen) discounts.push({ kind: 'seller', name: '改价', amountFen: sellerFen });
  const linePaid = priced.lines.map((l) => l.payableFen);
  let discountFen = priced.discountFen;
  let paidFen = priced.payableFen;

  // What the policy would refuse but the platform granted anyway.
  const stale = rnd() < MIX.expiredCoupon ? 'OCT-10' : rnd() < MIX.unknownCoupon ? 'PLAT-X9' : undefined;
  if (stale && paidFen - shippingFen > 1_000) {
    traits.push(stale === 'OCT-10' ? 'expired coupon' : 'unknown coupon');
    discounts.push({ kind: 'coupon', name: stale, amountFen: 1_000 });
    discountFen += 1_000;
    paidFen -= 1_000;
    linePaid[0] = Math.max(0, linePaid[0]! - 1_000);
  }
  if (chance(MIX.paidMismatch, 'paid 1 yuan off')) paidFen += 100;

  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let region: readonly [string, string, string, string];
  if (chance(MIX.ambiguousAddress, 'ambiguous address')) region = ['', '', ...pick(AMBIGUOUS)];
  else if (chance(MIX.noDistrict, 'no district')) {
    const [p, c, street] = pick(NO_DISTRICT);
    region = [p, c, '', street];
  } else region = pick(ADDRESSES);
  const [province, city, district, detail] = region;

  let remark: string | undefined;
  if (chance(MIX.remark)) {
    const routine = rnd() < MIX.remarkRoutine;
    traits.push(routine ? 'routine remark' : 'remark');
    remark = pick(routine ? ROUTINE : ASKS);
  }
  const late = chance(MIX.reviewedLate, 'reviewed late');
  const promise = rnd();
  const id = `${platform === 'jd' ? digits(rnd, 12) : digits(rnd, 19)}`;
  const presale = chance(0.02, 'presale');
  const input: CanonicalOrderInput = {
    platform,
    shopId: `shop-${platform}-1`,
    platformOrderId: id,
    buyerKey: `buyer-${digits(rnd, 10)}`,
    receiver: { name: `${pick(SURNAMES)}**`, phone: `1${digits(rnd, 2)}****${digits(rnd, 4)}`, province, city, district, detail },
    lines: lines.map((l, k) => ({ lineId: `${id}${k}`, skuCode: l.item.sku, quantity: l.quantity, unitPriceFen: l.item.fen, discountFen: goods[k]! - linePaid[k]!, paidFen: linePaid[k]! })),
    amounts: { goodsFen, shippingFen, discountFen, paidFen },
    discounts,
    ...(presale ? { presale: { depositFen: Math.round(paidFen * 0.2), balanceFen: paidFen - Math.round(paidFen * 0.2), depositPaidAt: iso(createdMs), balancePaidAt: at } } : {}),
    ...(remark ? { buyerRemark: remark } : {}),
    ...(chance(0.05, 'seller memo') ? { sellerMemo: '老客户 送小样' } : {}),
    ...(chance(0.03) ? { sellerFlag: 1 + Math.floor(rnd() * 5) } : {}),
    // 48 h promises mostly, 24 h some, none on a tenth.
    ...(promise < 0.7 ? { promisedShipAt: iso(paidMs + 48 * 3600_000) } : promise < 0.9 ? { promisedShipAt: iso(paidMs + 24 * 3600_000) } : {}),
    cashOnDelivery: platform === 'jd' && chance(0.02, 'cash on delivery'),
    createdAt: iso(createdMs),
    paidAt: at,
  };
  const order = canonicalOrder.parse(input);
  if (paidFen >= 500_000) traits.push('big order');

  const vip = chance(MIX.vip, 'vip') ? 1 + Math.floor(rnd() * 3) : chance(MIX.highVip, 'vip') ? 4 + Math.floor(rnd() * 7) : 0;
  const blacklisted = chance(MIX.blacklisted, 'blacklisted');
  const tags = [...(chance(0.03) ? ['wholesale'] : []), ...(chance(0.02) ? ['returns-often'] : [])];
  const ctx: ReviewContext = {
    customer: { vipLevel: vip, blacklisted, tags },
    categories: CATEGORIES,
    stockSufficient: !chance(MIX.stockShort, 'stock short'),
    // Reviewed a few minutes after payment; a few much later (a backlog), close to their promise.
    now: iso(paidMs + (late ? 40 * 3600_000 : (10 + Math.floor(rnd() * 600)) * 1000)),
    pricing: SHOP_PRICING,
    routineRemarks: DEFAULT_ROUTINE_REMARKS,
  };
  return { order, ctx, traits };
}

/** `n` orders of the stream, in payment order, about 4 s apart from 11.11 00:00 China time on. */
export function orderStream(n: number, seed = 20261111): StreamOrder[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => makeOne(rnd, i));
}

// Rules -----------------------------------------------------------------------------------------------------

type RuleIn = RuleSetInput['rules'][number];
type When = NonNullable<RuleIn['when']>;

/** Comparisons that rarely hold on the stream (the bulk of a real rule set: exceptions). */
function rareAtom(rnd: Rnd, k: number): When {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  switch (Math.floor(rnd() * 16)) {
    case 0:
      return { fact: 'amountFen', op: 'gte', value: 800_000 + 10_000 * Math.floor(rnd() * 400) };
    case 1:
      return { fact: 'quantity', op: 'gte', value: 20 + Math.floor(rnd() * 200) };
    case 2:
      return { fact: 'lineCount', op: 'between', value: [6, 6 + Math.floor(rnd() * 30)] };
    case 3:
      return { fact: 'vipLevel', op: 'in', value: [8, 9, 10] };
    case 4:
      return { fact: 'province', op: 'in', value: ['西藏自治区', '青海省', '宁夏回族自治区', '甘肃省'].slice(0, 1 + Math.floor(rnd() * 4)) };
    case 5:
      return { fact: 'city', op: 'eq', value: pick(['拉萨市', '西宁市', '银川市', '喀什地区']) };
    case 6:
      return { fact: 'channel', op: 'eq', value: 'manual' };
    case 7:
      return { fact: 'shopId', op: 'in', value: [`shop-other-${k}`, `shop-other-${k + 1}`] };
    case 8:
      return { fact: 'skuCodes', op: 'contains', value: `SKU-DISCONTINUED-${k}` };
    case 9:
      return { fact: 'categories', op: 'contains_any', value: ['pharma', 'firearms', `restricted-${k}`] };
    case 10:
      return { fact: 'customerTags', op: 'contains', value: `fraud-ring-${k % 7}` };
    case 11:
      return { fact: 'couponIds', op: 'contains_any', value: [`PLAT-${k}`, `LEAK-${k}`] };
    case 12:
      return { fact: 'pricingDifferenceFen', op: 'gt', value: 5_000 + Math.floor(rnd() * 10_000) };
    case 13:
      return { fact: 'localTime', op: 'between', value: ['02:00', '04:30'] };
    case 14:
      return { fact: 'tags', op: 'contains', value: `r-tag-${k % 11}` };
    default:
      return { fact: 'sellerFlag', op: 'eq', value: 5 };
  }
}

/** Comparisons that often hold (so the rare part decides). */
function commonAtom(rnd: Rnd): When {
  switch (Math.floor(rnd() * 8)) {
    case 0:
      return { fact: 'amountFen', op: 'gte', value: 5_000 };
    case 1:
      return { fact: 'channel', op: 'in', value: ['taobao', 'jd'] };
    case 2:
      return { fact: 'addressStatus', op: 'eq', value: 'resolved' };
    case 3:
      return { fact: 'paidMinutes', op: 'lt', value: 60 };
    case 4:
      return { fact: 'hoursToPromise', op: 'exists' };
    case 5:
      return { fact: 'categories', op: 'contains_any', value: ['food', 'tea', 'digital'] };
    case 6:
      return { fact: 'weekday', op: 'between', value: [1, 5] };
    default:
      return { fact: 'couponsValid', op: 'eq', value: true };
  }
}

function condition(rnd: Rnd, k: number): When {
  const shape = rnd();
  if (shape < 0.3) return rareAtom(rnd, k);
  if (shape < 0.6) return { all: [commonAtom(rnd), rareAtom(rnd, k), ...(rnd() < 0.4 ? [commonAtom(rnd)] : [])] };
  if (shape < 0.8) return { any: [rareAtom(rnd, k), rareAtom(rnd, k + 1), ...(rnd() < 0.5 ? [rareAtom(rnd, k + 2)] : [])] };
  if (shape < 0.9) return { all: [{ not: commonAtom(rnd) }, rareAtom(rnd, k)] };
  // Nested: a common part and either of two rare ones, unless a flag is set.
  return { all: [commonAtom(rnd), { any: [rareAtom(rnd, k), { not: { any: [commonAtom(rnd), { fact: 'presale', op: 'eq', value: false }] } }] }, { not: { fact: 'blacklisted', op: 'eq', value: true } }] };
}

const STAGE_MIX: readonly (readonly [RuleIn['stage'], number])[] = [
  ['review', 90],
  ['priority', 35],
  ['merge', 15],
  ['split', 12],
  ['carrier', 20],
  ['allocation', 15],
];

function actions(rnd: Rnd, stage: RuleIn['stage'], k: number): RuleIn['then'] {
  const r = rnd();
  switch (stage) {
    case 'review':
      return r < 0.55 ? [{ type: 'tag', tag: `r-tag-${k % 13}` }] : r < 0.85 ? [{ type: 'manual_review', reason: `check ${k}` }] : r < 0.97 ? [{ type: 'hold', reason: `hold ${k}`, minutes: 30 }] : [{ type: 'tag', tag: `stop-${k}` }, { type: 'stop' }];
    case 'priority':
      return [{ type: 'add_priority', value: r < 0.5 ? 3 : -2 }];
    case 'merge':
      return [r < 0.5 ? { type: 'never_merge' } : { type: 'hold_window', seconds: 600 }];
    case 'split':
      return [{ type: 'split_thresholds', maxExpressWeightG: 20_000 }];
    case 'carrier':
      return [r < 0.4 ? { type: 'exclude_carrier', carriers: ['ZTO'] } : r < 0.7 ? { type: 'choose_carrier', carriers: ['SF', 'JD'] } : { type: 'premium_from', valueFen: 100_000 }];
    case 'allocation':
      return [r < 0.5 ? { type: 'exclude_warehouses', warehouses: [`W${k}`] } : { type: 'reservation_attempts', attempts: 5 }];
  }
}

/**
 * DEFAULT_RULE_SET's rules and `total - 13` generated ones over every stage: single comparisons, all/any/not
 * (some nested), numbers, closed and open sets, list facts; most do not hold for most orders.
 */
export function generatedRuleSet(total: number, seed = 7): RuleSetInput {
  const rnd = seededRandom(seed);
  const rules: RuleIn[] = [...DEFAULT_RULE_SET.rules];
  const extra = total - rules.length;
  const weight = STAGE_MIX.reduce((s, [, w]) => s + w, 0);
  for (let k = 0; k < extra; k++) {
    let x = rnd() * weight;
    const stage = STAGE_MIX.find(([, w]) => (x -= w) < 0)?.[0] ?? 'review';
    rules.push({ id: `gen.${stage}.${k}`, stage, order: 100 + Math.floor(rnd() * 1000), enabled: true, when: condition(rnd, k), then: actions(rnd, stage, k) });
  }
  return { description: `bench: ${total} rules`, settings: { ...DEFAULT_RULE_SET.settings, pricing: SHOP_PRICING }, rules };
}
