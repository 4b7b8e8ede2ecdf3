import pg from 'pg';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { masterKeyFrom } from '../channels/credentials.js';
import type { Config } from '../config/config.js';
import { fieldCipherFor } from '../config/field-cipher.js';
import type { Logger } from '../config/logger.js';
import type { Db } from '../db/database.js';
import { claimUndispatched, markDispatchFailed, releaseClaims, type ClaimedRow } from '../db/inbox.repository.js';
import type { FieldCipher } from '../domain/buyer-data.js';
import { createShopAccessCache } from './shop-access.js';
import { createDetailResolver } from './detail-resolver.js';
import { createDispatcher, type Dispatcher } from './dispatcher.js';
import { INBOX_CHANNEL } from './notify.js';
import { DetailReadError, deliverInboxRow, type InboxResolver } from './ingest.js';

export interface RelayDeps {
  db: Db;
  dispatcher: Dispatcher;
  logger: Logger;
  /** Resolves payloads that still need the platform's detail (webhook pushes); without it they wait. */
  resolve?: InboxResolver | undefined;
  /** Opens the stored payloads, seals what delivery stores (config/field-cipher.ts). */
  cipher: FieldCipher;
}

export interface RelayResult {
  dispatched: number;
  failed: number;
}

const DEFAULT_LEASE_MS = 30_000;

/** A row whose order detail cannot be read waits longer after each failure: 2 s, 4 s, ... up to 5 minutes. */
function detailRetryDelayMs(attempts: number): number {
  return Math.min(300_000, 2_000 * 2 ** Math.min(attempts, 10));
}

type RowOutcome = 'dispatched' | 'unresolved' | 'detail_failed' | 'dispatch_failed';

/**
 * Delivers one claimed row. A platform that cannot give the order detail only delays this row (with
 * backoff); a failed hand-over to Temporal gives the row back at once and tells the caller to pause.
 */
async function deliverClaimed(deps: RelayDeps, row: ClaimedRow): Promise<RowOutcome> {
  try {
    const outcome = await deliverInboxRow(deps, row);
    return outcome === 'unresolved' ? 'unresolved' : 'dispatched';
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const detail = e instanceof DetailReadError;
    await markDispatchFailed(deps.db, row.id, message, detail ? detailRetryDelayMs(row.dispatch_attempts) : 0).catch(() => undefined);
    deps.logger.warn({ orderId: row.order_id, workflowId: row.order_id, messageId: row.message_id, err: message }, detail ? 'order detail unavailable; retrying later' : 'delivery to Temporal failed');
    return detail ? 'detail_failed' : 'dispatch_failed';
  }
}

/** Rows grouped by order, each group in inbox order: one order's events are delivered one after another. */
function byOrder(rows: ClaimedRow[]): ClaimedRow[][] {
  const groups = new Map<string, ClaimedRow[]>();
  for (const r of rows) {
    const key = r.order_id ?? r.id;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()];
}

/**
 * Delivers one order's claimed rows in inbox order until one is not delivered (a later event must not overtake
 * it) or `halted` says stop; the rows not tried are given back.
 */
async function deliverGroup(deps: RelayDeps, group: ClaimedRow[], halted: () => boolean, seen: (outcome: RowOutcome) => void): Promise<void> {
  let next = 0;
  while (next < group.length && !halted()) {
    const outcome = await deliverClaimed(deps, group[next++]!);
    seen(outcome);
    if (outcome !== 'dispatched') break;
  }
  if (next < group.length) await releaseClaims(deps.db, group.slice(next).map((r) => r.id)).catch(() => undefined);
}

/**
 * One round: claims up to `limit` undispatched rows and delivers them, `concurrency` orders at a time. Stops
 * starting new rows once Temporal fails (they are given back). Safe to run anywhere and as often as wanted:
 * claims keep relays (and the requests delivering their own rows) apart, and workflows drop event ids they
 * have already applied.
 */
export async function relayOnce(deps: RelayDeps, opts: { limit?: number; concurrency?: number; leaseMs?: number } = {}): Promise<RelayResult> {
  const rows = await claimUndispatched(deps.db, opts.limit ?? 200, opts.leaseMs ?? DEFAULT_LEASE_MS);
  const groups = byOrder(rows);
  const result: RelayResult = { dispatched: 0, failed: 0 };
  let temporalDown = false;
  const seen = (outcome: RowOutcome) => {
    if (outcome === 'dispatched') result.dispatched++;
    else if (outcome !== 'unresolved') result.failed++;
    if (outcome === 'dispatch_failed') temporalDown = true;
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency ?? 16, groups.length) }, async () => {
      while (next < groups.length) await deliverGroup(deps, groups[next++]!, () => temporalDown, seen);
    }),
  );
  if (result.dispatched || result.failed) deps.logger.info({ ...result, claimed: rows.length }, 'inbox relay round');
  return result;
}

export interface RelayOptions {
  /** Orders delivered at a time. */
  concurrency: number;
  /** How often to look without a notification, and the pause after Temporal failed. */
  intervalMs: number;
  /** Connection string to LISTEN on for new inbox rows (delivered within milliseconds); without it, polls. */
  listenUrl?: string | undefined;
  leaseMs?: number;
  /**
   * Asked before each claim: false holds new deliveries back (the inbox keeps them) for `admitWaitMs`, deliveries
   * under way go on. The worker's relay asks whether the orders' workflow task backlog is under RELAY_MAX_BACKLOG.
   */
  admit?: (() => Promise<boolean>) | undefined;
  admitWaitMs?: number;
}

export interface RunningRelay {
  stop(): Promise<void>;
  /** Rows being delivered right now. */
  readonly active: number;
}

/**
 * Runs the relay until stopped: woken by PostgreSQL notifications on new inbox rows (and every `intervalMs`
 * in case one is missed), it claims what is undispatched and keeps up to `concurrency` orders in delivery.
 * After Temporal fails it waits `intervalMs` before trying again, whatever arrives meanwhile.
 */
export function startRelay(deps: RelayDeps, opts: RelayOptions): RunningRelay {
  const log = deps.logger;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  let stopped = false;
  let wanted = true;
  let active = 0;
  let pausedUntil = 0;
  // Admission holds claims back only; unlike a pause after a failure, it lets deliveries under way finish.
  let heldUntil = 0;
  let kick: (() => void) | undefined;
  const wake = () => {
    wanted = true;
    kick?.();
  };
  const nudge = () => kick?.();

  const halted = () => stopped || Date.now() < pausedUntil;
  const seen = (outcome: RowOutcome) => {
    if (outcome === 'dispatch_failed') pausedUntil = Date.now() + opts.intervalMs;
  };

  const waiting: ClaimedRow[][] = [];
  const startWaiting = () => {
    while (active < opts.concurrency && waiting.length) {
      const g = waiting.shift()!;
      active += 1;
      void deliverGroup(deps, g, halted, seen).finally(() => {
        active -= 1;
        nudge();
      });
    }
  };

  const loop = (async () => {
    while (!stopped) {
      startWaiting();
      const room = opts.concurrency - active;
      if (wanted && room > 0 && Date.now() >= pausedUntil && Date.now() >= heldUntil && opts.admit && !(await opts.admit().catch(() => true))) {
        heldUntil = Date.now() + (opts.admitWaitMs ?? 500);
      }
      if (wanted && room > 0 && Date.now() >= pausedUntil && Date.now() >= heldUntil) {
        wanted = false;
        // Claims a little more than there is room for: the next orders are ready when a slot frees up.
        const limit = room * 4;
        let rows: ClaimedRow[] = [];
        try {
          rows = await claimUndispatched(deps.db, limit, leaseMs);
        } catch (e) {
          log.warn({ err: e }, 'inbox relay could not read the inbox');
          pausedUntil = Date.now() + opts.intervalMs;
        }
        if (rows.length === limit) wanted = true;
        const groups = byOrder(rows);
        // More groups than room: the surplus waits in this queue (claimed) for free slots.
        waiting.push(...groups);
        startWaiting();
      }
      if (stopped) break;
      const resumeAt = Math.max(pausedUntil, heldUntil);
      if (wanted && active < opts.concurrency && Date.now() >= resumeAt) continue;
      await new Promise<void>((resolve) => {
        const delay = Date.now() < resumeAt ? resumeAt - Date.now() : opts.intervalMs;
        const timer = setTimeout(() => {
          kick = undefined;
          wanted = true;
          resolve();
        }, delay);
        kick = () => {
          clearTimeout(timer);
          kick = undefined;
          resolve();
        };
      });
    }
  })();

  const listener = opts.listenUrl ? listen(opts.listenUrl, wake, log, () => stopped) : undefined;

  return {
    get active() {
      return active;
    },
    async stop() {
      stopped = true;
      kick?.();
      await loop;
      await listener?.close();
      while (active > 0) await new Promise((r) => setTimeout(r, 20));
      if (waiting.length) await releaseClaims(deps.db, waiting.flat().map((r) => r.id)).catch(() => undefined);
    },
  };
}

/** LISTEN on the inbox channel with its own connection, reconnecting (and waking the relay) after a loss. */
function listen(url: string, onNotify: () => void, log: Logger, isStopped: () => boolean): { close(): Promise<void> } {
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (attempt: number) => {
    const c = new pg.Client({ connectionString: url, application_name: 'orderly-relay' });
    c.on('notification', onNotify);
    // A lost connection may say so with 'error', 'end' or both: reconnect once.
    let lost = false;
    const onLost = (why: string) => {
      if (lost || isStopped() || client !== c) return;
      lost = true;
      log.warn({ err: why }, 'inbox notifications lost; reconnecting');
      void c.end().catch(() => undefined);
      schedule(1);
    };
    c.on('error', (e) => onLost(e.message));
    c.on('end', () => onLost('connection ended'));
    try {
      await c.connect();
      await c.query(`LISTEN ${INBOX_CHANNEL}`);
      if (isStopped()) {
        await c.end();
        return;
      }
      client = c;
      // Whatever arrived while not listening.
      onNotify();
    } catch (e) {
      await c.end().catch(() => undefined);
      log.warn({ err: e instanceof Error ? e.message : String(e), attempt }, 'cannot listen for inbox notifications; polling meanwhile');
      schedule(attempt + 1);
    }
  };
  const schedule = (attempt: number) => {
    client = undefined;
    if (isStopped()) return;
    retry = setTimeout(() => void connect(attempt), Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)));
    retry.unref();
  };
  void connect(0);
  return {
    async close() {
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}

/**
 * The relay as a process runs it (the worker's by default, INBOX_RELAY), configured from `config` and woken by
 * notifications on `databaseUrl`. A process that already has a dispatcher or a shop-credentials cache (the
 * API's, which credential changes invalidate) passes its own.
 */
export function startInboxRelay(opts: {
  config: Config;
  db: Db;
  logger: Logger;
  client: Client;
  databaseUrl: string;
  dispatcher?: Dispatcher;
  shops?: ReturnType<typeof createShopAccessCache>;
}): RunningRelay {
  const { config, db } = opts;
  const dispatcher = opts.dispatcher ?? createDispatcher({ client: opts.client, taskQueue: config.TEMPORAL_TASK_QUEUE, paymentTimeoutMs: config.ORDER_PAYMENT_TIMEOUT });
  const resolve = createDetailResolver(opts.shops ?? createShopAccessCache(db, masterKeyFrom(config).key));
  const logger = opts.logger.child({ component: 'relay' });
  const admit = config.RELAY_MAX_BACKLOG > 0 ? backlogAdmission(opts.client, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE, config.RELAY_MAX_BACKLOG) : undefined;
  return startRelay({ db, dispatcher, logger, resolve, cipher: fieldCipherFor(config, logger) }, { concurrency: config.DELIVERY_CONCURRENCY, intervalMs: config.RELAY_INTERVAL, listenUrl: opts.databaseUrl, admit });
}

/**
 * Admission by the orders' task queue: true while fewer than `max` workflow tasks wait in it (Temporal's
 * approximate backlog count, read at most every 500 ms). A new order's first workflow task waits there, so a
 * backlog means the workers are not keeping up: starting more workflows then only makes every order in flight
 * slower (more of them in the workers' memory, more tasks in the queue), while the inbox keeps the pushes safe.
 * When Temporal cannot say, deliveries go on.
 */
export function backlogAdmission(client: Client, namespace: string, taskQueue: string, max: number): () => Promise<boolean> {
  let checkedAt = 0;
  let open = true;
  return async () => {
    if (Date.now() - checkedAt < 500) return open;
    checkedAt = Date.now();
    const r = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      reportStats: true,
    });
    open = Number(r.stats?.approximateBacklogCount ?? 0) < max;
    return open;
  };
}
