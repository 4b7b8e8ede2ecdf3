import type { CanonicalOrderInput, OrderLine } from '../../domain/order.js';
import type { Fen } from '../../domain/money.js';
import { allocate, beijingToUtc, ChannelPayloadError, objectArray, optId, optInt, optObject, optString, reqInt, reqString, yuanField } from '../common.js';
import { opaqueKeyFrom, receiverCiphertexts, splitValue } from '../cipher.js';
import type { JsonObject } from '../json.js';
import type { ChannelOrderState, MapContext, MappedOrder } from '../types.js';

const BY_ORDER_STATUS: Readonly<Record<number, ChannelOrderState>> = {
  1: 'awaiting_shipment',
  2: 'shipped',
  3: 'completed',
};

/** confirm_status 0 (group not formed yet) holds the order; 2 cancels it; refund_status 4 is fully refunded. */
function stateOf(o: JsonObject): ChannelOrderState {
  const confirm = optInt(o, 'confirm_status');
  if (confirm === 2 || optInt(o, 'refund_status') === 4) return 'cancelled';
  if (confirm === 0) return 'on_hold';
  return BY_ORDER_STATUS[optInt(o, 'order_status') ?? 0] ?? 'on_hold';
}

function optTime(o: JsonObject, key: string): string | undefined {
  const v = optString(o, key);
  return v ? beijingToUtc(v) : undefined;
}

/**
 * (?) Deposit orders (trade_type 1): `step_order_info.advanced_paid_fee` is the deposit (yuan) and
 * step_trade_status 1/2/3 means nothing paid / deposit paid / balance paid; `pay_time` is the time of the
 * latest paid stage. The reference names the fields without defining them.
 */
export function pddPresale(o: JsonObject, paidFen: Fen): CanonicalOrderInput['presale'] {
  if (optInt(o, 'trade_type') !== 1) return undefined;
  const step = optObject(o, 'step_order_info') ?? {};
  const stage = optInt(step, 'step_trade_status');
  const depositFen = Math.min(yuanField(step, 'advanced_paid_fee') ?? 0, paidFen);
  const payTime = optTime(o, 'pay_time');
  return {
    depositFen,
    balanceFen: paidFen - depositFen,
    ...(stage === 2 && payTime ? { depositPaidAt: payTime } : {}),
    ...(stage === 3 && payTime ? { balancePaidAt: payTime } : {}),
  };
}

/**
 * The receiver as PDD sends it: `receiver_name`, `receiver_phone` and `receiver_address` (the street, without
 * the region) are ciphertexts for `pdd.open.decrypt.batch`, their `*_mask` twins are for display, and
 * province/city/town come in plain text. A field PDD sends in plain text (older payloads) is shown as it is.
 */
export function pddReceiverFields(o: JsonObject): { name: string; phone: string; detail: string; encrypted: { name: string | undefined; phone: string | undefined; detail: string | undefined } } {
  const name = splitValue(optString(o, 'receiver_name'));
  const phone = splitValue(optString(o, 'receiver_phone'));
  const detail = splitValue(optString(o, 'receiver_address'));
  return {
    name: optString(o, 'receiver_name_mask') ?? name.shown ?? '',
    phone: optString(o, 'receiver_phone_mask') ?? phone.shown ?? '',
    detail: optString(o, 'receiver_address_mask') ?? detail.shown ?? '',
    encrypted: { name: name.cipher, phone: phone.cipher, detail: detail.cipher },
  };
}

/**
 * (?) PDD names no buyer id in the order. The opaque address id (`open_address_id`) is the address key and
 * buyer key where sent; otherwise the receiver phone ciphertext stands in for the buyer (digested when longer
 * than a key may be), and a digest of the receiver ciphertexts for the address, so that two orders merge only
 * when PDD encrypted the same receiver the same way.
 */
export function pddBuyerKeys(o: JsonObject, encrypted: { name: string | undefined; phone: string | undefined; detail: string | undefined }): { buyerKey: string; addressKey?: string } {
  const openAddressId = optString(o, 'open_address_id');
  const phone = encrypted.phone && encrypted.phone.length <= 200 ? encrypted.phone : opaqueKeyFrom('pddc', [encrypted.phone]);
  const addressKey = openAddressId ?? (encrypted.detail ? opaqueKeyFrom('pddc', [encrypted.name, encrypted.phone, encrypted.detail]) : undefined);
  return { buyerKey: openAddressId ?? phone ?? addressKey ?? '', ...(addressKey ? { addressKey } : {}) };
}

/** Maps `order_info_get_response.order_info` to the canonical order. */
export function mapPddOrder(o: JsonObject, ctx: MapContext): MappedOrder {
  const platformOrderId = reqString(o, 'order_sn', 'PDD order');
  const where = `PDD order ${platformOrderId}`;

  const items = objectArray(o, 'item_list');
  const priced = items.map((it, i) => {
    const unit = yuanField(it, 'goods_price');
    if (unit === undefined) throw new ChannelPayloadError(`${where} item ${i}: missing goods_price`);
    return { it, unit, quantity: reqInt(it, 'goods_count', `${where} item ${i}`) };
  });
  const gross = priced.map((p) => p.unit * p.quantity);

  const goodsFen = yuanField(o, 'goods_amount') ?? gross.reduce((a, b) => a + b, 0);
  const shippingFen = yuanField(o, 'postage') ?? 0;
  const paidFen = yuanField(o, 'pay_amount') ?? 0;
  const sellerDiscount = yuanField(o, 'seller_discount') ?? 0;
  const platformDiscount = yuanField(o, 'platform_discount') ?? 0;
  const discountFen = yuanField(o, 'discount_amount') ?? sellerDiscount + platformDiscount;
  // PDD discounts are order-level; lines get a share by value so that line payments add up.
  const shares = allocate(discountFen, gross);

  const refunding = (optInt(o, 'refund_status') ?? 1) > 1;
  const lines: OrderLine[] = priced.map(({ it, unit, quantity }, i) => {
    const lineId = optId(it, 'sku_id');
    const title = [optString(it, 'goods_name'), optString(it, 'goods_spec')].filter(Boolean).join(' ');
    const share = shares[i] ?? 0;
    return {
      ...(lineId ? { lineId } : {}),
      skuCode: optString(it, 'outer_id') ?? optString(it, 'outer_goods_id') ?? '',
      ...(title ? { title } : {}),
      quantity,
      unitPriceFen: unit,
      discountFen: share,
      paidFen: unit * quantity - share,
    };
  });

  const presale = pddPresale(o, paidFen);
  let state = stateOf(o);
  if (presale && presale.depositPaidAt && !presale.balancePaidAt && state !== 'cancelled') state = 'deposit_paid';

  const discounts: NonNullable<CanonicalOrderInput['discounts']> = [];
  if (sellerDiscount > 0) discounts.push({ kind: 'seller', amountFen: sellerDiscount });
  if (platformDiscount > 0) discounts.push({ kind: 'platform', amountFen: platformDiscount });

  const shown = pddReceiverFields(o);
  const encrypted = receiverCiphertexts(shown.encrypted);
  const { buyerKey, addressKey } = pddBuyerKeys(o, shown.encrypted);
  const buyerRemark = optString(o, 'buyer_memo');
  const sellerMemo = optString(o, 'remark');
  const payTime = optTime(o, 'pay_time');
  const paidAt = presale ? presale.balancePaidAt : payTime;
  const updatedAt = optTime(o, 'updated_at');

  const order: CanonicalOrderInput = {
    platform: 'pdd',
    shopId: ctx.shopId,
    platformOrderId,
    buyerKey,
    receiver: {
      name: shown.name,
      phone: shown.phone,
      province: optString(o, 'province') ?? '',
      city: optString(o, 'city') ?? '',
      // PDD's `town` is the district (区县).
      district: optString(o, 'town') ?? '',
      detail: shown.detail,
      ...(addressKey ? { addressKey } : {}),
      ...(encrypted ? { encrypted } : {}),
    },
    lines,
    amounts: { goodsFen, shippingFen, discountFen, paidFen },
    discounts,
    ...(presale ? { presale } : {}),
    ...(buyerRemark ? { buyerRemark } : {}),
    ...(sellerMemo ? { sellerMemo } : {}),
    createdAt: beijingToUtc(reqString(o, 'created_time', where)),
    ...(paidAt ? { paidAt } : {}),
    ...(updatedAt ? { updatedAt } : {}),
  };
  const platformStatus = `order_status=${optString(o, 'order_status') ?? ''} refund_status=${optString(o, 'refund_status') ?? ''} confirm_status=${optString(o, 'confirm_status') ?? ''}`;
  return { order, state, platformStatus, refundLineIds: refunding ? lines.flatMap((l) => (l.lineId ? [l.lineId] : [])) : [] };
}
