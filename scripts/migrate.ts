// `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded PostgreSQL, started if needed).
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { createDb, migrateToLatest } from '../db/database.js';
import { provideDatabase } from './stack/stack.js';

const config = loadConfig();
const logger = createLogger(config);
const database = await provideDatabase(config, logger);
const db = createDb(database.value);
try {
  const applied = await migrateToLatest(db, logger);
  logger.info(applied.length ? { applied } : {}, applied.length ? 'migrated' : 'database already up to date');
} finally {
  await db.destroy();
  await database.stop();
}
