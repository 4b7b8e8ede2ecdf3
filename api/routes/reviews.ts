import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getReview, listReviews } from '../../db/reviews.repository.js';
import type { ReviewRow } from '../../db/reviews.schema.js';
import { reviewDecisionUpdate } from '../../workflows/order.messages.js';
import { AppError } from '../errors.js';
import { errorBody, iso } from './fulfilment.common.js';
import { shopFilter } from '../plugins/auth.js';

const reviewOut = z.object({
  orderId: z.string(),
  platform: z.string(),
  shopId: z.string(),
  status: z.enum(['pending', 'approved', 'rejected']),
  kind: z.enum(['manual_review', 'hold']).describe('manual_review: a rule asked for a person; hold: a rule held the order until a person decides'),
  reasons: z.array(z.string()),
  fired: z.array(z.record(z.string(), z.unknown())).describe('Every rule that fired: id, rule set version, why, what it did'),
  ruleSetVersion: z.number().int(),
  priority: z.number().int(),
  amountFen: z.number().int(),
  reviewNo: z.number().int(),
  requestedAt: z.string(),
  slaDueAt: z.string(),
  escalatedAt: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decision: z.string().nullable(),
  reviewer: z.string().nullable(),
  comment: z.string().nullable(),
});

function toOut(r: ReviewRow): z.infer<typeof reviewOut> {
  return {
    orderId: r.order_id,
    platform: r.platform,
    shopId: r.shop_id,
    status: r.status,
    kind: r.kind,
    reasons: r.reasons as string[],
    fired: r.fired as Record<string, unknown>[],
    ruleSetVersion: r.rule_set_version,
    priority: r.priority,
    amountFen: Number(r.amount_fen),
    reviewNo: r.review_no,
    requestedAt: r.requested_at.toISOString(),
    slaDueAt: r.sla_due_at.toISOString(),
    escalatedAt: iso(r.escalated_at),
    decidedAt: iso(r.decided_at),
    decision: r.decision,
    reviewer: r.reviewer,
    comment: r.comment,
  };
}

const text = (max: number) => z.string().trim().min(1).max(max);

/** A reviewer's decision. Strict: an unknown field is refused, never silently dropped. */
const decisionBody = z
  .strictObject({
    decision: z.enum(['approve', 'reject', 'edit_and_approve']),
    reviewer: text(100).describe('Who decides (recorded with the decision)'),
    comment: z.string().trim().max(1000).optional(),
    edits: z
      .strictObject({
        receiver: z
          .strictObject({
            name: text(100).optional(),
            phone: z.string().trim().min(3).max(40).regex(/^[0-9*+\- ()#]*$/).optional(),
            province: text(50).optional(),
            city: text(50).optional(),
            district: text(50).optional(),
            town: text(50).optional(),
            detail: text(500).optional(),
            postalCode: text(12).optional(),
          })
          .optional(),
        sellerMemo: z.string().max(1000).optional(),
      })
      .optional()
      .describe('edit_and_approve only: the corrections applied to the order before it goes on'),
  })
  .superRefine((b, ctx) => {
    if (b.decision === 'edit_and_approve' && !b.edits) ctx.addIssue({ code: 'custom', path: ['edits'], message: 'edit_and_approve needs edits' });
    if (b.decision !== 'edit_and_approve' && b.edits) ctx.addIssue({ code: 'custom', path: ['edits'], message: 'edits are only taken with edit_and_approve' });
  });

const orderIdParams = z.object({ orderId: z.string().min(1).max(300) });

export const reviewRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal } = app.services;

  app.get(
    '/v1/reviews',
    {
      schema: {
        tags: ['reviews'],
        summary: 'The manual-review queue: highest priority first, then the oldest',
        querystring: z.strictObject({
          status: z.enum(['pending', 'approved', 'rejected']).default('pending'),
          shopId: z.string().min(1).max(64).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
        }),
        response: { 200: z.object({ items: z.array(reviewOut) }), 400: errorBody },
      },
    },
    async (req) => ({ items: (await listReviews(db, { ...req.query, ...shopFilter(req) })).map(toOut) }),
  );

  app.get(
    '/v1/reviews/:orderId',
    {
      schema: {
        tags: ['reviews'],
        summary: "An order's latest review: why it waits, its SLA, the decision",
        params: orderIdParams,
        response: { 200: reviewOut, 404: errorBody },
      },
    },
    async (req) => {
      const row = await getReview(db, req.params.orderId);
      if (!row) throw new AppError('not_found', `order ${req.params.orderId} has never waited for a review`);
      return toOut(row);
    },
  );

  app.post(
    '/v1/reviews/:orderId',
    {
      schema: {
        tags: ['reviews'],
        summary: 'Decide an order waiting for manual review: approve, reject, or edit then approve',
        description:
          'Sent to the order workflow as the `reviewDecision` Temporal update. Only an order waiting for a review can be decided, once: a second decision, or a decision on an order not waiting, is refused with 409.',
        params: orderIdParams,
        body: decisionBody,
        response: {
          200: z.object({ orderId: z.string(), reviewNo: z.number().int(), decision: z.string(), status: z.enum(['approved', 'rejected']) }),
          400: errorBody,
          404: errorBody,
          409: errorBody,
          503: errorBody,
        },
      },
    },
    async (req) => {
      const { orderId } = req.params;
      const b = req.body;
      const decision = { decision: b.decision, reviewer: b.reviewer, ...(b.comment ? { comment: b.comment } : {}), ...(b.edits ? { edits: b.edits } : {}) };
      try {
        const result = await temporal.workflow.getHandle(orderId).executeUpdate(reviewDecisionUpdate, { args: [decision] });
        req.log.info({ orderId, reviewNo: result.reviewNo, decision: b.decision, reviewer: b.reviewer }, 'review decided');
        return result;
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) throw new AppError('not_found', `no order workflow ${orderId}`);
        if (e instanceof WorkflowUpdateFailedError) throw new AppError('conflict', e.cause?.message ?? e.message);
        // An order that already finished cannot take an update.
        if ((e as Error).message?.includes('workflow execution already completed')) throw new AppError('conflict', `order ${orderId} has finished: nothing to review`);
        throw new AppError('unavailable', `Temporal did not answer: ${(e as Error).message}`);
      }
    },
  );
};
