import path from 'node:path';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../config/logger.js';
import { EMBEDDED_DB_NAME } from '../../config/database-url.js';
import { temporalAddress } from '../../config/temporal.js';
import { startEmbeddedPostgres } from './postgres.js';
import { startTemporalDevServer } from './temporal-server.js';

export interface Service<T> {
  value: T;
  stop: () => Promise<void>;
}

/** DATABASE_URL when set; otherwise starts the embedded PostgreSQL under DATA_DIR/pg. */
export async function provideDatabase(config: Config, logger: Logger): Promise<Service<string>> {
  if (config.DATABASE_URL) return { value: config.DATABASE_URL, stop: async () => undefined };
  const pg = await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'pg'), port: config.EMBEDDED_PG_PORT, logger });
  await pg.ensureDatabase(EMBEDDED_DB_NAME);
  return { value: pg.urlFor(EMBEDDED_DB_NAME), stop: () => pg.stop() };
}

/** TEMPORAL_ADDRESS when set; otherwise starts the Temporal CLI dev server with its state in DATA_DIR. */
export async function provideTemporal(
  config: Config,
  logger: Logger,
  opts: { codecEndpoint?: string } = {},
): Promise<Service<{ address: string; uiUrl?: string }>> {
  if (config.TEMPORAL_ADDRESS) return { value: { address: temporalAddress(config) }, stop: async () => undefined };
  const server = await startTemporalDevServer({
    port: config.TEMPORAL_DEV_PORT,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFile: path.join(config.dataDir, 'temporal', 'orderly.db'),
    namespace: config.TEMPORAL_NAMESPACE,
    dataDir: config.dataDir,
    cliPath: config.TEMPORAL_CLI_PATH,
    logger,
    ...(opts.codecEndpoint ? { codecEndpoint: opts.codecEndpoint } : {}),
  });
  return { value: { address: server.address, ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}) }, stop: () => server.stop() };
}
