import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { ACCESS, accessRule, isPublic, type KeyRule } from '../../api/plugins/access.js';
import { displayPrefix } from '../../api/plugins/api-keys.js';
import type { RegisteredRoute } from '../../api/plugins/auth.js';
import { openException } from '../../db/exceptions.repository.js';
import { ROLES, type Role } from '../../domain/access.js';
import { orderWorkflowId } from '../../domain/order.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';

// Who may call what, walked over every route the app registers (derived from the app, not listed here): a
// route added without an access rule, or a rule that lets the wrong caller in, fails this file.

let stack: TestStack;
/** A key per role, for every shop. */
const keys = {} as Record<Role, string>;
/** A key per role, limited to the shop IN. */
const scoped = {} as Record<Role, string>;
const IN = 'demo-taobao';
const OUT = 'demo-jd';
const exceptionOf: Record<string, string> = {};
const orderIn = makeOrder({ shopId: IN });
const orderOut = makeOrder({ shopId: OUT });

beforeAll(async () => {
  // Every refusal below is logged at warn: only errors are shown.
  stack = await createTestStack({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error' }, { relay: false });
  keys.admin = stack.adminKey;
  for (const role of ROLES) {
    if (role !== 'admin') keys[role] = (await stack.createKey(role)).key;
    scoped[role] = (await stack.createKey(role, { shopIds: [IN], name: `${role} of ${IN}` })).key;
  }
  for (const shopId of [IN, OUT]) {
    exceptionOf[shopId] = (await openException(stack.db, { kind: 'channel_malformed_push', shopId, detail: { reason: 'test' } })).id;
  }
  for (const order of [orderIn, orderOut]) expect((await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order })).statusCode).toBe(202);
});
afterAll(async () => {
  await stack?.close();
});

/** A value for each path parameter; `shop` is the shop the request should concern. */
function pathFor(url: string, shop: string): string {
  const value = (name: string): string => {
    if (name === 'orderId' || (name === 'id' && url.startsWith('/v1/orders/'))) return orderWorkflowId('taobao', shop, '1');
    if (name === 'id' && url.startsWith('/v1/shops/')) return shop;
    if (name === 'id' && url.startsWith('/v1/exceptions/')) return exceptionOf[shop]!;
    if (name === 'id' && url.startsWith('/v1/api-keys/')) return randomUUID();
    if (name === 'shopId') return shop;
    if (name === 'platform') return 'taobao';
    if (name === 'version' || name === 'id') return '1';
    return 'X1';
  };
  return url.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(value(name))).replace('*', 'x');
}

const routes = (): RegisteredRoute[] => stack.app.registeredRoutes().filter((r) => r.method !== 'HEAD');
const keyRoutes = () =>
  routes()
    .map((r) => ({ ...r, rule: accessRule(r.method, r.url)! }))
    .filter((r): r is RegisteredRoute & { rule: KeyRule } => r.rule !== undefined && !isPublic(r.rule, stack.config));
const call = (key: string | null, r: RegisteredRoute, shop = IN, extra: Partial<InjectOptions> = {}) =>
  stack.injectAs(key, { method: r.method, url: pathFor(r.url, shop), ...extra });
const name = (r: RegisteredRoute) => `${r.method} ${r.url}`;

describe('the access table covers the app', () => {
  it('has a rule for every registered route, and an action name for every route that is not a read', () => {
    const all = routes();
    // The walk below is only as good as the list it walks: the app's own routes are in it.
    expect(all.length).toBeGreaterThan(60);
    expect(all.map(name)).toEqual(expect.arrayContaining(['POST /v1/orders', 'PATCH /v1/shops/:id', 'POST /v1/api-keys', 'GET /v1/audit', 'POST /webhooks/:platform/:shopId', 'GET /healthz']));
    expect(all.filter((r) => !accessRule(r.method, r.url)).map(name)).toEqual([]);
    const unnamed = keyRoutes().filter((r) => r.method !== 'GET' && !r.rule.action);
    expect(unnamed.map(name)).toEqual([]);
    // An admin may do anything a key may do; every public route says why it is public.
    expect(keyRoutes().filter((r) => !r.rule.roles.includes('admin')).map(name)).toEqual([]);
    for (const [route, rule] of Object.entries(ACCESS)) if ('public' in rule) expect(rule.public.length, route).toBeGreaterThan(20);
  });

  it('has no rule for a route the app does not register', () => {
    const registered = new Set(stack.app.registeredRoutes().map(name));
    expect(Object.keys(ACCESS).filter((k) => !registered.has(k))).toEqual([]);
  });

  it('serves /metrics to viewers and up, or to anyone with METRICS_PUBLIC', () => {
    const rule = accessRule('GET', '/metrics')!;
    expect(isPublic(rule, stack.config)).toBe(false);
    expect(isPublic(rule, { ...stack.config, METRICS_PUBLIC: true })).toBe(true);
    expect('roles' in rule && rule.roles).toEqual(['admin', 'ops', 'reviewer', 'viewer']);
  });

  it('leaves the probes, the docs and the platform pushes public (a push is refused by its signature instead)', async () => {
    expect((await stack.injectAs(null, { method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await stack.injectAs(null, { method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const doc = await stack.injectAs(null, { method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    // The document says so too: the key scheme, no key for the probes, the roles of the others.
    const paths = doc.json().paths as Record<string, Record<string, { security?: unknown[]; description?: string }>>;
    expect(doc.json().components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(paths['/healthz']!.get!.security).toEqual([]);
    expect(paths['/v1/audit']!.get!.description).toMatch(/Roles: admin\.$/);
    expect(paths['/v1/orders']!.post!.description).toMatch(/Roles: admin, ops, connector\.$/);
    const push = await stack.injectAs(null, { method: 'POST', url: `/webhooks/douyin/demo-douyin`, payload: '[]', headers: { 'content-type': 'application/json' } });
    expect(push.statusCode).not.toBe(403);
    expect(push.json().message).not.toMatch(/API key/);
  });
});

describe('every route that needs a key', () => {
  it('answers 401 without a key, with an unknown key and with a malformed header', async () => {
    for (const r of keyRoutes()) {
      const res = await call(null, r);
      expect(res.statusCode, `${name(r)} without a key`).toBe(401);
      expect(res.json(), name(r)).toMatchObject({ error: 'unauthorized', message: expect.stringMatching(/API key is required/) });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    const r = { method: 'GET', url: '/v1/orders' };
    expect((await call(`ork_${'x'.repeat(43)}`, r)).json()).toMatchObject({ error: 'unauthorized', message: 'unknown API key' });
    const basic = await stack.injectAs(null, { method: 'GET', url: '/v1/orders', headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(basic.statusCode).toBe(401);
    expect(basic.json().message).toMatch(/Bearer/);
  });

  it('answers 403 to every role the table does not name, and lets every role it names through', async () => {
    let refused = 0;
    for (const r of keyRoutes()) {
      for (const role of ROLES) {
        const res = await call(keys[role], r);
        if (r.rule.roles.includes(role)) {
          expect([401, 403], `${name(r)} as ${role} (${res.body.slice(0, 200)})`).not.toContain(res.statusCode);
        } else {
          expect(res.statusCode, `${name(r)} as ${role}`).toBe(403);
          expect(res.json().message, name(r)).toContain(`role ${role} may not call ${r.method} ${r.url}`);
          refused += 1;
        }
      }
    }
    expect(refused).toBeGreaterThan(100);
  });

  it("holds a key limited to shops to them: another shop's order, exception, review or shop is 403, and so is what spans or changes every shop", async () => {
    let checked = 0;
    for (const r of keyRoutes()) {
      for (const role of r.rule.roles) {
        const shops = r.rule.shops;
        const out =
          typeof shops === 'string'
            ? await call(scoped[role], r)
            : shops.from === 'list'
              ? await call(scoped[role], r, OUT, { query: { shopId: OUT } })
              : shops.from === 'body'
                ? await call(scoped[role], r, OUT, { payload: { ...makeOrder({ shopId: OUT }) } })
                : await call(scoped[role], r, OUT);
        const mustRefuse = shops === 'unscoped' || (shops === 'global' && r.method !== 'GET') || typeof shops !== 'string';
        if (mustRefuse) {
          expect(out.statusCode, `${name(r)} as ${role} of ${IN}, about ${OUT} (${out.body.slice(0, 200)})`).toBe(403);
          checked += 1;
        } else {
          expect([401, 403], `${name(r)} as ${role} of ${IN}`).not.toContain(out.statusCode);
        }
        // The same key about its own shop gets past the access check (resources looked up by id exist only for exceptions).
        if (typeof shops !== 'string' && !['package', 'transfer'].includes(shops.from)) {
          const own =
            shops.from === 'list'
              ? await call(scoped[role], r, IN, { query: { shopId: IN } })
              : shops.from === 'body'
                ? await call(scoped[role], r, IN, { payload: { ...makeOrder({ shopId: IN }) } })
                : await call(scoped[role], r, IN);
          expect([401, 403], `${name(r)} as ${role} of ${IN}, about ${IN} (${own.body.slice(0, 200)})`).not.toContain(own.statusCode);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe('keys limited to shops', () => {
  it('list only their shops: orders, exceptions, the exception summary and shops', async () => {
    const get = async (key: string, url: string) => {
      const res = await stack.injectAs(key, { method: 'GET', url });
      expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBe(200);
      return res.json();
    };
    const all = (await get(keys.viewer, '/v1/orders?limit=500')).items as { shopId: string }[];
    expect(new Set(all.map((o) => o.shopId))).toEqual(new Set([IN, OUT]));
    const mine = (await get(scoped.viewer, '/v1/orders?limit=500')).items as { id: string; shopId: string }[];
    expect(mine.map((o) => o.id)).toContain(orderWorkflowId('taobao', IN, orderIn.platformOrderId));
    expect(new Set(mine.map((o) => o.shopId))).toEqual(new Set([IN]));

    const exceptions = (await get(scoped.ops, '/v1/exceptions?status=all')).items as { id: string; shopId: string }[];
    expect(exceptions.map((e) => e.id)).toEqual([exceptionOf[IN]]);
    expect((await get(scoped.ops, '/v1/exceptions/summary')).total.open).toBe(1);
    expect((await get(keys.ops, '/v1/exceptions/summary')).total.open).toBe(2);

    const shops = (await get(scoped.viewer, '/v1/shops')).shops as { id: string }[];
    expect(shops.map((s) => s.id)).toEqual([IN]);
    expect((await get(scoped.reviewer, '/v1/reviews?status=pending')).items).toEqual([]);

    // A key of two shops sees both, and still not the third.
    const two = (await stack.createKey('viewer', { shopIds: [IN, OUT] })).key;
    const both = (await get(two, '/v1/orders?limit=500')).items as { shopId: string }[];
    expect(new Set(both.map((o) => o.shopId))).toEqual(new Set([IN, OUT]));
    const douyin = await stack.injectAs(two, { method: 'GET', url: '/v1/orders?shopId=demo-douyin' });
    expect(douyin.statusCode).toBe(403);
    expect(douyin.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('shop demo-douyin is not one of this key') });
  });

  it("read their own shop's exception and order, and are refused the same kind of thing of another shop", async () => {
    const own = await stack.injectAs(scoped.ops, { method: 'GET', url: `/v1/exceptions/${exceptionOf[IN]}` });
    expect(own.statusCode).toBe(200);
    const other = await stack.injectAs(scoped.ops, { method: 'GET', url: `/v1/exceptions/${exceptionOf[OUT]}` });
    expect(other.statusCode).toBe(403);
    expect(other.json().message).toContain(`shop ${OUT} is not one of this key's shops`);
    const id = orderWorkflowId('taobao', OUT, orderOut.platformOrderId);
    expect((await stack.injectAs(keys.viewer, { method: 'GET', url: `/v1/orders/${encodeURIComponent(id)}` })).statusCode).toBe(200);
    expect((await stack.injectAs(scoped.viewer, { method: 'GET', url: `/v1/orders/${encodeURIComponent(id)}` })).statusCode).toBe(403);
    // A connector of one shop cannot deliver another shop's orders.
    const posted = await stack.injectAs(scoped.connector, { method: 'POST', url: '/v1/orders', payload: makeOrder({ shopId: OUT }) });
    expect(posted.statusCode).toBe(403);
    expect((await stack.injectAs(scoped.connector, { method: 'POST', url: '/v1/orders', payload: makeOrder({ shopId: IN }) })).statusCode).toBe(202);
  });

  it('cannot make keys: a shop-limited admin is refused key management', async () => {
    const res = await stack.injectAs(scoped.admin, { method: 'POST', url: '/v1/api-keys', payload: { name: 'escalation', role: 'admin' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toMatch(/without a shop scope/);
  });
});

describe('refusals', () => {
  it('are logged at warn with the route, the key and the reason', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const app = await buildApp({ services: { config: stack.config, db: stack.db, temporal: stack.client, dispatcher: stack.dispatcher, logger } });
    try {
      expect((await app.inject({ method: 'GET', url: '/v1/orders' })).statusCode).toBe(401);
      expect((await app.inject({ method: 'PUT', url: '/v1/settings/merge-policy', headers: { authorization: `Bearer ${keys.viewer}` }, payload: {} })).statusCode).toBe(403);
    } finally {
      await app.close();
    }
    const refusals = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('request refused'));
    expect(refusals).toEqual([
      expect.objectContaining({ level: 40, method: 'GET', route: '/v1/orders', reason: expect.stringMatching(/API key is required/) }),
      expect.objectContaining({ level: 40, method: 'PUT', route: '/v1/settings/merge-policy', role: 'viewer', keyId: expect.any(String), reason: expect.stringMatching(/role viewer may not/) }),
    ]);
  });
});

describe('revocation', () => {
  it('refuses a revoked key from the next request on', async () => {
    const { id, key } = await stack.createKey('viewer', { name: 'to revoke' });
    expect((await stack.injectAs(key, { method: 'GET', url: '/v1/orders' })).statusCode).toBe(200);
    const revoked = await stack.app.inject({ method: 'POST', url: `/v1/api-keys/${id}/revoke` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).toEqual(expect.any(String));
    const after = await stack.injectAs(key, { method: 'GET', url: '/v1/orders' });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ error: 'unauthorized', message: expect.stringMatching(/revoked at/) });

    // Listed with its prefix and revocation, never the key or its hash.
    const listed = await stack.app.inject({ method: 'GET', url: '/v1/api-keys?includeRevoked=true' });
    const row = (listed.json().items as Record<string, unknown>[]).find((k) => k.id === id)!;
    expect(row).toMatchObject({ prefix: displayPrefix(key), revokedAt: expect.any(String), role: 'viewer' });
    expect(listed.body).not.toContain(key);
    expect((await stack.app.inject({ method: 'GET', url: '/v1/api-keys' })).json().items.map((k: { id: string }) => k.id)).not.toContain(id);
  });

  it('keeps the last admin key for every shop', async () => {
    const list = (await stack.app.inject({ method: 'GET', url: '/v1/api-keys' })).json().items as { id: string; role: string; shopIds: string[] | null; prefix: string }[];
    const mine = list.find((k) => k.prefix === displayPrefix(stack.adminKey))!;
    const other = (await stack.createKey('admin', { name: 'second admin' })).id;
    expect((await stack.app.inject({ method: 'POST', url: `/v1/api-keys/${other}/revoke` })).statusCode).toBe(200);
    expect(list.filter((k) => k.role === 'admin' && k.shopIds === null).map((k) => k.id)).toEqual([mine.id]);
    const last = await stack.app.inject({ method: 'POST', url: `/v1/api-keys/${mine.id}/revoke` });
    expect(last.statusCode).toBe(409);
    expect((await stack.app.inject({ method: 'GET', url: '/v1/orders' })).statusCode).toBe(200);
  });
});
