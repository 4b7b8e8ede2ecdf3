import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listAudit } from '../../db/audit.repository.js';
import { ROLES } from '../../domain/access.js';
import { utcInstant } from '../../domain/order.js';
import { errorBody } from './fulfilment.common.js';

const auditOut = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.object({ keyId: z.string().nullable(), name: z.string().nullable(), role: z.string().nullable() }).describe('The key, its name and role as they were'),
  method: z.string(),
  route: z.string().describe('The route pattern, e.g. /v1/shops/:id'),
  params: z.record(z.string(), z.string()),
  action: z.string().describe('e.g. shop.update, settings.merge-policy, api-key.revoke'),
  shopId: z.string().nullable(),
  before: z.unknown().describe('The state the route changed, before; null where the route does not record it'),
  after: z.unknown(),
  status: z.number().int().describe('The HTTP status answered (403: a refused attempt)'),
  requestId: z.string().nullable(),
});

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;

  app.get(
    '/v1/audit',
    {
      schema: {
        tags: ['access'],
        summary: 'The audit log: who did what through the API, newest first',
        description:
          'Every action (any call but a read) of an admin, ops, reviewer or warehouse key, and every refused attempt of a known key, with its outcome; ' +
          'before and after where the route records them (shops, settings, rules, stock, keys). Keyset paged: pass `nextCursor` back as `cursor` with the same filters.',
        querystring: z.strictObject({
          keyId: z.uuid().optional(),
          actor: z.string().min(1).max(100).optional().describe("The key's name"),
          role: z.enum(ROLES).optional(),
          action: z.string().min(1).max(100).optional(),
          route: z.string().min(1).max(300).optional().describe('A route pattern, e.g. /v1/shops/:id'),
          method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
          shopId: z.string().min(1).max(64).optional(),
          status: z.coerce.number().int().min(100).max(599).optional(),
          from: utcInstant.optional().describe('Inclusive'),
          to: utcInstant.optional().describe('Exclusive'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().regex(/^[0-9]{1,18}$/, 'a cursor this API wrote').optional(),
        }),
        response: { 200: z.object({ items: z.array(auditOut), nextCursor: z.string().nullable() }), 400: errorBody },
      },
    },
    async (req) => {
      const { from, to, cursor, ...q } = req.query;
      const page = await listAudit(db, { ...q, ...(from ? { from: new Date(from) } : {}), ...(to ? { to: new Date(to) } : {}), ...(cursor ? { before: Number(cursor) } : {}) });
      return {
        items: page.items.map((r) => ({
          id: String(r.id),
          at: r.at.toISOString(),
          actor: { keyId: r.key_id, name: r.key_name, role: r.role },
          method: r.method,
          route: r.route,
          // Rows written before params were kept as text may hold numbers.
          params: Object.fromEntries(Object.entries(r.params ?? {}).map(([k, v]) => [k, String(v)])),
          action: r.action,
          shopId: r.shop_id,
          before: r.before,
          after: r.after,
          status: r.status,
          requestId: r.request_id,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );
};
