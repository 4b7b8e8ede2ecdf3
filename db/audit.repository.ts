import type { AccessTables, AuditRow } from './access.schema.js';
import type { Db } from './database.js';

function auditDb(db: Db) {
  return db.withTables<AccessTables>();
}

export interface AuditEntry {
  keyId: string | null;
  keyName: string | null;
  role: string | null;
  method: string;
  route: string;
  params: Record<string, string>;
  action: string;
  shopId: string | null;
  before?: unknown;
  after?: unknown;
  status: number;
  requestId: string | null;
}

/** Appends one row; the table refuses UPDATE and DELETE. */
export async function appendAudit(db: Db, e: AuditEntry): Promise<number> {
  const row = await auditDb(db)
    .insertInto('audit_log')
    .values({
      key_id: e.keyId,
      key_name: e.keyName,
      role: e.role,
      method: e.method,
      route: e.route,
      params: JSON.stringify(e.params),
      action: e.action,
      shop_id: e.shopId,
      before: e.before === undefined ? null : JSON.stringify(e.before),
      after: e.after === undefined ? null : JSON.stringify(e.after),
      status: e.status,
      request_id: e.requestId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface AuditQuery {
  /** The key's id. */
  keyId?: string;
  /** The key's name as it was at the time. */
  actor?: string;
  role?: string;
  action?: string;
  route?: string;
  method?: string;
  shopId?: string;
  status?: number;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  limit: number;
  /** The last id of the previous page (`nextCursor`). */
  before?: number;
}

/** Newest first, keyset paged by id (ids only grow: a page never repeats or skips a row). */
export async function listAudit(db: Db, f: AuditQuery): Promise<{ items: AuditRow[]; nextCursor: string | null }> {
  let q = auditDb(db).selectFrom('audit_log').selectAll();
  if (f.keyId) q = q.where('key_id', '=', f.keyId);
  if (f.actor) q = q.where('key_name', '=', f.actor);
  if (f.role) q = q.where('role', '=', f.role);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.route) q = q.where('route', '=', f.route);
  if (f.method) q = q.where('method', '=', f.method);
  if (f.shopId) q = q.where('shop_id', '=', f.shopId);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<', f.to);
  if (f.before !== undefined) q = q.where('id', '<', f.before);
  const rows = await q.orderBy('id', 'desc').limit(f.limit + 1).execute();
  const items = rows.slice(0, f.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > f.limit && last ? String(last.id) : null };
}
