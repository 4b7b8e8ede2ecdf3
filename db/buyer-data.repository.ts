import type { Platform } from '../domain/order.js';
import type { BuyerDataAuditOutcome, BuyerDataAuditRow, BuyerDataTables } from './buyer-data.schema.js';
import type { Db } from './database.js';

function auditDb(db: Db) {
  return db.withTables<BuyerDataTables>();
}

export interface DecryptCallStart {
  shopId: string;
  platform: Platform;
  method: string;
  purpose: string;
  requestedBy: string;
  caller: string | null;
  orderIds: readonly string[];
  items: number;
}

/** Records a decrypt call before it is made (outcome `started`); returns the audit row's id. */
export async function startDecryptAudit(db: Db, c: DecryptCallStart): Promise<string> {
  const row = await auditDb(db)
    .insertInto('buyer_data_audit')
    .values({
      shop_id: c.shopId,
      platform: c.platform,
      method: c.method,
      purpose: c.purpose,
      requested_by: c.requestedBy,
      caller: c.caller,
      order_ids: JSON.stringify([...new Set(c.orderIds)]),
      items: c.items,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Completes a decrypt call's audit row with its counts and outcome (never with what was decrypted). */
export async function finishDecryptAudit(
  db: Db,
  id: string,
  r: { outcome: Exclude<BuyerDataAuditOutcome, 'started'>; decrypted: number; failed: number; error?: string },
): Promise<void> {
  await auditDb(db)
    .updateTable('buyer_data_audit')
    .set({ outcome: r.outcome, decrypted: r.decrypted, failed: r.failed, error: r.error?.slice(0, 2000) ?? null, finished_at: new Date() })
    .where('id', '=', id)
    .execute();
}

/** A shop's decrypt calls, newest first. */
export async function listDecryptAudit(db: Db, shopId: string, limit = 100): Promise<BuyerDataAuditRow[]> {
  return auditDb(db).selectFrom('buyer_data_audit').selectAll().where('shop_id', '=', shopId).orderBy('id', 'desc').limit(limit).execute();
}
