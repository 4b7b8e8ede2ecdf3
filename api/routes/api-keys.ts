import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findApiKey, insertApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../../db/api-keys.repository.js';
import { ROLES } from '../../domain/access.js';
import { AppError } from '../errors.js';
import { apiKeyRecord, generateApiKey } from '../plugins/api-keys.js';
import { errorBody, iso } from './fulfilment.common.js';

const shopId = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'shop ids may contain letters, digits, "_", "-" and "."');

const keyOut = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  shopIds: z.array(z.string()).nullable().describe('The only shops whose orders, exceptions and reviews the key sees; null: every shop'),
  prefix: z.string().describe('The first characters of the key, to tell keys apart; not enough to use it'),
  createdAt: z.string(),
  createdBy: z.string().nullable().describe('The key that created it; null for the first admin key'),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
});

function toOut(k: ApiKeyInfo): z.infer<typeof keyOut> {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    shopIds: k.shop_ids,
    prefix: k.prefix,
    createdAt: k.created_at.toISOString(),
    createdBy: k.created_by,
    revokedAt: iso(k.revoked_at),
    revokedBy: k.revoked_by,
  };
}

const idParams = z.object({ id: z.uuid().describe('The key id (not the key)') });

export const apiKeyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;

  app.post(
    '/v1/api-keys',
    {
      schema: {
        tags: ['access'],
        summary: 'Create an API key (the key is in this answer only)',
        description:
          'Send it as `Authorization: Bearer <key>`. Only a hash is stored: the key cannot be shown again, only revoked and replaced. ' +
          '`shopIds` limits the key to those shops: it sees and touches only their orders, exceptions and reviews, and changes nothing every shop shares.',
        body: z.strictObject({
          name: z.string().trim().min(1).max(100).describe('Who or what uses it: a person, a WMS, a connector'),
          role: z.enum(ROLES),
          shopIds: z.array(shopId).min(1).max(1000).optional().describe('Absent: every shop'),
        }),
        response: { 201: keyOut.extend({ key: z.string().describe('The key itself: shown this once') }), 400: errorBody },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const secret = generateApiKey();
      const row = await insertApiKey(db, apiKeyRecord(secret, { name: b.name, role: b.role, shopIds: b.shopIds ? [...new Set(b.shopIds)] : null, createdBy: req.auth?.keyId ?? null }));
      const out = toOut(row);
      req.auditChange(null, out);
      req.log.info({ keyId: row.id, prefix: row.prefix, role: row.role, shopIds: row.shop_ids }, 'API key created');
      return reply.status(201).send({ ...out, key: secret });
    },
  );

  app.get(
    '/v1/api-keys',
    {
      schema: {
        tags: ['access'],
        summary: 'API keys, newest first (never the keys themselves)',
        querystring: z.strictObject({ includeRevoked: z.enum(['true', 'false']).default('false').transform((v) => v === 'true') }),
        response: { 200: z.object({ items: z.array(keyOut) }), 400: errorBody },
      },
    },
    async (req) => ({ items: (await listApiKeys(db, { includeRevoked: req.query.includeRevoked })).map(toOut) }),
  );

  app.get(
    '/v1/api-keys/:id',
    { schema: { tags: ['access'], summary: 'One API key', params: idParams, response: { 200: keyOut, 400: errorBody, 404: errorBody } } },
    async (req) => {
      const row = await findApiKey(db, req.params.id);
      if (!row) throw new AppError('not_found', `no API key ${req.params.id}`);
      return toOut(row);
    },
  );

  app.post(
    '/v1/api-keys/:id/revoke',
    {
      schema: {
        tags: ['access'],
        summary: 'Revoke an API key: refused from the next request on',
        description: 'The key stays listed (with `revokedAt`) so the audit log can still name it. Revoking it again changes nothing. The last admin key for every shop cannot be revoked (409).',
        params: idParams,
        response: { 200: keyOut, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req) => {
      const r = await revokeApiKey(db, req.params.id, req.auth?.keyId ?? null);
      if (r.outcome === 'not_found') throw new AppError('not_found', `no API key ${req.params.id}`);
      if (r.outcome === 'last_admin') throw new AppError('conflict', `API key ${req.params.id} is the last admin key for every shop: create another before revoking it`);
      if (r.outcome === 'revoked') {
        req.auditChange(toOut(r.before), toOut(r.row));
        req.log.info({ keyId: r.row.id, prefix: r.row.prefix }, 'API key revoked');
      }
      return toOut(r.row);
    },
  );
};
