import { describe, expect, it } from 'vitest';
import { canonicalOrder } from '../../../domain/order.js';
import { buildJdPullRequest, jdConnector, parseJdDetail, parseJdPullPage, signJd } from '../../../channels/jd/index.js';
import { ChannelApiError } from '../../../channels/common.js';
import { fixture } from './fixture.js';

const credentials = { appKey: 'JDKEY01', appSecret: 'jd-secret', accessToken: 'jd-token' };

describe('JD signing', () => {
  // printf '%s' 'jd-secret360buy_param_json{"page":"1","page_size":"50"}access_tokenjd-tokenapp_keyJDKEY01
  //   methodjingdong.pop.order.searchtimestamp2026-11-11 08:00:00v2.0jd-secret' | md5sum
  it('uppercase md5(secret + sorted key+value + secret), 360buy_param_json signed as sent', () => {
    const params = {
      method: 'jingdong.pop.order.search',
      app_key: 'JDKEY01',
      access_token: 'jd-token',
      timestamp: '2026-11-11 08:00:00',
      v: '2.0',
      '360buy_param_json': '{"page":"1","page_size":"50"}',
    };
    expect(signJd(params, 'jd-secret')).toBe('24BC37CC5027A0FA6D7D5F2724B855D3');
    expect(signJd({ ...params, sign: 'x', format: '' }, 'jd-secret')).toBe('24BC37CC5027A0FA6D7D5F2724B855D3');
  });

  it('has no push', () => {
    expect(jdConnector.verifyPush).toBeUndefined();
    expect(jdConnector.parsePush).toBeUndefined();
  });
});

describe('JD order mapping', () => {
  it('maps a searched order, spreading the shop-wide coupon and keeping SKU coupons on their line', () => {
    const mapped = jdConnector.mapOrder(parseJdDetail(fixture('jd/order-get.json')), { shopId: 'jd-shop-1' });
    expect(mapped.state).toBe('awaiting_shipment');
    expect(mapped.platformStatus).toBe('WAIT_SELLER_STOCK_OUT');
    expect(mapped.order).toEqual({
      platform: 'jd',
      shopId: 'jd-shop-1',
      platformOrderId: '300123456789',
      buyerKey: 'o_jd_Zm9vYmFyYmF6MTIz',
      receiver: { name: '李*', phone: '139****1234', province: '广东', city: '深圳市', district: '南山区', town: '粤海街道', detail: '科技园***' },
      lines: [
        { lineId: '100012345678', skuCode: 'TEA-LJ-250G', title: '明前龙井 250g 礼盒', quantity: 1, unitPriceFen: 19900, discountFen: 1765, paidFen: 18135 },
        { lineId: '100012345679', skuCode: 'CUP-GLASS-01', title: '双层玻璃杯', quantity: 2, unitPriceFen: 2900, discountFen: 235, paidFen: 5565 },
      ],
      amounts: { goodsFen: 25700, shippingFen: 0, discountFen: 2000, paidFen: 23700 },
      discounts: [
        { kind: 'coupon', name: '41-京东券优惠', amountFen: 1000 },
        { kind: 'seller', name: '100-店铺优惠', amountFen: 1000 },
      ],
      buyerRemark: '发顺丰，周末不收货',
      createdAt: '2026-11-11T01:30:00Z',
      paidAt: '2026-11-11T01:30:12Z',
      updatedAt: '2026-11-11T01:31:00Z',
    });
    expect(() => canonicalOrder.parse(mapped.order)).not.toThrow();
  });

  it('maps a cancelled order with a seller remark', () => {
    const page = parseJdPullPage(fixture('jd/order-search.json'), { window: { start: new Date(0), end: new Date(0) }, page: 1, pageSize: 50, now: new Date(0) });
    const mapped = jdConnector.mapOrder(page.orders[1]!, { shopId: 'jd-shop-1' });
    expect(mapped.state).toBe('cancelled');
    expect(mapped.order).toMatchObject({ sellerMemo: '买家取消', receiver: { detail: '朝阳北路***号' } });
    expect(mapped.order.buyerRemark).toBeUndefined();
  });
});

describe('JD pull', () => {
  const query = {
    window: { start: new Date('2026-11-11T01:00:00Z'), end: new Date('2026-11-11T02:00:00Z') },
    page: 2,
    pageSize: 100,
    now: new Date('2026-11-11T02:01:00Z'),
  };

  it('builds a signed order search on modified time, capping the page size', () => {
    const req = buildJdPullRequest(query, credentials);
    expect(req.url).toBe('https://api.jd.com/routerjson');
    expect(req.params).toMatchObject({ method: 'jingdong.pop.order.search', app_key: 'JDKEY01', access_token: 'jd-token', timestamp: '2026-11-11 10:01:00', v: '2.0' });
    const business = JSON.parse(req.params['360buy_param_json']!) as Record<string, unknown>;
    expect(business).toMatchObject({ start_date: '2026-11-11 09:00:00', end_date: '2026-11-11 10:00:00', page: '2', page_size: '50', dateType: 0 });
    expect(business.optional_fields).toContain('consigneeInfo');
    const { sign, ...rest } = req.params;
    expect(sign).toBe(signJd(rest, 'jd-secret'));
    expect(new URLSearchParams(req.body).get('360buy_param_json')).toBe(req.params['360buy_param_json']);
  });

  it('parses a page: total, forward has-next, ids as strings', () => {
    const page = parseJdPullPage(fixture('jd/order-search.json'), { ...query, page: 1, pageSize: 50 });
    expect(page).toMatchObject({ page: 1, pageSize: 50, total: 51, hasNext: true, platformOrderIds: ['300123456789', '300123456790'] });
    const last = parseJdPullPage(fixture('jd/order-search.json'), { ...query, page: 2, pageSize: 50 });
    expect(last.hasNext).toBe(false);
  });

  it('turns a failed apiResult into a ChannelApiError', () => {
    const body = '{"jingdong_pop_order_search_responce":{"searchorderinfo_result":{"apiResult":{"success":false,"englishErrCode":"E1","chineseErrCode":"参数错误"}}}}';
    expect(() => parseJdPullPage(body, query)).toThrow(ChannelApiError);
  });
});
