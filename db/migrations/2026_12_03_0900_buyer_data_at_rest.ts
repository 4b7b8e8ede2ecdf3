import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.
//
// Buyer data at rest. An order's receiver is kept sealed (`receiver_enc`, AES-256-GCM with the payload key
// ring) and masked in the columns lists read; the masked receiver replaces the plain one in `order`. The
// values themselves are sealed by the code that writes them, and existing rows by the data migration
// `buyer-data-at-rest` (db/buyer-data-at-rest.repository.ts), which needs the key ring and so runs after the
// schema migrations in `npm run migrate` and `npm start`, not here: a schema migration runs without keys (and
// must not depend on the configuration of the day it runs).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('orders')
    .addColumn('receiver_district', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('receiver_name_masked', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('receiver_phone_masked', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('receiver_address_masked', 'text', (c) => c.notNull().defaultTo(''))
    // Null: a row written before buyer data was encrypted, which the data migration has not reached yet.
    .addColumn('receiver_enc', 'text')
    .execute();
  // Data migrations that need more than SQL (the key ring): rows changed so far, and when a pass found nothing
  // left to change (from then on it is not run again).
  await db.schema
    .createTable('orderly_data_migrations')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('rows', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_run_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('orderly_data_migrations').ifExists().execute();
  await db.schema
    .alterTable('orders')
    .dropColumn('receiver_enc')
    .dropColumn('receiver_address_masked')
    .dropColumn('receiver_phone_masked')
    .dropColumn('receiver_name_masked')
    .dropColumn('receiver_district')
    .execute();
}
