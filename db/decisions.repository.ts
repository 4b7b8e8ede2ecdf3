import { sql } from 'kysely';
import type { DecisionRecord } from '../domain/fulfilment/index.js';
import type { Db } from './database.js';
import type { DecisionRow } from './fulfilment.schema.js';

export interface DecisionEntry {
  /** Names the step that decided (e.g. `plan:1:allocation`), so a retried activity writes each decision once. */
  stepKey: string;
  record: DecisionRecord;
}

/** Appends decisions to the order's decision log; an entry already written for the same step is kept as it is. */
export async function recordDecisions(db: Db, orderId: string, entries: readonly DecisionEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await db
    .insertInto('decisions')
    .values(
      entries.map((e) => ({
        order_id: orderId,
        step_key: e.stepKey,
        kind: e.record.kind,
        subject: e.record.subject,
        rule_id: e.record.ruleId,
        rule_version: e.record.ruleVersion,
        outcome: e.record.outcome,
        record: JSON.stringify(e.record),
      })),
    )
    .onConflict((oc) => oc.columns(['order_id', 'step_key']).doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

export async function listDecisions(db: Db, orderId: string): Promise<DecisionRow[]> {
  return db.selectFrom('decisions').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
}

/**
 * The order's latest plan attempt: the `N` of its latest `plan:N:allocation` decision (planning logs one per
 * attempt before the workflow reserves for it), or 0 when it has none.
 */
export async function latestPlanAttempt(db: Db, orderId: string): Promise<number> {
  const row = await db
    .selectFrom('decisions')
    .select(sql<number | null>`max(split_part(step_key, ':', 2)::int)`.as('attempt'))
    .where('order_id', '=', orderId)
    .where('step_key', 'like', 'plan:%:allocation')
    .executeTakeFirst();
  return row?.attempt ?? 0;
}
