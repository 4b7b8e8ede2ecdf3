import type { Config } from './config.js';

/** The database of the embedded PostgreSQL `npm start` runs. */
export const EMBEDDED_DB_NAME = 'orderly';

/** The URL of the embedded PostgreSQL `npm start` runs, for parts started alone (`npm run api`). */
export function embeddedDatabaseUrl(config: Config): string {
  return `postgres://postgres:orderly@127.0.0.1:${config.EMBEDDED_PG_PORT}/${EMBEDDED_DB_NAME}`;
}

/** DATABASE_URL, or the embedded PostgreSQL's. */
export function databaseUrl(config: Config): string {
  return config.DATABASE_URL ?? embeddedDatabaseUrl(config);
}
