import { describe, expect, it } from 'vitest';
import { canonicalOrder, orderWorkflowId, parseOrderWorkflowId } from '../../domain/order.js';
import { isPaid, totalQuantity } from '../../domain/order-rules.js';
import { makeOrder } from '../helpers/orders.js';

describe('canonical order model', () => {
  it('accepts a realistic order with masked receiver values and applies defaults', () => {
    const parsed = canonicalOrder.parse(makeOrder({ discounts: undefined }));
    expect(parsed.receiver.name).toBe('李**');
    expect(parsed.receiver.phone).toBe('139****0001');
    expect(parsed.discounts).toEqual([]);
    expect(parsed.lines[1]!.discountFen).toBe(0);
    expect(totalQuantity(parsed)).toBe(3);
  });

  it('keeps platform ids as strings, even beyond 2^53', () => {
    const parsed = canonicalOrder.parse(makeOrder({ platformOrderId: '9007199254740993123' }));
    expect(parsed.platformOrderId).toBe('9007199254740993123');
    // eslint-disable-next-line no-loss-of-precision -- a number id is exactly what must be refused
    expect(canonicalOrder.safeParse({ ...makeOrder(), platformOrderId: 9007199254740993 }).success).toBe(false);
  });

  it('refuses money that is not integer fen', () => {
    const o = makeOrder();
    const fractional = canonicalOrder.safeParse({ ...o, amounts: { ...o.amounts, paidFen: 285.5 } });
    expect(fractional.success).toBe(false);
    expect(fractional.error!.issues[0]!.message).toMatch(/integer fen/);
    const negative = canonicalOrder.safeParse({ ...o, lines: [{ ...o.lines[0]!, paidFen: -1 }] });
    expect(negative.success).toBe(false);
  });

  it('refuses non-UTC times', () => {
    expect(canonicalOrder.safeParse(makeOrder({ createdAt: '2026-11-11T08:00:00+08:00' })).success).toBe(false);
    expect(canonicalOrder.safeParse(makeOrder({ createdAt: '2026-11-11T00:00:00Z' })).success).toBe(true);
  });

  it('checks that goods add up to price x quantity', () => {
    const o = makeOrder();
    const r = canonicalOrder.safeParse({ ...o, amounts: { ...o.amounts, goodsFen: o.amounts.goodsFen + 1 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['amounts', 'goodsFen']);
  });

  it('requires at least one line with a positive quantity', () => {
    expect(canonicalOrder.safeParse(makeOrder({ lines: [] })).success).toBe(false);
    const o = makeOrder();
    expect(canonicalOrder.safeParse({ ...o, lines: [{ ...o.lines[0]!, quantity: 0 }] }).success).toBe(false);
  });

  it('checks that presale deposit plus balance equals what is paid', () => {
    const o = makeOrder();
    const ok = canonicalOrder.safeParse({ ...o, presale: { depositFen: 5000, balanceFen: 23500, depositPaidAt: '2026-10-21T12:00:00Z' } });
    expect(ok.success).toBe(true);
    const bad = canonicalOrder.safeParse({ ...o, presale: { depositFen: 5000, balanceFen: 100 } });
    expect(bad.success).toBe(false);
  });
});

describe('order identity and payment', () => {
  it('builds and parses workflow ids', () => {
    const id = orderWorkflowId('douyin', 'shop-9', '6921234567890123456');
    expect(id).toBe('order:douyin:shop-9:6921234567890123456');
    expect(parseOrderWorkflowId(id)).toEqual({ platform: 'douyin', shopId: 'shop-9', platformOrderId: '6921234567890123456' });
    expect(parseOrderWorkflowId('package:1')).toBeNull();
    expect(parseOrderWorkflowId('order:ebay:s:1')).toBeNull();
    expect(parseOrderWorkflowId('order:jd:s')).toBeNull();
  });

  it('treats an order as paid when paidAt is set, a presale order when its balance is paid', () => {
    expect(isPaid({ paidAt: undefined, presale: undefined })).toBe(false);
    expect(isPaid({ paidAt: '2026-11-11T00:00:05Z', presale: undefined })).toBe(true);
    const presale = { depositFen: 100, balanceFen: 900, depositPaidAt: '2026-10-21T00:00:00Z' };
    expect(isPaid({ paidAt: undefined, presale })).toBe(false);
    expect(isPaid({ paidAt: undefined, presale: { ...presale, balancePaidAt: '2026-11-11T00:00:00Z' } })).toBe(true);
  });
});
