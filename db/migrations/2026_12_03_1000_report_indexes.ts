import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

// The reports (db/reports.repository.ts) read a period of days: each by the time column it filters on, so a
// year of orders is not read to report one week.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists orders_platform_created_at_idx on orders (platform_created_at)`.execute(db);
  await sql`create index if not exists packages_released_at_idx on packages (released_at) where released_at is not null`.execute(db);
  await sql`create index if not exists exceptions_created_at_idx on exceptions (created_at)`.execute(db);
  await sql`create index if not exists exceptions_resolved_at_idx on exceptions (resolved_at) where resolved_at is not null`.execute(db);
  await sql`create index if not exists reviews_decided_at_idx on reviews (decided_at) where decided_at is not null`.execute(db);
  await sql`create index if not exists decisions_review_created_at_idx on decisions (created_at) where kind = 'review'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of ['decisions_review_created_at_idx', 'reviews_decided_at_idx', 'exceptions_resolved_at_idx', 'exceptions_created_at_idx', 'packages_released_at_idx', 'orders_platform_created_at_idx']) {
    await db.schema.dropIndex(name).ifExists().execute();
  }
}
