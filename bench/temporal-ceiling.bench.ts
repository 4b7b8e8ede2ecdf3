/**
 * The ceiling under Orderly's push path: how many signal-with-start calls per second the Temporal dev server
 * on this machine takes on its own (no worker, no API, nothing else running), at a few concurrencies. Every
 * pushed order costs one of these plus its workflow tasks and activities, so this bounds what any ingest
 * design can reach here.
 *
 * Run: npx tsx bench/temporal-ceiling.bench.ts   (BENCH_CALLS=2000 BENCH_CONCURRENCY=1,8,32)
 */
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { payloadDataConverter } from '../config/payload-codec.js';
import { startTemporalDevServer } from '../scripts/stack/temporal-server.js';
import { freePort } from '../tests/helpers/ports.js';
import type { OrderEvent } from '../domain/order-events.js';
import { orderEventSignal, orderWorkflowType, type OrderWorkflow } from '../workflows/order.messages.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
if (!Number.isInteger(CALLS) || CALLS < 10 || CONCURRENCY.some((c) => !Number.isInteger(c) || c < 1)) {
  process.stderr.write('BENCH_CALLS must be an integer >= 10 and BENCH_CONCURRENCY a list of positive integers\n');
  process.exit(2);
}

const config = loadConfig(process.env, { LOG_LEVEL: 'warn', LOG_FORMAT: 'json' });
const logger = createLogger(config);
process.stdout.write('starting the Temporal dev server (in memory) ...\n');
const temporal = await startTemporalDevServer({ port: await freePort(), namespace: 'default', dataDir: config.dataDir, cliPath: config.TEMPORAL_CLI_PATH, logger });
const connection = await Connection.connect({ address: temporal.address });
// Encrypting, as Orderly's clients do: the push path pays for it on every call.
const client = new Client({ connection, dataConverter: payloadDataConverter(config) });
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? 0;

try {
  const lines: string[] = [];
  for (const c of CONCURRENCY) {
    const lat: number[] = [];
    let next = 0;
    const t0 = performance.now();
    // Nobody polls this task queue: only the server's side of signal-with-start is measured.
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (next < CALLS) {
          const k = next++;
          const s = performance.now();
          await client.workflow.signalWithStart<OrderWorkflow, [OrderEvent]>(orderWorkflowType, {
            workflowId: `ceiling-${c}-${k}`,
            taskQueue: 'orderly-ceiling-unpolled',
            args: [{ orderId: `ceiling-${c}-${k}`, paymentTimeoutMs: 60_000 }],
            signal: orderEventSignal,
            signalArgs: [{ eventId: 'e1', type: 'paid' }],
          });
          lat.push(performance.now() - s);
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    const line = `signal-with-start x${CALLS} at concurrency ${c}: ${(CALLS / secs).toFixed(0)}/s  p50 ${pct(lat, 50).toFixed(1)} ms  p99 ${pct(lat, 99).toFixed(1)} ms`;
    process.stdout.write(`${line}\n`);
    lines.push(line);
  }
  process.stdout.write(`\nmachine: ${os.cpus().length} cores, Node ${process.version}; Temporal dev server in memory, nothing else running\n${lines.join('\n')}\n`);
} finally {
  await connection.close();
  await temporal.stop();
}
