import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // `/metrics` reads the stage durations of the recent window at every scrape (db/metrics.repository.ts): the
  // timeline entries that end a stage, newest first, without reading the rest of the timeline.
  await sql`
    create index order_events_stage_end_idx on order_events (occurred_at)
    where event_type in ('reviewed', 'status:allocated', 'status:released', 'status:shipped')
  `.execute(db);
  // ... and the write-backs not (yet) confirmed by their platform: the few pending and rejected ones, not every
  // shipment ever told.
  await sql`create index channel_writebacks_unsent_idx on channel_writebacks (platform, status) where status <> 'sent'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('channel_writebacks_unsent_idx').ifExists().execute();
  await db.schema.dropIndex('order_events_stage_end_idx').ifExists().execute();
}
