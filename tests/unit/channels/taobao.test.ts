import { describe, expect, it } from 'vitest';
import { canonicalOrder } from '../../../domain/order.js';
import {
  buildTaobaoDetailRequest,
  buildTaobaoPullRequest,
  buildTmcConfirmRequest,
  parseTaobaoDetail,
  parseTaobaoPullPage,
  signTaobao,
  TAOBAO_PUSH_SIGN_HEADER,
  taobaoConnector,
} from '../../../channels/taobao/index.js';
import { ChannelApiError } from '../../../channels/common.js';
import { fixture } from './fixture.js';
import { orderSnapshotEvent, pushOrderEvent } from '../../../channels/orders.js';

const base = {
  method: 'taobao.trade.fullinfo.get',
  app_key: '12345678',
  session: 'test-session',
  timestamp: '2026-11-11 08:00:00',
  format: 'json',
  v: '2.0',
  fields: 'tid,status,payment',
  tid: '4165310245678901234',
  partner_id: '',
};

const credentials = { appKey: '12345678', appSecret: 'helloworld', accessToken: 'test-session' };

describe('Taobao signing', () => {
  // Expected digests computed independently:
  //   printf '%s' 'helloworldapp_key12345678fieldstid,status,paymentformatjsonmethodtaobao.trade.fullinfo.get
  //     sessiontest-sessionsign_methodmd5tid4165310245678901234timestamp2026-11-11 08:00:00v2.0helloworld' | md5sum
  //   printf '%s' '<same text without the secrets, sign_methodhmac>' | openssl dgst -md5 -hmac helloworld
  it('md5: uppercase md5(secret + sorted key+value + secret), empty values skipped', () => {
    expect(signTaobao({ ...base, sign_method: 'md5' }, 'helloworld')).toBe('24155765C8D4640E96735A3C4A2BADAF');
  });

  it('hmac: uppercase HMAC-MD5 over the concatenation without wrapping', () => {
    expect(signTaobao({ ...base, sign_method: 'hmac' }, 'helloworld')).toBe('6E8368255DFDCBE6F48B14FD191DC66A');
  });

  it('ignores an existing sign parameter', () => {
    expect(signTaobao({ ...base, sign_method: 'md5', sign: 'OLD' }, 'helloworld')).toBe('24155765C8D4640E96735A3C4A2BADAF');
  });
});

describe('Taobao TMC push', () => {
  const rawBody = fixture('taobao/tmc-consume.json');
  // printf '%s' tb-secret; cat tmc-consume.json; printf '%s' tb-secret } | md5sum
  const goodSign = '0D3B9036AD3B2A4B1693D3603B320832';
  const creds = { appKey: '12345678', appSecret: 'tb-secret' };

  it('accepts the relay signature over the raw body and rejects a wrong one', () => {
    expect(taobaoConnector.verifyPush!({ headers: { [TAOBAO_PUSH_SIGN_HEADER]: goodSign }, rawBody }, creds)).toBe(true);
    expect(taobaoConnector.verifyPush!({ headers: { [TAOBAO_PUSH_SIGN_HEADER]: goodSign.toLowerCase() }, rawBody }, creds)).toBe(true);
    expect(taobaoConnector.verifyPush!({ headers: { [TAOBAO_PUSH_SIGN_HEADER]: goodSign }, rawBody: rawBody + ' ' }, creds)).toBe(false);
    expect(taobaoConnector.verifyPush!({ headers: { [TAOBAO_PUSH_SIGN_HEADER]: goodSign }, rawBody }, { ...creds, appSecret: 'other' })).toBe(false);
    expect(taobaoConnector.verifyPush!({ headers: {}, rawBody }, creds)).toBe(false);
  });

  it('maps topics to events and keeps message and order ids whole', () => {
    const { events, ignored } = taobaoConnector.parsePush!(rawBody);
    expect(events.map((e) => [e.messageId, e.type, e.platformOrderId])).toEqual([
      ['2910400008363624711', 'paid', '4165310245678901234'],
      ['2910400008363624712', 'deposit_paid', '4165310245678909999'],
      ['2910400008363624713', 'balance_paid', '4165310245678909999'],
      ['2910400008363624714', 'memo_changed', '4165310245678901234'],
      ['2910400008363624715', 'refund_requested', '4165310245678901234'],
    ]);
    expect(events[4]!.data).toMatchObject({ refund_id: '201234567890123456', oid: '4165310245678901236', refund_fee: '35.00' });
    expect(ignored).toEqual([
      { messageId: '2910400008363624716', topic: 'taobao_trade_TradeSuccess', platformOrderId: '4165310245678900001', reason: 'topic carries no order event' },
    ]);
  });

  it('acknowledges success and asks for retry', () => {
    expect(taobaoConnector.ackBody!('success')).toEqual({ status: 200, contentType: 'application/json', body: '{"success":true}' });
    expect(taobaoConnector.ackBody!('retry').status).toBe(503);
  });

  it('confirms consumed messages with their ids as strings', () => {
    const req = buildTmcConfirmRequest(['2910400008363624711', '2910400008363624712'], credentials, new Date('2026-11-11T00:00:00Z'));
    expect(req.params.s_message_ids).toBe('2910400008363624711,2910400008363624712');
    expect(req.params.method).toBe('taobao.tmc.messages.confirm');
  });
});

describe('Taobao order mapping', () => {
  it('maps a full trade to the canonical order', () => {
    const trade = parseTaobaoDetail(fixture('taobao/fullinfo-normal.json'));
    const mapped = taobaoConnector.mapOrder(trade, { shopId: 'tb-shop-1' });
    expect(mapped.state).toBe('awaiting_shipment');
    expect(mapped.platformStatus).toBe('WAIT_SELLER_SEND_GOODS');
    expect(mapped.refundLineIds).toEqual(['4165310245678901236']);
    expect(mapped.order).toEqual({
      platform: 'taobao',
      shopId: 'tb-shop-1',
      platformOrderId: '4165310245678901234',
      buyerKey: 'AAHm5dB2ABd8uRk_qEaQ3xYz',
      receiver: {
        name: '张**',
        phone: '138****5678',
        province: '浙江省',
        city: '杭州市',
        district: '余杭区',
        town: '五常街道',
        detail: '文一西路***号',
        postalCode: '311121',
        addressKey: '1Zd5tS2BPgicHibjbZU2CvVXgt4qF5Dr2kIY0Cm7UUzibxLYic4FXYy3KrD8tEUCtO9Jg',
      },
      lines: [
        { lineId: '4165310245678901235', skuCode: 'PJ-CORAL-L-PINK', title: '加厚珊瑚绒睡衣女冬季套装', quantity: 2, unitPriceFen: 17900, discountFen: 2000, paidFen: 33800 },
        { lineId: '4165310245678901236', skuCode: 'SOCK-WOOL-3', title: '羊毛袜 3双装', quantity: 1, unitPriceFen: 3990, discountFen: 490, paidFen: 3500 },
      ],
      amounts: { goodsFen: 39790, shippingFen: 800, discountFen: 2490, paidFen: 38100 },
      buyerRemark: '请周五前发货，谢谢',
      sellerMemo: '老客户 送小样',
      createdAt: '2026-11-10T16:03:15Z',
      paidAt: '2026-11-10T16:03:40Z',
      updatedAt: '2026-11-10T16:05:02Z',
    });
    expect(() => canonicalOrder.parse(mapped.order)).not.toThrow();
  });

  it('maps a presale (step) trade with its deposit paid, keeping a raw-number tid whole', () => {
    const trade = parseTaobaoDetail(fixture('taobao/fullinfo-presale.json'));
    const mapped = taobaoConnector.mapOrder(trade, { shopId: 'tb-shop-1' });
    expect(mapped.state).toBe('deposit_paid');
    expect(mapped.order.platformOrderId).toBe('4165310245678909999');
    expect(mapped.order.presale).toEqual({ depositFen: 5000, balanceFen: 24900, depositPaidAt: '2026-10-21T12:15:00Z' });
    expect(mapped.order.paidAt).toBeUndefined();
    expect(mapped.order.receiver).toMatchObject({ province: '湖北省', city: '', district: '仙桃市' });
    const parsed = canonicalOrder.parse(mapped.order);
    expect(parsed.lines[0]).toMatchObject({ skuCode: 'DOWN-JKT-M-BLK', lineId: '4165310245678909999', quantity: 1, unitPriceFen: 29900 });
  });
});

describe('Taobao pull', () => {
  const query = {
    window: { start: new Date('2026-11-10T16:00:00Z'), end: new Date('2026-11-10T16:30:00Z') },
    page: 3,
    pageSize: 100,
    now: new Date('2026-11-10T16:31:00Z'),
  };

  it('builds a signed increment query in Beijing time', () => {
    const req = buildTaobaoPullRequest(query, credentials);
    expect(req.url).toBe('https://eco.taobao.com/router/rest');
    expect(req.params).toMatchObject({
      method: 'taobao.trades.sold.increment.get',
      app_key: '12345678',
      session: 'test-session',
      timestamp: '2026-11-11 00:31:00',
      format: 'json',
      v: '2.0',
      sign_method: 'md5',
      start_modified: '2026-11-11 00:00:00',
      end_modified: '2026-11-11 00:30:00',
      page_no: '3',
      page_size: '100',
      use_has_next: 'true',
    });
    const { sign, ...rest } = req.params;
    expect(sign).toBe(signTaobao(rest, 'helloworld'));
    expect(new URLSearchParams(req.body).get('sign')).toBe(sign);
    expect(buildTaobaoPullRequest({ ...query, page: 1, probe: true }, credentials).params.use_has_next).toBe('false');
  });

  it('builds the fullinfo request for one tid', () => {
    const req = buildTaobaoDetailRequest('4165310245678901234', credentials, query.now);
    expect(req.params).toMatchObject({ method: 'taobao.trade.fullinfo.get', tid: '4165310245678901234' });
    expect(req.params.fields).toContain('step_trade_status');
  });

  it('parses an increment page', () => {
    const page = parseTaobaoPullPage(fixture('taobao/increment-page.json'), { ...query, page: 1, probe: true });
    expect(page).toMatchObject({ page: 1, pageSize: 100, total: 250, hasNext: true, platformOrderIds: ['4165310245678901234', '4165310245678909999'] });
  });

  it('turns an error_response into a ChannelApiError', () => {
    const body = '{"error_response":{"code":27,"msg":"Invalid session","sub_code":"invalid-sessionkey","request_id":"x"}}';
    expect(() => parseTaobaoPullPage(body, query)).toThrow(ChannelApiError);
  });
});

describe('Taobao refunds reaching the order', () => {
  it('maps a paid-out refund to `refunded` with its line, and a pulled trade carries its open after-sales', () => {
    const message = { id: 2910400008363624799n.toString(), topic: 'taobao_refund_RefundSuccess', content: JSON.stringify({ tid: 4165310245678901234n.toString(), oid: '4165310245678901236', refund_id: '201234567890123456', refund_fee: '35.00' }) };
    const { events } = taobaoConnector.parsePush!(JSON.stringify([message]));
    expect(events.map((e) => [e.type, e.platformOrderId])).toEqual([['refunded', '4165310245678901234']]);
    expect(pushOrderEvent(events[0]!, undefined, {})).toEqual({ type: 'refunded', lineIds: ['4165310245678901236'] });

    const mapped = taobaoConnector.mapOrder(parseTaobaoDetail(fixture('taobao/fullinfo-normal.json')), { shopId: 'tb-shop-1' });
    expect(orderSnapshotEvent('snapshot', mapped, {})).toMatchObject({ type: 'snapshot', refundingLineIds: ['4165310245678901236'] });
  });
});
