// `npm start`: the whole of Orderly in one process on a laptop — PostgreSQL (embedded unless DATABASE_URL),
// Temporal (the CLI dev server unless TEMPORAL_ADDRESS), migrations, demo data, the worker and the API.
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { onShutdown } from '../config/main.js';
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

try {
  logger.info('starting Orderly: PostgreSQL, Temporal, worker, API');
  const [database, temporal] = await Promise.all([provideDatabase(config, logger), provideTemporal(config, logger)]);
  stops.push(database.stop, temporal.stop);

  const db = createDb(database.value, config.DATABASE_POOL_SIZE);
  stops.push(() => db.destroy());
  await migrateToLatest(db, logger);
  if (config.SEED_DEMO) await seedDemoData(db);

  const worker = await startWorker(config, logger, db, { temporalAddress: temporal.value.address, databaseUrl: database.value });
  stops.push(() => worker.stop());
  const api = await startApi(config, logger, db, { temporalAddress: temporal.value.address, databaseUrl: database.value });
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
    '',
    '  Try:  curl -s -X POST localhost:' + String(config.PORT) + '/v1/orders -H content-type:application/json -d @tests/fixtures/demo-order.json',
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
