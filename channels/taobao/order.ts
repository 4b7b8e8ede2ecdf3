import type { CanonicalOrderInput, OrderLine } from '../../domain/order.js';
import { sumFen, type Fen } from '../../domain/money.js';
import {
  beijingToUtc,
  ChannelPayloadError,
  objectArray,
  optId,
  optObject,
  optString,
  reqInt,
  reqString,
  yuanField,
} from '../common.js';
import { opaqueKeyFrom, receiverCiphertexts, splitValue } from '../cipher.js';
import type { JsonObject } from '../json.js';
import type { ChannelOrderState, MapContext, MappedOrder } from '../types.js';

const STATES: Readonly<Record<string, ChannelOrderState>> = {
  TRADE_NO_CREATE_PAY: 'awaiting_payment',
  WAIT_BUYER_PAY: 'awaiting_payment',
  PAY_PENDING: 'awaiting_payment',
  WAIT_PRE_AUTH_CONFIRM: 'awaiting_payment',
  WAIT_SELLER_SEND_GOODS: 'awaiting_shipment',
  // Paid, but the platform forbids shipping for now (e.g. a group buy still forming).
  PAID_FORBID_CONSIGN: 'on_hold',
  SELLER_CONSIGNED_PART: 'partly_shipped',
  WAIT_BUYER_CONFIRM_GOODS: 'shipped',
  TRADE_BUYER_SIGNED: 'shipped',
  TRADE_FINISHED: 'completed',
  TRADE_CLOSED: 'cancelled',
  TRADE_CLOSED_BY_TAOBAO: 'cancelled',
};

/** Line refund statuses that mean no after-sale is open or done. NO_REFUND is (?) in the reference. */
const NO_REFUND = new Set(['NO_REFUND', 'CLOSED', '']);

function lineOf(o: JsonObject, where: string): { line: OrderLine; refunding: boolean } {
  const lineId = optId(o, 'oid');
  const quantity = reqInt(o, 'num', where);
  const unitPriceFen = yuanField(o, 'price');
  if (unitPriceFen === undefined) throw new ChannelPayloadError(`${where}: missing price`);
  const gross = unitPriceFen * quantity;
  // divide_order_fee is the line's share after order-level discounts; payment predates that split.
  const paidFen = yuanField(o, 'divide_order_fee') ?? yuanField(o, 'payment') ?? gross;
  const title = optString(o, 'title');
  return {
    line: {
      ...(lineId ? { lineId } : {}),
      skuCode: optString(o, 'outer_sku_id') ?? optString(o, 'outer_iid') ?? '',
      ...(title ? { title } : {}),
      quantity,
      unitPriceFen,
      discountFen: Math.max(0, gross - paidFen),
      paidFen,
    },
    refunding: !NO_REFUND.has(optString(o, 'refund_status') ?? ''),
  };
}

/**
 * (?) The fullinfo fields in the reference carry the stage that is paid (step_trade_status) and the
 * amount paid so far (step_paid_fee), but no time per stage: `pay_time` is taken as the time the latest
 * stage was paid.
 */
export function taobaoPresale(trade: JsonObject, paidFen: Fen): CanonicalOrderInput['presale'] {
  const stage = optString(trade, 'step_trade_status');
  if (optString(trade, 'type') !== 'step' && stage === undefined) return undefined;
  const depositFen = Math.min(yuanField(trade, 'step_paid_fee') ?? 0, paidFen);
  const payTime = optString(trade, 'pay_time');
  const paidAt = payTime ? beijingToUtc(payTime) : undefined;
  return {
    depositFen,
    balanceFen: paidFen - depositFen,
    ...(stage === 'FRONT_PAID_FINAL_NOPAID' && paidAt ? { depositPaidAt: paidAt } : {}),
    ...(stage === 'FRONT_PAID_FINAL_PAID' && paidAt ? { balancePaidAt: paidAt } : {}),
  };
}

/**
 * The receiver as TOP sends it now: masked `receiver_name`, `receiver_mobile`/`receiver_phone` and
 * `receiver_address` with the `oaid` that `taobao.top.oaid.decrypt` (and Cainiao waybills) take instead of
 * plaintext. Shops still on the older TOP encryption get ciphertexts in the same fields (`~…~1~~`, `$…$1$$`):
 * those are kept as ciphertexts, never shown.
 */
export function taobaoReceiverFields(trade: JsonObject): { name: string; phone: string; detail: string; encrypted: { name: string | undefined; phone: string | undefined; detail: string | undefined } } {
  const name = splitValue(optString(trade, 'receiver_name'));
  const mobile = splitValue(optString(trade, 'receiver_mobile'));
  const landline = splitValue(optString(trade, 'receiver_phone'));
  const detail = splitValue(optString(trade, 'receiver_address'));
  return {
    name: name.shown ?? '',
    phone: mobile.shown ?? landline.shown ?? '',
    detail: detail.shown ?? '',
    encrypted: { name: name.cipher, phone: mobile.cipher ?? landline.cipher, detail: detail.cipher },
  };
}

/** Maps `trade_fullinfo_get_response.trade` to the canonical order. */
export function mapTaobaoOrder(trade: JsonObject, ctx: MapContext): MappedOrder {
  const platformOrderId = optString(trade, 'tid_str') ?? optId(trade, 'tid');
  if (!platformOrderId) throw new ChannelPayloadError('Taobao trade: missing tid');
  const where = `Taobao trade ${platformOrderId}`;
  const status = reqString(trade, 'status', where);

  const items = objectArray(optObject(trade, 'orders') ?? {}, 'order');
  const mapped = items.map((o, i) => lineOf(o, `${where} line ${i}`));
  const lines = mapped.map((m) => m.line);

  const goodsFen = yuanField(trade, 'total_fee') ?? sumFen(lines.map((l) => l.unitPriceFen * l.quantity));
  const shippingFen = yuanField(trade, 'post_fee') ?? 0;
  const paidFen = yuanField(trade, 'payment') ?? 0;
  // TOP's trade discount_fee leaves out some promotions; what the buyer did not pay is the discount.
  const discountFen = Math.max(0, goodsFen + shippingFen - paidFen);

  const presale = taobaoPresale(trade, paidFen);
  const stage = optString(trade, 'step_trade_status');
  let state = STATES[status] ?? 'on_hold';
  if (presale && state === 'awaiting_payment' && stage === 'FRONT_PAID_FINAL_NOPAID') state = 'deposit_paid';

  const payTime = optString(trade, 'pay_time');
  const paidAt = payTime && (!presale || stage === 'FRONT_PAID_FINAL_PAID') ? beijingToUtc(payTime) : undefined;
  const modified = optString(trade, 'modified');
  const oaid = optString(trade, 'oaid');
  const buyerMessage = optString(trade, 'buyer_message');
  const sellerMemo = optString(trade, 'seller_memo');
  const shown = taobaoReceiverFields(trade);
  const encrypted = receiverCiphertexts(shown.encrypted);
  const town = optString(trade, 'receiver_town');
  const zip = optString(trade, 'receiver_zip');

  const order: CanonicalOrderInput = {
    platform: 'taobao',
    shopId: ctx.shopId,
    platformOrderId,
    // (?) An order without buyer_open_uid or oaid (older encryption) is keyed by its receiver ciphertexts.
    buyerKey: optString(trade, 'buyer_open_uid') ?? oaid ?? opaqueKeyFrom('tbc', [shown.encrypted.name, shown.encrypted.phone]) ?? '',
    receiver: {
      name: shown.name,
      phone: shown.phone,
      province: optString(trade, 'receiver_state') ?? '',
      // A county directly under a province comes with no city.
      city: optString(trade, 'receiver_city') ?? '',
      district: optString(trade, 'receiver_district') ?? '',
      ...(town ? { town } : {}),
      detail: shown.detail,
      ...(zip ? { postalCode: zip } : {}),
      ...(oaid ? { addressKey: oaid } : {}),
      ...(encrypted ? { encrypted } : {}),
    },
    lines,
    amounts: { goodsFen, shippingFen, discountFen, paidFen },
    ...(presale ? { presale } : {}),
    ...(buyerMessage ? { buyerRemark: buyerMessage } : {}),
    ...(sellerMemo ? { sellerMemo } : {}),
    createdAt: beijingToUtc(reqString(trade, 'created', where)),
    ...(paidAt ? { paidAt } : {}),
    ...(modified ? { updatedAt: beijingToUtc(modified) } : {}),
  };
  return {
    order,
    state,
    platformStatus: stage ? `${status}/${stage}` : status,
    refundLineIds: mapped.flatMap((m) => (m.refunding && m.line.lineId ? [m.line.lineId] : [])),
  };
}
