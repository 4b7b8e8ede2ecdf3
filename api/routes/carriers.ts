import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CarrierRow } from '../../db/fulfilment.schema.js';
import { findCarrier, insertCarrier, listCarriers, updateCarrier } from '../../db/stock.repository.js';
import { fen } from '../../domain/money.schema.js';
import { AppError } from '../errors.js';
import { code, codeParams, errorBody, regionCode } from './fulfilment.common.js';

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
    services: r.services,
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
      const row = await insertCarrier(db, b);
      if (!row) throw new AppError('conflict', `carrier ${b.code} already exists`);
      return reply.status(201).send(out(row));
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
      const row = await updateCarrier(db, req.params.code, b);
      if (!row) throw new AppError('not_found', `unknown carrier ${req.params.code}`);
      return out(row);
    },
  );
};
