import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // The zone whose calendar day the warehouse's daily load counts (IANA name; the API checks it).
  await db.schema
    .alterTable('warehouses')
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('Asia/Shanghai'))
    .execute();

  // One row per order allocated to a warehouse, per plan attempt: a retried reservation finds its row and
  // counts nothing twice; a cancellation marks it released. `warehouses.current_load` is the sum of the rows
  // of `load_date` that are not released, kept in the same transactions.
  await db.schema
    .createTable('warehouse_load')
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('warehouse_code', 'text', (c) => c.notNull().references('warehouses.code'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    /** The warehouse's local calendar day when the order was allocated to it. */
    .addColumn('local_day', 'date', (c) => c.notNull())
    .addColumn('counted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('released_at', 'timestamptz')
    .addPrimaryKeyConstraint('warehouse_load_pk', ['order_id', 'warehouse_code', 'attempt'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('warehouse_load').ifExists().execute();
  await db.schema.alterTable('warehouses').dropColumn('time_zone').execute();
}
