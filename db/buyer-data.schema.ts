// The audit of buyer-data decryption (migration 2026_11_26_1200_buyer_data_audit). Declared apart from
// schema.ts and merged in with `db.withTables<BuyerDataTables>()` by its repository.
import type { Generated, Selectable } from 'kysely';
import type { Platform } from '../domain/order.js';
import type { Json, Timestamp } from './columns.js';

export type BuyerDataAuditOutcome = 'started' | 'ok' | 'partial' | 'failed';

/** One call to a platform's decrypt API. Holds no plaintext and no ciphertext. */
export interface BuyerDataAuditTable {
  id: Generated<string>;
  shop_id: string;
  platform: Platform;
  /** The platform API method called. */
  method: string;
  /** Why plaintext was needed (e.g. `warehouse_handoff`). */
  purpose: string;
  /** Who asked: a user, a service, or the workflow on whose behalf the step runs. */
  requested_by: string;
  /** The Temporal workflow and activity that made the call, when it ran under Temporal. */
  caller: string | null;
  /** Platform order ids whose data the call asked for. */
  order_ids: Json<string[]>;
  /** Values sent (ciphertexts, or oaids). */
  items: number;
  decrypted: Generated<number>;
  failed: Generated<number>;
  outcome: Generated<BuyerDataAuditOutcome>;
  error: string | null;
  called_at: Generated<Date>;
  finished_at: Timestamp | null;
}

export type BuyerDataTables = {
  buyer_data_audit: BuyerDataAuditTable;
};

export type BuyerDataAuditRow = Selectable<BuyerDataAuditTable>;
