import { describe, expect, it } from 'vitest';
import { canonicalOrder } from '../../../domain/order.js';
import {
  buildPddDetailRequest,
  buildPddPullRequest,
  parsePddDetail,
  parsePddPullPage,
  PDD_PUSH_SIGN_HEADER,
  pddConnector,
  signPdd,
} from '../../../channels/pdd/index.js';
import { ChannelApiError } from '../../../channels/common.js';
import { fixture } from './fixture.js';

const credentials = { appKey: 'pdd-client-1', appSecret: 'pdd-secret', accessToken: 'tokpdd' };

describe('PDD signing', () => {
  // printf '%s' 'pdd-secretaccess_tokentokpddclient_idpdd-client-1data_typeJSONorder_sn261111-123456789012345
  //   timestamp1762819200typepdd.order.information.getversionV1pdd-secret' | md5sum
  it('uppercase md5(client_secret + sorted key+value + client_secret) over system and business parameters', () => {
    const params = {
      type: 'pdd.order.information.get',
      client_id: 'pdd-client-1',
      access_token: 'tokpdd',
      timestamp: '1762819200',
      data_type: 'JSON',
      version: 'V1',
      order_sn: '261111-123456789012345',
    };
    expect(signPdd(params, 'pdd-secret')).toBe('40E967F82FD2EF28CE50E4847C197EE7');
    const req = buildPddDetailRequest('261111-123456789012345', credentials, new Date(1762819200 * 1000));
    expect(req.params.sign).toBe('40E967F82FD2EF28CE50E4847C197EE7');
    expect(new URLSearchParams(req.body).get('order_sn')).toBe('261111-123456789012345');
  });
});

describe('PDD push', () => {
  const rawBody = fixture('pdd/push-frame.json');
  // { printf '%s' pdd-secret; cat push-frame.json; printf '%s' pdd-secret; } | md5sum
  const goodSign = '9ACBC1E33472F80B1C864691B4AA6C21';

  it('accepts the relay signature and rejects a wrong one', () => {
    const verify = pddConnector.verifyPush!;
    expect(verify({ headers: { [PDD_PUSH_SIGN_HEADER]: goodSign }, rawBody }, credentials)).toBe(true);
    expect(verify({ headers: { [PDD_PUSH_SIGN_HEADER]: '9ACBC1E33472F80B1C864691B4AA6C22' }, rawBody }, credentials)).toBe(false);
    expect(verify({ headers: { [PDD_PUSH_SIGN_HEADER]: [goodSign] }, rawBody }, { ...credentials, appSecret: 'x' })).toBe(false);
  });

  it('parses a frame, keeping the message id beyond 2^53 whole, and acks it with the same digits', () => {
    const parsed = pddConnector.parsePush!(rawBody);
    expect(parsed.events).toEqual([
      {
        messageId: '7310000000000012345',
        type: 'paid',
        platformOrderId: '251111-512345678901234',
        topic: 'pdd_trade_TradeConfirmed',
        data: { tid: '251111-512345678901234', mall_id: '987654' },
      },
    ]);
    const ack = pddConnector.ackBody!('success', parsed);
    expect(ack).toEqual({ status: 200, contentType: 'application/json', body: '{"id":7310000000000012345,"commandType":"Ack"}' });
    expect(pddConnector.ackBody!('retry', parsed).status).toBe(503);
  });

  it('ignores topics that carry no order event but still acknowledges them', () => {
    const frame = '{"id":7310000000000012346,"commandType":"Common","message":{"type":"pdd_trade_TradeSuccess","mallID":987654,"content":"{\\"tid\\":\\"251111-1\\"}"}}';
    const parsed = pddConnector.parsePush!(frame);
    expect(parsed.events).toEqual([]);
    expect(parsed.ignored[0]).toMatchObject({ messageId: '7310000000000012346', topic: 'pdd_trade_TradeSuccess', platformOrderId: '251111-1' });
    expect(pddConnector.ackBody!('success', parsed).body).toBe('{"id":7310000000000012346,"commandType":"Ack"}');
  });
});

describe('PDD order mapping', () => {
  it('maps order information: yuan numbers to fen, Beijing times, masked receiver, order discount spread over lines', () => {
    const mapped = pddConnector.mapOrder(parsePddDetail(fixture('pdd/order-info.json')), { shopId: 'pdd-shop-1' });
    expect(mapped.state).toBe('awaiting_shipment');
    expect(mapped.refundLineIds).toEqual([]);
    expect(mapped.order).toEqual({
      platform: 'pdd',
      shopId: 'pdd-shop-1',
      platformOrderId: '251111-512345678901234',
      buyerKey: '$1234$AgAAAAFk7p0KqB3lWRDkS2nO4pWc1ur+YfSaYo3i2tB=$1$',
      receiver: {
        name: '陈*',
        phone: '158****6677',
        province: '江苏省',
        city: '苏州市',
        district: '姑苏区',
        detail: '人民路***号',
        // No open_address_id: the address key is a digest of the receiver ciphertexts (see pddBuyerKeys).
        addressKey: expect.stringMatching(/^pddc:[A-Za-z0-9_-]{43}$/),
        encrypted: {
          name: '~AgAAAAFk7p0JqA2kVQCjR1mN3oVb0tq+XeRzXn2h1sA=~0~',
          phone: '$1234$AgAAAAFk7p0KqB3lWRDkS2nO4pWc1ur+YfSaYo3i2tB=$1$',
          detail: '~AgAAAAFk7p0LrC4mXSElT3oP5qXd2vs+ZgTbZp4j3uC=~0~',
        },
      },
      lines: [
        { lineId: '1234567890123', skuCode: 'TOWEL-4P', title: '纯棉毛巾 4条装 灰色', quantity: 2, unitPriceFen: 4990, discountFen: 667, paidFen: 9313 },
        { lineId: '1234567890124', skuCode: 'BATH-1', title: '浴巾 白色 70x140', quantity: 1, unitPriceFen: 4990, discountFen: 333, paidFen: 4657 },
      ],
      amounts: { goodsFen: 14970, shippingFen: 0, discountFen: 1000, paidFen: 13970 },
      discounts: [
        { kind: 'seller', amountFen: 600 },
        { kind: 'platform', amountFen: 400 },
      ],
      buyerRemark: '尽快发货',
      sellerMemo: '已核对库存',
      createdAt: '2025-11-11T02:00:00Z',
      paidAt: '2025-11-11T02:00:30Z',
      updatedAt: '2025-11-11T02:02:00Z',
    });
    expect(() => canonicalOrder.parse(mapped.order)).not.toThrow();
  });

  it('maps a deposit order with the deposit paid', () => {
    const mapped = pddConnector.mapOrder(parsePddDetail(fixture('pdd/order-presale.json')), { shopId: 'pdd-shop-1' });
    expect(mapped.state).toBe('deposit_paid');
    expect(mapped.order.presale).toEqual({ depositFen: 2000, balanceFen: 17900, depositPaidAt: '2025-10-21T12:01:00Z' });
    expect(mapped.order.paidAt).toBeUndefined();
    expect(() => canonicalOrder.parse(mapped.order)).not.toThrow();
  });

  it('maps cancellation and refunds', () => {
    const info = parsePddDetail(fixture('pdd/order-info.json'));
    expect(pddConnector.mapOrder({ ...info, confirm_status: 2 }, { shopId: 'p' }).state).toBe('cancelled');
    const refunding = pddConnector.mapOrder({ ...info, refund_status: 3 }, { shopId: 'p' });
    expect(refunding.refundLineIds).toEqual(['1234567890123', '1234567890124']);
    expect(pddConnector.mapOrder({ ...info, order_status: 2 }, { shopId: 'p' }).state).toBe('shipped');
  });
});

describe('PDD pull', () => {
  const query = {
    window: { start: new Date('2025-11-11T02:00:00Z'), end: new Date('2025-11-11T02:30:00Z') },
    page: 4,
    pageSize: 100,
    now: new Date('2025-11-11T02:33:00Z'),
  };

  it('builds a signed increment query in unix seconds for all statuses', () => {
    const req = buildPddPullRequest(query, credentials);
    expect(req.url).toBe('https://gw-api.pinduoduo.com/api/router');
    expect(req.params).toMatchObject({
      type: 'pdd.order.number.list.increment.get',
      client_id: 'pdd-client-1',
      access_token: 'tokpdd',
      timestamp: '1762828380',
      data_type: 'JSON',
      version: 'V1',
      order_status: '5',
      refund_status: '5',
      start_updated_at: '1762826400',
      end_updated_at: '1762828200',
      page: '4',
      page_size: '100',
      use_has_next: 'true',
    });
    const { sign, ...rest } = req.params;
    expect(sign).toBe(signPdd(rest, 'pdd-secret'));
  });

  it('parses a page with its total for the backward walk', () => {
    const page = parsePddPullPage(fixture('pdd/increment-page.json'), { ...query, page: 1, probe: true });
    expect(page).toMatchObject({ page: 1, total: 320, hasNext: true, platformOrderIds: ['251111-512345678901234', '251021-500000000000001'] });
  });

  it('turns an error_response into a ChannelApiError', () => {
    const body = '{"error_response":{"error_code":10019,"error_msg":"access_token已过期","sub_code":"10019","sub_msg":""}}';
    expect(() => parsePddPullPage(body, query)).toThrow(ChannelApiError);
  });
});
