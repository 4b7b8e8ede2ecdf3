import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Every decision names the rule set version it was made with, so a version, once written, must read the same
  // forever: versions and publications are append-only, enforced here rather than trusted to the code.
  await sql`
    create function orderly_append_only() returns trigger language plpgsql as $$
    begin
      raise exception '% rows are append-only: % refused', tg_table_name, lower(tg_op) using errcode = 'restrict_violation';
    end
    $$`.execute(db);

  await db.schema
    .createTable('rule_set_versions')
    .addColumn('version', 'integer', (c) => c.primaryKey().check(sql`version >= 1`))
    // The validated RuleSetInput (domain/rules/schema.ts) as written.
    .addColumn('document', 'jsonb', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'text')
    .execute();

  // The version in force is the one of the latest publication (highest id).
  await db.schema
    .createTable('rule_set_publications')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull().references('rule_set_versions.version'))
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('publish', 'rollback')`))
    .addColumn('comment', 'text')
    .addColumn('published_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index rule_set_publications_version_idx on rule_set_publications (version)`.execute(db);

  // Every value a setting ever had, so a decision recorded with (key, version) can be explained later.
  await db.schema
    .createTable('settings_versions')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('settings_versions_pkey', ['key', 'version'])
    .execute();
  // Only the value in force survives from before this migration: earlier versions were overwritten.
  await sql`insert into settings_versions (key, version, value, created_at) select key, version, value, updated_at from settings`.execute(db);

  for (const table of ['rule_set_versions', 'rule_set_publications', 'settings_versions']) {
    await sql`create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.table(table)} for each row execute function orderly_append_only()`.execute(db);
  }

  // SKU master data: the category the review rules test (`categories` fact).
  await db.schema.alterTable('skus').addColumn('category', 'text').execute();

  // The rules' dry run reads the orders created in a period.
  await sql`create index orders_platform_created_at_idx on orders (platform_created_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists orders_platform_created_at_idx`.execute(db);
  await db.schema.alterTable('skus').dropColumn('category').execute();
  await db.schema.dropTable('settings_versions').ifExists().execute();
  await db.schema.dropTable('rule_set_publications').ifExists().execute();
  await db.schema.dropTable('rule_set_versions').ifExists().execute();
  await sql`drop function if exists orderly_append_only()`.execute(db);
}
