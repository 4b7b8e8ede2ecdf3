import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adjustInventory, findInventory, findSku, findWarehouse, listAdjustments, listInventory, type InventoryRow } from '../../db/stock.repository.js';
import type { Db } from '../../db/database.js';
import { wakeStockWaiters } from '../../ingest/stock-wake.js';
import { AppError } from '../errors.js';
import { code, errorBody } from './fulfilment.common.js';

const itemParams = z.object({ warehouseCode: code, skuCode: code });

const level = z.object({
  warehouseCode: z.string(),
  skuCode: z.string(),
  onHand: z.number().int(),
  reserved: z.number().int().describe('Promised to orders, not yet shipped'),
  available: z.number().int().describe('On hand minus reserved: what may still be promised'),
  updatedAt: z.string().nullable(),
});

const adjustmentOut = z.object({
  id: z.number().int(),
  delta: z.number().int(),
  onHandAfter: z.number().int(),
  reason: z.string(),
  reference: z.string().nullable(),
  createdAt: z.string(),
});

function levelOf(r: InventoryRow): z.infer<typeof level> {
  return {
    warehouseCode: r.warehouse_code,
    skuCode: r.sku_code,
    onHand: r.on_hand,
    reserved: r.reserved,
    available: r.on_hand - r.reserved,
    updatedAt: r.updated_at.toISOString(),
  };
}

async function requireItem(db: Db, warehouseCode: string, skuCode: string): Promise<void> {
  const [w, s] = await Promise.all([findWarehouse(db, warehouseCode), findSku(db, skuCode)]);
  if (!w) throw new AppError('not_found', `unknown warehouse ${warehouseCode}`);
  if (!s) throw new AppError('not_found', `unknown SKU ${skuCode}`);
}

export const inventoryRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal, logger } = app.services;

  app.get(
    '/v1/inventory',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Stock levels per warehouse and SKU',
        querystring: z.object({ warehouseCode: code.optional(), skuCode: code.optional() }),
        response: { 200: z.object({ items: z.array(level) }), 400: errorBody },
      },
    },
    async (req) => ({ items: (await listInventory(db, req.query)).map(levelOf) }),
  );

  app.get(
    '/v1/inventory/:warehouseCode/:skuCode',
    { schema: { tags: ['inventory'], summary: 'Stock of one SKU in one warehouse', params: itemParams, response: { 200: level, 404: errorBody } } },
    async (req) => {
      const { warehouseCode, skuCode } = req.params;
      const row = await findInventory(db, warehouseCode, skuCode);
      if (row) return levelOf(row);
      await requireItem(db, warehouseCode, skuCode);
      return { warehouseCode, skuCode, onHand: 0, reserved: 0, available: 0, updatedAt: null };
    },
  );

  app.post(
    '/v1/inventory/:warehouseCode/:skuCode/adjustments',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Change on-hand stock, with a reason (stock count, receipt, damage, ...)',
        description: 'On hand may not go below what is reserved for orders: 409 then. Every adjustment is kept as an audit record.',
        params: itemParams,
        body: z.strictObject({
          delta: z.number().int().min(-10_000_000).max(10_000_000).refine((n) => n !== 0, 'delta must not be zero'),
          reason: z.string().trim().min(1).max(500),
          reference: z.string().trim().min(1).max(200).optional().describe('Stock-count sheet, receipt or ticket number'),
        }),
        response: { 201: z.object({ adjustment: adjustmentOut, level }), 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req, reply) => {
      const { warehouseCode, skuCode } = req.params;
      await requireItem(db, warehouseCode, skuCode);
      const r = await adjustInventory(db, { warehouseCode, skuCode, ...req.body });
      if (!r.ok) {
        const why = r.reason === 'negative' ? 'on hand would go negative' : `on hand would fall below the ${r.reserved} unit(s) reserved for orders`;
        throw new AppError('conflict', `cannot adjust ${warehouseCode}/${skuCode} by ${req.body.delta}: ${why}`, { onHand: r.onHand, reserved: r.reserved });
      }
      // The adjustment is one atomic change of on hand, so what it was is what it is now less the delta.
      req.auditChange(
        { warehouseCode, skuCode, onHand: r.row.on_hand - req.body.delta, reserved: r.row.reserved },
        { warehouseCode, skuCode, onHand: r.row.on_hand, reserved: r.row.reserved, adjustmentId: r.adjustmentId, delta: req.body.delta, reason: req.body.reason, reference: req.body.reference ?? null },
      );
      // More stock (a count, a receipt): the orders waiting for it are told in their turn. Best effort, after
      // the commit: the adjustment stands whatever Temporal says, and an order not told re-plans on its own.
      if (req.body.delta > 0) await wakeStockWaiters({ db, client: temporal, logger }, [{ warehouseCode, skuCode }], 'adjustment');
      return reply.status(201).send({
        adjustment: {
          id: r.adjustmentId,
          delta: req.body.delta,
          onHandAfter: r.row.on_hand,
          reason: req.body.reason,
          reference: req.body.reference ?? null,
          createdAt: r.adjustedAt.toISOString(),
        },
        level: levelOf(r.row),
      });
    },
  );

  app.get(
    '/v1/inventory/:warehouseCode/:skuCode/adjustments',
    {
      schema: {
        tags: ['inventory'],
        summary: 'The audit trail of one stock item, newest first',
        params: itemParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ items: z.array(adjustmentOut) }), 404: errorBody },
      },
    },
    async (req) => {
      const { warehouseCode, skuCode } = req.params;
      await requireItem(db, warehouseCode, skuCode);
      const rows = await listAdjustments(db, warehouseCode, skuCode, req.query.limit);
      return {
        items: rows.map((a) => ({ id: a.id, delta: a.delta, onHandAfter: a.on_hand_after, reason: a.reason, reference: a.reference, createdAt: a.created_at.toISOString() })),
      };
    },
  );
};
