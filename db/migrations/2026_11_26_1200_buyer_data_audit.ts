import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // One row per call to a platform's buyer-data decrypt API: who asked, why, for which orders, when, how many
  // values and with what outcome. Never the plaintext, nor the ciphertexts.
  await db.schema
    .createTable('buyer_data_audit')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    // The workflow and activity that made the call, when it ran under Temporal.
    .addColumn('caller', 'text')
    .addColumn('order_ids', 'jsonb', (c) => c.notNull())
    .addColumn('items', 'integer', (c) => c.notNull())
    .addColumn('decrypted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    // `started` is written before the call, so a call whose process died still shows up.
    .addColumn('outcome', 'text', (c) => c.notNull().defaultTo('started').check(sql`outcome in ('started', 'ok', 'partial', 'failed')`))
    .addColumn('error', 'text')
    .addColumn('called_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('buyer_data_audit_shop_called_idx').on('buyer_data_audit').columns(['shop_id', 'called_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('buyer_data_audit').execute();
}
