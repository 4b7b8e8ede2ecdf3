import { describe, expect, it } from 'vitest';
import { douyinConnector, parseDouyinDetail } from '../../../channels/douyin/index.js';
import { jdConnector, parseJdPullPage } from '../../../channels/jd/index.js';
import { parseJsonObject, type JsonObject } from '../../../channels/json.js';
import { looseOrder } from '../../../channels/orders.js';
import { parsePddDetail, pddConnector } from '../../../channels/pdd/index.js';
import { parseTaobaoDetail, taobaoConnector } from '../../../channels/taobao/index.js';
import type { MappedOrder } from '../../../channels/types.js';
import { checkCompleteness } from '../../../domain/completeness.js';
import { fixture } from './fixture.js';

// Whether the street is there, per platform, as each sends buyer data now: an opaque address id (oaid,
// open_address_id) never stands in for the street; a masked or encrypted street is a street.

/** The receiver issues the order workflow would raise for the mapped order. */
function receiverIssues(mapped: MappedOrder): string[] {
  return checkCompleteness(looseOrder(mapped))
    .filter((i) => i.field.startsWith('receiver'))
    .map((i) => `${i.code}/${i.severity}`);
}

const with_ = (o: JsonObject, patch: Record<string, unknown>): JsonObject => parseJsonObject(JSON.stringify({ ...o, ...patch }));

describe('Taobao: oaid and receiver_address', () => {
  const trade = parseTaobaoDetail(fixture('taobao/fullinfo-oaid.json'));
  const map = (t: JsonObject) => taobaoConnector.mapOrder(t, { shopId: 'tb-shop-9' });

  it('holds an order whose receiver_address is empty although the oaid is there', () => {
    const m = map(with_(trade, { receiver_address: '' }));
    expect(m.order.receiver).toMatchObject({ detail: '', addressKey: trade.oaid });
    expect(receiverIssues(m)).toEqual(['address_detail_missing/blocking']);
  });

  it('holds an order that sends no receiver_address at all', () => {
    const { receiver_address: _gone, ...rest } = trade;
    expect(receiverIssues(map(parseJsonObject(JSON.stringify(rest))))).toEqual(['address_detail_missing/blocking']);
  });

  it('takes a masked street (燕儿窝路***号, ****) as present', () => {
    expect(receiverIssues(map(trade))).toEqual([]);
    const m = map(with_(trade, { receiver_address: '****' }));
    expect(m.order.receiver.detail).toBe('****');
    expect(receiverIssues(m)).toEqual([]);
  });

  it('takes an older TOP street ciphertext as present, and holds when only name and phone are encrypted', () => {
    const legacy = { oaid: '', receiver_name: '~AgAAAAAfTwAAALmU+/0b3xK=~1~~', receiver_mobile: '$139$AgAAAAAfTwAAAL2xKq+9sZw=$1$$' };
    expect(receiverIssues(map(with_(trade, { ...legacy, receiver_address: '~AgAAAAAfTwAAAM7pQ==~1~~' })))).toEqual([]);
    expect(receiverIssues(map(with_(trade, { ...legacy, receiver_address: '' })))).toEqual(['address_detail_missing/blocking']);
  });
});

describe('Douyin: open_address_id, post_addr.encrypt_detail and mask_post_addr.detail', () => {
  const o = parseDouyinDetail(fixture('douyin/order-detail-encrypted.json'));
  const addr = o.post_addr as Record<string, unknown>;
  const map = (x: JsonObject) => douyinConnector.mapOrder(x, { shopId: 'dy-shop-9' });

  it('takes the encrypted street as present', () => {
    expect(receiverIssues(map(o))).toEqual([]);
  });

  it('takes the masked street as present when no ciphertext of it is sent', () => {
    const m = map(with_(o, { open_address_id: '#VmJmL2dHb3FFbQ==', post_addr: { ...addr, encrypt_detail: undefined }, mask_post_addr: { detail: '文三路***号' } }));
    expect(m.order.receiver).toMatchObject({ detail: '文三路***号', addressKey: '#VmJmL2dHb3FFbQ==' });
    expect(receiverIssues(m)).toEqual([]);
  });

  it('holds an order with open_address_id but neither an encrypted nor a masked street', () => {
    const m = map(with_(o, { open_address_id: '#VmJmL2dHb3FFbQ==', post_addr: { ...addr, encrypt_detail: '' }, mask_post_addr: { detail: '' } }));
    expect(m.order.receiver).toMatchObject({ detail: '', addressKey: '#VmJmL2dHb3FFbQ==' });
    expect(m.order.receiver.encrypted?.detail).toBeUndefined();
    expect(receiverIssues(m)).toEqual(['address_detail_missing/blocking']);
  });
});

describe('PDD: open_address_id, receiver_address and receiver_address_mask', () => {
  const o = parsePddDetail(fixture('pdd/order-info-masked.json'));
  const map = (x: JsonObject) => pddConnector.mapOrder(x, { shopId: 'pdd-shop-9' });

  it('takes the masked street, or the street ciphertext alone, as present', () => {
    expect(receiverIssues(map(with_(o, { open_address_id: 'pdd-addr-7Qx' })))).toEqual([]);
    expect(receiverIssues(map(with_(o, { open_address_id: 'pdd-addr-7Qx', receiver_address_mask: '' })))).toEqual([]);
    expect(receiverIssues(map(with_(o, { open_address_id: 'pdd-addr-7Qx', receiver_address: '' })))).toEqual([]);
  });

  it('holds an order with open_address_id but no street, ciphertext or mask', () => {
    const m = map(with_(o, { open_address_id: 'pdd-addr-7Qx', receiver_address: '', receiver_address_mask: '' }));
    expect(m.order.receiver).toMatchObject({ detail: '', addressKey: 'pdd-addr-7Qx' });
    expect(receiverIssues(m)).toEqual(['address_detail_missing/blocking']);
  });
});

describe('JD: oaid and consigneeInfo.fullAddress', () => {
  const query = { window: { start: new Date(0), end: new Date(1) }, page: 1, pageSize: 50, now: new Date(1) };
  const [masked, encrypted] = parseJdPullPage(fixture('jd/order-search-masked.json'), query).orders;
  const consignee = masked!.consigneeInfo as Record<string, unknown>;
  const map = (x: JsonObject) => jdConnector.mapOrder(x, { shopId: 'jd-shop-9' });

  it('takes a masked street after the region names as present, however much is masked', () => {
    expect(receiverIssues(map(masked!))).toEqual([]);
    const m = map(with_(masked!, { consigneeInfo: { ...consignee, fullAddress: '北京朝阳区望京街道****' } }));
    expect(m.order.receiver.detail).toBe('****');
    expect(receiverIssues(m)).toEqual([]);
  });

  it('takes an encrypted fullAddress as present', () => {
    expect(receiverIssues(map(encrypted!))).toEqual([]);
  });

  it('holds an order with the oaid whose fullAddress is only the region names', () => {
    const m = map(with_(masked!, { consigneeInfo: { ...consignee, fullAddress: '北京朝阳区望京街道' } }));
    expect(m.order.receiver).toMatchObject({ detail: '', addressKey: 'JDoaid~7f3c#a9$e1' });
    expect(receiverIssues(m)).toEqual(['address_detail_missing/blocking']);
  });
});
