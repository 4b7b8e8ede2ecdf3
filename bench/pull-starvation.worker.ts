/**
 * The worker process of bench/pull-starvation.bench.ts: Orderly's worker (`startWorker` of workers/main.ts, the
 * inbox relay included) and, with BENCH_CONTROL_QUEUE set, a second worker in the same process polling that
 * task queue with the same workflows and activities and slots of its own (40 workflow tasks, 10 activities).
 * That second worker is the alternative the bench measures beside the control priority (pull runs on a queue
 * of their own); Orderly does not ship it.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { onShutdown } from '../config/main.js';
import { temporalAddress, temporalConnectionOptions } from '../config/temporal.js';
import { databaseUrl } from '../config/database-url.js';
import { createDb } from '../db/database.js';
import { startWorker } from '../workers/main.js';
import { createOrderWorker } from '../workers/worker.js';

const config = loadConfig();
const logger = createLogger(config);
const db = createDb(databaseUrl(config), config.DATABASE_POOL_SIZE, 'orderly-worker');
const w = await startWorker(config, logger, db);
const queue = process.env.BENCH_CONTROL_QUEUE;
let stopControl = async () => {};
if (queue) {
  const address = temporalAddress(config);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config, address));
  const c = await createOrderWorker({ connection, temporalAddress: address, config, namespace: config.TEMPORAL_NAMESPACE, taskQueue: queue, db, logger, maxConcurrentActivityTaskExecutions: 10 });
  const done = c.worker.run();
  stopControl = async () => {
    if (c.worker.getState() === 'RUNNING') c.worker.shutdown();
    await done;
    await c.close();
    await connection.close();
  };
}
onShutdown(logger, async () => {
  await stopControl();
  await w.stop();
  await db.destroy();
});
