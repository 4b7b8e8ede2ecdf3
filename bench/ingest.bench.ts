/**
 * Channel ingest: push throughput and latency at a fixed arrival rate (request -> durable acknowledgement,
 * request -> order workflow running), beside a Fastify hello-world route hit at the same rate in the same
 * run; then pull lag (order created on the simulator -> its workflow running). Starts its own embedded
 * PostgreSQL and Temporal dev server, the API on a real socket, a worker and the simulator, all in this
 * process (like `npm start`), and stops them at the end.
 *
 * Run: npx tsx bench/ingest.bench.ts   (BENCH_ORDERS=10000 BENCH_RATE=300 BENCH_PULL_ORDERS=200)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import Fastify from 'fastify';
import { startApi } from '../api/server.js';
import { PlatformSimulator, type SimShop } from '../channels/simulator/server.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { createDb, migrateToLatest } from '../db/database.js';
import { startEmbeddedPostgres } from '../scripts/stack/postgres.js';
import { startTemporalDevServer } from '../scripts/stack/temporal-server.js';
import { freePort } from '../tests/helpers/ports.js';
import { createOrderWorker } from '../workers/worker.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 300);
const PULL_ORDERS = Number(process.env.BENCH_PULL_ORDERS ?? 200);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const fmt = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(1)} ms  p99 ${pct(xs, 99).toFixed(1)} ms  max ${pct(xs, 100).toFixed(1)} ms`;

/** Open-loop load: request i is sent at t0 + i/rate whatever happened to the earlier ones. */
async function atRate(n: number, rate: number, send: (i: number) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(send(i));
  }
  await Promise.all(inflight);
  return (performance.now() - t0) / 1000;
}

const config = loadConfig(process.env, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'error', LOG_FORMAT: 'json', NODE_ENV: 'test', ORDER_PAYMENT_TIMEOUT: '1h' });
const logger = createLogger(config);
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-bench-'));
fs.chmodSync(runDir, 0o755);
const [pgPort, temporalPort, apiPort, helloPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
process.stdout.write('starting PostgreSQL and Temporal ...\n');
const [pg, temporal] = await Promise.all([
  startEmbeddedPostgres({ dir: path.join(runDir, 'pg'), port: pgPort, logger, ephemeral: true }),
  startTemporalDevServer({ port: temporalPort, namespace: 'default', dataDir: config.dataDir, cliPath: config.TEMPORAL_CLI_PATH, logger }),
]);
await pg.ensureDatabase('orderly_bench');
const cfg = loadConfig(process.env, { LOG_LEVEL: 'error', LOG_FORMAT: 'json', NODE_ENV: 'test', ORDER_PAYMENT_TIMEOUT: '1h', PORT: String(apiPort), TEMPORAL_ADDRESS: temporal.address, DATABASE_URL: pg.urlFor('orderly_bench'), PULL_OVERLAP: '30s' });
const db = createDb(pg.urlFor('orderly_bench'), 20);
await migrateToLatest(db);
const nativeConnection = await NativeConnection.connect({ address: temporal.address });
const { worker, close: closeWorker } = await createOrderWorker({ connection: nativeConnection, temporalAddress: temporal.address, config: cfg, namespace: 'default', taskQueue: cfg.TEMPORAL_TASK_QUEUE, db, logger });
const workerRun = worker.run();
const api = await startApi(cfg, logger, db, { temporalAddress: temporal.address });
const hello = Fastify();
hello.post('/hello', async () => ({ hello: 'world' }));
await hello.listen({ port: helloPort, host: '127.0.0.1' });
const sim = new PlatformSimulator({ seed: 2026, presaleRate: 0.03, unpaidRate: 0.1 });
await sim.start();

async function connect(platform: 'douyin' | 'jd', extra: Record<string, unknown>): Promise<SimShop> {
  const shop: SimShop = { platform, shopId: `bench-${platform}`, appKey: `bench${platform}key`, appSecret: `bench-${platform}-secret` };
  const res = await fetch(`${api.url}/v1/shops`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: shop.shopId, platform, name: `bench ${platform}`, credentials: { appKey: shop.appKey, appSecret: shop.appSecret }, apiBaseUrl: sim.baseUrl(platform), ...extra }),
  });
  if (res.status !== 201) throw new Error(`shop not created: ${await res.text()}`);
  return sim.addShop(shop);
}

try {
  // Warm-up: connections, JIT, the first workflow tasks.
  const pushShop = await connect('douyin', { syncMode: 'push' });
  for (let i = 0; i < 50; i++) await sim.push(api.url, pushShop, sim.createOrder(pushShop), 'created');

  // Baseline: hello world at the same rate.
  const helloMs: number[] = [];
  const helloN = Math.min(ORDERS, RATE * 10);
  await atRate(helloN, RATE, async () => {
    const t = performance.now();
    const r = await fetch(`http://127.0.0.1:${helloPort}/hello`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await r.text();
    helloMs.push(performance.now() - t);
  });

  // Push: created messages (ids only: Orderly reads each order's detail from the simulator).
  const ackMs: number[] = [];
  const sentAt = new Map<string, number>();
  let failed = 0;
  const pushed = Array.from({ length: ORDERS }, () => sim.createOrder(pushShop));
  const seconds = await atRate(ORDERS, RATE, async (i) => {
    const o = pushed[i]!;
    sentAt.set(`order:douyin:${pushShop.shopId}:${o.id}`, Date.now());
    const req = sim.pushRequest(pushShop, o, 'created');
    const url = `${api.url}/webhooks/douyin/${pushShop.shopId}`;
    const r = await sim.send(url, req.body, req.headers);
    if (r.status !== 200 || !r.body.includes('"code":0')) failed++;
    ackMs.push(r.ms);
    // The platform redelivers 1% of the messages as they were: they must not make a second order.
    if (i % 100 === 0) await sim.send(url, req.body, req.headers);
  });

  // Workflow running: the first timeline entry is written at the workflow's first task time.
  const deadline = Date.now() + 120_000;
  let running: Array<{ order_id: string; first: Date }> = [];
  while (Date.now() < deadline) {
    running = await db.selectFrom('order_events').select(['order_id']).select((eb) => eb.fn.min('occurred_at').as('first')).where('order_id', 'like', `order:douyin:${pushShop.shopId}:%`).groupBy('order_id').execute();
    if (running.length >= ORDERS + 50) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const wfMs = running.flatMap((r) => (sentAt.has(r.order_id) ? [new Date(r.first).getTime() - sentAt.get(r.order_id)!] : []));
  const orders = await db.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('n')).where('shop_id', '=', pushShop.shopId).executeTakeFirstOrThrow();
  const createdEvents = await db.selectFrom('channel_events').select((eb) => eb.fn.countAll<number>().as('n')).where('shop_id', '=', pushShop.shopId).where('event_type', '=', 'created').executeTakeFirstOrThrow();
  const expected = ORDERS + 50;

  // Pull: a JD shop pulled every 10 s with a 5 s platform lag; orders trickle in for 30 s.
  const pullShop = await connect('jd', { syncMode: 'pull', pullIntervalSeconds: 10, pullLagSeconds: 5, pullOverlapSeconds: 30 });
  const pullCreated = new Map<string, number>();
  await atRate(PULL_ORDERS, PULL_ORDERS / 30, async () => {
    const o = sim.createOrder(pullShop);
    pullCreated.set(`order:jd:${pullShop.shopId}:${o.id}`, o.createdAt.getTime());
  });
  const pullDeadline = Date.now() + 90_000;
  let pulled: Array<{ order_id: string; first: Date }> = [];
  while (Date.now() < pullDeadline) {
    pulled = await db.selectFrom('order_events').select(['order_id']).select((eb) => eb.fn.min('occurred_at').as('first')).where('order_id', 'like', `order:jd:${pullShop.shopId}:%`).groupBy('order_id').execute();
    if (pulled.length >= PULL_ORDERS) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const pullLagS = pulled.flatMap((r) => (pullCreated.has(r.order_id) ? [(new Date(r.first).getTime() - pullCreated.get(r.order_id)!) / 1000] : []));

  const lines = [
    `machine: ${os.cpus().length} cores, Node ${process.version}; API, worker, simulator and load in one process`,
    `hello world (Fastify, ${helloN} requests at ${RATE}/s): ${fmt(helloMs)}`,
    `push ack (${ORDERS} Douyin orders at ${RATE}/s, ${(ORDERS / seconds).toFixed(0)}/s achieved): ${fmt(ackMs)}  failed ${failed}`,
    `push -> workflow running (${wfMs.length} orders): ${fmt(wfMs)}`,
    `orders: expected ${expected}, in read model ${Number(orders.n)}, created events ${Number(createdEvents.n)}, workflows running ${running.length} -> missed ${expected - running.length}, duplicated ${Number(orders.n) - running.length > 0 ? Number(orders.n) - running.length : 0}`,
    `pull lag (${pullLagS.length}/${PULL_ORDERS} JD orders, every 10 s, lag 5 s): p50 ${pct(pullLagS, 50).toFixed(1)} s  p99 ${pct(pullLagS, 99).toFixed(1)} s  max ${pct(pullLagS, 100).toFixed(1)} s`,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
} finally {
  await sim.stop();
  await hello.close();
  await api.close();
  worker.shutdown();
  await workerRun;
  await closeWorker();
  await nativeConnection.close();
  await db.destroy();
  await temporal.stop();
  await pg.stop();
  fs.rmSync(runDir, { recursive: true, force: true });
}
