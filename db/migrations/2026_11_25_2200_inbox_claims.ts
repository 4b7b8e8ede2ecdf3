import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Whoever delivers an inbox row claims it until this time: the request that stored it, or one relay. An
  // expired claim (its holder died) lets any relay take the row.
  await db.schema.alterTable('channel_events').addColumn('claimed_until', 'timestamptz').execute();
  // The relay's claim reads undispatched rows oldest first and looks for an earlier one of the same order.
  await sql`create index channel_events_undispatched_order_idx on channel_events (order_id, id) where dispatched_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists channel_events_undispatched_order_idx`.execute(db);
  await db.schema.alterTable('channel_events').dropColumn('claimed_until').execute();
}
