/**
 * Seeded generator of realistic platform orders, platform-neutral: the renderers turn a SimOrder into each
 * platform's wire shape. Same seed, same orders.
 */

export type SimPlatform = 'taobao' | 'jd' | 'douyin' | 'pdd';

export interface SimLine {
  lineId: string;
  skuCode: string;
  title: string;
  quantity: number;
  unitFen: number;
  paidFen: number;
  /** An after-sale on this line: the buyer asked for a refund, or it was paid out. */
  refund?: 'requested' | 'refunded';
}

/** A package the platform has on record for an order (a shipment write-back it accepted). */
export interface SimParcel {
  trackingNo: string;
  /** The platform's own logistics company code or id. */
  carrierCode: string;
  /** The sub-orders it carries; empty for a tracking number added to a shipped order (JD, PDD). */
  lineIds: string[];
}

export interface SimOrder {
  platform: SimPlatform;
  shopKey: string;
  id: string;
  createdAt: Date;
  modifiedAt: Date;
  paidAt?: Date;
  status: 'awaiting_payment' | 'paid' | 'shipped' | 'cancelled';
  presale?: { depositFen: number; depositPaidAt?: Date; balancePaidAt?: Date; balanceDueAt: Date };
  lines: SimLine[];
  shippingFen: number;
  discountFen: number;
  paidFen: number;
  /** The receiver as the platform shows it: masked name, phone and street, plain region. */
  receiver: { name: string; phone: string; province: string; city: string; district: string; town?: string; detail: string };
  /** What the masks hide: only the simulated platform's decrypt calls give it out. */
  plain: { name: string; phone: string; detail: string };
  buyerKey: string;
  addressKey: string;
  buyerRemark?: string;
  sellerMemo?: string;
  /** Bumped on every change; part of pull message ids. */
  version: number;
  /** Packages shipped so far, in the order the platform was told. */
  parcels?: SimParcel[];
}

/** mulberry32: small, fast, good enough for test data; deterministic per seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATALOGUE: ReadonlyArray<{ sku: string; title: string; fen: number }> = [
  { sku: 'TEA-LJ-250', title: '明前龙井 250g 礼盒', fen: 12800 },
  { sku: 'MUG-CER-01', title: '陶瓷马克杯 350ml', fen: 3900 },
  { sku: 'PJ-CORAL-L-PINK', title: '加厚珊瑚绒睡衣 L 粉色', fen: 17900 },
  { sku: 'SOCK-WOOL-3', title: '羊毛袜 3双装', fen: 3990 },
  { sku: 'SNACK-NUT-500', title: '每日坚果 500g', fen: 7900 },
  { sku: 'SNACK-DATE-1KG', title: '新疆红枣 1kg', fen: 5900 },
  { sku: 'TOWEL-4P', title: '纯棉毛巾 4条装', fen: 4990 },
  { sku: 'RICE-WC-5KG', title: '五常大米 5kg', fen: 8990 },
  { sku: 'PHONE-CASE-15', title: '手机壳 透明防摔', fen: 1990 },
  { sku: 'KETTLE-17L', title: '电热水壶 1.7L', fen: 12900 },
];

const REGIONS: ReadonlyArray<[string, string, string]> = [
  ['浙江省', '杭州市', '余杭区'], ['浙江省', '宁波市', '鄞州区'], ['广东省', '深圳市', '南山区'], ['广东省', '广州市', '天河区'],
  ['北京市', '北京市', '朝阳区'], ['上海市', '上海市', '浦东新区'], ['四川省', '成都市', '武侯区'], ['江苏省', '苏州市', '姑苏区'],
  ['湖北省', '武汉市', '洪山区'], ['陕西省', '西安市', '雁塔区'], ['山东省', '青岛市', '崂山区'], ['河南省', '郑州市', '金水区'],
  ['新疆维吾尔自治区', '乌鲁木齐市', '天山区'], ['黑龙江省', '哈尔滨市', '南岗区'], ['云南省', '昆明市', '五华区'], ['海南省', '三亚市', '吉阳区'],
];
const SURNAMES = ['张', '王', '李', '赵', '陈', '刘', '杨', '黄', '周', '吴'];
const STREETS = ['文一西路', '人民路', '中山路', '解放大道', '建设路', '科技园路', '长江路', '和平街'];
// Given names with characters outside the Basic Multilingual Plane and rarer ones (𠮷, 燊, 堃), as real ones have.
const GIVEN_NAMES = ['小明', '𠮷祥', '燊', '堃宇', '玥', '子涵', '欣怡', '浩然'];

/** FNV-1a of a string: a seed derived from an id. */
function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The plaintext behind an order's masks, from a generator of its own seeded by the order id: the masks keep
 * their characters and the main sequence of random numbers is untouched, so a seed gives the same orders as
 * before plaintext existed.
 */
export function plainReceiverOf(id: string, masked: { name: string; phone: string; detail: string }): { name: string; phone: string; detail: string } {
  const rnd = seededRandom(idHash(id));
  const digit = () => String(Math.floor(rnd() * 10));
  const surname = masked.name.replace(/\*+$/, '');
  const street = masked.detail.replace(/\*+号?$/, '');
  return {
    name: `${surname}${GIVEN_NAMES[Math.floor(rnd() * GIVEN_NAMES.length)]!}`,
    phone: masked.phone.replace(/\*+/, () => digit() + digit() + digit() + digit()),
    detail: `${street}${1 + Math.floor(rnd() * 998)}号${1 + Math.floor(rnd() * 30)}幢${1 + Math.floor(rnd() * 3)}单元${101 + Math.floor(rnd() * 1800)}室`,
  };
}
/**
 * Ways a receiver address can be unusable, as buyers and platforms produce them: the street left out, a
 * province that contradicts the city and district (picked from the wrong list), and region names that are
 * no region of China at all.
 */
export const BAD_ADDRESS_KINDS = ['no_street', 'ambiguous', 'unrecognised'] as const;
export type BadAddressKind = (typeof BAD_ADDRESS_KINDS)[number];
const NOWHERE: ReadonlyArray<[string, string, string]> = [
  ['火星省', '奥林匹斯市', '山脚区'],
  ['测试省', '测试市', '测试区'],
  ['未知', '未知', '未知'],
];
const REMARKS = ['请尽快发货', '周末不收货', '不要放驿站', '发顺丰', '送人的，不要放价格单', '谢谢'];
const MEMOS = ['老客户 送小样', '已核对库存', '加急', '赠品：试吃装'];

export interface GeneratorOptions {
  seed: number;
  /** Share of presale (deposit then balance) orders. */
  presaleRate?: number;
  /** Share of orders still awaiting payment when created. */
  unpaidRate?: number;
}

export class OrderGenerator {
  private readonly rnd: () => number;
  private seq = 0;
  constructor(private readonly opts: GeneratorOptions) {
    this.rnd = seededRandom(opts.seed);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }

  private digits(n: number): string {
    let s = String(1 + Math.floor(this.rnd() * 9));
    while (s.length < n) s += String(Math.floor(this.rnd() * 10));
    return s;
  }

  /** A platform-shaped order id: Taobao/Douyin beyond 2^53, JD 12 digits, PDD "YYMMDD-<15 digits>". */
  orderId(platform: SimPlatform, at: Date): string {
    this.seq++;
    switch (platform) {
      case 'taobao':
      case 'douyin':
        return this.digits(19);
      case 'jd':
        return this.digits(12);
      case 'pdd': {
        const d = new Date(at.getTime() + 8 * 3600_000).toISOString();
        return `${d.slice(2, 4)}${d.slice(5, 7)}${d.slice(8, 10)}-${this.digits(15)}`;
      }
    }
  }

  create(platform: SimPlatform, shopKey: string, now: Date): SimOrder {
    const at = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const id = this.orderId(platform, at);
    const n = 1 + Math.floor(this.rnd() * 3);
    const lines: SimLine[] = [];
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      const item = this.pick(CATALOGUE);
      if (used.has(item.sku)) continue;
      used.add(item.sku);
      const quantity = 1 + Math.floor(this.rnd() * (this.rnd() < 0.8 ? 2 : 5));
      lines.push({ lineId: platform === 'pdd' ? this.digits(13) : platform === 'jd' ? this.digits(11) : this.digits(19), skuCode: item.sku, title: item.title, quantity, unitFen: item.fen, paidFen: item.fen * quantity });
    }
    const goods = lines.reduce((s, l) => s + l.paidFen, 0);
    // A coupon on a third of the orders, spread onto the first line so the lines still add up.
    const discountFen = this.rnd() < 0.33 ? Math.min(lines[0]!.paidFen - 1, 500 * (1 + Math.floor(this.rnd() * 4))) : 0;
    lines[0]!.paidFen -= discountFen;
    const shippingFen = this.rnd() < 0.8 ? 0 : 800;
    const paidFen = goods - discountFen + shippingFen;
    const [province, city, district] = this.pick(REGIONS);
    const presale = this.rnd() < (this.opts.presaleRate ?? 0.05);
    const unpaid = !presale && this.rnd() < (this.opts.unpaidRate ?? 0.1);
    const order: SimOrder = {
      platform,
      shopKey,
      id,
      createdAt: at,
      modifiedAt: at,
      status: unpaid || presale ? 'awaiting_payment' : 'paid',
      lines,
      shippingFen,
      discountFen,
      paidFen,
      receiver: {
        name: `${this.pick(SURNAMES)}**`,
        phone: `1${this.digits(2)}****${this.digits(4)}`,
        province,
        city,
        district,
        detail: `${this.pick(STREETS)}***号`,
      },
      // Filled in below from the masks (plainReceiverOf draws nothing from this generator's sequence).
      plain: { name: '', phone: '', detail: '' },
      buyerKey: `buyer-${this.digits(10)}`,
      addressKey: `addr-${this.digits(12)}`,
      version: 1,
      ...(this.rnd() < 0.3 ? { buyerRemark: this.pick(REMARKS) } : {}),
      ...(this.rnd() < 0.15 ? { sellerMemo: this.pick(MEMOS) } : {}),
    };
    order.plain = plainReceiverOf(id, order.receiver);
    if (!unpaid && !presale) order.paidAt = at;
    if (presale) {
      order.presale = { depositFen: Math.max(1, Math.round(paidFen * 0.2)), depositPaidAt: at, balanceDueAt: new Date(at.getTime() + 3 * 86400_000) };
    }
    return order;
  }

  /**
   * Makes a just-created order's receiver address unusable in the way `kind` says: `no_street` empties the street
   * (shown and behind the mask), `ambiguous` moves the city and district under another province, `unrecognised`
   * replaces the region with names of no real region. Drawn from the order id, not from the main sequence, so
   * turning this on alters no other order.
   */
  spoilAddress(o: SimOrder, kind: BadAddressKind): void {
    const pick = (n: number) => idHash(`${o.id}:bad-address`) % n;
    const r = o.receiver;
    switch (kind) {
      case 'no_street':
        o.receiver = { ...r, detail: '' };
        o.plain = { ...o.plain, detail: '' };
        break;
      case 'ambiguous': {
        const provinces = [...new Set(REGIONS.map(([p]) => p))].filter((p) => p !== r.province);
        o.receiver = { ...r, province: provinces[pick(provinces.length)]! };
        break;
      }
      case 'unrecognised': {
        const [province, city, district] = NOWHERE[pick(NOWHERE.length)]!;
        o.receiver = { ...r, province, city, district };
        break;
      }
    }
  }

  /** The order as shipped by the seller on the platform itself, outside Orderly: one parcel with every line. */
  shipOnPlatform(o: SimOrder, parcel: { carrierCode: string; trackingNo: string }, now: Date): void {
    o.status = 'shipped';
    o.parcels = [{ ...parcel, lineIds: o.lines.map((l) => l.lineId) }];
    touch(o, now);
  }

  /** An after-sale on one line: the buyer's refund request, then the refund paid out. */
  refundLine(o: SimOrder, lineId: string, stage: 'requested' | 'refunded', now: Date): void {
    const line = o.lines.find((l) => l.lineId === lineId);
    if (!line) throw new Error(`order ${o.id} has no line ${lineId}`);
    line.refund = stage;
    touch(o, now);
  }

  /**
   * The buyer changes the address after paying: another street (masked like the first), new plaintext behind
   * it and a new opaque address id; the region stays.
   */
  changeAddress(o: SimOrder, now: Date): void {
    // Drawn from the order id and version, not from the main sequence: turning changes on alters no other order.
    const rnd = seededRandom(idHash(`${o.id}:${o.version}`));
    const old = o.receiver.detail;
    const others = STREETS.filter((s) => !old.startsWith(s));
    o.receiver = { ...o.receiver, detail: `${others[Math.floor(rnd() * others.length)]!}***号` };
    o.addressKey = `addr-${String(1e11 + Math.floor(rnd() * 9e11))}`;
    o.plain = plainReceiverOf(`${o.id}:${o.addressKey}`, o.receiver);
    touch(o, now);
  }

  /** A change the platform would make later: a seller memo, or the buyer paying. */
  modify(o: SimOrder, now: Date): void {
    const at = new Date(Math.max(o.modifiedAt.getTime() + 1000, Math.floor(now.getTime() / 1000) * 1000));
    if (o.status === 'awaiting_payment') {
      o.status = 'paid';
      o.paidAt = at;
      if (o.presale) o.presale.balancePaidAt = at;
    } else {
      o.sellerMemo = this.pick(MEMOS);
    }
    o.modifiedAt = at;
    o.version++;
  }
}

/** Records a change: a later modified time (whole seconds, after the last one) and the next version. */
function touch(o: SimOrder, now: Date): void {
  o.modifiedAt = new Date(Math.max(o.modifiedAt.getTime() + 1000, Math.floor(now.getTime() / 1000) * 1000));
  o.version++;
}
