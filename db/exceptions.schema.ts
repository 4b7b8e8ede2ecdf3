// The exception center (2026_11_25_2000_channels, 2026_12_01_0800_exception_center): exceptions and their
// append-only history, merged into Database like the fulfilment tables.
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { Suggestion } from '../domain/exceptions/actions.js';
import type { ExceptionStatus, ExceptionType, OwnerRole, Severity } from '../domain/exceptions/model.js';
import type { CreatedAt, Json, Timestamp } from './columns.js';

export type { ExceptionStatus } from '../domain/exceptions/model.js';

/** bigserial: read as a number (database.ts parses int8), never written. */
type Serial = ColumnType<number, never, never>;

/** How an exception was closed, as stored in `exceptions.resolution`. */
export interface StoredResolution {
  action: string;
  /** With a receiver's name, phone or street masked (edit_order, choose_address): see `paramsSealed`. */
  params?: Record<string, unknown>;
  /** The params as given, sealed (domain/buyer-data.ts), when masking changed them. */
  paramsSealed?: string;
  comment?: string;
}

export interface ExceptionsTable {
  id: Serial;
  /** The specific cause, as the code that raised it names it (`intercept_failed`, `channel_pull_failing`). */
  kind: string;
  type: ExceptionType;
  severity: Severity;
  /** 0 critical .. 3 low: the queue's first key. Computed by the database. */
  severity_rank: ColumnType<number, never, never>;
  /** Who owns it now (a role); changes as it escalates. */
  owner_role: OwnerRole;
  /** The person it is assigned to, if any. */
  owner: string | null;
  priority: Generated<number>;
  shop_id: string | null;
  order_id: string | null;
  warehouse_code: string | null;
  detail: Json<Record<string, unknown>>;
  status: Generated<ExceptionStatus>;
  due_at: Timestamp;
  escalation_level: Generated<number>;
  suggestions: ColumnType<Suggestion[], string | undefined, string>;
  resolution: Json<StoredResolution> | null;
  resolved_by: string | null;
  resolved_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export const EXCEPTION_EVENTS = ['opened', 'assigned', 'escalated', 'resolved', 'notified', 'reopened'] as const;
export type ExceptionEventType = (typeof EXCEPTION_EVENTS)[number];

/** Append-only (a trigger refuses updates and deletes). */
export interface ExceptionEventsTable {
  id: Serial;
  exception_id: number;
  at: ColumnType<Date, Date | string | undefined, never>;
  event: ExceptionEventType;
  /** Who did it (a person, `orderly` for the engine); null when it was the clock (an SLA). */
  actor: string | null;
  detail: ColumnType<Record<string, unknown>, string | undefined, never>;
}

export interface ExceptionTables {
  exceptions: ExceptionsTable;
  exception_events: ExceptionEventsTable;
}

export type ExceptionRow = Selectable<ExceptionsTable>;
export type ExceptionEventRow = Selectable<ExceptionEventsTable>;
