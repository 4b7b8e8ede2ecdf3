import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { ExceptionType } from '../domain/exceptions/model.js';
import type { Platform } from '../domain/order.js';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order-status.js';
import type { ReportDay } from '../domain/report-period.js';
import type { Db } from './database.js';
import type { Database } from './schema.js';

// The reports a seller reads (GET /v1/reports/...): aggregates over the read model and the tables beside it,
// never over Temporal. Each runs in one read-only transaction. Minutes are rounded to 2 decimals, rates to 4;
// money is integer fen. A report's days are the seller's calendar days in a time zone, passed in as UTC
// instants (domain/report-period.ts), so every day bucket is a plain range on a timestamptz column.

export interface ReportScope {
  /** The report's days, in order; the period runs from the first one's start to the last one's end. */
  days: readonly ReportDay[];
  shopId?: string | undefined;
  /** Only these shops (an API key limited to them); absent: every shop. */
  shopIds?: readonly string[] | undefined;
  channel?: Platform | undefined;
  warehouseCode?: string | undefined;
}

type Fragment = RawBuilder<unknown>;

const TRUE: Fragment = sql`true`;
const periodStart = (s: ReportScope) => s.days[0]!.start.toISOString();
const periodEnd = (s: ReportScope) => s.days.at(-1)!.end.toISOString();

/** The days as a table `d(day, start_at, end_at)`. */
function dayTable(s: ReportScope): Fragment {
  return sql`unnest(${s.days.map((d) => d.day)}::text[], ${s.days.map((d) => d.start.toISOString())}::timestamptz[], ${s.days.map((d) => d.end.toISOString())}::timestamptz[]) as d(day, start_at, end_at)`;
}

/** `column` within the period. */
function inPeriod(column: string, s: ReportScope): Fragment {
  return sql`(${sql.ref(column)} >= ${periodStart(s)}::timestamptz and ${sql.ref(column)} < ${periodEnd(s)}::timestamptz)`;
}

/** The shop filter and the key's shop scope on `column`. */
function shopCond(column: string, s: ReportScope): Fragment {
  const conds: Fragment[] = [];
  if (s.shopId !== undefined) conds.push(sql`${sql.ref(column)} = ${s.shopId}`);
  if (s.shopIds !== undefined) conds.push(s.shopIds.length ? sql`${sql.ref(column)} = any(${[...s.shopIds]}::text[])` : sql`false`);
  return conds.length ? sql`(${sql.join(conds, sql` and `)})` : TRUE;
}

const eq = (column: string, value: string | undefined): Fragment => (value === undefined ? TRUE : sql`${sql.ref(column)} = ${value}`);

/** A package one of whose member orders came from the channel (a package holds one shop's orders). */
function packageChannel(packageColumn: string, s: ReportScope): Fragment {
  if (s.channel === undefined) return TRUE;
  return sql`exists (select 1 from package_members cm join orders co on co.id = cm.order_id where cm.package_id = ${sql.ref(packageColumn)} and co.platform = ${s.channel})`;
}

/** Minutes from `from` to `to` as float8; null when either is missing or `to` is earlier. */
const minutes = (to: Fragment, from: Fragment): Fragment => sql`case when ${to} >= ${from} then extract(epoch from (${to} - ${from}))::float8 / 60 end`;

/** A percentile of `expr` (minutes), rounded to 2 decimals; null without samples. */
const pct = (p: 0.5 | 0.9, expr: Fragment): Fragment => sql`round((percentile_cont(${sql.lit(p)}) within group (order by ${expr}))::numeric, 2)::float8`;

/** `num / den` rounded to 4 decimals; null when `den` is 0. */
const ratio = (num: Fragment, den: Fragment): Fragment => sql`case when ${den} > 0 then round((${num})::numeric / (${den}), 4)::float8 end`;

async function readOnly<T>(db: Db, run: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().setAccessMode('read only').execute(run);
}

// Orders and stage durations -----------------------------------------------------------------------------------

/** Statuses a report counts as reached (an entry `status:<s>` on the order's timeline). */
export type ReachedStatus = Exclude<OrderStatus, 'received'>;
/** Every status but `received`, which exists only in the read model, never on a timeline. */
export const REACHED_STATUSES = ORDER_STATUSES.filter((st): st is ReachedStatus => st !== 'received');

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
export type Camel<S extends string> = S extends `${infer A}_${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;

/** The stages of an order, each between two moments its timeline stores. */
export const ORDER_REPORT_STAGES = ['paidToReviewed', 'reviewedToAllocated', 'allocatedToReleased', 'releasedToShipped', 'paidToShipped'] as const;
export type OrderReportStage = (typeof ORDER_REPORT_STAGES)[number];

export type StageColumns = {
  [K in OrderReportStage as `${K}Orders`]: number;
} & { [K in OrderReportStage as `${K}P50Minutes`]: number | null } & { [K in OrderReportStage as `${K}P90Minutes`]: number | null };

export type OrdersReportRow = {
  day: string;
  shopId: string;
  channel: Platform;
  orders: number;
  /** Orders that passed review (approved by the rules, a person, or a timed hold running out). */
  reviewPassed: number;
} & { [K in ReachedStatus as Camel<K>]: number } & StageColumns;

/**
 * Orders per day (the day each was created on its platform, in the report's zone), shop and channel: how many
 * reached each status, and the minutes between the stages' moments on their timelines (p50, p90, and how many
 * orders have both moments). Reviewed is the first approval: the rules' (`reviewed` with verdict approve), a
 * person's (`review_decided`) or a timed hold's end (`hold_elapsed`).
 */
export async function ordersReport(db: Db, s: ReportScope): Promise<OrdersReportRow[]> {
  const stage = (name: OrderReportStage, to: string, from: string) => sql`${minutes(sql.ref(to), sql.ref(from))} as ${sql.id(name)}`;
  const reached = REACHED_STATUSES.map((st) => sql`(count(*) filter (where ${`status:${st}`}::text = any(statuses)))::int as ${sql.id(camel(st))}`);
  const stageCols = ORDER_REPORT_STAGES.map(
    (st) => sql`count(${sql.ref(st)})::int as ${sql.id(`${st}Orders`)}, ${pct(0.5, sql.ref(st))} as ${sql.id(`${st}P50Minutes`)}, ${pct(0.9, sql.ref(st))} as ${sql.id(`${st}P90Minutes`)}`,
  );
  return readOnly(db, async (tx) => {
    const r = await sql<OrdersReportRow>`
      with o as (
        select o.id, o.shop_id, o.platform, d.day
        from orders o join ${dayTable(s)} on o.platform_created_at >= d.start_at and o.platform_created_at < d.end_at
        where ${inPeriod('o.platform_created_at', s)} and ${shopCond('o.shop_id', s)} and ${eq('o.platform', s.channel)}
      ),
      t as (
        select o.id, o.shop_id, o.platform, o.day,
          array_agg(e.event_type) filter (where e.event_type like 'status:%') as statuses,
          min(e.occurred_at) filter (where e.event_type = 'status:paid') as paid_at,
          min(e.occurred_at) filter (where (e.event_type = 'reviewed' and e.detail->>'verdict' = 'approve')
            or (e.event_type = 'review_decided' and e.detail->>'decision' <> 'reject')
            or e.event_type = 'hold_elapsed') as reviewed_at,
          min(e.occurred_at) filter (where e.event_type = 'status:allocated') as allocated_at,
          min(e.occurred_at) filter (where e.event_type = 'status:released') as released_at,
          min(e.occurred_at) filter (where e.event_type = 'status:shipped') as shipped_at
        from o left join order_events e on e.order_id = o.id
        group by o.id, o.shop_id, o.platform, o.day
      ),
      m as (
        select t.*,
          ${stage('paidToReviewed', 'reviewed_at', 'paid_at')},
          ${stage('reviewedToAllocated', 'allocated_at', 'reviewed_at')},
          ${stage('allocatedToReleased', 'released_at', 'allocated_at')},
          ${stage('releasedToShipped', 'shipped_at', 'released_at')},
          ${stage('paidToShipped', 'shipped_at', 'paid_at')}
        from t
      )
      select day, shop_id as "shopId", platform as channel, count(*)::int as orders,
        count(reviewed_at)::int as "reviewPassed",
        ${sql.join(reached)},
        ${sql.join(stageCols)}
      from m
      group by day, shop_id, platform
      order by day, shop_id, platform`.execute(tx);
    return r.rows;
  });
}

// Reviews ----------------------------------------------------------------------------------------------------

export interface ReviewsReportRow {
  day: string;
  shopId: string;
  channel: Platform;
  /** Orders whose first review by the rules fell on the day. */
  reviewed: number;
  /** Approved by the rules without a person. */
  autoApproved: number;
  /** Held by a rule for a set time (they go on by themselves when it ends), never sent to a person. */
  heldByRules: number;
  rejectedByRules: number;
  /** Sent to a person (manual review, or held until a person decides). */
  toPerson: number;
  personApproved: number;
  personRejected: number;
  personPending: number;
  /** autoApproved / reviewed. */
  autoRate: number | null;
}

/**
 * The review by the rules against the one by a person, per day of the order's first review (in the report's
 * zone), shop and channel. From the decision log (every verdict of the rules) and the review queue (the orders
 * sent to a person and what the person decided). An order counts once, under its first review's day.
 */
export async function reviewsReport(db: Db, s: ReportScope): Promise<ReviewsReportRow[]> {
  return readOnly(db, async (tx) => {
    const r = await sql<ReviewsReportRow>`
      with f as (
        select dc.order_id, dc.created_at as first_at
        from decisions dc
        where dc.kind = 'review' and dc.step_key = 'review:1' and ${inPeriod('dc.created_at', s)}
      ),
      v as (
        select f.order_id, f.first_at,
          bool_or(dc.record->'chosen'->>0 = 'approve') as approved,
          bool_or(dc.record->'chosen'->>0 = 'reject') as rejected,
          bool_or(dc.record->'chosen'->>0 = 'hold') as held
        from f join decisions dc on dc.order_id = f.order_id and dc.kind = 'review'
        group by f.order_id, f.first_at
      ),
      c as (
        select d.day, o.shop_id, o.platform, v.approved, v.rejected, v.held, rv.status as person
        from v
        join ${dayTable(s)} on v.first_at >= d.start_at and v.first_at < d.end_at
        join orders o on o.id = v.order_id
        left join reviews rv on rv.order_id = v.order_id
        where ${shopCond('o.shop_id', s)} and ${eq('o.platform', s.channel)}
      ),
      g as (
        select day, shop_id, platform,
          count(*)::int as reviewed,
          (count(*) filter (where person is null and approved and not rejected))::int as auto_approved,
          (count(*) filter (where person is null and held and not approved and not rejected))::int as held_by_rules,
          (count(*) filter (where person is null and rejected))::int as rejected_by_rules,
          count(person)::int as to_person,
          (count(*) filter (where person = 'approved'))::int as person_approved,
          (count(*) filter (where person = 'rejected'))::int as person_rejected,
          (count(*) filter (where person = 'pending'))::int as person_pending
        from c
        group by day, shop_id, platform
      )
      select day, shop_id as "shopId", platform as channel, reviewed, auto_approved as "autoApproved",
        held_by_rules as "heldByRules", rejected_by_rules as "rejectedByRules", to_person as "toPerson",
        person_approved as "personApproved", person_rejected as "personRejected", person_pending as "personPending",
        ${ratio(sql`auto_approved`, sql`reviewed`)} as "autoRate"
      from g
      order by day, shop_id, platform`.execute(tx);
    return r.rows;
  });
}

// Splits and merges ------------------------------------------------------------------------------------------

export interface SplitMergeReportRow {
  day: string;
  shopId: string;
  /** Packages released to a warehouse on the day. */
  packages: number;
  /** Of them, packages holding two or more orders. */
  mergedPackages: number;
  /** Orders in the merged packages. */
  mergedOrders: number;
  /** Parcels merging saved: member orders minus packages, over the merged packages. */
  parcelsSaved: number;
  /** Orders whose first package was released on the day. */
  orders: number;
  /** Of them, orders shipped in two or more packages. */
  splitOrders: number;
  /** Parcels splitting added: packages minus one, over the split orders. */
  extraParcels: number;
  /** mergedPackages / packages. */
  mergeRate: number | null;
  /** splitOrders / orders. */
  splitRate: number | null;
}

/**
 * Merges (packages holding several orders) by the day their package was released, and splits (orders in
 * several packages) by the day their first package was released, per shop; in the report's zone. Members
 * that left a package before it was sealed do not count; a package never released is no parcel.
 */
export async function splitMergeReport(db: Db, s: ReportScope): Promise<SplitMergeReportRow[]> {
  const packageFilter = sql`${shopCond('p.shop_id', s)} and ${eq('p.warehouse_code', s.warehouseCode)} and ${packageChannel('p.id', s)}`;
  return readOnly(db, async (tx) => {
    const r = await sql<SplitMergeReportRow>`
      with pk as (
        select p.id, p.shop_id, p.released_at, count(distinct m.order_id)::int as orders
        from packages p join package_members m on m.package_id = p.id and m.status <> 'left'
        where ${inPeriod('p.released_at', s)} and ${packageFilter}
        group by p.id
      ),
      pd as (
        select d.day, pk.shop_id,
          count(*)::int as packages,
          (count(*) filter (where orders > 1))::int as merged_packages,
          coalesce(sum(orders) filter (where orders > 1), 0)::int as merged_orders,
          coalesce(sum(orders - 1) filter (where orders > 1), 0)::int as parcels_saved
        from pk join ${dayTable(s)} on pk.released_at >= d.start_at and pk.released_at < d.end_at
        group by d.day, pk.shop_id
      ),
      om as (
        select m.order_id, p.shop_id, count(distinct p.id)::int as packages, min(p.released_at) as first_at
        from package_members m join packages p on p.id = m.package_id
        where m.status <> 'left' and p.released_at is not null and ${packageFilter}
          and m.order_id in (
            select m2.order_id from package_members m2 join packages p2 on p2.id = m2.package_id
            where m2.status <> 'left' and ${inPeriod('p2.released_at', s)}
          )
        group by m.order_id, p.shop_id
      ),
      od as (
        select d.day, om.shop_id,
          count(*)::int as orders,
          (count(*) filter (where packages > 1))::int as split_orders,
          coalesce(sum(packages - 1) filter (where packages > 1), 0)::int as extra_parcels
        from om join ${dayTable(s)} on om.first_at >= d.start_at and om.first_at < d.end_at
        group by d.day, om.shop_id
      )
      select coalesce(pd.day, od.day) as day, coalesce(pd.shop_id, od.shop_id) as "shopId",
        coalesce(pd.packages, 0) as packages, coalesce(pd.merged_packages, 0) as "mergedPackages",
        coalesce(pd.merged_orders, 0) as "mergedOrders", coalesce(pd.parcels_saved, 0) as "parcelsSaved",
        coalesce(od.orders, 0) as orders, coalesce(od.split_orders, 0) as "splitOrders",
        coalesce(od.extra_parcels, 0) as "extraParcels",
        ${ratio(sql`coalesce(pd.merged_packages, 0)`, sql`coalesce(pd.packages, 0)`)} as "mergeRate",
        ${ratio(sql`coalesce(od.split_orders, 0)`, sql`coalesce(od.orders, 0)`)} as "splitRate"
      from pd full join od on od.day = pd.day and od.shop_id = pd.shop_id
      order by 1, 2`.execute(tx);
    return r.rows;
  });
}

// Exceptions -------------------------------------------------------------------------------------------------

export interface ExceptionsReportRow {
  type: ExceptionType;
  /** Opened within the period. */
  opened: number;
  /** Resolved within the period (whenever opened). */
  resolved: number;
  resolvedByPerson: number;
  /** Carried out by the exception policy (automatic resolution or its final action). */
  resolvedByPolicy: number;
  /** Closed by Orderly itself: the cause went away. */
  resolvedByOrderly: number;
  /** Resolved without a resolver on record (rows from before the exception center). */
  resolvedByUnrecorded: number;
  /** Minutes from opening to resolution, of those resolved within the period. */
  resolveP50Minutes: number | null;
  resolveP90Minutes: number | null;
  /** Open now (whenever opened). */
  openNow: number;
  /** Open now and past their due time. */
  overdueNow: number;
}

/**
 * Exceptions by type: opened and resolved within the period, who resolved them (a person, the policy, Orderly)
 * and how fast; open and overdue now. Shop, channel (the order's platform, else the shop's) and warehouse
 * filters apply to all of it.
 */
export async function exceptionsReport(db: Db, s: ReportScope): Promise<ExceptionsReportRow[]> {
  const resolvedIn = inPeriod('e.resolved_at', s);
  const took = minutes(sql`e.resolved_at`, sql`e.created_at`);
  return readOnly(db, async (tx) => {
    const r = await sql<ExceptionsReportRow>`
      select e.type,
        (count(*) filter (where ${inPeriod('e.created_at', s)}))::int as opened,
        (count(*) filter (where ${resolvedIn}))::int as resolved,
        (count(*) filter (where ${resolvedIn} and e.resolved_by not in ('policy', 'orderly')))::int as "resolvedByPerson",
        (count(*) filter (where ${resolvedIn} and e.resolved_by = 'policy'))::int as "resolvedByPolicy",
        (count(*) filter (where ${resolvedIn} and e.resolved_by = 'orderly'))::int as "resolvedByOrderly",
        (count(*) filter (where ${resolvedIn} and e.resolved_by is null))::int as "resolvedByUnrecorded",
        round((percentile_cont(0.5) within group (order by ${took}) filter (where ${resolvedIn}))::numeric, 2)::float8 as "resolveP50Minutes",
        round((percentile_cont(0.9) within group (order by ${took}) filter (where ${resolvedIn}))::numeric, 2)::float8 as "resolveP90Minutes",
        (count(*) filter (where e.status = 'open'))::int as "openNow",
        (count(*) filter (where e.status = 'open' and e.due_at < now()))::int as "overdueNow"
      from exceptions e
      left join orders o on o.id = e.order_id
      left join shops sh on sh.id = e.shop_id
      where (${inPeriod('e.created_at', s)} or ${resolvedIn} or e.status = 'open')
        and ${shopCond('e.shop_id', s)} and ${eq('e.warehouse_code', s.warehouseCode)}
        and ${s.channel === undefined ? TRUE : sql`coalesce(o.platform, sh.platform) = ${s.channel}`}
      group by e.type
      order by e.type`.execute(tx);
    return r.rows;
  });
}

// Warehouse load ---------------------------------------------------------------------------------------------

export interface WarehouseLoadReportRow {
  /** The warehouse's own calendar day (in its time zone). */
  day: string;
  warehouseCode: string;
  timeZone: string;
  /** The warehouse's daily capacity as configured now. */
  capacity: number;
  /** Orders allocated to the warehouse on the day (once per plan attempt). */
  allocated: number;
  /** Of them, given back by a cancellation before the warehouse had them. */
  givenBack: number;
  /** allocated - givenBack: what counts against the capacity. */
  load: number;
  /** load / capacity. */
  utilisation: number | null;
  overCapacity: boolean;
}

/**
 * Each warehouse's daily load against its capacity, for every day from `fromDay` to `toDay` (the warehouse's own
 * calendar days), active warehouses and those with load in the period. With a shop or channel, the load counts
 * only that shop's or channel's orders.
 */
export async function warehouseLoadReport(db: Db, fromDay: string, toDay: string, s: Omit<ReportScope, 'days'>): Promise<WarehouseLoadReportRow[]> {
  const orderFilter = s.shopId !== undefined || s.shopIds !== undefined || s.channel !== undefined;
  return readOnly(db, async (tx) => {
    const r = await sql<WarehouseLoadReportRow>`
      with l as (
        select wl.warehouse_code, wl.local_day::text as day,
          count(*)::int as allocated,
          (count(*) filter (where wl.released_at is not null))::int as given_back
        from warehouse_load wl
        ${orderFilter ? sql`join orders o on o.id = wl.order_id` : sql``}
        where wl.local_day between ${fromDay}::date and ${toDay}::date
          and ${eq('wl.warehouse_code', s.warehouseCode)}
          ${orderFilter ? sql`and ${shopCond('o.shop_id', { days: [], ...s })} and ${eq('o.platform', s.channel)}` : sql``}
        group by wl.warehouse_code, wl.local_day
      ),
      w as (
        select w.code, w.time_zone, w.daily_capacity from warehouses w
        where (w.active or w.code in (select warehouse_code from l)) and ${eq('w.code', s.warehouseCode)}
      )
      select g.day::date::text as day, w.code as "warehouseCode", w.time_zone as "timeZone", w.daily_capacity as capacity,
        coalesce(l.allocated, 0) as allocated, coalesce(l.given_back, 0) as "givenBack",
        coalesce(l.allocated - l.given_back, 0) as load,
        ${ratio(sql`coalesce(l.allocated - l.given_back, 0)`, sql`w.daily_capacity`)} as utilisation,
        coalesce(l.allocated - l.given_back, 0) > w.daily_capacity as "overCapacity"
      from w
      cross join generate_series(${fromDay}::date, ${toDay}::date, interval '1 day') as g(day)
      left join l on l.warehouse_code = w.code and l.day = g.day::date::text
      order by 1, 2`.execute(tx);
    return r.rows;
  });
}

// Carriers and freight ---------------------------------------------------------------------------------------

export interface CarriersReportRow {
  /** Null: packages released without a carrier (none qualified). */
  carrierCode: string | null;
  carrierName: string | null;
  logisticsClass: string;
  /** Packages released to a warehouse within the period. */
  packages: number;
  /** Share of all packages of the report. */
  share: number | null;
  shipped: number;
  /** Orders in those packages. */
  orders: number;
  /** Packages with a freight estimate for their carrier. */
  estimated: number;
  /** Sum of the estimates (fen). */
  freightFen: number;
  /** freightFen / estimated, rounded to a fen. */
  averageFreightFen: number | null;
}

/**
 * Carrier mix and freight: packages released within the period per carrier and logistics class. Freight is
 * Orderly's estimate when it released the package: the cost the carrier's rate table gave for the parcel's
 * weight and destination, as the carrier decision of the package (`package:<id>:carrier`) recorded it for the
 * carrier the package has now (the one the warehouse shipped with, when it reported another).
 */
export async function carriersReport(db: Db, s: ReportScope): Promise<CarriersReportRow[]> {
  return readOnly(db, async (tx) => {
    const r = await sql<CarriersReportRow>`
      with p as (
        select p.id, p.carrier_code, p.logistics_class, p.status,
          (select count(distinct m.order_id) from package_members m where m.package_id = p.id and m.status <> 'left')::int as orders,
          (select (c->'metrics'->>'costFen')::bigint
             from package_members m
             join decisions dc on dc.order_id = m.order_id and dc.step_key = 'package:' || p.id || ':carrier'
             cross join lateral jsonb_array_elements(dc.record->'candidates') c
             where m.package_id = p.id and c->>'id' = p.carrier_code
             limit 1) as freight_fen
        from packages p
        where ${inPeriod('p.released_at', s)} and ${shopCond('p.shop_id', s)} and ${eq('p.warehouse_code', s.warehouseCode)} and ${packageChannel('p.id', s)}
      )
      select p.carrier_code as "carrierCode", c.name as "carrierName", p.logistics_class as "logisticsClass",
        count(*)::int as packages,
        ${ratio(sql`count(*)`, sql`sum(count(*)) over ()`)} as share,
        (count(*) filter (where p.status = 'shipped'))::int as shipped,
        coalesce(sum(p.orders), 0)::int as orders,
        count(p.freight_fen)::int as estimated,
        coalesce(sum(p.freight_fen), 0)::int8 as "freightFen",
        case when count(p.freight_fen) > 0 then round(sum(p.freight_fen)::numeric / count(p.freight_fen))::int8 end as "averageFreightFen"
      from p left join carriers c on c.code = p.carrier_code
      group by p.carrier_code, c.name, p.logistics_class
      order by packages desc, p.carrier_code nulls last, p.logistics_class`.execute(tx);
    return r.rows;
  });
}

// Goods value shipped per warehouse and SKU ------------------------------------------------------------------

export interface CostsReportRow {
  warehouseCode: string;
  skuCode: string;
  skuName: string | null;
  /** Units in packages shipped within the period. */
  unitsShipped: number;
  packages: number;
  /** The SKU's value per unit (`skus.value_fen`) as configured now; null when not set (0) or the SKU is unknown. */
  unitValueFen: number | null;
  /** unitsShipped x unitValueFen; null when the value is not known. */
  valueFen: number | null;
}

/**
 * Units shipped per warehouse and SKU within the period (packages the warehouse reported shipped), with the
 * SKU's stored value per unit. Substituted SKUs count as the SKU that shipped.
 */
export async function costsReport(db: Db, s: ReportScope): Promise<CostsReportRow[]> {
  return readOnly(db, async (tx) => {
    const r = await sql<CostsReportRow>`
      with u as (
        select p.warehouse_code, l->>'skuCode' as sku_code, (l->>'quantity')::int as quantity, p.id as package_id
        from packages p
        join package_members m on m.package_id = p.id and m.status <> 'left'
        cross join lateral jsonb_array_elements(m.lines) l
        where p.status = 'shipped' and ${inPeriod('p.shipped_at', s)}
          and ${shopCond('p.shop_id', s)} and ${eq('p.warehouse_code', s.warehouseCode)} and ${packageChannel('p.id', s)}
      )
      select u.warehouse_code as "warehouseCode", u.sku_code as "skuCode", k.name as "skuName",
        sum(u.quantity)::int as "unitsShipped", count(distinct u.package_id)::int as packages,
        nullif(k.value_fen, 0) as "unitValueFen",
        (sum(u.quantity) * nullif(k.value_fen, 0))::int8 as "valueFen"
      from u left join skus k on k.code = u.sku_code
      group by u.warehouse_code, u.sku_code, k.name, k.value_fen
      order by 1, 2`.execute(tx);
    return r.rows;
  });
}

// People -----------------------------------------------------------------------------------------------------

export type ActorKind = 'person' | 'policy' | 'orderly' | 'api_key';

export interface PeopleReportRow {
  /** The person named with a decision or resolution, `policy`, `orderly`, or an API key's name. */
  actor: string;
  actorKind: ActorKind;
  /**
   * The role of the API key through which the person acted (from the audit log); null where no audited call
   * carried it (decided before the audit log, or inside Orderly).
   */
  role: string | null;
  reviewsDecided: number | null;
  reviewsApproved: number | null;
  reviewsRejected: number | null;
  /** Minutes from a review's request to its decision. */
  reviewP50Minutes: number | null;
  reviewP90Minutes: number | null;
  exceptionsResolved: number | null;
  /** Minutes from an exception's opening to its resolution. */
  resolveP50Minutes: number | null;
  resolveP90Minutes: number | null;
  /** API keys: audited calls answered below 400, and those answered 400 or more (refused or failed). */
  apiActions: number | null;
  apiFailed: number | null;
}

/**
 * Who did what within the period: reviews decided (the review queue) and exceptions resolved, per person and the
 * role of the API key they acted through (the audit log's successful `review.decide` / `exception.resolve` call
 * for that order or exception); and every API key's audited actions. The policy and Orderly appear as actors of
 * the resolutions they made.
 */
export async function peopleReport(db: Db, s: ReportScope): Promise<PeopleReportRow[]> {
  const kind = (actor: Fragment) => sql`case when ${actor} in ('policy', 'orderly') then ${actor} else 'person' end`;
  const reviewTook = minutes(sql`rv.decided_at`, sql`rv.requested_at`);
  const resolveTook = minutes(sql`e.resolved_at`, sql`e.created_at`);
  return readOnly(db, async (tx) => {
    const r = await sql<PeopleReportRow>`
      with rv as (
        select rv.reviewer as actor, coalesce(a.role, '') as role,
          count(*)::int as decided,
          (count(*) filter (where rv.decision <> 'reject'))::int as approved,
          (count(*) filter (where rv.decision = 'reject'))::int as rejected,
          ${pct(0.5, reviewTook)} as p50, ${pct(0.9, reviewTook)} as p90
        from reviews rv
        left join lateral (
          select a.role from audit_log a
          where a.action = 'review.decide' and a.params->>'orderId' = rv.order_id and a.status between 200 and 299
          order by a.id desc limit 1
        ) a on true
        where ${inPeriod('rv.decided_at', s)} and rv.reviewer is not null and ${shopCond('rv.shop_id', s)}
        group by rv.reviewer, coalesce(a.role, '')
      ),
      ex as (
        select e.resolved_by as actor, coalesce(a.role, '') as role,
          count(*)::int as resolved,
          ${pct(0.5, resolveTook)} as p50, ${pct(0.9, resolveTook)} as p90
        from exceptions e
        left join lateral (
          select a.role from audit_log a
          where a.action = 'exception.resolve' and a.params->>'id' = e.id::text and a.status between 200 and 299
          order by a.id desc limit 1
        ) a on true
        where ${inPeriod('e.resolved_at', s)} and e.resolved_by is not null and ${shopCond('e.shop_id', s)}
        group by e.resolved_by, coalesce(a.role, '')
      ),
      people as (
        select coalesce(rv.actor, ex.actor) as actor, coalesce(rv.role, ex.role) as role,
          rv.decided, rv.approved, rv.rejected, rv.p50 as review_p50, rv.p90 as review_p90,
          ex.resolved, ex.p50 as resolve_p50, ex.p90 as resolve_p90
        from rv full join ex on ex.actor = rv.actor and ex.role = rv.role
      ),
      keys as (
        select a.key_id, a.key_name, a.role,
          (count(*) filter (where a.status < 400))::int as actions,
          (count(*) filter (where a.status >= 400))::int as failed
        from audit_log a
        where ${inPeriod('a.at', s)} and a.key_id is not null and ${shopCond('a.shop_id', s)}
        group by a.key_id, a.key_name, a.role
      )
      select actor, ${kind(sql`actor`)} as "actorKind", nullif(role, '') as role,
        coalesce(decided, 0) as "reviewsDecided", coalesce(approved, 0) as "reviewsApproved", coalesce(rejected, 0) as "reviewsRejected",
        review_p50 as "reviewP50Minutes", review_p90 as "reviewP90Minutes",
        coalesce(resolved, 0) as "exceptionsResolved", resolve_p50 as "resolveP50Minutes", resolve_p90 as "resolveP90Minutes",
        null::int as "apiActions", null::int as "apiFailed"
      from people
      union all
      select coalesce(key_name, key_id), 'api_key', role,
        null, null, null, null, null, null, null, null, actions, failed
      from keys
      order by 2 desc, 1, 3`.execute(tx);
    return r.rows;
  });
}
