import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Whoever delivers an inbox row claims it until this time: the request that stored it, or one relay. An
  // expired claim (its holder died) lets any relay take the row.
  await db.schema.alterTable('channel_events').addColumn('claimed_until', 'timestamptz').execute();
  // Relays sleep on LISTEN orderly_inbox; every insert statement into the inbox wakes them at its commit.
  await sql`
    create function orderly_inbox_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('orderly_inbox', '');
      return null;
    end $$`.execute(db);
  await sql`create trigger channel_events_notify after insert on channel_events for each statement execute function orderly_inbox_notify()`.execute(db);
  // The relay's claim reads undispatched rows oldest first and looks for an earlier one of the same order.
  await sql`create index channel_events_undispatched_order_idx on channel_events (order_id, id) where dispatched_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists channel_events_undispatched_order_idx`.execute(db);
  await sql`drop trigger if exists channel_events_notify on channel_events`.execute(db);
  await sql`drop function if exists orderly_inbox_notify()`.execute(db);
  await db.schema.alterTable('channel_events').dropColumn('claimed_until').execute();
}
