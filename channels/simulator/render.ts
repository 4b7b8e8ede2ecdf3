import { utcToBeijing, unixSeconds } from '../common.js';
import type { SimOrder } from './generator.js';

/**
 * Platform wire shapes of a SimOrder, as the connectors read them (see channels/<platform>/ and the fixtures
 * in tests/fixtures/channels/). Ids the platforms send as bare JSON numbers beyond 2^53 are written as
 * such through `bigJson`, so Orderly's bigint-safe parsing is exercised for real.
 */

const BIG = '\u0001big:';
/** Marks an id to be written as a bare JSON number. */
export function big(digits: string): string {
  return `${BIG}${digits}`;
}

/** JSON.stringify, except that `big()` values become bare number literals with every digit. */
export function bigJson(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001big:(\d+)"/g, '$1');
}

export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

const bj = (d: Date | undefined): string | undefined => (d ? utcToBeijing(d) : undefined);
const goodsFen = (o: SimOrder): number => o.lines.reduce((s, l) => s + l.unitFen * l.quantity, 0);

// Taobao ----------------------------------------------------------------------------------------------

function taobaoStatus(o: SimOrder): { status: string; step?: string } {
  if (o.status === 'cancelled') return { status: 'TRADE_CLOSED' };
  if (o.status === 'shipped') return { status: 'WAIT_BUYER_CONFIRM_GOODS', ...(o.presale ? { step: 'FRONT_PAID_FINAL_PAID' } : {}) };
  if (o.presale) {
    if (o.presale.balancePaidAt) return { status: 'WAIT_SELLER_SEND_GOODS', step: 'FRONT_PAID_FINAL_PAID' };
    return { status: 'WAIT_BUYER_PAY', step: o.presale.depositPaidAt ? 'FRONT_PAID_FINAL_NOPAID' : 'FRONT_NOPAID_FINAL_NOPAID' };
  }
  return { status: o.status === 'paid' ? 'WAIT_SELLER_SEND_GOODS' : 'WAIT_BUYER_PAY' };
}

export function taobaoTrade(o: SimOrder): Record<string, unknown> {
  const { status, step } = taobaoStatus(o);
  const payTime = o.presale ? (o.presale.balancePaidAt ?? o.presale.depositPaidAt) : o.paidAt;
  return {
    tid: big(o.id),
    tid_str: o.id,
    status,
    type: o.presale ? 'step' : 'fixed',
    ...(step ? { step_trade_status: step, step_paid_fee: yuan(o.presale!.depositFen) } : {}),
    created: bj(o.createdAt),
    ...(payTime ? { pay_time: bj(payTime) } : {}),
    modified: bj(o.modifiedAt),
    payment: yuan(o.paidFen),
    total_fee: yuan(goodsFen(o)),
    post_fee: yuan(o.shippingFen),
    discount_fee: yuan(o.discountFen),
    ...(o.buyerRemark ? { buyer_message: o.buyerRemark } : {}),
    ...(o.sellerMemo ? { seller_memo: o.sellerMemo } : {}),
    buyer_open_uid: o.buyerKey,
    oaid: o.addressKey,
    receiver_name: o.receiver.name,
    receiver_mobile: o.receiver.phone,
    receiver_state: o.receiver.province,
    receiver_city: o.receiver.city,
    receiver_district: o.receiver.district,
    receiver_address: o.receiver.detail,
    orders: {
      order: o.lines.map((l) => ({
        oid: big(l.lineId),
        outer_sku_id: l.skuCode,
        title: l.title,
        price: yuan(l.unitFen),
        num: l.quantity,
        total_fee: yuan(l.unitFen * l.quantity),
        payment: yuan(l.paidFen),
        divide_order_fee: yuan(l.paidFen),
        refund_status: 'NO_REFUND',
      })),
    },
  };
}

export function taobaoListItem(o: SimOrder): Record<string, unknown> {
  const { status, step } = taobaoStatus(o);
  return { tid: big(o.id), tid_str: o.id, status, modified: bj(o.modifiedAt), ...(step ? { type: 'step', step_trade_status: step } : {}) };
}

// JD ----------------------------------------------------------------------------------------------------

export function jdOrder(o: SimOrder): Record<string, unknown> {
  const state = o.status === 'cancelled' ? 'TRADE_CANCELED' : o.status === 'shipped' ? 'WAIT_GOODS_RECEIVE_CONFIRM' : o.status === 'paid' ? 'WAIT_SELLER_STOCK_OUT' : 'LOCKED';
  const r = o.receiver;
  return {
    orderId: Number(o.id),
    venderId: 10086,
    orderType: '22',
    orderTotalPrice: yuan(goodsFen(o)),
    orderSellerPrice: yuan(goodsFen(o) - o.discountFen),
    orderPayment: yuan(o.paidFen),
    freightPrice: yuan(o.shippingFen),
    sellerDiscount: yuan(o.discountFen),
    orderState: state,
    orderRemark: o.buyerRemark ?? '',
    venderRemark: o.sellerMemo ?? '',
    orderStartTime: bj(o.createdAt),
    paymentConfirmTime: o.paidAt ? bj(o.paidAt) : '0001-01-01 00:00:00',
    modified: bj(o.modifiedAt),
    open_id_buyer: o.buyerKey,
    consigneeInfo: { fullname: r.name, mobile: r.phone, telephone: '', fullAddress: `${r.province}${r.city}${r.district}${r.detail}`, province: r.province, city: r.city, county: r.district },
    itemInfoList: o.lines.map((l, i) => ({ skuId: Number(`${100000000 + i}${o.id.slice(-3)}`), outerSkuId: l.skuCode, skuName: l.title, jdPrice: yuan(l.unitFen), itemTotal: String(l.quantity), wareId: 9000 + i })),
    couponDetailList: o.discountFen > 0 ? [{ orderId: Number(o.id), couponType: '41-京券', couponPrice: yuan(o.discountFen) }] : [],
  };
}

// Douyin -------------------------------------------------------------------------------------------------

export function douyinOrder(o: SimOrder): Record<string, unknown> {
  const status = o.status === 'cancelled' ? 4 : o.status === 'shipped' ? 3 : o.status === 'paid' ? 2 : 1;
  const ps = o.presale;
  return {
    order_id: o.id,
    shop_id: 77001,
    order_status: ps && ps.depositPaidAt && !ps.balancePaidAt && status === 1 ? 1 : status,
    trade_type: ps ? 2 : 0,
    create_time: unixSeconds(o.createdAt),
    pay_time: o.paidAt ? unixSeconds(o.paidAt) : 0,
    update_time: unixSeconds(o.modifiedAt),
    order_amount: o.paidFen,
    pay_amount: o.paidFen,
    post_amount: o.shippingFen,
    promotion_amount: o.discountFen,
    ...(o.buyerRemark ? { buyer_words: o.buyerRemark } : {}),
    ...(o.sellerMemo ? { seller_words: o.sellerMemo } : {}),
    doudian_open_id: o.buyerKey,
    open_address_id: o.addressKey,
    encrypt_post_receiver: `#${o.receiver.name}##cipher##`,
    mask_post_receiver: o.receiver.name,
    encrypt_post_tel: `$${o.receiver.phone.slice(0, 3)}$cipher$`,
    mask_post_tel: o.receiver.phone,
    post_addr: { province: { name: o.receiver.province }, city: { name: o.receiver.city }, town: { name: o.receiver.district }, detail: o.receiver.detail },
    ...(ps
      ? {
          order_phase_list: [
            { current_phase: 1, phase_payable_price: ps.depositFen, pay_success: ps.depositPaidAt !== undefined, phase_pay_time: ps.depositPaidAt ? unixSeconds(ps.depositPaidAt) : 0 },
            {
              current_phase: 2,
              phase_payable_price: o.paidFen - ps.depositFen,
              pay_success: ps.balancePaidAt !== undefined,
              phase_pay_time: ps.balancePaidAt ? unixSeconds(ps.balancePaidAt) : 0,
              phase_close_time: unixSeconds(ps.balanceDueAt),
            },
          ],
        }
      : {}),
    sku_order_list: o.lines.map((l) => ({
      order_id: l.lineId,
      parent_order_id: o.id,
      product_name: l.title,
      code: l.skuCode,
      item_num: l.quantity,
      origin_amount: l.unitFen * l.quantity,
      sum_amount: l.unitFen * l.quantity,
      pay_amount: l.paidFen,
      pre_sale_type: ps ? 2 : 0,
      after_sale_info: { after_sale_status: 0, refund_status: 0 },
    })),
  };
}

// PDD --------------------------------------------------------------------------------------------------------

const yuanNumber = (fen: number): number => Number(yuan(fen));

export function pddOrder(o: SimOrder): Record<string, unknown> {
  const ps = o.presale;
  const stage = ps ? (ps.balancePaidAt ? 3 : ps.depositPaidAt ? 2 : 1) : undefined;
  const payTime = ps ? (ps.balancePaidAt ?? ps.depositPaidAt) : o.paidAt;
  return {
    order_sn: o.id,
    order_status: o.status === 'shipped' ? 2 : 1,
    refund_status: 1,
    confirm_status: o.status === 'cancelled' ? 2 : o.status === 'awaiting_payment' && !ps ? 0 : 1,
    trade_type: ps ? 1 : 0,
    ...(ps ? { step_order_info: { step_trade_status: stage, advanced_paid_fee: yuan(ps.depositFen) } } : {}),
    created_time: bj(o.createdAt),
    ...(payTime ? { pay_time: bj(payTime) } : {}),
    updated_at: bj(o.modifiedAt),
    goods_amount: yuanNumber(goodsFen(o)),
    discount_amount: yuanNumber(o.discountFen),
    seller_discount: yuanNumber(o.discountFen),
    platform_discount: 0,
    postage: yuanNumber(o.shippingFen),
    pay_amount: yuanNumber(o.paidFen),
    ...(o.buyerRemark ? { buyer_memo: o.buyerRemark } : {}),
    ...(o.sellerMemo ? { remark: o.sellerMemo } : {}),
    receiver_name: '~cipher~0~',
    receiver_name_mask: o.receiver.name,
    receiver_phone: `$cipher-${o.addressKey}$`,
    receiver_phone_mask: o.receiver.phone,
    receiver_address: '~cipher~0~',
    receiver_address_mask: o.receiver.detail,
    open_address_id: o.addressKey,
    province: o.receiver.province,
    city: o.receiver.city,
    town: o.receiver.district,
    item_list: o.lines.map((l) => ({ goods_id: 512345678901, goods_name: l.title, sku_id: Number(l.lineId), outer_id: l.skuCode, goods_price: yuanNumber(l.unitFen), goods_count: l.quantity })),
  };
}

export function pddListItem(o: SimOrder): Record<string, unknown> {
  return { order_sn: o.id, order_status: o.status === 'shipped' ? 2 : 1, updated_at: bj(o.modifiedAt) };
}
