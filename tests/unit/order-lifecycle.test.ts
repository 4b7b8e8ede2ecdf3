import { describe, expect, it } from 'vitest';
import type { OrderEvent } from '../../domain/order-events.js';
import { applyOrderEvent, initialOrderFacts, markReleased, refundInProgress, type OrderFacts } from '../../domain/order-lifecycle.js';
import { canonicalOrder, type CanonicalOrder } from '../../domain/order.js';
import { makeOrder } from '../helpers/orders.js';

const NOW = '2026-11-11T00:00:05.000Z';
const LATER = '2026-11-11T00:10:00.000Z';

function order(overrides: Parameters<typeof makeOrder>[0] = {}): CanonicalOrder {
  return canonicalOrder.parse(makeOrder(overrides));
}

/** Applies events in turn (all at `now`), returning the final facts and every note type. */
function applyAll(events: OrderEvent[], start: OrderFacts = initialOrderFacts, now = NOW) {
  let facts = start;
  const notes: string[] = [];
  const outcomes: string[] = [];
  for (const e of events) {
    const r = applyOrderEvent(facts, e, now);
    facts = r.facts;
    notes.push(...r.notes.map((n) => n.type));
    outcomes.push(r.outcome);
  }
  return { facts, notes, outcomes };
}

describe('order lifecycle', () => {
  it('takes an unpaid order, then its payment at the event time or at now', () => {
    const o = order();
    const created = applyOrderEvent(initialOrderFacts, { eventId: 'e1', type: 'created', order: o, options: { processAtDeposit: true } }, NOW);
    expect(created.facts.order).toBe(o);
    expect(created.facts.options).toEqual({ processAtDeposit: true });
    expect(created.facts.paidAt).toBeUndefined();
    expect(created.notes).toEqual([{ type: 'created', detail: { eventId: 'e1', via: 'created' } }]);

    const paid = applyOrderEvent(created.facts, { eventId: 'e2', type: 'paid', paidFen: 28500 }, LATER);
    expect(paid.facts.paidAt).toBe(LATER);
    expect(paid.notes).toEqual([{ type: 'payment_received', detail: { eventId: 'e2', paidAt: LATER, paidFen: 28500 } }]);
    const stamped = applyOrderEvent(created.facts, { eventId: 'e3', type: 'paid', paidAt: NOW }, LATER);
    expect(stamped.facts.paidAt).toBe(NOW);
  });

  it('does not change the facts it was given', () => {
    const before = applyOrderEvent(initialOrderFacts, { eventId: 'e1', type: 'created', order: order() }, NOW).facts;
    const copy = JSON.parse(JSON.stringify(before)) as unknown;
    applyOrderEvent(before, { eventId: 'e2', type: 'refund_requested', lineIds: ['l1'] }, NOW);
    applyOrderEvent(before, { eventId: 'e3', type: 'cancelled' }, NOW);
    expect(JSON.parse(JSON.stringify(before))).toEqual(copy);
    expect(initialOrderFacts.appliedEventIds).toEqual([]);
  });

  it('drops an event id it has applied before, and counts a second cancellation as ignored', () => {
    const o = order();
    const r = applyAll([
      { eventId: 'e1', type: 'created', order: o },
      { eventId: 'e2', type: 'cancelled', reason: 'buyer asked' },
      { eventId: 'e2', type: 'cancelled', reason: 'buyer asked' },
      { eventId: 'e3', type: 'cancelled', reason: 'again' },
      { eventId: 'e1', type: 'created', order: o },
    ]);
    expect(r.outcomes).toEqual(['applied', 'applied', 'duplicate', 'ignored', 'duplicate']);
    expect(r.facts.cancelled).toEqual({ reason: 'buyer asked' });
    expect(r.facts.appliedEventIds).toEqual(['e1', 'e2', 'e3']);
    expect(r.notes).toEqual(['created', 'cancel_requested']);
  });

  it('keeps a payment that came before its order (out of order)', () => {
    const o = order();
    const r = applyAll([
      { eventId: 'p', type: 'paid', paidAt: NOW },
      { eventId: 'c', type: 'created', order: o },
    ]);
    expect(r.facts.order).toBe(o);
    expect(r.facts.paidAt).toBe(NOW);
    expect(r.notes).toEqual(['payment_received', 'created']);
  });

  it('takes payment facts the order itself carries, and the first payment time wins', () => {
    const paid = order({ paidAt: '2026-11-11T00:00:01Z' });
    const r = applyAll([
      { eventId: 'c', type: 'created', order: paid },
      { eventId: 'p', type: 'paid', paidAt: LATER },
    ]);
    expect(r.facts.paidAt).toBe('2026-11-11T00:00:01Z');
  });

  it('follows a presale order through deposit and balance', () => {
    const o = order({ presale: { depositFen: 5000, balanceFen: 23500, balanceDueAt: '2026-11-11T16:00:00Z' } });
    const r1 = applyAll([
      { eventId: 'c', type: 'created', order: o },
      { eventId: 'd', type: 'deposit_paid', paidAt: '2026-10-21T12:00:00Z' },
    ]);
    expect(r1.facts.depositPaidAt).toBe('2026-10-21T12:00:00Z');
    expect(r1.facts.paidAt).toBeUndefined();
    const r2 = applyAll([{ eventId: 'b', type: 'balance_paid' }], r1.facts, LATER);
    expect(r2.facts.balancePaidAt).toBe(LATER);
    expect(r2.facts.paidAt).toBe(LATER);
    expect(r2.notes).toEqual(['balance_received']);
    // A plain `paid` on a presale order pays the balance too.
    const r3 = applyAll([{ eventId: 'p', type: 'paid', paidAt: LATER }], r1.facts);
    expect(r3.facts.balancePaidAt).toBe(LATER);
  });

  it('counts a presale order with no balance as paid at its deposit (the domain rule isPaid)', () => {
    const o = order({ presale: { depositFen: 28500, balanceFen: 0, depositPaidAt: '2026-10-21T12:00:00Z' } });
    const { facts } = applyOrderEvent(initialOrderFacts, { eventId: 'c', type: 'created', order: o }, NOW);
    expect(facts.depositPaidAt).toBe('2026-10-21T12:00:00Z');
    expect(facts.balancePaidAt).toBe('2026-10-21T12:00:00Z');
    expect(facts.paidAt).toBe('2026-10-21T12:00:00Z');

    // The deposit may also come as its own event.
    const unpaid = order({ presale: { depositFen: 28500, balanceFen: 0 } });
    const r = applyAll([
      { eventId: 'c', type: 'created', order: unpaid },
      { eventId: 'd', type: 'deposit_paid', paidAt: '2026-10-21T12:00:00Z' },
    ]);
    expect(r.outcomes).toEqual(['applied', 'applied']);
    expect(r.facts.paidAt).toBe('2026-10-21T12:00:00Z');

    // Runs that began under the older rule keep waiting for a balance.
    const older = applyOrderEvent(initialOrderFacts, { eventId: 'c', type: 'created', order: o }, NOW, { presaleWithoutBalancePaidAtDeposit: false });
    expect(older.facts.depositPaidAt).toBe('2026-10-21T12:00:00Z');
    expect(older.facts.paidAt).toBeUndefined();
    expect(older.facts.balancePaidAt).toBeUndefined();
  });

  it("reads the platform's state on a snapshot: paid, cancelled, shipped elsewhere", () => {
    const o = order();
    const paid = applyAll([{ eventId: 's', type: 'snapshot', order: o, platformState: 'awaiting_shipment' }]);
    expect(paid.facts.paidAt).toBe(NOW);
    expect(paid.notes).toEqual(['created']);
    const cancelled = applyAll([{ eventId: 's', type: 'snapshot', order: o, platformState: 'cancelled' }]);
    expect(cancelled.facts.cancelled).toEqual({ reason: 'cancelled on the platform' });
    const shipped = applyAll([{ eventId: 's', type: 'snapshot', order: o, platformState: 'shipped' }]);
    expect(shipped.facts.platformShipment).toEqual({});
    expect(shipped.facts.paidAt).toBe(NOW);
  });

  it('bumps the revision for changes before release and only notes them after', () => {
    const o = order();
    const receiver = { ...o.receiver, detail: '文一西路**号' };
    const before = applyAll([
      { eventId: 'c', type: 'created', order: o },
      { eventId: 'a', type: 'address_changed', receiver },
      { eventId: 's', type: 'snapshot', order: o },
      { eventId: 'm', type: 'amount_changed', amounts: { ...o.amounts, paidFen: 28000 } },
      { eventId: 'r', type: 'memo_changed', sellerMemo: '加急' },
    ]);
    expect(before.facts.revision).toBe(3);
    expect(before.facts.order?.amounts.paidFen).toBe(28000);
    expect(before.facts.order?.sellerMemo).toBe('加急');
    expect(before.notes).toEqual(['created', 'address_changed', 'order_updated', 'amount_changed', 'memo_changed']);

    const after = applyAll(
      [
        { eventId: 'a2', type: 'address_changed', receiver },
        { eventId: 's2', type: 'snapshot', order: o },
        { eventId: 'm2', type: 'amount_changed', amounts: { ...o.amounts, paidFen: 1 } },
      ],
      markReleased(before.facts),
    );
    expect(after.facts.revision).toBe(3);
    expect(after.facts.order?.amounts.paidFen).toBe(28000);
    expect(after.notes).toEqual(['address_changed_after_release', 'order_changed_after_release', 'amount_changed']);
  });

  it('notes an address change that came before its order without inventing an order', () => {
    const r = applyAll([{ eventId: 'a', type: 'address_changed', receiver: order().receiver }]);
    expect(r.facts.order).toBeUndefined();
    expect(r.notes).toEqual(['address_changed_before_order']);
  });

  it('tracks refunds per line and for the whole order', () => {
    const lines = applyAll([
      { eventId: 'r1', type: 'refund_requested', lineIds: ['l1', 'l2'] },
      { eventId: 'r2', type: 'refund_requested', lineIds: ['l2', 'l3'] },
      { eventId: 'c1', type: 'refund_closed', lineIds: ['l1'] },
    ]);
    expect(lines.facts.refundingLines).toEqual(['l2', 'l3']);
    expect(refundInProgress(lines.facts)).toBe(true);
    const closed = applyAll([{ eventId: 'c2', type: 'refund_closed', lineIds: ['l2', 'l3'] }], lines.facts);
    expect(refundInProgress(closed.facts)).toBe(false);

    const whole = applyAll([{ eventId: 'w', type: 'refund_requested', reason: 'changed mind' }]);
    expect(whole.facts.refundingWholeOrder).toBe(true);
    const cleared = applyAll([{ eventId: 'x', type: 'refund_closed' }], whole.facts);
    expect(refundInProgress(cleared.facts)).toBe(false);
  });

  it('records a shipment made on the platform', () => {
    const r = applyAll([{ eventId: 's', type: 'shipped', carrierCode: 'SF', trackingNo: 'SF1234567890123' }]);
    expect(r.facts.platformShipment).toEqual({ carrierCode: 'SF', trackingNo: 'SF1234567890123' });
    expect(r.notes).toEqual(['shipped_on_platform']);
  });
});

describe('order lifecycle: refunds and changes after release', () => {
  const withLines = () => {
    const o = order();
    return { o, ids: o.lines.map((l) => l.lineId!) };
  };

  it('takes the refunds a pulled order shows, once', () => {
    const { o, ids } = withLines();
    const r = applyAll([
      { eventId: 's1', type: 'snapshot', order: o, refundingLineIds: [ids[0]!] },
      { eventId: 's2', type: 'snapshot', order: o, refundingLineIds: [ids[0]!] },
    ]);
    expect(r.facts.refundingLines).toEqual([ids[0]]);
    expect(r.notes).toEqual(['created', 'refund_requested', 'order_updated']);
    expect(refundInProgress(r.facts)).toBe(true);
  });

  it('removes refunded lines before release, and cancels an order refunded whole', () => {
    const { o, ids } = withLines();
    const part = applyAll([
      { eventId: 'c', type: 'created', order: o },
      { eventId: 'r', type: 'refund_requested', lineIds: [ids[0]!] },
      { eventId: 'x', type: 'refunded', lineIds: [ids[0]!] },
    ]);
    expect(part.facts.order?.lines.map((l) => l.lineId)).toEqual(ids.slice(1));
    expect(part.facts.revision).toBe(1);
    expect(refundInProgress(part.facts)).toBe(false);
    expect(part.facts.cancelled).toBeUndefined();
    expect(part.notes.at(-1)).toBe('lines_refunded');

    const whole = applyAll([{ eventId: 'y', type: 'refunded', lineIds: ids.slice(1) }], part.facts);
    expect(whole.facts.cancelled).toEqual({ reason: 'refunded' });
    const noLines = applyAll([{ eventId: 'c', type: 'created', order: o }, { eventId: 'z', type: 'refunded', reason: 'out of stock' }]);
    expect(noLines.facts.cancelled).toEqual({ reason: 'out of stock' });
  });

  it('records address, amount and refund changes after release instead of applying them', () => {
    const { o, ids } = withLines();
    const released = markReleased(applyAll([{ eventId: 'c', type: 'created', order: o }]).facts);
    const r = applyAll(
      [
        { eventId: 'a', type: 'address_changed', receiver: { ...o.receiver, detail: '另一条路**号' } },
        { eventId: 'm', type: 'amount_changed', amounts: { ...o.amounts, paidFen: 100 } },
        { eventId: 'q', type: 'refund_requested', lineIds: [ids[1]!] },
        { eventId: 'x', type: 'refunded', lineIds: [ids[1]!] },
      ],
      released,
    );
    expect(r.facts.order).toBe(o);
    expect(r.facts.cancelled).toBeUndefined();
    expect(r.facts.changesAfterRelease).toEqual([
      { eventId: 'a', kind: 'address' },
      { eventId: 'm', kind: 'amount' },
      { eventId: 'q', kind: 'refund_requested', lineIds: [ids[1]] },
      { eventId: 'x', kind: 'refunded', lineIds: [ids[1]] },
    ]);
    expect(r.notes).toContain('refunded_after_release');
  });
});
