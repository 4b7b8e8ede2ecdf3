import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findSku, insertSku, listSkus, updateSku, type SkuRow } from '../../db/stock.repository.js';
import { fen } from '../../domain/money.schema.js';
import { AppError } from '../errors.js';
import { code, codeParams, errorBody } from './fulfilment.common.js';

// Without defaults, so a PATCH leaves out what it does not name; the create body adds the defaults.
const skuFields = z.strictObject({
  name: z.string().trim().min(1).max(300),
  weightG: z.number().int().min(0).max(10_000_000),
  volumeCm3: z.number().int().min(0).max(1_000_000_000),
  bulky: z.boolean().describe('Bulky goods travel by freight'),
  valueFen: fen,
  substitutes: z.array(code).max(20).describe('SKUs that may replace this one, best first'),
  category: z.string().trim().min(1).max(100).nullable().describe("For the review rules' `categories` fact; null: none"),
});
const skuBody = skuFields.extend({
  code,
  weightG: skuFields.shape.weightG.default(0),
  volumeCm3: skuFields.shape.volumeCm3.default(0),
  bulky: skuFields.shape.bulky.default(false),
  valueFen: skuFields.shape.valueFen.default(0),
  substitutes: skuFields.shape.substitutes.default([]),
  category: skuFields.shape.category.optional(),
});
const skuPatch = skuFields.partial();

const skuOut = z.object({
  code: z.string(),
  name: z.string(),
  weightG: z.number().int(),
  volumeCm3: z.number().int(),
  bulky: z.boolean(),
  valueFen: z.number().int(),
  substitutes: z.array(z.string()),
  category: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function out(r: SkuRow): z.infer<typeof skuOut> {
  return {
    code: r.code,
    name: r.name,
    weightG: r.weight_g,
    volumeCm3: r.volume_cm3,
    bulky: r.bulky,
    valueFen: r.value_fen,
    substitutes: r.substitutes,
    category: r.category,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

function checkSubstitutes(codeOf: string, subs: readonly string[] | undefined): void {
  if (subs?.includes(codeOf)) throw new AppError('bad_request', `SKU ${codeOf} cannot substitute itself`);
}

export const skuRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;

  app.get(
    '/v1/skus',
    { schema: { tags: ['skus'], summary: 'List SKUs', response: { 200: z.object({ items: z.array(skuOut) }) } } },
    async () => ({ items: (await listSkus(db)).map(out) }),
  );

  app.get(
    '/v1/skus/:code',
    { schema: { tags: ['skus'], summary: 'One SKU', params: codeParams, response: { 200: skuOut, 404: errorBody } } },
    async (req) => {
      const row = await findSku(db, req.params.code);
      if (!row) throw new AppError('not_found', `unknown SKU ${req.params.code}`);
      return out(row);
    },
  );

  app.post(
    '/v1/skus',
    { schema: { tags: ['skus'], summary: 'Create a SKU', body: skuBody, response: { 201: skuOut, 400: errorBody, 409: errorBody } } },
    async (req, reply) => {
      const b = req.body;
      checkSubstitutes(b.code, b.substitutes);
      const row = await insertSku(db, b);
      if (!row) throw new AppError('conflict', `SKU ${b.code} already exists`);
      return reply.status(201).send(out(row));
    },
  );

  app.patch(
    '/v1/skus/:code',
    { schema: { tags: ['skus'], summary: 'Change a SKU', params: codeParams, body: skuPatch, response: { 200: skuOut, 400: errorBody, 404: errorBody } } },
    async (req) => {
      const b = req.body;
      checkSubstitutes(req.params.code, b.substitutes);
      const row = await updateSku(db, req.params.code, b);
      if (!row) throw new AppError('not_found', `unknown SKU ${req.params.code}`);
      return out(row);
    },
  );
};
