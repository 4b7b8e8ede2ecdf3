import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive, formatReport, OrderlyUnreachableError, type DriveOptions, type DriveProgress } from '../../channels/simulator/drive.js';
import { freePort } from '../helpers/ports.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';
import { stateQuery } from '../../workflows/order.messages.js';

let stack: TestStack;
let api: string;
const prefix = `simt${Date.now() % 1_000_000}`;

beforeAll(async () => {
  stack = await createTestStack();
  // The driver talks to Orderly over HTTP like a platform would, so the app needs a real socket.
  await stack.app.listen({ port: 0, host: '127.0.0.1' });
  api = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await stack?.client.schedule
    .getHandle(`pull-sync:${prefix}-jd`)
    .delete()
    .catch(() => undefined);
  await stack?.close();
});

const options = (over: Partial<DriveOptions>): DriveOptions => ({
  platforms: ['douyin', 'jd'],
  rate: 10,
  durationS: 3,
  seed: 20261111,
  mode: undefined,
  api,
  apiKey: stack.adminKey,
  waitS: 45,
  // High shares so that a short run surely has redeliveries and reordered events.
  duplicateRate: 0.3,
  outOfOrderRate: 0.5,
  shopPrefix: prefix,
  pullIntervalS: 5,
  ...over,
});

describe('npm run simulate against a running Orderly', () => {
  it('brings every order of a Douyin push shop and a JD pull shop in exactly once', async () => {
    const seen: DriveProgress[] = [];
    const report = await drive(options({}), { onProgress: (p) => seen.push(p), progressEveryMs: 100 });

    expect(report.generated).toBe(30);
    expect(report.behind).toBe(0);
    expect(report.generatedByPlatform).toEqual({ douyin: 15, jd: 15 });
    expect(report.shops).toEqual([
      { platform: 'douyin', shopId: `${prefix}-douyin`, syncMode: 'push', reused: false },
      { platform: 'jd', shopId: `${prefix}-jd`, syncMode: 'pull', reused: false },
    ]);
    const pushedOrders = report.orders.filter((o) => o.pushed);
    expect(pushedOrders).toHaveLength(15);
    expect(report.pushes.failed).toBe(0);
    expect(report.pushes.acknowledged).toBe(report.pushes.messages);
    expect(report.pushes.duplicatesSent).toBeGreaterThan(0);
    expect(report.pushes.duplicatesAcknowledged).toBe(report.pushes.duplicatesSent);
    expect(report.pushes.outOfOrder).toBeGreaterThan(0);
    expect(Object.keys(report.pushes.byStatus)).toEqual(['200']);

    expect(report.orderly.missing).toEqual([]);
    expect(report.orderly.found).toBe(30);
    expect(report.orderly.alreadyThere).toBe(0);
    expect(report.orderly.others).toBe(0);
    expect(report.orderly.notYetRunning).toBe(0);
    expect(seen.some((p) => p.phase === 'generating')).toBe(true);
    expect(seen.at(-1)).toMatchObject({ phase: 'done', generated: 30, inOrderly: 30 });
    expect(formatReport(report)).toMatch(/Missing\s+none/);

    // Exactly once, from the database itself: one read-model row and one `created` inbox event per order,
    // whatever was redelivered or reordered.
    for (const shop of report.shops) {
      const generated = report.orders.filter((o) => o.shopId === shop.shopId).map((o) => o.orderId);
      const rows = await stack.db.selectFrom('orders').select('id').where('shop_id', '=', shop.shopId).execute();
      expect(rows.map((r) => r.id).sort()).toEqual([...generated].sort());
      const created = await stack.db.selectFrom('channel_events').select('order_id').where('shop_id', '=', shop.shopId).where('event_type', '=', 'created').execute();
      expect(created.map((c) => c.order_id).sort()).toEqual([...generated].sort());
    }

    // Redelivered messages are applied once; a payment pushed before its order is applied with it.
    for (const o of pushedOrders.filter((x) => x.duplicated || x.outOfOrder)) {
      const state = await stack.client.workflow.getHandle(o.orderId).query(stateQuery);
      expect(new Set(state.appliedEventIds).size).toBe(state.appliedEventIds.length);
      if (o.outOfOrder) expect(state.appliedEventIds).toHaveLength(2);
    }

    // The simulator has stopped: the pulled shop is left inactive, its Schedule paused.
    const jd = await stack.app.inject({ method: 'GET', url: `/v1/shops/${prefix}-jd` });
    expect(jd.json()).toMatchObject({ active: false, pull: { schedule: 'paused', consecutiveFailures: 0 } });
  });

  it('reuses the shops on a second run and tells orders already there from new ones', async () => {
    // Same seed and platforms, so the same first order ids: Orderly already has them, and the report must
    // not count them as brought in by this run.
    const report = await drive(options({ durationS: 1, waitS: 20 }));
    expect(report.shops.map((s) => [s.shopId, s.reused])).toEqual([
      [`${prefix}-douyin`, true],
      [`${prefix}-jd`, true],
    ]);
    expect(report.generated).toBe(10);
    expect(report.orderly.found).toBe(10);
    expect(report.orderly.alreadyThere).toBe(10);
    expect(report.orderly.others).toBe(20);
    expect(report.pushes.failed).toBe(0);
    expect(formatReport(report)).toMatch(/already there\s+10 were in Orderly before this run/);
    const douyin = await stack.app.inject({ method: 'GET', url: `/v1/shops/${prefix}-douyin` });
    expect(douyin.json()).toMatchObject({ active: true, syncMode: 'push' });
    expect((await stack.db.selectFrom('orders').select('id').where('shop_id', 'in', [`${prefix}-douyin`, `${prefix}-jd`]).execute()).length).toBe(30);
  });

  it('says Orderly is not reachable when nothing listens at the API address', async () => {
    await expect(drive(options({ api: `http://127.0.0.1:${await freePort()}` }))).rejects.toThrow(OrderlyUnreachableError);
    await expect(drive(options({ api: `http://127.0.0.1:${await freePort()}` }))).rejects.toThrow(/npm start/);
  });
});
