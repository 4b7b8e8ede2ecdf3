import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChannelApiError, ChannelPayloadError } from '../../channels/common.js';
import {
  buildShipmentCheckRequest,
  buildWritebackRequest,
  isWritebackRefusal,
  jdWaybillList,
  judgeAlreadyShipped,
  parseShipmentCheck,
  parseWritebackResponse,
  planWriteback,
  WRITEBACK_METHODS,
  type ShipmentNotice,
} from '../../channels/writeback.js';

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
    const r = buildWritebackRequest('jd', { ...notice, carrierCode: '467' }, credentials, now);
    expect(r.params.method).toBe(WRITEBACK_METHODS.jd);
    expect(r.params.method).toBe('jingdong.pop.order.shipment');
    expect(r.params).toMatchObject({ app_key: 'APPKEY01', access_token: 'tok-1', v: '2.0' });
    // The parameter names of jingdong.pop.order.shipment as the JOS SDKs define them; the carrier is JD's id.
    expect(JSON.parse(r.params['360buy_param_json']!)).toEqual({ orderId: notice.platformOrderId, logiCoprId: '467', logiNo: 'SF1234567890' });
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

  it('reads "already shipped", in English or Chinese, as a claim to check rather than as done', () => {
    expect(parseWritebackResponse('taobao', '{"error_response":{"code":"isv.logistics-offline-service-error","msg":"x","sub_msg":"order already shipped"}}')).toEqual({ ok: false, alreadyShipped: true, message: 'order already shipped' });
    expect(parseWritebackResponse('jd', '{"error_response":{"code":"10400012","zh_desc":"订单已发货"}}')).toMatchObject({ ok: false, alreadyShipped: true });
    expect(parseWritebackResponse('douyin', '{"code":50002,"msg":"order already shipped","sub_code":"isv.error","sub_msg":"order already shipped"}')).toMatchObject({ ok: false, alreadyShipped: true });
    expect(parseWritebackResponse('pdd', '{"error_response":{"error_code":52101,"error_msg":"重复发货"}}')).toMatchObject({ ok: false, alreadyShipped: true });
    expect(parseWritebackResponse('douyin', '{"code":50002,"msg":"业务处理失败","sub_code":"isv.business-failed:70023","sub_msg":"70023:已发货，请检查订单状态"}', 'split')).toMatchObject({ ok: false, alreadyShipped: true });
  });

  it('throws the platform error for any other refusal, and a payload error for an unknown shape', () => {
    expect(() => parseWritebackResponse('taobao', '{"error_response":{"code":"25","msg":"Invalid signature","sub_msg":"Invalid signature"}}')).toThrow(ChannelApiError);
    expect(() => parseWritebackResponse('douyin', '{"code":30002,"msg":"sign invalid","sub_code":"isv.error","sub_msg":"sign invalid"}')).toThrow(/sign invalid/);
    expect(() => parseWritebackResponse('pdd', '{"error_response":{"error_code":10019,"error_msg":"sign invalid"}}')).toThrow(ChannelApiError);
    expect(() => parseWritebackResponse('jd', '{"something_else":{}}')).toThrow(ChannelPayloadError);
    expect(() => parseWritebackResponse('pdd', '{}')).toThrow(ChannelPayloadError);
  });
});

describe('split shipments', () => {
  it('plans each platform’s call: lines where the platform ships by sub-order, added tracking numbers where it does not', () => {
    expect(planWriteback('taobao', { split: false, lineIds: [], firstOfOrder: true })).toEqual({ call: 'whole' });
    expect(planWriteback('taobao', { split: true, lineIds: ['11'], firstOfOrder: true })).toEqual({ call: 'split' });
    expect(planWriteback('douyin', { split: true, lineIds: ['11'], firstOfOrder: false })).toEqual({ call: 'split' });
    // A split order whose package names no sub-order cannot be told to Taobao or Douyin: a person decides.
    expect(planWriteback('douyin', { split: true, lineIds: [], firstOfOrder: true })).toEqual({ error: expect.stringContaining('sub-order ids') });
    expect(planWriteback('jd', { split: true, lineIds: ['x'], firstOfOrder: true })).toEqual({ call: 'whole' });
    expect(planWriteback('jd', { split: true, lineIds: [], firstOfOrder: false })).toEqual({ call: 'additional' });
    expect(planWriteback('pdd', { split: true, lineIds: [], firstOfOrder: false })).toEqual({ call: 'additional' });
    expect(planWriteback('pdd', { split: false, lineIds: [], firstOfOrder: false })).toEqual({ call: 'whole' });
  });

  it('taobao: the whole order has no split flags; a package names its sub-orders', () => {
    const whole = buildWritebackRequest('taobao', notice, credentials, now);
    expect(whole.params).not.toHaveProperty('is_split');
    expect(whole.params).not.toHaveProperty('sub_tid');
    const split = buildWritebackRequest('taobao', { ...notice, call: 'split', lineIds: ['4012345678901234568'] }, credentials, now);
    expect(split.params).toMatchObject({ method: 'taobao.logistics.offline.send', is_split: '1', sub_tid: '4012345678901234568', out_sid: 'SF1234567890' });
    expect(split.params.sign).toBe(md5Upper('wb-secret', split.params));
  });

  it('douyin: logisticsAddMultiPack with one pack naming its sku orders, and a request id kept across attempts', () => {
    const r = buildWritebackRequest('douyin', { ...notice, carrierCode: 'shunfeng', lineIds: ['6920000000000000011', '6920000000000000012'], requestId: 'orderly-7' }, credentials, now);
    const url = new URL(r.url);
    expect(url.pathname).toBe('/x/order/logisticsAddMultiPack');
    expect(url.searchParams.get('method')).toBe('order.logisticsAddMultiPack');
    expect(url.searchParams.get('sign')).toBe(douyinHmac('wb-secret', r.params));
    expect(JSON.parse(r.body)).toEqual({
      order_id: notice.platformOrderId,
      pack_list: [{ company_code: 'shunfeng', logistics_code: 'SF1234567890', shipped_order_info: [{ shipped_order_id: '6920000000000000011' }, { shipped_order_id: '6920000000000000012' }] }],
      request_id: 'orderly-7',
    });
    // The whole order keeps the plain call.
    expect(new URL(buildWritebackRequest('douyin', { ...notice, carrierCode: 'shunfeng' }, credentials, now).url).searchParams.get('method')).toBe('order.logisticsAdd');
  });

  it('jd: a further package rewrites the order’s waybill list, grouped by company', () => {
    expect(jdWaybillList([{ carrierCode: '467', trackingNo: 'SF1' }, { carrierCode: '463', trackingNo: 'YT2' }, { carrierCode: '467', trackingNo: 'SF3' }])).toEqual({ logisticsIds: '467|463', waybills: 'SF1,SF3|YT2' });
    const r = buildWritebackRequest('jd', { ...notice, carrierCode: '463', trackingNo: 'YT2', call: 'additional', earlier: [{ carrierCode: '467', trackingNo: 'SF1' }] }, credentials, now);
    expect(r.params.method).toBe('360buy.order.sop.waybill.update');
    expect(JSON.parse(r.params['360buy_param_json']!)).toEqual({ order_id: notice.platformOrderId, logistics_id: '467|463', waybill: 'SF1|YT2' });
    expect(r.params.sign).toBe(md5Upper('wb-secret', r.params));
  });

  it('pdd: a further package uploads an extra tracking number with PDD’s logistics id', () => {
    const r = buildWritebackRequest('pdd', { ...notice, platformOrderId: '261111-123456789012345', carrierCode: '115', trackingNo: '73100000000001', call: 'additional' }, credentials, now);
    expect(r.params.type).toBe('pdd.order.upload.extra.logistics');
    expect(JSON.parse(r.params.extra_track_list!)).toEqual([{ shipping_id: 115, tracking_number: '73100000000001' }]);
    expect(r.params.sign).toBe(md5Upper('wb-secret', r.params));
  });

  it('reads the answers of the split and added calls', () => {
    expect(parseWritebackResponse('douyin', '{"code":10000,"msg":"success","data":{"pack_list":[{"pack_id":"1"}]}}', 'split')).toMatchObject({ ok: true, alreadyShipped: false });
    expect(parseWritebackResponse('pdd', '{"upload_extra_logistics_response":{"success":true}}', 'additional')).toMatchObject({ ok: true });
    expect(parseWritebackResponse('pdd', '{"upload_extra_logistics_response":{"success":false}}', 'additional')).toMatchObject({ ok: false });
    expect(parseWritebackResponse('jd', '{"360buy_order_sop_waybill_update_responce":{"code":"0","success":true}}', 'additional')).toMatchObject({ ok: true });
    expect(parseWritebackResponse('jd', '{"360buy_order_sop_waybill_update_responce":{"success":false}}', 'additional')).toMatchObject({ ok: false });
    expect(() => parseWritebackResponse('pdd', '{"logistics_online_send_response":{"is_success":true}}', 'additional')).toThrow(ChannelPayloadError);
    expect(() => parseWritebackResponse('jd', '{"error_response":{"code":"10400014","zh_desc":"order state is not suitable for modify waybill"}}', 'additional')).toThrow(ChannelApiError);
  });

  it('takes Douyin’s business refusals as final, except the "try later" ones', () => {
    const refuse = (sub: string, msg: string) => {
      try {
        parseWritebackResponse('douyin', JSON.stringify({ code: 50002, msg: '业务处理失败', sub_code: sub, sub_msg: msg }), 'split');
      } catch (e) {
        return isWritebackRefusal(e);
      }
      throw new Error('expected a refusal');
    };
    expect(refuse('isv.business-failed:60018', '暂不支持该物流公司或物流商已失效，请检查。')).toBe(true);
    expect(refuse('isv.business-failed:60102', '60102:商品单不存在，请仔细检查后重试')).toBe(true);
    expect(refuse('isv.business-failed:60106', '系统繁忙，请稍后重试。')).toBe(false);
    expect(refuse('isp.service-error:9999', '系统异常')).toBe(false);
  });
});

describe('checking an "already shipped" answer', () => {
  it('asks each platform for the order’s recorded shipments', () => {
    expect(buildShipmentCheckRequest('taobao', '1', credentials, now).params).toMatchObject({ method: 'taobao.trade.fullinfo.get', tid: '1', fields: expect.stringContaining('orders') });
    expect(JSON.parse(buildShipmentCheckRequest('jd', '2', credentials, now).params['360buy_param_json']!)).toMatchObject({ order_id: '2', optional_fields: expect.stringContaining('waybill') });
    expect(new URL(buildShipmentCheckRequest('douyin', '3', credentials, now).url).searchParams.get('method')).toBe('order.orderDetail');
    expect(buildShipmentCheckRequest('pdd', '4', credentials, now).params).toMatchObject({ type: 'pdd.order.information.get', order_sn: '4' });
  });

  it('reads the parcels each platform records', () => {
    const tb = JSON.stringify({
      trade_fullinfo_get_response: {
        trade: { tid_str: '9', status: 'SELLER_CONSIGNED_PART', orders: { order: [{ oid: 91, invoice_no: 'SF1', logistics_company: 'SF' }, { oid: 92, invoice_no: 'SF1' }, { oid: 93 }] } },
      },
    });
    expect(parseShipmentCheck('taobao', tb)).toEqual([{ trackingNo: 'SF1', carrierCode: 'SF', lineIds: ['91', '92'] }]);
    const jd = JSON.stringify({ jingdong_pop_order_get_responce: { orderDetailInfo: { apiResult: { success: true }, orderInfo: { orderId: 5, waybill: 'SF1,SF3|YT2', logisticsId: '467|463' } } } });
    expect(parseShipmentCheck('jd', jd).map((p) => p.trackingNo)).toEqual(['SF1', 'SF3', 'YT2']);
    const dy = JSON.stringify({ code: 10000, msg: 'success', data: { shop_order_detail: { order_id: '6', logistics_info: [{ tracking_no: 'SF1', company: 'shunfeng', product_info: [{ sku_order_id: '61' }] }] } } });
    expect(parseShipmentCheck('douyin', dy)).toEqual([{ trackingNo: 'SF1', carrierCode: 'shunfeng', lineIds: ['61'] }]);
    const pdd = JSON.stringify({ order_info_get_response: { order_info: { order_sn: '7', tracking_number: 'SF1', logistics_id: 44, extra_delivery_list: [{ logistics_id: 115, tracking_number: '731' }] } } });
    expect(parseShipmentCheck('pdd', pdd)).toEqual([
      { trackingNo: 'SF1', carrierCode: '44', lineIds: [] },
      { trackingNo: '731', carrierCode: '115', lineIds: [] },
    ]);
    const unshipped = JSON.stringify({ order_info_get_response: { order_info: { order_sn: '7' } } });
    expect(parseShipmentCheck('pdd', unshipped)).toEqual([]);
  });

  it('counts it as sent only when the platform holds this tracking number for these lines', () => {
    const parcels = [{ trackingNo: 'A', lineIds: ['1'] }];
    expect(judgeAlreadyShipped({ trackingNo: 'A', lineIds: ['1'], parcels, ownTrackingNos: [] })).toEqual({ verdict: 'same' });
    expect(judgeAlreadyShipped({ trackingNo: 'A', lineIds: [], parcels: [{ trackingNo: 'A', lineIds: [] }], ownTrackingNos: [] })).toEqual({ verdict: 'same' });
    // The second package of a split order: the platform has the first one only.
    expect(judgeAlreadyShipped({ trackingNo: 'B', lineIds: ['2'], parcels, ownTrackingNos: ['A'] })).toEqual({ verdict: 'ours_other', platformTrackingNos: ['A'] });
    // Shipped with a number Orderly never sent: someone shipped it elsewhere.
    expect(judgeAlreadyShipped({ trackingNo: 'B', lineIds: ['2'], parcels: [{ trackingNo: 'X', lineIds: ['1', '2'] }], ownTrackingNos: ['A'] })).toEqual({ verdict: 'conflict', platformTrackingNos: ['X'] });
    // "Already shipped" with nothing on record cannot be confirmed.
    expect(judgeAlreadyShipped({ trackingNo: 'B', lineIds: [], parcels: [], ownTrackingNos: [] })).toEqual({ verdict: 'conflict', platformTrackingNos: [] });
  });
});
