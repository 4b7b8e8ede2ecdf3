import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findPackage, listPackages } from '../../db/packages.repository.js';
import { utcInstant } from '../../domain/order.js';
import { packageWorkflowId, warehouseEventSignal, type WarehouseEvent } from '../../workflows/package.messages.js';
import { AppError } from '../errors.js';
import { errorBody, iso } from './fulfilment.common.js';

const packageParams = z.object({ id: z.string().min(1).max(100).describe('Package id; its workflow is `package:<id>`') });

const eventId = z.string().trim().min(1).max(200).optional().describe('Idempotency key; the same id is applied once');
const eventBody = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('picked'), eventId, at: utcInstant.optional() }),
  z.strictObject({
    type: z.literal('shipped'),
    eventId,
    carrierCode: z.string().trim().min(1).max(64),
    trackingNo: z.string().trim().min(4).max(64).regex(/^[A-Za-z0-9-]+$/, 'tracking numbers are letters, digits and "-"'),
    at: utcInstant.optional(),
  }),
  z.strictObject({ type: z.literal('failed'), eventId, reason: z.string().trim().min(1).max(500), at: utcInstant.optional() }),
  z.strictObject({ type: z.literal('intercepted'), eventId, at: utcInstant.optional() }),
  z.strictObject({ type: z.literal('intercept_failed'), eventId, reason: z.string().trim().min(1).max(500).optional(), at: utcInstant.optional() }),
]);

const packageOut = z.object({
  id: z.string(),
  workflowId: z.string(),
  status: z.string(),
  shopId: z.string(),
  warehouseCode: z.string(),
  logisticsClass: z.string(),
  destinationRegionCode: z.string(),
  windowStart: z.string(),
  windowEnd: z.string(),
  carrierCode: z.string().nullable(),
  trackingNo: z.string().nullable(),
  failureReason: z.string().nullable(),
  interceptRequestedAt: z.string().nullable(),
  sealedAt: z.string().nullable(),
  releasedAt: z.string().nullable(),
  pickedAt: z.string().nullable(),
  shippedAt: z.string().nullable(),
  members: z.array(
    z.object({
      orderId: z.string(),
      packageKey: z.string(),
      status: z.string(),
      lines: z.array(z.object({ lineRef: z.string(), skuCode: z.string(), quantity: z.number().int() })),
      weightG: z.number().int(),
      valueFen: z.number().int(),
      joinedAt: z.string(),
      leftAt: z.string().nullable(),
    }),
  ),
});

/** The fields every view of a package starts with. */
function packageHead(p: {
  id: string;
  status: string;
  shop_id: string;
  warehouse_code: string;
  logistics_class: string;
  destination_region_code: string;
  carrier_code: string | null;
  tracking_no: string | null;
}) {
  return {
    id: p.id,
    workflowId: packageWorkflowId(p.id),
    status: p.status,
    shopId: p.shop_id,
    warehouseCode: p.warehouse_code,
    logisticsClass: p.logistics_class,
    destinationRegionCode: p.destination_region_code,
    carrierCode: p.carrier_code,
    trackingNo: p.tracking_no,
  };
}

/** The workflow's event for a validated request body. */
function warehouseEvent(eventId: string, b: z.infer<typeof eventBody>): WarehouseEvent {
  const at = b.at ? { at: b.at } : {};
  switch (b.type) {
    case 'shipped':
      return { eventId, type: 'shipped', carrierCode: b.carrierCode, trackingNo: b.trackingNo, ...at };
    case 'failed':
      return { eventId, type: 'failed', reason: b.reason, ...at };
    case 'intercept_failed':
      return { eventId, type: 'intercept_failed', ...(b.reason ? { reason: b.reason } : {}), ...at };
    case 'picked':
    case 'intercepted':
      return { eventId, type: b.type, ...at };
  }
}

const PACKAGE_STATUSES = ['open', 'sealed', 'released', 'picked', 'shipped', 'failed', 'cancelled', 'intercepted'] as const;

const listQuery = z.object({
  status: z.enum(PACKAGE_STATUSES).optional().describe('Only packages in this status; a WMS asks for `released`'),
  warehouse: z.string().trim().min(1).max(64).optional().describe('Only packages of this warehouse code'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().trim().min(1).max(100).optional().describe('`nextCursor` of the previous page'),
});

const packageSummary = packageOut
  .pick({
    id: true,
    workflowId: true,
    status: true,
    shopId: true,
    warehouseCode: true,
    logisticsClass: true,
    destinationRegionCode: true,
    carrierCode: true,
    trackingNo: true,
    releasedAt: true,
    pickedAt: true,
    shippedAt: true,
  })
  .extend({ createdAt: z.string(), memberOrderIds: z.array(z.string()) });

export const packageRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal } = app.services;

  app.get(
    '/v1/packages',
    {
      schema: {
        tags: ['packages'],
        summary: 'Packages, oldest first, for a WMS to find parcels released to it',
        description:
          'Ordered by creation time then id, paged by a keyset: pass `nextCursor` as `cursor` for the next page (null on the last). ' +
          'A package that changes status between pages drops out of a status filter without shifting the rest.',
        querystring: listQuery,
        response: { 200: z.object({ items: z.array(packageSummary), nextCursor: z.string().nullable() }), 400: errorBody },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listPackages(db, { limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.warehouse ? { warehouseCode: q.warehouse } : {}), ...(q.cursor ? { after: q.cursor } : {}) });
      if (!page) throw new AppError('bad_request', `cursor ${q.cursor} names no package`);
      return {
        items: page.items.map((p) => ({
          ...packageHead(p),
          createdAt: p.created_at.toISOString(),
          releasedAt: iso(p.released_at),
          pickedAt: iso(p.picked_at),
          shippedAt: iso(p.shipped_at),
          memberOrderIds: p.member_order_ids,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/v1/packages/:id',
    { schema: { tags: ['packages'], summary: 'One package with its member orders', params: packageParams, response: { 200: packageOut, 404: errorBody } } },
    async (req) => {
      const found = await findPackage(db, req.params.id);
      if (!found) throw new AppError('not_found', `unknown package ${req.params.id}`);
      const { pkg: p, members } = found;
      return {
        ...packageHead(p),
        windowStart: p.window_start.toISOString(),
        windowEnd: p.window_end.toISOString(),
        failureReason: p.failure_reason,
        interceptRequestedAt: iso(p.intercept_requested_at),
        sealedAt: iso(p.sealed_at),
        releasedAt: iso(p.released_at),
        pickedAt: iso(p.picked_at),
        shippedAt: iso(p.shipped_at),
        members: members.map((m) => ({
          orderId: m.order_id,
          packageKey: m.package_key,
          status: m.status,
          lines: m.lines as { lineRef: string; skuCode: string; quantity: number }[],
          weightG: m.weight_g,
          valueFen: m.value_fen,
          joinedAt: m.joined_at.toISOString(),
          leftAt: iso(m.left_at),
        })),
      };
    },
  );

  app.post(
    '/v1/packages/:id/events',
    {
      schema: {
        tags: ['packages'],
        summary: 'Report what the warehouse did with a package: picked, shipped (carrier and tracking number), failed',
        description: 'For a WMS or a person. The package workflow applies each event id once and tells every member order.',
        params: packageParams,
        body: eventBody,
        response: { 202: z.object({ packageId: z.string(), workflowId: z.string(), eventId: z.string(), status: z.literal('accepted') }), 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      const found = await findPackage(db, id);
      if (!found) throw new AppError('not_found', `unknown package ${id}`);
      if (found.pkg.status === 'open') throw new AppError('conflict', `package ${id} is still open: it has not been released to the warehouse`);
      const b = req.body;
      const eventId = b.eventId ?? `${b.type}:${id}${b.type === 'shipped' ? `:${b.trackingNo}` : ''}`;
      const event = warehouseEvent(eventId, b);
      try {
        await temporal.workflow.getHandle(packageWorkflowId(id)).signal(warehouseEventSignal, event);
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) throw new AppError('conflict', `package ${id} is ${found.pkg.status}: its workflow has finished`);
        throw e;
      }
      return reply.status(202).send({ packageId: id, workflowId: packageWorkflowId(id), eventId, status: 'accepted' as const });
    },
  );
};
