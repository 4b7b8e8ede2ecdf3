import { sql } from 'kysely';
import type { Db } from './database.js';
import type { ReviewRow, ReviewStatus } from './reviews.schema.js';

export interface ReviewRequest {
  orderId: string;
  platform: string;
  shopId: string;
  kind: 'manual_review' | 'hold';
  reasons: string[];
  fired: unknown[];
  ruleSetVersion: number;
  priority: number;
  amountFen: number;
  /** The order's review count: a request or decision of an earlier review never overwrites a later one. */
  reviewNo: number;
  requestedAt: string;
  slaDueAt: string;
}

/** Puts the order in the queue (pending), or refreshes its row for a new review of the same order. */
export async function requestReview(db: Db, r: ReviewRequest): Promise<void> {
  const values = {
    order_id: r.orderId,
    platform: r.platform,
    shop_id: r.shopId,
    status: 'pending' as const,
    kind: r.kind,
    reasons: JSON.stringify(r.reasons),
    fired: JSON.stringify(r.fired),
    rule_set_version: r.ruleSetVersion,
    priority: r.priority,
    amount_fen: r.amountFen,
    review_no: r.reviewNo,
    requested_at: r.requestedAt,
    sla_due_at: r.slaDueAt,
  };
  await db
    .insertInto('reviews')
    .values(values)
    .onConflict((oc) =>
      oc
        .column('order_id')
        .doUpdateSet({
          ...values,
          escalated_at: null,
          decided_at: null,
          decision: null,
          reviewer: null,
          comment: null,
          updated_at: new Date(),
        })
        .where('reviews.review_no', '<=', r.reviewNo),
    )
    .execute();
}

export interface ReviewDecisionRecord {
  orderId: string;
  reviewNo: number;
  status: Exclude<ReviewStatus, 'pending'>;
  decision: string;
  reviewer: string;
  comment?: string;
  decidedAt: string;
}

/** Records the decision of the order's review `reviewNo` (a person's, or the end of a timed hold). */
export async function recordReviewDecision(db: Db, d: ReviewDecisionRecord): Promise<boolean> {
  const r = await db
    .updateTable('reviews')
    .set({ status: d.status, decision: d.decision, reviewer: d.reviewer, comment: d.comment ?? null, decided_at: d.decidedAt, updated_at: new Date() })
    .where('order_id', '=', d.orderId)
    .where('review_no', '=', d.reviewNo)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Marks a pending review as escalated (its SLA passed); true the first time only. */
export async function markReviewEscalated(db: Db, orderId: string, reviewNo: number, at: string): Promise<boolean> {
  const r = await db
    .updateTable('reviews')
    .set({ escalated_at: at, updated_at: new Date() })
    .where('order_id', '=', orderId)
    .where('review_no', '=', reviewNo)
    .where('status', '=', 'pending')
    .where('escalated_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export interface ReviewQuery {
  status?: ReviewStatus;
  shopId?: string;
  /** Only these shops (an API key limited to them); absent: every shop. */
  shopIds?: readonly string[];
  limit: number;
  offset: number;
}

/** The queue: highest priority first, then the oldest request. */
export async function listReviews(db: Db, q: ReviewQuery): Promise<ReviewRow[]> {
  let query = db.selectFrom('reviews').selectAll();
  if (q.status) query = query.where('status', '=', q.status);
  if (q.shopId) query = query.where('shop_id', '=', q.shopId);
  if (q.shopIds) query = q.shopIds.length ? query.where('shop_id', 'in', [...q.shopIds]) : query.where(sql<boolean>`false`);
  return query.orderBy('priority', 'desc').orderBy('requested_at', 'asc').orderBy('order_id').limit(q.limit).offset(q.offset).execute();
}

export async function getReview(db: Db, orderId: string): Promise<ReviewRow | undefined> {
  return db.selectFrom('reviews').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}
