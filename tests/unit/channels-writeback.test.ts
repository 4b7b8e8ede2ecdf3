import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChannelApiError, ChannelPayloadError } from '../../channels/common.js';
import { buildWritebackRequest, parseWritebackResponse, WRITEBACK_METHODS, type ShipmentNotice } from '../../channels/writeback.js';

const credentials = { appKey: 'APPKEY01', appSecret: 'wb-secret', accessToken: 'tok-1', baseUrl: 'http://sim.local/x' };
const now = new Date('2026-11-11T00:00:00Z');
const notice: ShipmentNotice = { platformOrderId: '4012345678901234567', carrierCode: 'SF', trackingNo: 'SF1234567890' };

// The formulas written out here with node:crypto, not through the connectors' own helpers.
const md5Upper = (secret: string, params: Record<string, string>) => {
  const text = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort()
    .map((k) => k + params[k])
    .join('');
  return createHash('md5').update(secret + text + secret, 'utf8').digest('hex').toUpperCase();
};
const douyinHmac = (secret: string, p: Record<string, string>) =>
  createHmac('sha256', secret).update(`${secret}app_key${p.app_key}method${p.method}param_json${p.param_json}timestamp${p.timestamp}v${p.v}${secret}`, 'utf8').digest('hex');

describe('write-back requests', () => {
  it('taobao: logistics.offline.send, form body, TOP md5 signature over every parameter', () => {
    const r = buildWritebackRequest('taobao', notice, credentials, now);
    expect(r.params.method).toBe('taobao.logistics.offline.send');
    expect(r.url).toBe(credentials.baseUrl);
    expect(r.contentType).toBe('application/x-www-form-urlencoded');
    expect(r.params).toMatchObject({ app_key: 'APPKEY01', session: 'tok-1', timestamp: '2026-11-11 08:00:00', sign_method: 'md5', tid: notice.platformOrderId, out_sid: 'SF1234567890', company_code: 'SF' });
    expect(r.params.sign).toBe(md5Upper('wb-secret', r.params));
    const body = new URLSearchParams(r.body);
    expect(body.get('out_sid')).toBe('SF1234567890');
    expect(body.get('company_code')).toBe('SF');
    expect(body.get('sign')).toBe(r.params.sign);
    // A split shipment names its sub-orders.
    const split = buildWritebackRequest('taobao', { ...notice, lineIds: ['11', '12'] }, credentials, now);
    expect(split.params).toMatchObject({ is_split: '1', sub_tid: '11,12' });
    expect(split.params.sign).not.toBe(r.params.sign);
  });

  it('jd: pop.order.shipment with waybill and carrier in 360buy_param_json, signed', () => {
    const r = buildWritebackRequest('jd', notice, credentials, now);
    expect(r.params.method).toBe(WRITEBACK_METHODS.jd);
    expect(r.params.method).toBe('jingdong.pop.order.shipment');
    expect(r.params).toMatchObject({ app_key: 'APPKEY01', access_token: 'tok-1', v: '2.0' });
    expect(JSON.parse(r.params['360buy_param_json']!)).toEqual({ order_id: notice.platformOrderId, logistics_id: 'SF', waybill: 'SF1234567890' });
    expect(r.params.sign).toBe(md5Upper('wb-secret', r.params));
    expect(new URLSearchParams(r.body).get('360buy_param_json')).toBe(r.params['360buy_param_json']);
  });

  it('douyin: order.logisticsAdd, JSON body, method and hmac-sha256 sign in the query', () => {
    const r = buildWritebackRequest('douyin', notice, credentials, now);
    const url = new URL(r.url);
    expect(url.pathname).toBe('/x/order/logisticsAdd');
    expect(url.searchParams.get('method')).toBe('order.logisticsAdd');
    expect(url.searchParams.get('app_key')).toBe('APPKEY01');
    expect(url.searchParams.get('access_token')).toBe('tok-1');
    expect(url.searchParams.get('sign')).toBe(douyinHmac('wb-secret', r.params));
    expect(r.contentType).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual({ order_id: notice.platformOrderId, company_code: 'SF', logistics_code: 'SF1234567890' });
    // The signature covers the body: another tracking number, another sign.
    const other = buildWritebackRequest('douyin', { ...notice, trackingNo: 'SF0000000001' }, credentials, now);
    expect(new URL(other.url).searchParams.get('sign')).not.toBe(url.searchParams.get('sign'));
  });

  it('pdd: logistics.online.send with tracking number and carrier, md5 signed', () => {
    const r = buildWritebackRequest('pdd', { ...notice, platformOrderId: '261111-123456789012345' }, credentials, now);
    expect(r.params).toMatchObject({ type: 'pdd.logistics.online.send', client_id: 'APPKEY01', access_token: 'tok-1', order_sn: '261111-123456789012345', logistics_id: 'SF', tracking_number: 'SF1234567890', timestamp: String(now.getTime() / 1000) });
    expect(r.params.sign).toBe(md5Upper('wb-secret', r.params));
    expect(new URLSearchParams(r.body).get('tracking_number')).toBe('SF1234567890');
  });
});

describe('write-back answers', () => {
  it('reads each platform’s success shape', () => {
    expect(parseWritebackResponse('taobao', '{"logistics_offline_send_response":{"shipping":{"is_success":true}}}')).toEqual({ ok: true, alreadyShipped: false, message: 'shipped' });
    expect(parseWritebackResponse('jd', '{"jingdong_pop_order_shipment_responce":{"sopjosshipment_result":{"success":true,"chineseErrCode":"成功"}}}')).toEqual({ ok: true, alreadyShipped: false, message: '成功' });
    expect(parseWritebackResponse('douyin', '{"code":10000,"msg":"success","data":{}}')).toMatchObject({ ok: true, alreadyShipped: false });
    expect(parseWritebackResponse('pdd', '{"logistics_online_send_response":{"is_success":true}}')).toMatchObject({ ok: true, alreadyShipped: false });
    expect(parseWritebackResponse('taobao', '{"logistics_offline_send_response":{"shipping":{"is_success":false}}}').ok).toBe(false);
  });

  it('takes "already shipped" as done, in English or Chinese', () => {
    expect(parseWritebackResponse('taobao', '{"error_response":{"code":"isv.logistics-offline-service-error","msg":"x","sub_msg":"order already shipped"}}')).toEqual({ ok: true, alreadyShipped: true, message: 'order already shipped' });
    expect(parseWritebackResponse('jd', '{"error_response":{"code":"10400012","zh_desc":"订单已发货"}}')).toMatchObject({ ok: true, alreadyShipped: true });
    expect(parseWritebackResponse('douyin', '{"code":50002,"msg":"order already shipped","sub_code":"isv.error","sub_msg":"order already shipped"}')).toMatchObject({ ok: true, alreadyShipped: true });
    expect(parseWritebackResponse('pdd', '{"error_response":{"error_code":52101,"error_msg":"重复发货"}}')).toMatchObject({ ok: true, alreadyShipped: true });
  });

  it('throws the platform error for any other refusal, and a payload error for an unknown shape', () => {
    expect(() => parseWritebackResponse('taobao', '{"error_response":{"code":"25","msg":"Invalid signature","sub_msg":"Invalid signature"}}')).toThrow(ChannelApiError);
    expect(() => parseWritebackResponse('douyin', '{"code":30002,"msg":"sign invalid","sub_code":"isv.error","sub_msg":"sign invalid"}')).toThrow(/sign invalid/);
    expect(() => parseWritebackResponse('pdd', '{"error_response":{"error_code":10019,"error_msg":"sign invalid"}}')).toThrow(ChannelApiError);
    expect(() => parseWritebackResponse('jd', '{"something_else":{}}')).toThrow(ChannelPayloadError);
    expect(() => parseWritebackResponse('pdd', '{}')).toThrow(ChannelPayloadError);
  });
});
