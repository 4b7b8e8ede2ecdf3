import { describe, expect, it } from 'vitest';
import { canonicalOrder, orderWorkflowId } from '../../domain/order.js';
import { startSummary } from '../../ingest/dispatcher.js';
import { formatInstant, orderDetails, type OrderDetailsInput } from '../../workflows/order.details.js';
import { clipUtf8, ORDER_EVENT_SIGNAL_NAMES, orderEventSignalFor, orderEventSignals, orderSummary } from '../../workflows/order.messages.js';
import { packageSummary } from '../../workflows/package.messages.js';
import { transferSummary } from '../../workflows/transfer.messages.js';
import { makeOrder } from '../helpers/orders.js';

// The text ops read in the Temporal UI: summaries within the UI's 200 bytes and free of buyer data, current
// details for the waits the workflow tests do not reach, and one signal name per event type.
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const base: OrderDetailsInput = { status: 'received', issues: [], exceptions: [] };

describe('summaries', () => {
  it('cut long text on a whole character within 200 bytes', () => {
    const long = `shop ${'杭州茶叶旗舰店'.repeat(20)}`;
    const cut = clipUtf8(long);
    expect(bytes(cut)).toBeLessThanOrEqual(200);
    expect(bytes(cut)).toBeGreaterThan(190);
    expect(cut.endsWith('…')).toBe(true);
    expect(long.startsWith(cut.slice(0, -1))).toBe(true);
    expect(clipUtf8('short')).toBe('short');
  });

  it('say what the start knew, and never the receiver', () => {
    const order = canonicalOrder.parse(makeOrder({ shopId: 'tb-1', presale: { depositFen: 5000, balanceFen: 23500 } }));
    const id = orderWorkflowId(order.platform, order.shopId, order.platformOrderId);
    const fromSnapshot = startSummary(id, { eventId: 'e1', type: 'snapshot', order })!;
    expect(fromSnapshot).toBe(`${order.platform} order ${order.platformOrderId} · shop tb-1 · ${order.lines.length} line(s) · ¥${(order.amounts.paidFen / 100).toFixed(2)} · presale · 浙江省`);
    for (const v of [order.receiver.name, order.receiver.phone, order.receiver.detail, order.buyerKey]) expect(fromSnapshot).not.toContain(v);
    expect(startSummary(id, { eventId: 'e2', type: 'cancelled', reason: 'buyer' })).toBe(`${order.platform} order ${order.platformOrderId} · shop tb-1 · cancelled came before the order`);
    expect(startSummary(id, { eventId: 'e3', type: 'deposit_paid' })).toBe(`${order.platform} order ${order.platformOrderId} · shop tb-1 · deposit paid came before the order`);
    expect(startSummary('not-an-order-id', { eventId: 'e4', type: 'paid' })).toBeUndefined();
    expect(orderSummary(order)).toBe(fromSnapshot);
  });

  it('name a package and a transfer by their warehouses and the order behind them', () => {
    expect(packageSummary({ packageId: 'p-1', platform: 'jd', shopId: 'jd-1', platformOrderId: '991', warehouseCode: 'WH-BJ', logisticsClass: 'freight', lines: 3 })).toBe(
      'package p-1 · WH-BJ freight · shop jd-1 · opened by jd order 991 (3 line(s))',
    );
    expect(transferSummary({ transferId: 7, orderId: 'order:jd:jd-1:991', lineRef: '1', skuCode: 'TEA', fromWarehouseCode: 'WH-BJ', toWarehouseCode: 'WH-SH', quantity: 4 })).toBe(
      'transfer 7 · 4 × TEA · WH-BJ → WH-SH · for order:jd:jd-1:991',
    );
  });
});

describe('current details', () => {
  it('show a presale deposit and when the balance is due', () => {
    const text = orderDetails({ ...base, status: 'deposit_paid', since: '2026-11-01T08:00:00.000Z', depositPaidAt: '2026-11-01T08:00:00.000Z', paymentDeadline: '2026-11-11T16:00:00.000Z', presale: true });
    expect(text).toBe('**deposit_paid** since 2026-11-01 08:00:00 UTC\n\norder not received yet\n\n- deposit paid 2026-11-01 08:00:00 UTC; balance due 2026-11-11 16:00:00 UTC');
  });

  it('show a pending review with its reasons and SLA, and that it escalated', () => {
    const pending = { since: '2026-11-11T00:00:00.000Z', slaDueAt: '2026-11-11T02:00:00.000Z', reasons: ['amount 5,000 yuan or more', 'buyer remark'], escalated: true };
    const text = orderDetails({ ...base, status: 'pending_review', review: { reviewNo: 1, priority: 0, tags: [], fired: [], pending } });
    expect(text).toContain('- waiting for a reviewer since 2026-11-11 00:00:00 UTC: amount 5,000 yuan or more; buyer remark');
    expect(text).toContain('- review SLA due 2026-11-11 02:00:00 UTC (overdue: escalated)');
  });

  it('show which lines a refund holds, a timed hold, and an order the warehouse could not ship', () => {
    expect(orderDetails({ ...base, status: 'on_hold', holdReason: 'refund in progress', refunding: ['2', '3'] })).toContain('on hold, refund in progress on line(s) 2, 3;');
    expect(orderDetails({ ...base, status: 'on_hold', holdReason: 'refund in progress', refunding: ['*'] })).toContain('on hold, refund in progress on the whole order;');
    expect(orderDetails({ ...base, status: 'on_hold', holdReason: 'night orders wait', holdUntil: '2026-11-11T01:00:00.000Z' })).toContain('- on hold: night orders wait until 2026-11-11 01:00:00 UTC');
    const failed = orderDetails({
      ...base,
      status: 'on_hold',
      holdReason: 'shipment failed',
      fulfilment: { attempts: 1, decisions: [], packages: [{ packageId: '9', packageKey: 'k', warehouseCode: 'WH-SH', logisticsClass: 'express', lineRefs: ['1'], status: 'failed', mergedWith: [], failureReason: 'damaged' }] },
    });
    expect(failed).toContain('on hold, the warehouse did not ship `9` (damaged); waiting for a person: re-ship, refund or cancel');
    expect(failed).toContain('- package `package:9` · WH-SH · failed');
  });

  it('keep long lists short', () => {
    const issues = Array.from({ length: 14 }, (_, i) => ({ code: 'sku_unknown' as const, field: `lines[${i}].skuCode`, message: '', severity: 'blocking' as const }));
    const text = orderDetails({ ...base, status: 'on_hold', holdReason: 'incomplete', issues });
    expect(text).toContain('`lines[9].skuCode` (sku_unknown), and 4 more;');
    expect(text).not.toContain('lines[10]');
  });

  it('format instants the same everywhere', () => {
    expect(formatInstant('2026-06-01T10:30:00Z')).toBe('2026-06-01 10:30:00 UTC');
    expect(formatInstant('2026-06-01T10:30:00.123Z')).toBe('2026-06-01 10:30:00 UTC');
    expect(formatInstant(undefined)).toBe('(unknown)');
  });
});

describe('event signals', () => {
  it('give each event type a name of its own, and the same handler type', () => {
    const names = Object.values(ORDER_EVENT_SIGNAL_NAMES);
    expect(new Set(names).size).toBe(names.length);
    for (const [type, name] of Object.entries(ORDER_EVENT_SIGNAL_NAMES)) {
      expect(name).toBe(`order.${type}`);
      expect(orderEventSignals[type as keyof typeof orderEventSignals].name).toBe(name);
    }
    expect(orderEventSignalFor({ eventId: 'x', type: 'refund_requested' }).name).toBe('order.refund_requested');
    expect(names).not.toContain('orderEvent');
  });
});
