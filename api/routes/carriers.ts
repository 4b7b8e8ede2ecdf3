import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CarrierRow } from '../../db/fulfilment.schema.js';
import { findCarrier, insertCarrier, listCarriers, updateCarrier } from '../../db/stock.repository.js';
import { listCarrierPlatformCodes, replaceCarrierPlatformCodes } from '../../db/carrier-codes.repository.js';
import type { CarrierCodePlatform, CarrierPlatformCodeRow } from '../../db/channels.schema.js';
import { PLATFORM_CARRIER_CODE } from '../../channels/writeback.js';
import { fen } from '../../domain/money.schema.js';
import { AppError } from '../errors.js';
import { code, codeParams, errorBody, regionCode } from './fulfilment.common.js';

const service = z.enum(['express', 'freight']);

/** 1,000 t: heavier than any parcel or freight consignment, and within the PostgreSQL integer the limits are kept in. */
const MAX_WEIGHT_G = 1_000_000_000;

const rate = z.strictObject({
  service,
  regions: z.array(regionCode).max(500).default([]).describe('Destinations this rate applies to; empty: the default rate'),
  firstWeightG: z.number().int().min(0),
  firstFen: fen,
  stepG: z.number().int().min(0),
  stepFen: fen,
});

// Without defaults, so a PATCH leaves out what it does not name; the create body adds the defaults.
const carrierFields = z.strictObject({
  name: z.string().trim().min(1).max(200),
  services: z.array(service).min(1).max(2),
  regionsCovered: z.array(regionCode).max(1000).describe('Regions it delivers to; empty means everywhere'),
  minWeightG: z.number().int().min(0).max(MAX_WEIGHT_G),
  maxWeightG: z.number().int().positive().max(MAX_WEIGHT_G),
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

// Each platform's own name for a carrier: Taobao and Douyin a company code, JD and PDD a numeric id.
const platformCode = (p: CarrierCodePlatform, example: string, what: string) =>
  z
    .string()
    .trim()
    .regex(PLATFORM_CARRIER_CODE[p], `${p} expects ${what}`)
    .describe(`${p} logistics company ${what}, e.g. ${example}`);

const platformCodes = z
  .strictObject({
    taobao: platformCode('taobao', 'SF', 'company code (taobao.logistics.companies.get)').optional(),
    jd: platformCode('jd', '467', 'numeric company id (logiCoprId)').optional(),
    douyin: platformCode('douyin', 'shunfeng', 'company code (order.logisticsCompanyList)').optional(),
    pdd: platformCode('pdd', '44', 'numeric logistics id (pdd.logistics.companies.get)').optional(),
  })
  .describe('The carrier on each platform; a platform left out has no code, and write-backs there are rejected');

const platformCodesOut = z.object({
  carrierCode: z.string(),
  platformCodes: z.object({ taobao: z.string().optional(), jd: z.string().optional(), douyin: z.string().optional(), pdd: z.string().optional() }),
  unverified: z.array(z.enum(['taobao', 'jd', 'douyin', 'pdd'])).describe('Platforms whose code is a seeded value not yet confirmed: check them'),
});

function codesOut(carrierCode: string, rows: readonly CarrierPlatformCodeRow[]): z.infer<typeof platformCodesOut> {
  return {
    carrierCode,
    platformCodes: Object.fromEntries(rows.map((r) => [r.platform, r.platform_code])),
    unverified: rows.filter((r) => !r.verified).map((r) => r.platform),
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

  app.get(
    '/v1/carriers/:code/platform-codes',
    {
      schema: {
        tags: ['carriers'],
        summary: "The carrier's logistics company code or id on each platform",
        description: 'Write-backs send these instead of the carrier code. Seeded for the common carriers; `unverified` lists seeded values to check.',
        params: codeParams,
        response: { 200: platformCodesOut, 404: errorBody },
      },
    },
    async (req) => {
      const carrier = await findCarrier(db, req.params.code);
      if (!carrier) throw new AppError('not_found', `unknown carrier ${req.params.code}`);
      return codesOut(carrier.code, await listCarrierPlatformCodes(db, carrier.code));
    },
  );

  app.put(
    '/v1/carriers/:code/platform-codes',
    {
      schema: {
        tags: ['carriers'],
        summary: "Set the carrier's logistics company code or id on each platform",
        description: 'Replaces every platform code of the carrier: a platform left out is unmapped. Unknown platforms or fields are rejected.',
        params: codeParams,
        body: platformCodes,
        response: { 200: platformCodesOut, 400: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const carrier = await findCarrier(db, req.params.code);
      if (!carrier) throw new AppError('not_found', `unknown carrier ${req.params.code}`);
      return codesOut(carrier.code, await replaceCarrierPlatformCodes(db, carrier.code, req.body));
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
