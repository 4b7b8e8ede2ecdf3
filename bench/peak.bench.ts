/**
 * `npm run bench`: the whole local stack at peak, beside two baselines measured in the same run.
 *
 * Baselines: an empty Temporal workflow (signal-with-start to completion, on a worker created exactly like the
 * order worker: bench/empty.worker.ts) and a Fastify hello-world route (bench/hello-server.ts) receiving the
 * same arrival rate at the same time as the pushes. Phases:
 * 1. empty workflows: their sustained rate on this machine (the ceiling order throughput is compared with);
 * 2. ingest alone: pushes at --ingest-rate for --ingest-seconds with delivery paused (no worker runs: the API
 *    verifies, stores and acknowledges), hello world at the same rate at the same time;
 * 3. burst and drain: the worker starts on that backlog; a flood shop bursts at --burst-rate for
 *    --burst-seconds while a steady shop sends 2 orders a second throughout; after the burst, pushes and hello
 *    world at --ingest-rate for --drain-push-seconds while the backlog drains. Reported: every push
 *    acknowledged, paid -> released sustained rate against the empty workflows', the steady shop's delay
 *    against the flood's (fair share), nothing lost or doubled, and where the CPU went;
 * 4. half rate: orders at half the sustained paid -> released rate for --half-seconds: push ack, workflow
 *    running, paid -> released and shipped p50/p95/p99;
 * 5. soak (--orders N): N orders at --soak-rate (default the half rate), the API's and the worker's memory
 *    sampled every 10 s, the curve printed.
 *
 * Topology as the other end-to-end benches (bench/README.md): embedded PostgreSQL and an in-memory Temporal dev
 * server, API and worker each in their own process, load clients in theirs, the platform simulator and the
 * simulated warehouse in this process. Pushes are signed Douyin messages carrying ids (the relay reads each
 * order's detail from the simulator); every order is paid, its SKUs are in stock, and the simulated warehouse
 * picks and ships each released parcel within 50-300 ms.
 *
 * Exit code 0 when every target is met, 3 when one is not, 1 when the run failed.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { generateApiKey } from '../api/plugins/api-keys.js';
import { PlatformSimulator, type SimShop } from '../channels/simulator/server.js';
import { startWarehouse, type WarehousePlayer } from '../channels/simulator/warehouse.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { payloadDataConverter } from '../config/payload-codec.js';
import { createDb, migrateToLatest, type Db } from '../db/database.js';
import { seedDemoData } from '../db/seed.js';
import { startEmbeddedPostgres } from '../scripts/stack/postgres.js';
import { startTemporalDevServer } from '../scripts/stack/temporal-server.js';
import { freePort } from '../tests/helpers/ports.js';
import { emptyGo } from './empty.workflows.js';
import type { LoadResult, LoadSpec } from './load-client.js';
import { cpuSplit, pidsMatching, sampleGroups, startCpuMeter, type ProcGroup } from './proc.js';
import { answers200, benchShutdown, orderlyProcessEnv, reniceWorkerSessions, runLoad as runLoadIn, startService, waitUntil, workflowPollers, type Service } from './services.js';
import { pct } from './stats.js';

const USAGE =
  'npm run bench [-- --ingest-rate 300 --ingest-seconds 10 --burst-rate 1000 --burst-seconds 3 --drain-push-seconds 3 --steady-rate 0.5 --half-seconds 60 --empty 2000 --orders 0 --soak-rate <half rate> --nice 10]\n';
const parsed = (() => {
  try {
    return parseArgs({
      options: {
        'ingest-rate': { type: 'string', default: '300' },
        'ingest-seconds': { type: 'string', default: '10' },
        'burst-rate': { type: 'string', default: '1000' },
        'burst-seconds': { type: 'string', default: '3' },
        'drain-push-seconds': { type: 'string', default: '3' },
        'steady-rate': { type: 'string', default: '0.5' },
        'half-seconds': { type: 'string', default: '60' },
        empty: { type: 'string', default: '2000' },
        orders: { type: 'string', default: '0' },
        'soak-rate': { type: 'string' },
        nice: { type: 'string', default: '10' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();
const args = parsed.values;
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const num = (name: keyof typeof args, min: number): number => {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < min) {
    process.stderr.write(`--${name} must be a number >= ${min} (got ${String(args[name])})\n`);
    process.exit(2);
  }
  return v;
};
const INGEST_RATE = num('ingest-rate', 1);
const INGEST_S = num('ingest-seconds', 1);
const BURST_RATE = num('burst-rate', 1);
const BURST_S = num('burst-seconds', 1);
const DRAIN_PUSH_S = num('drain-push-seconds', 0);
const STEADY_RATE = num('steady-rate', 0.1);
const HALF_S = num('half-seconds', 5);
const EMPTY_N = num('empty', 100);
const SOAK_ORDERS = num('orders', 0);
const SOAK_RATE = args['soak-rate'] === undefined ? undefined : num('soak-rate', 0.1);
const NICE = num('nice', 0);

const TARGETS = { drainVsEmpty: 0.6, halfRateReleasedP99Ms: 1000, pausedAckP99Ms: 20, drainingAckVsHello: 2 };
const EMPTY_CONCURRENCY = 32;
const WARMUP = 50;
const REQUEST_TIMEOUT_MS = 30_000;
const PROGRESS_MS = 10_000;
const STALL_MS = 60_000;
const QUEUE = 'orderly-orders';
const EMPTY_QUEUE = 'bench-empty';

const say = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
const dist = (xs: number[], unit: (x: number) => string = ms) =>
  xs.length ? `p50 ${unit(pct(xs, 50))}  p95 ${unit(pct(xs, 95))}  p99 ${unit(pct(xs, 99))}  max ${unit(pct(xs, 100))}` : 'none measured';
const secs = (x: number) => `${(x / 1000).toFixed(1)} s`;
const verdicts: Array<{ what: string; ok: boolean; detail: string }> = [];
const check = (what: string, ok: boolean, detail: string) => verdicts.push({ what, ok, detail });

const { stops, stopAll, keepOnlyOwnSignalHandlers } = benchShutdown(say);
const children = new Set<ChildProcess>();
const services: Service[] = [];
process.on('exit', () => {
  services.forEach((s) => s.killNow());
  children.forEach((c) => c.kill('SIGKILL'));
});

const runLoad = (spec: LoadSpec, dir: string) => runLoadIn(spec, dir, children);
const answered = (r: LoadResult) => r.latency.filter((x) => x >= 0);
const failuresOf = (r: LoadResult): string => {
  const bad = Object.entries(r.outcomes).filter(([k]) => k !== 'ok');
  return bad.length ? bad.map(([k, v]) => `${k}: ${v}`).join(', ') : 'none';
};
const refusals = (r: LoadResult) => Object.entries(r.outcomes).filter(([k]) => k !== 'ok').reduce((a, [, v]) => a + v, 0);

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-peak-'));
fs.chmodSync(runDir, 0o755);
stops.push({ what: 'run directory', stop: async () => fs.rmSync(runDir, { recursive: true, force: true }) });

let exitCode = 0;
try {
  const t0 = Date.now();
  const config = loadConfig(process.env, { LOG_LEVEL: 'error', LOG_FORMAT: 'json' });
  const logger = createLogger(config);
  const [pgPort, temporalPort, apiPort, helloPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  say('starting PostgreSQL and Temporal (dev server in memory) ...');
  const pgDir = path.join(runDir, 'pg');
  const pg = await startEmbeddedPostgres({ dir: pgDir, port: pgPort, logger, ephemeral: true });
  keepOnlyOwnSignalHandlers();
  stops.push({ what: 'PostgreSQL', stop: () => pg.stop() });
  const temporal = await startTemporalDevServer({ port: temporalPort, namespace: 'default', dataDir: config.dataDir, cliPath: process.env.TEMPORAL_CLI_PATH, logger, ...(NICE ? { nice: NICE } : {}) });
  stops.push({ what: 'Temporal', stop: () => temporal.stop() });
  await pg.ensureDatabase('orderly_peak');
  const databaseUrl = pg.urlFor('orderly_peak');
  const db: Db = createDb(databaseUrl, 4, 'orderly-bench');
  stops.push({ what: 'bench database pool', stop: () => db.destroy() });
  await migrateToLatest(db);
  await seedDemoData(db, { carriers: true });
  // Every SKU in stock everywhere, far beyond the run: this bench measures throughput, not shortages.
  await db.updateTable('inventory').set({ on_hand: 10_000_000 }).execute();

  const payloadKeys = `bench:${randomBytes(32).toString('base64')}`;
  const adminKey = generateApiKey();
  const env = orderlyProcessEnv({ databaseUrl, temporalAddress: temporal.address, taskQueue: QUEUE, adminKey, payloadKeys, extra: { WORKER_METRICS_ADDRESS: 'off' } });

  const tconn = await Connection.connect({ address: temporal.address });
  stops.push({ what: 'bench Temporal connection', stop: () => tconn.close() });
  const tclient = new Client({ connection: tconn, namespace: 'default', dataConverter: payloadDataConverter({ NODE_ENV: 'production', PAYLOAD_KEYS: payloadKeys, dataDir: config.dataDir }) });

  const sim = new PlatformSimulator({ seed: 2026, presaleRate: 0, unpaidRate: 0 });
  await sim.start();
  stops.push({ what: 'simulator', stop: () => sim.stop() });

  const api = startService('API', 'api/server.ts', { ...env, PORT: String(apiPort) });
  const hello = startService('hello world', 'bench/hello-server.ts', { ...process.env, PORT: String(helloPort) });
  const emptyWorker = startService('empty-workflow worker', 'bench/empty.worker.ts', { ...env, BENCH_EMPTY_QUEUE: EMPTY_QUEUE }, { nice: NICE });
  for (const s of [api, hello, emptyWorker]) {
    services.push(s);
    stops.push({ what: s.name, stop: () => s.stop(15_000) });
  }
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const helloUrl = `http://127.0.0.1:${helloPort}`;
  const polls = async (queue: string) => (await workflowPollers(tconn, queue)) > 0;
  await Promise.all([
    waitUntil('the API is ready', [api], () => answers200(`${apiUrl}/readyz`), 120_000),
    waitUntil('hello world is ready', [hello], () => answers200(`${helloUrl}/readyz`), 60_000),
    waitUntil('the empty-workflow worker polls', [emptyWorker], () => polls(EMPTY_QUEUE), 180_000),
  ]);
  const alive = () => {
    const dead = services.find((s) => s.exited);
    if (dead) throw new Error(`${dead.name} exited during the run (${dead.exitInfo}):\n${dead.tail()}`);
  };

  // Who uses the CPU: each group is a process tree, found again at every sample.
  // The order worker starts in phase 3; the CPU groups look it up when they sample.
  const started: { worker?: Service } = {};
  const groups: ProcGroup[] = [
    { name: 'Temporal', roots: (all) => pidsMatching(all, 'server start-dev', `--port ${temporalPort}`) },
    { name: 'PostgreSQL', roots: (all) => pidsMatching(all, 'postgres', pgDir) },
    { name: 'API', roots: () => [api.pid] },
    { name: 'worker', roots: () => (started.worker ? [started.worker.pid] : []) },
    { name: 'load clients', roots: () => [...children].flatMap((c) => (c.pid ? [c.pid] : [])) },
    { name: 'hello world', roots: () => [hello.pid] },
    { name: 'simulator+warehouse (bench process)', roots: () => [process.pid], rootsOnly: true },
  ];
  say(`ready in ${secs(Date.now() - t0)}`);

  const connect = async (shopId: string): Promise<SimShop> => {
    const shop: SimShop = { platform: 'douyin', shopId, appKey: `${shopId}-key`, appSecret: `${shopId}-secret` };
    const res = await fetch(`${apiUrl}/v1/shops`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ id: shopId, platform: 'douyin', name: shopId, syncMode: 'push', credentials: { appKey: shop.appKey, appSecret: shop.appSecret }, apiBaseUrl: sim.baseUrl('douyin') }),
    });
    if (res.status !== 201) throw new Error(`shop ${shopId} not created: ${res.status} ${await res.text()}`);
    return sim.addShop(shop);
  };
  // The simulator's coupons and shipping fees are in no price policy of these shops: the two price rules would
  // send every such order to a person. The rest of the default rules stay as they are.
  const admin = { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` };
  /** Publishes the default rule set with the rules `off` disabled. */
  const publishRulesWithout = async (off: string[], description: string) => {
    const rules = await fetch(`${apiUrl}/v1/rules`, { headers: admin }).then((r) => r.json() as Promise<{ document: { rules: Array<{ id: string; enabled: boolean }> } & Record<string, unknown> }>);
    const draft = { ...rules.document, description, rules: rules.document.rules.map((r) => (off.includes(r.id) ? { ...r, enabled: false } : r)) };
    const put = await fetch(`${apiUrl}/v1/rules/draft`, { method: 'PUT', headers: admin, body: JSON.stringify(draft) });
    if (put.status !== 200 && put.status !== 201) throw new Error(`rules draft: ${put.status} ${await put.text()}`);
    const { version } = (await put.json()) as { version: number };
    const pub = await fetch(`${apiUrl}/v1/rules/publish`, { method: 'POST', headers: admin, body: JSON.stringify({ version, comment: 'peak bench' }) });
    if (pub.status !== 200 && pub.status !== 201) throw new Error(`rules publish: ${pub.status} ${await pub.text()}`);
  };
  const PRICE_RULES = ['review.amounts', 'review.coupons'];
  await publishRulesWithout(PRICE_RULES, 'peak bench: the default rules without the price checks');
  const shops = { warm: await connect('peak-warm'), ingest: await connect('peak-ingest'), flood: await connect('peak-flood'), draining: await connect('peak-draining'), steady: await connect('peak-steady'), half: await connect('peak-half') };
  const orderId = (shop: SimShop, id: string) => `order:douyin:${shop.shopId}:${id}`;
  /** Sent orders: id -> send time (wall clock), per shop. */
  const sent = new Map<string, number>();
  const pushSpec = (label: string, shop: SimShop, rate: number, n: number): LoadSpec => {
    const orders = Array.from({ length: n }, () => sim.createOrder(shop));
    return {
      label,
      rate,
      okWhen: '"code":0',
      redeliverEvery: 0,
      retryRefused: true,
      timeoutMs: REQUEST_TIMEOUT_MS,
      requests: orders.map((o) => ({ key: orderId(shop, o.id), url: `${apiUrl}/webhooks/douyin/${shop.shopId}`, ...sim.pushRequest(shop, o, 'created') })),
    };
  };
  const helloSpec = (label: string, rate: number, n: number): LoadSpec => ({
    label,
    rate,
    okWhen: '',
    redeliverEvery: 0,
    retryRefused: false,
    timeoutMs: REQUEST_TIMEOUT_MS,
    requests: Array.from({ length: n }, (_, i) => ({ key: String(i), url: `${helloUrl}/hello`, body: '{}', headers: { 'content-type': 'application/json' } })),
  });
  const record = (spec: LoadSpec, r: LoadResult) => spec.requests.forEach((q, i) => sent.set(q.key, r.sentAt[i]!));

  // Warm-up of the API and hello world (connections, JIT); these orders wait in the inbox like the rest.
  const warm = pushSpec('warm', shops.warm, 50, WARMUP);
  record(warm, await runLoad(warm, runDir));
  await runLoad(helloSpec('hello-warm', 50, WARMUP), runDir);

  // Phase 1: empty workflows, signal-with-start to completion, EMPTY_CONCURRENCY at a time.
  say(`\n[1] empty workflows: ${EMPTY_N} (signal-with-start to completion, ${EMPTY_CONCURRENCY} at a time) ...`);
  const runEmpty = async (n: number, tag: string) => {
    const lat: number[] = [];
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: EMPTY_CONCURRENCY }, async () => {
        for (let k = next++; k < n; k = next++) {
          const s = performance.now();
          const h = await tclient.workflow.signalWithStart('emptyWorkflow', { workflowId: `empty-${tag}-${k}`, taskQueue: EMPTY_QUEUE, signal: emptyGo, signalArgs: ['go'] });
          await h.result();
          lat.push(performance.now() - s);
        }
      }),
    );
    return { rate: (n * 1000) / (performance.now() - start), lat };
  };
  await runEmpty(100, 'warm');
  const empty = await runEmpty(EMPTY_N, 'run');
  say(`  ${empty.rate.toFixed(1)}/s, each ${dist(empty.lat)}`);
  await emptyWorker.stop(15_000);
  services.splice(services.indexOf(emptyWorker), 1);
  alive();

  // Phase 2: ingest alone (no worker: delivery paused), hello world at the same rate at the same time.
  const ingestN = Math.round(INGEST_RATE * INGEST_S);
  say(`\n[2] ingest alone (delivery paused): ${ingestN} pushes at ${INGEST_RATE}/s, hello world at the same rate at the same time ...`);
  const ingestSpec = pushSpec('ingest', shops.ingest, INGEST_RATE, ingestN);
  const [ingestRun, ingestHello] = await Promise.all([runLoad(ingestSpec, runDir), runLoad(helloSpec('ingest-hello', INGEST_RATE, ingestN), runDir)]);
  alive();
  // Every acknowledged push is in the inbox once. These orders only measured the ingest tier: they are taken out
  // of the inbox so that the drain below measures the burst (at this machine's order rate they would add minutes).
  const ingestStored = await sql<{ n: string; orders: string }>`select count(*) as n, count(distinct order_id) as orders from channel_events where shop_id = ${shops.ingest.shopId}`.execute(db);
  const [ingestRows, ingestOrders] = [Number(ingestStored.rows[0]!.n), Number(ingestStored.rows[0]!.orders)];
  const ingestAcked = ingestN - refusals(ingestRun);
  check('ingest alone: every acknowledged push stored once', ingestRows === ingestN && ingestOrders === ingestN && refusals(ingestRun) === 0, `${ingestAcked} acknowledged, ${ingestRows} inbox rows for ${ingestOrders} orders`);
  await db.deleteFrom('channel_events').where('shop_id', '=', shops.ingest.shopId).execute();
  const inboxWaiting = Number((await sql<{ n: string }>`select count(*) as n from channel_events where dispatched_at is null`.execute(db)).rows[0]!.n);

  // Phase 3: the worker starts on the backlog; burst; steady shop throughout; pushes and hello while draining.
  const burstN = Math.round(BURST_RATE * BURST_S);
  say(`\n[3] burst and drain: the worker starts on ${inboxWaiting} waiting pushes; ${burstN} pushes at ${BURST_RATE}/s from one shop, ${STEADY_RATE}/s from another throughout ...`);
  const worker = startService('worker', 'workers/main.ts', { ...env, WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}` }, { nice: NICE });
  started.worker = worker;
  services.push(worker);
  stops.push({ what: 'worker', stop: () => worker.stop(20_000) });
  // Its PostgreSQL sessions belong to the background tier too (as in bench/ingest.bench.ts).
  if (NICE) stops.push({ what: 'renicer', stop: reniceWorkerSessions(db, NICE) });
  const warehouse: WarehousePlayer = startWarehouse({ api: apiUrl, apiKey: adminKey, seed: 2026, delayMs: [50, 300], failRate: 0, defaultCarrier: 'YTO', pollMs: 500 });
  stops.push({ what: 'simulated warehouse', stop: () => warehouse.stop() });
  await waitUntil('the worker polls', [worker], () => polls(QUEUE), 180_000);
  const drainStart = Date.now();
  const cpuMeter = startCpuMeter(groups);
  // The steady shop: STEADY_RATE orders a second from this process until the backlog has drained.
  const steadyAck: number[] = [];
  let steadyOn = true;
  const steadyLoop = (async () => {
    const t = Date.now();
    for (let i = 0; steadyOn; i++) {
      const wait = t + (i * 1000) / STEADY_RATE - Date.now();
      if (wait > 0) await sleep(wait);
      const o = sim.createOrder(shops.steady);
      const req = sim.pushRequest(shops.steady, o, 'created');
      const s = performance.now();
      sent.set(orderId(shops.steady, o.id), Date.now());
      const res = await fetch(`${apiUrl}/webhooks/douyin/${shops.steady.shopId}`, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const text = await res.text();
      if (res.status === 200 && text.includes('"code":0')) steadyAck.push(performance.now() - s);
    }
  })();
  const burstSpec = pushSpec('burst', shops.flood, BURST_RATE, burstN);
  const burst = await runLoad(burstSpec, runDir);
  record(burstSpec, burst);
  let drainPush: LoadResult | undefined;
  let drainHello: LoadResult | undefined;
  let drainPushSpec: LoadSpec | undefined;
  if (DRAIN_PUSH_S > 0) {
    const n = Math.round(INGEST_RATE * DRAIN_PUSH_S);
    say(`  while the backlog drains: ${n} pushes at ${INGEST_RATE}/s, hello world at the same rate at the same time ...`);
    drainPushSpec = pushSpec('draining', shops.draining, INGEST_RATE, n);
    [drainPush, drainHello] = await Promise.all([runLoad(drainPushSpec, runDir), runLoad(helloSpec('draining-hello', INGEST_RATE, n), runDir)]);
    record(drainPushSpec, drainPush);
  }
  alive();

  // Every order of the backlog released (or given up on after a bound that scales with the backlog).
  const backlogShops = [shops.warm, shops.draining, shops.flood];
  const backlogIds = [...sent.keys()].filter((id) => backlogShops.some((s) => id.startsWith(orderId(s, ''))));
  const steadyPrefix = orderId(shops.steady, '');
  const timesOf = async (prefixes: string[]) => {
    const r = await sql<{ order_id: string; first: Date; paid: Date | null; reviewed: Date | null; allocated: Date | null; released: Date | null; shipped: Date | null }>`
      select order_id, min(occurred_at) as first,
             min(occurred_at) filter (where event_type = 'status:paid') as paid,
             min(occurred_at) filter (where (event_type = 'reviewed' and detail->>'verdict' = 'approve') or event_type = 'hold_elapsed') as reviewed,
             min(occurred_at) filter (where event_type = 'status:allocated') as allocated,
             min(occurred_at) filter (where event_type = 'status:released') as released,
             min(occurred_at) filter (where event_type = 'status:shipped') as shipped
      from order_events where ${sql.join(prefixes.map((p) => sql`order_id like ${`${p}%`}`), sql` or `)}
      group by order_id`.execute(db);
    return new Map(r.rows.map((x) => [x.order_id, x]));
  };
  const waitReleased = async (ids: string[], prefixes: string[], boundMs: number, what: string) => {
    const deadline = Date.now() + boundMs;
    let last = Date.now();
    let lastCount = 0;
    let times = await timesOf(prefixes);
    // Orders the rules gave to a person (a remark, a big order) wait for one: they are settled too.
    let forPerson = new Set<string>();
    const refreshPerson = async () => {
      const r = await db.selectFrom('orders').select('id').where('status', 'in', ['pending_review', 'on_hold']).where('shop_id', 'in', [...new Set(ids.map((id) => id.split(':')[2]!))]).execute();
      forPerson = new Set(r.map((x) => x.id));
    };
    await refreshPerson();
    const released = () => ids.filter((id) => times.get(id)?.released || forPerson.has(id)).length;
    // Given up on when nothing more is released for a minute (orders a rule holds for a person, say).
    let progressAt = Date.now();
    let seen = released();
    while (released() < ids.length && Date.now() < deadline && Date.now() - progressAt < STALL_MS) {
      alive();
      await sleep(2000);
      times = await timesOf(prefixes);
      await refreshPerson();
      if (released() > seen) [seen, progressAt] = [released(), Date.now()];
      if (Date.now() - last >= PROGRESS_MS) {
        const n = released();
        say(`  ${what}: ${n}/${ids.length} released or waiting for a person (${(((n - lastCount) * 1000) / (Date.now() - last)).toFixed(1)}/s), ${times.size} running`);
        [last, lastCount] = [Date.now(), n];
      }
    }
    return times;
  };
  const backlogTimes = await waitReleased(backlogIds, backlogShops.map((s) => orderId(s, '')), 300_000 + backlogIds.length * 200, 'backlog');
  steadyOn = false;
  await steadyLoop;
  // The steady shop's last orders too, so the next phase starts on an idle system.
  await waitReleased([...sent.keys()].filter((id) => id.startsWith(steadyPrefix)), [steadyPrefix], 120_000, 'steady shop');
  const drainEnd = Date.now();
  const cpuUsed = cpuMeter.stop();
  const cpuSeconds = cpuMeter.seconds;
  // The worker's own view of the drain: how long its tasks waited in Temporal's queues, how full its slots were.
  const workerMetrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text(), () => '');
  const metricSum = (name: string) =>
    workerMetrics
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const meanMs = (base: string) => {
    const n = metricSum(`${base}_count`);
    return n ? `${(metricSum(`${base}_sum`) / n).toFixed(0)} ms over ${n}` : 'none';
  };
  const workerView = [
    `workflow task schedule-to-start mean ${meanMs('temporal_workflow_task_schedule_to_start_latency')}`,
    `workflow task execution mean ${meanMs('temporal_workflow_task_execution_latency')}`,
    `activity schedule-to-start mean ${meanMs('temporal_activity_schedule_to_start_latency')}`,
    `activity execution mean ${meanMs('temporal_activity_execution_latency')}`,
    `Temporal calls ${metricSum('temporal_request')} + polls ${metricSum('temporal_long_request')}, workflow tasks ${metricSum('temporal_workflow_task_execution_latency_count')}, activity tasks ${metricSum('temporal_activity_task_received')}, local activities ${metricSum('temporal_local_activity_total')}, workflows completed ${metricSum('temporal_workflow_completed')}`,
  ].join('; ');
  // Sustained paid -> released: releases per second between the 10th and the 90th percentile release.
  const releasedAt = backlogIds.flatMap((id) => {
    const t = backlogTimes.get(id)?.released;
    return t ? [new Date(t).getTime()] : [];
  });
  releasedAt.sort((a, b) => a - b);
  const [r10, r90] = [pct(releasedAt, 10), pct(releasedAt, 90)];
  const sustained = releasedAt.length > 10 ? (releasedAt.length * 0.8 * 1000) / Math.max(1, r90 - r10) : NaN;
  const overall = releasedAt.length ? (releasedAt.length * 1000) / Math.max(1, releasedAt.at(-1)! - drainStart) : NaN;
  const steadyIds = [...sent.keys()].filter((id) => id.startsWith(orderId(shops.steady, '')));
  const steadyTimes = await timesOf([orderId(shops.steady, '')]);
  const sinceSent = (times: Map<string, { released: Date | null }>, ids: string[]) =>
    ids.flatMap((id) => {
      const t = times.get(id)?.released;
      return t ? [new Date(t).getTime() - sent.get(id)!] : [];
    });
  const steadyReleased = sinceSent(steadyTimes, steadyIds);
  const floodIds = backlogIds.filter((id) => id.startsWith(orderId(shops.flood, '')));
  const floodReleased = sinceSent(backlogTimes, floodIds);
  type Times = { first: Date; paid: Date | null; reviewed: Date | null; allocated: Date | null; released: Date | null };
  /** Where an order's time went, stage by stage, over the released ones among `ids` (p50 / p99). */
  const stages = (times: Map<string, Times>, ids: string[]): string => {
    const t = (d: Date | null) => (d ? new Date(d).getTime() : NaN);
    const done = ids.flatMap((id) => {
      const x = times.get(id);
      return x?.released ? [{ sent: sent.get(id)!, first: t(x.first), paid: t(x.paid), reviewed: t(x.reviewed), allocated: t(x.allocated), released: t(x.released) }] : [];
    });
    const part = (name: string, f: (x: (typeof done)[number]) => number) => {
      const xs = done.map(f).filter((v) => Number.isFinite(v));
      return `${name} ${secs(pct(xs, 50))}/${secs(pct(xs, 99))}`;
    };
    return [
      part('push->running', (x) => x.first - x.sent),
      part('running->paid', (x) => x.paid - x.first),
      part('paid->reviewed', (x) => x.reviewed - x.paid),
      part('reviewed->allocated', (x) => x.allocated - x.reviewed),
      part('allocated->released', (x) => x.released - x.allocated),
    ].join(', ');
  };

  // Phase 4: half the sustained rate.
  const halfRate = Math.max(1, Math.floor(sustained / 2));
  const halfN = Math.round(halfRate * HALF_S);
  say(`\n[4] half rate: ${halfN} orders at ${halfRate}/s ...`);
  const halfSpec = pushSpec('half', shops.half, halfRate, halfN);
  const halfRun = await runLoad(halfSpec, runDir);
  record(halfSpec, halfRun);
  const halfIds = halfSpec.requests.map((q) => q.key);
  let halfTimes = await waitReleased(halfIds, [orderId(shops.half, '')], 120_000, 'half rate');
  // Shipped: the simulated warehouse's picking and shipping (50-300 ms a step) after the release.
  const shipDeadline = Date.now() + 60_000;
  while (halfIds.some((id) => halfTimes.get(id)?.released && !halfTimes.get(id)?.shipped) && Date.now() < shipDeadline) {
    await sleep(2000);
    halfTimes = await timesOf([orderId(shops.half, '')]);
  }
  const halfOf = (f: (t: { first: Date; paid: Date | null; released: Date | null; shipped: Date | null }, sentAt: number) => number | undefined) =>
    halfIds.flatMap((id) => {
      const t = halfTimes.get(id);
      const v = t ? f(t, sent.get(id)!) : undefined;
      return v === undefined ? [] : [v];
    });
  const at = (d: Date | null) => (d ? new Date(d).getTime() : undefined);
  const halfRunning = halfOf((t, s) => at(t.first)! - s);
  const halfPaidReleased = halfOf((t) => (t.paid && t.released ? at(t.released)! - at(t.paid)! : undefined));
  const halfPushReleased = halfOf((t, s) => (t.released ? at(t.released)! - s : undefined));
  const halfPushShipped = halfOf((t, s) => (t.shipped ? at(t.shipped)! - s : undefined));
  alive();

  // Phase 5: soak, with memory sampled every 10 s.
  const soakLines: string[] = [];
  if (SOAK_ORDERS > 0) {
    const rate = SOAK_RATE ?? halfRate;
    say(`\n[5] soak: ${SOAK_ORDERS} orders at ${rate}/s (about ${((SOAK_ORDERS / rate) / 60).toFixed(0)} min), memory every 10 s ...`);
    const memGroups = groups.filter((g) => g.name === 'API' || g.name === 'worker' || g.name === 'Temporal' || g.name === 'PostgreSQL');
    // Orders the rules give to a person stay open (and in the worker's cache) for as long as nobody acts: over a
    // soak they would grow the worker's memory by design. For the soak the remark rule is off, so every order ends.
    await publishRulesWithout([...PRICE_RULES, 'review.buyer-remark'], 'peak bench soak: the default rules without the price checks and the remark rule');
    const curve: Array<{ t: number; sent: number; mem: Record<string, number> }> = [];
    const soakStart = Date.now();
    const sample = () => {
      const s = sampleGroups(memGroups);
      const t = Date.now() - soakStart;
      // The load client sends on schedule (open loop): what has been sent by now.
      curve.push({ t, sent: Math.min(SOAK_ORDERS, Math.floor((t / 1000) * rate)), mem: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.rssKb / 1024])) });
    };
    sample();
    const sampler = setInterval(sample, 10_000);
    const chunk = Math.max(1000, Math.round(rate * 300));
    for (let i = 0; i < SOAK_ORDERS; i += chunk) {
      const spec = pushSpec(`soak-${i}`, shops.half, rate, Math.min(chunk, SOAK_ORDERS - i));
      const r = await runLoad(spec, runDir);
      record(spec, r);
      if (refusals(r) > 0) say(`  soak chunk ${i}: ${failuresOf(r)}`);
      alive();
    }
    clearInterval(sampler);
    sample();
    // The last orders in before the checks below (bounded).
    const soakIds = [...sent.keys()].filter((id) => id.startsWith(orderId(shops.half, '')));
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(2000)) {
      if ((await timesOf([orderId(shops.half, '')])).size >= soakIds.length) break;
    }
    // The curve, at every tenth of the run, and the growth from the middle to the end (steady state).
    const marks = Array.from({ length: 11 }, (_, k) => curve[Math.min(curve.length - 1, Math.round((k * (curve.length - 1)) / 10))]!);
    soakLines.push(`soak memory (RSS MiB; API and worker include tsx's small parent process):`);
    soakLines.push(`  ${'t s'.padStart(6)} ${'sent'.padStart(8)}  ${memGroups.map((g) => g.name.padStart(10)).join(' ')}`);
    for (const m of marks) soakLines.push(`  ${(m.t / 1000).toFixed(0).padStart(6)} ${String(m.sent).padStart(8)}  ${memGroups.map((g) => (m.mem[g.name] ?? 0).toFixed(0).padStart(10)).join(' ')}`);
    const mid = marks[5]!;
    const end = marks[10]!;
    for (const g of ['API', 'worker']) {
      const growth = ((end.mem[g]! - mid.mem[g]!) / mid.mem[g]!) * 100;
      soakLines.push(`  ${g}: ${mid.mem[g]!.toFixed(0)} MiB at half-way, ${end.mem[g]!.toFixed(0)} MiB at the end (${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%)`);
      check(`soak: ${g} memory flat once steady (half-way to end within +10%)`, growth <= 10, `${growth.toFixed(1)}%`);
    }
  }

  // Nothing lost, nothing doubled: every sent order once in the read model, once in Temporal, once in the inbox.
  say('\nchecking nothing was lost or doubled ...');
  const allIds = [...sent.keys()];
  const readModel = new Set((await db.selectFrom('orders').select('id').where('shop_id', 'like', 'peak-%').execute()).map((r) => r.id));
  const inbox = await sql<{ order_id: string; n: string }>`select order_id, count(*) as n from channel_events where shop_id like 'peak-%' and event_type = 'created' group by order_id`.execute(db);
  const inboxCount = new Map(inbox.rows.map((r) => [r.order_id, Number(r.n)]));
  const runs = new Map<string, number>();
  for (let attempt = 0; attempt < 10; attempt++) {
    runs.clear();
    for await (const wf of tclient.workflow.list({ query: `WorkflowType = 'orderWorkflow'`, pageSize: 1000 })) runs.set(wf.workflowId, (runs.get(wf.workflowId) ?? 0) + 1);
    if (allIds.every((id) => runs.has(id))) break;
    await sleep(2000);
  }
  const lost = allIds.filter((id) => !readModel.has(id) || !runs.has(id) || !inboxCount.has(id));
  const doubled = allIds.filter((id) => (runs.get(id) ?? 0) > 1 || (inboxCount.get(id) ?? 0) > 1).length + [...readModel].filter((id) => !sent.has(id)).length;
  const notReleased = [...backlogIds, ...halfIds].filter((id) => !(backlogTimes.get(id)?.released ?? halfTimes.get(id)?.released));
  const statusOf = notReleased.length ? await db.selectFrom('orders').select(['id', 'status']).where('id', 'in', notReleased.slice(0, 5000)).execute() : [];
  const notReleasedBy = Object.entries(statusOf.reduce<Record<string, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {})).map(([k, v]) => `${k} ${v}`).join(', ');
  const historySample = halfIds.slice(0, 20);
  const historyLengths: number[] = [];
  for (const id of historySample) {
    const h = await tclient.workflow.getHandle(id).fetchHistory();
    historyLengths.push(h.events?.length ?? 0);
  }
  const wh = warehouse.report();

  // Report.
  const [ip, ih] = [answered(ingestRun), answered(ingestHello)];
  const burstAck = answered(burst);
  const drainSeconds = (drainEnd - drainStart) / 1000;
  check(`paid -> released sustained >= ${TARGETS.drainVsEmpty} x the empty-workflow rate`, sustained >= TARGETS.drainVsEmpty * empty.rate, `${(sustained / empty.rate).toFixed(2)}x`);
  check(`at half that rate, paid -> released p99 <= ${TARGETS.halfRateReleasedP99Ms} ms`, pct(halfPaidReleased, 99) <= TARGETS.halfRateReleasedP99Ms, ms(pct(halfPaidReleased, 99)));
  check(`push ack p99 <= ${TARGETS.pausedAckP99Ms} ms at ${INGEST_RATE}/s with delivery paused`, pct(ip, 99) <= TARGETS.pausedAckP99Ms, ms(pct(ip, 99)));
  if (drainPush && drainHello) {
    const ratio = pct(answered(drainPush), 99) / pct(answered(drainHello), 99);
    check(`push ack p99 <= ${TARGETS.drainingAckVsHello} x hello world's while the backlog drains`, ratio <= TARGETS.drainingAckVsHello, `${ratio.toFixed(1)}x`);
  }
  check(`burst of ${BURST_RATE}/s for ${BURST_S} s: every push acknowledged`, refusals(burst) === 0 && burstAck.length === burstN, failuresOf(burst));
  check('nothing lost, nothing doubled', lost.length === 0 && doubled === 0, `lost ${lost.length}, doubled ${doubled}`);
  const floodP50 = pct(floodReleased, 50);
  const steadyP99 = pct(steadyReleased, 99);
  check("the steady shop's orders are not queued behind the flood (p99 push -> released within a tenth of the flood's p50, or 5 s)", steadyP99 <= Math.max(5000, floodP50 / 10), `${secs(steadyP99)} vs flood p50 ${secs(floodP50)}`);

  const lines = [
    '',
    `machine: ${os.cpus().length} cores, Node ${process.version}; PostgreSQL (embedded) and Temporal dev server in memory; API, worker, hello world, load clients each in their own process; Temporal, worker and its sessions at nice ${NICE}`,
    `empty workflow (signal-with-start to completion, ${EMPTY_CONCURRENCY} at a time, same worker options): ${empty.rate.toFixed(1)}/s  each ${dist(empty.lat)}`,
    `[2] ingest alone, delivery paused, ${ingestN} pushes at ${INGEST_RATE}/s (${ingestRun.achievedRate.toFixed(0)}/s achieved):`,
    `  push ack ${dist(ip)}  failures ${failuresOf(ingestRun)}; stored ${ingestRows} inbox rows for ${ingestOrders} orders (then taken out)`,
    `  hello world meanwhile ${dist(ih)}  -> push/hello p99 ${(pct(ip, 99) / pct(ih, 99)).toFixed(1)}x`,
    `[3] burst ${burstN} pushes at ${BURST_RATE}/s (${burst.achievedRate.toFixed(0)}/s achieved) on a backlog of ${inboxWaiting}: ack ${dist(burstAck)}  failures ${failuresOf(burst)}`,
    ...(drainPush && drainHello
      ? [
          `  while draining, ${drainPush.latency.length} pushes at ${INGEST_RATE}/s: ack ${dist(answered(drainPush))}`,
          `  hello world meanwhile ${dist(answered(drainHello))}  -> push/hello p99 ${(pct(answered(drainPush), 99) / pct(answered(drainHello), 99)).toFixed(1)}x`,
        ]
      : []),
    `  backlog ${backlogIds.length} orders: ${releasedAt.length} released in ${drainSeconds.toFixed(0)} s; paid -> released sustained ${sustained.toFixed(1)}/s (10th-90th percentile release), overall ${overall.toFixed(1)}/s`,
    `  -> ${(sustained / empty.rate).toFixed(2)}x the empty-workflow rate`,
    `  where the backlog's time went (p50/p99): ${stages(backlogTimes, backlogIds)}`,
    `  fair share: the steady shop (${STEADY_RATE}/s, ${steadyIds.length} orders) push -> released ${dist(steadyReleased, secs)}; its acks ${dist(steadyAck)}`,
    `              the flood's own orders push -> released ${dist(floodReleased, secs)}`,
    `  CPU while draining: ${cpuSplit(cpuUsed, cpuSeconds)}`,
    `  the worker meanwhile: ${workerView}`,
    `[4] half rate, ${halfN} orders at ${halfRate}/s (${halfRun.achievedRate.toFixed(1)}/s achieved): push ack ${dist(answered(halfRun))}`,
    `  push -> workflow running ${dist(halfRunning)}`,
    `  paid -> released ${dist(halfPaidReleased)}`,
    `  by stage (p50/p99): ${stages(halfTimes, halfIds)}`,
    `  push -> released ${dist(halfPushReleased)}`,
    `  push -> shipped ${dist(halfPushShipped)}  (the simulated warehouse takes 100-600 ms)`,
    `  history events per order (${historyLengths.length} shipped orders): p50 ${pct(historyLengths, 50)}, max ${pct(historyLengths, 100)}`,
    ...soakLines,
    `orders: sent ${allIds.length}; lost ${lost.length}${lost.length ? ` (e.g. ${lost.slice(0, 3).join(', ')})` : ''}; doubled ${doubled}; not released ${notReleased.length}${notReleasedBy ? ` (${notReleasedBy})` : ''}; warehouse shipped ${wh.shipped} parcels, undelivered reports ${wh.undelivered.length}`,
    `logs: ${services.map((s) => `${s.name} ${s.logCounts().error} error / ${s.logCounts().warn} warn${s.logCounts().firstErrors.length ? ` (${s.logCounts().firstErrors.join(' | ')})` : ''}`).join('; ')}`,
    '',
    'targets:',
    ...verdicts.map((v) => `  ${v.ok ? 'MET    ' : 'NOT MET'} ${v.what}: ${v.detail}`),
  ];
  say(lines.join('\n'));
  if (verdicts.some((v) => !v.ok)) exitCode = 3;
} catch (e) {
  say(`\nbench failed: ${(e as Error).stack ?? String(e)}`);
  exitCode = 1;
} finally {
  await stopAll();
}
process.exit(exitCode);
