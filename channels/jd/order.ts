import type { CanonicalOrderInput, OrderLine } from '../../domain/order.js';
import type { Fen } from '../../domain/money.js';
import {
  allocate,
  beijingToUtc,
  ChannelPayloadError,
  objectArray,
  optId,
  optObject,
  optString,
  reqId,
  reqInt,
  reqString,
  yuanField,
} from '../common.js';
import { isWrappedCiphertext, opaqueKeyFrom, receiverCiphertexts, splitValue } from '../cipher.js';
import type { JsonObject } from '../json.js';
import type { ChannelOrderState, MapContext, MappedOrder } from '../types.js';

const STATES: Readonly<Record<string, ChannelOrderState>> = {
  WAIT_SELLER_STOCK_OUT: 'awaiting_shipment',
  WAIT_SELLER_DELIVERY: 'awaiting_shipment',
  WAIT_GOODS_RECEIVE_CONFIRM: 'shipped',
  FINISHED_L: 'completed',
  TRADE_CANCELED: 'cancelled',
  LOCKED: 'on_hold',
  PAUSE: 'on_hold',
  POP_ORDER_PAUSE: 'on_hold',
};

type DiscountKind = NonNullable<CanonicalOrderInput['discounts']>[number]['kind'];

/** (?) couponType is "<code>-<name>"; the codes below are the common ones in JOS samples. */
export function jdDiscountKind(couponType: string): DiscountKind {
  const code = couponType.split('-')[0];
  switch (code) {
    case '41':
      return 'coupon';
    case '39':
      return 'points';
    case '35':
      return 'threshold';
    case '30':
    case '100':
      return 'seller';
    case '34':
      return 'platform';
    default:
      return 'other';
  }
}

/** JOS fullAddress repeats the region names before the street; the canonical detail is the street part. */
function streetPart(full: string, regions: readonly (string | undefined)[]): string {
  let rest = full.trim();
  for (const r of regions) {
    if (r && rest.startsWith(r)) rest = rest.slice(r.length).trimStart();
  }
  return rest;
}

/**
 * (?) JOS masks consigneeInfo (`李*`, `139****1234`, `…科技园***`); shops on JD's encryption get ciphertexts in
 * the same fields instead. Those are taken to be base64 text of at least 24 characters with no mask character
 * (or the `~`/`$`/`#` envelope other platforms use): kept as ciphertexts, never shown.
 */
export function isJdCiphertext(value: string): boolean {
  const v = value.trim();
  return isWrappedCiphertext(v) || /^[A-Za-z0-9+/_-]{24,}={0,2}$/.test(v);
}

/**
 * (?) JD's opaque ids: `open_id_buyer` (or `xid_buyer`, its successor where sent) for the buyer, `oaid` for the
 * receiver address, where the API version sends them; `pin` last, as older payloads carry only that.
 */
export function jdBuyerKeys(o: JsonObject, c: JsonObject, encrypted: { name: string | undefined; phone: string | undefined }): { buyerKey: string; addressKey?: string } {
  const addressKey = optString(o, 'oaid') ?? optString(c, 'oaid');
  const buyerKey = optString(o, 'open_id_buyer') ?? optString(o, 'xid_buyer') ?? optString(o, 'pin') ?? addressKey ?? opaqueKeyFrom('jdc', [encrypted.name, encrypted.phone]) ?? '';
  return { buyerKey, ...(addressKey ? { addressKey } : {}) };
}

function optTime(o: JsonObject, key: string): string | undefined {
  const v = optString(o, key);
  // JOS writes an unset time as a year-1 date.
  return v && !v.startsWith('0001-') && !v.startsWith('1970-') ? beijingToUtc(v) : undefined;
}

/** Maps one `orderInfoList[]` item (or the detail's orderInfo) to the canonical order. */
export function mapJdOrder(o: JsonObject, ctx: MapContext): MappedOrder {
  const platformOrderId = reqId(o, 'orderId', 'JD order');
  const where = `JD order ${platformOrderId}`;
  const status = reqString(o, 'orderState', where);

  const items = objectArray(o, 'itemInfoList');
  const coupons = objectArray(o, 'couponDetailList');
  const gross = items.map((it, i) => {
    const price = yuanField(it, 'jdPrice');
    if (price === undefined) throw new ChannelPayloadError(`${where} line ${i}: missing jdPrice`);
    return price * reqInt(it, 'itemTotal', `${where} line ${i}`);
  });
  const goodsFen = yuanField(o, 'orderTotalPrice') ?? gross.reduce((a, b) => a + b, 0);
  const shippingFen = yuanField(o, 'freightPrice') ?? 0;
  const paidFen = yuanField(o, 'orderPayment') ?? 0;
  const discountFen = Math.max(0, goodsFen + shippingFen - paidFen);

  // Coupons bound to a SKU belong to its line; the rest of the discount is spread by line value.
  const skuBound = items.map((it) => {
    const sku = optId(it, 'skuId');
    return coupons.filter((c) => sku !== undefined && optId(c, 'skuId') === sku).reduce((s, c) => s + (yuanField(c, 'couponPrice') ?? 0), 0);
  });
  const bound = skuBound.reduce((a, b) => a + b, 0);
  const spread = allocate(Math.max(0, discountFen - bound), gross.map((g, i) => Math.max(0, g - (skuBound[i] ?? 0))));

  const lines: OrderLine[] = items.map((it, i) => {
    const quantity = reqInt(it, 'itemTotal', where);
    const lineGross = gross[i] ?? 0;
    const lineDiscount: Fen = Math.min(lineGross, (skuBound[i] ?? 0) + (spread[i] ?? 0));
    const title = optString(it, 'skuName');
    const skuId = optId(it, 'skuId');
    return {
      ...(skuId ? { lineId: skuId } : {}),
      skuCode: optString(it, 'outerSkuId') ?? '',
      ...(title ? { title } : {}),
      quantity,
      unitPriceFen: lineGross / quantity,
      discountFen: lineDiscount,
      paidFen: lineGross - lineDiscount,
    };
  });

  const c = optObject(o, 'consigneeInfo') ?? {};
  const province = optString(c, 'province');
  const city = optString(c, 'city');
  const county = optString(c, 'county');
  const town = optString(c, 'town');
  const name = splitValue(optString(c, 'fullname'), isJdCiphertext);
  const mobile = splitValue(optString(c, 'mobile'), isJdCiphertext);
  const landline = splitValue(optString(c, 'telephone'), isJdCiphertext);
  const fullAddress = splitValue(optString(c, 'fullAddress'), isJdCiphertext);
  const sealed = { name: name.cipher, phone: mobile.cipher ?? landline.cipher, detail: fullAddress.cipher };
  const encrypted = receiverCiphertexts(sealed);
  const { buyerKey, addressKey } = jdBuyerKeys(o, c, sealed);
  const buyerRemark = optString(o, 'orderRemark');
  const sellerMemo = optString(o, 'venderRemark');
  const paidAt = optTime(o, 'paymentConfirmTime');
  const updatedAt = optTime(o, 'modified');

  const order: CanonicalOrderInput = {
    platform: 'jd',
    shopId: ctx.shopId,
    platformOrderId,
    buyerKey,
    receiver: {
      name: name.shown ?? '',
      phone: mobile.shown ?? landline.shown ?? '',
      province: province ?? '',
      city: city ?? '',
      district: county ?? '',
      ...(town ? { town } : {}),
      detail: streetPart(fullAddress.shown ?? '', [province, city, county, town]),
      ...(addressKey ? { addressKey } : {}),
      ...(encrypted ? { encrypted } : {}),
    },
    lines,
    amounts: { goodsFen, shippingFen, discountFen, paidFen },
    discounts: coupons.map((cp) => ({
      kind: jdDiscountKind(optString(cp, 'couponType') ?? ''),
      ...(optString(cp, 'couponType') ? { name: optString(cp, 'couponType') } : {}),
      amountFen: yuanField(cp, 'couponPrice') ?? 0,
    })),
    ...(buyerRemark ? { buyerRemark } : {}),
    ...(sellerMemo ? { sellerMemo } : {}),
    createdAt: beijingToUtc(reqString(o, 'orderStartTime', where)),
    ...(paidAt ? { paidAt } : {}),
    ...(updatedAt ? { updatedAt } : {}),
  };
  return { order, state: STATES[status] ?? 'on_hold', platformStatus: status, refundLineIds: [] };
}
