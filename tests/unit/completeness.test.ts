import { describe, expect, it } from 'vitest';
import { checkCompleteness, hasBlockingIssues } from '../../domain/completeness.js';
import { canonicalOrder, canonicalOrderLoose } from '../../domain/order.js';
import { makeOrder } from '../helpers/orders.js';

const known = new Set(['TEA-LJ-250', 'MUG-CER-01']);

describe('completeness check', () => {
  it('finds nothing wrong with a complete order, masked PII included', () => {
    const order = canonicalOrder.parse(makeOrder());
    expect(checkCompleteness(order, { knownSkus: known })).toEqual([]);
  });

  it('names each missing piece with its field', () => {
    const base = makeOrder();
    const order = canonicalOrderLoose.parse({
      ...base,
      buyerKey: '',
      receiver: { name: '', phone: '', province: '', city: '', district: '', detail: '' },
      lines: [{ ...base.lines[0], skuCode: '' }, { ...base.lines[1], skuCode: 'GHOST', quantity: 0 }],
    });
    const issues = checkCompleteness(order, { knownSkus: known });
    expect(issues.map((i) => [i.code, i.field, i.severity])).toEqual([
      ['buyer_missing', 'buyerKey', 'warning'],
      ['receiver_name_missing', 'receiver.name', 'blocking'],
      ['receiver_phone_missing', 'receiver.phone', 'blocking'],
      ['region_missing', 'receiver.province', 'blocking'],
      ['address_detail_missing', 'receiver.detail', 'blocking'],
      ['sku_missing', 'lines[0].skuCode', 'blocking'],
      ['sku_unknown', 'lines[1].skuCode', 'blocking'],
      ['quantity_not_positive', 'lines[1].quantity', 'blocking'],
      ['goods_amount_mismatch', 'amounts.goodsFen', 'blocking'],
    ]);
    expect(hasBlockingIssues(issues)).toBe(true);
  });

  it('accepts a region given only as a district', () => {
    const base = makeOrder();
    const order = canonicalOrder.parse({ ...base, receiver: { ...base.receiver, province: '', city: '', district: '西湖区', addressKey: 'oaid-9' } });
    expect(checkCompleteness(order)).toEqual([]);
  });

  it('does not take an opaque address id (Taobao oaid) for the street: it only names the address to decrypt', () => {
    const base = makeOrder();
    const order = canonicalOrder.parse({ ...base, receiver: { ...base.receiver, detail: '', addressKey: 'oaid-9' } });
    const issues = checkCompleteness(order);
    expect(issues.map((i) => [i.code, i.field, i.severity])).toEqual([['address_detail_missing', 'receiver.detail', 'blocking']]);
    expect(hasBlockingIssues(issues)).toBe(true);
  });

  it('warns, without holding, when the paid amount does not follow from goods, shipping and discount', () => {
    const base = makeOrder();
    const order = canonicalOrder.parse({ ...base, amounts: { ...base.amounts, paidFen: base.amounts.paidFen - 100 } });
    const issues = checkCompleteness(order, { knownSkus: known });
    expect(issues).toEqual([expect.objectContaining({ code: 'paid_amount_mismatch', severity: 'warning' })]);
    expect(hasBlockingIssues(issues)).toBe(false);
  });

  it('skips the SKU check when no SKU list is given', () => {
    const base = makeOrder();
    const order = canonicalOrder.parse({ ...base, lines: [{ ...base.lines[0]!, skuCode: 'ANY' }, base.lines[1]!] });
    expect(checkCompleteness(order)).toEqual([]);
  });
});

describe('loose order schema', () => {
  it('keeps what the strict schema refuses, with defaults for what is absent', () => {
    const base = makeOrder();
    const raw = { ...base, buyerKey: undefined, receiver: { province: '浙江省' }, amounts: { ...base.amounts, goodsFen: 1 } };
    expect(canonicalOrder.safeParse(raw).success).toBe(false);
    const loose = canonicalOrderLoose.parse(raw);
    expect(loose.receiver).toMatchObject({ name: '', phone: '', province: '浙江省', detail: '' });
    expect(loose.buyerKey).toBe('');
  });

  it('still refuses wrong types: money must be integer fen, ids strings', () => {
    const base = makeOrder();
    expect(canonicalOrderLoose.safeParse({ ...base, amounts: { ...base.amounts, paidFen: 1.5 } }).success).toBe(false);
    expect(canonicalOrderLoose.safeParse({ ...base, platformOrderId: 123 }).success).toBe(false);
  });
});
