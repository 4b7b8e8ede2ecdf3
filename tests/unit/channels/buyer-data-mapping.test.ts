import { describe, expect, it } from 'vitest';
import { isWrappedCiphertext, opaqueKeyFrom, splitValue } from '../../../channels/cipher.js';
import { douyinConnector, parseDouyinDetail } from '../../../channels/douyin/index.js';
import { isJdCiphertext, jdConnector, parseJdPullPage } from '../../../channels/jd/index.js';
import { looseOrder } from '../../../channels/orders.js';
import { parsePddDetail, pddConnector } from '../../../channels/pdd/index.js';
import { parseTaobaoDetail, taobaoConnector } from '../../../channels/taobao/index.js';
import { parseJsonObject } from '../../../channels/json.js';
import { checkCompleteness } from '../../../domain/completeness.js';
import { canonicalOrder } from '../../../domain/order.js';
import type { MappedOrder } from '../../../channels/types.js';
import { fixture } from './fixture.js';

const DY_NAME =
  '##qIOpbLPevlQwA6f+yNJ7HgOqMdCcDttVlAympUYfJk9VrcWMMeMb1JAmpuUKKFpR+5cGN0aBvV4izFUdinLYs+y2h6RBhv3iZShTKqqttg==*CgYIASAHKAESPgo8AezTm/PH44dQuZGevG6eHhvqqq4gTxNsNWaJyhU33eidXUZe8itcPwhIgUU1vWsqpGKbwUJrTtvnXCDyGgA=#1##';
const DY_PHONE =
  '$$KlqdO3S6/9vQsJesewp8R2oBlX+I2/UABgHSm9Oy1SuYX6R0pLupUedZkqXVIisqK2anlk+ttMeuBbLI7M286cNfqghVjTy7u2079Lv+6two*CgYIASAHKAESPgo85MWGCFPBcT7U9hVhlqarT/gCf5lFGgE2/QD7kk8RnNtk6ejVOgEhHmWsdLcZVL+ZUhMHYZCE9RmWMuAuGgA=$1$$';
const OPAQUE = /^[a-z]+:[A-Za-z0-9_-]{43}$/;

/** What the order workflow gets, and what it would flag. */
function issues(mapped: MappedOrder, skus: string[]): string[] {
  return checkCompleteness(looseOrder(mapped), { knownSkus: new Set(skus) }).map((i) => i.code);
}

describe('ciphertext envelope', () => {
  it('tells the platforms’ ciphertexts from masked values', () => {
    for (const c of [DY_NAME, DY_PHONE, '~AgAAAAGsAa0zNT+ZxQ==~0~', '$0000$AgAAAAGsAa40NT+Z=$1$', '~AgAAAAAfTwAAAL~1~~']) expect(isWrappedCiphertext(c)).toBe(true);
    for (const v of ['李**', '138****0000', '*******0000', '文一西路***号', '#3幢', '$', '~~', '#1#']) expect(isWrappedCiphertext(v)).toBe(false);
    expect(splitValue('李**')).toEqual({ shown: '李**' });
    expect(splitValue(` ${DY_NAME} `)).toEqual({ cipher: DY_NAME });
    expect(splitValue('')).toEqual({});
  });

  it('derives an opaque key that is stable, short, and different for different ciphertexts', () => {
    const a = opaqueKeyFrom('dyc', [DY_NAME, DY_PHONE]);
    expect(a).toMatch(OPAQUE);
    expect(opaqueKeyFrom('dyc', [DY_NAME, undefined, DY_PHONE])).toBe(a);
    expect(opaqueKeyFrom('dyc', [DY_NAME])).not.toBe(a);
    expect(opaqueKeyFrom('dyc', [undefined, ''])).toBeUndefined();
    expect(a).not.toContain('李');
  });
});

describe('Douyin encrypted receiver', () => {
  const raw = fixture('douyin/order-detail-encrypted.json');
  const mapped = douyinConnector.mapOrder(parseDouyinDetail(raw), { shopId: 'dy-shop-9' });

  it('maps a detail with the street only in post_addr.encrypt_detail and the receiver only as encrypt_*/mask_*', () => {
    expect(mapped.order.platformOrderId).toBe('6923418871552735912');
    expect(mapped.order.lines).toEqual([expect.objectContaining({ lineId: '6923418871552735913', skuCode: 'TEA-LJ-250', quantity: 2, unitPriceFen: 12900 })]);
    expect(mapped.order.buyerRemark).toBe('请放门口🙏，谢谢 𠮷');
    const r = mapped.order.receiver;
    expect(r).toEqual({
      name: '李**',
      phone: '138****0000',
      province: '浙江省',
      city: '杭州市',
      district: '西湖区',
      town: '文新街道',
      detail: '',
      addressKey: expect.stringMatching(/^dyc:/),
      encrypted: { name: DY_NAME, phone: DY_PHONE, detail: expect.stringMatching(/^##Vm8x3Q0\+4m2Jk9\/rT5y.*#1##$/) },
    });
  });

  it('gets a non-empty buyer key and nothing missing (no address_detail_missing hold)', () => {
    expect(mapped.order.buyerKey).toMatch(OPAQUE);
    expect(mapped.order.buyerKey).not.toBe(mapped.order.receiver.addressKey);
    expect(issues(mapped, ['TEA-LJ-250'])).toEqual([]);
  });

  it('keys the same receiver the same way, and another receiver differently', () => {
    const again = douyinConnector.mapOrder(parseDouyinDetail(raw), { shopId: 'dy-shop-9' });
    expect(again.order.buyerKey).toBe(mapped.order.buyerKey);
    expect(again.order.receiver.addressKey).toBe(mapped.order.receiver.addressKey);
    const other = douyinConnector.mapOrder(parseDouyinDetail(raw.replace('$$KlqdO3S6', '$$XlqdO3S6')), { shopId: 'dy-shop-9' });
    expect(other.order.buyerKey).not.toBe(mapped.order.buyerKey);
  });

  it('prefers the platform’s opaque ids, takes the masked street and region of mask_post_addr, and never shows a ciphertext', () => {
    const o = parseDouyinDetail(raw);
    const addr = o.post_addr as Record<string, unknown>;
    const withIds = {
      ...o,
      doudian_open_id: '1@#Z2V0LW9wZW4taWQ=',
      post_addr: { ...addr, province: undefined, detail: DY_NAME },
      mask_post_addr: { province: { name: '浙江省' }, detail: '文二西路***号' },
    };
    const m = douyinConnector.mapOrder(parseJsonObject(JSON.stringify(withIds)), { shopId: 'dy-shop-9' });
    expect(m.order.buyerKey).toBe('1@#Z2V0LW9wZW4taWQ=');
    expect(m.order.receiver).toMatchObject({ province: '浙江省', detail: '文二西路***号' });
    const noMask = douyinConnector.mapOrder(parseJsonObject(JSON.stringify({ ...withIds, mask_post_addr: undefined, post_addr: { ...addr, encrypt_detail: undefined, detail: DY_NAME } })), { shopId: 's' });
    expect(noMask.order.receiver.detail).toBe('');
    expect(noMask.order.receiver.encrypted?.detail).toBe(DY_NAME);
  });
});

describe('PDD ciphertext plus masks', () => {
  const mapped = pddConnector.mapOrder(parsePddDetail(fixture('pdd/order-info-masked.json')), { shopId: 'pdd-shop-9' });

  it('shows the *_mask values, keeps the ciphertexts, and the region in plain text', () => {
    expect(mapped.order.receiver).toEqual({
      name: '欧阳**',
      phone: '138****0000',
      province: '广东省',
      city: '深圳市',
      district: '龙华区',
      detail: '龙华街道**路***号',
      addressKey: expect.stringMatching(/^pddc:/),
      encrypted: {
        name: '~AgAAAAGsAa0zNT+ZxQCjR9sX4w/Ix1bq+qEXhx8wAbE=~0~',
        phone: '$0000$AgAAAAGsAa40NT+ZxgCkS/tY5x/Jy2cr+rFYiy9xBcF=$1$',
        detail: '~AgAAAAGsAa41NT+ZxwClT0uZ6y/Kz3ds+sGZjz+yCdG7mN1pQ2rS3tU4vW5x=~0~',
      },
    });
    expect(mapped.order.buyerKey).toBe('$0000$AgAAAAGsAa40NT+ZxgCkS/tY5x/Jy2cr+rFYiy9xBcF=$1$');
    expect(mapped.order.lines[0]).toMatchObject({ lineId: '1357924680135', title: '纯棉毛巾 4条装 浅灰·加厚' });
    expect(issues(mapped, ['TOWEL-4P'])).toEqual([]);
  });

  it('counts a field sent only encrypted as present, and uses open_address_id where PDD sends one', () => {
    const o = parsePddDetail(fixture('pdd/order-info-masked.json'));
    const m = pddConnector.mapOrder({ ...o, receiver_name_mask: '', receiver_address_mask: '', open_address_id: 'pdd-addr-7Qx' }, { shopId: 'pdd-shop-9' });
    expect(m.order.receiver).toMatchObject({ name: '', detail: '', addressKey: 'pdd-addr-7Qx' });
    expect(m.order.buyerKey).toBe('pdd-addr-7Qx');
    expect(issues(m, ['TOWEL-4P'])).toEqual([]);
  });

  it('shows a receiver PDD sent in plain text (older payloads) and keeps no ciphertext for it', () => {
    const o = parsePddDetail(fixture('pdd/order-info-masked.json'));
    const m = pddConnector.mapOrder({ ...o, receiver_name: '欧阳燊', receiver_name_mask: '' }, { shopId: 'pdd-shop-9' });
    expect(m.order.receiver.name).toBe('欧阳燊');
    expect(m.order.receiver.encrypted?.name).toBeUndefined();
  });
});

describe('Taobao oaid and masked receiver', () => {
  const trade = parseTaobaoDetail(fixture('taobao/fullinfo-oaid.json'));

  it('maps the masked receiver with the oaid as address key and, lacking buyer_open_uid, as buyer key', () => {
    const mapped = taobaoConnector.mapOrder(trade, { shopId: 'tb-shop-9' });
    expect(mapped.order.platformOrderId).toBe('4312578901234567890');
    expect(mapped.order.buyerKey).toBe('1Zd5tS2BPgicHibjbZU2CvVXgt4qF5Dr2kIY0Cm7UUzibxLYic4FXYy3KrD8tEUCtO9JgX7yQ0w$Ab-c_d');
    expect(mapped.order.receiver).toEqual({
      name: '𠮷**',
      phone: '*******0000',
      province: '新疆维吾尔自治区',
      city: '乌鲁木齐市',
      district: '天山区',
      town: '燕儿窝街道',
      detail: '燕儿窝路***号',
      postalCode: '830000',
      addressKey: '1Zd5tS2BPgicHibjbZU2CvVXgt4qF5Dr2kIY0Cm7UUzibxLYic4FXYy3KrD8tEUCtO9JgX7yQ0w$Ab-c_d',
    });
    expect(() => canonicalOrder.parse(mapped.order)).not.toThrow();
    expect(issues(mapped, ['SOCK-WOOL-3'])).toEqual([]);
  });

  it('keeps the older TOP ciphertexts as ciphertexts, never as the name or phone', () => {
    const legacy = { ...trade, oaid: '', receiver_name: '~AgAAAAAfTwAAALmU+/0b3xK=~1~~', receiver_mobile: '$139$AgAAAAAfTwAAAL2xKq+9sZw=$1$$', receiver_address: '~AgAAAAAfTwAAAM7pQ==~1~~' };
    const mapped = taobaoConnector.mapOrder(legacy, { shopId: 'tb-shop-9' });
    expect(mapped.order.receiver).toMatchObject({ name: '', phone: '', detail: '' });
    expect(mapped.order.receiver.encrypted).toEqual({ name: legacy.receiver_name, phone: legacy.receiver_mobile, detail: legacy.receiver_address });
    expect(mapped.order.receiver.addressKey).toBeUndefined();
    expect(mapped.order.buyerKey).toMatch(/^tbc:/);
    expect(issues(mapped, ['SOCK-WOOL-3'])).toEqual([]);
  });
});

describe('JD masked consigneeInfo (?)', () => {
  const query = { window: { start: new Date(0), end: new Date(1) }, page: 1, pageSize: 50, now: new Date(1) };
  const page = parseJdPullPage(fixture('jd/order-search-masked.json'), query);

  it('maps the masked consignee with open_id_buyer and the oaid', () => {
    const m = jdConnector.mapOrder(page.orders[0]!, { shopId: 'jd-shop-9' });
    expect(m.order.buyerKey).toBe('o_jd_Q2FmZSsvPT0hIyQl');
    expect(m.order.receiver).toEqual({ name: '燊**', phone: '186****0000', province: '北京', city: '朝阳区', district: '望京街道', detail: '阜通东大街**号', addressKey: 'JDoaid~7f3c#a9$e1' });
    expect(issues(m, ['TEA-LJ-250'])).toEqual([]);
  });

  it('keeps consigneeInfo ciphertexts as such; the order is complete and keyed by them', () => {
    const m = jdConnector.mapOrder(page.orders[1]!, { shopId: 'jd-shop-9' });
    const c = page.orders[1]!.consigneeInfo as Record<string, string>;
    expect(m.order.receiver).toMatchObject({ name: '', phone: '', detail: '', province: '上海', district: '浦东新区', town: '张江镇' });
    expect(m.order.receiver.encrypted).toEqual({ name: c.fullname, phone: c.mobile, detail: c.fullAddress });
    expect(m.order.buyerKey).toMatch(/^jdc:/);
    expect(issues(m, ['MUG-CER-01'])).toEqual([]);
    expect(isJdCiphertext('186****0000')).toBe(false);
    expect(isJdCiphertext('李*')).toBe(false);
  });
});
