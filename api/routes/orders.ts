import { createHash } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldCipherFor } from '../../config/field-cipher.js';
import { findOrder, listOrderEvents, listOrders, orderExists, orderWithReceiver } from '../../db/orders.repository.js';
import type { OrderRow } from '../../db/schema.js';
import { seesBuyerData } from '../../domain/access.js';
import { canonicalOrder, orderWorkflowId, parseOrderWorkflowId, PLATFORMS, utcInstant } from '../../domain/order.js';
import { fen } from '../../domain/money.schema.js';
import { ORDER_STATUSES } from '../../domain/order-status.js';
import { stateQuery } from '../../workflows/order.messages.js';
import { AppError } from '../errors.js';
import { ingestEvent, type IngestResult } from '../../ingest/ingest.js';
import { errorBody, iso, strictDeep } from './fulfilment.common.js';
import { shopFilter } from '../plugins/auth.js';


const accepted = z.object({
  orderId: z.string().describe('Also the Temporal workflow id'),
  workflowId: z.string(),
  eventId: z.string(),
  status: z.enum(['accepted', 'queued', 'duplicate', 'order_closed']),
  queued: z.boolean().describe('True when Temporal was unreachable: the event is kept and delivered when it is back'),
  duplicate: z.boolean(),
  message: z.string(),
});

function acceptedBody(r: IngestResult): z.infer<typeof accepted> {
  const status = r.outcome === 'order_closed' ? 'order_closed' : r.queued ? 'queued' : r.duplicate ? 'duplicate' : 'accepted';
  const message = {
    accepted: 'accepted: the order workflow has the event',
    queued: 'queued: Temporal is unreachable; the event is stored and will be delivered when it is back',
    duplicate: 'duplicate: this event was already received; nothing was applied twice',
    order_closed: 'the order workflow has already finished; the event is kept in the inbox but not applied',
  }[status];
  return { orderId: r.orderId, workflowId: r.orderId, eventId: r.eventId, status, queued: r.queued, duplicate: r.duplicate, message };
}

const orderSummary = z.object({
  id: z.string(),
  platform: z.string(),
  shopId: z.string(),
  platformOrderId: z.string(),
  buyerKey: z.string(),
  status: z.string(),
  goodsFen: z.number().int(),
  paidFen: z.number().int(),
  receiverProvince: z.string(),
  receiverCity: z.string(),
  receiverDistrict: z.string(),
  receiverName: z.string().describe('Masked (李**): lists never show the name'),
  receiverPhone: z.string().describe('Masked (139****0001)'),
  receiverAddress: z.string().describe("Province, city, district and the street with its numbers masked"),
  version: z.number().int(),
  platformCreatedAt: z.string(),
  paidAt: z.string().nullable(),
  releasedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});


function summaryOf(r: OrderRow): z.infer<typeof orderSummary> {
  return {
    id: r.id,
    platform: r.platform,
    shopId: r.shop_id,
    platformOrderId: r.platform_order_id,
    buyerKey: r.buyer_key,
    status: r.status,
    goodsFen: r.goods_fen,
    paidFen: r.paid_fen,
    receiverProvince: r.receiver_province,
    receiverCity: r.receiver_city,
    receiverDistrict: r.receiver_district,
    receiverName: r.receiver_name_masked,
    receiverPhone: r.receiver_phone_masked,
    receiverAddress: r.receiver_address_masked,
    version: r.version,
    platformCreatedAt: r.platform_created_at.toISOString(),
    paidAt: iso(r.paid_at),
    releasedAt: iso(r.released_at),
    closedAt: iso(r.closed_at),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** The canonical order as a caller posts it: an unknown field at any level is refused, not dropped. */
const strictOrder = strictDeep(canonicalOrder);

const orderIdParams = z.object({ id: z.string().min(1).describe('Order id, e.g. order:taobao:shop1:3021 (the workflow id)') });

const orderEventBody = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('paid'),
    eventId: z.string().min(1).max(200).optional().describe('Idempotency key; the same id is applied once'),
    paidAt: utcInstant.optional(),
    paidFen: fen.optional(),
  }),
  z.strictObject({
    type: z.literal('cancelled'),
    eventId: z.string().min(1).max(200).optional(),
    reason: z.string().max(500).optional(),
  }),
]);

export const orderRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal, dispatcher } = app.services;
  const cipher = fieldCipherFor(app.services.config, app.services.logger);
  const deps = { db, dispatcher, logger: app.services.logger, cipher };

  app.post(
    '/v1/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'Accept a canonical order (starts its workflow)',
        description:
          'Writes the order to the inbox and starts (or signals) its workflow `order:<platform>:<shopId>:<platformOrderId>`. ' +
          'Posting the same order again is a no-op. If Temporal is unreachable the order is stored and processed when it is back.',
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }).passthrough(),
        body: strictOrder,
        response: { 202: accepted, 400: errorBody },
      },
    },
    async (req, reply) => {
      const order = req.body;
      const orderId = orderWorkflowId(order.platform, order.shopId, order.platformOrderId);
      const messageId = req.headers['idempotency-key'] ?? `order:${createHash('sha256').update(JSON.stringify(order)).digest('hex').slice(0, 32)}`;
      const r = await ingestEvent(deps, {
        platform: order.platform,
        shopId: order.shopId,
        messageId,
        orderId,
        source: 'api',
        event: { type: 'created', order },
        order,
      });
      return reply.status(202).send(acceptedBody(r));
    },
  );

  app.post(
    '/v1/orders/:id/events',
    {
      schema: {
        tags: ['orders'],
        summary: 'Send an event to an order (payment, cancellation)',
        params: orderIdParams,
        body: orderEventBody,
        response: { 202: accepted, 400: errorBody, 404: errorBody, 409: accepted },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      const ids = parseOrderWorkflowId(id);
      if (!ids || !(await orderExists(db, id))) throw new AppError('not_found', `unknown order ${id}`);
      const { eventId, ...event } = req.body;
      const r = await ingestEvent(deps, {
        platform: ids.platform,
        shopId: ids.shopId,
        messageId: eventId ?? `${event.type}:${ids.platformOrderId}`,
        orderId: id,
        source: 'api',
        event,
      });
      const body = acceptedBody(r);
      return reply.status(body.status === 'order_closed' ? 409 : 202).send(body);
    },
  );

  app.get(
    '/v1/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'List orders (read model in PostgreSQL)',
        querystring: z.object({
          status: z.enum(ORDER_STATUSES).optional(),
          shopId: z.string().optional(),
          channel: z.enum(PLATFORMS).optional().describe('Platform'),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: { 200: z.object({ total: z.number().int(), limit: z.number().int(), offset: z.number().int(), items: z.array(orderSummary) }) },
      },
    },
    async (req) => {
      const q = req.query;
      const { total, rows } = await listOrders(db, { status: q.status, shopId: q.shopId, ...shopFilter(req), platform: q.channel, limit: q.limit, offset: q.offset });
      return { total, limit: q.limit, offset: q.offset, items: rows.map(summaryOf) };
    },
  );

  app.get(
    '/v1/orders/:id',
    {
      schema: {
        tags: ['orders'],
        summary: 'One order with its lines and timeline',
        description:
          "The receiver's name, phone and street are stored encrypted; `order.receiver` shows them as received to admin, ops and reviewer keys, masked to the others (`buyerData`).",
        params: orderIdParams,
        response: {
          200: orderSummary.extend({
            buyerData: z.enum(['shown', 'masked']).describe("Whether `order.receiver` is the receiver as received or masked (for this key's role)"),
            order: z.record(z.string(), z.unknown()),
            timeline: z.array(z.object({ seq: z.number().int(), type: z.string(), at: z.string(), detail: z.unknown() })),
          }),
          404: errorBody,
        },
      },
    },
    async (req) => {
      const row = await findOrder(db, req.params.id);
      if (!row) throw new AppError('not_found', `unknown order ${req.params.id}`);
      const events = await listOrderEvents(db, row.id);
      const shown = seesBuyerData(req.auth?.role);
      const order: Record<string, unknown> = shown ? orderWithReceiver(row, cipher) : (row.order as Record<string, unknown>);
      return {
        ...summaryOf(row),
        buyerData: shown ? ('shown' as const) : ('masked' as const),
        order,
        timeline: events.map((e) => ({ seq: e.seq, type: e.event_type, at: e.occurred_at.toISOString(), detail: e.detail })),
      };
    },
  );

  app.get(
    '/v1/orders/:id/state',
    {
      schema: {
        tags: ['orders'],
        summary: "The order workflow's live state (Temporal query)",
        params: orderIdParams,
        response: { 200: z.record(z.string(), z.unknown()), 404: errorBody, 503: errorBody },
      },
    },
    async (req) => {
      try {
        const handle = temporal.workflow.getHandle(req.params.id);
        const state = await temporal.withDeadline(Date.now() + 5000, () => handle.query(stateQuery));
        return state as unknown as Record<string, unknown>;
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) throw new AppError('not_found', `no workflow ${req.params.id}`);
        throw new AppError('unavailable', `Temporal did not answer: ${(e as Error).message}`);
      }
    },
  );
};
