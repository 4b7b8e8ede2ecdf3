import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldCipherFor } from '../../config/field-cipher.js';
import { getInboxEvent, listInboxEvents, type InboxEventSummary } from '../../db/inbox.repository.js';
import { AppError } from '../errors.js';
import { errorBody, iso } from './fulfilment.common.js';

// The channel inbox as admins read it: every event a platform pushed, a pull read or `POST /v1/orders` took,
// as stored. Bodies and parsed events hold the buyer's receiver and are stored sealed: the list shows neither;
// one event shows both opened (the body byte for byte as the platform sent it), and every such read is audited.

const digits = z.string().regex(/^[0-9]{1,18}$/, 'an inbox id is a number');

const inboxEventOut = z.object({
  id: z.string(),
  platform: z.string(),
  shopId: z.string(),
  messageId: z.string().describe("The platform's message id (the inbox's key with platform and shop)"),
  orderId: z.string().nullable(),
  eventType: z.string().describe('`malformed`: a body that could not be read, kept for a person'),
  source: z.string().describe('webhook, pull, api'),
  receivedAt: z.string(),
  dispatchedAt: z.string().nullable(),
  dispatchOutcome: z.string().nullable(),
  dispatchAttempts: z.number().int(),
  lastError: z.string().nullable(),
  hasPayload: z.boolean(),
  hasRawBody: z.boolean(),
});

function summaryOf(r: InboxEventSummary): z.infer<typeof inboxEventOut> {
  return {
    id: String(r.id),
    platform: r.platform,
    shopId: r.shop_id,
    messageId: r.message_id,
    orderId: r.order_id,
    eventType: r.event_type,
    source: r.source,
    receivedAt: r.received_at.toISOString(),
    dispatchedAt: iso(r.dispatched_at),
    dispatchOutcome: r.dispatch_outcome,
    dispatchAttempts: r.dispatch_attempts,
    lastError: r.last_error,
    hasPayload: r.has_payload,
    hasRawBody: r.has_raw_body,
  };
}

export const inboxRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;
  const cipher = fieldCipherFor(app.services.config, app.services.logger);

  app.get(
    '/v1/inbox',
    {
      schema: {
        tags: ['shops'],
        summary: 'Inbox events, newest first (without their bodies)',
        description: 'Keyset paged: pass the last item\'s `id` as `before` for the next page.',
        querystring: z.strictObject({
          shopId: z.string().min(1).max(64).optional(),
          orderId: z.string().min(1).max(300).optional(),
          eventType: z.string().min(1).max(100).optional(),
          undelivered: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional()
            .describe('true: only events not yet delivered to their order workflow'),
          before: digits.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
        response: { 200: z.object({ items: z.array(inboxEventOut) }), 400: errorBody },
      },
    },
    async (req) => ({ items: (await listInboxEvents(db, req.query)).map(summaryOf) }),
  );

  app.get(
    '/v1/inbox/:id',
    {
      schema: {
        tags: ['shops'],
        summary: 'One inbox event with its body as the platform sent it and the event parsed from it',
        description: 'Both are stored encrypted and hold buyer data: they are decrypted for this answer, and the read is audited.',
        params: z.object({ id: digits }),
        response: {
          200: inboxEventOut.extend({
            rawBody: z.string().nullable().describe('The body byte for byte as received (null for an order posted or pulled)'),
            payload: z.unknown().describe('The event as parsed, or what still waits for the platform\'s detail'),
          }),
          404: errorBody,
        },
      },
    },
    async (req) => {
      const row = await getInboxEvent(db, cipher, req.params.id);
      if (!row) throw new AppError('not_found', `no inbox event ${req.params.id}`);
      req.log.info({ inboxId: row.id, shopId: row.shop_id, orderId: row.order_id }, 'inbox event read with its buyer data');
      return {
        ...summaryOf({ ...row, has_payload: row.payload !== null, has_raw_body: row.raw_body !== null }),
        rawBody: row.raw_body,
        payload: row.payload,
      };
    },
  );
};
