import { sql } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CarrierRow } from '../../db/fulfilment.schema.js';
import { findCarrier, listCarriers } from '../../db/stock.repository.js';
import { fen } from '../../domain/money.schema.js';
import { AppError } from '../errors.js';
import { code, codeParams, errorBody, isUniqueViolation, regionCode } from './fulfilment.common.js';

const service = z.enum(['express', 'freight']);

const rate = z.object({
  service,
  regions: z.array(regionCode).max(500).default([]).describe('Destinations this rate applies to; empty: the default rate'),
  firstWeightG: z.number().int().min(0),
  firstFen: fen,
  stepG: z.number().int().min(0),
  stepFen: fen,
});

// Without defaults, so a PATCH leaves out what it does not name; the create body adds the defaults.
const carrierFields = z.object({
  name: z.string().trim().min(1).max(200),
  services: z.array(service).min(1).max(2),
  regionsCovered: z.array(regionCode).max(1000).describe('Regions it delivers to; empty means everywhere'),
  minWeightG: z.number().int().min(0),
  maxWeightG: z.number().int().positive(),
  premium: z.boolean().describe('Insured, signed-for service for high-value parcels'),
  active: z.boolean(),
  rates: z.array(rate).min(1).max(500).describe('Cost table: first weight plus each started step'),
});
const carrierBody = carrierFields.extend({
  code,
  regionsCovered: carrierFields.shape.regionsCovered.default([]),
  minWeightG: carrierFields.shape.minWeightG.default(0),
  premium: carrierFields.shape.premium.default(false),
  active: carrierFields.shape.active.default(true),
});
const carrierPatch = carrierFields.partial();

const carrierOut = z.object({
  code: z.string(),
  name: z.string(),
  services: z.array(service),
  regionsCovered: z.array(z.string()),
  minWeightG: z.number().int(),
  maxWeightG: z.number().int(),
  premium: z.boolean(),
  active: z.boolean(),
  rates: z.array(rate),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function out(r: CarrierRow): z.infer<typeof carrierOut> {
  return {
    code: r.code,
    name: r.name,
    services: r.services as ('express' | 'freight')[],
    regionsCovered: r.regions_covered,
    minWeightG: r.min_weight_g,
    maxWeightG: r.max_weight_g,
    premium: r.premium,
    active: r.active,
    rates: r.rates as z.infer<typeof rate>[],
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

function checkLimits(min: number, max: number, services: readonly string[], rates: readonly { service: string }[]): void {
  if (min > max) throw new AppError('bad_request', `minWeightG ${min} is above maxWeightG ${max}`);
  const missing = rates.filter((r) => !services.includes(r.service)).map((r) => r.service);
  if (missing.length) throw new AppError('bad_request', `rates for services the carrier does not offer: ${[...new Set(missing)].join(', ')}`);
}

export const carrierRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;

  app.get(
    '/v1/carriers',
    { schema: { tags: ['carriers'], summary: 'List carriers', response: { 200: z.object({ items: z.array(carrierOut) }) } } },
    async () => ({ items: (await listCarriers(db)).map(out) }),
  );

  app.get(
    '/v1/carriers/:code',
    { schema: { tags: ['carriers'], summary: 'One carrier', params: codeParams, response: { 200: carrierOut, 404: errorBody } } },
    async (req) => {
      const row = await findCarrier(db, req.params.code);
      if (!row) throw new AppError('not_found', `unknown carrier ${req.params.code}`);
      return out(row);
    },
  );

  app.post(
    '/v1/carriers',
    { schema: { tags: ['carriers'], summary: 'Create a carrier', body: carrierBody, response: { 201: carrierOut, 400: errorBody, 409: errorBody } } },
    async (req, reply) => {
      const b = req.body;
      checkLimits(b.minWeightG, b.maxWeightG, b.services, b.rates);
      try {
        const row = await db
          .insertInto('carriers')
          .values({
            code: b.code,
            name: b.name,
            services: b.services,
            regions_covered: b.regionsCovered,
            min_weight_g: b.minWeightG,
            max_weight_g: b.maxWeightG,
            premium: b.premium,
            active: b.active,
            rates: JSON.stringify(b.rates),
            updated_at: sql<Date>`now()`,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return reply.status(201).send(out(row));
      } catch (e) {
        if (isUniqueViolation(e)) throw new AppError('conflict', `carrier ${b.code} already exists`);
        throw e;
      }
    },
  );

  app.patch(
    '/v1/carriers/:code',
    {
      schema: { tags: ['carriers'], summary: 'Change a carrier', params: codeParams, body: carrierPatch, response: { 200: carrierOut, 400: errorBody, 404: errorBody } },
    },
    async (req) => {
      const current = await findCarrier(db, req.params.code);
      if (!current) throw new AppError('not_found', `unknown carrier ${req.params.code}`);
      const b = req.body;
      checkLimits(b.minWeightG ?? current.min_weight_g, b.maxWeightG ?? current.max_weight_g, b.services ?? current.services, b.rates ?? (current.rates as { service: string }[]));
      const row = await db
        .updateTable('carriers')
        .set({
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.services !== undefined ? { services: b.services } : {}),
          ...(b.regionsCovered !== undefined ? { regions_covered: b.regionsCovered } : {}),
          ...(b.minWeightG !== undefined ? { min_weight_g: b.minWeightG } : {}),
          ...(b.maxWeightG !== undefined ? { max_weight_g: b.maxWeightG } : {}),
          ...(b.premium !== undefined ? { premium: b.premium } : {}),
          ...(b.active !== undefined ? { active: b.active } : {}),
          ...(b.rates !== undefined ? { rates: JSON.stringify(b.rates) } : {}),
          updated_at: sql<Date>`now()`,
        })
        .where('code', '=', req.params.code)
        .returningAll()
        .executeTakeFirstOrThrow();
      return out(row);
    },
  );
};
