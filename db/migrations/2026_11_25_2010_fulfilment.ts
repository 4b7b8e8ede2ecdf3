import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('warehouses')
    .addColumn('regions_served', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    // Packages released today; the allocator reads it as zero once load_date is not today (UTC).
    .addColumn('current_load', 'integer', (c) => c.notNull().defaultTo(0).check(sql`current_load >= 0`))
    .addColumn('load_date', 'date')
    .execute();

  await db.schema
    .alterTable('skus')
    .addColumn('substitutes', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .execute();

  // Every change of on-hand stock that did not come from a shipment, with who/why: the stock audit.
  await db.schema
    .createTable('inventory_adjustments')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('warehouse_code', 'text', (c) => c.notNull())
    .addColumn('sku_code', 'text', (c) => c.notNull())
    .addColumn('delta', 'integer', (c) => c.notNull())
    .addColumn('on_hand_after', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('inventory_adjustments_inventory_fk', ['warehouse_code', 'sku_code'], 'inventory', ['warehouse_code', 'sku_code'])
    .execute();
  await db.schema.createIndex('inventory_adjustments_item_idx').on('inventory_adjustments').columns(['warehouse_code', 'sku_code', 'id']).execute();

  await db.schema
    .createTable('carriers')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('services', sql`text[]`, (c) => c.notNull())
    .addColumn('regions_covered', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('min_weight_g', 'integer', (c) => c.notNull().defaultTo(0).check(sql`min_weight_g >= 0`))
    .addColumn('max_weight_g', 'integer', (c) => c.notNull().check(sql`max_weight_g > 0`))
    .addColumn('premium', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('rates', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // One row per (order, line, warehouse): a retried reservation finds its row and changes nothing.
  await db.schema
    .createTable('reservations')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('line_ref', 'text', (c) => c.notNull())
    .addColumn('warehouse_code', 'text', (c) => c.notNull())
    .addColumn('sku_code', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('reserved').check(sql`status in ('reserved', 'released', 'consumed')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('reservations_order_line_wh_uq', ['order_id', 'line_ref', 'warehouse_code'])
    .addForeignKeyConstraint('reservations_inventory_fk', ['warehouse_code', 'sku_code'], 'inventory', ['warehouse_code', 'sku_code'])
    .execute();
  await sql`create index reservations_item_idx on reservations (warehouse_code, sku_code) where status = 'reserved'`.execute(db);

  await db.schema
    .createTable('transfers')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('line_ref', 'text', (c) => c.notNull())
    .addColumn('sku_code', 'text', (c) => c.notNull())
    .addColumn('from_warehouse_code', 'text', (c) => c.notNull().references('warehouses.code'))
    .addColumn('to_warehouse_code', 'text', (c) => c.notNull().references('warehouses.code'))
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('requested').check(sql`status in ('requested', 'done', 'cancelled')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('transfers_order_line_from_uq', ['order_id', 'line_ref', 'from_warehouse_code'])
    .execute();

  await db.schema
    .createTable('packages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merge_key', 'text', (c) => c.notNull())
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('warehouse_code', 'text', (c) => c.notNull())
    .addColumn('logistics_class', 'text', (c) => c.notNull().check(sql`logistics_class in ('express', 'freight')`))
    .addColumn('destination_region_code', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('open').check(sql`status in ('open', 'sealed', 'released', 'picked', 'shipped', 'failed', 'cancelled')`),
    )
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('window_end', 'timestamptz', (c) => c.notNull())
    .addColumn('carrier_code', 'text')
    .addColumn('tracking_no', 'text')
    .addColumn('failure_reason', 'text')
    .addColumn('intercept_requested_at', 'timestamptz')
    .addColumn('sealed_at', 'timestamptz')
    .addColumn('released_at', 'timestamptz')
    .addColumn('picked_at', 'timestamptz')
    .addColumn('shipped_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // At most one open package per merge key: two orders arriving together cannot open two.
  await sql`create unique index packages_open_key_uq on packages (merge_key) where status = 'open'`.execute(db);

  await db.schema
    .createTable('package_members')
    .addColumn('package_id', 'text', (c) => c.notNull().references('packages.id'))
    .addColumn('order_id', 'text', (c) => c.notNull())
    /** The order's planned package (`<orderId>:<warehouse>:<class>`) this membership ships. */
    .addColumn('package_key', 'text', (c) => c.notNull())
    .addColumn('lines', 'jsonb', (c) => c.notNull())
    .addColumn('weight_g', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('value_fen', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('joined').check(sql`status in ('joined', 'left', 'intercept_requested')`))
    .addColumn('joined_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('left_at', 'timestamptz')
    .addPrimaryKeyConstraint('package_members_pk', ['package_id', 'order_id', 'package_key'])
    .execute();
  // A planned package is in one package at a time; after leaving it may join another.
  await sql`create unique index package_members_active_uq on package_members (order_id, package_key) where status <> 'left'`.execute(db);

  await db.schema
    .createTable('decisions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull())
    /** Names the workflow step that made the decision, so a retried activity writes it once. */
    .addColumn('step_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('allocation', 'split', 'merge', 'carrier')`))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('rule_version', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('record', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('decisions_order_step_uq', ['order_id', 'step_key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['decisions', 'package_members', 'packages', 'transfers', 'reservations', 'carriers', 'inventory_adjustments']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
  await db.schema.alterTable('skus').dropColumn('substitutes').execute();
  await db.schema.alterTable('warehouses').dropColumn('regions_served').dropColumn('current_load').dropColumn('load_date').execute();
}
