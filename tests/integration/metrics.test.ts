// GET /metrics on the real stack (PostgreSQL, Temporal, a worker, the inbox relay, the platform simulator): a known
// set of pushes and orders goes through, and the figures agree with what was sent and with what PostgreSQL
// holds: ingest counts per platform and outcome, the inbox backlog while the relay is stopped, orders per status,
// open exceptions by type, a rejected write-back, stage durations from the timelines. The output parses as
// Prometheus text, every family named orderly_* with its help. The worker's own endpoint (WORKER_METRICS_ADDRESS)
// serves the Temporal SDK's metrics.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../api/plugins/metrics.js';
import { douyinEventSign } from '../../channels/douyin/index.js';
import { pddPushSignature } from '../../channels/pdd/index.js';
import { PlatformSimulator, type SimShop } from '../../channels/simulator/server.js';
import type { SimOrder } from '../../channels/simulator/generator.js';
import { taobaoPushSignature } from '../../channels/taobao/index.js';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../config/logger.js';
import { createDb } from '../../db/database.js';
import { FINISHED_STATUSES, ORDER_STAGES } from '../../db/metrics.repository.js';
import { orderWorkflowId } from '../../domain/order.js';
import { ORDER_STATUSES } from '../../domain/order-status.js';
import { stateQuery } from '../../workflows/order.messages.js';
import { pullSyncWorkflowType, type PullSyncWorkflow } from '../../workflows/pull-sync.messages.js';
import { installTemporalRuntime } from '../../workers/runtime.js';
import { makeOrder } from '../helpers/orders.js';
import { freePort } from '../helpers/ports.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';
import { connectShop } from './channels-helpers.js';

let stack: TestStack;
let workerMetricsUrl: string;
const sim = new PlatformSimulator({ seed: 31, presaleRate: 0, unpaidRate: 0 });

beforeAll(async () => {
  // The worker's metrics endpoint, as workers/main.ts installs it; first, since the runtime is once per process.
  const logger = createLogger(loadConfig(process.env, { LOG_FORMAT: 'json', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn' }));
  workerMetricsUrl = installTemporalRuntime(logger, { metricsAddress: `127.0.0.1:${await freePort()}` }).metricsUrl!;
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '1s' }, { carriers: true });
  await sim.start();
});
afterAll(async () => {
  await sim.stop();
  await stack?.close();
});

// A Prometheus text parser, strict enough to fail on anything malformed --------------------------------------

interface Family {
  help: string;
  type: string;
}
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Exposition {
  families: Map<string, Family>;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;

function parseExposition(text: string): Exposition {
  const families = new Map<string, Family>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'HELP') help.set(name, rest);
      else {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).toContain(rest);
        expect(families.has(name), `TYPE of ${name} given twice`).toBe(false);
        families.set(name, { help: help.get(name) ?? '', type: rest });
      }
      continue;
    }
    expect(line.startsWith('#'), `unexpected comment: ${line}`).toBe(false);
    const m = SAMPLE.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    if (labelText) {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let l = LABEL.exec(labelText); l; l = LABEL.exec(labelText)) {
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        consumed = LABEL.lastIndex;
      }
      expect(consumed, `bad labels: ${line}`).toBe(labelText.length);
    }
    // Go's ParseFloat, which Prometheus uses, takes NaN and Inf in any case (prom-client writes `Nan`).
    const value = /^[+-]?inf$/i.test(valueText) ? (valueText.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(valueText) ? NaN : Number(valueText);
    expect(Number.isNaN(value) && !/^nan$/i.test(valueText), `bad value: ${line}`).toBe(false);
    // Every sample belongs to a family declared before it (histograms by their suffixes).
    const family = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    expect(families.has(family), `sample of undeclared family: ${line}`).toBe(true);
    samples.push({ name, labels, value });
  }
  return { families, samples };
}

const scrape = async (): Promise<Exposition> => {
  const res = await stack.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(res.body);
};

/** The value of one series (0 when absent); `labels` must match the series' labels exactly. */
function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const hit = e.samples.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
  expect(hit.length, `${name}${JSON.stringify(labels)} given ${hit.length} times`).toBeLessThanOrEqual(1);
  return hit[0]?.value ?? 0;
}
/** Every series of a family, keyed by one label. */
function byLabel(e: Exposition, name: string, label: string): Record<string, number> {
  return Object.fromEntries(e.samples.filter((s) => s.name === name).map((s) => [s.labels[label], s.value]));
}

// The run --------------------------------------------------------------------------------------------------

const push = (shop: SimShop, req: { body: string; headers: Record<string, string> }) =>
  stack.app.inject({ method: 'POST', url: `/webhooks/${shop.platform}/${shop.shopId}`, payload: req.body, headers: req.headers });
const resign = (shop: SimShop, body: string, headers: Record<string, string>): Record<string, string> => {
  if (shop.platform === 'taobao') return { ...headers, 'x-tmc-sign': taobaoPushSignature(body, shop.appSecret) };
  if (shop.platform === 'pdd') return { ...headers, 'x-pdd-sign': pddPushSignature(body, shop.appSecret) };
  return { ...headers, 'event-sign': douyinEventSign(shop.appKey, body, shop.appSecret) };
};
const statusOf = async (id: string) => (await stack.db.selectFrom('orders').select('status').where('id', '=', id).executeTakeFirst())?.status;

const shops = {} as Record<'taobao' | 'douyin' | 'pdd', SimShop>;
const pushed: Array<{ shop: SimShop; order: SimOrder }> = [];
/** Push requests sent, by platform and the outcome they should be counted under. */
const sent: Record<string, Record<string, number>> = { taobao: {}, douyin: {}, pdd: {} };
const count = (platform: string, outcome: string) => (sent[platform]![outcome] = (sent[platform]![outcome] ?? 0) + 1);

describe('GET /metrics', () => {
  it('counts every push by platform and outcome, and times each one', async () => {
    for (const p of ['taobao', 'douyin', 'pdd'] as const) shops[p] = await connectShop(stack.app, sim, p, { syncMode: 'push' });
    const orders = { taobao: 3, douyin: 2, pdd: 1 };
    for (const p of ['taobao', 'douyin', 'pdd'] as const) {
      for (let i = 0; i < orders[p]; i++) {
        const order = sim.createOrder(shops[p]);
        const res = await push(shops[p], sim.pushRequest(shops[p], order, 'created'));
        expect(res.statusCode).toBe(200);
        count(p, 'accepted');
        pushed.push({ shop: shops[p], order });
      }
    }
    // A delivery repeated by Taobao is a request like any other (stored once, acknowledged again).
    const again = sim.pushRequest(shops.taobao, pushed[0]!.order, 'paid');
    for (let i = 0; i < 2; i++) expect((await push(shops.taobao, again)).statusCode).toBe(200);
    count('taobao', 'accepted');
    count('taobao', 'accepted');
    // A forged Douyin push, and an unreadable (but properly signed) PDD one: the latter opens a SYNC_FAILING exception.
    const forged = sim.pushRequest(shops.douyin, sim.createOrder(shops.douyin), 'created');
    expect((await push(shops.douyin, { body: forged.body, headers: { ...forged.headers, 'event-sign': 'f'.repeat(32) } })).statusCode).toBe(401);
    count('douyin', 'unauthorized');
    const garbled = '{"id": 1234, "topic": ';
    const base = sim.pushRequest(shops.pdd, sim.createOrder(shops.pdd), 'created');
    // Parked and answered with the platform's success (it would only be delivered again), but counted as invalid.
    expect((await push(shops.pdd, { body: garbled, headers: resign(shops.pdd, garbled, base.headers) })).statusCode).toBe(200);
    count('pdd', 'invalid');

    const m = await scrape();
    const counted: Record<string, Record<string, number>> = { taobao: {}, douyin: {}, pdd: {} };
    for (const s of m.samples.filter((x) => x.name === 'orderly_ingest_requests_total' && x.labels.source === 'webhook')) {
      if (s.value > 0) counted[s.labels.platform!]![s.labels.outcome!] = s.value;
    }
    expect(counted).toEqual(sent);
    // The histogram saw each request once, and every one took some time.
    for (const [platform, outcomes] of Object.entries(sent)) {
      for (const [outcome, n] of Object.entries(outcomes)) {
        const labels = { platform, source: 'webhook', outcome };
        expect(value(m, 'orderly_ingest_duration_seconds_count', labels)).toBe(n);
        expect(value(m, 'orderly_ingest_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(n);
        expect(value(m, 'orderly_ingest_duration_seconds_sum', labels)).toBeGreaterThan(0);
      }
    }
    // Platforms that push start at 0 rather than absent; JD (no push) has no webhook series.
    expect(m.samples.some((s) => s.name === 'orderly_ingest_requests_total' && s.labels.platform === 'jd' && s.labels.source === 'webhook')).toBe(false);
  });

  it('shows the inbox backlog while nothing delivers it, and its end once the relay runs', async () => {
    // Everything so far is delivered first.
    for (const { shop, order } of pushed) {
      const id = orderWorkflowId(shop.platform, shop.shopId, order.id);
      await eventually(() => statusOf(id), (s) => s !== undefined && s !== 'received', 20_000, `${id} applied`);
    }
    await eventually(async () => value(await scrape(), 'orderly_inbox_backlog', { platform: 'taobao' }), (n) => n === 0, 20_000, 'empty backlog');

    await stack.stopRelay();
    const held = [sim.createOrder(shops.taobao), sim.createOrder(shops.taobao)];
    try {
      for (const order of held) {
        expect((await push(shops.taobao, sim.pushRequest(shops.taobao, order, 'created'))).statusCode).toBe(200);
        count('taobao', 'accepted');
        pushed.push({ shop: shops.taobao, order });
      }
      await new Promise((r) => setTimeout(r, 1100));
      const m = await scrape();
      const waiting = await stack.db.selectFrom('channel_events').select(['platform']).where('dispatched_at', 'is', null).where('payload', 'is not', null).execute();
      expect(waiting.map((w) => w.platform)).toEqual(['taobao', 'taobao']);
      expect(byLabel(m, 'orderly_inbox_backlog', 'platform')).toEqual({ taobao: 2, jd: 0, douyin: 0, pdd: 0, manual: 0 });
      expect(value(m, 'orderly_inbox_backlog_oldest_seconds', { platform: 'taobao' })).toBeGreaterThanOrEqual(1);
      expect(value(m, 'orderly_inbox_backlog_oldest_seconds', { platform: 'taobao' })).toBeLessThan(60);
      expect(value(m, 'orderly_ingest_requests_total', { platform: 'taobao', source: 'webhook', outcome: 'accepted' })).toBe(sent.taobao!.accepted);
    } finally {
      stack.startRelay();
    }
    await eventually(async () => value(await scrape(), 'orderly_inbox_backlog', { platform: 'taobao' }), (n) => n === 0, 20_000, 'backlog delivered');
  });

  it('counts pulled orders per platform and the pulling shops\' health, from PostgreSQL', async () => {
    const shop = await connectShop(stack.app, sim, 'jd', { syncMode: 'pull', pullLagSeconds: 2, pullOverlapSeconds: 60, pullIntervalSeconds: 3600 });
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) pushed.push({ shop, order: sim.createOrder(shop, new Date(t0 - 60_000 + i * 1000)) });
    const run = await stack.client.workflow.execute<PullSyncWorkflow>(pullSyncWorkflowType, { taskQueue: stack.taskQueue, workflowId: `pull-sync:${shop.shopId}-metrics`, args: [{ shopId: shop.shopId }] });
    expect(run.status, run.error).toBe('done');

    const cursor = await stack.db.selectFrom('pull_cursors').selectAll().where('shop_id', '=', shop.shopId).executeTakeFirstOrThrow();
    expect(cursor.orders_seen).toBeGreaterThanOrEqual(3);
    const m = await scrape();
    expect(m.families.get('orderly_pull_orders_seen_total')?.type).toBe('counter');
    expect(byLabel(m, 'orderly_pull_orders_seen_total', 'platform')).toEqual({ jd: cursor.orders_seen });
    expect(value(m, 'orderly_pull_shops', { platform: 'jd' })).toBe(1);
    expect(value(m, 'orderly_pull_failing_shops', { platform: 'jd' })).toBe(0);
    // The cursor stops the platform's lag (2 s) short of the run's start.
    const lag = value(m, 'orderly_pull_cursor_lag_seconds', { platform: 'jd' });
    expect(lag).toBeGreaterThanOrEqual(2);
    expect(lag).toBeLessThan(60);
    // Pulls are not requests to the API: no ingest series for them.
    expect(m.samples.some((x) => x.name === 'orderly_ingest_requests_total' && x.labels.platform === 'jd' && x.value > 0)).toBe(false);
  });

  it('reports orders per status, open exceptions by type, a rejected write-back and stage durations as PostgreSQL holds them', async () => {
    // One order through the whole path (paid -> reviewed -> allocated -> released -> shipped), one short of stock.
    const shipped = makeOrder({ shopId: 'demo-taobao', paidAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    const shippedId = orderWorkflowId('taobao', shipped.shopId, shipped.platformOrderId);
    expect((await stack.app.inject({ method: 'POST', url: '/v1/skus', payload: { code: 'MX-NOSTOCK', name: 'Sold-out teapot', weightG: 800, volumeCm3: 3000, valueFen: 9900 } })).statusCode).toBe(201);
    const short = makeOrder({
      shopId: 'demo-taobao',
      paidAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      lines: [{ skuCode: 'MX-NOSTOCK', quantity: 1, unitPriceFen: 9900, paidFen: 9900 }],
      amounts: { goodsFen: 9900, shippingFen: 0, discountFen: 0, paidFen: 9900 },
      discounts: [],
    });
    const shortId = orderWorkflowId('taobao', short.shopId, short.platformOrderId);
    for (const o of [shipped, short]) {
      expect((await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: o })).statusCode).toBe(202);
    }
    await eventually(() => statusOf(shortId), (s) => s === 'short', 20_000, 'short of stock');
    await eventually(() => stack.db.selectFrom('exceptions').select('id').where('order_id', '=', shortId).where('type', '=', 'OUT_OF_STOCK').execute(), (r) => r.length === 1, 20_000, 'OUT_OF_STOCK opened');

    // The warehouse ships the first order's package; a pushed order's package goes with a carrier that has no code
    // on its platform, so its write-back is rejected (an exception for a person).
    const packageOf = async (id: string) => {
      await eventually(() => statusOf(id), (s) => s === 'released', 20_000, `${id} released`);
      return (await stack.client.workflow.getHandle(id).query(stateQuery)).fulfilment!.packages[0]!.packageId;
    };
    const shipPackage = async (packageId: string, carrierCode: string, trackingNo: string) => {
      await eventually(async () => (await stack.app.inject({ method: 'GET', url: `/v1/packages/${encodeURIComponent(packageId)}` })).json<{ status: string }>().status, (s) => s === 'released', 20_000, 'package released');
      const res = await stack.app.inject({ method: 'POST', url: `/v1/packages/${encodeURIComponent(packageId)}/events`, payload: { type: 'shipped', carrierCode, trackingNo } });
      expect(res.statusCode, res.body).toBe(202);
    };
    await shipPackage(await packageOf(shippedId), 'YTO', 'YT7000000000777');
    const local = { code: 'MX-LOCAL', name: 'Local courier', services: ['express'], maxWeightG: 50_000, rates: [{ service: 'express', regions: [], firstWeightG: 1000, firstFen: 600, stepG: 1000, stepFen: 100 }] };
    expect((await stack.app.inject({ method: 'POST', url: '/v1/carriers', payload: local })).statusCode).toBe(201);
    // Pushed orders settle where the rules put them: released, or waiting for a reviewer (a remark, a large amount).
    const settled = ['released', 'short', 'shipped', 'on_hold', 'pending_review', 'allocated'];
    const pushedIds = pushed.map((p) => orderWorkflowId(p.shop.platform, p.shop.shopId, p.order.id));
    const pushedStatus = await eventually(() => Promise.all(pushedIds.map(statusOf)), (ss) => ss.every((x) => x !== undefined && settled.includes(x)), 30_000, 'pushed orders settled');
    const rejectedId = pushedIds[pushedStatus.indexOf('released')];
    expect(rejectedId, `a released pushed order among ${pushedStatus.join(', ')}`).toBeDefined();
    const rejectedPlatform = rejectedId!.split(':')[1]!;
    await shipPackage(await packageOf(rejectedId!), 'MX-LOCAL', 'MX0000000001');
    await eventually(() => statusOf(shippedId), (s) => s === 'shipped', 20_000, 'shipped');
    await eventually(
      () => stack.db.selectFrom('channel_writebacks').select('status').where('order_id', '=', rejectedId!).execute(),
      (r) => r.length === 1 && r[0]!.status === 'rejected',
      20_000,
      'write-back rejected',
    );

    // Every order settled (nothing between two steps), then one scrape against one read of the tables.
    await eventually(
      () => stack.db.selectFrom('orders').select(['id', 'status']).execute(),
      (rows) => rows.every((r) => settled.includes(r.status)) && rows.some((r) => r.id === rejectedId && r.status === 'shipped'),
      30_000,
      'orders settled',
    );
    const m = await scrape();
    expect(value(m, 'orderly_metrics_database_up')).toBe(1);
    expect(value(m, 'orderly_metrics_database_seconds')).toBeGreaterThan(0);

    const rows = await stack.db.selectFrom('orders').select(['status']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('status').execute();
    const all = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0]));
    for (const r of rows) all[r.status] = Number(r.n);
    const finished = FINISHED_STATUSES as readonly string[];
    expect(byLabel(m, 'orderly_orders', 'status')).toEqual(Object.fromEntries(Object.entries(all).filter(([s]) => !finished.includes(s))));
    // Every order of this run was stored within the window: the recent figures are the whole read model.
    expect(byLabel(m, 'orderly_orders_recent', 'status')).toEqual(all);
    expect(all.shipped).toBe(2);
    expect(all.short).toBe(1);
    expect(Object.values(all).reduce((a, b) => a + b, 0)).toBe(pushed.length + 2);

    const open = await stack.db.selectFrom('exceptions').select(['type']).select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'open').groupBy('type').execute();
    const openByType = Object.fromEntries(open.map((r) => [r.type, Number(r.n)]));
    expect(openByType).toMatchObject({ OUT_OF_STOCK: 1, SYNC_FAILING: 2 });
    const gauge = byLabel(m, 'orderly_exceptions_open', 'type');
    expect(Object.fromEntries(Object.entries(gauge).filter(([, n]) => n > 0))).toEqual(openByType);
    expect(value(m, 'orderly_exceptions_open_oldest_seconds', { type: 'OUT_OF_STOCK' })).toBeGreaterThan(0);
    expect(value(m, 'orderly_exceptions_overdue', { type: 'OUT_OF_STOCK' })).toBe(0);
    // The same figures as the exception summary of the API.
    const summary = (await stack.app.inject({ method: 'GET', url: '/v1/exceptions/summary' })).json<{ byType: Array<{ type: string; open: number }> }>();
    expect(Object.fromEntries(summary.byType.map((t) => [t.type, t.open]))).toEqual(openByType);

    expect(byLabel(m, 'orderly_writebacks_rejected', 'platform')).toEqual({ taobao: 0, jd: 0, douyin: 0, pdd: 0, [rejectedPlatform]: 1 });
    expect(value(m, 'orderly_writebacks_pending', { platform: rejectedPlatform })).toBe(0);

    // Stage durations: recomputed here from the timelines (each stage's end, from the latest start before it).
    const events = await stack.db.selectFrom('order_events').select(['order_id', 'seq', 'event_type', 'occurred_at']).orderBy('order_id').orderBy('seq').execute();
    const expected: Record<string, number[]> = {};
    for (const st of ORDER_STAGES) {
      const xs: number[] = [];
      for (const e of events.filter((x) => x.event_type === st.to)) {
        const start = events.filter((x) => x.order_id === e.order_id && x.seq < e.seq && x.event_type === st.from).at(-1);
        if (start) xs.push((e.occurred_at.getTime() - start.occurred_at.getTime()) / 1000);
      }
      expected[st.stage] = xs.sort((a, b) => a - b);
    }
    expect(expected.paid_to_shipped).toHaveLength(2);
    expect(expected.reviewed_to_allocated!.length).toBeGreaterThan(0);
    const quantile = (xs: number[], q: number) => {
      const pos = q * (xs.length - 1);
      const lo = Math.floor(pos);
      return xs[lo]! + (xs[Math.min(lo + 1, xs.length - 1)]! - xs[lo]!) * (pos - lo);
    };
    for (const [stage, xs] of Object.entries(expected)) {
      expect(value(m, 'orderly_order_stage_samples', { stage }), stage).toBe(xs.length);
      for (const q of [0.5, 0.9, 0.99]) {
        if (xs.length) expect(value(m, 'orderly_order_stage_seconds', { stage, quantile: String(q) }), `${stage} ${q}`).toBeCloseTo(quantile(xs, q), 3);
        else expect(m.samples.some((s) => s.name === 'orderly_order_stage_seconds' && s.labels.stage === stage)).toBe(false);
      }
    }
  });

  it('speaks Prometheus text: every family orderly_* with help, the process metrics included', async () => {
    const m = await scrape();
    expect(m.families.size).toBeGreaterThan(20);
    for (const [name, f] of m.families) {
      expect(name, name).toMatch(/^orderly_/);
      expect(f.help.length, `${name} has no help`).toBeGreaterThan(10);
    }
    for (const name of ['orderly_process_cpu_user_seconds_total', 'orderly_process_resident_memory_bytes', 'orderly_nodejs_eventloop_lag_seconds']) {
      expect(m.families.has(name), name).toBe(true);
    }
    expect(m.families.get('orderly_ingest_requests_total')?.type).toBe('counter');
    expect(m.families.get('orderly_ingest_duration_seconds')?.type).toBe('histogram');
    expect(m.families.get('orderly_orders')?.type).toBe('gauge');
  });

  it('answers in time without the PostgreSQL figures when the database is slow or gone, and says so', async () => {
    // A lock held on the orders table until the scrape has answered: without its time limit (METRICS_QUERY_TIMEOUT)
    // the scrape's query would wait for this transaction, and this transaction for the scrape, until the test times out.
    const metrics = createMetrics({ db: stack.db, config: { ...stack.config, METRICS_QUERY_TIMEOUT: 300 }, logger: stack.logger });
    const locked = await stack.db.transaction().execute(async (tx) => {
      await sql`lock table orders in access exclusive mode`.execute(tx);
      return parseExposition(await metrics.exposition());
    });
    expect(value(locked, 'orderly_metrics_database_up')).toBe(0);
    expect(locked.samples.some((x) => x.name === 'orderly_orders' || x.name === 'orderly_exceptions_open')).toBe(false);
    // Counted figures stay; the read figures are back with the next scrape.
    expect(locked.families.has('orderly_ingest_requests_total')).toBe(true);
    expect(value(parseExposition(await metrics.exposition()), 'orderly_metrics_database_up')).toBe(1);

    // No database at all (nothing listens on the port).
    const gone = createDb(`postgres://orderly@127.0.0.1:${await freePort()}/orderly`, 1);
    try {
      const m = parseExposition(await createMetrics({ db: gone, config: stack.config, logger: stack.logger }).exposition());
      expect(value(m, 'orderly_metrics_database_up')).toBe(0);
      expect(m.samples.some((x) => x.name === 'orderly_inbox_backlog')).toBe(false);
    } finally {
      await gone.destroy();
    }
  });

  it('asks for a key unless METRICS_PUBLIC', async () => {
    expect((await stack.injectAs(null, { method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const viewer = await stack.createKey('viewer');
    expect((await stack.injectAs(viewer.key, { method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('leaves the worker its own endpoint: the Temporal SDK metrics of the workflows and activities that ran', async () => {
    const text = await (await fetch(workerMetricsUrl)).text();
    const worker = parseExposition(text);
    expect([...worker.families.keys()].filter((n) => n.startsWith('temporal_')).length).toBeGreaterThan(5);
    const ours = (name: string, activityType: string) =>
      worker.samples.filter((s) => s.name === name && s.labels.task_queue === stack.taskQueue && s.labels.activity_type === activityType).reduce((a, s) => a + s.value, 0);
    // Every order that reached allocation reserved its stock in a local activity; every shipped one wrote back.
    expect(ours('temporal_local_activity_execution_latency_count', 'reserveStock')).toBeGreaterThanOrEqual(3);
    expect(ours('temporal_activity_execution_latency_count', 'writeBackShipment')).toBeGreaterThanOrEqual(2);
  });
});
