/**
 * `npm run chaos`: the chaos run's full form (bench/chaos.ts). While a stream of simulated orders flows, the
 * worker and the API are killed with SIGKILL and started again, the Temporal dev server and PostgreSQL are
 * restarted on their data, every push is delivered three times and out of order, and 200 orders compete for
 * the last 10 units of one SKU; then the invariants, each PASS or FAIL. Exit code 0 when all pass, 3 when one
 * fails, 1 when the run itself failed.
 *
 * Options (flags, or the environment variables beside them):
 *   --orders <n>       CHAOS_ORDERS      stream orders (default 300)
 *   --rate <n>         CHAOS_RATE        stream orders per second (default 1.5)
 *   --contest <n>      CHAOS_CONTEST     orders for the last units (default 200)
 *   --units <n>        CHAOS_UNITS       the last units (default 10)
 *   --deliveries <n>   CHAOS_DELIVERIES  deliveries of each push (default 3)
 *   --faults <list>    CHAOS_FAULTS      comma-separated, in order: worker,api,temporal,postgres (default all; `none`)
 *   --seed <n>         CHAOS_SEED        (default 2026)
 *   --settle <s>       CHAOS_SETTLE      longest wait for the system to settle (default 300)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CHAOS_DEFAULTS, FAULTS, formatInvariants, runChaos, type ChaosOptions, type Fault } from './chaos.js';
import { benchShutdown } from './services.js';

const say = (s: string) => process.stdout.write(`${s}\n`);

function options(): ChaosOptions {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      rate: { type: 'string' },
      contest: { type: 'string' },
      units: { type: 'string' },
      deliveries: { type: 'string' },
      faults: { type: 'string' },
      seed: { type: 'string' },
      settle: { type: 'string' },
    },
  });
  const num = (flag: string, env: string, def: number, min: number, integer = true): number => {
    const raw = (values as Record<string, string | undefined>)[flag] ?? process.env[env];
    if (raw === undefined) return def;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) throw new Error(`--${flag} (${env}) must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${raw}`);
    return v;
  };
  const faultList = values.faults ?? process.env.CHAOS_FAULTS;
  const faults = faultList === undefined ? [...FAULTS] : faultList === 'none' ? [] : faultList.split(',').map((f) => f.trim());
  const unknown = faults.filter((f) => !(FAULTS as readonly string[]).includes(f));
  if (unknown.length) throw new Error(`--faults: unknown ${unknown.join(', ')} (known: ${FAULTS.join(', ')}, or none)`);
  return {
    ...CHAOS_DEFAULTS,
    orders: num('orders', 'CHAOS_ORDERS', CHAOS_DEFAULTS.orders, 1),
    rate: num('rate', 'CHAOS_RATE', CHAOS_DEFAULTS.rate, 0.1, false),
    contestOrders: num('contest', 'CHAOS_CONTEST', CHAOS_DEFAULTS.contestOrders, 0),
    contestUnits: num('units', 'CHAOS_UNITS', CHAOS_DEFAULTS.contestUnits, 1),
    deliveries: num('deliveries', 'CHAOS_DELIVERIES', CHAOS_DEFAULTS.deliveries, 1),
    faults: faults as Fault[],
    seed: num('seed', 'CHAOS_SEED', CHAOS_DEFAULTS.seed, 0),
    settleTimeoutMs: num('settle', 'CHAOS_SETTLE', CHAOS_DEFAULTS.settleTimeoutMs / 1000, 1) * 1000,
  };
}

let exitCode = 0;
const { stops, stopAll, keepOnlyOwnSignalHandlers } = benchShutdown(say);
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-chaos-'));
// PostgreSQL runs as the `postgres` user when this is root: it must be able to enter the run directory.
fs.chmodSync(runDir, 0o755);
stops.push({ what: 'run directory', stop: async () => fs.rmSync(runDir, { recursive: true, force: true }) });
try {
  const opts = options();
  say(`chaos run: ${os.cpus().length} cores, Node ${process.version}, run directory ${runDir}`);
  const report = await runChaos(opts, runDir, say, { afterPostgres: keepOnlyOwnSignalHandlers });
  say(`\n== invariants (${report.faults.map((f) => `${f.fault} at ${f.atS.toFixed(0)} s, back after ${f.tookS.toFixed(1)} s`).join('; ') || 'no faults'})`);
  say(formatInvariants(report.invariants));
  const w = report.warehouse.reduce((a, r) => ({ seen: a.seen + r.seen, shipped: a.shipped + r.shipped, retried: a.retried + r.retried, undelivered: a.undelivered + r.undelivered.length }), { seen: 0, shipped: 0, retried: 0, undelivered: 0 });
  say(`warehouse: ${w.seen} packages taken, ${w.shipped} shipped, ${w.retried} reports sent again, ${w.undelivered} given up`);
  say(`\nverdict: ${report.pass ? 'PASS' : 'FAIL'} (${report.invariants.filter((i) => i.pass).length}/${report.invariants.length} invariants hold); wall time ${(report.wallMs / 1000).toFixed(0)} s`);
  if (!report.pass) exitCode = 3;
} catch (e) {
  exitCode = 1;
  say(`chaos run failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await stopAll();
  process.exit(exitCode);
}
