import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Buyers as the seller knows them, for the review rules (VIP first, blacklisted buyers held). Buyer ids are
  // the platforms' opaque ids and are unique only within a platform, hence the two-column key.
  await db.schema
    .createTable('customers')
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('buyer_key', 'text', (c) => c.notNull())
    .addColumn('vip_level', 'integer', (c) => c.notNull().defaultTo(0).check(sql`vip_level between 0 and 10`))
    .addColumn('blacklisted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('blacklist_reason', 'text')
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('customers_pkey', ['platform', 'buyer_key'])
    .execute();
  // `tags @> array[...]` (the list's tag filter) uses this index.
  await sql`create index customers_tags_idx on customers using gin (tags)`.execute(db);
  // The blacklist is short and asked for on its own.
  await sql`create index customers_blacklisted_idx on customers (platform, buyer_key) where blacklisted`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('customers').execute();
}
