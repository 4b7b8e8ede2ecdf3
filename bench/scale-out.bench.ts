/**
 * `npm run scale-out`: Orderly scaled out on one machine, as production runs it on many: two API processes
 * (`api/server.ts`, each on its own port) and two worker processes (`workers/main.ts`, each with its inbox relay
 * and its own metrics port) against one Temporal dev server and one PostgreSQL (bench/cluster.ts). The load
 * client (bench/load-client.ts, a process of its own) sends the chaos run's orders (bench/chaos.ts: every push
 * three times and out of order, 200 orders for the last 10 units), each delivery to one API or the other, and
 * the simulated warehouse reports to both. Then the chaos run's invariants, and how the work was shared: pushes
 * acknowledged per API (as the load client saw them and as each API counted them) and workflow tasks and
 * activities per worker (from each worker's Temporal SDK metrics). Exit code 0 when all hold, 3 when one fails,
 * 1 when the run itself failed.
 *
 * Options (flags, or the environment variables beside them):
 *   --orders <n>   SCALE_ORDERS   stream orders (default 400)
 *   --rate <n>     SCALE_RATE     stream orders per second (default 4)
 *   --contest <n>  SCALE_CONTEST  orders for the last units (default 200)
 *   --units <n>    SCALE_UNITS    the last units (default 10)
 *   --seed <n>     SCALE_SEED     (default 2027)
 *   --settle <s>   SCALE_SETTLE   longest wait for the system to settle (default 300)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ACK_TEXT, checkInvariants, formatInvariants, planChaos, prepareOrderly, settle, startPlayers } from './chaos.js';
import { startCluster } from './cluster.js';
import type { LoadResult, LoadSpec } from './load-client.js';
import { benchShutdown, ROOT, TSX } from './services.js';

const say = (s: string) => process.stdout.write(`${s}\n`);
const { values } = parseArgs({ options: { orders: { type: 'string' }, rate: { type: 'string' }, contest: { type: 'string' }, units: { type: 'string' }, seed: { type: 'string' }, settle: { type: 'string' } } });
const num = (flag: keyof typeof values, env: string, def: number, min: number): number => {
  const raw = values[flag] ?? process.env[env];
  const v = raw === undefined ? def : Number(raw);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${flag} (${env}) must be a number >= ${min}, got ${raw}`);
  return v;
};
const ORDERS = Math.round(num('orders', 'SCALE_ORDERS', 400, 1));
const RATE = num('rate', 'SCALE_RATE', 4, 0.1);
const CONTEST = Math.round(num('contest', 'SCALE_CONTEST', 200, 0));
const UNITS = Math.round(num('units', 'SCALE_UNITS', 10, 1));
const SEED = Math.round(num('seed', 'SCALE_SEED', 2027, 0));
const SETTLE_MS = num('settle', 'SCALE_SETTLE', 300, 1) * 1000;
const APIS = 2;
const WORKERS = 2;

/** Sums the samples of the series named `name` (any labels) in Prometheus text. */
function sumSeries(text: string, test: (name: string, labels: string) => boolean): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && test(m[1]!, m[2] ?? '')) sum += Number(m[3]);
  }
  return sum;
}

async function scrape(url: string, key?: string): Promise<string> {
  const res = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return text;
}

const loadClients = new Set<ChildProcess>();
process.on('exit', () => loadClients.forEach((c) => c.kill('SIGKILL')));
async function runLoad(spec: LoadSpec, dir: string): Promise<LoadResult> {
  const specPath = path.join(dir, 'load-spec.json');
  const resultPath = path.join(dir, 'load-result.json');
  fs.writeFileSync(specPath, JSON.stringify(spec));
  const child = spawn(TSX, [path.join(ROOT, 'bench', 'load-client.ts'), specPath, resultPath], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  loadClients.add(child);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  loadClients.delete(child);
  if (code !== 0) throw new Error(`the load client exited with ${code}`);
  return JSON.parse(fs.readFileSync(resultPath, 'utf8')) as LoadResult;
}

let exitCode = 0;
const started = Date.now();
const { stops, stopAll, keepOnlyOwnSignalHandlers } = benchShutdown(say);
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-scale-out-'));
fs.chmodSync(runDir, 0o755);
stops.push({ what: 'run directory', stop: async () => fs.rmSync(runDir, { recursive: true, force: true }) });
try {
  say(`scale-out run: ${os.cpus().length} cores, Node ${process.version}; ${APIS} API and ${WORKERS} worker processes, one Temporal dev server, one PostgreSQL`);
  const plan = planChaos({ orders: ORDERS, rate: RATE, contestOrders: CONTEST, deliveries: 3, seed: SEED }, 'scale');
  say(`plan: ${plan.orders.length} orders (${ORDERS} at ${RATE}/s, ${CONTEST} for the last ${UNITS} units), ${plan.messages.length} messages, ${plan.pushes.length} deliveries (each 3 times, shuffled, spread over both APIs)`);
  const cluster = await startCluster({ runDir, apis: APIS, workers: WORKERS, workerMetrics: true, say, env: { PACKAGE_HOLD_WINDOW: '5s', RELAY_INTERVAL: '1s' }, afterPostgres: keepOnlyOwnSignalHandlers });
  stops.push({ what: 'cluster', stop: () => cluster.stop() });
  const stock = await prepareOrderly(cluster.apiUrls[0]!, cluster.apiKey, cluster.db, plan, UNITS);
  stops.push({ what: 'simulator', stop: () => plan.sim.stop() });
  say(`ready in ${((Date.now() - started) / 1000).toFixed(0)} s: APIs ${cluster.apiUrls.join(', ')}; worker metrics ${cluster.workerMetricsUrls.join(', ')}`);
  const players = startPlayers(cluster.apiUrls, cluster.apiKey, SEED);
  stops.push({ what: 'warehouse', stop: () => Promise.all(players.map((p) => p.stop())) });

  // The load client sends the plan in its order at one steady rate (its timing stretched or squeezed to it).
  const spanS = Math.max(1, (plan.pushes.at(-1)?.atMs ?? 0) / 1000);
  const spec: LoadSpec = {
    label: 'scale-out',
    rate: plan.pushes.length / spanS,
    okWhen: '',
    redeliverEvery: 0,
    retryRefused: true,
    timeoutMs: 30_000,
    requests: plan.pushes.map((p) => ({
      key: p.message.key,
      url: `${cluster.apiUrls[(p.n + p.copy) % APIS]}/webhooks/${p.message.platform}/${p.message.shopId}`,
      body: p.message.body,
      headers: p.message.headers,
      okWhen: ACK_TEXT[p.message.platform],
    })),
  };
  say(`load client: ${spec.requests.length} deliveries at ${spec.rate.toFixed(1)}/s ...`);
  const load = await runLoad(spec, runDir);
  cluster.assertAlive();
  const acknowledgedMessages = new Set(plan.pushes.flatMap((p, i) => (load.acknowledged[i] ? [p.message.key] : [])));
  say(`sent: ${Object.entries(load.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}; retried ${Object.entries(load.retried).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; ${acknowledgedMessages.size}/${plan.messages.length} messages acknowledged`);

  const { settled, ms } = await settle(cluster.db, plan, players, SETTLE_MS, say, () => cluster.assertAlive());
  say(settled ? `settled after ${(ms / 1000).toFixed(0)} s` : `NOT settled within ${(ms / 1000).toFixed(0)} s: checking what there is`);
  const warehouse = await Promise.all(players.map((p) => p.stop()));
  stops.splice(stops.findIndex((s) => s.what === 'warehouse'), 1);
  const invariants = await checkInvariants({ db: cluster.db, client: cluster.client, plan, stock, contestUnits: UNITS, acknowledgedMessages, writebacks: plan.sim.writebacks });
  if (!settled) invariants.unshift({ name: 'the system settled', pass: false, detail: `not within ${SETTLE_MS / 1000} s`, offenders: ['see the orders not at rest below'] });
  if (acknowledgedMessages.size < plan.messages.length) {
    const missing = plan.messages.filter((m) => !acknowledgedMessages.has(m.key)).map((m) => m.key);
    invariants.unshift({ name: 'every push acknowledged in the end', pass: false, detail: `${missing.length} of ${plan.messages.length} never acknowledged`, offenders: missing });
  }

  // The split.
  say(`\n== how the work was shared`);
  const share = (xs: number[]) => {
    const total = xs.reduce((a, b) => a + b, 0);
    return xs.map((x) => `${x} (${total ? ((100 * x) / total).toFixed(0) : 0}%)`).join(' / ');
  };
  const perApiClient = cluster.apiUrls.map((u) => load.acknowledgedBy[new URL(u).origin] ?? 0);
  const perApiServer: number[] = [];
  for (const u of cluster.apiUrls) {
    const text = await scrape(`${u}/metrics`, cluster.apiKey);
    perApiServer.push(sumSeries(text, (name, labels) => name === 'orderly_ingest_requests_total' && labels.includes('source="webhook"') && labels.includes('outcome="accepted"')));
  }
  say(`pushes acknowledged, API 1 / API 2: ${share(perApiClient)} as the load client saw them; ${share(perApiServer)} as each API counted them (orderly_ingest_requests_total, accepted)`);
  const perWorker: Array<{ wfTasks: number; activities: number; completed: number; conflicts: number }> = [];
  for (const u of cluster.workerMetricsUrls) {
    const text = u ? await scrape(u) : '';
    perWorker.push({
      wfTasks: sumSeries(text, (n) => n.startsWith('temporal_workflow_task_execution_latency') && n.endsWith('_count')),
      activities: sumSeries(text, (n) => n.startsWith('temporal_activity_execution_latency') && n.endsWith('_count')),
      completed: sumSeries(text, (n) => n.startsWith('temporal_workflow_completed')),
      conflicts: sumSeries(text, (n) => n.startsWith('orderly_reservation_conflicts')),
    });
  }
  say(`workflow tasks run, worker 1 / worker 2: ${share(perWorker.map((w) => w.wfTasks))}`);
  say(`activities run, worker 1 / worker 2: ${share(perWorker.map((w) => w.activities))}`);
  say(`workflows completed, worker 1 / worker 2: ${share(perWorker.map((w) => w.completed))}`);
  say(`stock reservations refused for a race (orderly_reservation_conflicts_total), worker 1 / worker 2: ${perWorker.map((w) => w.conflicts).join(' / ')}`);
  const w = warehouse.reduce((a, r) => ({ seen: a.seen + r.seen, shipped: a.shipped + r.shipped, retried: a.retried + r.retried }), { seen: 0, shipped: 0, retried: 0 });
  say(`warehouse (5 players, reporting to the APIs in turn): ${w.seen} packages taken, ${w.shipped} shipped, ${w.retried} reports sent again`);
  for (const s of cluster.allServices()) {
    const c = s.logCounts();
    say(`logs: ${s.name} ${c.error} error / ${c.warn} warn${c.firstErrors.length ? `: ${c.firstErrors.join(' | ')}` : ''}`);
  }

  say(`\n== invariants`);
  say(formatInvariants(invariants));
  const pass = invariants.every((i) => i.pass);
  const sharedOk = perApiServer.every((n) => n > 0) && perWorker.every((x) => x.wfTasks > 0 && x.activities > 0);
  say(`\nverdict: ${pass && sharedOk ? 'PASS' : 'FAIL'} (${invariants.filter((i) => i.pass).length}/${invariants.length} invariants hold; ${sharedOk ? 'every process took a share' : 'a process took no share of the work'}); wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (!pass || !sharedOk) exitCode = 3;
} catch (e) {
  exitCode = 1;
  say(`scale-out run failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await stopAll();
  process.exit(exitCode);
}
