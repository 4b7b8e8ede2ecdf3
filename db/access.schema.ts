// API keys and the audit log (migration 2026_12_02_1000_api_keys_audit). Declared apart from schema.ts and
// merged in with `db.withTables<AccessTables>()` by their repositories.
import type { Generated, Selectable } from 'kysely';
import type { Role } from '../domain/access.js';
import type { CreatedAt, Json, Timestamp } from './columns.js';

/** An API key: only the hash of its secret is kept. */
export interface ApiKeysTable {
  id: string;
  name: string;
  role: Role;
  /** Null: every shop. */
  shop_ids: string[] | null;
  /** The secret's first characters, to tell keys apart; not enough to use it. */
  prefix: string;
  /** sha256 of the secret, hex. */
  secret_hash: string;
  created_at: CreatedAt;
  created_by: string | null;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
}

/** One request through the API by a key: who, what, when, the change, the outcome. Append-only. */
export interface AuditLogTable {
  id: Generated<number>;
  at: CreatedAt;
  key_id: string | null;
  key_name: string | null;
  role: string | null;
  method: string;
  /** The route pattern, e.g. `/v1/shops/:id`. */
  route: string;
  params: Json<Record<string, string>>;
  action: string;
  shop_id: string | null;
  before: Json | null;
  after: Json | null;
  status: number;
  request_id: string | null;
}

export type AccessTables = {
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
};

export type ApiKeyRow = Selectable<ApiKeysTable>;
export type AuditRow = Selectable<AuditLogTable>;
