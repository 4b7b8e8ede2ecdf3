import type { Logger } from '../../config/logger.js';
import type { Db } from '../../db/database.js';
import { lockUndispatched, markDispatchFailed } from '../../db/inbox.repository.js';
import type { Dispatcher } from './dispatcher.js';
import { deliverInboxRow, type InboxResolver } from './ingest.js';

export interface RelayDeps {
  db: Db;
  dispatcher: Dispatcher;
  logger: Logger;
  /** Resolves payloads that still need the platform's detail (webhook pushes); without it they wait. */
  resolve?: InboxResolver | undefined;
}

export interface RelayResult {
  dispatched: number;
  failed: number;
}

/**
 * Delivers inbox events that never reached Temporal (it was down, or the process died between the commit
 * and the dispatch). Safe to run anywhere and often: workflows drop event ids they have already applied.
 */
export async function relayOnce(deps: RelayDeps, opts: { minAgeMs: number; limit?: number }): Promise<RelayResult> {
  return deps.db.transaction().execute(async (tx) => {
    const rows = await lockUndispatched(tx, opts.minAgeMs, opts.limit ?? 200);
    let dispatched = 0;
    let failed = 0;
    for (const row of rows) {
      try {
        const outcome = await deliverInboxRow(deps, tx, row);
        if (outcome !== 'unresolved') dispatched++;
      } catch (e) {
        failed++;
        await markDispatchFailed(tx, row.id, e instanceof Error ? e.message : String(e));
        // Temporal is most likely still down: stop this round instead of timing out on every row.
        break;
      }
    }
    if (dispatched || failed) deps.logger.info({ dispatched, failed, pending: rows.length - dispatched }, 'inbox relay round');
    return { dispatched, failed };
  });
}

/** Runs the relay every `intervalMs` until stopped. */
export function startRelay(deps: RelayDeps, opts: { intervalMs: number; minAgeMs: number }): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped) return;
    running = running
      .then(() => relayOnce(deps, { minAgeMs: opts.minAgeMs }))
      .catch((e: unknown) => deps.logger.warn({ err: e }, 'inbox relay round failed'));
  }, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
