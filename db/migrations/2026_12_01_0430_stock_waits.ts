import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Orders short of stock, one row per order and SKU: the queue a stock increase serves, first by the order's
  // priority, then by when it was paid, then by when it started waiting.
  await db.schema
    .createTable('stock_waits')
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('sku_code', 'text', (c) => c.notNull())
    // null: any warehouse may serve it (the allocator chooses); a code: only that warehouse's stock helps.
    .addColumn('warehouse_code', 'text')
    // Units of the SKU the order needs in all (nothing of a short order is reserved) and how many were missing.
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('short', 'integer', (c) => c.notNull().check(sql`short > 0`))
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('paid_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Signalled that stock arrived and not re-planned since: its claim on the stock is in flight.
    .addColumn('woken_at', 'timestamptz')
    .addPrimaryKeyConstraint('stock_waits_pkey', ['order_id', 'sku_code'])
    .execute();
  await sql`create index stock_waits_queue_idx on stock_waits (sku_code, priority desc, paid_at asc nulls last, created_at asc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('stock_waits').execute();
}
