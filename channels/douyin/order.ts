import type { CanonicalOrderInput, OrderLine } from '../../domain/order.js';
import { sumFen, type Fen } from '../../domain/money.js';
import { ChannelPayloadError, fenField, field, objectArray, optId, optInt, optObject, optString, reqId, reqInt, unixToUtc } from '../common.js';
import { opaqueKeyFrom, receiverCiphertexts, splitValue } from '../cipher.js';
import type { JsonObject } from '../json.js';
import type { ChannelOrderState, MapContext, MappedOrder } from '../types.js';

const STATES: Readonly<Record<string, ChannelOrderState>> = {
  '1': 'awaiting_payment',
  '105': 'awaiting_shipment',
  '2': 'awaiting_shipment',
  '101': 'partly_shipped',
  '3': 'shipped',
  '4': 'cancelled',
  '5': 'completed',
};

/** Deposit presale; 3 (订金找货) is also paid in two stages. */
const STAGED_TRADE_TYPES = new Set([2, 3]);

function time(o: JsonObject, key: string): string | undefined {
  const v = optInt(o, key);
  // Douyin writes 0 for a time that has not happened.
  return v ? unixToUtc(v) : undefined;
}

/**
 * (?) Line prices: `origin_amount` is taken as the line's price x quantity before discounts, `pay_amount`
 * as what the buyer paid for the line. The reference lists both without saying which is per unit.
 */
export function douyinLineAmounts(sku: JsonObject, where: string): { quantity: number; unitPriceFen: Fen; paidFen: Fen } {
  const quantity = reqInt(sku, 'item_num', where);
  const gross = fenField(sku, 'origin_amount') ?? fenField(sku, 'sum_amount');
  if (gross === undefined) throw new ChannelPayloadError(`${where}: missing origin_amount`);
  if (quantity <= 0 || gross % quantity !== 0) throw new ChannelPayloadError(`${where}: origin_amount ${gross} is not a multiple of item_num ${quantity}`);
  return { quantity, unitPriceFen: gross / quantity, paidFen: fenField(sku, 'pay_amount') ?? gross };
}

/**
 * (?) Stages of a presale order from `order_phase_list` [{current_phase, phase_payable_price (fen),
 * pay_success, phase_pay_time (unix s), phase_close_time}], phase 1 the deposit, 2 the balance.
 * Without that list the deposit is unknown and the whole amount counts as balance.
 */
export function douyinPresale(o: JsonObject, paidFen: Fen): CanonicalOrderInput['presale'] {
  const tradeType = optInt(o, 'trade_type');
  if (tradeType === undefined || !STAGED_TRADE_TYPES.has(tradeType)) return undefined;
  const phases = objectArray(o, 'order_phase_list');
  const phase = (n: number): JsonObject | undefined => phases.find((p) => optInt(p, 'current_phase') === n);
  const deposit = phase(1);
  const balance = phase(2);
  const depositFen = Math.min(deposit ? (fenField(deposit, 'phase_payable_price') ?? 0) : 0, paidFen);
  const paid = (p: JsonObject | undefined): string | undefined => (p && field(p, 'pay_success') === true ? time(p, 'phase_pay_time') : undefined);
  const depositPaidAt = paid(deposit);
  const balancePaidAt = paid(balance);
  const balanceDueAt = balance ? time(balance, 'phase_close_time') : undefined;
  return {
    depositFen,
    balanceFen: paidFen - depositFen,
    ...(depositPaidAt ? { depositPaidAt } : {}),
    ...(balancePaidAt ? { balancePaidAt } : {}),
    ...(balanceDueAt ? { balanceDueAt } : {}),
  };
}

/** Douyin's post_addr levels: `town` is the district (区县), `street` the township (乡镇街道). */
function regionName(addr: JsonObject, key: string): string {
  const level = optObject(addr, key);
  return (level ? optString(level, 'name') : optString(addr, key)) ?? '';
}

type DouyinCiphertexts = { name: string | undefined; phone: string | undefined; detail: string | undefined };

/** The levels of post_addr, in the order province, city, district, township. */
const REGION_LEVELS = ['province', 'city', 'town', 'street'] as const;

/**
 * The receiver as Douyin sends it now: masked name and phone (`mask_post_receiver`, `mask_post_tel`) for
 * display, their ciphertexts (`encrypt_post_receiver`, `encrypt_post_tel`) for `order.batchDecrypt`, the street
 * in `post_addr.encrypt_detail` (masked in `mask_post_addr.detail` when sent), the region in plain text.
 * A `post_addr.detail` that is itself a ciphertext is kept as one, never shown.
 */
export function douyinReceiverFields(o: JsonObject): { name: string; phone: string; detail: string; encrypted: DouyinCiphertexts } {
  const addr = optObject(o, 'post_addr') ?? {};
  const maskAddr = optObject(o, 'mask_post_addr') ?? {};
  const name = splitValue(optString(o, 'mask_post_receiver'));
  const phone = splitValue(optString(o, 'mask_post_tel'));
  const detail = splitValue(optString(maskAddr, 'detail') ?? optString(addr, 'detail'));
  return {
    name: name.shown ?? '',
    phone: phone.shown ?? '',
    detail: detail.shown ?? '',
    encrypted: {
      name: optString(o, 'encrypt_post_receiver') ?? name.cipher,
      phone: optString(o, 'encrypt_post_tel') ?? phone.cipher,
      detail: optString(addr, 'encrypt_detail') ?? detail.cipher,
    },
  };
}

/**
 * (?) The buyer and address keys. `doudian_open_id` is Douyin's opaque buyer id; `open_id` is taken where an
 * older payload carries that instead, and `open_address_id` as the address id (and buyer key of last resort)
 * where sent. A payload with none of them (e.g. an order detail with only `encrypt_*` and `mask_*` receiver
 * fields) gets keys derived from the receiver ciphertexts (`opaqueKeyFrom`): never empty, and merging only
 * orders whose ciphertexts agree.
 */
export function douyinBuyerKeys(o: JsonObject, encrypted: DouyinCiphertexts): { buyerKey: string; addressKey?: string } {
  const buyerKey = optString(o, 'doudian_open_id') ?? optString(o, 'open_id') ?? optString(o, 'open_address_id') ?? opaqueKeyFrom('dyc', [encrypted.name, encrypted.phone]) ?? '';
  const addressKey = optString(o, 'open_address_id') ?? (encrypted.detail ? opaqueKeyFrom('dyc', [encrypted.name, encrypted.phone, encrypted.detail]) : undefined);
  return { buyerKey, ...(addressKey ? { addressKey } : {}) };
}

/** Maps `data.shop_order_detail` (or a searchList item) to the canonical order. */
export function mapDouyinOrder(o: JsonObject, ctx: MapContext): MappedOrder {
  const platformOrderId = reqId(o, 'order_id', 'Douyin order');
  const where = `Douyin order ${platformOrderId}`;
  const status = optId(o, 'order_status') ?? '';

  const skus = objectArray(o, 'sku_order_list');
  const lines: OrderLine[] = [];
  const refundLineIds: string[] = [];
  skus.forEach((sku, i) => {
    const w = `${where} sku ${i}`;
    const { quantity, unitPriceFen, paidFen } = douyinLineAmounts(sku, w);
    const lineId = optId(sku, 'order_id');
    const title = optString(sku, 'product_name');
    lines.push({
      ...(lineId ? { lineId } : {}),
      skuCode: optString(sku, 'code') ?? optString(sku, 'out_sku_id') ?? '',
      ...(title ? { title } : {}),
      quantity,
      unitPriceFen,
      discountFen: Math.max(0, unitPriceFen * quantity - paidFen),
      paidFen,
    });
    const afterSale = optObject(sku, 'after_sale_info');
    if (lineId && afterSale && (optInt(afterSale, 'after_sale_status') ?? 0) > 0) refundLineIds.push(lineId);
  });

  const goodsFen = sumFen(lines.map((l) => l.unitPriceFen * l.quantity));
  const shippingFen = fenField(o, 'post_amount') ?? 0;
  const paidFen = fenField(o, 'pay_amount') ?? 0;
  const discountFen = fenField(o, 'promotion_amount') ?? Math.max(0, goodsFen + shippingFen - paidFen);

  const presale = douyinPresale(o, paidFen);
  let state = STATES[status] ?? 'on_hold';
  if (presale && presale.depositPaidAt && !presale.balancePaidAt && (state === 'awaiting_payment' || state === 'awaiting_shipment')) {
    state = 'deposit_paid';
  }

  // The region is plain text in post_addr; mask_post_addr repeats it where post_addr leaves a level out.
  const addr = optObject(o, 'post_addr') ?? {};
  const maskAddr = optObject(o, 'mask_post_addr') ?? {};
  const [province, city, district, street] = REGION_LEVELS.map((level) => regionName(addr, level) || regionName(maskAddr, level));
  const shown = douyinReceiverFields(o);
  const encrypted = receiverCiphertexts(shown.encrypted);
  const { buyerKey, addressKey } = douyinBuyerKeys(o, shown.encrypted);
  const buyerRemark = optString(o, 'buyer_words');
  const sellerMemo = optString(o, 'seller_words');
  const paidAt = presale ? presale.balancePaidAt : time(o, 'pay_time');
  const updatedAt = time(o, 'update_time');
  const createdAt = time(o, 'create_time');
  if (!createdAt) throw new ChannelPayloadError(`${where}: missing create_time`);

  const order: CanonicalOrderInput = {
    platform: 'douyin',
    shopId: ctx.shopId,
    platformOrderId,
    buyerKey,
    receiver: {
      name: shown.name,
      phone: shown.phone,
      province: province ?? '',
      city: city ?? '',
      district: district ?? '',
      ...(street ? { town: street } : {}),
      detail: shown.detail,
      ...(addressKey ? { addressKey } : {}),
      ...(encrypted ? { encrypted } : {}),
    },
    lines,
    amounts: { goodsFen, shippingFen, discountFen, paidFen },
    ...(presale ? { presale } : {}),
    ...(buyerRemark ? { buyerRemark } : {}),
    ...(sellerMemo ? { sellerMemo } : {}),
    createdAt,
    ...(paidAt ? { paidAt } : {}),
    ...(updatedAt ? { updatedAt } : {}),
  };
  return { order, state, platformStatus: status, refundLineIds };
}
