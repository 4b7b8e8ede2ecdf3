import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.
//
// The exception center: every exception gets a type, a severity, an owner role and a due time (its SLA), an
// escalation level, ranked suggestions and, once closed, its resolution; `exception_events` keeps its history.
// The values below are written out (not imported from domain/exceptions) so that this migration does the same
// thing whenever it runs, whatever the domain later becomes.

const TYPES = [
  'OUT_OF_STOCK',
  'ADDRESS_AMBIGUOUS',
  'INCOMPLETE_INFO',
  'PAYMENT_FAILED',
  'PRICE_MISMATCH',
  'BLACKLISTED',
  'REFUND_IN_PROGRESS',
  'PLATFORM_CHANGED',
  'SHIPMENT_OVERDUE',
  'WAREHOUSE_REJECTED',
  'INTERCEPT_FAILED',
  'SYNC_FAILING',
  'REVIEW_OVERDUE',
  'REVIEW_REJECTED',
];

const list = (xs: readonly string[]) => sql.join(xs.map((x) => sql.lit(x)));

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table exceptions
      add column type text,
      add column severity text,
      add column owner_role text,
      add column owner text,
      add column priority integer not null default 0,
      add column warehouse_code text,
      add column due_at timestamptz,
      add column escalation_level integer not null default 0,
      add column suggestions jsonb not null default '[]'::jsonb,
      add column resolution jsonb,
      add column resolved_by text,
      add column resolved_at timestamptz,
      add column updated_at timestamptz not null default now()
  `.execute(db);

  // Existing rows: the type from their kind (as exceptionTypeOf maps it on the day of this migration), the
  // default policy's severity and owner for that type, and due two hours after they were opened.
  await sql`
    update exceptions set type = case
      when kind = 'out_of_stock' then 'OUT_OF_STOCK'
      when kind = 'address_ambiguous' then 'ADDRESS_AMBIGUOUS'
      when kind = 'incomplete' then 'INCOMPLETE_INFO'
      when kind in ('payment_failed', 'balance_overdue') then 'PAYMENT_FAILED'
      when kind = 'price_mismatch' then 'PRICE_MISMATCH'
      when kind = 'blacklisted' then 'BLACKLISTED'
      when kind = 'refund' then 'REFUND_IN_PROGRESS'
      when kind in ('changed_after_release', 'platform_changed') then 'PLATFORM_CHANGED'
      when kind = 'shipment_overdue' then 'SHIPMENT_OVERDUE'
      when kind in ('shipment_failed', 'warehouse_rejected') then 'WAREHOUSE_REJECTED'
      when kind = 'intercept_failed' then 'INTERCEPT_FAILED'
      when kind = 'review_overdue' then 'REVIEW_OVERDUE'
      when kind = 'review_rejected' then 'REVIEW_REJECTED'
      when kind like 'channel\\_%' then 'SYNC_FAILING'
      else 'INCOMPLETE_INFO'
    end
  `.execute(db);
  await sql`
    update exceptions set
      severity = case type
        when 'SHIPMENT_OVERDUE' then 'critical'
        when 'SYNC_FAILING' then 'critical'
        when 'OUT_OF_STOCK' then 'high'
        when 'PAYMENT_FAILED' then 'high'
        when 'PRICE_MISMATCH' then 'high'
        when 'PLATFORM_CHANGED' then 'high'
        when 'WAREHOUSE_REJECTED' then 'high'
        when 'INTERCEPT_FAILED' then 'high'
        else 'medium'
      end,
      owner_role = case type
        when 'OUT_OF_STOCK' then 'ops'
        when 'PLATFORM_CHANGED' then 'ops'
        when 'PAYMENT_FAILED' then 'finance'
        when 'PRICE_MISMATCH' then 'finance'
        when 'SHIPMENT_OVERDUE' then 'warehouse'
        when 'WAREHOUSE_REJECTED' then 'warehouse'
        when 'SYNC_FAILING' then 'admin'
        when 'REVIEW_OVERDUE' then 'ops_lead'
        else 'customer_service'
      end,
      due_at = created_at + interval '2 hours',
      updated_at = created_at
  `.execute(db);

  // Every exception has a type, a severity, an owner role and a due time: the database refuses one without.
  await sql`
    alter table exceptions
      alter column type set not null,
      alter column severity set not null,
      alter column owner_role set not null,
      alter column due_at set not null,
      add constraint exceptions_type_check check (type in (${list(TYPES)})),
      add constraint exceptions_severity_check check (severity in ('critical', 'high', 'medium', 'low')),
      add constraint exceptions_owner_role_check check (owner_role <> ''),
      add constraint exceptions_escalation_level_check check (escalation_level between 0 and 3),
      add constraint exceptions_resolution_check check (status = 'resolved' or (resolution is null and resolved_at is null and resolved_by is null)),
      add column severity_rank smallint generated always as (
        case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end
      ) stored
  `.execute(db);

  // The queue's order (critical first, then priority, then the earliest due), by status; keyset pages walk it.
  await sql`create index exceptions_queue_idx on exceptions (status, severity_rank, (-priority), due_at, id)`.execute(db);
  await sql`create index exceptions_type_idx on exceptions (type, status)`.execute(db);
  await sql`create index exceptions_shop_idx on exceptions (shop_id, status)`.execute(db);
  await sql`create index exceptions_order_idx on exceptions (order_id) where order_id is not null`.execute(db);
  await sql`create index exceptions_warehouse_idx on exceptions (warehouse_code, status) where warehouse_code is not null`.execute(db);
  await sql`create index exceptions_owner_idx on exceptions (owner, status) where owner is not null`.execute(db);
  await sql`create index exceptions_owner_role_idx on exceptions (owner_role, status)`.execute(db);
  // Overdue: open and past due.
  await sql`create index exceptions_open_due_idx on exceptions (due_at) where status = 'open'`.execute(db);

  // What happened to each exception, in order. Append-only: rows are never changed or removed.
  await db.schema
    .createTable('exception_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('exception_id', 'bigint', (c) => c.notNull().references('exceptions.id'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('event', 'text', (c) => c.notNull().check(sql`event in ('opened', 'assigned', 'escalated', 'resolved', 'notified', 'reopened')`))
    .addColumn('actor', 'text')
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await sql`create index exception_events_exception_idx on exception_events (exception_id, id)`.execute(db);
  await sql`
    create function exception_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'exception_events is append-only (% refused)', tg_op;
    end
    $$
  `.execute(db);
  await sql`
    create trigger exception_events_append_only before update or delete on exception_events
    for each row execute function exception_events_append_only()
  `.execute(db);

  // The history of existing rows starts with their opening (and their closing, when already resolved).
  await sql`
    insert into exception_events (exception_id, at, event, actor, detail)
    select id, created_at, 'opened', null, jsonb_build_object('kind', kind, 'type', type, 'backfilled', true) from exceptions order by id
  `.execute(db);
  await sql`
    insert into exception_events (exception_id, at, event, actor, detail)
    select id, now(), 'resolved', null, jsonb_build_object('backfilled', true) from exceptions where status = 'resolved' order by id
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('exception_events').execute();
  await sql`drop function exception_events_append_only()`.execute(db);
  for (const i of ['queue', 'type', 'shop', 'order', 'warehouse', 'owner', 'owner_role', 'open_due']) await sql`drop index ${sql.ref(`exceptions_${i}_idx`)}`.execute(db);
  await sql`
    alter table exceptions
      drop constraint exceptions_type_check,
      drop constraint exceptions_severity_check,
      drop constraint exceptions_owner_role_check,
      drop constraint exceptions_escalation_level_check,
      drop constraint exceptions_resolution_check,
      drop column severity_rank,
      drop column type,
      drop column severity,
      drop column owner_role,
      drop column owner,
      drop column priority,
      drop column warehouse_code,
      drop column due_at,
      drop column escalation_level,
      drop column suggestions,
      drop column resolution,
      drop column resolved_by,
      drop column resolved_at,
      drop column updated_at
  `.execute(db);
}
