import { sumFen } from './money.js';
import type { CanonicalOrder } from './order.js';

export type CompletenessCode =
  | 'receiver_name_missing'
  | 'receiver_phone_missing'
  | 'region_missing'
  | 'address_detail_missing'
  | 'no_lines'
  | 'sku_missing'
  | 'sku_unknown'
  | 'quantity_not_positive'
  | 'goods_amount_mismatch'
  | 'paid_amount_mismatch'
  | 'buyer_missing';

export interface CompletenessIssue {
  code: CompletenessCode;
  /** Where in the order, e.g. `receiver.phone` or `lines[2].skuCode`. */
  field: string;
  message: string;
  /** `blocking` holds the order until fixed; `warning` is recorded and the order goes on. */
  severity: 'blocking' | 'warning';
}

export interface CompletenessContext {
  /** Merchant SKU codes Orderly knows; omit to skip the check. */
  knownSkus?: ReadonlySet<string>;
}

/** Whether a value has any visible character: whitespace (full-width included), NUL and zero-width characters are none. */
function visible(value: string): boolean {
  return value.replace(/[\s\p{Cc}\p{Cf}]/gu, '') !== '';
}

/**
 * What an order lacks before it can be fulfilled. Masked values (`张**`, `138****5678`, `文三路***号`) and the
 * platform's ciphertexts (`receiver.encrypted`) count as present: platforms mask or encrypt PII and the carrier
 * gets it through the platform's own channel (or its decrypt call, where a step truly needs plaintext). The
 * opaque address id (`receiver.addressKey`) does not stand in for a street that was never sent.
 *
 * @example checkCompleteness(order, { knownSkus: new Set(['TEA-LJ-250']) })
 *   // [{ code: 'sku_unknown', field: 'lines[1].skuCode', severity: 'blocking', ... }]
 */
export function checkCompleteness(order: CanonicalOrder, ctx: CompletenessContext = {}): CompletenessIssue[] {
  const issues: CompletenessIssue[] = [];
  const add = (code: CompletenessCode, field: string, message: string, severity: CompletenessIssue['severity'] = 'blocking') =>
    issues.push({ code, field, message, severity });
  const r = order.receiver;
  // A field the platform sent only as ciphertext is present: its decrypt call gives it to whoever needs it.
  const sealed = r.encrypted ?? {};
  const present = (shown: string, cipher: string | undefined): boolean => visible(shown) || visible(cipher ?? '');

  if (!order.buyerKey.trim()) add('buyer_missing', 'buyerKey', 'no buyer id: the order cannot be merged or checked against blacklists', 'warning');
  if (!present(r.name, sealed.name)) add('receiver_name_missing', 'receiver.name', 'receiver name is missing');
  if (!present(r.phone, sealed.phone)) add('receiver_phone_missing', 'receiver.phone', 'receiver phone is missing');
  // A county directly under a province may come without a city; the address library completes it later.
  if (!visible(r.province) && !visible(r.city) && !visible(r.district)) add('region_missing', 'receiver.province', 'province, city and district are all missing');
  // The opaque address id (Taobao oaid, PDD/Douyin open_address_id) only names the address for the platform's
  // decrypt call and its waybills; it is no evidence of a street. A masked street (文三路***号, ****) is one.
  if (!present(r.detail, sealed.detail)) add('address_detail_missing', 'receiver.detail', 'street address is missing');

  if (order.lines.length === 0) add('no_lines', 'lines', 'the order has no lines');
  order.lines.forEach((l, i) => {
    if (!l.skuCode.trim()) add('sku_missing', `lines[${i}].skuCode`, `line ${i + 1} has no merchant SKU code`);
    else if (ctx.knownSkus && !ctx.knownSkus.has(l.skuCode)) add('sku_unknown', `lines[${i}].skuCode`, `SKU ${l.skuCode} is not known to Orderly`);
    if (l.quantity <= 0) add('quantity_not_positive', `lines[${i}].quantity`, `line ${i + 1} has quantity ${l.quantity}`);
  });

  const goods = sumFen(order.lines.map((l) => l.unitPriceFen * l.quantity));
  if (goods !== order.amounts.goodsFen) {
    add('goods_amount_mismatch', 'amounts.goodsFen', `goods ${order.amounts.goodsFen} fen, but lines add up to ${goods} fen`);
  }
  const expectedPaid = order.amounts.goodsFen + order.amounts.shippingFen - order.amounts.discountFen;
  if (expectedPaid !== order.amounts.paidFen) {
    // Platforms subsidise and round differently; review (a later stage) decides whether it matters.
    add('paid_amount_mismatch', 'amounts.paidFen', `paid ${order.amounts.paidFen} fen, expected goods + shipping - discount = ${expectedPaid} fen`, 'warning');
  }
  return issues;
}

/** Whether any issue holds the order. */
export function hasBlockingIssues(issues: readonly CompletenessIssue[]): boolean {
  return issues.some((i) => i.severity === 'blocking');
}
