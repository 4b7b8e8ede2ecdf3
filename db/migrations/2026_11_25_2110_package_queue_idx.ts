import type { Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // A warehouse polls its queue (`GET /v1/packages?status=released`) oldest first: keep that an index scan.
  await db.schema.createIndex('packages_status_created_idx').on('packages').columns(['status', 'created_at', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('packages_status_created_idx').ifExists().execute();
}
