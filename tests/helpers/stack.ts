import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { FastifyInstance, InjectOptions, LightMyRequestCallback, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { buildApp } from '../../api/app.js';
import { ensureFirstAdminKey, generateApiKey } from '../../api/plugins/api-keys.js';
import type { Role } from '../../domain/access.js';
import { channelContext } from '../../api/channels/context.js';
import { createDispatcher, type Dispatcher } from '../../ingest/dispatcher.js';
import { startInboxRelay, type RunningRelay } from '../../ingest/relay.js';
import { loadConfig, type Config } from '../../config/config.js';
import { createLogger, type Logger } from '../../config/logger.js';
import { payloadDataConverter } from '../../config/payload-codec.js';
import { fieldCipherFor } from '../../config/field-cipher.js';
import type { FieldCipher } from '../../domain/buyer-data.js';
import { createDb, migrateToLatest, type Db } from '../../db/database.js';
import { seedDemoData } from '../../db/seed.js';
import { installTemporalRuntime } from '../../workers/runtime.js';
import { createOrderWorker } from '../../workers/worker.js';
import { decodeHistoryPayloads } from './payloads.js';

export interface TestStack {
  config: Config;
  logger: Logger;
  db: Db;
  databaseUrl: string;
  client: Client;
  dispatcher: Dispatcher;
  /** The field cipher of the stack's configuration (buyer data at rest), for tests that call the inbox relay or repositories. */
  cipher: FieldCipher;
  /** Sends the stack's admin key (`adminKey`) with every `inject` that names no Authorization of its own. */
  app: FastifyInstance;
  /** The admin API key the stack stored as the database's first key. */
  adminKey: string;
  /** `app.inject` with this key, or none (null): nothing added. */
  injectAs(key: string | null, opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** A new API key of `role` (limited to `shopIds` if given), made through `POST /v1/api-keys`. */
  createKey(role: Role, opts?: { shopIds?: string[]; name?: string }): Promise<{ id: string; key: string }>;
  /** Makes another app a test builds send the admin key the same way. */
  authorize<T extends FastifyInstance>(app: T): T;
  taskQueue: string;
  /**
   * Starts a worker on this file's task queue (a test may stop it and start another), with another
   * configuration if given (a rotated PAYLOAD_KEYS).
   */
  startWorker(config?: Config): Promise<RunningTestWorker>;
  /** Stops every running worker of this stack; returns how many there were. */
  stopWorkers(): Promise<number>;
  /** Starts the inbox relay (as a worker process runs it), with another dispatcher if given (Temporal down). */
  startRelay(dispatcher?: Dispatcher): RunningRelay;
  /** Stops the running relay, if any. */
  stopRelay(): Promise<void>;
  close(): Promise<void>;
}

export interface RunningTestWorker {
  worker: Worker;
  stop(): Promise<void>;
}

/**
 * A fresh database (migrated) and a private task queue on the run's shared PostgreSQL and Temporal,
 * the API built around them, and one worker running.
 */
export async function createTestStack(
  overrides: Record<string, string> = {},
  opts: {
    carriers?: boolean;
    /** Another Temporal than the run's shared one (restart tests). */
    temporalAddress?: string;
    /** Run the inbox relay, as production does (default); off for tests that drive it round by round. */
    relay?: boolean;
  } = {},
): Promise<TestStack> {
  const temporalAddress = opts.temporalAddress ?? inject('temporalAddress');
  const name = `orderly_t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const databaseUrl = `${inject('pgBaseUrl')}/${name}`;
  const taskQueue = `test-${name}`;
  const config = loadConfig(process.env, {
    NODE_ENV: 'test',
    LOG_FORMAT: 'json',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ORDER_PAYMENT_TIMEOUT: '1h',
    DATABASE_URL: databaseUrl,
    // The relay looks at the inbox more often than in production, so a missed wake-up costs a test little.
    RELAY_INTERVAL: '500ms',
    DELIVERY_CONCURRENCY: '8',
    // Shops point at the platform simulator on this host, over http.
    ALLOW_HTTP_SHOP_API: 'true',
    ...overrides,
  });
  const logger = createLogger(config, { test: expect.getState().testPath?.split('/').pop() });
  installTemporalRuntime(logger);
  const db = createDb(databaseUrl, 20);
  await migrateToLatest(db);
  // Test files share one Temporal namespace but not a database: exception ids (which name the watch workflows,
  // `exception:<id>`) start at a random point per file so that two files never meet on one workflow id.
  await sql`select setval('exceptions_id_seq', ${randomInt(1, 2 ** 40)})`.execute(db);
  // The demo master data (shops, warehouses, SKUs, stock): test orders use its SKU codes. Without carriers
  // (the default here) orders are released without allocation; fulfilment tests ask for them.
  await seedDemoData(db, { carriers: opts.carriers ?? false });

  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(config) });
  const dispatcher = createDispatcher({ client, taskQueue, paymentTimeoutMs: config.ORDER_PAYMENT_TIMEOUT });
  const app = await buildApp({ services: { config, db, temporal: client, dispatcher, logger } });
  await app.ready();
  // Every API call needs a key: the stack stores the first admin key as a real first start does, and its app
  // sends it, so a test says nothing about keys unless keys are what it tests.
  const adminKey = generateApiKey();
  const first = await ensureFirstAdminKey(db, logger, adminKey);
  if (first.outcome !== 'created') throw new Error('a fresh test database already had an API key');
  const rawInject = app.inject.bind(app);
  const authorize = <T extends FastifyInstance>(target: T): T => {
    const injectRaw = target.inject.bind(target);
    const withKey = (opts: InjectOptions | string): InjectOptions => {
      const o = typeof opts === 'string' ? { url: opts } : opts;
      return { ...o, headers: { authorization: `Bearer ${adminKey}`, ...o.headers } };
    };
    target.inject = ((opts?: InjectOptions | string, cb?: LightMyRequestCallback) =>
      opts === undefined ? injectRaw() : cb ? injectRaw(withKey(opts), cb) : injectRaw(withKey(opts))) as FastifyInstance['inject'];
    return target;
  };
  authorize(app);
  const injectAs = (key: string | null, opts: InjectOptions) => rawInject({ ...opts, headers: { ...opts.headers, ...(key ? { authorization: `Bearer ${key}` } : {}) } });
  const createKey = async (role: Role, o: { shopIds?: string[]; name?: string } = {}) => {
    const res = await app.inject({ method: 'POST', url: '/v1/api-keys', payload: { name: o.name ?? `test ${role}`, role, ...(o.shopIds ? { shopIds: o.shopIds } : {}) } });
    if (res.statusCode !== 201) throw new Error(`API key not created: ${res.statusCode} ${res.body}`);
    const body = res.json<{ id: string; key: string }>();
    return { id: body.id, key: body.key };
  };

  const bundle = { code: fs.readFileSync(inject('workflowBundlePath'), 'utf8') };
  const workers = new Set<RunningTestWorker>();
  const startWorker = async (workerConfig: Config = config): Promise<RunningTestWorker> => {
    const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
    const { worker, close } = await createOrderWorker({
      connection: nativeConnection,
      temporalAddress,
      config: workerConfig,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue,
      db,
      logger,
      workflowBundle: bundle,
    });
    const running = worker.run();
    const handle: RunningTestWorker = {
      worker,
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await close();
        await nativeConnection.close();
        workers.delete(handle);
      },
    };
    workers.add(handle);
    return handle;
  };
  await startWorker();

  let relay: RunningRelay | undefined;
  const startRelayWith = (d: Dispatcher = dispatcher): RunningRelay => {
    if (relay) throw new Error('the relay is already running');
    relay = startInboxRelay({ config, db, logger, client, databaseUrl, dispatcher: d, shops: channelContext(app.services).shops });
    return relay;
  };
  const stopRelay = async () => {
    const r = relay;
    relay = undefined;
    await r?.stop();
  };
  if (opts.relay ?? true) startRelayWith();

  return {
    config,
    logger,
    db,
    databaseUrl,
    client,
    dispatcher,
    cipher: fieldCipherFor(config),
    app,
    adminKey,
    injectAs,
    createKey,
    authorize,
    taskQueue,
    startWorker,
    startRelay: startRelayWith,
    stopRelay,
    async stopWorkers() {
      const running = [...workers];
      for (const w of running) await w.stop();
      return running.length;
    },
    async close() {
      await stopRelay();
      for (const w of [...workers]) await w.stop();
      await app.close();
      await connection.close();
      await db.destroy();
    },
  };
}

/**
 * Keeps a finished workflow's history for the replay test: `RECORD_HISTORIES=1` records every history the
 * tests name, a comma-separated list of name prefixes only those (`RECORD_HISTORIES=package-,pull-sync-`
 * re-records the package and pull-sync histories and leaves the order ones as they are).
 */
export async function maybeRecordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  const wanted = process.env.RECORD_HISTORIES;
  if (!wanted) return;
  const prefixes = wanted.split(',').map((p) => p.trim()).filter(Boolean);
  if (!['1', 'true', 'all'].includes(wanted) && !prefixes.some((p) => name.startsWith(p))) return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  // Recorded histories are kept decrypted: they must replay on any machine, whatever its payload key (the
  // replay decodes encrypted payloads and passes plain ones through; test orders carry no real buyer).
  await decodeHistoryPayloads(history, client.options.loadedDataConverter.payloadCodecs);
  fs.writeFileSync(path.join('tests', 'histories', `${name}.json`), historyToJSON(history));
}

/** Polls `fn` until it returns a value that passes `ok`, or fails with the last value seen. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
}
