import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';
import type { Logger } from '../../config/logger.js';
import { ORDERLY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { CLI_HELP, findTemporalCli, TemporalCliNotFoundError } from './temporal-cli.js';

export interface DevServerOptions {
  port: number;
  /** Web UI port; omit for a headless server (tests). */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; omit for an in-memory server (tests). */
  dbFile?: string;
  namespace: string;
  dataDir: string;
  cliPath?: string | undefined;
  logger: Logger;
  /** UI codec endpoint (the API's /codec) so the UI can show decoded payloads. */
  codecEndpoint?: string;
  /** A lower CPU priority (1-19, through nice(1)), for a host the server shares with latency-critical processes. */
  nice?: number;
}

export interface RunningTemporal {
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

const { temporal } = proto;

const TYPE_NAME: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

const INDEXED: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.TEXT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Dynamic config the dev server starts with. Task queue priority (`priorityKey`) is on by default in the
 * server the CLI bundles (1.32), fairness (`fairnessKey`, one key per shop) is not: without this flag a
 * shop's flood of orders still queues every other shop behind it. `matching.enableFairness` implies
 * `matching.useNewMatcher` (the priority-aware matcher). Measured by bench/task-priority.bench.ts.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = ['matching.enableFairness=true'];

async function tryConnect(address: string, timeoutMs: number): Promise<Connection | undefined> {
  try {
    const conn = await Connection.connect({ address, connectTimeout: timeoutMs });
    await conn.workflowService.getSystemInfo({});
    return conn;
  } catch {
    return undefined;
  }
}

/** Waits until a Temporal frontend answers at `address`, or throws after `timeoutMs`. */
export async function waitForTemporal(address: string, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`the Temporal server process exited before it listened on ${address}`);
    const conn = await tryConnect(address, 1000);
    if (conn) {
      await conn.close();
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Temporal did not answer on ${address} within ${timeoutMs} ms`);
}

/**
 * Registers Orderly's search attributes in a namespace; already registered ones are left alone.
 * Works against the dev server and a self-hosted cluster (Temporal Cloud manages them in its console).
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly SearchAttributeKey<SearchAttributeType>[] = ORDERLY_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  const missing = keys.filter((k) => !known.has(k.name));
  if (missing.length === 0) return [];
  const searchAttributes: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {};
  for (const k of missing) searchAttributes[k.name] = INDEXED[k.type]!;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  return missing.map((k) => k.name);
}

/**
 * Starts `temporal server start-dev` (the official Temporal CLI dev server) with Orderly's search attributes.
 * A Temporal server already answering on the port (a previous run's) is reused.
 */
export async function startTemporalDevServer(opts: DevServerOptions): Promise<RunningTemporal> {
  const log = opts.logger.child({ component: 'temporal' });
  const address = `127.0.0.1:${opts.port}`;
  const uiUrl = opts.uiPort ? `http://localhost:${opts.uiPort}` : undefined;

  const existing = await tryConnect(address, 500);
  if (existing) {
    log.info({ address }, 'reusing the Temporal server already running on this port');
    await ensureSearchAttributes(existing, opts.namespace);
    await existing.close();
    return { address, ...(uiUrl ? { uiUrl } : {}), stop: async () => undefined };
  }

  const cli = findTemporalCli({ explicitPath: opts.cliPath, dataDir: opts.dataDir, logger: opts.logger });
  if (!cli) return startWithSdkDownload(opts, address, uiUrl, log);

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn', '--log-format', 'json'];
  if (opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.uiPort) {
    args.push('--ui-port', String(opts.uiPort), '--ui-disable-news-fetch');
    if (opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  } else {
    args.push('--headless');
  }
  for (const k of ORDERLY_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${k.name}=${TYPE_NAME[k.type]}`);
  for (const kv of DEV_SERVER_DYNAMIC_CONFIG) args.push('--dynamic-config-value', kv);

  log.info({ cli, port: opts.port, dbFile: opts.dbFile }, 'starting the Temporal dev server');
  // nice(1) execs the CLI: the pid, and the signals sent to it, stay the server's.
  const [cmd, cmdArgs] = opts.nice ? ['nice', ['-n', String(opts.nice), cli, ...args]] : [cli, args];
  const child: ChildProcess = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  let tail = '';
  const collect = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // If this process ends without stop() (a crash, a killed test run), the server must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.on('exit', (code, signal) => {
    exited = true;
    process.removeListener('exit', killOnExit);
    log.debug({ code, signal }, 'Temporal dev server exited');
  });
  try {
    await waitForTemporal(address, 60_000, () => !exited);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\nTemporal CLI output:\n${tail}`, { cause: e });
  }
  try {
    // `--search-attribute` registers attributes only when the data file is new: one kept from an earlier
    // release gets the attributes added since (an upsert of an unregistered attribute fails the workflow task).
    const conn = await Connection.connect({ address });
    try {
      const added = await ensureSearchAttributes(conn, opts.namespace);
      if (added.length) log.info({ added }, 'registered search attributes missing from the Temporal data file');
    } finally {
      await conn.close();
    }
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`could not register Orderly's search attributes on the dev server: ${(e as Error).message}`, { cause: e });
  }
  log.info({ address, uiUrl }, 'Temporal dev server ready');

  return {
    address,
    ...(uiUrl ? { uiUrl } : {}),
    async stop() {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Last resort where the internet is reachable: the SDK downloads the CLI itself. */
async function startWithSdkDownload(opts: DevServerOptions, address: string, uiUrl: string | undefined, log: Logger): Promise<RunningTemporal> {
  log.warn('Temporal CLI not found locally; trying the SDK download (needs internet access)');
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port: opts.port,
        ui: Boolean(opts.uiPort),
        ...(opts.uiPort ? { uiPort: opts.uiPort } : {}),
        ...(opts.dbFile ? { dbFilename: opts.dbFile } : {}),
        namespace: opts.namespace,
        searchAttributes: [...ORDERLY_SEARCH_ATTRIBUTES],
        extraArgs: DEV_SERVER_DYNAMIC_CONFIG.flatMap((kv) => ['--dynamic-config-value', kv]),
        executable: { type: 'cached-download', downloadDir: path.join(opts.dataDir, 'temporal-download') },
      },
    });
    return { address, ...(uiUrl ? { uiUrl } : {}), stop: () => env.teardown() };
  } catch (e) {
    throw new TemporalCliNotFoundError(`${CLI_HELP}\n(SDK download failed: ${(e as Error).message})`);
  }
}
