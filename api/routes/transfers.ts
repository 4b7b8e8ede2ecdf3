import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findTransfer } from '../../db/reservations.repository.js';
import { utcInstant } from '../../domain/order.js';
import { transferEventSignal, transferWorkflowId, type TransferEvent } from '../../workflows/transfer.messages.js';
import { AppError } from '../errors.js';
import { errorBody, iso } from './fulfilment.common.js';

const transferParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('Transfer id; its workflow is `transfer:<id>`') });

const eventId = z.string().trim().min(1).max(200).optional().describe('Idempotency key; the same id is applied once');
const eventBody = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('shipped'),
    eventId,
    trackingNo: z.string().trim().min(4).max(64).regex(/^[A-Za-z0-9-]+$/, 'tracking numbers are letters, digits and "-"').optional(),
    expectedArrival: utcInstant.describe('When the units are expected at the target warehouse (UTC)'),
    at: utcInstant.optional(),
  }),
  z.strictObject({
    type: z.literal('received'),
    eventId,
    quantity: z.number().int().positive().describe('Units received at the target: the whole transfer'),
    at: utcInstant.optional(),
  }),
]);

const transferOut = z.object({
  id: z.number().int(),
  workflowId: z.string(),
  orderId: z.string(),
  lineRef: z.string(),
  skuCode: z.string(),
  quantity: z.number().int(),
  fromWarehouseCode: z.string(),
  toWarehouseCode: z.string(),
  status: z.string(),
  trackingNo: z.string().nullable(),
  expectedArrival: z.string().nullable(),
  shippedAt: z.string().nullable(),
  receivedAt: z.string().nullable(),
  createdAt: z.string(),
});

/** Done with: nothing more may be reported. `done` is a transfer from before transfers had a workflow. */
const FINISHED = ['received', 'done', 'cancelled'];

export const transferRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal } = app.services;

  app.get(
    '/v1/transfers/:id',
    { schema: { tags: ['transfers'], summary: 'One stock transfer between warehouses, for the order it serves', params: transferParams, response: { 200: transferOut, 400: errorBody, 404: errorBody } } },
    async (req) => {
      const t = await findTransfer(db, req.params.id);
      if (!t) throw new AppError('not_found', `unknown transfer ${req.params.id}`);
      return {
        id: t.id,
        workflowId: transferWorkflowId(t.id),
        orderId: t.order_id,
        lineRef: t.line_ref,
        skuCode: t.sku_code,
        quantity: t.quantity,
        fromWarehouseCode: t.from_warehouse_code,
        toWarehouseCode: t.to_warehouse_code,
        status: t.status,
        trackingNo: t.tracking_no,
        expectedArrival: iso(t.expected_arrival),
        shippedAt: iso(t.shipped_at),
        receivedAt: iso(t.received_at),
        createdAt: t.created_at.toISOString(),
      };
    },
  );

  app.post(
    '/v1/transfers/:id/events',
    {
      schema: {
        tags: ['transfers'],
        summary: 'Report a transfer shipped by its source (with the expected arrival) or received at its target',
        description:
          'For a WMS or a person. The transfer workflow applies each event id once. On receipt the units move into the ' +
          "target's stock, are reserved there for the order, and the order goes on to its packages.",
        params: transferParams,
        body: eventBody,
        response: { 202: z.object({ transferId: z.number().int(), workflowId: z.string(), eventId: z.string(), status: z.literal('accepted') }), 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      const t = await findTransfer(db, id);
      if (!t) throw new AppError('not_found', `unknown transfer ${id}`);
      if (FINISHED.includes(t.status)) throw new AppError('conflict', `transfer ${id} is ${t.status}: nothing more can be reported`);
      const b = req.body;
      // Partial receipts are not modelled: the units reserved for the order are the transfer's quantity.
      if (b.type === 'received' && b.quantity !== t.quantity) throw new AppError('conflict', `transfer ${id} carries ${t.quantity} unit(s); ${b.quantity} reported received`);
      const at = b.at ? { at: b.at } : {};
      const event: TransferEvent =
        b.type === 'shipped'
          ? { eventId: b.eventId ?? `shipped:${id}:${b.expectedArrival}`, type: 'shipped', expectedArrival: b.expectedArrival, ...(b.trackingNo ? { trackingNo: b.trackingNo } : {}), ...at }
          : { eventId: b.eventId ?? `received:${id}`, type: 'received', quantity: b.quantity, ...at };
      try {
        await temporal.workflow.getHandle(transferWorkflowId(id)).signal(transferEventSignal, event);
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) throw new AppError('conflict', `transfer ${id} has no running workflow (${t.status})`);
        throw e;
      }
      return reply.status(202).send({ transferId: id, workflowId: transferWorkflowId(id), eventId: event.eventId, status: 'accepted' as const });
    },
  );
};
