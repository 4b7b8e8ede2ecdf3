import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // A transfer is carried out by its own workflow now: it is shipped (with an expected arrival) and received
  // into the target's stock. `done` stays allowed for rows written before.
  await sql`alter table transfers drop constraint if exists transfers_status_check`.execute(db);
  await sql`alter table transfers add constraint transfers_status_check check (status in ('requested', 'shipped', 'received', 'done', 'cancelled'))`.execute(db);
  await db.schema
    .alterTable('transfers')
    .addColumn('tracking_no', 'text')
    .addColumn('expected_arrival', 'timestamptz')
    .addColumn('shipped_at', 'timestamptz')
    .addColumn('received_at', 'timestamptz')
    .addColumn('received_quantity', 'integer')
    .execute();
  await sql`create index transfers_order_idx on transfers (order_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists transfers_order_idx`.execute(db);
  await db.schema
    .alterTable('transfers')
    .dropColumn('tracking_no')
    .dropColumn('expected_arrival')
    .dropColumn('shipped_at')
    .dropColumn('received_at')
    .dropColumn('received_quantity')
    .execute();
  await sql`alter table transfers drop constraint if exists transfers_status_check`.execute(db);
  await sql`alter table transfers add constraint transfers_status_check check (status in ('requested', 'done', 'cancelled'))`.execute(db);
}
