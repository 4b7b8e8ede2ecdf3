import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive, formatReport, type DriveOptions, type GeneratedOrder } from '../../channels/simulator/drive.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';
import { stateQuery } from '../../workflows/order.messages.js';

let stack: TestStack;
let api: string;
const prefix = `simsc${Date.now() % 1_000_000}`;

beforeAll(async () => {
  // Demo master data with carriers: orders are allocated and held a few seconds before release, and wait for the
  // warehouse after it, so platform changes land before release or as exceptions after it.
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '3s' }, { carriers: true });
  await stack.app.listen({ port: 0, host: '127.0.0.1' });
  api = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await stack?.close();
});

const options = (over: Partial<DriveOptions>): DriveOptions => ({
  platforms: ['taobao'],
  rate: 10,
  durationS: 1,
  seed: 20261201,
  mode: undefined,
  api,
  apiKey: stack.adminKey,
  waitS: 45,
  duplicateRate: 0,
  outOfOrderRate: 0,
  shopPrefix: prefix,
  pullIntervalS: 5,
  ...over,
});

/** Polls until `check` returns something other than undefined, or fails with the last value seen. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const orderRow = (id: string) => stack.db.selectFrom('orders').select(['status', 'order']).where('id', '=', id).executeTakeFirst();
const openChangedAfterRelease = async (id: string) =>
  (await stack.db.selectFrom('exceptions').select('id').where('order_id', '=', id).where('kind', '=', 'changed_after_release').where('status', '=', 'open').execute()).length > 0;

describe('npm run simulate scenarios on a Taobao push shop', () => {
  it('plays already-shipped, refund-line and late-address orders, and Orderly handles each', async () => {
    const report = await drive(options({ rate: 15, durationS: 2, alreadyShippedRate: 0.34, refundLineRate: 0.33, lateAddressRate: 0.33 }));
    expect(report.pushes.failed).toBe(0);
    expect(report.orderly.missing).toEqual([]);
    const of = (k: GeneratedOrder['scenario']) => report.orders.filter((o) => o.scenario === k);
    const shipped = of('already_shipped');
    const refund = of('refund_line');
    const moved = of('late_address');
    expect(shipped.length).toBeGreaterThan(0);
    expect(refund.length).toBeGreaterThan(0);
    expect(moved.length).toBeGreaterThan(0);
    expect(report.scenarios?.already_shipped).toMatchObject({ orders: shipped.length, messages: shipped.length });
    // Taobao: a refund request and then the refund paid out, for each.
    expect(report.scenarios?.refund_line).toMatchObject({ orders: refund.length, messages: refund.length, refundsPaid: refund.length });
    expect(report.scenarios?.late_address).toMatchObject({ orders: moved.length, messages: moved.length });
    const text = formatReport(report);
    expect(text).toMatch(new RegExp(`already-shipped\\s+${shipped.length} orders already shipped on the platform`));
    expect(text).toMatch(/refund-line\s+\d+ orders one line refunded \(\d+ refund requests, \d+ refunds paid out\); ended: /);
    expect(text).toMatch(/late-address\s+\d+ orders address changed later/);

    // Already shipped on the platform: closed as shipped elsewhere, nothing ever reserved for them.
    for (const o of shipped) {
      await eventually(`${o.orderId} shipped_elsewhere`, async () => ((await orderRow(o.orderId))?.status === 'shipped_elsewhere' ? true : undefined));
      const reservations = await stack.db.selectFrom('reservations').select('id').where('order_id', '=', o.orderId).execute();
      expect(reservations).toEqual([]);
    }
    // Counted at the end of the run (the workflow may have closed some a moment later).
    expect(Object.keys(report.scenarios!.already_shipped!.byStatus).every((s) => ['shipped_elsewhere', 'paid', 'received'].includes(s))).toBe(true);

    // A refunded line: the order no longer carries it (or, past release, an exception is open for it).
    for (const o of refund) {
      const lineId = o.refundLineId!;
      expect(lineId).toMatch(/^\d{19}$/);
      const how = await eventually(`${o.orderId} without line ${lineId}`, async () => {
        const state = await stack.client.workflow.getHandle(o.orderId).query(stateQuery);
        if (state.refunding?.includes(lineId)) return undefined;
        const row = await orderRow(o.orderId);
        const lines = (row?.order as { lines?: Array<{ lineId?: string }> } | undefined)?.lines ?? [];
        if (lines.length && !lines.some((l) => l.lineId === lineId)) return 'line dropped';
        if (await openChangedAfterRelease(o.orderId)) return 'exception';
        return undefined;
      });
      expect(how).toMatch(/^(line dropped|exception)$/);
      // Not asserted here: whether the stock reserved for the line is given back. A refund that lands while the
      // order is being allocated is dropped from the order but stays in its package and reservations, with no
      // exception (an open issue of the order workflow, not of the simulator).
    }

    // A late address: the read model shows the new (masked) street, or an exception says it came after release.
    for (const o of moved) {
      expect(o.changedAddress).toMatch(/\*\*\*号$/);
      await eventually(`${o.orderId} at its new address`, async () => {
        const row = await orderRow(o.orderId);
        const detail = (row?.order as { receiver?: { detail?: string } } | undefined)?.receiver?.detail;
        if (detail === o.changedAddress) return true;
        return (await openChangedAfterRelease(o.orderId)) ? true : undefined;
      });
    }
  });

  it('plays them on Douyin and PDD too: already-shipped orders end shipped elsewhere, late addresses arrive', async () => {
    const report = await drive(options({ platforms: ['douyin', 'pdd'], rate: 20, durationS: 1, seed: 20261202, shopPrefix: `${prefix}b`, alreadyShippedRate: 0.5, lateAddressRate: 0.5 }));
    expect(report.pushes.failed).toBe(0);
    expect(report.orderly.missing).toEqual([]);
    for (const platform of ['douyin', 'pdd'] as const) {
      const mine = report.orders.filter((o) => o.platform === platform);
      expect(mine.filter((o) => o.scenario === 'already_shipped').length).toBeGreaterThan(0);
      expect(mine.filter((o) => o.scenario === 'late_address').length).toBeGreaterThan(0);
    }
    for (const o of report.orders.filter((x) => x.scenario === 'already_shipped')) {
      await eventually(`${o.orderId} shipped_elsewhere`, async () => ((await orderRow(o.orderId))?.status === 'shipped_elsewhere' ? true : undefined));
      expect(await stack.db.selectFrom('reservations').select('id').where('order_id', '=', o.orderId).execute()).toEqual([]);
    }
    for (const o of report.orders.filter((x) => x.scenario === 'late_address')) {
      await eventually(`${o.orderId} at its new address`, async () => {
        const detail = ((await orderRow(o.orderId))?.order as { receiver?: { detail?: string } } | undefined)?.receiver?.detail;
        return detail === o.changedAddress || (await openChangedAfterRelease(o.orderId)) ? true : undefined;
      });
    }
  });
});
