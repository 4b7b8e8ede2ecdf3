import { createHash } from 'node:crypto';
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
/** Some packages have left and some lines have not. */
const partlyShipped = (o: SimOrder): boolean => (o.parcels?.length ?? 0) > 0 && o.status !== 'shipped' && o.status !== 'cancelled';
const parcelOf = (o: SimOrder, lineId: string) => o.parcels?.find((p) => p.lineIds.includes(lineId));
const goodsFen = (o: SimOrder): number => o.lines.reduce((s, l) => s + l.unitFen * l.quantity, 0);

// Buyer data ------------------------------------------------------------------------------------------

type SimField = 'name' | 'phone' | 'detail';

/**
 * A simulated ciphertext of one receiver field: a digest of the shop, field and plaintext (so the same receiver
 * encrypts the same way within a shop, as the index part of real ciphertexts allows), in base64 with its
 * `+`, `/` and `=`. Only the simulator's decrypt methods map it back, by looking at the order it names.
 */
function cipherBody(o: SimOrder, field: SimField, size = 44): string {
  const blocks = [createHash('sha256').update(`${o.platform}|${o.shopKey}|${field}|${o.plain[field]}`, 'utf8').digest()];
  while (blocks.length * 32 < size) blocks.push(createHash('sha256').update(blocks[blocks.length - 1]!).digest());
  return Buffer.concat(blocks).toString('base64').slice(0, size - 2) + '==';
}

/** The shop's key-version part after `*` in a Douyin ciphertext. */
const douyinKeyInfo = (o: SimOrder): string => `CgYIASAHKAESPgo8${createHash('sha256').update(o.shopKey).digest('base64').slice(0, 40)}GgA=`;

/** Douyin's envelopes: `##<cipher>*<key info>#1##` for names and streets, `$$<cipher>*<key info>$1$$` for phones. */
export function douyinCiphertexts(o: SimOrder): Record<SimField, string> {
  return {
    name: `##${cipherBody(o, 'name', 88)}*${douyinKeyInfo(o)}#1##`,
    phone: `$$${cipherBody(o, 'phone', 88)}*${douyinKeyInfo(o)}$1$$`,
    // An order without a street has nothing to encrypt: the platform sends no ciphertext for it.
    detail: o.plain.detail ? `##${cipherBody(o, 'detail', 132)}*${douyinKeyInfo(o)}#1##` : '',
  };
}

/** PDD's envelopes: `~<cipher>~0~` for names and addresses, `$<last four digits>$<cipher>$1$` for phones. */
export function pddCiphertexts(o: SimOrder): Record<SimField, string> {
  return {
    name: `~AgAAAA${cipherBody(o, 'name')}~0~`,
    phone: `$${o.plain.phone.slice(-4)}$AgAAAA${cipherBody(o, 'phone')}$1$`,
    detail: o.plain.detail ? `~AgAAAA${cipherBody(o, 'detail', 64)}~0~` : '',
  };
}

// Taobao ----------------------------------------------------------------------------------------------

function taobaoStatus(o: SimOrder): { status: string; step?: string } {
  if (o.status === 'cancelled') return { status: 'TRADE_CLOSED' };
  if (o.status === 'shipped') return { status: 'WAIT_BUYER_CONFIRM_GOODS', ...(o.presale ? { step: 'FRONT_PAID_FINAL_PAID' } : {}) };
  if (partlyShipped(o)) return { status: 'SELLER_CONSIGNED_PART', ...(o.presale ? { step: 'FRONT_PAID_FINAL_PAID' } : {}) };
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
        refund_status: l.refund === 'refunded' ? 'SUCCESS' : l.refund === 'requested' ? 'WAIT_SELLER_AGREE' : 'NO_REFUND',
        // A consigned sub-order names its package's waybill.
        ...(parcelOf(o, l.lineId) ? { invoice_no: parcelOf(o, l.lineId)!.trackingNo, logistics_company: parcelOf(o, l.lineId)!.carrierCode } : {}),
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
    // (?) JD's opaque receiver address id, as its oaid decryption takes it.
    oaid: o.addressKey,
    consigneeInfo: { fullname: r.name, mobile: r.phone, telephone: '', fullAddress: `${r.province}${r.city}${r.district}${r.detail}`, province: r.province, city: r.city, county: r.district },
    itemInfoList: o.lines.map((l, i) => ({ skuId: Number(`${100000000 + i}${o.id.slice(-3)}`), outerSkuId: l.skuCode, skuName: l.title, jdPrice: yuan(l.unitFen), itemTotal: String(l.quantity), wareId: 9000 + i })),
    couponDetailList: o.discountFen > 0 ? [{ orderId: Number(o.id), couponType: '41-京券', couponPrice: yuan(o.discountFen) }] : [],
    ...(o.parcels?.length ? jdWaybill(o) : {}),
  };
}

/** JD's waybill fields: company ids joined by "|", per company its waybills joined by ",". */
function jdWaybill(o: SimOrder): { waybill: string; logisticsId: string } {
  const groups = new Map<string, string[]>();
  for (const p of o.parcels ?? []) groups.set(p.carrierCode, [...(groups.get(p.carrierCode) ?? []), p.trackingNo]);
  return { logisticsId: [...groups.keys()].join('|'), waybill: [...groups.values()].map((g) => g.join(',')).join('|') };
}

// Douyin -------------------------------------------------------------------------------------------------

export function douyinOrder(o: SimOrder): Record<string, unknown> {
  const status = o.status === 'cancelled' ? 4 : o.status === 'shipped' ? 3 : partlyShipped(o) ? 101 : o.status === 'paid' ? 2 : 1;
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
    encrypt_post_receiver: douyinCiphertexts(o).name,
    mask_post_receiver: o.receiver.name,
    encrypt_post_tel: douyinCiphertexts(o).phone,
    mask_post_tel: o.receiver.phone,
    // The region in plain text; the street only encrypted, and masked in mask_post_addr.
    post_addr: { province: { name: o.receiver.province }, city: { name: o.receiver.city }, town: { name: o.receiver.district }, encrypt_detail: douyinCiphertexts(o).detail },
    mask_post_addr: { province: { name: o.receiver.province }, city: { name: o.receiver.city }, town: { name: o.receiver.district }, detail: o.receiver.detail },
    ...(o.parcels?.length
      ? {
          logistics_info: o.parcels.map((p, i) => ({
            tracking_no: p.trackingNo,
            company: p.carrierCode,
            delivery_id: `${o.id}-${i + 1}`,
            product_info: p.lineIds.map((id) => ({ sku_order_id: id, product_count: o.lines.find((l) => l.lineId === id)?.quantity ?? 0 })),
          })),
        }
      : {}),
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
      // (?) after_sale_status 6 "awaiting the seller", 12 "refunded"; refund_status 1 refunding, 3 refunded.
      after_sale_info: l.refund ? { after_sale_status: l.refund === 'refunded' ? 12 : 6, refund_status: l.refund === 'refunded' ? 3 : 1 } : { after_sale_status: 0, refund_status: 0 },
    })),
  };
}

// PDD --------------------------------------------------------------------------------------------------------

const yuanNumber = (fen: number): number => Number(yuan(fen));

function pddRefundStatus(o: SimOrder): number {
  if (o.lines.every((l) => l.refund === 'refunded')) return 4;
  if (o.lines.some((l) => l.refund === 'refunded')) return 3;
  return o.lines.some((l) => l.refund === 'requested') ? 2 : 1;
}

export function pddOrder(o: SimOrder): Record<string, unknown> {
  const ps = o.presale;
  const stage = ps ? (ps.balancePaidAt ? 3 : ps.depositPaidAt ? 2 : 1) : undefined;
  const payTime = ps ? (ps.balancePaidAt ?? ps.depositPaidAt) : o.paidAt;
  return {
    order_sn: o.id,
    order_status: o.status === 'shipped' ? 2 : 1,
    // PDD keeps after-sales per order: 2 after-sale requested, 3 refunding (a line paid out), 4 all refunded.
    refund_status: pddRefundStatus(o),
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
    receiver_name: pddCiphertexts(o).name,
    receiver_name_mask: o.receiver.name,
    receiver_phone: pddCiphertexts(o).phone,
    receiver_phone_mask: o.receiver.phone,
    receiver_address: pddCiphertexts(o).detail,
    receiver_address_mask: o.receiver.detail,
    province: o.receiver.province,
    city: o.receiver.city,
    town: o.receiver.district,
    item_list: o.lines.map((l) => ({ goods_id: 512345678901, goods_name: l.title, sku_id: Number(l.lineId), outer_id: l.skuCode, goods_price: yuanNumber(l.unitFen), goods_count: l.quantity })),
    // The shipment's tracking number, and those added for further packages.
    ...(o.parcels?.length
      ? {
          tracking_number: o.parcels[0]!.trackingNo,
          logistics_id: Number(o.parcels[0]!.carrierCode),
          extra_delivery_list: o.parcels.slice(1).map((p) => ({ logistics_id: Number(p.carrierCode), tracking_number: p.trackingNo })),
        }
      : {}),
  };
}

export function pddListItem(o: SimOrder): Record<string, unknown> {
  return { order_sn: o.id, order_status: o.status === 'shipped' ? 2 : 1, updated_at: bj(o.modifiedAt) };
}
