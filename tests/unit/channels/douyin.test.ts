import { describe, expect, it } from 'vitest';
import { canonicalOrder } from '../../../domain/order.js';
import {
  buildDouyinDetailRequest,
  buildDouyinPullRequest,
  douyinConnector,
  douyinEventSign,
  parseDouyinDetail,
  parseDouyinPullPage,
  signDouyin,
} from '../../../channels/douyin/index.js';
import { ChannelApiError, ChannelPayloadError } from '../../../channels/common.js';
import { JsonParseError } from '../../../channels/json.js';
import { fixture } from './fixture.js';

const APP_KEY = '6839000000000000001';
const SECRET = 'dy-secret-0001';
const credentials = { appKey: APP_KEY, appSecret: SECRET, accessToken: 'dy-token' };

const params = {
  app_key: APP_KEY,
  method: 'order.orderDetail',
  param_json: '{"shop_order_id":"4987654321012345678"}',
  timestamp: '1762819200',
  v: '2',
};

describe('Douyin signing', () => {
  // printf '%s' 'dy-secret-0001app_key6839000000000000001methodorder.orderDetailparam_json{"shop_order_id":"4987654321012345678"}
  //   timestamp1762819200v2dy-secret-0001' | openssl dgst -sha256 -hmac dy-secret-0001     (and | md5sum)
  it('HMAC-SHA256 keyed with the secret over secret + app_key.. method.. param_json.. timestamp.. v.. + secret', () => {
    expect(signDouyin(params, SECRET)).toBe('806fc9d8ffa2729f98ed0f21104c65acf9def8637c0103f811ef226c42bb791e');
    expect(signDouyin({ ...params, sign_method: 'hmac-sha256' }, SECRET)).toBe('806fc9d8ffa2729f98ed0f21104c65acf9def8637c0103f811ef226c42bb791e');
  });

  it('md5 variant: md5 of the same text', () => {
    expect(signDouyin({ ...params, sign_method: 'md5' }, SECRET)).toBe('0146919f3464342f00c08cd1d9800829');
  });

  it('signs the same param_json it sends', () => {
    const req = buildDouyinDetailRequest('4987654321012345678', credentials, new Date(1762819200 * 1000));
    expect(req.body).toBe('{"shop_order_id":"4987654321012345678"}');
    expect(req.params.sign).toBe('806fc9d8ffa2729f98ed0f21104c65acf9def8637c0103f811ef226c42bb791e');
    const url = new URL(req.url);
    expect(url.origin + url.pathname).toBe('https://openapi-fxg.jinritemai.com/order/orderDetail');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      app_key: APP_KEY,
      method: 'order.orderDetail',
      v: '2',
      timestamp: '1762819200',
      sign: '806fc9d8ffa2729f98ed0f21104c65acf9def8637c0103f811ef226c42bb791e',
      sign_method: 'hmac-sha256',
      access_token: 'dy-token',
    });
  });
});

describe('Douyin push', () => {
  const rawBody = fixture('douyin/push-messages.json');
  // { printf '%s' 6839000000000000001; cat push-messages.json; printf '%s' dy-secret-0001; } | md5sum
  const eventSign = 'ba60c00a8e6c2d709f476692108c3da1';

  it('event-sign is lowercase md5(app_key + raw body + app_secret)', () => {
    expect(douyinEventSign(APP_KEY, rawBody, SECRET)).toBe(eventSign);
  });

  it('accepts a good signature and rejects a wrong one, a wrong app-id or a changed body', () => {
    const verify = douyinConnector.verifyPush!;
    expect(verify({ headers: { 'app-id': APP_KEY, 'event-sign': eventSign }, rawBody }, credentials)).toBe(true);
    expect(verify({ headers: { 'app-id': APP_KEY, 'event-sign': 'ba60c00a8e6c2d709f476692108c3da2' }, rawBody }, credentials)).toBe(false);
    expect(verify({ headers: { 'app-id': 'someone-else', 'event-sign': eventSign }, rawBody }, credentials)).toBe(false);
    expect(verify({ headers: { 'app-id': APP_KEY, 'event-sign': eventSign }, rawBody: rawBody.replace('21700', '21701') }, credentials)).toBe(false);
    expect(verify({ headers: { 'app-id': APP_KEY }, rawBody }, credentials)).toBe(false);
  });

  it('parses tags into events with big ids intact', () => {
    const { events, ignored } = douyinConnector.parsePush!(rawBody);
    expect(events.map((e) => [e.messageId, e.type, e.platformOrderId, e.topic])).toEqual([
      ['7310000000000000001', 'paid', '4987654321012345678', '101'],
      ['7310000000000000002', 'memo_changed', '4987654321012345678', '113'],
    ]);
    expect(events[0]!.data).toMatchObject({ s_ids: ['4987654321012345679', '4987654321012345680'], pay_amount: 21700, shop_id: '77001' });
    expect(ignored).toEqual([{ messageId: '7310000000000000003', topic: '103', platformOrderId: '4987654321000000001', reason: 'trade success (buyer confirmed receipt)' }]);
  });

  it('rejects malformed bodies with typed errors the webhook parks them by', () => {
    expect(() => douyinConnector.parsePush!('[{"tag":"101",')).toThrow(JsonParseError);
    expect(() => douyinConnector.parsePush!('{"tag":"101"}')).toThrow(ChannelPayloadError);
    expect(() => douyinConnector.parsePush!('[{"tag":"101","msg_id":"1","data":"{}"}]')).toThrow(ChannelPayloadError);
  });

  it('answers code 0 for success and code 1 to ask for a retry', () => {
    expect(douyinConnector.ackBody!('success')).toEqual({ status: 200, contentType: 'application/json', body: '{"code":0,"msg":"success"}' });
    expect(douyinConnector.ackBody!('retry').body).toBe('{"code":1,"msg":"fail"}');
  });
});

describe('Douyin order mapping', () => {
  it('maps an order detail: fen amounts, unix times, masked receiver, merchant codes', () => {
    const mapped = douyinConnector.mapOrder(parseDouyinDetail(fixture('douyin/order-detail.json')), { shopId: 'dy-shop-1' });
    expect(mapped.state).toBe('awaiting_shipment');
    expect(mapped.platformStatus).toBe('2');
    expect(mapped.refundLineIds).toEqual(['4987654321012345680']);
    expect(mapped.order).toEqual({
      platform: 'douyin',
      shopId: 'dy-shop-1',
      platformOrderId: '4987654321012345678',
      buyerKey: '1@#Qm9YqZ7vN3kLwTq8hXcR2g==',
      receiver: {
        name: '王**',
        phone: '186****3344',
        province: '四川省',
        city: '成都市',
        district: '武侯区',
        town: '玉林街道',
        detail: '玉林北路**号',
        addressKey: '#Ab9Zk2pQ7xLm#4sT',
        encrypted: {
          name: '#王##A1b2C3d4E5f6G7h8==*CgwIARCtHBiqIC##1##',
          phone: '$186$B9c8D7e6F5==*CgwIARCtHBiqIC$1$$',
          detail: '#玉林北路#Zx8Yw7Vu6==*CgwIARCtHBiqIC##1##',
        },
      },
      lines: [
        { lineId: '4987654321012345679', skuCode: 'SNACK-NUT-500', title: '每日坚果 500g', quantity: 2, unitPriceFen: 7900, discountFen: 1000, paidFen: 14800 },
        { lineId: '4987654321012345680', skuCode: 'SNACK-DATE-1KG', title: '新疆红枣 1kg', quantity: 1, unitPriceFen: 6900, discountFen: 0, paidFen: 6900 },
      ],
      amounts: { goodsFen: 22700, shippingFen: 0, discountFen: 1000, paidFen: 21700 },
      buyerRemark: '不要放驿站',
      sellerMemo: '赠品：试吃装',
      createdAt: '2025-11-11T02:00:00Z',
      paidAt: '2025-11-11T02:00:12Z',
      updatedAt: '2025-11-11T02:05:00Z',
    });
    expect(() => canonicalOrder.parse(mapped.order)).not.toThrow();
  });

  it('maps a deposit presale order: deposit paid, balance due', () => {
    const mapped = douyinConnector.mapOrder(parseDouyinDetail(fixture('douyin/order-presale.json')), { shopId: 'dy-shop-1' });
    expect(mapped.state).toBe('deposit_paid');
    expect(mapped.order.presale).toEqual({
      depositFen: 5000,
      balanceFen: 34900,
      depositPaidAt: '2025-10-21T12:01:00Z',
      balanceDueAt: '2025-11-11T16:00:00Z',
    });
    expect(mapped.order.paidAt).toBeUndefined();
    expect(mapped.order.receiver).toMatchObject({ province: '海南省', city: '', district: '琼海市', town: '嘉积镇' });
    expect(() => canonicalOrder.parse(mapped.order)).not.toThrow();
  });
});

describe('Douyin pull', () => {
  const query = {
    window: { start: new Date('2025-11-11T02:00:00Z'), end: new Date('2025-11-11T02:05:00Z') },
    page: 1,
    pageSize: 100,
    now: new Date('2025-11-11T02:06:00Z'),
  };

  it('builds a signed searchList on update_time with sorted param_json', () => {
    const req = buildDouyinPullRequest(query, credentials);
    expect(req.body).toBe('{"order_by":"update_time","page":1,"size":100,"update_time_end":1762826700,"update_time_start":1762826400}');
    expect(req.params.sign).toBe(signDouyin({ ...req.params, sign: '' }, SECRET));
    expect(new URL(req.url).pathname).toBe('/order/searchList');
  });

  it('parses a page from 0-based pages', () => {
    const page = parseDouyinPullPage(fixture('douyin/search-list.json'), query);
    expect(page).toMatchObject({ page: 1, pageSize: 100, total: 230, hasNext: true, platformOrderIds: ['4987654321012345678', '4987654321099990001'] });
    const skus = page.orders[0]!.sku_order_list as Array<Record<string, unknown>>;
    expect(skus[0]!.product_id).toBe('3600000000000000123');
  });

  it('turns a non-10000 code into a ChannelApiError', () => {
    const body = '{"code":40004,"msg":"参数错误","sub_code":"isv.parameter-invalid","sub_msg":"size 超限","log_id":"x","data":{}}';
    expect(() => parseDouyinPullPage(body, query)).toThrow(ChannelApiError);
  });
});
