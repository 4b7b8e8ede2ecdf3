// `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded PostgreSQL, started if needed),
// then the data migrations that need the key ring (buyer data sealed at rest, with PAYLOAD_KEYS).
import { loadConfig } from '../config/config.js';
import { fieldCipherFor } from '../config/field-cipher.js';
import { createLogger } from '../config/logger.js';
import { sealBuyerDataAtRest } from '../db/buyer-data-at-rest.repository.js';
import { createDb, migrateToLatest } from '../db/database.js';
import { provideDatabase } from './stack/stack.js';

const config = loadConfig();
const logger = createLogger(config);
const database = await provideDatabase(config, logger);
const db = createDb(database.value);
try {
  const applied = await migrateToLatest(db, logger);
  logger.info(applied.length ? { applied } : {}, applied.length ? 'migrated' : 'database already up to date');
  const sealed = await sealBuyerDataAtRest(db, fieldCipherFor(config, logger));
  if (!sealed.skipped) logger.info({ sealed }, 'buyer data of existing rows sealed at rest');
} finally {
  await db.destroy();
  await database.stop();
}
