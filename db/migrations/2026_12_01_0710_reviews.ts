import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // The manual-review queue, one row per order: written by the order workflow's activities when the rules
  // send the order to a person and when a person (or a timer) decides; read by GET /v1/reviews.
  await db.schema
    .createTable('reviews')
    .addColumn('order_id', 'text', (c) => c.primaryKey())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('shop_id', 'text', (c) => c.notNull())
    // pending | approved | rejected
    .addColumn('status', 'text', (c) => c.notNull())
    // manual_review | hold: what the rules asked for
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('reasons', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // Every rule that fired on the order (id, rule set version, why, actions)
    .addColumn('fired', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('rule_set_version', 'integer', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('amount_fen', 'bigint', (c) => c.notNull().defaultTo(0))
    // Counts the reviews of the order (a platform change sends it back): a stale write never wins
    .addColumn('review_no', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sla_due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('escalated_at', 'timestamptz')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('decision', 'text')
    .addColumn('reviewer', 'text')
    .addColumn('comment', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index reviews_queue_idx on reviews (priority desc, requested_at asc) where status = 'pending'`.execute(db);
  // The decision log also keeps review verdicts and priorities.
  await sql`alter table decisions drop constraint decisions_kind_check`.execute(db);
  await sql`alter table decisions add constraint decisions_kind_check check (kind in ('allocation', 'split', 'merge', 'carrier', 'review', 'priority'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from decisions where kind in ('review', 'priority')`.execute(db);
  await sql`alter table decisions drop constraint decisions_kind_check`.execute(db);
  await sql`alter table decisions add constraint decisions_kind_check check (kind in ('allocation', 'split', 'merge', 'carrier'))`.execute(db);
  await db.schema.dropTable('reviews').execute();
}
