// Tables of the fulfilment side (carriers, reservations, transfers, packages, decisions). Each table's
// interface is added to FulfilmentTables, which Database extends.
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { DecisionKind, LogisticsClass } from '../domain/fulfilment/index.js';
import type { CreatedAt, Json, Timestamp } from './columns.js';

type Int8 = ColumnType<number, number | undefined, number>;
type TextArray = ColumnType<string[], string[] | undefined, string[]>;

// The fulfilment migration adds columns to two tables the initial schema owns; they are declared here, beside
// the migration that adds them, by augmenting those tables' interfaces.
declare module './schema.js' {
  interface WarehousesTable {
    regions_served: TextArray;
    /** Orders allocated to the warehouse on `load_date` and not released (see `warehouse_load`). */
    current_load: Generated<number>;
    /** The warehouse's local day (in `time_zone`) `current_load` counts; another day means a load of zero. */
    load_date: ColumnType<Date | string | null, string | null | undefined, string | null>;
    /** IANA time zone of the warehouse (2026_11_26_0900_warehouse_load_day); default Asia/Shanghai. */
    time_zone: Generated<string>;
  }
  interface SkusTable {
    substitutes: TextArray;
  }
}

export interface InventoryAdjustmentsTable {
  id: Generated<number>;
  warehouse_code: string;
  sku_code: string;
  delta: number;
  on_hand_after: number;
  reason: string;
  reference: string | null;
  created_at: CreatedAt;
}

export interface CarriersTable {
  code: string;
  name: string;
  services: LogisticsClass[];
  regions_covered: TextArray;
  min_weight_g: Generated<number>;
  max_weight_g: number;
  premium: Generated<boolean>;
  active: Generated<boolean>;
  /** `CarrierRate[]` of domain/fulfilment. */
  rates: Json;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type ReservationStatus = 'reserved' | 'released' | 'consumed';

export interface ReservationsTable {
  id: Generated<number>;
  order_id: string;
  line_ref: string;
  warehouse_code: string;
  sku_code: string;
  quantity: number;
  status: ColumnType<ReservationStatus, ReservationStatus | undefined, ReservationStatus>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** `done`: rows from before transfers had a workflow of their own. */
export type TransferStatus = 'requested' | 'shipped' | 'received' | 'done' | 'cancelled';

export interface TransfersTable {
  id: Generated<number>;
  order_id: string;
  line_ref: string;
  sku_code: string;
  from_warehouse_code: string;
  to_warehouse_code: string;
  quantity: number;
  status: ColumnType<TransferStatus, TransferStatus | undefined, TransferStatus>;
  tracking_no: ColumnType<string | null, string | null | undefined, string | null>;
  expected_arrival: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  shipped_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  received_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  received_quantity: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type PackageStatus = 'open' | 'sealed' | 'released' | 'picked' | 'shipped' | 'failed' | 'cancelled' | 'intercepted';

export interface PackagesTable {
  id: string;
  merge_key: string;
  shop_id: string;
  warehouse_code: string;
  logistics_class: LogisticsClass;
  destination_region_code: string;
  status: ColumnType<PackageStatus, PackageStatus | undefined, PackageStatus>;
  window_start: Timestamp;
  window_end: Timestamp;
  carrier_code: string | null;
  tracking_no: string | null;
  failure_reason: string | null;
  intercept_requested_at: Timestamp | null;
  sealed_at: Timestamp | null;
  released_at: Timestamp | null;
  picked_at: Timestamp | null;
  shipped_at: Timestamp | null;
  intercepted_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type MemberStatus = 'joined' | 'left' | 'intercept_requested';

export interface PackageMembersTable {
  package_id: string;
  order_id: string;
  package_key: string;
  /** `PackageLine[]` of domain/fulfilment. */
  lines: Json;
  weight_g: number;
  value_fen: Int8;
  status: ColumnType<MemberStatus, MemberStatus | undefined, MemberStatus>;
  joined_at: CreatedAt;
  left_at: Timestamp | null;
  /** The member order's carrier rules (2026_12_01_0900_member_carrier_rules); null: the defaults. */
  carrier_rules: ColumnType<Json | null, string | null | undefined, string | null>;
}

export interface DecisionsTable {
  id: Generated<number>;
  order_id: string;
  step_key: string;
  kind: DecisionKind;
  subject: string;
  rule_id: string;
  rule_version: number;
  outcome: string;
  /** The full `DecisionRecord`. */
  record: Json;
  created_at: CreatedAt;
}

/** An order counted against a warehouse's daily capacity, once per plan attempt. */
export interface WarehouseLoadTable {
  order_id: string;
  warehouse_code: string;
  attempt: number;
  /** `YYYY-MM-DD` in the warehouse's time zone when the order was allocated to it. */
  local_day: ColumnType<Date | string, string, string>;
  counted_at: CreatedAt;
  released_at: Timestamp | null;
}

export interface FulfilmentTables {
  inventory_adjustments: InventoryAdjustmentsTable;
  warehouse_load: WarehouseLoadTable;
  carriers: CarriersTable;
  reservations: ReservationsTable;
  transfers: TransfersTable;
  packages: PackagesTable;
  package_members: PackageMembersTable;
  decisions: DecisionsTable;
}

export type PackageRow = Selectable<PackagesTable>;
export type PackageMemberRow = Selectable<PackageMembersTable>;
export type CarrierRow = Selectable<CarriersTable>;
export type DecisionRow = Selectable<DecisionsTable>;
