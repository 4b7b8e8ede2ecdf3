import { NativeConnection, type Worker } from '@temporalio/worker';
import { startInboxRelay } from '../ingest/relay.js';
import { loadConfig, type Config } from '../config/config.js';
import { createLogger, type Logger } from '../config/logger.js';
import { isMain, onShutdown } from '../config/main.js';
import { temporalAddress, temporalConnectionOptions } from '../config/temporal.js';
import { payloadCodecFor } from '../config/payload-codec.js';
import { createDb, type Db } from '../db/database.js';
import { databaseUrl } from '../config/database-url.js';
import { installTemporalRuntime } from './runtime.js';
import { createOrderWorker } from './worker.js';

export interface RunningWorker {
  worker: Worker;
  /** Where this process serves the worker's metrics (WORKER_METRICS_ADDRESS); null when it does not. */
  metricsUrl: string | null;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Starts the order worker, and the inbox relay unless INBOX_RELAY puts it in the API process. */
export async function startWorker(config: Config, logger: Logger, db: Db, opts: { temporalAddress?: string; databaseUrl?: string } = {}): Promise<RunningWorker> {
  const runtime = installTemporalRuntime(logger, { metricsAddress: config.WORKER_METRICS_ADDRESS });
  // Without payload keys (production without PAYLOAD_KEYS) the worker stops here, before it connects.
  payloadCodecFor(config, logger);
  const address = temporalAddress(config, opts.temporalAddress);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config, address));
  const { worker, client, close } = await createOrderWorker({ connection, temporalAddress: address, config, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, db, logger });
  const relay = config.INBOX_RELAY === 'worker' ? startInboxRelay({ config, db, logger, client, databaseUrl: opts.databaseUrl ?? databaseUrl(config) }) : undefined;
  const done = worker.run().finally(async () => {
    await relay?.stop();
    await close();
    await connection.close();
  });
  return {
    worker,
    metricsUrl: runtime.metricsUrl,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

if (isMain(import.meta.url)) {
  const config = loadConfig();
  const logger = createLogger(config);
  const db = createDb(databaseUrl(config), config.DATABASE_POOL_SIZE, 'orderly-worker');
  const w = await startWorker(config, logger, db);
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, metrics: w.metricsUrl }, 'Orderly worker running');
  onShutdown(logger, async () => {
    await w.stop();
    await db.destroy();
  });
}
