// Wakes orders waiting for stock when stock rises (an adjustment or receipt, a cancellation or an intercepted
// parcel giving its reservation back): each waiting order the new stock can serve is told, in queue order,
// with the `stockAvailable` signal, and re-plans at once. Best effort: the stock change has already happened
// and is never undone here; an order not told re-plans on its own interval.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../config/logger.js';
import type { Db } from '../db/database.js';
import { claimWaitingOrders, clearStockWaits, unclaimStockWaits } from '../db/stock-waits.repository.js';
import { stockAvailableSignal, type OrderWorkflow } from '../workflows/order.messages.js';

export interface StockWakeDeps {
  db: Db;
  client: Client;
  logger: Logger;
  /** How long a told order's share of the stock stays promised to it before it re-plans (default 2 min). */
  claimMs?: number;
  /** How long one signal may take before Temporal counts as unreachable (default 5 s). */
  timeoutMs?: number;
}

/** A stock item whose available stock just rose. */
export interface StockIncrease {
  skuCode: string;
  warehouseCode: string;
}

export interface WakeResult {
  /** Orders told, in the order they were told. */
  woken: string[];
  /** Temporal did not answer (or the database failed): the rest wait for their fallback re-plan. */
  failed: boolean;
}

/** Tells the waiting orders each increase can serve, first come first served. Never throws. */
export async function wakeStockWaiters(deps: StockWakeDeps, increases: readonly StockIncrease[], reason: string): Promise<WakeResult> {
  const log = deps.logger.child({ component: 'stock-wake' });
  const claimMs = deps.claimMs ?? 120_000;
  const timeoutMs = deps.timeoutMs ?? 5000;
  const seen = new Set<string>();
  const woken: string[] = [];
  for (const inc of increases) {
    const key = `${inc.skuCode}\u0001${inc.warehouseCode}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let picked: string[];
    try {
      picked = await claimWaitingOrders(deps.db, inc, claimMs);
    } catch (e) {
      log.warn({ err: e, ...inc }, 'could not read the orders waiting for stock; they re-plan on their own interval');
      return { woken, failed: true };
    }
    for (const [i, orderId] of picked.entries()) {
      try {
        const handle = deps.client.workflow.getHandle<OrderWorkflow>(orderId);
        await deps.client.withDeadline(Date.now() + timeoutMs, () => handle.signal(stockAvailableSignal, { ...inc, reason }));
        woken.push(orderId);
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) {
          // The order has finished: it waits for nothing any more.
          await clearStockWaits(deps.db, orderId).catch(() => 0);
          continue;
        }
        log.warn({ err: e, ...inc, orderId }, 'could not tell waiting orders that stock arrived; they re-plan on their own interval');
        await unclaimStockWaits(deps.db, inc.skuCode, picked.slice(i)).catch(() => undefined);
        return { woken, failed: true };
      }
    }
    if (picked.length) log.info({ ...inc, reason, woken: picked }, 'orders waiting for stock told it arrived');
  }
  return { woken, failed: false };
}
