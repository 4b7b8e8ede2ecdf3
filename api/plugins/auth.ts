import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { findApiKeyByHash } from '../../db/api-keys.repository.js';
import { appendAudit } from '../../db/audit.repository.js';
import { orderOfTransfer, shopOfException, shopOfPackage } from '../../db/shop-scope.repository.js';
import { inShopScope, type Role } from '../../domain/access.js';
import { parseOrderWorkflowId } from '../../domain/order.js';
import { storableText } from '../../domain/text.js';
import { AppError } from '../errors.js';
import { accessRule, AUDITED_ROLES, isAction, isPublic, type AccessRule, type KeyRule, type ShopSource } from './access.js';
import { hashApiKey } from './api-keys.js';

// Enforces api/plugins/access.ts. A plain onRequest hook rather than @fastify/bearer-auth: that plugin checks a
// key against a fixed set (or a yes/no callback) and answers failures in its own shape, while every request
// here needs the key's row (role, shops, revocation) from PostgreSQL, then the route's rule, and refusals in
// the API's error shape with the reason. Keys are looked up on every request, by the primary-key-like unique
// hash: no cache, so a revoked key is refused from the next request on, in every process.

export interface AuthContext {
  keyId: string;
  name: string;
  role: Role;
  /** Null: every shop. */
  shopIds: readonly string[] | null;
  /** The key's display prefix, for logs. */
  prefix: string;
}

interface AccessState {
  rule: AccessRule | undefined;
  /** The shop the request concerns, when the route names one. */
  shopId: string | null;
  change?: { before: unknown; after: unknown };
}

export interface RegisteredRoute {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered after the auth plugin (method and pattern), for the access test. */
    registeredRoutes(): readonly RegisteredRoute[];
  }
  interface FastifyRequest {
    /** The key that made the request; null on public routes (and before the key is checked). */
    auth: AuthContext | null;
    accessState: AccessState | null;
    /**
     * What the route changed, for its audit row: the state before and after (never a secret). `shopId`
     * names the shop when the route's rule does not (a shop being created).
     */
    auditChange(before: unknown, after: unknown, opts?: { shopId?: string }): void;
  }
}

const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;

/** Refuses the request: logged at warn, answered 401 or 403 with the reason. */
export function refuse(req: FastifyRequest, code: 'unauthorized' | 'forbidden', reason: string): AppError {
  req.log.warn(
    { method: req.method, route: req.routeOptions.url, keyId: req.auth?.keyId, keyPrefix: req.auth?.prefix, role: req.auth?.role, reason },
    code === 'unauthorized' ? 'request refused: no valid API key' : 'request refused: not allowed',
  );
  return new AppError(code, reason);
}

/** For list routes: the shops a scoped key may see (absent: every shop). */
export function shopFilter(req: FastifyRequest): { shopIds?: readonly string[] } {
  return req.auth?.shopIds ? { shopIds: req.auth.shopIds } : {};
}

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/** One cookie's value from a Cookie header (undefined when absent or not a key's characters). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const v = part.slice(eq + 1).trim();
    return /^[\x21-\x7e]{1,200}$/.test(v) && !v.includes(';') ? v : undefined;
  }
  return undefined;
}

export const authPlugin = fp(
  async (app) => {
    const { db, config } = app.services;
    const routes: RegisteredRoute[] = [];
    app.decorate('registeredRoutes', () => [...routes]);
    app.decorateRequest('auth', null);
    app.decorateRequest('accessState', null);
    app.decorateRequest('auditChange', function (this: FastifyRequest, before: unknown, after: unknown, opts?: { shopId?: string }) {
      if (!this.accessState) return;
      this.accessState.change = { before, after };
      if (opts?.shopId) this.accessState.shopId = opts.shopId;
    });

    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) {
        routes.push({ method, url: r.url });
        if (!accessRule(method, r.url)) app.log.error({ method, url: r.url }, 'route without an access rule (api/plugins/access.ts): every call to it is refused');
      }
      // The OpenAPI document says who may call it: no key for a public route, else the roles.
      const rule = accessRule([r.method].flat()[0]!, r.url);
      if (!rule || !r.schema) return;
      const schema = r.schema as Record<string, unknown>;
      if (isPublic(rule, config)) r.schema = { ...schema, security: [] };
      else if ('roles' in rule) r.schema = { ...schema, description: [schema.description, `Roles: ${rule.roles.join(', ')}.`].filter(Boolean).join('\n\n') };
    });

    const unauthorized = (req: FastifyRequest, reply: FastifyReply, reason: string) => {
      reply.header('www-authenticate', 'Bearer realm="orderly"');
      return refuse(req, 'unauthorized', reason);
    };

    // Who is calling, and may that role call this route at all: before the body is read.
    app.addHook('onRequest', async (req, reply) => {
      // An unknown path is answered 404 as usual: the routes are no secret (/docs lists them).
      if (req.is404) return;
      const route = req.routeOptions.url ?? '';
      const rule = accessRule(req.method, route);
      req.accessState = { rule, shopId: null };
      if (!rule) {
        req.log.error({ method: req.method, route }, 'route without an access rule called');
        throw refuse(req, 'forbidden', `${req.method} ${route} has no access rule: refused`);
      }
      if (isPublic(rule, config)) return;
      const r = rule as KeyRule;

      const m = BEARER.exec(req.headers.authorization ?? '');
      const fromCookie = !req.headers.authorization && r.cookie ? cookieValue(req.headers.cookie, r.cookie) : undefined;
      if (!m && !fromCookie) throw unauthorized(req, reply, req.headers.authorization ? 'the Authorization header is not "Bearer <key>"' : 'an API key is required: send Authorization: Bearer <key>');
      const key = await findApiKeyByHash(db, hashApiKey(m ? m[1]! : fromCookie!));
      if (!key) throw unauthorized(req, reply, 'unknown API key');
      if (key.revoked_at) throw unauthorized(req, reply, `API key ${key.prefix}… was revoked at ${key.revoked_at.toISOString()}`);
      req.auth = { keyId: key.id, name: key.name, role: key.role, shopIds: key.shop_ids, prefix: key.prefix };

      if (!r.roles.includes(key.role)) throw refuse(req, 'forbidden', `role ${key.role} may not call ${req.method} ${route} (roles allowed: ${r.roles.join(', ')})`);
      if (key.shop_ids) {
        const shops = key.shop_ids.join(', ');
        if (r.shops === 'unscoped') throw refuse(req, 'forbidden', `${req.method} ${route} spans every shop: it takes a key without a shop scope (this key is limited to ${shops})`);
        if (r.shops === 'global' && !isRead(req.method)) throw refuse(req, 'forbidden', `${req.method} ${route} changes what every shop shares: it takes a key without a shop scope (this key is limited to ${shops})`);
      }
    });

    // Which shop the request concerns: for a key limited to some shops, one of them. After parsing and before
    // validation, so an out-of-scope caller learns nothing about what a valid request would be.
    app.addHook('preValidation', async (req) => {
      const state = req.accessState;
      const auth = req.auth;
      if (!state?.rule || !auth || 'public' in state.rule) return;
      const rule = state.rule;
      if (typeof rule.shops === 'string') return;
      const audited = isAction(rule, req.method) && AUDITED_ROLES.includes(auth.role);
      if (!auth.shopIds && !audited) return;
      const { shopId, what } = await shopOf(rule.shops, req);
      state.shopId = shopId;
      if (!auth.shopIds) return;
      if (rule.shops.from === 'list' && shopId === null) return;
      if (shopId === null) throw refuse(req, 'forbidden', `${what} is not in any of this key's shops`);
      if (!inShopScope(auth.shopIds, shopId)) throw refuse(req, 'forbidden', `shop ${shopId} is not one of this key's shops (${auth.shopIds.join(', ')})`);
    });

    async function shopOf(source: ShopSource, req: FastifyRequest): Promise<{ shopId: string | null; what: string }> {
      const params = (req.params ?? {}) as Record<string, string | undefined>;
      const digits = (v: string | undefined): v is string => v !== undefined && /^[0-9]{1,15}$/.test(v);
      switch (source.from) {
        case 'list': {
          const q = (req.query ?? {}) as Record<string, unknown>;
          return { shopId: typeof q.shopId === 'string' && q.shopId !== '' ? q.shopId : null, what: 'the list' };
        }
        case 'order': {
          const id = params[source.param] ?? '';
          return { shopId: parseOrderWorkflowId(id)?.shopId ?? null, what: `order ${id}` };
        }
        case 'shop':
          return { shopId: params[source.param] ?? null, what: 'the shop' };
        case 'body': {
          const body = req.body as Record<string, unknown> | null | undefined;
          const shopId = body && typeof body === 'object' && typeof body.shopId === 'string' ? body.shopId : null;
          return { shopId, what: 'an order without a shopId' };
        }
        case 'exception': {
          const id = params.id;
          return { shopId: digits(id) ? ((await shopOfException(db, id)) ?? null) : null, what: `exception ${id}` };
        }
        case 'package': {
          const id = params.id ?? '';
          return { shopId: (await shopOfPackage(db, id)) ?? null, what: `package ${id}` };
        }
        case 'transfer': {
          const id = params.id;
          const orderId = digits(id) ? await orderOfTransfer(db, id) : undefined;
          return { shopId: orderId ? (parseOrderWorkflowId(orderId)?.shopId ?? null) : null, what: `transfer ${id}` };
        }
      }
    }

    // The audit row, written before the answer leaves: once a caller has its answer, the row is there.
    app.addHook('onSend', async (req, reply, payload) => {
      const state = req.accessState;
      const auth = req.auth;
      if (!state?.rule || !auth || 'public' in state.rule) return payload;
      const rule = state.rule;
      if (!isAction(rule, req.method)) return payload;
      // Every action of the audited roles; a refused attempt of any role.
      if (!AUDITED_ROLES.includes(auth.role) && reply.statusCode !== 403) return payload;
      try {
        await appendAudit(db, {
          keyId: auth.keyId,
          keyName: auth.name,
          role: auth.role,
          method: req.method,
          route: req.routeOptions.url ?? '',
          // As the path gave them (a route's schema may have coerced an id to a number); a refused attempt's text
          // that PostgreSQL cannot hold (a NUL) is cleaned, so the attempt is still on record.
          params: Object.fromEntries(Object.entries((req.params ?? {}) as Record<string, unknown>).map(([k, v]) => [storableText(k), storableText(String(v))])),
          action: rule.action ?? `${req.method} ${req.routeOptions.url ?? ''}`,
          shopId: state.shopId,
          ...(state.change ? { before: state.change.before, after: state.change.after } : {}),
          status: reply.statusCode,
          requestId: req.id,
        });
      } catch (e) {
        req.log.error({ err: e, method: req.method, route: req.routeOptions.url, keyId: auth.keyId }, 'audit row not written');
      }
      return payload;
    });
  },
  { name: 'orderly-auth', dependencies: ['orderly-services'] },
);
