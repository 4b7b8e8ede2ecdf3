import { sql, type Transaction } from 'kysely';
import { maskBuyerFields, openJson, sealJson, type FieldCipher } from '../domain/buyer-data.js';
import type { ResolutionAction, Suggestion } from '../domain/exceptions/actions.js';
import { exceptionTypeOf, scheduleFor, type ExceptionSchedule, type ExceptionStatus, type ExceptionType, type OwnerRole, type Severity } from '../domain/exceptions/model.js';
import { EXCEPTION_POLICY_KEY, exceptionPolicyFrom } from '../domain/exceptions/policy.js';
import type { Db } from './database.js';
import type { ExceptionEventRow, ExceptionEventType, ExceptionRow, StoredResolution } from './exceptions.schema.js';
import type { Database } from './schema.js';
import { getSetting } from './settings.repository.js';

// The exception center: every exception has a type, a severity, an owner role and a due time from the exception
// policy in force when it opened; `exception_events` keeps what happened to it (opened, assigned, escalated,
// notified, resolved). Every change to a row and its event are written in one transaction, the row locked, so
// the history never disagrees with the row.

type Tx = Transaction<Database>;

/** An exception's id as callers hold it: the API and workflows use strings, the database a bigint. */
export type ExceptionId = string | number;

/** The numeric id, or undefined when `id` cannot be one (so it is simply not found). */
function idOf(id: ExceptionId): number | undefined {
  const n = typeof id === 'number' ? id : /^[0-9]{1,15}$/.test(id) ? Number(id) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

async function addEvent(tx: Tx, exceptionId: number, event: ExceptionEventType, at: Date, actor: string | null, detail: Record<string, unknown>): Promise<void> {
  await tx.insertInto('exception_events').values({ exception_id: exceptionId, at, event, actor, detail: JSON.stringify(detail) }).execute();
}

async function lockRow(tx: Tx, id: number): Promise<ExceptionRow | undefined> {
  return tx.selectFrom('exceptions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

// Opening ---------------------------------------------------------------------------------------------

export interface OpenExceptionInput {
  /** The specific cause (`intercept_failed`, `channel_pull_failing`): one open exception per kind, shop and order. */
  kind: string;
  shopId: string | null;
  orderId?: string | null;
  detail: Record<string, unknown>;
  /** Default: exceptionTypeOf(kind). */
  type?: ExceptionType;
  /** Default: the policy's severity for the type. */
  severity?: Severity;
  /** Ranked suggestions, best first. */
  suggestions?: readonly Suggestion[];
  warehouseCode?: string | null;
  /** Higher first among exceptions of the same severity. */
  priority?: number;
  /** When the problem arose (default now): the SLA runs from here. */
  openedAt?: string | Date;
}

export interface OpenedException {
  row: ExceptionRow;
  /** False when an open exception of the same kind, shop and order was there already (`row` is that one). */
  created: boolean;
  /** The id as the API and workflows hold it. */
  id: string;
  type: ExceptionType;
  /** When it is due (the row's). */
  dueAt: string;
  /**
   * Its SLA timers (levels and final action) under the policy in force now, from its opening time, for the
   * caller to hold; for a row that was there already `dueAt` is the stored one.
   */
  schedule: ExceptionSchedule;
}

/**
 * Opens an exception unless one of the same kind is already open for the shop (and order); returns it with its
 * due time and SLA schedule. Type, severity, owner role and due time come from the exception policy in force
 * (`exception-policy`, or the default); the `opened` event is written in the same transaction.
 */
export async function openException(db: Db, e: OpenExceptionInput): Promise<OpenedException> {
  const policy = exceptionPolicyFrom(await getSetting<unknown>(db, EXCEPTION_POLICY_KEY));
  const openedAt = e.openedAt === undefined ? new Date() : new Date(e.openedAt);
  if (Number.isNaN(openedAt.getTime())) throw new RangeError(`openException: openedAt ${String(e.openedAt)} is not a time`);
  return db.transaction().execute(async (tx) => {
    // Serialises concurrent raisers of the same alert so it is opened once.
    await sql`select pg_advisory_xact_lock(hashtext(${`${e.kind}|${e.shopId ?? ''}|${e.orderId ?? ''}`}))`.execute(tx);
    let q = tx.selectFrom('exceptions').selectAll().where('kind', '=', e.kind).where('status', '=', 'open');
    q = e.shopId === null ? q.where('shop_id', 'is', null) : q.where('shop_id', '=', e.shopId);
    q = e.orderId ? q.where('order_id', '=', e.orderId) : q.where('order_id', 'is', null);
    const existing = await q.executeTakeFirst();
    if (existing) {
      const schedule = { ...scheduleFor(existing.type, existing.created_at.toISOString(), policy), dueAt: existing.due_at.toISOString() };
      return { row: existing, created: false, id: String(existing.id), type: existing.type, dueAt: schedule.dueAt, schedule };
    }
    const type = e.type ?? exceptionTypeOf(e.kind);
    const typePolicy = policy.types[type];
    const schedule = scheduleFor(type, openedAt.toISOString(), policy);
    const severity = e.severity ?? typePolicy.severity;
    const row = await tx
      .insertInto('exceptions')
      .values({
        kind: e.kind,
        type,
        severity,
        owner_role: typePolicy.ownerRole,
        priority: e.priority ?? 0,
        shop_id: e.shopId,
        order_id: e.orderId ?? null,
        warehouse_code: e.warehouseCode ?? null,
        detail: JSON.stringify(e.detail),
        suggestions: JSON.stringify(e.suggestions ?? []),
        due_at: schedule.dueAt,
        created_at: openedAt,
        updated_at: openedAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await addEvent(tx, row.id, 'opened', openedAt, null, {
      kind: e.kind,
      type,
      severity,
      ownerRole: typePolicy.ownerRole,
      dueAt: schedule.dueAt,
      policy: { id: policy.id, version: policy.version },
    });
    return { row, created: true, id: String(row.id), type, dueAt: schedule.dueAt, schedule };
  });
}

// The queue -------------------------------------------------------------------------------------------

export interface ExceptionQuery {
  type?: ExceptionType;
  /** Absent: open and resolved alike. */
  status?: ExceptionStatus;
  shopId?: string;
  /** Only these shops (an API key limited to them); absent: every shop. */
  shopIds?: readonly string[];
  orderId?: string;
  warehouseCode?: string;
  /** The person it is assigned to. */
  owner?: string;
  ownerRole?: OwnerRole;
  /** true: open and past due; false: anything else. */
  overdue?: boolean;
  limit: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

export interface ExceptionPage {
  items: ExceptionRow[];
  /** Pass back for the next page; null on the last one. */
  nextCursor: string | null;
}

/** A cursor that is not one this repository wrote (or no longer parses). */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** The queue position of a row: severity rank, minus priority, due time (exact, as PostgreSQL prints it), id. */
type Position = [rank: number, negPriority: number, due: string, id: number];

function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify(p)).toString('base64url');
}

function decodeCursor(c: string): Position {
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('the cursor is not one this API wrote');
  }
  const ok =
    Array.isArray(p) &&
    p.length === 4 &&
    Number.isSafeInteger(p[0]) &&
    Number.isSafeInteger(p[1]) &&
    typeof p[2] === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(p[2]) &&
    !Number.isNaN(Date.parse(`${p[2].slice(0, 23)}Z`)) &&
    Number.isSafeInteger(p[3]);
  if (!ok) throw new InvalidCursorError('the cursor is not one this API wrote');
  return p as Position;
}

/**
 * The exception queue: critical first, then higher priority, then the earliest due, then the oldest id; keyset
 * paged (a page never repeats or skips a row that stays where it was, however many rows come and go).
 */
export async function listExceptions(db: Db, f: ExceptionQuery): Promise<ExceptionPage> {
  // The due time to the microsecond (a backfilled one has them), in one format whatever the session's zone.
  let q = db.selectFrom('exceptions').selectAll().select(sql<string>`to_char(due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('due_key'));
  if (f.type) q = q.where('type', '=', f.type);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.shopId) q = q.where('shop_id', '=', f.shopId);
  if (f.shopIds) q = f.shopIds.length ? q.where('shop_id', 'in', [...f.shopIds]) : q.where(sql<boolean>`false`);
  if (f.orderId) q = q.where('order_id', '=', f.orderId);
  if (f.warehouseCode) q = q.where('warehouse_code', '=', f.warehouseCode);
  if (f.owner) q = q.where('owner', '=', f.owner);
  if (f.ownerRole) q = q.where('owner_role', '=', f.ownerRole);
  if (f.overdue === true) q = q.where('status', '=', 'open').where('due_at', '<', sql<Date>`now()`);
  if (f.overdue === false) q = q.where((eb) => eb.or([eb('status', '<>', 'open'), eb('due_at', '>=', sql<Date>`now()`)]));
  if (f.cursor) {
    const [rank, negPriority, due, id] = decodeCursor(f.cursor);
    q = q.where(sql<boolean>`(severity_rank, -priority, due_at, id) > (${rank}::int, ${negPriority}::int, ${due}::timestamptz, ${id}::bigint)`);
  }
  const rows = await q.orderBy('severity_rank').orderBy(sql`-priority`).orderBy('due_at').orderBy('id').limit(f.limit + 1).execute();
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > f.limit && last ? encodeCursor([last.severity_rank, -last.priority, last.due_key, last.id]) : null;
  return { items: page.map(({ due_key: _, ...row }) => row), nextCursor };
}

export interface ExceptionWithEvents {
  row: ExceptionRow;
  /** Oldest first. */
  events: ExceptionEventRow[];
}

export async function getException(db: Db, id: ExceptionId): Promise<ExceptionWithEvents | undefined> {
  const n = idOf(id);
  if (n === undefined) return undefined;
  const row = await db.selectFrom('exceptions').selectAll().where('id', '=', n).executeTakeFirst();
  if (!row) return undefined;
  const events = await db.selectFrom('exception_events').selectAll().where('exception_id', '=', n).orderBy('id').execute();
  return { row, events };
}

// Changes ---------------------------------------------------------------------------------------------

export type AssignOutcome =
  | { outcome: 'assigned' | 'unchanged'; row: ExceptionRow }
  | { outcome: 'resolved'; row: ExceptionRow }
  | { outcome: 'not_found' };

/** Assigns an open exception to a person (`unchanged` when it is theirs already; a resolved one is refused). */
export async function assignException(db: Db, id: ExceptionId, owner: string, actor: string, at: Date = new Date()): Promise<AssignOutcome> {
  const n = idOf(id);
  if (n === undefined) return { outcome: 'not_found' };
  return db.transaction().execute(async (tx): Promise<AssignOutcome> => {
    const row = await lockRow(tx, n);
    if (!row) return { outcome: 'not_found' };
    if (row.status !== 'open') return { outcome: 'resolved', row };
    if (row.owner === owner) return { outcome: 'unchanged', row };
    const updated = await tx.updateTable('exceptions').set({ owner, updated_at: at }).where('id', '=', n).returningAll().executeTakeFirstOrThrow();
    await addEvent(tx, n, 'assigned', at, actor, { owner, previousOwner: row.owner });
    return { outcome: 'assigned', row: updated };
  });
}

/**
 * Raises an open exception to escalation `level`, owned by `ownerRole` from then on. Only ever raises: a level
 * already reached (a retried activity, a replayed timer) or a resolved exception changes nothing. True when it
 * changed (and the `escalated` event was written).
 */
export async function escalateException(db: Db, id: ExceptionId, level: number, ownerRole: OwnerRole | (string & {}), at: Date | string = new Date()): Promise<boolean> {
  const n = idOf(id);
  if (n === undefined) return false;
  return db.transaction().execute(async (tx) => {
    const row = await lockRow(tx, n);
    if (!row || row.status !== 'open' || row.escalation_level >= level) return false;
    const when = new Date(at);
    // The role comes from the policy's ladder (OWNER_ROLES); workflow state carries it as a plain string.
    await tx.updateTable('exceptions').set({ escalation_level: level, owner_role: ownerRole as OwnerRole, updated_at: when }).where('id', '=', n).execute();
    await addEvent(tx, n, 'escalated', when, null, { level, fromLevel: row.escalation_level, ownerRole, previousOwnerRole: row.owner_role });
    return true;
  });
}

/**
 * Records that someone was told about the exception (who, how, why in `detail`). The same notification (equal
 * `detail`) is recorded once, so a retried activity adds nothing; false when it was there already or the
 * exception is unknown.
 */
export async function recordNotification(db: Db, id: ExceptionId, detail: Record<string, unknown>, at: Date | string = new Date(), actor: string | null = null): Promise<boolean> {
  const n = idOf(id);
  if (n === undefined) return false;
  return db.transaction().execute(async (tx) => {
    if (!(await lockRow(tx, n))) return false;
    const json = JSON.stringify(detail);
    const same = await tx
      .selectFrom('exception_events')
      .select('id')
      .where('exception_id', '=', n)
      .where('event', '=', 'notified')
      .where(sql<boolean>`detail = ${json}::jsonb`)
      .executeTakeFirst();
    if (same) return false;
    await addEvent(tx, n, 'notified', new Date(at), actor, detail);
    return true;
  });
}

/**
 * Brings an open exception's detail and suggestions up to date (what it reports changed while it waited, e.g.
 * the shortages of an order planned again). False when it is no longer open (or unknown).
 */
export async function refreshException(db: Db, id: ExceptionId, detail: Record<string, unknown>, suggestions: readonly Suggestion[], at: Date = new Date()): Promise<boolean> {
  const n = idOf(id);
  if (n === undefined) return false;
  const r = await db
    .updateTable('exceptions')
    .set({ detail: JSON.stringify(detail), suggestions: JSON.stringify(suggestions), updated_at: at })
    .where('id', '=', n)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export interface ResolutionRecord {
  action: ResolutionAction;
  params?: Record<string, unknown>;
  comment?: string;
}

/** Where a resolution's sealed params live (the exception's row and its `resolved` event alike). */
export const RESOLUTION_PARAMS_FIELD = 'exceptions.resolution.params';

/**
 * A resolution as it is stored: params that carry a receiver's name, phone or street (edit_order,
 * choose_address) are kept masked, and sealed whole beside them.
 */
export function storedResolution(cipher: FieldCipher, r: ResolutionRecord): StoredResolution {
  const params = r.params ? maskBuyerFields(r.params) : undefined;
  return {
    action: r.action,
    ...(params ? { params: params.value } : {}),
    ...(params?.masked ? { paramsSealed: sealJson(cipher, RESOLUTION_PARAMS_FIELD, r.params) } : {}),
    ...(r.comment ? { comment: r.comment } : {}),
  };
}

/** A stored resolution as it was given (its params opened), for a caller allowed to see buyer data. */
export function openResolution(cipher: FieldCipher, stored: StoredResolution): Omit<StoredResolution, 'paramsSealed'> {
  const { paramsSealed, ...rest } = stored;
  return paramsSealed === undefined ? rest : { ...rest, params: openJson(cipher, RESOLUTION_PARAMS_FIELD, paramsSealed) as Record<string, unknown> };
}

/**
 * Closes an open exception with its resolution. False when it is already resolved (or unknown): the first
 * resolution stands, and a retry changes nothing.
 */
export async function resolveExceptionRecord(db: Db, cipher: FieldCipher, id: ExceptionId, r: ResolutionRecord, resolvedBy: string, at: Date | string = new Date()): Promise<boolean> {
  return closeException(db, id, storedResolution(cipher, r), resolvedBy, at);
}

async function closeException(db: Db, id: ExceptionId, resolution: StoredResolution, resolvedBy: string, at: Date | string): Promise<boolean> {
  const n = idOf(id);
  if (n === undefined) return false;
  return db.transaction().execute(async (tx) => {
    const row = await lockRow(tx, n);
    if (!row || row.status !== 'open') return false;
    const when = new Date(at);
    await tx
      .updateTable('exceptions')
      .set({ status: 'resolved', resolution: JSON.stringify(resolution), resolved_by: resolvedBy, resolved_at: when, updated_at: when })
      .where('id', '=', n)
      .execute();
    await addEvent(tx, n, 'resolved', when, resolvedBy, { ...resolution });
    return true;
  });
}

/**
 * Resolves every open exception of a kind for a shop because its cause went away (a shop's pulls work again),
 * each with an `acknowledge` by `orderly`; returns how many.
 */
export async function resolveOpenExceptionsOfKind(db: Db, kind: string, shopId: string, comment: string, at: Date = new Date()): Promise<number> {
  const open = await db.selectFrom('exceptions').select('id').where('kind', '=', kind).where('shop_id', '=', shopId).where('status', '=', 'open').execute();
  let n = 0;
  for (const { id } of open) if (await closeException(db, id, { action: 'acknowledge', comment }, 'orderly', at)) n += 1;
  return n;
}

// Summary ---------------------------------------------------------------------------------------------

/** Open exceptions of one group: how many, how many overdue, and how old they are. */
export interface OpenFigures {
  open: number;
  overdue: number;
  /** When the oldest of them opened; null when none is open. */
  oldestOpenedAt: string | null;
  /** Age percentiles in seconds (continuous), null when none is open. */
  ageSeconds: { p50: number; p90: number; p99: number; max: number } | null;
}

export interface ExceptionSummary {
  at: string;
  total: OpenFigures;
  byType: ({ type: ExceptionType } & OpenFigures)[];
  bySeverity: ({ severity: Severity } & OpenFigures)[];
  byLevel: ({ level: number } & OpenFigures)[];
}

export interface SummaryFilter {
  shopId?: string;
  /** Only these shops (an API key limited to them); absent: every shop. */
  shopIds?: readonly string[];
  warehouseCode?: string;
  ownerRole?: OwnerRole;
}

interface SummaryRow {
  type: ExceptionType | null;
  severity: Severity | null;
  level: number | null;
  g_type: number;
  g_severity: number;
  g_level: number;
  open: number;
  overdue: number;
  oldest: Date | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  at: Date;
}

/** Open exceptions now: counts, overdue counts and ages, in all and by type, severity and escalation level. */
export async function exceptionSummary(db: Db, f: SummaryFilter = {}): Promise<ExceptionSummary> {
  const filters = [
    sql`status = 'open'`,
    ...(f.shopId ? [sql`shop_id = ${f.shopId}`] : []),
    ...(f.shopIds ? [f.shopIds.length ? sql`shop_id in (${sql.join([...f.shopIds])})` : sql`false`] : []),
    ...(f.warehouseCode ? [sql`warehouse_code = ${f.warehouseCode}`] : []),
    ...(f.ownerRole ? [sql`owner_role = ${f.ownerRole}`] : []),
  ];
  const age = sql`extract(epoch from (now() - created_at))`;
  const { rows } = await sql<SummaryRow>`
    select type, severity, escalation_level as level,
      grouping(type) as g_type, grouping(severity) as g_severity, grouping(escalation_level) as g_level,
      count(*)::int as open,
      (count(*) filter (where due_at < now()))::int as overdue,
      min(created_at) as oldest,
      percentile_cont(0.5) within group (order by ${age}) as p50,
      percentile_cont(0.9) within group (order by ${age}) as p90,
      percentile_cont(0.99) within group (order by ${age}) as p99,
      max(${age})::float8 as max,
      now() as at
    from exceptions
    where ${sql.join(filters, sql` and `)}
    group by grouping sets ((type), (severity), (escalation_level), ())
  `.execute(db);
  const figures = (r: SummaryRow | undefined): OpenFigures =>
    r && r.open > 0
      ? {
          open: r.open,
          overdue: r.overdue,
          oldestOpenedAt: r.oldest ? r.oldest.toISOString() : null,
          ageSeconds: { p50: Math.round(r.p50 ?? 0), p90: Math.round(r.p90 ?? 0), p99: Math.round(r.p99 ?? 0), max: Math.round(r.max ?? 0) },
        }
      : { open: 0, overdue: 0, oldestOpenedAt: null, ageSeconds: null };
  const total = rows.find((r) => r.g_type === 1 && r.g_severity === 1 && r.g_level === 1);
  const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };
  return {
    at: (total?.at ?? new Date()).toISOString(),
    total: figures(total),
    byType: rows
      .filter((r) => r.g_type === 0 && r.type !== null)
      .map((r) => ({ type: r.type!, ...figures(r) }))
      .sort((a, b) => b.open - a.open || a.type.localeCompare(b.type)),
    bySeverity: rows
      .filter((r) => r.g_severity === 0 && r.severity !== null)
      .map((r) => ({ severity: r.severity!, ...figures(r) }))
      .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]),
    byLevel: rows
      .filter((r) => r.g_level === 0 && r.level !== null)
      .map((r) => ({ level: r.level!, ...figures(r) }))
      .sort((a, b) => a.level - b.level),
  };
}
