import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../config/config.js';
import { createLogger, type Logger } from '../config/logger.js';
import { isMain, onShutdown } from '../config/main.js';
import { temporalConnectionOptions } from '../config/temporal.js';
import { apiScheme } from '../config/tls.js';
import { payloadDataConverter } from '../config/payload-codec.js';
import { createDb, warmPool, type Db } from '../db/database.js';
import { databaseUrl } from '../config/database-url.js';
import { buildApp } from './app.js';
import { channelContext } from './channels/context.js';
import { upgradePullSchedules } from './channels/pull-schedule.js';
import { createDispatcher } from '../ingest/dispatcher.js';
import { startInboxRelay } from '../ingest/relay.js';
import { ensureFirstAdminKey, type FirstKeyOutcome } from './plugins/api-keys.js';

export interface RunningApi {
  app: FastifyInstance;
  url: string;
  /** The first admin key, when this start stored it (the database had no key). */
  firstKey: FirstKeyOutcome;
  close(): Promise<void>;
}

/**
 * Starts the API (and the inbox relay when INBOX_RELAY=api). The Temporal connection is lazy: the API starts
 * and accepts orders even while Temporal is down (they wait in the inbox).
 */
export async function startApi(
  config: Config,
  logger: Logger,
  db: Db,
  /** `adminKey`: the first admin key, if the database has none yet (else ORDERLY_ADMIN_KEY, else a generated one, printed). */
  opts: { temporalAddress?: string; databaseUrl?: string; adminKey?: string } = {},
): Promise<RunningApi> {
  const connection = Connection.lazy(temporalConnectionOptions(config, opts.temporalAddress));
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(config, logger) });
  const dispatcher = createDispatcher({ client: temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, paymentTimeoutMs: config.ORDER_PAYMENT_TIMEOUT });
  const app = await buildApp({ services: { config, db, temporal, dispatcher, logger } });
  const firstKey = await ensureFirstAdminKey(db, logger, opts.adminKey ?? config.ORDERLY_ADMIN_KEY);
  if (firstKey.outcome === 'created' && firstKey.generated) {
    // Printed, not logged: a key must not end up in log storage. This is the only time it can be read.
    process.stdout.write(
      `\n  The first admin API key (shown once; only its hash is stored):\n\n    ${firstKey.secret}\n\n` +
        `  Send it as "Authorization: Bearer <key>"; create other keys with POST /v1/api-keys.\n\n`,
    );
  }
  // Pushes arrive in bursts: every connection of the pool is open before the first one.
  await warmPool(db, config.DATABASE_POOL_SIZE).catch((e: unknown) => logger.warn({ err: e }, 'database pool not warmed; connections open on demand'));
  const relay =
    config.INBOX_RELAY === 'api'
      ? startInboxRelay({ config, db, logger, client: temporal, databaseUrl: opts.databaseUrl ?? databaseUrl(config), dispatcher, shops: channelContext(app.services).shops })
      : undefined;
  await app.listen({ host: config.HOST, port: config.PORT });
  // Schedules made by an earlier release get the pull runs' control priority; Temporal may be down meanwhile
  // (the connection is lazy), and then the next start does it.
  void upgradePullSchedules(temporal).then(
    (n) => n > 0 && logger.info({ schedules: n }, 'pull schedules given the control task priority'),
    (e: unknown) => logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'pull schedules not checked for the control task priority; the next start tries again'),
  );
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  return {
    app,
    url: `${apiScheme(config)}://${host}:${port}`,
    firstKey,
    async close() {
      await app.close();
      await relay?.stop();
      await connection.close();
    },
  };
}

if (isMain(import.meta.url)) {
  const config = loadConfig();
  const logger = createLogger(config);
  const db = createDb(databaseUrl(config), config.DATABASE_POOL_SIZE, 'orderly-api');
  const api = await startApi(config, logger, db);
  logger.info({ url: api.url, docs: `${api.url}/docs` }, 'Orderly API listening');
  onShutdown(logger, async () => {
    await api.close();
    await db.destroy();
  });
}
