import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // The warehouse confirms an interception: the parcel is back on its shelves and never ships.
  await sql`alter table packages drop constraint packages_status_check`.execute(db);
  await sql`alter table packages add constraint packages_status_check
    check (status in ('open', 'sealed', 'released', 'picked', 'shipped', 'failed', 'cancelled', 'intercepted'))`.execute(db);
  await db.schema.alterTable('packages').addColumn('intercepted_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('packages').dropColumn('intercepted_at').execute();
  await sql`alter table packages drop constraint packages_status_check`.execute(db);
  await sql`alter table packages add constraint packages_status_check
    check (status in ('open', 'sealed', 'released', 'picked', 'shipped', 'failed', 'cancelled'))`.execute(db);
}
