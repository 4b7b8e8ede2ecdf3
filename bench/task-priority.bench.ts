/**
 * Does Temporal run urgent orders' tasks first, and keep one shop's flood from starving the others?
 *
 * A backlog is built on a fresh activity task queue that nobody polls: one workflow per task, each scheduling a
 * single trivial activity there with the priority `taskPriorityOf` gives (domain/fulfilment/task-priority.ts).
 * Then one activity worker with a single slot drains the queue and the bench records the order the
 * activities ran in. Each backlog is also run without any priority or fairness (the FIFO baseline), on the
 * same server in the same run, and compared with the order the activities were scheduled in (what FIFO
 * would give).
 * - Experiment 1 (priority): 1 task in 6 comes from an urgent order (review priority 20 -> priorityKey 1),
 *   the rest from normal orders (priority 0 -> key 3, the default).
 * - Experiment 2 (fairness): a flood shop with BENCH_FLOOD tasks and three small shops with BENCH_SMALL each,
 *   spread evenly through the flood, all at the same priority key, fairnessKey = shop.
 *
 * The Temporal dev server is started the project's way (scripts/stack/temporal-server.ts, in memory), or
 * TEMPORAL_ADDRESS is used when set.
 *
 * Run: npm run bench:task-priority   (BENCH_TASKS=600 BENCH_FLOOD=500 BENCH_SMALL=20)
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { payloadDataConverter } from '../config/payload-codec.js';
import { temporalConnectionOptions } from '../config/temporal.js';
import { taskPriorityOf } from '../domain/fulfilment/task-priority.js';
import { DEV_SERVER_DYNAMIC_CONFIG, startTemporalDevServer, type RunningTemporal } from '../scripts/stack/temporal-server.js';
import { freePort } from '../tests/helpers/ports.js';
import { pct } from './stats.js';
import type { ProbeActivities, ProbeInput } from './task-priority.workflows.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 600);
const FLOOD = Number(process.env.BENCH_FLOOD ?? 500);
const SMALL = Number(process.env.BENCH_SMALL ?? 20);
const SMALL_SHOPS = 3;
/** The whole run stops here, whatever state it is in (the dev server goes with it). */
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 180_000);
if (![TASKS, FLOOD, SMALL].every((n) => Number.isInteger(n) && n >= 6)) {
  process.stderr.write('BENCH_TASKS, BENCH_FLOOD and BENCH_SMALL must be integers >= 6\n');
  process.exit(2);
}

const WORKFLOWS_PATH = fileURLToPath(new URL('./task-priority.workflows.ts', import.meta.url));
const out = (line = '') => process.stdout.write(`${line}\n`);
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
setTimeout(() => {
  process.stderr.write(`task-priority bench: time budget of ${BUDGET_MS / 1000} s spent, stopping\n`);
  process.exit(1);
}, BUDGET_MS).unref();

interface TaskSpec {
  seq: number;
  /** 'urgent' / 'normal' (experiment 1) or the shop id (experiment 2). */
  group: string;
  priority?: Priority;
}

interface Drained {
  /** Task seqs in the order the activities ran. */
  ran: number[];
  /** Task seqs in the order the server scheduled the activities (FIFO's order). */
  scheduled: number[];
  drainMs: number;
}

// ---------------------------------------------------------------------------------------------------------
// Temporal: the dev server the project's way, or an existing one.

const config = loadConfig(process.env, { LOG_LEVEL: 'warn', LOG_FORMAT: 'json' });
const logger = createLogger(config);
// The SDK warns that each worker polls one kind of task only, which is this bench's design.
Runtime.install({ logger: new DefaultLogger('ERROR') });
let temporal: RunningTemporal | undefined;
let address: string;
if (config.TEMPORAL_ADDRESS) {
  address = config.TEMPORAL_ADDRESS;
  out(`using the Temporal server at ${address} (TEMPORAL_ADDRESS)`);
} else {
  out(`starting the Temporal dev server (in memory, dynamic config: ${DEV_SERVER_DYNAMIC_CONFIG.join(' ') || 'none'}) ...`);
  temporal = await startTemporalDevServer({ port: await freePort(), namespace: config.TEMPORAL_NAMESPACE, dataDir: config.dataDir, cliPath: config.TEMPORAL_CLI_PATH, logger });
  address = temporal.address;
}
const namespace = config.TEMPORAL_NAMESPACE;
const connectionOptions = temporalConnectionOptions(config, address);
const connection = await Connection.connect(connectionOptions);
const dataConverter = payloadDataConverter(config);
const client = new Client({ connection, namespace, dataConverter });
const nativeConnection = await NativeConnection.connect(connectionOptions);
const runId = Date.now().toString(36);
const workflowQueue = `prio-bench-wf-${runId}`;

const serverInfo = await connection.workflowService.getSystemInfo({});

// The workflows run all along on their own queue; only the activity queue is left without a poller.
const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
const workflowWorker = await Worker.create({ connection: nativeConnection, namespace, taskQueue: workflowQueue, workflowBundle, dataConverter });
const workflowWorkerRun = workflowWorker.run();

/** Runs `fn` over `items`, `concurrency` at a time. */
async function forEachLimit<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Builds the backlog of `tasks` on a fresh activity queue with nobody polling it, waits until every activity
 * is scheduled, then drains it with one worker that runs one activity at a time.
 */
async function backlogThenDrain(name: string, tasks: readonly TaskSpec[]): Promise<Drained> {
  const activityQueue = `prio-bench-${name}-${runId}`;
  const workflowId = (seq: number) => `prio-bench:${name}:${runId}:${seq}`;
  await forEachLimit(tasks, 4, async (t) => {
    const input: ProbeInput = { seq: t.seq, activityQueue, ...(t.priority ? { priority: t.priority } : {}) };
    await client.workflow.start('priorityProbeWorkflow', { workflowId: workflowId(t.seq), taskQueue: workflowQueue, args: [input] });
  });

  // Scheduled = the workflow's first task has run and its activity waits in the queue.
  const scheduledAt = new Map<number, number>();
  await until(`${name}: ${tasks.length} activities scheduled`, 60_000, async () => {
    const waiting = tasks.filter((t) => !scheduledAt.has(t.seq));
    await forEachLimit(waiting, 8, async (t) => {
      const d = await client.workflow.getHandle(workflowId(t.seq)).describe();
      const pending = d.raw.pendingActivities?.[0];
      if (!pending) return;
      const ts = pending.scheduledTime;
      scheduledAt.set(t.seq, ts ? Number(ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6 : Number.MAX_SAFE_INTEGER);
    });
    return scheduledAt.size === tasks.length;
  });
  const scheduled = [...scheduledAt.keys()].sort((a, b) => scheduledAt.get(a)! - scheduledAt.get(b)! || a - b);

  const ran: number[] = [];
  const activities: ProbeActivities = {
    priorityProbe: async (seq) => {
      ran.push(seq);
    },
  };
  const started = performance.now();
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue: activityQueue,
    activities,
    dataConverter,
    // One slot: the worker asks for the next task only when the last one is done, so the order it gets them
    // in is the order the server hands them out.
    maxConcurrentActivityTaskExecutions: 1,
  });
  await worker.runUntil(until(`${name}: ${tasks.length} activities run`, 60_000, () => ran.length >= tasks.length));
  const drainMs = performance.now() - started;

  // Let the workflows finish, so nothing is left running on a shared server.
  await forEachLimit(tasks, 16, async (t) => {
    try {
      await client.workflow.getHandle(workflowId(t.seq)).result();
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
  });
  return { ran, scheduled, drainMs };
}

// ---------------------------------------------------------------------------------------------------------
// Figures

/** 1-based positions of `seqs` in `order`. */
function positions(order: readonly number[], seqs: readonly number[]): number[] {
  const at = new Map(order.map((s, i) => [s, i + 1]));
  return seqs.map((s) => at.get(s) ?? NaN);
}
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f1 = (x: number) => x.toFixed(1);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
/** Temporal orders tasks within each task queue partition (4 by default), so across them only nearly. */
const verdict = (exact: boolean, nearly: boolean) => (exact ? 'HONOURED' : nearly ? 'HONOURED, nearly (ordered within each task queue partition)' : 'NOT honoured');

interface PriorityFigures {
  urgentMean: number;
  urgentP90: number;
  normalMean: number;
  normalP90: number;
  urgentLast: number;
  urgentInFirstSixth: number;
}
function priorityFigures(order: readonly number[], urgent: readonly number[], normal: readonly number[]): PriorityFigures {
  const u = positions(order, urgent);
  const n = positions(order, normal);
  const sixth = Math.ceil(order.length / 6);
  return { urgentMean: mean(u), urgentP90: pct(u, 90), normalMean: mean(n), normalP90: pct(n, 90), urgentLast: Math.max(...u), urgentInFirstSixth: u.filter((p) => p <= sixth).length / u.length };
}
const priorityLine = (label: string, f: PriorityFigures) =>
  `  ${label.padEnd(34)} urgent mean ${f1(f.urgentMean).padStart(5)}  p90 ${String(f.urgentP90).padStart(3)}  last ${String(f.urgentLast).padStart(3)}   normal mean ${f1(f.normalMean).padStart(5)}  p90 ${String(f.normalP90).padStart(3)}   urgent in the first sixth ${(f.urgentInFirstSixth * 100).toFixed(0)}%`;

interface FairnessFigures {
  smallMean: number;
  smallLast: number;
  floodMean: number;
  perShop: string;
}
function fairnessFigures(order: readonly number[], tasks: readonly TaskSpec[], smallShops: readonly string[], floodShop: string): FairnessFigures {
  const of = (shop: string) => positions(order, tasks.filter((t) => t.group === shop).map((t) => t.seq));
  const small = smallShops.flatMap(of);
  const perShop = smallShops.map((s) => `${s.split(':')[1]} last ${Math.max(...of(s))}`).join(', ');
  return { smallMean: mean(small), smallLast: Math.max(...small), floodMean: mean(of(floodShop)), perShop };
}
const fairnessLine = (label: string, f: FairnessFigures) =>
  `  ${label.padEnd(34)} small shops mean ${f1(f.smallMean).padStart(5)}  last ${String(f.smallLast).padStart(3)}   flood shop mean ${f1(f.floodMean).padStart(5)}   (${f.perShop})`;

// ---------------------------------------------------------------------------------------------------------
// Experiment 1: urgent orders among normal ones.

try {
  out(`Temporal server ${serverInfo.serverVersion ?? '?'}; ${os.cpus().length} cores, Node ${process.version}`);
  const urgentTask = taskPriorityOf(20, 'bench:shop');
  const normalTask = taskPriorityOf(0, 'bench:shop');
  const e1 = Array.from({ length: TASKS }, (_, seq) => ({ seq, group: seq % 6 === 3 ? 'urgent' : 'normal' }));
  const urgent = e1.filter((t) => t.group === 'urgent').map((t) => t.seq);
  const normal = e1.filter((t) => t.group === 'normal').map((t) => t.seq);

  out(`\nexperiment 1: ${TASKS} tasks, ${urgent.length} urgent (1 in 6, spread evenly), one activity worker with one slot`);
  const base1 = await backlogThenDrain('e1-fifo', e1);
  out(`  baseline drained in ${f1(base1.drainMs / 1000)} s (${elapsed()} so far)`);
  // Only the key: fairness is experiment 2's.
  const prio1 = await backlogThenDrain(
    'e1-priority',
    e1.map((t) => ({ ...t, priority: { priorityKey: (t.group === 'urgent' ? urgentTask : normalTask).priorityKey } })),
  );
  out(`  with priority drained in ${f1(prio1.drainMs / 1000)} s (${elapsed()} so far)`);
  const fifo1 = priorityFigures(base1.scheduled, urgent, normal);
  const b1 = priorityFigures(base1.ran, urgent, normal);
  const p1 = priorityFigures(prio1.ran, urgent, normal);
  out(priorityLine('FIFO (scheduling order)', fifo1));
  out(priorityLine('baseline: no priority set', b1));
  out(priorityLine(`priorityKey ${urgentTask.priorityKey} vs ${normalTask.priorityKey} (default)`, p1));
  out(`  -> urgent mean position ${f1(p1.urgentMean)} vs ${f1(b1.urgentMean)} in the baseline (${ratio(b1.urgentMean, p1.urgentMean)} earlier); ideal: ${f1((urgent.length + 1) / 2)}`);
  out(`  -> priority ${verdict(p1.urgentInFirstSixth >= 0.99, p1.urgentInFirstSixth >= 0.6)}: ${(p1.urgentInFirstSixth * 100).toFixed(0)}% of urgent tasks ran in the first sixth (baseline ${(b1.urgentInFirstSixth * 100).toFixed(0)}%), the last at position ${p1.urgentLast} (ideal ${urgent.length})`);

  // -------------------------------------------------------------------------------------------------------
  // Experiment 2: one shop's flood and three small shops, all at the same priority.

  const floodShop = 'douyin:flood-shop';
  const smallShops = Array.from({ length: SMALL_SHOPS }, (_, i) => `tmall:small-${i + 1}`);
  const total = FLOOD + SMALL * SMALL_SHOPS;
  const shopAt: string[] = Array.from({ length: total }, () => floodShop);
  // The small shops' orders arrive evenly while the flood comes in, taking turns.
  for (let k = 0; k < SMALL * SMALL_SHOPS; k++) shopAt[Math.floor(((k + 0.5) * total) / (SMALL * SMALL_SHOPS))] = smallShops[k % SMALL_SHOPS]!;
  const e2: TaskSpec[] = shopAt.map((group, seq) => ({ seq, group }));

  out(`\nexperiment 2: flood shop ${FLOOD} tasks, ${SMALL_SHOPS} small shops ${SMALL} each (${total}), spread evenly through the flood, same priority key`);
  const base2 = await backlogThenDrain('e2-fifo', e2);
  out(`  baseline drained in ${f1(base2.drainMs / 1000)} s (${elapsed()} so far)`);
  const fair2 = await backlogThenDrain(
    'e2-fairness',
    e2.map((t) => ({ ...t, priority: { ...taskPriorityOf(0, t.group) } })),
  );
  out(`  with fairness keys drained in ${f1(fair2.drainMs / 1000)} s (${elapsed()} so far)`);
  const fifo2 = fairnessFigures(base2.scheduled, e2, smallShops, floodShop);
  const b2 = fairnessFigures(base2.ran, e2, smallShops, floodShop);
  const f2 = fairnessFigures(fair2.ran, e2, smallShops, floodShop);
  const keys = SMALL_SHOPS + 1;
  const idealLast = keys * SMALL;
  out(fairnessLine('FIFO (scheduling order)', fifo2));
  out(fairnessLine('baseline: no fairness key', b2));
  out(fairnessLine('fairnessKey = shop', f2));
  out(`  -> small shops' mean position ${f1(f2.smallMean)} vs ${f1(b2.smallMean)} in the baseline (${ratio(b2.smallMean, f2.smallMean)} earlier), last ${f2.smallLast} vs ${b2.smallLast} (${ratio(b2.smallLast, f2.smallLast)}); ideal round robin over ${keys} keys: mean ~${f1((idealLast + 1) / 2)}, last ~${idealLast}`);
  out(`  -> fairness ${verdict(f2.smallLast <= 1.05 * idealLast, f2.smallLast <= 2 * idealLast)}: the small shops' last task ran at position ${f2.smallLast} (round robin: ${idealLast}; FIFO: ${fifo2.smallLast})`);
  out(`\nrun took ${elapsed()}`);
} finally {
  workflowWorker.shutdown();
  await workflowWorkerRun;
  await nativeConnection.close();
  await connection.close();
  await temporal?.stop();
}
