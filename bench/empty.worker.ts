/**
 * The worker process of the empty-workflow baseline (`npm run bench`): Orderly's order worker as
 * `workers/main.ts` creates it (same connection, payload codec, activities, slots and interceptors) on the task
 * queue BENCH_EMPTY_QUEUE, with bench/empty.workflows.ts as its only workflow code. Only the workflow differs
 * from the order worker's, so the difference between the two rates is Orderly's own work.
 */
import { bundleWorkflowCode, DefaultLogger, NativeConnection } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { onShutdown } from '../config/main.js';
import { temporalAddress, temporalConnectionOptions } from '../config/temporal.js';
import { databaseUrl } from '../config/database-url.js';
import { createDb } from '../db/database.js';
import { installTemporalRuntime } from '../workers/runtime.js';
import { createOrderWorker, webpackConfigHook } from '../workers/worker.js';

const queue = process.env.BENCH_EMPTY_QUEUE;
if (!queue) throw new Error('BENCH_EMPTY_QUEUE: the task queue of the empty workflows');
const config = loadConfig();
const logger = createLogger(config);
installTemporalRuntime(logger);
const db = createDb(databaseUrl(config), config.DATABASE_POOL_SIZE, 'orderly-worker');
const address = temporalAddress(config);
const connection = await NativeConnection.connect(temporalConnectionOptions(config, address));
const workflowBundle = await bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('./empty.workflows.ts', import.meta.url)),
  webpackConfigHook,
  // The bundler's report is noise here.
  logger: new DefaultLogger('WARN'),
});
const w = await createOrderWorker({ connection, temporalAddress: address, config, namespace: config.TEMPORAL_NAMESPACE, taskQueue: queue, db, logger, workflowBundle });
const done = w.worker.run();
onShutdown(logger, async () => {
  if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
  await done;
  await w.close();
  await connection.close();
  await db.destroy();
});
