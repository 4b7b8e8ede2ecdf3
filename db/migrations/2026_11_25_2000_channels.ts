import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Channel settings live on the shop itself: one row per shop, whatever the platform.
  await db.schema
    .alterTable('shops')
    .addColumn('credentials_enc', 'text')
    .addColumn('credentials_hint', 'text')
    .addColumn('api_base_url', 'text')
    .addColumn('sync_mode', 'text', (c) => c.notNull().defaultTo('push').check(sql`sync_mode in ('push', 'pull', 'both')`))
    .addColumn('pull_interval_s', 'integer', (c) => c.notNull().defaultTo(60).check(sql`pull_interval_s between 5 and 86400`))
    .addColumn('pull_lag_s', 'integer', (c) => c.check(sql`pull_lag_s >= 0`))
    .addColumn('pull_overlap_s', 'integer', (c) => c.check(sql`pull_overlap_s >= 0`))
    .addColumn('process_presale_at_deposit', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();

  await db.schema
    .createTable('pull_cursors')
    .addColumn('shop_id', 'text', (c) => c.primaryKey().references('shops.id').onDelete('cascade'))
    // Everything modified before this instant has been pulled.
    .addColumn('cursor_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_run_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('orders_seen', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('channel_writebacks')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('shop_id', 'text', (c) => c.notNull())
    .addColumn('platform_order_id', 'text', (c) => c.notNull())
    .addColumn('carrier_code', 'text', (c) => c.notNull())
    .addColumn('tracking_no', 'text', (c) => c.notNull())
    .addColumn('line_ids', 'jsonb')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'sent', 'rejected')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('response', 'text')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('channel_writebacks_order_tracking', ['order_id', 'tracking_no'])
    .execute();

  await db.schema
    .createTable('exceptions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('shop_id', 'text')
    .addColumn('order_id', 'text')
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status in ('open', 'resolved')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('exceptions_open_by_kind').on('exceptions').columns(['kind', 'shop_id']).where(sql.ref('status'), '=', 'open').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['exceptions', 'channel_writebacks', 'pull_cursors']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema
    .alterTable('shops')
    .dropColumn('credentials_enc')
    .dropColumn('credentials_hint')
    .dropColumn('api_base_url')
    .dropColumn('sync_mode')
    .dropColumn('pull_interval_s')
    .dropColumn('pull_lag_s')
    .dropColumn('pull_overlap_s')
    .dropColumn('process_presale_at_deposit')
    .execute();
}
