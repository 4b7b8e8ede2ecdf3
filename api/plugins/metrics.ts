import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { connectors } from '../../channels/index.js';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../config/logger.js';
import type { Db } from '../../db/database.js';
import { IN_PROGRESS_STATUSES, ORDER_STAGES, readOpsFigures, type OpsFigures } from '../../db/metrics.repository.js';
import { EXCEPTION_TYPES } from '../../domain/exceptions/model.js';
import { PLATFORMS, type Platform } from '../../domain/order.js';
import { ORDER_STATUSES } from '../../domain/order-status.js';

// Every metric `GET /metrics` reports, in Prometheus text format. Two kinds:
// - counted in this process as requests pass (ingest by platform and outcome, and its handling time): each API
//   process counts its own, and Prometheus adds them up;
// - read from PostgreSQL at scrape time (collect() callbacks sharing one read per scrape; db/metrics.repository.ts):
//   orders per status, the inbox backlog, open exceptions, write-backs, pulls, stage durations. Every API process
//   reports the same figures for these, so take one process's (max or avg), not their sum.
// The worker's metrics (Temporal SDK, `temporal_*`, and `orderly_reservation_conflicts_total`) are served by the
// worker itself at WORKER_METRICS_ADDRESS (workers/runtime.ts), in `npm start` too: see the README's "Operations".

const PREFIX = 'orderly_';
const QUANTILES = [0.5, 0.9, 0.99] as const;

/** How an ingest request ended, by its HTTP status. */
export type IngestOutcome = 'accepted' | 'invalid' | 'unauthorized' | 'forbidden' | 'not_found' | 'too_large' | 'rate_limited' | 'retry' | 'error' | 'other';
export type IngestSource = 'webhook' | 'api';

export function ingestOutcome(statusCode: number): IngestOutcome {
  if (statusCode >= 200 && statusCode < 300) return 'accepted';
  if (statusCode === 400) return 'invalid';
  if (statusCode === 401) return 'unauthorized';
  if (statusCode === 403) return 'forbidden';
  if (statusCode === 404) return 'not_found';
  // Refused before they were read (API_BODY_LIMIT, WEBHOOK_BODY_LIMIT) or counted (WEBHOOK_RATE_LIMIT): README, "Transport security".
  if (statusCode === 413) return 'too_large';
  if (statusCode === 429) return 'rate_limited';
  // Pushes are answered 503 when they could not be stored: the platform delivers them again.
  if (statusCode === 503) return 'retry';
  if (statusCode >= 500) return 'error';
  return 'other';
}

/** Platforms as labels: anything else a caller puts in a path or body is `unknown` (no unbounded label values). */
function platformLabel(value: unknown): Platform | 'unknown' {
  return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value) ? (value as Platform) : 'unknown';
}

let processRegistry: Registry | undefined;
/** The process's own metrics (CPU, memory, event loop, GC), once per process however many apps it builds. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: PREFIX });
  }
  return processRegistry;
}

export interface OrderlyMetrics {
  /** Orderly's own metrics of this app (the process metrics are added at exposition). */
  readonly registry: Registry;
  /** `outcome`, when given, says how it ended where the status does not (a parked push answered success). */
  recordIngest(platform: unknown, source: IngestSource, statusCode: number, seconds: number, outcome?: IngestOutcome): void;
  /** The text `GET /metrics` answers. */
  exposition(): Promise<string>;
  readonly contentType: string;
}

/** Builds the metrics of one app: its registry, the ingest instruments and the PostgreSQL-backed gauges. */
export function createMetrics(deps: { db: Db; config: Config; logger: Logger }): OrderlyMetrics {
  const { db, config, logger } = deps;
  const registry = new Registry();
  const registers = [registry];

  // Ingest, counted in this process ---------------------------------------------------------------------------
  const ingestLabels = ['platform', 'source', 'outcome'] as const;
  const ingestRequests = new Counter({
    name: `${PREFIX}ingest_requests_total`,
    help: 'Order ingest requests handled by this process: platform pushes (source webhook) and canonical orders (source api, POST /v1/orders), by platform and outcome (accepted, invalid, unauthorized, forbidden, not_found, too_large, rate_limited, retry, error, other)',
    labelNames: ingestLabels,
    registers,
  });
  const ingestDuration = new Histogram({
    name: `${PREFIX}ingest_duration_seconds`,
    help: 'Time from receipt to answer of an order ingest request in this process (verify, store in the inbox, acknowledge), by platform, source and outcome',
    labelNames: ingestLabels,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  // Series that exist from the start, so that a rate over them is 0 rather than absent.
  for (const p of PLATFORMS) {
    if (p !== 'manual' && connectors[p].verifyPush) ingestRequests.inc({ platform: p, source: 'webhook', outcome: 'accepted' }, 0);
    ingestRequests.inc({ platform: p, source: 'api', outcome: 'accepted' }, 0);
  }

  // Read from PostgreSQL at scrape time -----------------------------------------------------------------------
  let inFlight: Promise<OpsFigures | null> | undefined;
  let lastReadSeconds = 0;
  const deadlineMs = config.METRICS_QUERY_TIMEOUT * 2 + 1000;
  const readFigures = async (): Promise<OpsFigures | null> => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
      });
      return await Promise.race([readOpsFigures(db, { windowMs: config.METRICS_WINDOW, timeoutMs: config.METRICS_QUERY_TIMEOUT }), deadline]);
    } catch (e) {
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'metrics: figures not read from PostgreSQL; reported without them');
      return null;
    } finally {
      clearTimeout(timer);
      lastReadSeconds = (performance.now() - started) / 1000;
    }
  };
  /**
   * One read serves every collect() of a scrape (prom-client starts them all at once) and any scrape arriving
   * while it runs; once it has answered, the next scrape reads afresh.
   */
  const figures = (): Promise<OpsFigures | null> => {
    if (!inFlight) {
      const read = readFigures();
      inFlight = read;
      void read.finally(() => {
        if (inFlight === read) inFlight = undefined;
      });
    }
    return inFlight;
  };

  /** A gauge filled from the scrape's figures; with none (PostgreSQL failed) it reports no samples. */
  function dbGauge<L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, f: OpsFigures) => void): Gauge<L> {
    return new Gauge<L>({
      name: `${PREFIX}${name}`,
      help,
      labelNames,
      registers,
      async collect() {
        const f = await figures();
        this.reset();
        if (f) fill(this, f);
      },
    });
  }
  const zeros = <L extends string>(g: Gauge<L>, label: L, values: readonly string[]) => {
    for (const v of values) g.set({ [label]: v } as Partial<Record<L, string>>, 0);
  };
  const channelPlatforms = PLATFORMS.filter((p) => p !== 'manual');

  dbGauge('orders', 'Orders now in each status that is not finished (read model in PostgreSQL); finished ones: orderly_orders_recent', ['status'], (g, f) => {
    zeros(g, 'status', IN_PROGRESS_STATUSES);
    for (const r of f.ordersInProgress) g.set({ status: r.status }, r.orders);
  });
  dbGauge('orders_recent', 'Orders stored within the recent window (METRICS_WINDOW, default 1 h), by their status now', ['status'], (g, f) => {
    zeros(g, 'status', ORDER_STATUSES);
    for (const r of f.ordersRecent) g.set({ status: r.status }, r.orders);
  });
  dbGauge('inbox_backlog', 'Inbox events stored and not yet delivered to their order workflows, by platform', ['platform'], (g, f) => {
    zeros(g, 'platform', PLATFORMS);
    for (const r of f.inbox) g.set({ platform: r.platform }, r.events);
  });
  dbGauge('inbox_backlog_oldest_seconds', 'Age of the oldest inbox event not yet delivered, by platform (0 when none waits)', ['platform'], (g, f) => {
    zeros(g, 'platform', PLATFORMS);
    for (const r of f.inbox) g.set({ platform: r.platform }, r.oldestSeconds);
  });
  dbGauge('exceptions_open', 'Open exceptions by type', ['type'], (g, f) => {
    zeros(g, 'type', EXCEPTION_TYPES);
    for (const r of f.exceptions) g.set({ type: r.type }, r.open);
  });
  dbGauge('exceptions_overdue', 'Open exceptions past their due time, by type', ['type'], (g, f) => {
    zeros(g, 'type', EXCEPTION_TYPES);
    for (const r of f.exceptions) g.set({ type: r.type }, r.overdue);
  });
  dbGauge('exceptions_open_oldest_seconds', 'Age of the oldest open exception, by type (0 when none is open)', ['type'], (g, f) => {
    zeros(g, 'type', EXCEPTION_TYPES);
    for (const r of f.exceptions) g.set({ type: r.type }, r.ageSeconds?.max ?? 0);
  });
  dbGauge('exceptions_open_age_seconds', 'Age of open exceptions by type: quantiles 0.5, 0.9 and 0.99 (types with open exceptions only)', ['type', 'quantile'], (g, f) => {
    for (const r of f.exceptions) {
      if (!r.ageSeconds) continue;
      g.set({ type: r.type, quantile: '0.5' }, r.ageSeconds.p50);
      g.set({ type: r.type, quantile: '0.9' }, r.ageSeconds.p90);
      g.set({ type: r.type, quantile: '0.99' }, r.ageSeconds.p99);
    }
  });
  dbGauge('writebacks_pending', 'Shipment write-backs not yet confirmed by the platform (still being tried), by platform', ['platform'], (g, f) => {
    zeros(g, 'platform', channelPlatforms);
    for (const r of f.writebacks) if (r.status === 'pending') g.set({ platform: r.platform }, r.writebacks);
  });
  dbGauge('writebacks_failing', 'Pending shipment write-backs whose last attempt failed (the platform errored; retried), by platform', ['platform'], (g, f) => {
    zeros(g, 'platform', channelPlatforms);
    for (const r of f.writebacks) if (r.status === 'pending') g.set({ platform: r.platform }, r.failedAttempts);
  });
  dbGauge('writebacks_rejected', 'Shipment write-backs the platform refused or Orderly could not send (given up; each has an exception), by platform', ['platform'], (g, f) => {
    zeros(g, 'platform', channelPlatforms);
    for (const r of f.writebacks) if (r.status === 'rejected') g.set({ platform: r.platform }, r.writebacks);
  });
  dbGauge('writebacks_pending_oldest_seconds', 'Age of the oldest pending shipment write-back, by platform (0 when none)', ['platform'], (g, f) => {
    zeros(g, 'platform', channelPlatforms);
    for (const r of f.writebacks) if (r.status === 'pending') g.set({ platform: r.platform }, r.oldestSeconds);
  });
  new Counter({
    name: `${PREFIX}pull_orders_seen_total`,
    help: 'Orders read by pull sync runs since each shop first pulled, by platform (every shop, from PostgreSQL)',
    labelNames: ['platform'],
    registers,
    async collect() {
      const f = await figures();
      this.reset();
      if (f) for (const r of f.pulls) this.inc({ platform: r.platform }, r.ordersSeen);
    },
  });
  dbGauge('pull_shops', 'Active shops that pull (sync mode pull or both) and have pulled, by platform', ['platform'], (g, f) => {
    for (const r of f.pulls) g.set({ platform: r.platform }, r.shops);
  });
  dbGauge('pull_failing_shops', 'Active pulling shops whose last pull run failed, by platform', ['platform'], (g, f) => {
    for (const r of f.pulls) g.set({ platform: r.platform }, r.failingShops);
  });
  dbGauge('pull_cursor_lag_seconds', "How far the furthest-behind active pulling shop's cursor is from now, by platform (interval + lag when healthy)", ['platform'], (g, f) => {
    for (const r of f.pulls) if (r.cursorLagSeconds !== null) g.set({ platform: r.platform }, r.cursorLagSeconds);
  });
  dbGauge(
    'order_stage_seconds',
    `Time orders took through each stage (${ORDER_STAGES.map((s) => s.stage).join(', ')}), from their timelines, over the stages finished within the recent window (METRICS_WINDOW): quantiles 0.5, 0.9, 0.99`,
    ['stage', 'quantile'],
    (g, f) => {
      for (const s of f.stages) {
        for (const q of QUANTILES) g.set({ stage: s.stage, quantile: String(q) }, q === 0.5 ? s.p50 : q === 0.9 ? s.p90 : s.p99);
      }
    },
  );
  dbGauge('order_stage_samples', 'Orders that finished each stage within the recent window (METRICS_WINDOW): the samples of orderly_order_stage_seconds', ['stage'], (g, f) => {
    zeros(g, 'stage', ORDER_STAGES.map((s) => s.stage));
    for (const s of f.stages) g.set({ stage: s.stage }, s.samples);
  });
  new Gauge({
    name: `${PREFIX}metrics_database_up`,
    help: '1 when this scrape read its figures from PostgreSQL in time (METRICS_QUERY_TIMEOUT), 0 when they are missing from it',
    registers,
    async collect() {
      this.set((await figures()) ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}metrics_database_seconds`,
    help: "How long the latest read of this scrape's figures from PostgreSQL took",
    registers,
    async collect() {
      await figures();
      this.set(lastReadSeconds);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    recordIngest(platform, source, statusCode, seconds, outcome) {
      const labels = { platform: platformLabel(platform), source, outcome: outcome ?? ingestOutcome(statusCode) };
      ingestRequests.inc(labels);
      ingestDuration.observe(labels, seconds);
    },
    exposition: () => Registry.merge([processMetrics(), registry]).metrics(),
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: OrderlyMetrics;
  }
  interface FastifyRequest {
    /**
     * How an ingest request ended where its status does not say: a push parked as unprocessable is answered with
     * the platform's success (so it is not redelivered) and counted `invalid`.
     */
    ingestOutcome: IngestOutcome | null;
  }
}

/** The routes whose requests are order ingest, and where each finds its platform. */
const INGEST_ROUTES: Readonly<Record<string, { source: IngestSource; platform: (req: FastifyRequest) => unknown }>> = {
  'POST /webhooks/:platform/:shopId': { source: 'webhook', platform: (req) => (req.params as { platform?: unknown } | undefined)?.platform },
  'POST /v1/orders': { source: 'api', platform: (req) => (req.body as { platform?: unknown } | undefined)?.platform },
};

/**
 * Decorates the app with its metrics, times every ingest request, and serves `GET /metrics`. Registered before
 * the routes, so that its hook sees theirs; who may read `/metrics` is api/plugins/access.ts's (METRICS_PUBLIC).
 */
export const metricsPlugin = fp(
  async (app) => {
    const metrics = createMetrics(app.services);
    app.decorate('metrics', metrics);
    app.decorateRequest('ingestOutcome', null);

    app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
      const route = INGEST_ROUTES[`${req.method} ${req.routeOptions.url ?? ''}`];
      if (route) metrics.recordIngest(route.platform(req), route.source, reply.statusCode, reply.elapsedTime / 1000, req.ingestOutcome ?? undefined);
    });

    app.get(
      '/metrics',
      { schema: { tags: ['health'], summary: 'Prometheus metrics (text format): ingest, orders, inbox, exceptions, write-backs, pulls, stage durations, process' } },
      async (_req, reply) => reply.type(metrics.contentType).send(await metrics.exposition()),
    );
  },
  { name: 'orderly-metrics', dependencies: ['orderly-services'] },
);
