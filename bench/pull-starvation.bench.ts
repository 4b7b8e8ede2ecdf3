/**
 * Pulls under an order backlog: does a shop that pulls keep its one-minute promise while thousands of order
 * tasks wait on the worker? A burst of pushed orders (Taobao, Douyin and Pinduoduo shops) is sent faster than
 * this machine runs them, so the orders' task queue backs up and the worker's slots stay full; meanwhile JD shops
 * are pulled every 10 s (lag 5 s) and get a new order every couple of seconds each. Pull lag is measured per
 * order, from its creation on the simulated platform to its workflow running (its first timeline entry), and
 * split at the inbox (created -> stored by a pull run -> running, and of that, -> delivered to Temporal). Per pull
 * run, from its history: how long it took and how long its workflow and activity tasks waited to be picked up
 * (a run still going at the end counts with its time so far); per shop, the ticks its Schedule skipped
 * (overlap SKIP: a run still going when the next tick comes). A target line per variant: pull lag p99 <= 60 s.
 *
 * The JD shops differ only in where their Schedule starts the pull runs, so the variants share one backlog:
 * - `before`: the orders' task queue, no priority (what Orderly did before);
 * - `priority`: the orders' task queue with the control priority (key 1, fairness key `orderly-control`), as
 *   Orderly makes the Schedule (checked);
 * - `queue`: a task queue of its own, polled by a second worker in the worker process with slots of its own
 *   (`bench/pull-starvation.worker.ts`; Orderly does not ship it);
 * - `queue+priority`: both.
 * Every order, pushed or pulled, starts with its shop as fairness key, as Orderly starts them; the code before
 * that change is measured in BENCHMARKS.md.
 *
 * `npm run bench:pull-starvation` (env: `BENCH_BACKLOG` pushed orders, default 3000; `BENCH_RATE` pushes/s,
 * default 100; `BENCH_PULL_EVERY_MS` a new order per JD shop this often, default 2000; `BENCH_PULL_FOR` s of JD
 * orders from the burst's start, default 240; `BENCH_WAIT` s after the last one, default 120; `BENCH_VARIANTS`,
 * default all four; `BENCH_SEED`, default 2026). About 8 minutes. Exit 0 when the `priority` variant (Orderly's
 * way) keeps pull lag p99 within 60 s, 3 when it does not, 1 when the run failed.
 *
 * Topology as the other end-to-end benches': embedded PostgreSQL and an in-memory Temporal dev server (with
 * fairness on, as `npm start` runs it) in this process, the API and one worker each in its own process
 * (`bench/services.ts`); the platform simulator and the push client in this process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type ScheduleOptionsAction } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import proto from '@temporalio/proto';
import { sql } from 'kysely';
import { PlatformSimulator, type SimShop } from '../channels/simulator/server.js';
import type { SimPlatform } from '../channels/simulator/generator.js';
import { loadConfig } from '../config/config.js';
import { payloadDataConverter } from '../config/payload-codec.js';
import { createDb, type Db } from '../db/database.js';
import { controlTaskPriority } from '../domain/fulfilment/task-priority.js';
import { apiRequest, benchShutdown, sayServiceLogs, startOrderly } from './services.js';
import { pct } from './stats.js';

const int = (name: string, def: number, min: number): number => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}`);
  return v;
};
const BACKLOG = int('BENCH_BACKLOG', 3000, 1);
const RATE = int('BENCH_RATE', 100, 1);
const PULL_EVERY_MS = int('BENCH_PULL_EVERY_MS', 2000, 100);
const PULL_FOR_S = int('BENCH_PULL_FOR', 240, 10);
const WAIT_S = int('BENCH_WAIT', 120, 10);
const SEED = int('BENCH_SEED', 2026, 0);
/** The JD shops' pull settings: every 10 s, the platform index 5 s behind, 30 s of overlap. */
const PULL = { pullIntervalSeconds: 10, pullLagSeconds: 5, pullOverlapSeconds: 30 };
const TARGET_S = 60;
const ORDERS_QUEUE = 'orderly-orders';
const CONTROL_QUEUE = 'orderly-control';
const PUSH_PLATFORMS: SimPlatform[] = ['taobao', 'douyin', 'pdd'];
const MAX_IN_FLIGHT = 64;

interface Variant {
  key: string;
  what: string;
  taskQueue: string;
  priority?: Priority;
}
const ALL_VARIANTS: Variant[] = [
  { key: 'before', what: "orders' queue, no priority", taskQueue: ORDERS_QUEUE },
  { key: 'priority', what: "orders' queue, control priority (as Orderly makes it)", taskQueue: ORDERS_QUEUE, priority: controlTaskPriority() },
  { key: 'queue', what: 'queue of its own, no priority', taskQueue: CONTROL_QUEUE },
  { key: 'queue+priority', what: 'queue of its own, control priority', taskQueue: CONTROL_QUEUE, priority: controlTaskPriority() },
];
const wanted = (process.env.BENCH_VARIANTS ?? ALL_VARIANTS.map((v) => v.key).join(',')).split(',').map((s) => s.trim());
const VARIANTS = ALL_VARIANTS.filter((v) => wanted.includes(v.key));
if (VARIANTS.length !== wanted.length) throw new Error(`BENCH_VARIANTS: each of ${ALL_VARIANTS.map((v) => v.key).join(', ')}`);

const say = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const { stops, stopAll, keepOnlyOwnSignalHandlers } = benchShutdown(say);
/** Whole run: start-up and warm-up (up to 5 minutes), the backlog and its pulls, the wait, the report. */
const BUDGET_MS = 300_000 + (PULL_FOR_S + WAIT_S) * 1000 + 300_000;
const startedAt = Date.now();
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(0)} s`;
const watchdog = setTimeout(() => {
  say(`the bench exceeded its time budget (${BUDGET_MS / 1000} s): stopping everything`);
  void stopAll().finally(() => process.exit(1));
}, BUDGET_MS);

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-pull-starvation-'));
fs.chmodSync(runDir, 0o755);
stops.push({ what: 'run directory', stop: async () => fs.rmSync(runDir, { recursive: true, force: true }) });

const tsMs = (t: { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined): number =>
  t ? (typeof t.seconds === 'number' ? t.seconds : (t.seconds?.toNumber() ?? 0)) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;

let exitCode = 0;
try {
  const orderly = await startOrderly({
    runDir,
    database: 'orderly_pull_starvation',
    stops,
    say,
    afterPostgres: keepOnlyOwnSignalHandlers,
    workerScript: 'bench/pull-starvation.worker.ts',
    env: { BENCH_CONTROL_QUEUE: CONTROL_QUEUE, PULL_OVERLAP: '30s' },
  });
  const { api, apiKey, services } = orderly;
  const db: Db = createDb(orderly.databaseUrl, 4);
  stops.push({ what: 'bench database pool', stop: () => db.destroy() });
  const conn = await Connection.connect({ address: orderly.temporalAddress });
  stops.push({ what: 'bench Temporal connection', stop: () => conn.close() });
  // The processes' payload keys: schedule actions and histories are encrypted with them.
  const config = loadConfig({ ...orderly.env, LOG_LEVEL: 'error' });
  const temporal = new Client({ connection: conn, namespace: 'default', dataConverter: payloadDataConverter(config) });
  const assertAlive = () => {
    const dead = services.find((s) => s.exited);
    if (dead) throw new Error(`${dead.name} exited during the run (${dead.exitInfo}):\n${dead.tail()}`);
  };

  const sim = new PlatformSimulator({ seed: SEED, presaleRate: 0, unpaidRate: 0 });
  await sim.start();
  stops.push({ what: 'simulator', stop: () => sim.stop() });

  const call = async (method: string, p: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const { status, text } = await apiRequest(api, apiKey, method, p, body);
    return { status, json: text ? (JSON.parse(text) as unknown) : null };
  };
  const connect = async (platform: SimPlatform, shopId: string, extra: Record<string, unknown>): Promise<SimShop> => {
    const shop: SimShop = { platform, shopId, appKey: `${shopId}-key`, appSecret: `${shopId}-secret` };
    const r = await call('POST', '/v1/shops', { id: shopId, platform, name: shopId, credentials: { appKey: shop.appKey, appSecret: shop.appSecret }, apiBaseUrl: sim.baseUrl(platform), ...extra });
    if (r.status !== 201) throw new Error(`shop ${shopId} not created: ${r.status} ${JSON.stringify(r.json)}`);
    return sim.addShop(shop);
  };

  // Shops. The JD shops' Schedules are set to their variant's task queue and priority by hand.
  const pushShops = await Promise.all(PUSH_PLATFORMS.map((p) => connect(p, `ps-${p}`, { syncMode: 'push' })));
  const jd = new Map<string, SimShop>();
  for (const v of VARIANTS) {
    const shop = await connect('jd', `ps-jd-${v.key.replace('+', '-')}`, { syncMode: 'pull', ...PULL });
    jd.set(v.key, shop);
    const handle = temporal.schedule.getHandle(`pull-sync:${shop.shopId}`);
    // As Orderly makes it, a Schedule is the `priority` variant; the bench sets the others.
    const made = (await handle.describe()).action;
    if (made.taskQueue !== ORDERS_QUEUE || made.priority?.priorityKey !== controlTaskPriority().priorityKey) throw new Error(`Orderly made the schedule of ${shop.shopId} with ${made.taskQueue} ${JSON.stringify(made.priority)}`);
    await handle.update((prev) => {
      // The SDK's type of a schedule's action leaves out `priority`; its client sends it all the same.
      const action: ScheduleOptionsAction & { priority?: Priority } = { ...prev.action, taskQueue: v.taskQueue, priority: v.priority };
      return { ...prev, action };
    });
    const a = (await handle.describe()).action;
    if (a.taskQueue !== v.taskQueue || (a.priority?.priorityKey ?? undefined) !== v.priority?.priorityKey) throw new Error(`schedule of ${shop.shopId} not set: ${a.taskQueue} ${JSON.stringify(a.priority)}`);
  }
  say(`Orderly ready at ${api} (${elapsed()}); push shops ${pushShops.map((s) => s.shopId).join(', ')}; JD shops pulled every ${PULL.pullIntervalSeconds} s (lag ${PULL.pullLagSeconds} s): ${VARIANTS.map((v) => `${jd.get(v.key)!.shopId} (${v.what})`).join(', ')}`);

  // Warm-up: a few orders per push shop, and one successful pull run per JD shop.
  const pushUrl = (s: SimShop) => `${api}/webhooks/${s.platform}/${s.shopId}`;
  const pushOne = async (s: SimShop): Promise<boolean> => {
    const o = sim.createOrder(s);
    const req = sim.pushRequest(s, o, 'created');
    // Refused pushes are delivered again like a platform does: up to 5 times, backing off.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const res = await fetch(pushUrl(s), { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(30_000) });
        await res.text();
        if (res.status === 200) return true;
      } catch {
        // timed out or refused: try again
      }
      await sleep(1000 * 2 ** attempt);
    }
    return false;
  };
  for (const s of pushShops) for (let i = 0; i < 5; i++) await pushOne(s);
  const firstRunning = async (prefix: string) =>
    db.selectFrom('order_events').select('order_id').select((eb) => eb.fn.min('occurred_at').as('first')).where('order_id', 'like', `${prefix}%`).groupBy('order_id').execute();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const warm = await firstRunning('order:');
    const cursors = await db.selectFrom('pull_cursors').select('shop_id').where('last_success_at', 'is not', null).execute();
    if (warm.length >= pushShops.length * 5 && cursors.length >= VARIANTS.length) break;
    if (Date.now() > deadline) throw new Error(`warm-up: ${warm.length} orders running, ${cursors.length} JD shops pulled once`);
    assertAlive();
    await sleep(500);
  }
  const skippedBefore = new Map<string, number>();
  for (const [k, s] of jd) skippedBefore.set(k, (await temporal.schedule.getHandle(`pull-sync:${s.shopId}`).describe()).info.numActionsSkippedOverlap);

  // The burst, and JD orders created meanwhile; the backlog sampled every 5 s.
  const t0 = Date.now();
  say(`\nwarmed up (${elapsed()}); burst: ${BACKLOG} pushed orders at ${RATE}/s over ${PUSH_PLATFORMS.join(', ')}; a new order per JD shop every ${PULL_EVERY_MS} ms for ${PULL_FOR_S} s ...`);
  let pushedOk = 0;
  let pushedFailed = 0;
  const burst = (async () => {
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < BACKLOG; i++) {
      const wait = t0 + (i * 1000) / RATE - Date.now();
      if (wait > 0) await sleep(wait);
      while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      const p: Promise<void> = pushOne(pushShops[i % pushShops.length]!).then((ok) => {
        if (ok) pushedOk++;
        else pushedFailed++;
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    return Date.now();
  })();
  const jdCreated = new Map<string, { variant: string; createdAt: number }>();
  const jdLoop = (async () => {
    for (let i = 0; Date.now() < t0 + PULL_FOR_S * 1000; i++) {
      const wait = t0 + i * PULL_EVERY_MS - Date.now();
      if (wait > 0) await sleep(wait);
      for (const v of VARIANTS) {
        const s = jd.get(v.key)!;
        const o = sim.createOrder(s);
        jdCreated.set(`order:jd:${s.shopId}:${o.id}`, { variant: v.key, createdAt: o.createdAt.getTime() });
      }
    }
  })();
  const backlog = { workflow: [] as number[], activity: [] as number[] };
  const stats = async (type: proto.temporal.api.enums.v1.TaskQueueType) => {
    const r = await conn.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: ORDERS_QUEUE }, taskQueueType: type, reportStats: true });
    const n = r.stats?.approximateBacklogCount;
    return n === undefined || n === null ? 0 : typeof n === 'number' ? n : n.toNumber();
  };
  const pushedPrefixes = pushShops.map((s) => `order:${s.platform}:${s.shopId}:`);
  const runningPushed = async () => {
    const r = await sql<{ n: string }>`select count(distinct order_id) as n from order_events where ${sql.join(
      pushedPrefixes.map((p) => sql`order_id like ${`${p}%`}`),
      sql` or `,
    )}`.execute(db);
    return Number(r.rows[0]?.n ?? 0) - pushShops.length * 5;
  };
  let sampling = true;
  const sampler = (async () => {
    let lastSay = 0;
    while (sampling) {
      const [wf, act] = await Promise.all([stats(proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW), stats(proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)]).catch(() => [NaN, NaN]);
      backlog.workflow.push(wf);
      backlog.activity.push(act);
      if (Date.now() - lastSay >= 15_000) {
        lastSay = Date.now();
        const running = await firstRunning('order:jd:');
        const byVariant = VARIANTS.map((v) => `${v.key} ${running.filter((r) => r.order_id.startsWith(`order:jd:${jd.get(v.key)!.shopId}:`)).length}`).join(', ');
        say(`  t=${Math.round((Date.now() - t0) / 1000)} s: pushed ${pushedOk}/${BACKLOG}, running ${await runningPushed()}; orders queue backlog: workflow tasks ${wf}, activity tasks ${act}; JD orders created ${jdCreated.size / VARIANTS.length} per shop, running: ${byVariant}`);
      }
      await sleep(5000);
    }
  })();
  const burstEnd = await burst;
  await jdLoop;
  assertAlive();

  // Until every JD order runs (bounded).
  const waitUntil = Date.now() + WAIT_S * 1000;
  let jdRunning: Array<{ order_id: string; first: Date }> = [];
  while (Date.now() < waitUntil) {
    jdRunning = await firstRunning('order:jd:');
    if (jdRunning.filter((r) => jdCreated.has(r.order_id)).length >= jdCreated.size) break;
    assertAlive();
    await sleep(2000);
  }
  const pushedRunningAtEnd = await runningPushed();
  sampling = false;
  await sampler;
  const measuredUntil = Date.now();

  // Figures ------------------------------------------------------------------------------------------------
  const stored = await db
    .selectFrom('channel_events')
    .select('order_id')
    .select((eb) => [eb.fn.min('received_at').as('at'), eb.fn.min('dispatched_at').as('delivered')])
    .where('source', '=', 'pull')
    .where('order_id', 'like', 'order:jd:%')
    .groupBy('order_id')
    .execute();
  const storedAt = new Map(stored.map((r) => [r.order_id!, new Date(r.at).getTime()]));
  // Handed to Temporal (signal-with-start) by the pull's activity, or by the relay when that failed.
  const deliveredAt = new Map(stored.flatMap((r) => (r.delivered ? [[r.order_id!, new Date(r.delivered).getTime()] as const] : [])));
  const runningAt = new Map(jdRunning.map((r) => [r.order_id, new Date(r.first).getTime()]));

  type Row = { v: Variant; n: number; missed: number; lag: number[]; toStored: number[]; toRunning: number[]; toDelivered: number[]; runs: number; open: number; skipped: number; runTime: number[]; wftWait: number[]; actWait: number[] };
  const rows: Row[] = [];
  for (const v of VARIANTS) {
    const shop = jd.get(v.key)!;
    const mine = [...jdCreated].filter(([, c]) => c.variant === v.key);
    const lag: number[] = [];
    const toStored: number[] = [];
    const toRunning: number[] = [];
    const toDelivered: number[] = [];
    for (const [id, c] of mine) {
      const r = runningAt.get(id);
      const s = storedAt.get(id);
      const d = deliveredAt.get(id);
      if (r !== undefined) lag.push((r - c.createdAt) / 1000);
      if (s !== undefined) toStored.push((s - c.createdAt) / 1000);
      if (s !== undefined && r !== undefined) toRunning.push((r - s) / 1000);
      if (s !== undefined && d !== undefined) toDelivered.push((d - s) / 1000);
    }
    const skipped = (await temporal.schedule.getHandle(`pull-sync:${shop.shopId}`).describe()).info.numActionsSkippedOverlap - skippedBefore.get(v.key)!;
    // The runs started from the burst on: their length, and how long their tasks waited to be picked up.
    const runTime: number[] = [];
    const wftWait: number[] = [];
    const actWait: number[] = [];
    let runs = 0;
    let open = 0;
    for await (const wf of temporal.workflow.list({ query: `WorkflowType = 'pullSyncWorkflow' AND StartTime >= '${new Date(t0).toISOString()}'` })) {
      // `pull-sync:<shop>-<time>`: the time only, or `ps-jd-queue` would take `ps-jd-queue-priority`'s runs too.
      if (!wf.workflowId.startsWith(`pull-sync:${shop.shopId}-`) || !/^\d/.test(wf.workflowId.slice(`pull-sync:${shop.shopId}-`.length))) continue;
      runs++;
      const history = await temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      // Scheduled tasks by event id, for workflow and activity tasks apart; what is left has not been picked up.
      const scheduled = { wft: new Map<string, number>(), act: new Map<string, number>() };
      let start = NaN;
      let end = NaN;
      for (const e of history.events ?? []) {
        const at = tsMs(e.eventTime);
        const id = String(e.eventId);
        if (e.workflowExecutionStartedEventAttributes) start = at;
        if (e.workflowTaskScheduledEventAttributes) scheduled.wft.set(id, at);
        if (e.activityTaskScheduledEventAttributes) scheduled.act.set(id, at);
        const wft = e.workflowTaskStartedEventAttributes?.scheduledEventId;
        if (wft) {
          wftWait.push((at - scheduled.wft.get(String(wft))!) / 1000);
          scheduled.wft.delete(String(wft));
        }
        const act = e.activityTaskStartedEventAttributes?.scheduledEventId;
        if (act) {
          actWait.push((at - scheduled.act.get(String(act))!) / 1000);
          scheduled.act.delete(String(act));
        }
        // A workflow task that timed out on a worker is scheduled again; the first one no longer waits.
        if (e.workflowTaskTimedOutEventAttributes || e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes) scheduled.wft.clear();
        if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes || e.workflowExecutionTimedOutEventAttributes || e.workflowExecutionTerminatedEventAttributes) end = at;
      }
      if (Number.isFinite(start) && Number.isFinite(end)) runTime.push((end - start) / 1000);
      else {
        // Still going at the end of the bench: its time so far, and the wait of a task nobody has picked up yet.
        open++;
        runTime.push((measuredUntil - start) / 1000);
        for (const at of scheduled.wft.values()) wftWait.push((measuredUntil - at) / 1000);
        for (const at of scheduled.act.values()) actWait.push((measuredUntil - at) / 1000);
      }
    }
    rows.push({ v, n: mine.length, missed: mine.length - lag.length, lag, toStored, toRunning, toDelivered, runs, open, skipped, runTime, wftWait, actWait });
  }

  const burstS = (burstEnd - t0) / 1000;
  const peak = (xs: number[]) => Math.max(0, ...xs.filter(Number.isFinite));
  say(`\n== pulls under an order backlog (${os.cpus().length} cores, Node ${process.version}; seed ${SEED})`);
  say(`backlog: ${BACKLOG} orders pushed at ${RATE}/s over ${PUSH_PLATFORMS.length} shops in ${burstS.toFixed(1)} s (${pushedOk} acknowledged, ${pushedFailed} refused 5 times); ${pushedRunningAtEnd} running after ${((measuredUntil - t0) / 1000).toFixed(0)} s`);
  say(`  orders' task queue, sampled every 5 s: workflow tasks waiting peak ${peak(backlog.workflow)}, mean ${(backlog.workflow.filter(Number.isFinite).reduce((a, b) => a + b, 0) / Math.max(1, backlog.workflow.length)).toFixed(0)}; activity tasks peak ${peak(backlog.activity)}`);
  say(`JD orders: one per shop every ${PULL_EVERY_MS / 1000} s for ${PULL_FOR_S} s from the burst's start; pulled every ${PULL.pullIntervalSeconds} s, lag ${PULL.pullLagSeconds} s (at best ${PULL.pullLagSeconds}-${PULL.pullIntervalSeconds + PULL.pullLagSeconds} s + the run)`);
  const cols = (xs: number[], digits = 1) => (xs.length ? [50, 99, 100].map((p) => pct(xs, p).toFixed(digits).padStart(6)).join(' ') : '     -      -      -');
  say(`\npull lag per JD order, s        orders  not running    created -> running     created -> stored     stored -> running  of which -> delivered`);
  say(`                                                       p50    p99    max     p50    p99    max     p50    p99    max     p50    p99    max`);
  for (const r of rows) say(`${r.v.key.padEnd(32)}${String(r.n).padStart(6)}${String(r.missed).padStart(13)}  ${cols(r.lag)}  ${cols(r.toStored)}  ${cols(r.toRunning)}  ${cols(r.toDelivered)}`);
  say(`\npull runs from the burst on       runs  open at end  skipped ticks      run time s    workflow task wait s    activity task wait s`);
  say(`                                                                    p50    p99    max     p50    p99    max     p50    p99    max`);
  for (const r of rows) say(`${r.v.key.padEnd(32)}${String(r.runs).padStart(6)}${String(r.open).padStart(13)}${String(r.skipped).padStart(15)}  ${cols(r.runTime)}  ${cols(r.wftWait)}  ${cols(r.actWait)}`);
  say('');
  for (const r of rows) {
    const p99 = pct(r.lag, 99);
    const met = r.missed === 0 && p99 <= TARGET_S;
    say(`  ${r.v.key} (${r.v.what}): pull lag p99 ${p99.toFixed(1)} s, ${met ? 'within' : 'NOT within'} the ${TARGET_S} s target${r.missed ? ` (${r.missed} orders not running by the end)` : ''}`);
    // Exit 3 when the way Orderly starts pull runs misses the target.
    if (r.v.key === 'priority' && !met) exitCode = 3;
  }
  sayServiceLogs(services, say);
} catch (e) {
  exitCode = 1;
  say(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  clearTimeout(watchdog);
  await stopAll();
  process.exit(exitCode);
}
