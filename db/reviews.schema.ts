// The manual-review queue (2026_12_01_0710_reviews), merged into Database like the fulfilment tables.
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { Json, Timestamp } from './columns.js';

type Int8 = ColumnType<number, number | undefined, number>;

export type ReviewStatus = 'pending' | 'approved' | 'rejected';

export interface ReviewsTable {
  order_id: string;
  platform: string;
  shop_id: string;
  status: ReviewStatus;
  kind: 'manual_review' | 'hold';
  reasons: Json;
  fired: Json;
  rule_set_version: number;
  priority: Generated<number>;
  amount_fen: Int8;
  review_no: Generated<number>;
  requested_at: Timestamp;
  sla_due_at: Timestamp;
  escalated_at: Timestamp | null;
  decided_at: Timestamp | null;
  decision: string | null;
  reviewer: string | null;
  comment: string | null;
  updated_at: Timestamp;
}

export interface ReviewTables {
  reviews: ReviewsTable;
}

export type ReviewRow = Selectable<ReviewsTable>;
