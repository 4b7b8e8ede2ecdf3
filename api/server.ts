import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../config/config.js';
import { createLogger, type Logger } from '../config/logger.js';
import { isMain, onShutdown } from '../config/main.js';
import { temporalConnectionOptions } from '../config/temporal.js';
import { createDb, warmPool, type Db } from '../db/database.js';
import { databaseUrl } from '../config/database-url.js';
import { buildApp } from './app.js';
import { channelContext } from './channels/context.js';
import { createDispatcher } from '../ingest/dispatcher.js';
import { startInboxRelay } from '../ingest/relay.js';

export interface RunningApi {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the API (and the inbox relay when INBOX_RELAY=api). The Temporal connection is lazy: the API starts
 * and accepts orders even while Temporal is down (they wait in the inbox).
 */
export async function startApi(config: Config, logger: Logger, db: Db, opts: { temporalAddress?: string; databaseUrl?: string } = {}): Promise<RunningApi> {
  const connection = Connection.lazy(temporalConnectionOptions(config, opts.temporalAddress));
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const dispatcher = createDispatcher({ client: temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, paymentTimeoutMs: config.ORDER_PAYMENT_TIMEOUT });
  const app = await buildApp({ services: { config, db, temporal, dispatcher, logger } });
  // Pushes arrive in bursts: every connection of the pool is open before the first one.
  await warmPool(db, config.DATABASE_POOL_SIZE).catch((e: unknown) => logger.warn({ err: e }, 'database pool not warmed; connections open on demand'));
  const relay =
    config.INBOX_RELAY === 'api'
      ? startInboxRelay({ config, db, logger, client: temporal, databaseUrl: opts.databaseUrl ?? databaseUrl(config), dispatcher, shops: channelContext(app.services).shops })
      : undefined;
  await app.listen({ host: config.HOST, port: config.PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  return {
    app,
    url: `http://${host}:${port}`,
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
