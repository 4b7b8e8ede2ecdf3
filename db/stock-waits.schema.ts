// Orders waiting for stock (migration 2026_12_01_0430_stock_waits). Declared apart from schema.ts and merged
// in with `db.withTables<StockWaitsTables>()` by its repository.
import type { Selectable } from 'kysely';
import type { CreatedAt, Timestamp } from './columns.js';

/** One SKU one short order waits for. */
export interface StockWaitsTable {
  order_id: string;
  sku_code: string;
  /** null: any warehouse. */
  warehouse_code: string | null;
  /** Units of the SKU the order needs in all. */
  quantity: number;
  /** Units that were missing when it was last planned. */
  short: number;
  priority: number;
  paid_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  /** Told that stock arrived, not re-planned since. */
  woken_at: Timestamp | null;
}

export type StockWaitsTables = {
  stock_waits: StockWaitsTable;
};

export type StockWaitRow = Selectable<StockWaitsTable>;
