import { stringify } from 'csv-stringify/sync';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  carriersReport,
  costsReport,
  exceptionsReport,
  ORDER_REPORT_STAGES,
  ordersReport,
  peopleReport,
  REACHED_STATUSES,
  reviewsReport,
  splitMergeReport,
  warehouseLoadReport,
  type ReportScope,
} from '../../db/reports.repository.js';
import { EXCEPTION_TYPES } from '../../domain/exceptions/model.js';
import { DEFAULT_TIME_ZONE, localDay, timeZoneName } from '../../domain/local-day.js';
import { PLATFORMS } from '../../domain/order.js';
import { addDays, dayCount, isCalendarDay, MAX_REPORT_DAYS, reportDays } from '../../domain/report-period.js';
import { shopFilter } from '../plugins/auth.js';
import { code, errorBody } from './fulfilment.common.js';

// The reports a seller reads: JSON by default, CSV with ?format=csv or Accept: text/csv. Every report covers a
// period of whole days (`from`..`to`, both included, at most MAX_REPORT_DAYS), in the seller's time zone where
// the report has days of its own. The figures come from PostgreSQL (db/reports.repository.ts), never from
// Temporal's visibility. Each report says in `notes` what its figures mean and what is not stored.

const TAG = 'reports';

// Query --------------------------------------------------------------------------------------------------------

const day = z.string().refine(isCalendarDay, 'a calendar day, YYYY-MM-DD');
const filterFields = {
  shopId: z.string().min(1).max(64).optional().describe('Only this shop'),
  channel: z.enum(PLATFORMS).optional().describe('Only this platform'),
  warehouseCode: code.optional().describe('Only this warehouse'),
};
const baseFields = {
  from: day.optional().describe('First day of the report (included); default: 6 days before `to`'),
  to: day.optional().describe('Last day of the report (included); default: today'),
  format: z.enum(['json', 'csv']).optional().describe('csv: the rows as CSV (UTF-8 with a byte order mark, header row first); default json, or csv when the Accept header asks for text/csv'),
};
const timeZoneField = {
  timeZone: z
    .string()
    .max(64)
    .refine((v) => timeZoneName(v) !== undefined, 'must be an IANA time zone such as Asia/Shanghai')
    .optional()
    .describe(`The seller's time zone, whose calendar days the report counts (IANA name); default ${DEFAULT_TIME_ZONE}`),
};

type FilterName = keyof typeof filterFields;
interface ResolvedPeriod {
  from: string;
  to: string;
  timeZone: string;
}

/**
 * A report's strict query (an unknown parameter is a 400): the period, the filters named, and the time zone
 * unless the report's days are not the seller's. Resolves the default period and checks its bounds.
 */
function reportQuery<const F extends readonly FilterName[]>(filters: F, opts: { timeZone: boolean } = { timeZone: true }) {
  const picked = Object.fromEntries(filters.map((f) => [f, filterFields[f]])) as { [K in F[number]]: (typeof filterFields)[K] };
  return z.strictObject({ ...baseFields, ...(opts.timeZone ? timeZoneField : {}), ...picked }).transform((q, ctx) => {
    const asked = q as { from?: string; to?: string; timeZone?: string };
    const timeZone = timeZoneName(asked.timeZone ?? DEFAULT_TIME_ZONE)!;
    const to = asked.to ?? localDay(new Date(), timeZone);
    const from = asked.from ?? addDays(to, -6);
    if (from > to) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `to (${to}) is before from (${from})` });
      return z.NEVER;
    }
    if (dayCount(from, to) > MAX_REPORT_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: `the period ${from}..${to} is ${dayCount(from, to)} days; a report covers at most ${MAX_REPORT_DAYS}` });
      return z.NEVER;
    }
    return { ...q, from, to, timeZone };
  });
}

interface QueryLike extends ResolvedPeriod {
  format?: 'json' | 'csv' | undefined;
  shopId?: string | undefined;
  channel?: (typeof PLATFORMS)[number] | undefined;
  warehouseCode?: string | undefined;
}

/** What a report query asks of the repository: its days in its zone, its filters, the key's shops. */
function scopeOf(q: QueryLike, req: FastifyRequest): ReportScope {
  return { days: reportDays(q.from, q.to, q.timeZone), shopId: q.shopId, channel: q.channel, warehouseCode: q.warehouseCode, ...shopFilter(req) };
}

// Answer -------------------------------------------------------------------------------------------------------

function envelope<R extends z.ZodObject>(report: string, row: R) {
  return z.object({
    report: z.literal(report),
    from: z.string().describe('First day (included)'),
    to: z.string().describe('Last day (included)'),
    timeZone: z.string().nullable().describe("The zone whose calendar days the report counts; null where each warehouse's own zone counts"),
    period: z.object({ start: z.string(), end: z.string() }).nullable().describe("The UTC instants the days span: [start, end); null where each warehouse's own days count"),
    filters: z.object({ shopId: z.string().optional(), channel: z.enum(PLATFORMS).optional(), warehouseCode: z.string().optional() }),
    generatedAt: z.string(),
    notes: z.array(z.string()).describe('What the figures mean, and what is not stored'),
    columns: z.array(z.string()).describe("The rows' fields, in the CSV's column order"),
    rows: z.array(row),
  });
}

/** CSV asked for: `?format=csv`, or no format and an Accept header naming text/csv. */
function wantsCsv(format: 'json' | 'csv' | undefined, req: FastifyRequest): boolean {
  if (format) return format === 'csv';
  return /(^|,)\s*text\/csv\s*(;|,|$)/i.test(req.headers.accept ?? '');
}

/** The rows as CSV: a header row of `columns`, empty cells for nulls, formulas neutralised for spreadsheets. */
export function reportCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return stringify(
    rows.map((r) => columns.map((c) => r[c])),
    { header: true, columns: [...columns], bom: true, escape_formulas: true, cast: { boolean: (b) => (b ? 'true' : 'false') } },
  );
}

interface Answer<Row> {
  report: string;
  q: QueryLike;
  columns: readonly string[];
  notes: readonly string[];
  rows: Row[];
  /** The days the report covered (absent where each warehouse's own days count). */
  scope?: ReportScope;
}

/** Answers a report: the JSON envelope, or its rows as CSV. */
function answer<Row extends object>(req: FastifyRequest, reply: FastifyReply, a: Answer<Row>) {
  if (wantsCsv(a.q.format, req)) {
    const name = `${a.report}-${a.q.from}-${a.q.to}.csv`;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(reportCsv(a.columns, a.rows as unknown as Record<string, unknown>[]));
  }
  const days = a.scope?.days;
  return {
    report: a.report,
    from: a.q.from,
    to: a.q.to,
    timeZone: days ? a.q.timeZone : null,
    period: days ? { start: days[0]!.start.toISOString(), end: days.at(-1)!.end.toISOString() } : null,
    filters: {
      ...(a.q.shopId !== undefined ? { shopId: a.q.shopId } : {}),
      ...(a.q.channel !== undefined ? { channel: a.q.channel } : {}),
      ...(a.q.warehouseCode !== undefined ? { warehouseCode: a.q.warehouseCode } : {}),
    },
    generatedAt: new Date().toISOString(),
    notes: [...a.notes],
    columns: [...a.columns],
    rows: a.rows,
  };
}

const columnsOf = (row: z.ZodObject) => Object.keys(row.shape);
const count = z.number().int();
const minutes = z.number().nullable();
const rate = z.number().nullable();
const fen = z.number().int();

const CSV_DOC = 'JSON by default; `?format=csv` (or `Accept: text/csv`) answers the rows as CSV, one column per field of `columns`, empty cells for nulls. An unknown query parameter, a day that is not a date, `to` before `from` or a period over 366 days is answered 400 with the reason.';
const produces = ['application/json', 'text/csv'];

// Rows -----------------------------------------------------------------------------------------------------------

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const ordersRow = z.object({
  day: z.string(),
  shopId: z.string(),
  channel: z.enum(PLATFORMS),
  orders: count.describe('Orders created on the day'),
  reviewPassed: count.describe('Orders that passed review: approved by the rules, by a person, or when a timed hold ended'),
  ...Object.fromEntries(REACHED_STATUSES.map((s) => [camel(s), count.describe(`Orders whose timeline reached ${s}`)])),
  ...Object.fromEntries(
    ORDER_REPORT_STAGES.flatMap((s) => [
      [`${s}Orders`, count.describe(`Orders with both moments of ${s}`)],
      [`${s}P50Minutes`, minutes],
      [`${s}P90Minutes`, minutes],
    ]),
  ),
});

const reviewsRow = z.object({
  day: z.string(),
  shopId: z.string(),
  channel: z.enum(PLATFORMS),
  reviewed: count.describe('Orders whose first review by the rules fell on the day'),
  autoApproved: count.describe('Approved by the rules, no person involved'),
  heldByRules: count.describe('Held by a rule for a set time (they go on when it ends), no person involved'),
  rejectedByRules: count,
  toPerson: count.describe('Sent to a person: manual review, or held until a person decides'),
  personApproved: count,
  personRejected: count,
  personPending: count,
  autoRate: rate.describe('autoApproved / reviewed'),
});

const splitMergeRow = z.object({
  day: z.string(),
  shopId: z.string(),
  packages: count.describe('Packages released to a warehouse on the day'),
  mergedPackages: count.describe('Of them, packages holding two or more orders'),
  mergedOrders: count.describe('Orders in the merged packages'),
  parcelsSaved: count.describe('mergedOrders - mergedPackages'),
  orders: count.describe('Orders whose first package was released on the day'),
  splitOrders: count.describe('Of them, orders in two or more packages'),
  extraParcels: count.describe('Packages beyond the first, over the split orders'),
  mergeRate: rate.describe('mergedPackages / packages'),
  splitRate: rate.describe('splitOrders / orders'),
});

const exceptionsRow = z.object({
  type: z.enum(EXCEPTION_TYPES),
  opened: count.describe('Opened within the period'),
  resolved: count.describe('Resolved within the period, whenever opened'),
  resolvedByPerson: count,
  resolvedByPolicy: count.describe("The exception policy's automatic resolution or final action"),
  resolvedByOrderly: count.describe('Closed by Orderly when the cause went away'),
  resolvedByUnrecorded: count.describe('No resolver on record (rows from before the exception center)'),
  resolveP50Minutes: minutes.describe('Opening to resolution, of those resolved within the period'),
  resolveP90Minutes: minutes,
  openNow: count,
  overdueNow: count.describe('Open now and past their due time'),
});

const warehouseLoadRow = z.object({
  day: z.string().describe("The warehouse's own calendar day"),
  warehouseCode: z.string(),
  timeZone: z.string(),
  capacity: count.describe('Daily capacity as configured now'),
  allocated: count.describe('Orders allocated to the warehouse on the day (once per plan attempt)'),
  givenBack: count.describe('Of them, given back by a cancellation before release'),
  load: count.describe('allocated - givenBack'),
  utilisation: rate.describe('load / capacity'),
  overCapacity: z.boolean(),
});

const carriersRow = z.object({
  carrierCode: z.string().nullable().describe('Null: released without a carrier (none qualified)'),
  carrierName: z.string().nullable(),
  logisticsClass: z.string(),
  packages: count.describe('Packages released within the period'),
  share: rate.describe("Share of the report's packages"),
  shipped: count,
  orders: count.describe('Orders in those packages'),
  estimated: count.describe('Packages with a freight estimate'),
  freightFen: fen.describe('Sum of the freight estimates'),
  averageFreightFen: fen.nullable(),
});

const costsRow = z.object({
  warehouseCode: z.string(),
  skuCode: z.string(),
  skuName: z.string().nullable(),
  unitsShipped: count.describe('Units in packages shipped within the period'),
  packages: count,
  unitValueFen: fen.nullable().describe("The SKU's value per unit as configured now (skus.value_fen); null when not set"),
  valueFen: fen.nullable().describe('unitsShipped x unitValueFen'),
});

const peopleRow = z.object({
  actor: z.string().describe('The person named with the decision or resolution, policy, orderly, or an API key'),
  actorKind: z.enum(['person', 'policy', 'orderly', 'api_key']),
  role: z.string().nullable().describe('The role of the API key the action came through (audit log); null when none is on record'),
  reviewsDecided: count.nullable(),
  reviewsApproved: count.nullable(),
  reviewsRejected: count.nullable(),
  reviewP50Minutes: minutes.describe("Review requested to decided"),
  reviewP90Minutes: minutes,
  exceptionsResolved: count.nullable(),
  resolveP50Minutes: minutes.describe('Exception opened to resolved'),
  resolveP90Minutes: minutes,
  apiActions: count.nullable().describe("API keys: audited calls answered below 400"),
  apiFailed: count.nullable().describe('API keys: audited calls answered 400 or more (refused or failed)'),
});

// Notes ------------------------------------------------------------------------------------------------------

const NOTES = {
  orders: [
    "Days: the day each order was created on its platform, in the report's time zone.",
    'Statuses reached: orders whose timeline (order_events) has that status, whatever their status now.',
    "Stages: the moments Orderly's timeline stores for each order: paid = status paid (when Orderly learned of the payment; the platform's own payment time is not used), reviewed = the first approval (the rules' verdict, a person's decision, or a timed hold's end), allocated, released, shipped = those statuses. Minutes p50/p90 over the orders that have both moments.",
    'Orders released without allocation (no active warehouse or carrier) and orders from before the allocated status have no allocated moment, and are not in the two stages around it.',
  ],
  reviews: [
    "An order counts once, on the day (in the report's time zone) of its first review by the rules (the decision log).",
    'toPerson: sent to the manual-review queue. The queue keeps the latest review of each order: personApproved, personRejected and personPending are of that latest review.',
  ],
  splitMerge: [
    "Merges: packages released on the day (in the report's time zone) holding two or more orders; parcels saved = member orders - packages, over those.",
    'Splits: orders in two or more packages, on the day their first package was released. A member that left its package before it was sealed does not count; a package never released is no parcel.',
  ],
  exceptions: [
    'opened and resolved: within the period; minutes from opening to resolution over those resolved within it.',
    'resolvedByPerson: a resolver other than policy and orderly (the name given with the resolution).',
    'openNow and overdueNow: as of now, whenever opened.',
  ],
  warehouseLoad: [
    "Days are each warehouse's own calendar days (its time zone): the load is counted when an order's stock is reserved there.",
    "capacity is the warehouse's daily capacity as configured now: the capacity a past day had is not stored.",
  ],
  carriers: [
    "Packages released to a warehouse within the period, by the carrier they have now (the warehouse's, when it shipped with another).",
    "freightFen: Orderly's estimate from the carrier's rate table when the package was released (weight and destination, recorded with the package's carrier decision). The freight a carrier actually billed is not stored; a package whose carrier the decision did not weigh has no estimate (estimated counts those that have one).",
  ],
  costs: [
    'Units in packages the warehouse reported shipped within the period, per warehouse and SKU (a substitute counts as the SKU that shipped).',
    "Orderly stores no purchase cost. The only money per unit a SKU has is its value (skus.value_fen): the declared goods value the carrier rules and the exception suggestions use. valueFen = units x that value, as configured now; a value of 0 means not set and gives no figure.",
  ],
  people: [
    'Reviews decided and exceptions resolved within the period, by the name given with the decision (reviewer, resolvedBy), and the role of the API key whose audited call carried it.',
    'The review queue keeps the latest review of each order: an earlier review of an order that was reviewed again is not counted.',
    "api_key rows: every key's audited actions (any call but a read) within the period, from the audit log.",
  ],
} as const;

// Routes -----------------------------------------------------------------------------------------------------

export const reportRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;
  const doc = (summary: string, description: string) => ({ tags: [TAG], summary, description: `${description}\n\n${CSV_DOC}`, produces });

  const ordersQuery = reportQuery(['shopId', 'channel']);
  app.get(
    '/v1/reports/orders',
    {
      schema: {
        ...doc(
          'Orders and stage durations per day, shop and channel',
          "Orders per day (created on the platform, in the seller's time zone), shop and channel: how many reached each status, and the minutes (p50, p90) of paid -> reviewed -> allocated -> released -> shipped from each order's timeline.",
        ),
        querystring: ordersQuery,
        response: { 200: envelope('orders', ordersRow), 400: errorBody },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const scope = scopeOf(q, req);
      const rows = await ordersReport(db, scope);
      return answer(req, reply, { report: 'orders', q, scope, columns: columnsOf(ordersRow), notes: NOTES.orders, rows });
    },
  );

  app.get(
    '/v1/reports/reviews',
    {
      schema: {
        ...doc('Automatic review rate per day, shop and channel', 'Orders approved by the review rules against those sent to a person, per day of their first review, shop and channel, with what the persons decided.'),
        querystring: reportQuery(['shopId', 'channel']),
        response: { 200: envelope('reviews', reviewsRow), 400: errorBody },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const scope = scopeOf(q, req);
      const rows = await reviewsReport(db, scope);
      return answer(req, reply, { report: 'reviews', q, scope, columns: columnsOf(reviewsRow), notes: NOTES.reviews, rows });
    },
  );

  app.get(
    '/v1/reports/split-merge',
    {
      schema: {
        ...doc('Split and merge rates, parcels saved', 'Packages holding several orders (merges, and the parcels they saved) and orders shipped in several packages (splits), per day and shop.'),
        querystring: reportQuery(['shopId', 'channel', 'warehouseCode']),
        response: { 200: envelope('split-merge', splitMergeRow), 400: errorBody },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const scope = scopeOf(q, req);
      const rows = await splitMergeReport(db, scope);
      return answer(req, reply, { report: 'split-merge', q, scope, columns: columnsOf(splitMergeRow), notes: NOTES.splitMerge, rows });
    },
  );

  app.get(
    '/v1/reports/exceptions',
    {
      schema: {
        ...doc('Exceptions by type and their resolution times', 'Per exception type: opened and resolved within the period, by whom (a person, the policy, Orderly), minutes to resolution (p50, p90), and how many are open and overdue now.'),
        querystring: reportQuery(['shopId', 'channel', 'warehouseCode']),
        response: { 200: envelope('exceptions', exceptionsRow), 400: errorBody },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const scope = scopeOf(q, req);
      const rows = await exceptionsReport(db, scope);
      return answer(req, reply, { report: 'exceptions', q, scope, columns: columnsOf(exceptionsRow), notes: NOTES.exceptions, rows });
    },
  );

  app.get(
    '/v1/reports/warehouse-load',
    {
      schema: {
        ...doc(
          'Warehouse load against capacity per day',
          "Each warehouse's daily load (orders allocated to it, less those given back) against its daily capacity, for every day of the period: the warehouse's own calendar days, so there is no timeZone parameter.",
        ),
        querystring: reportQuery(['shopId', 'channel', 'warehouseCode'], { timeZone: false }),
        response: { 200: envelope('warehouse-load', warehouseLoadRow), 400: errorBody },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const { days: _days, ...scope } = scopeOf(q, req);
      const rows = await warehouseLoadReport(db, q.from, q.to, scope);
      return answer(req, reply, { report: 'warehouse-load', q, columns: columnsOf(warehouseLoadRow), notes: NOTES.warehouseLoad, rows });
    },
  );

  app.get(
    '/v1/reports/carriers',
    {
      schema: {
        ...doc('Carrier mix and freight', "Packages released within the period per carrier and logistics class, their share, and the freight Orderly estimated for them (fen)."),
        querystring: reportQuery(['shopId', 'channel', 'warehouseCode']),
        response: { 200: envelope('carriers', carriersRow), 400: errorBody },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const scope = scopeOf(q, req);
      const rows = await carriersReport(db, scope);
      return answer(req, reply, { report: 'carriers', q, scope, columns: columnsOf(carriersRow), notes: NOTES.carriers, rows });
    },
  );

  app.get(
    '/v1/reports/costs',
    {
      schema: {
        ...doc(
          'Goods value shipped per warehouse and SKU',
          "Units shipped within the period per warehouse and SKU, times the SKU's stored value per unit (skus.value_fen): Orderly stores no purchase cost, so this is the value, not a cost price (see notes).",
        ),
        querystring: reportQuery(['shopId', 'channel', 'warehouseCode']),
        response: { 200: envelope('costs', costsRow), 400: errorBody },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const scope = scopeOf(q, req);
      const rows = await costsReport(db, scope);
      return answer(req, reply, { report: 'costs', q, scope, columns: columnsOf(costsRow), notes: NOTES.costs, rows });
    },
  );

  app.get(
    '/v1/reports/people',
    {
      schema: {
        ...doc(
          'Actions per person and role',
          'Who decided how many reviews and resolved how many exceptions within the period, how fast (p50, p90 minutes), through the API key of which role (from the audit log); and every API key\'s audited actions.',
        ),
        querystring: reportQuery(['shopId']),
        response: { 200: envelope('people', peopleRow), 400: errorBody },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const scope = scopeOf(q, req);
      const rows = await peopleReport(db, scope);
      return answer(req, reply, { report: 'people', q, scope, columns: columnsOf(peopleRow), notes: NOTES.people, rows });
    },
  );
};
