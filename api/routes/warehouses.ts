import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findWarehouse, insertWarehouse, listWarehouses, loadOn, updateWarehouse, type WarehouseRow } from '../../db/stock.repository.js';
import { parseAddress, regionCentre } from '../../domain/address/index.js';
import { DEFAULT_TIME_ZONE, localDay, timeZoneName } from '../../domain/local-day.js';
import { AppError } from '../errors.js';
import { code, codeParams, errorBody, regionCode } from './fulfilment.common.js';

// Without defaults, so a PATCH leaves out what it does not name; the create body adds the defaults.
const warehouseFields = z.strictObject({
  name: z.string().trim().min(1).max(200),
  province: z.string().trim().min(1).max(50),
  city: z.string().trim().min(1).max(50),
  district: z.string().trim().max(50),
  regionCode: regionCode.optional().describe('Resolved from province/city/district when omitted'),
  lat: z.number().min(-90).max(90).optional().describe('Taken from the region centre when omitted'),
  lng: z.number().min(-180).max(180).optional(),
  active: z.boolean(),
  priority: z.number().int().min(0).max(1000).describe('Lower ships first when all else is equal'),
  dailyCapacity: z.number().int().min(0).max(10_000_000).describe('Orders per day, counted on its local calendar day (timeZone)'),
  regionsServed: z.array(regionCode).max(500).describe('Region codes it ships to; empty means everywhere'),
  timeZone: z
    .string()
    .trim()
    .max(64)
    .refine((v) => timeZoneName(v) !== undefined, 'must be an IANA time zone such as Asia/Shanghai')
    .describe("IANA time zone of the warehouse: its daily load counts the calendar day there"),
});

const warehouseBody = warehouseFields.extend({
  code,
  district: warehouseFields.shape.district.default(''),
  active: warehouseFields.shape.active.default(true),
  priority: warehouseFields.shape.priority.default(0),
  dailyCapacity: warehouseFields.shape.dailyCapacity.default(10_000),
  regionsServed: warehouseFields.shape.regionsServed.default([]),
  timeZone: warehouseFields.shape.timeZone.default(DEFAULT_TIME_ZONE),
});
const warehousePatch = warehouseFields.partial();

const warehouseOut = z.object({
  code: z.string(),
  name: z.string(),
  province: z.string(),
  city: z.string(),
  district: z.string(),
  regionCode: z.string().nullable(),
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  active: z.boolean(),
  priority: z.number().int(),
  dailyCapacity: z.number().int(),
  regionsServed: z.array(z.string()),
  timeZone: z.string(),
  currentLoad: z.number().int().describe('Orders allocated to it on its local calendar day today (loadDate), not cancelled before release'),
  loadDate: z.string().nullable().describe('Its local calendar day today'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function out(r: WarehouseRow): z.infer<typeof warehouseOut> {
  const now = new Date();
  return {
    code: r.code,
    name: r.name,
    province: r.province,
    city: r.city,
    district: r.district,
    regionCode: r.region_code,
    lat: r.lat,
    lng: r.lng,
    active: r.active,
    priority: r.priority,
    dailyCapacity: r.daily_capacity,
    regionsServed: r.regions_served,
    timeZone: r.time_zone,
    currentLoad: loadOn(r, now),
    loadDate: localDay(now, r.time_zone),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Fills the region code and coordinates from the address library when the caller left them out. */
function locate(w: { province: string; city: string; district: string; regionCode?: string | undefined; lat?: number | undefined; lng?: number | undefined }) {
  let region = w.regionCode;
  if (!region) {
    const r = parseAddress({ province: w.province, city: w.city, district: w.district });
    if (r.status !== 'resolved') {
      throw new AppError('bad_request', `cannot resolve the warehouse's region from "${w.province} ${w.city} ${w.district}" (${r.status}); give regionCode`);
    }
    region = r.region.code;
  }
  let { lat, lng } = w;
  if (lat === undefined || lng === undefined) {
    const c = regionCentre(region);
    if (!c) throw new AppError('bad_request', `no centre point known for region ${region}; give lat and lng`);
    lat = c.lat;
    lng = c.lng;
  }
  return { regionCode: region, lat, lng };
}

export const warehouseRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;

  app.get(
    '/v1/warehouses',
    { schema: { tags: ['warehouses'], summary: 'List warehouses', response: { 200: z.object({ items: z.array(warehouseOut) }) } } },
    async () => ({ items: (await listWarehouses(db)).map(out) }),
  );

  app.get(
    '/v1/warehouses/:code',
    { schema: { tags: ['warehouses'], summary: 'One warehouse', params: codeParams, response: { 200: warehouseOut, 404: errorBody } } },
    async (req) => {
      const row = await findWarehouse(db, req.params.code);
      if (!row) throw new AppError('not_found', `unknown warehouse ${req.params.code}`);
      return out(row);
    },
  );

  app.post(
    '/v1/warehouses',
    {
      schema: {
        tags: ['warehouses'],
        summary: 'Create a warehouse',
        body: warehouseBody,
        response: { 201: warehouseOut, 400: errorBody, 409: errorBody },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const row = await insertWarehouse(db, { ...b, ...locate(b), timeZone: timeZoneName(b.timeZone) ?? b.timeZone });
      if (!row) throw new AppError('conflict', `warehouse ${b.code} already exists`);
      return reply.status(201).send(out(row));
    },
  );

  app.patch(
    '/v1/warehouses/:code',
    {
      schema: {
        tags: ['warehouses'],
        summary: 'Change a warehouse (deactivate with `active: false`)',
        params: codeParams,
        body: warehousePatch,
        response: { 200: warehouseOut, 400: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const current = await findWarehouse(db, req.params.code);
      if (!current) throw new AppError('not_found', `unknown warehouse ${req.params.code}`);
      const b = req.body;
      const moved = b.province !== undefined || b.city !== undefined || b.district !== undefined || b.regionCode !== undefined;
      const loc = moved
        ? locate({
            province: b.province ?? current.province,
            city: b.city ?? current.city,
            district: b.district ?? current.district,
            regionCode: b.regionCode,
            lat: b.lat,
            lng: b.lng,
          })
        : { lat: b.lat, lng: b.lng };
      const timeZone = b.timeZone === undefined ? undefined : (timeZoneName(b.timeZone) ?? b.timeZone);
      const row = await updateWarehouse(db, req.params.code, { ...b, ...loc, timeZone });
      if (!row) throw new AppError('not_found', `unknown warehouse ${req.params.code}`);
      return out(row);
    },
  );
};
