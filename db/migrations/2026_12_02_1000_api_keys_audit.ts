import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // API keys. Only a hash of the secret is stored (the secret is shown once, when the key is created); the
  // prefix is the secret's first characters, kept to tell keys apart in lists and logs. A revoked key keeps
  // its row, so the audit log can still name it, and is refused from the moment `revoked_at` is set.
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'ops', 'reviewer', 'connector', 'warehouse', 'viewer')`))
    // Null: every shop; otherwise the only shops whose orders, exceptions and reviews the key sees.
    .addColumn('shop_ids', sql`text[]`, (c) => c.check(sql`shop_ids is null or cardinality(shop_ids) >= 1`))
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // The key that created it; null for the key made at first start.
    .addColumn('created_by', 'text')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text')
    .execute();

  // Who did what through the API, and how it ended. Append-only, like the rule set publications: the
  // trigger function of 2026_12_01_0700_rule_sets refuses UPDATE and DELETE.
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Who: the key (id, name and role as they were at the time).
    .addColumn('key_id', 'text')
    .addColumn('key_name', 'text')
    .addColumn('role', 'text')
    // What: the request, the route pattern it matched, its path parameters and a short action name.
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('params', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('shop_id', 'text')
    // The state the route changed, before and after, where the route knows it; never a secret.
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    // The HTTP status answered.
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .execute();
  await sql`create index audit_log_key_idx on audit_log (key_id, id)`.execute(db);
  await sql`create index audit_log_action_idx on audit_log (action, id)`.execute(db);
  await sql`create index audit_log_shop_idx on audit_log (shop_id, id) where shop_id is not null`.execute(db);
  await sql`create index audit_log_at_idx on audit_log (at)`.execute(db);
  await sql`create trigger audit_log_append_only before update or delete on audit_log for each row execute function orderly_append_only()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').ifExists().execute();
  await db.schema.dropTable('api_keys').ifExists().execute();
}
