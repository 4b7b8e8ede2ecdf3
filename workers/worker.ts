import { fileURLToPath } from 'node:url';
import type { NativeConnection} from '@temporalio/worker';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import { temporalConnectionOptions } from '../config/temporal.js';
import { payloadDataConverter } from '../config/payload-codec.js';
import type { Db } from '../db/database.js';
import { createActivities } from '../activities/index.js';
import { workerMetricsInterceptor } from './metrics.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Workflow sources are TypeScript with ESM `.js` specifiers: teach the bundler to find the `.ts` file. */
export const webpackConfigHook: NonNullable<WorkerOptions['bundlerOptions']>['webpackConfigHook'] = (config) => {
  config.resolve ??= {};
  config.resolve.extensionAlias = { '.js': ['.ts', '.js'] };
  return config;
};

/** Bundles the workflow code once (tests share one bundle across workers). */
export async function bundleWorkflows(logger?: Logger): Promise<{ code: string }> {
  // webpack's build report is noise on every start: keep it at debug level.
  const quiet = new DefaultLogger('WARN', (e) => logger?.debug({ bundler: true }, e.message));
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, webpackConfigHook, logger: quiet });
}

export interface OrderWorkerOptions {
  connection: NativeConnection;
  /** Address of the same Temporal, for the client activities use. */
  temporalAddress: string;
  config: Config;
  namespace: string;
  taskQueue: string;
  db: Db;
  logger: Logger;
  /** A prebuilt bundle; otherwise the workflows are bundled at start (a few seconds). */
  workflowBundle?: { code: string };
  maxConcurrentActivityTaskExecutions?: number;
}

/** The worker that runs order workflows and their activities. */
export async function createOrderWorker(opts: OrderWorkerOptions): Promise<{ worker: Worker; client: Client; close: () => Promise<void> }> {
  // Client and worker encrypt what they send to Temporal and decrypt what they read (config/payload-codec.ts).
  const dataConverter = payloadDataConverter(opts.config, opts.logger);
  // Activities that start or signal workflows use an ordinary client on its own connection.
  const clientConnection = await Connection.connect(temporalConnectionOptions(opts.config, opts.temporalAddress));
  const temporal = new Client({ connection: clientConnection, namespace: opts.namespace, dataConverter });
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    dataConverter,
    workflowBundle: opts.workflowBundle ?? (await bundleWorkflows(opts.logger)),
    activities: createActivities({ db: opts.db, temporal, config: opts.config, logger: opts.logger }),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? opts.config.WORKER_ACTIVITY_TASK_SLOTS,
    ...(opts.config.WORKER_MAX_CACHED_WORKFLOWS !== undefined ? { maxCachedWorkflows: opts.config.WORKER_MAX_CACHED_WORKFLOWS } : {}),
    ...(opts.config.WORKER_WORKFLOW_TASK_SLOTS !== undefined ? { maxConcurrentWorkflowTaskExecutions: opts.config.WORKER_WORKFLOW_TASK_SLOTS } : {}),
    // Orderly's own worker metrics (workers/metrics.ts), beside the SDK's.
    interceptors: { activity: [workerMetricsInterceptor] },
  });
  // The client is the process's: the inbox relay running beside the worker uses it too.
  return { worker, client: temporal, close: () => clientConnection.close() };
}
