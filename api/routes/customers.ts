import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deleteCustomer, getCustomer, listCustomers, upsertCustomer, type StoredCustomer } from '../../db/customers.repository.js';
import { buyerKey, customerAttributes, customerKey, MAX_VIP_LEVEL, type CustomerKey } from '../../domain/customer.js';
import { platform, type Platform } from '../../domain/order.js';
import { AppError } from '../errors.js';
import { errorBody } from './fulfilment.common.js';

// Customers: the seller's master data on buyers, for the review rules. A customer is addressed by its platform
// and the platform's opaque buyer id, which may hold any character: clients URL-encode it in the path
// (`encodeURIComponent`), "/" included.

const keyParams = z.object({
  platform: platform.describe('The platform the buyer id belongs to'),
  buyerKey: buyerKey.describe("The platform's opaque buyer id, URL-encoded"),
});

// The key comes from the path; a body may repeat it (say, one read back with GET, less its timestamps) as long
// as it names the same customer.
const putBody = z.strictObject({
  ...customerAttributes.shape,
  platform: platform.optional().describe('If given, must match the path'),
  buyerKey: buyerKey.optional().describe('If given, must match the path'),
});

const customerOut = z.object({
  platform: z.string(),
  buyerKey: z.string(),
  vipLevel: z.number().int(),
  blacklisted: z.boolean(),
  blacklistReason: z.string().optional(),
  tags: z.array(z.string()),
  note: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const listQuery = z.strictObject({
  platform: platform.optional(),
  blacklisted: z.stringbool().optional().describe('true: only blacklisted buyers; false: only the others'),
  minVipLevel: z.coerce.number().int().min(0).max(MAX_VIP_LEVEL).optional().describe('Only customers of at least this VIP level'),
  tag: z.string().trim().min(1).max(50).optional().describe('Only customers carrying this tag'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(2000).optional().describe('`nextCursor` of the previous page'),
});

function out(c: StoredCustomer): z.infer<typeof customerOut> {
  return {
    platform: c.platform,
    buyerKey: c.buyerKey,
    vipLevel: c.vipLevel,
    blacklisted: c.blacklisted,
    ...(c.blacklistReason !== undefined ? { blacklistReason: c.blacklistReason } : {}),
    tags: c.tags,
    ...(c.note !== undefined ? { note: c.note } : {}),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** The cursor is the last key of a page, opaque to clients (base64url of JSON). */
function encodeCursor(k: CustomerKey): string {
  return Buffer.from(JSON.stringify([k.platform, k.buyerKey]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): CustomerKey {
  try {
    const [p, b] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    return customerKey.parse({ platform: p, buyerKey: b });
  } catch {
    throw new AppError('bad_request', 'cursor is not a `nextCursor` of this list');
  }
}

const describeKey = (p: Platform, b: string) => `${p} buyer ${JSON.stringify(b)}`;

export const customerRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;

  app.put(
    '/v1/customers/:platform/:buyerKey',
    {
      schema: {
        tags: ['customers'],
        summary: 'Create or replace a customer',
        description: 'Replaces the customer as a whole: fields left out take their defaults (optional ones are cleared).',
        params: keyParams,
        body: putBody,
        response: { 200: customerOut, 400: errorBody },
      },
    },
    async (req) => {
      const { platform: p, buyerKey: key } = req.params;
      const { platform: bodyPlatform, buyerKey: bodyKey, ...attrs } = req.body;
      if (bodyPlatform !== undefined && bodyPlatform !== p) throw new AppError('bad_request', `body platform ${bodyPlatform} does not match the path's ${p}`);
      if (bodyKey !== undefined && bodyKey !== key) throw new AppError('bad_request', `body buyerKey ${JSON.stringify(bodyKey)} does not match the path's ${JSON.stringify(key)}`);
      const stored = await upsertCustomer(db, { platform: p, buyerKey: key, ...attrs });
      req.log.info({ platform: p, vipLevel: stored.vipLevel, blacklisted: stored.blacklisted }, 'customer stored');
      return out(stored);
    },
  );

  app.get(
    '/v1/customers/:platform/:buyerKey',
    { schema: { tags: ['customers'], summary: 'One customer', params: keyParams, response: { 200: customerOut, 400: errorBody, 404: errorBody } } },
    async (req) => {
      const { platform: p, buyerKey: key } = req.params;
      const c = await getCustomer(db, p, key);
      if (!c) throw new AppError('not_found', `no customer for ${describeKey(p, key)}`);
      return out(c);
    },
  );

  app.get(
    '/v1/customers',
    {
      schema: {
        tags: ['customers'],
        summary: 'List customers',
        description: 'Ordered by platform then buyer id, paged by a keyset: pass `nextCursor` as `cursor` for the next page (null on the last).',
        querystring: listQuery,
        response: { 200: z.object({ items: z.array(customerOut), nextCursor: z.string().nullable() }), 400: errorBody },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listCustomers(db, {
        limit: q.limit,
        ...(q.platform !== undefined ? { platform: q.platform } : {}),
        ...(q.blacklisted !== undefined ? { blacklisted: q.blacklisted } : {}),
        ...(q.minVipLevel !== undefined ? { minVipLevel: q.minVipLevel } : {}),
        ...(q.tag !== undefined ? { tag: q.tag } : {}),
        ...(q.cursor !== undefined ? { after: decodeCursor(q.cursor) } : {}),
      });
      return { items: page.items.map(out), nextCursor: page.next ? encodeCursor(page.next) : null };
    },
  );

  app.delete(
    '/v1/customers/:platform/:buyerKey',
    {
      schema: {
        tags: ['customers'],
        summary: 'Delete a customer',
        description: 'The buyer is then unknown to the rules: no VIP level, not blacklisted, no tags.',
        params: keyParams,
        response: { 204: z.null().describe('Deleted'), 400: errorBody, 404: errorBody },
      },
    },
    async (req, reply) => {
      const { platform: p, buyerKey: key } = req.params;
      if (!(await deleteCustomer(db, p, key))) throw new AppError('not_found', `no customer for ${describeKey(p, key)}`);
      req.log.info({ platform: p }, 'customer deleted');
      return reply.status(204).send(null);
    },
  );
};
