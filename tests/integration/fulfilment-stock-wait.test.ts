// Orders short of stock wait in a queue per SKU in PostgreSQL and are told, in turn (priority, then paid
// time), when stock arrives: an adjustment through the inventory API, or stock a cancelled order gives back.
// Real PostgreSQL and Temporal; the fallback re-plan (15 minutes) never fires during these tests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listStockWaits } from '../../db/stock-waits.repository.js';
import { fulfilmentQuery } from '../../workflows/order.messages.js';
import { get, post, seedBasics, submitOrder, teaOrder } from '../helpers/fulfilment.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '1h' });
  await seedBasics(stack, { hz: { 'FZ-MUG': 5 } });
});
afterAll(async () => {
  await stack?.close();
});

const buyerTea = (buyer: string, paidAt: string) => teaOrder(buyer, `${buyer} 文三路 1 号`, { paidAt });
const submit = (order: ReturnType<typeof teaOrder>) => submitOrder(stack, order);

/** Allocated (its package waits in its hold window) or released already (the hold policy sealed it at once). */
const allocated = (s: string | undefined) => s === 'allocated' || s === 'released';
const orderStatus = async (id: string) => (await get(stack, `/v1/orders/${encodeURIComponent(id)}`)).body.status as string | undefined;
const fulfilment = (id: string) => stack.client.workflow.getHandle(id).query(fulfilmentQuery);
const adjust = (delta: number) => post(stack, '/v1/inventory/FZ-HZ/FZ-TEA/adjustments', { delta, reason: 'goods receipt', reference: 'GR-1' });
const queue = async () => (await listStockWaits(stack.db, 'FZ-TEA')).map((w) => w.order_id);
const reservedTea = (orderId: string) =>
  stack.db.selectFrom('reservations').select(['status', 'quantity']).where('order_id', '=', orderId).where('sku_code', '=', 'FZ-TEA').execute();

describe('orders waiting for stock', () => {
  it('are woken in paid-time order by a stock adjustment; one unit serves the earliest paid only', async () => {
    // Submitted first but paid later: the queue is by paid time, not by arrival.
    const later = await submit(buyerTea('buyer-w1', '2026-11-11T00:10:00Z'));
    await eventually(() => orderStatus(later), (s) => s === 'short', 30_000, 'the later-paid order short');
    const earlier = await submit(buyerTea('buyer-w2', '2026-11-11T00:01:00Z'));
    await eventually(() => orderStatus(earlier), (s) => s === 'short', 30_000, 'the earlier-paid order short');
    expect(await queue()).toEqual([earlier, later]);
    const waits = await listStockWaits(stack.db, 'FZ-TEA');
    expect(waits.map((w) => ({ quantity: w.quantity, short: w.short, warehouse: w.warehouse_code, woken: w.woken_at }))).toEqual([
      { quantity: 1, short: 1, warehouse: null, woken: null },
      { quantity: 1, short: 1, warehouse: null, woken: null },
    ]);
    expect(waits[0]!.paid_at?.toISOString()).toBe('2026-11-11T00:01:00.000Z');

    const r = await adjust(1);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await eventually(() => orderStatus(earlier), allocated, 20_000, 'the earlier-paid order allocated');
    expect(await reservedTea(earlier)).toEqual([{ status: 'reserved', quantity: 1 }]);
    expect((await fulfilment(earlier)).stockWakeups).toBe(1);
    // The later one was not told (the unit was not enough for both): it waits, still first in the queue now.
    expect(await orderStatus(later)).toBe('short');
    expect((await fulfilment(later)).stockWakeups).toBeUndefined();
    expect(await reservedTea(later)).toEqual([]);
    expect(await queue()).toEqual([later]);

    // The next unit is its.
    expect((await adjust(1)).status).toBe(201);
    await eventually(() => orderStatus(later), allocated, 20_000, 'the later-paid order allocated');
    expect(await reservedTea(later)).toEqual([{ status: 'reserved', quantity: 1 }]);
    expect(await queue()).toEqual([]);
    // A decrease or a rise nobody waits for tells nobody.
    expect((await adjust(1)).status).toBe(201);
    expect((await fulfilment(later)).stockWakeups).toBe(1);
  });

  it('gives the stock a cancelled order held to the next order waiting for it', async () => {
    // One unit in stock: the first order takes it, the second waits, the first is cancelled.
    const holder = await submit(buyerTea('buyer-w3', '2026-11-11T01:00:00Z'));
    await eventually(() => orderStatus(holder), allocated, 30_000, 'the holder allocated');
    const waiting = await submit(buyerTea('buyer-w4', '2026-11-11T01:05:00Z'));
    await eventually(() => orderStatus(waiting), (s) => s === 'short', 30_000, 'the second order short');
    expect(await queue()).toEqual([waiting]);

    await stack.dispatcher.dispatch(holder, { eventId: `${holder}#cancelled`, type: 'cancelled', reason: 'buyer cancelled' });
    const stopped = await eventually(() => orderStatus(holder), (s) => s === 'cancelled' || s === 'on_hold', 20_000, 'the holder cancelled or intercepting');
    if (stopped === 'on_hold') {
      // Its parcel had gone to the warehouse (the hold policy sealed it at once): the unit stays reserved
      // until the warehouse says it stopped the parcel, and only then is it offered to the next order.
      const [pkg] = (await fulfilment(holder)).packages;
      expect(pkg?.status).toBe('intercept_requested');
      await new Promise((r) => setTimeout(r, 500));
      expect(await orderStatus(waiting)).toBe('short');
      expect(await reservedTea(holder)).toEqual([{ status: 'reserved', quantity: 1 }]);
      expect((await post(stack, `/v1/packages/${pkg!.packageId}/events`, { type: 'intercepted' })).status).toBe(202);
      await eventually(() => orderStatus(holder), (s) => s === 'cancelled', 20_000, 'the holder cancelled');
    }
    await eventually(() => orderStatus(waiting), allocated, 20_000, 'the waiting order allocated');
    expect((await fulfilment(waiting)).stockWakeups).toBe(1);
    expect(await reservedTea(waiting)).toEqual([{ status: 'reserved', quantity: 1 }]);
    expect(await reservedTea(holder)).toEqual([{ status: 'released', quantity: 1 }]);
    expect(await queue()).toEqual([]);
  });
});
