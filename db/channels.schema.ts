// Tables of the channel side (shops' credentials, pull cursors, write-backs, alerts). Each table's interface
// is added to ChannelTables, which Database extends.
import type { Generated, Selectable } from 'kysely';
import type { Platform } from '../domain/order.js';
import type { CreatedAt, Json, Timestamp } from './columns.js';

export type SyncMode = 'push' | 'pull' | 'both';
export type WritebackStatus = 'pending' | 'sent' | 'rejected';
/** How a package was told to its platform: the order's shipment, a split one (its lines), or an added tracking number. */
export type WritebackCallKind = 'whole' | 'split' | 'additional';
/** Platforms with a logistics company list of their own. */
export type CarrierCodePlatform = Exclude<Platform, 'manual'>;
// Exceptions moved to exceptions.schema.ts (the exception center); re-exported for existing callers.
export type { ExceptionRow, ExceptionStatus, ExceptionsTable } from './exceptions.schema.js';

/**
 * Columns the channels migration adds to `shops`. `shops` itself is declared in schema.ts, so these are
 * merged in with `db.withTables<ShopChannelTables>()` by the shops repository.
 */
export interface ShopChannelColumns {
  /** AES-256-GCM ciphertext of the credentials JSON (see channels/credentials.ts); never leaves the server. */
  credentials_enc: string | null;
  /** A masked hint ("app key 12****89") that may be shown. */
  credentials_hint: string | null;
  /** The platform gateway; unset means the platform's production URL (set to the simulator in tests). */
  api_base_url: string | null;
  sync_mode: Generated<SyncMode>;
  pull_interval_s: Generated<number>;
  /** Null: the platform's own lag (channels/<platform>/pull.ts). */
  pull_lag_s: number | null;
  /** Null: PULL_OVERLAP from the config. */
  pull_overlap_s: number | null;
  process_presale_at_deposit: Generated<boolean>;
}

export type ShopChannelTables = {
  shops: ShopChannelColumns;
};

export interface PullCursorsTable {
  shop_id: string;
  cursor_at: Timestamp;
  last_run_at: Timestamp | null;
  last_success_at: Timestamp | null;
  consecutive_failures: Generated<number>;
  last_error: string | null;
  orders_seen: Generated<number>;
  updated_at: Timestamp;
}

export interface ChannelWritebacksTable {
  id: Generated<string>;
  order_id: string;
  platform: Platform;
  shop_id: string;
  platform_order_id: string;
  carrier_code: string;
  tracking_no: string;
  line_ids: Json<string[]> | null;
  package_id: string | null;
  /** The platform's code or id of the carrier, as sent (a later package of the order may repeat it). */
  platform_carrier_code: string | null;
  call: WritebackCallKind | null;
  status: Generated<WritebackStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  response: string | null;
  sent_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** Orderly's carrier code -> the platform's logistics company code or id (seeded; edited through the carriers API). */
export interface CarrierPlatformCodesTable {
  platform: CarrierCodePlatform;
  carrier_code: string;
  platform_code: string;
  /** False for seeded values public material could not confirm; true once an admin set them. */
  verified: Generated<boolean>;
  updated_at: Timestamp;
}

export interface ChannelTables {
  pull_cursors: PullCursorsTable;
  channel_writebacks: ChannelWritebacksTable;
  carrier_platform_codes: CarrierPlatformCodesTable;
}

export type PullCursorRow = Selectable<PullCursorsTable>;
export type WritebackRow = Selectable<ChannelWritebacksTable>;
export type CarrierPlatformCodeRow = Selectable<CarrierPlatformCodesTable>;
