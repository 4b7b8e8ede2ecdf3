/**
 * How many orders wait in a package's hold window, with the merge policy that holds every package (`always`,
 * what Orderly did before the policy existed) and with the default that holds only for a buyer who has
 * another open order in the shop (`when_buyer_has_open_orders`), on the same simulated order stream.
 *
 * `npx tsx bench/hold.bench.ts` (env: `BENCH_RATE` orders/s over the four platforms, default 20;
 * `BENCH_DURATION` s, default 30; `BENCH_HOLD_WINDOW`, default 10s; `BENCH_REPEAT_BUYERS`, share of orders
 * from a buyer who already ordered in the run, default 0.1; `BENCH_SEED`, default 2026; `BENCH_WAIT` s, default 60).
 *
 * Topology as the ingest benchmark's: embedded PostgreSQL and an in-memory Temporal dev server in this
 * process, the API (`api/server.ts`) and one worker (`workers/main.ts`) each in its own process, configured by
 * environment variables only; the simulator (`npm run simulate`'s `drive`, with `--warehouse`) in this process.
 * Each policy gets shops of its own (`hold-always-*`, `hold-buyer-*`) and the same seed, so the same orders.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drive, formatReport, parseSimulateArgs, type DriveReport } from '../channels/simulator/drive.js';
import { benchShutdown, sayServiceLogs, startOrderly } from './services.js';

const env = (name: string, def: string) => process.env[name] ?? def;
const RATE = env('BENCH_RATE', '20');
const DURATION = env('BENCH_DURATION', '30');
const HOLD_WINDOW = env('BENCH_HOLD_WINDOW', '10s');
const REPEAT = env('BENCH_REPEAT_BUYERS', '0.1');
const SEED = env('BENCH_SEED', '2026');
const WAIT = env('BENCH_WAIT', '60');

const say = (s: string) => process.stdout.write(`${s}\n`);
const { stops, stopAll, keepOnlyOwnSignalHandlers } = benchShutdown(say);

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-hold-bench-'));
fs.chmodSync(runDir, 0o755);
stops.push({ what: 'run directory', stop: async () => fs.rmSync(runDir, { recursive: true, force: true }) });

let exitCode = 0;
try {
  const { api, apiKey, services } = await startOrderly({ runDir, database: 'orderly_hold_bench', stops, say, afterPostgres: keepOnlyOwnSignalHandlers, env: { PACKAGE_HOLD_WINDOW: HOLD_WINDOW } });
  // The worker is ready when it has registered; a first order would otherwise wait for it. Give it the time
  // the API took, then the simulator's own wait covers the rest.
  say(`Orderly ready at ${api}; PACKAGE_HOLD_WINDOW=${HOLD_WINDOW}`);

  const results: Array<{ policy: string; report: DriveReport }> = [];
  for (const [policy, prefix] of [
    ['always', 'hold-always'],
    ['when_buyer_has_open_orders', 'hold-buyer'],
  ] as const) {
    const put = await fetch(`${api}/v1/settings/merge-policy`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }, body: JSON.stringify({ id: `bench.${prefix}`, hold: policy }) });
    if (put.status !== 200) throw new Error(`PUT /v1/settings/merge-policy: ${put.status} ${await put.text()}`);
    const args = ['--platform', 'all', '--rate', RATE, '--duration', DURATION, '--warehouse', '--repeat-buyers', REPEAT, '--seed', SEED, '--wait', WAIT, '--shop-prefix', prefix, '--api', api];
    // The key goes to the driver, not into the command line printed below.
    const parsed = parseSimulateArgs(args, Date.now(), apiKey);
    if (parsed.kind !== 'run') throw new Error(`simulator arguments: ${JSON.stringify(parsed)}`);
    say(`\n== merge policy hold=${policy}: npm run simulate -- ${args.join(' ')}`);
    const report = await drive(parsed.options);
    say(formatReport(report));
    results.push({ policy, report });
    const dead = services.find((s) => s.exited);
    if (dead) throw new Error(`${dead.name} exited during the run (${dead.exitInfo}):\n${dead.tail()}`);
  }

  const [before, after] = results.map((r) => r.report.holds);
  const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? '1' : 'inf') : (a / b).toFixed(2));
  say(`\n== orders waiting in a hold window (PACKAGE_HOLD_WINDOW ${HOLD_WINDOW}, ${RATE} orders/s for ${DURATION} s, repeat buyers ${REPEAT}, seed ${SEED})`);
  say(`policy                        reached package  held  allocated peak  allocated mean  allocated->released p50 / p99`);
  for (const { policy, report } of results) {
    const h = report.holds;
    say(`${policy.padEnd(30)}${String(h.reachedPackage).padStart(15)}${String(h.held).padStart(6)}${String(h.allocatedPeak).padStart(16)}${h.allocatedMean.toFixed(1).padStart(16)}  ${h.waitMsP50 ?? 'n/a'} ms / ${h.waitMsP99 ?? 'n/a'} ms`);
  }
  if (before && after) {
    say(`held, before / after: ${before.held} / ${after.held} (x${ratio(before.held, after.held)} fewer)`);
    say(`allocated mean, before / after: ${before.allocatedMean.toFixed(1)} / ${after.allocatedMean.toFixed(1)} (x${ratio(before.allocatedMean, after.allocatedMean)})`);
    say(`allocated->released p50, before / after: ${before.waitMsP50 ?? 'n/a'} / ${after.waitMsP50 ?? 'n/a'} ms`);
  }
  sayServiceLogs(services, say);
} catch (e) {
  exitCode = 1;
  say(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await stopAll();
  process.exit(exitCode);
}
