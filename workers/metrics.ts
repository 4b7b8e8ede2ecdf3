import type { Context as ActivityContext } from '@temporalio/activity';
import type { ActivityInterceptors } from '@temporalio/worker';
import type { createActivities } from '../activities/index.js';
import type { ReserveResult } from '../db/reservations.repository.js';

// The metrics Orderly adds to the worker's own (the Temporal SDK's `temporal_*`), through the SDK's metric
// meter: they are served with the SDK's at WORKER_METRICS_ADDRESS (workers/runtime.ts). What the worker does is
// counted here, where it happens; what PostgreSQL holds, the API's `/metrics` reads (api/plugins/metrics.ts).

export const RESERVATION_CONFLICTS = {
  name: 'orderly_reservation_conflicts_total',
  unit: 'reservations',
  help: 'Stock reservations refused because other orders took the stock between planning and reserving (the order plans again), by task queue',
} as const;

const RESERVE_STOCK: keyof ReturnType<typeof createActivities> = 'reserveStock';

function isRefused(result: unknown): result is Extract<ReserveResult, { ok: false }> {
  return typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === false;
}

/**
 * Counts refused reservations (`reserveStock` answering `ok: false`). An interceptor rather than a line in the
 * activity: the activity stays free of telemetry and runs unchanged where no worker hosts it (tests call it
 * directly).
 */
export function workerMetricsInterceptor(ctx: ActivityContext): ActivityInterceptors {
  if (ctx.info.activityType !== RESERVE_STOCK) return {};
  return {
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        if (isRefused(result)) {
          ctx.metricMeter.createCounter(RESERVATION_CONFLICTS.name, RESERVATION_CONFLICTS.unit, RESERVATION_CONFLICTS.help).add(1);
        }
        return result;
      },
    },
  };
}
