import { sql, Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from '../config/logger.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

// bigint columns hold fen and counters, all well inside 2^53: read them as numbers, not strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${v} is beyond 2^53`);
  return n;
});

export type Db = Kysely<Database>;

/**
 * A pool of `poolSize` connections. `applicationName` names its sessions in `pg_stat_activity` (orderly-api,
 * orderly-worker, ...), so a DBA sees which process a session belongs to.
 */
export function createDb(connectionString: string, poolSize = 10, applicationName = 'orderly'): Db {
  // Idle connections stay open: opening one (a PostgreSQL process, authentication, cold caches) costs tens of
  // milliseconds, which a burst of pushes would otherwise pay just when it can least afford it.
  const pool = new pg.Pool({ connectionString, max: poolSize, connectionTimeoutMillis: 5000, idleTimeoutMillis: 0, application_name: applicationName });
  // A dropped connection (server restart or shutdown) must not crash the process. Idle clients report to the
  // pool; a checked-out client between queries (say in a transaction waiting on Temporal) reports on itself,
  // and its next query fails, which the caller handles.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** One round trip to PostgreSQL: throws when it does not answer. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** Opens `n` of the pool's connections now (they stay open), so the first burst finds them ready. */
export async function warmPool(db: Db, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => pingDatabase(db)));
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Runs pending migrations; fails loudly with the migration that broke. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the migrator works on an untyped schema
export async function migrateToLatest(db: Kysely<any>, logger?: Logger): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableName: 'orderly_migrations', migrationLockTableName: 'orderly_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const applied: string[] = [];
  for (const r of results ?? []) {
    if (r.status === 'Success') applied.push(r.migrationName);
    if (r.status === 'Error') logger?.error({ migration: r.migrationName }, 'migration failed');
  }
  if (error) throw new MigrationError(`database migration failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, { cause: error });
  if (applied.length) logger?.info({ applied }, 'migrations applied');
  return applied;
}
