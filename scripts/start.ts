// `npm start`: the whole of Orderly in one process on a laptop — PostgreSQL (embedded unless DATABASE_URL),
// Temporal (the CLI dev server unless TEMPORAL_ADDRESS), migrations, demo data, the worker and the API.
import fs from 'node:fs';
import path from 'node:path';
import { generateApiKey } from '../api/plugins/api-keys.js';
import { loadConfig } from '../config/config.js';
import { fieldCipherFor } from '../config/field-cipher.js';
import { createLogger } from '../config/logger.js';
import { onShutdown } from '../config/main.js';
import { apiScheme } from '../config/tls.js';
import { sealBuyerDataAtRest } from '../db/buyer-data-at-rest.repository.js';
import { createDb, migrateToLatest } from '../db/database.js';
import { seedDemoData } from '../db/seed.js';
import { startApi } from '../api/server.js';
import { startWorker } from '../workers/main.js';
import { provideDatabase, provideTemporal } from './stack/stack.js';

const started = performance.now();
const config = loadConfig(process.env, { SEED_DEMO: process.env.SEED_DEMO ?? 'true' });
const logger = createLogger(config);
const stops: (() => Promise<void>)[] = [];
const stopAll = async () => {
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (e) {
      logger.warn({ err: e }, 'error while stopping');
    }
  }
};
onShutdown(logger, stopAll);

/**
 * The laptop's admin key: ORDERLY_ADMIN_KEY, else the one kept in DATA_DIR/demo-admin-key (mode 0600, beside
 * the database it opens), made on the first start, so that every start can print it for the README's curl lines.
 */
function demoAdminKey(): string {
  if (config.ORDERLY_ADMIN_KEY) return config.ORDERLY_ADMIN_KEY;
  const file = path.join(config.dataDir, 'demo-admin-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const key = generateApiKey();
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

try {
  logger.info('starting Orderly: PostgreSQL, Temporal, worker, API');
  // The dev server's UI decrypts payloads through the API's codec endpoint (config/payload-codec.ts).
  const apiHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const codecEndpoint = `${apiScheme(config)}://${apiHost}:${config.PORT}/codec`;
  const [database, temporal] = await Promise.all([provideDatabase(config, logger), provideTemporal(config, logger, { codecEndpoint })]);
  stops.push(database.stop, temporal.stop);

  const db = createDb(database.value, config.DATABASE_POOL_SIZE);
  stops.push(() => db.destroy());
  await migrateToLatest(db, logger);
  // Rows from before buyer data was sealed at rest: sealed once, with this process's keys.
  const sealed = await sealBuyerDataAtRest(db, fieldCipherFor(config, logger));
  if (!sealed.skipped) logger.info({ sealed }, 'buyer data of existing rows sealed at rest');
  if (config.SEED_DEMO) await seedDemoData(db);

  const worker = await startWorker(config, logger, db, { temporalAddress: temporal.value.address, databaseUrl: database.value });
  stops.push(() => worker.stop());
  const adminKey = demoAdminKey();
  const api = await startApi(config, logger, db, { temporalAddress: temporal.value.address, databaseUrl: database.value, adminKey });
  const keyUsable = api.firstKey.outcome === 'created' || api.firstKey.configured === 'active';
  stops.push(() => api.close());

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const uiUrl = temporal.value.uiUrl;
  const lines = [
    '',
    `  Orderly is ready (${seconds} s)`,
    `  API          ${api.url}`,
    `  API docs     ${api.url}/docs`,
    `  Temporal UI  ${uiUrl ?? `(external cluster at ${temporal.value.address})`}`,
    `  PostgreSQL   ${config.DATABASE_URL ? 'DATABASE_URL' : `embedded, data in ${config.dataDir}/pg (port ${config.EMBEDDED_PG_PORT})`}`,
    `  Metrics      ${api.url}/metrics (API)${worker.metricsUrl ? `, ${worker.metricsUrl} (worker: temporal_*)` : ''}`,
    keyUsable
      ? `  API key      export ORDERLY_KEY=${adminKey}   (admin${config.ORDERLY_ADMIN_KEY ? ', ORDERLY_ADMIN_KEY' : `, kept in ${path.relative(process.cwd(), path.join(config.dataDir, 'demo-admin-key'))}`})`
      : `  API key      the demo key is not (or no longer) a valid key of this database: use one made with POST /v1/api-keys`,
    '',
    '  Try:  curl -s -X POST localhost:' + String(config.PORT) + '/v1/orders -H "Authorization: Bearer $ORDERLY_KEY" -H content-type:application/json -d @tests/fixtures/demo-order.json',
    '  Stop: Ctrl-C',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  worker.done.catch((e: unknown) => {
    logger.fatal({ err: e }, 'worker stopped unexpectedly');
    void stopAll().finally(() => process.exit(1));
  });
} catch (e) {
  logger.fatal({ err: e }, e instanceof Error ? e.message : 'start-up failed');
  await stopAll();
  process.exit(1);
}
