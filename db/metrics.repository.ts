import { sql } from 'kysely';
import type { Platform } from '../domain/order.js';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order-status.js';
import type { Db } from './database.js';
import { exceptionSummary, type ExceptionSummary } from './exceptions.repository.js';
import type { WritebackStatus } from './channels.schema.js';

// What `/metrics` reads from PostgreSQL at each scrape, so that every API process reports the same figures.
// Every query is bounded by an index: the working set of orders (not the finished ones), the undispatched inbox
// rows, the unsent write-backs, open exceptions, one row per pulling shop, and the timeline entries of a recent
// window. All of them run in one read-only transaction with a statement timeout.

/** Statuses an order ends in: counted over the recent window only, since they grow without bound. */
export const FINISHED_STATUSES = ['shipped', 'shipped_elsewhere', 'closed', 'cancelled'] as const satisfies readonly OrderStatus[];
/** Every other status: the working set, counted in full. */
export const IN_PROGRESS_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter((s) => !(FINISHED_STATUSES as readonly string[]).includes(s));

/**
 * The stages an order passes through, each from the timeline entry that starts it to the one that ends it
 * (the latest start before that end: a re-review or a reship measures its last round). `paid_to_shipped` is
 * the whole way. The end entries are the ones migration 2026_12_02_1200_metrics_indexes indexes.
 */
export const ORDER_STAGES = [
  { stage: 'paid_to_reviewed', from: 'status:paid', to: 'reviewed' },
  { stage: 'reviewed_to_allocated', from: 'reviewed', to: 'status:allocated' },
  { stage: 'allocated_to_released', from: 'status:allocated', to: 'status:released' },
  { stage: 'released_to_shipped', from: 'status:released', to: 'status:shipped' },
  { stage: 'paid_to_shipped', from: 'status:paid', to: 'status:shipped' },
] as const;
export type OrderStage = (typeof ORDER_STAGES)[number]['stage'];
const STAGE_ENDS = ['reviewed', 'status:allocated', 'status:released', 'status:shipped'] as const;

/** At most this many stage ends of the window are read per scrape (the newest). */
const MAX_STAGE_SAMPLES = 20_000;

export interface OpsFiguresOptions {
  /** The recent window of the stage durations and of `ordersRecent`, in ms. */
  windowMs: number;
  /** The statement timeout of each query, in ms. */
  timeoutMs: number;
}

export interface StageFigures {
  stage: OrderStage;
  /** Orders that finished the stage in the window. */
  samples: number;
  p50: number;
  p90: number;
  p99: number;
}

export interface OpsFigures {
  /** The database's clock when the figures were read. */
  at: Date;
  /** Orders in every status that is not finished, now. */
  ordersInProgress: Array<{ status: OrderStatus; orders: number }>;
  /** Orders stored within the window, by their status now. */
  ordersRecent: Array<{ status: OrderStatus; orders: number }>;
  /** Inbox rows stored and not yet delivered to their workflows (unreadable pushes excluded). */
  inbox: Array<{ platform: Platform; events: number; oldestSeconds: number }>;
  /** Write-backs not confirmed by the platform: `pending` (still being tried) and `rejected` (given up). */
  writebacks: Array<{ platform: Platform; status: Exclude<WritebackStatus, 'sent'>; writebacks: number; failedAttempts: number; oldestSeconds: number }>;
  /** Pull sync per platform: orders read so far (every shop), and the active pulling shops' health. */
  pulls: Array<{ platform: Platform; ordersSeen: number; shops: number; failingShops: number; cursorLagSeconds: number | null }>;
  stages: StageFigures[];
  exceptions: ExceptionSummary['byType'];
}

/** Reads the figures `/metrics` reports from PostgreSQL (one read-only transaction, each query time-limited). */
export async function readOpsFigures(db: Db, o: OpsFiguresOptions): Promise<OpsFigures> {
  return db
    .transaction()
    .setAccessMode('read only')
    .execute(async (tx) => {
      await sql`select set_config('statement_timeout', ${String(Math.max(1, Math.trunc(o.timeoutMs)))}, true)`.execute(tx);
      const window = sql`now() - make_interval(secs => ${o.windowMs / 1000})`;
      const at = await sql<{ at: Date }>`select now() as at`.execute(tx);

      const inProgress = await sql<{ status: OrderStatus; orders: number }>`
        select status, count(*)::int as orders from orders
        where status in (${sql.join(IN_PROGRESS_STATUSES)})
        group by status`.execute(tx);
      const recent = await sql<{ status: OrderStatus; orders: number }>`
        select status, count(*)::int as orders from orders
        where created_at >= ${window}
        group by status`.execute(tx);
      const inbox = await sql<{ platform: Platform; events: number; oldestSeconds: number }>`
        select platform, count(*)::int as events, extract(epoch from now() - min(received_at))::float8 as "oldestSeconds"
        from channel_events
        where dispatched_at is null and payload is not null
        group by platform`.execute(tx);
      const writebacks = await sql<OpsFigures['writebacks'][number]>`
        select platform, status, count(*)::int as writebacks,
          (count(*) filter (where attempts > 0))::int as "failedAttempts",
          extract(epoch from now() - min(created_at))::float8 as "oldestSeconds"
        from channel_writebacks
        where status <> 'sent'
        group by platform, status`.execute(tx);
      const pulls = await sql<OpsFigures['pulls'][number]>`
        select s.platform,
          coalesce(sum(c.orders_seen), 0)::int8 as "ordersSeen",
          (count(*) filter (where s.active and s.sync_mode <> 'push'))::int as shops,
          (count(*) filter (where s.active and s.sync_mode <> 'push' and c.consecutive_failures > 0))::int as "failingShops",
          (max(extract(epoch from now() - c.cursor_at)) filter (where s.active and s.sync_mode <> 'push'))::float8 as "cursorLagSeconds"
        from pull_cursors c join shops s on s.id = c.shop_id
        group by s.platform`.execute(tx);

      const stages = sql.join(ORDER_STAGES.map((s) => sql`(${s.stage}, ${s.from}, ${s.to})`));
      const stageRows = await sql<{ stage: OrderStage; samples: number; q: number[] }>`
        with stages(stage, from_type, to_type) as (values ${stages}),
        ends as (
          select order_id, seq, event_type, occurred_at from order_events
          where event_type in (${sql.join([...STAGE_ENDS])}) and occurred_at >= ${window}
          order by occurred_at desc
          limit ${MAX_STAGE_SAMPLES}
        ),
        samples as (
          select st.stage, extract(epoch from e.occurred_at - s.occurred_at)::float8 as seconds
          from ends e
          join stages st on st.to_type = e.event_type
          cross join lateral (
            select p.occurred_at from order_events p
            where p.order_id = e.order_id and p.seq < e.seq and p.event_type = st.from_type
            order by p.seq desc
            limit 1
          ) s
        )
        select stage, count(*)::int as samples,
          percentile_cont(array[0.5, 0.9, 0.99]::float8[]) within group (order by seconds) as q
        from samples
        group by stage`.execute(tx);

      const exceptions = await exceptionSummary(tx);
      return {
        at: at.rows[0]!.at,
        ordersInProgress: inProgress.rows,
        ordersRecent: recent.rows,
        inbox: inbox.rows,
        writebacks: writebacks.rows,
        pulls: pulls.rows,
        stages: stageRows.rows.map((r) => ({ stage: r.stage, samples: r.samples, p50: r.q[0] ?? 0, p90: r.q[1] ?? 0, p99: r.q[2] ?? 0 })),
        exceptions: exceptions.byType,
      };
    });
}
