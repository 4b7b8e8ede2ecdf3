import type { Generated, Insertable, Selectable } from 'kysely';
import type { Platform } from '../domain/order.js';
import type { OrderStatus } from '../domain/order-status.js';
import type { ChannelTables } from './channels.schema.js';
import type { CreatedAt, Json, Timestamp } from './columns.js';
import type { ExceptionTables } from './exceptions.schema.js';
import type { FulfilmentTables } from './fulfilment.schema.js';
import type { ReviewTables } from './reviews.schema.js';
import type { RuleTables } from './rules.schema.js';

export type { CreatedAt, Json, Timestamp } from './columns.js';

export interface ShopsTable {
  id: string;
  platform: Platform;
  name: string;
  active: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface SkusTable {
  code: string;
  name: string;
  weight_g: Generated<number>;
  volume_cm3: Generated<number>;
  bulky: Generated<boolean>;
  value_fen: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface WarehousesTable {
  code: string;
  name: string;
  province: string;
  city: string;
  district: Generated<string>;
  region_code: string | null;
  lat: number | null;
  lng: number | null;
  active: Generated<boolean>;
  priority: Generated<number>;
  daily_capacity: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface InventoryTable {
  warehouse_code: string;
  sku_code: string;
  on_hand: Generated<number>;
  reserved: Generated<number>;
  updated_at: Timestamp;
}

export interface OrdersTable {
  id: string;
  platform: Platform;
  shop_id: string;
  platform_order_id: string;
  buyer_key: string;
  status: OrderStatus;
  goods_fen: number;
  paid_fen: number;
  receiver_province: Generated<string>;
  receiver_city: Generated<string>;
  receiver_district: Generated<string>;
  /** What lists show of the receiver (2026_12_03_0900_buyer_data_at_rest): `李**`, `139****0001`, the street's digits masked. */
  receiver_name_masked: Generated<string>;
  receiver_phone_masked: Generated<string>;
  receiver_address_masked: Generated<string>;
  /** The receiver as received, sealed (domain/buyer-data.ts); null only on a row not yet migrated. */
  receiver_enc: string | null;
  /** The canonical order with its receiver masked (`receiver_enc` holds it whole). */
  order: Json;
  version: Generated<number>;
  workflow_run_id: string | null;
  platform_created_at: Timestamp;
  paid_at: Timestamp | null;
  released_at: Timestamp | null;
  closed_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface OrderLinesTable {
  order_id: string;
  line_no: number;
  line_id: string | null;
  sku_code: string;
  title: string | null;
  quantity: number;
  unit_price_fen: number;
  discount_fen: number;
  paid_fen: number;
}

export interface ChannelEventsTable {
  id: Generated<string>;
  platform: Platform;
  shop_id: string;
  message_id: string;
  order_id: string | null;
  event_type: string;
  source: string;
  /** The parsed event, sealed as one JSON string (domain/buyer-data.ts); null when the body could not be read. */
  payload: Json | null;
  /** The body as the platform sent it, sealed. */
  raw_body: string | null;
  received_at: CreatedAt;
  dispatched_at: Timestamp | null;
  dispatch_outcome: string | null;
  dispatch_attempts: Generated<number>;
  last_error: string | null;
  /** Held by whoever is delivering the row (the request that stored it, or a relay) until this time. */
  claimed_until: Timestamp | null;
}

export interface OrderEventsTable {
  order_id: string;
  seq: number;
  event_type: string;
  detail: Json;
  occurred_at: Timestamp;
  recorded_at: CreatedAt;
}

/** Admin-tunable rules, versioned. */
export interface SettingsTable {
  key: string;
  value: Json;
  version: number;
  updated_at: Timestamp;
}

/** Buyers as the seller knows them (2026_12_01_0600_customers), keyed by (platform, buyer_key). */
export interface CustomersTable {
  platform: Platform;
  /** The platform's opaque buyer id, as sent. */
  buyer_key: string;
  vip_level: Generated<number>;
  blacklisted: Generated<boolean>;
  blacklist_reason: string | null;
  tags: Generated<string[]>;
  note: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** Data migrations that need the key ring (db/buyer-data-at-rest.repository.ts): done once a pass changes nothing. */
export interface DataMigrationsTable {
  name: string;
  /** Rows changed by every pass so far. */
  rows: Generated<number>;
  last_run_at: Timestamp;
  /** When a pass found nothing left to change; null until then. */
  finished_at: Timestamp | null;
}

/** Every table. Channel and fulfilment tables are declared in their own files. */
export interface Database extends ChannelTables, ExceptionTables, FulfilmentTables, ReviewTables, RuleTables {
  settings: SettingsTable;
  shops: ShopsTable;
  skus: SkusTable;
  warehouses: WarehousesTable;
  inventory: InventoryTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  channel_events: ChannelEventsTable;
  order_events: OrderEventsTable;
  customers: CustomersTable;
  orderly_data_migrations: DataMigrationsTable;
}

export type OrderRow = Selectable<OrdersTable>;
export type NewOrderRow = Insertable<OrdersTable>;
export type ChannelEventRow = Selectable<ChannelEventsTable>;
export type OrderEventRow = Selectable<OrderEventsTable>;
