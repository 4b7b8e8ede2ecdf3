import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listDecisions } from '../../db/decisions.repository.js';
import { orderExists } from '../../db/orders.repository.js';
import { AppError } from '../errors.js';
import { errorBody } from './fulfilment.common.js';

const candidate = z.object({
  id: z.string(),
  score: z.number(),
  rank: z.number().int(),
  criteria: z.record(z.string(), z.number()),
  metrics: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
});
const excluded = z.object({ id: z.string(), reasons: z.array(z.object({ code: z.string(), message: z.string() })) });

const decisionOut = z.object({
  id: z.number().int(),
  step: z.string(),
  kind: z.enum(['review', 'priority', 'allocation', 'split', 'merge', 'carrier']),
  subject: z.string(),
  ruleId: z.string(),
  ruleVersion: z.number().int(),
  outcome: z.string(),
  chosen: z.array(z.string()),
  candidates: z.array(candidate),
  excluded: z.array(excluded),
  steps: z.array(z.object({ step: z.string(), outcome: z.string() })),
  createdAt: z.string(),
});

interface StoredRecord {
  chosen: string[];
  candidates: z.infer<typeof candidate>[];
  excluded: z.infer<typeof excluded>[];
  steps: { step: string; outcome: string }[];
}

export const decisionRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;

  app.get(
    '/v1/orders/:id/decisions',
    {
      schema: {
        tags: ['orders'],
        summary: "The order's decision log: review verdicts, priority, allocation, split, merge and carrier choices",
        description: 'Each decision names its rule and version, every candidate weighed with its scores, and why each excluded one was excluded; a review names every rule that fired, its rule set version and why.',
        params: z.object({ id: z.string().min(1) }),
        response: { 200: z.object({ orderId: z.string(), items: z.array(decisionOut) }), 404: errorBody },
      },
    },
    async (req) => {
      const id = req.params.id;
      const rows = await listDecisions(db, id);
      if (rows.length === 0 && !(await orderExists(db, id))) throw new AppError('not_found', `unknown order ${id}`);
      return {
        orderId: id,
        items: rows.map((r) => {
          const rec = r.record as StoredRecord;
          return {
            id: r.id,
            step: r.step_key,
            kind: r.kind,
            subject: r.subject,
            ruleId: r.rule_id,
            ruleVersion: r.rule_version,
            outcome: r.outcome,
            chosen: rec.chosen,
            candidates: rec.candidates,
            excluded: rec.excluded,
            steps: rec.steps,
            createdAt: r.created_at.toISOString(),
          };
        }),
      };
    },
  );
};
