import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFirstAdminKey, generateApiKey } from '../../api/plugins/api-keys.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';

// Who did what: the audit log of admin, ops, reviewer and warehouse actions, with before and after where the
// route knows them, and GET /v1/audit over it. Also the shop API base URL rule (admin only, https).

let stack: TestStack;
let ops: { id: string; key: string };
let warehouse: { id: string; key: string };
let viewer: { id: string; key: string };
let connector: { id: string; key: string };
let adminKeyId: string;
const startedAt = new Date(Date.now() - 1000).toISOString();

interface AuditItem {
  id: string;
  at: string;
  actor: { keyId: string | null; name: string | null; role: string | null };
  method: string;
  route: string;
  params: Record<string, string>;
  action: string;
  shopId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  status: number;
}

beforeAll(async () => {
  // Outside development, as in production: shop API base URLs must be https.
  stack = await createTestStack({ ALLOW_HTTP_SHOP_API: 'false', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error' }, { relay: false });
  ops = await stack.createKey('ops', { name: 'wang (ops)' });
  warehouse = await stack.createKey('warehouse', { name: 'hangzhou WMS' });
  viewer = await stack.createKey('viewer', { name: 'dashboard' });
  connector = await stack.createKey('connector', { name: 'erp connector' });
  const keys = (await stack.app.inject({ method: 'GET', url: '/v1/api-keys' })).json().items as { id: string; name: string }[];
  adminKeyId = keys.find((k) => k.name === 'first admin')!.id;
});
afterAll(async () => {
  await stack?.close();
});

const audit = async (query: Record<string, string>): Promise<{ items: AuditItem[]; nextCursor: string | null }> => {
  const res = await stack.app.inject({ method: 'GET', url: '/v1/audit', query });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  return res.json();
};

const shopBody = { id: 'audit-tb', platform: 'taobao', name: 'Audit Tmall store', credentials: { appKey: '12345678', appSecret: 'top-secret-value' }, apiBaseUrl: 'https://gw.example.com/router/rest' };

describe('the audit log', () => {
  it('records a shop created by an admin, with who, what, the shop and what it looks like after (no secret)', async () => {
    const res = await stack.app.inject({ method: 'POST', url: '/v1/shops', payload: shopBody });
    expect(res.statusCode, res.body).toBe(201);
    const [row] = (await audit({ action: 'shop.create' })).items;
    expect(row).toMatchObject({
      actor: { keyId: adminKeyId, name: 'first admin', role: 'admin' },
      method: 'POST',
      route: '/v1/shops',
      action: 'shop.create',
      shopId: 'audit-tb',
      before: null,
      after: { id: 'audit-tb', apiBaseUrl: shopBody.apiBaseUrl, credentials: { set: true } },
      status: 201,
    });
    expect(Date.parse(row!.at)).toBeGreaterThanOrEqual(Date.parse(startedAt));
    expect(row!.at).toMatch(/Z$/);
    expect(JSON.stringify(row)).not.toContain('top-secret-value');
  });

  it('takes an admin to change apiBaseUrl, https outside development, and records it before and after', async () => {
    const patch = (key: string, payload: Record<string, unknown>) => stack.injectAs(key, { method: 'PATCH', url: '/v1/shops/audit-tb', payload });

    const byOps = await patch(ops.key, { apiBaseUrl: 'https://evil.example.net/router' });
    expect(byOps.statusCode).toBe(403);
    expect(byOps.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('apiBaseUrl') });
    // Ops may change the rest of a shop.
    expect((await patch(ops.key, { name: 'Audit Tmall store (renamed)' })).statusCode).toBe(200);

    const http = await patch(stack.adminKey, { apiBaseUrl: 'http://gw.example.com/router/rest' });
    expect(http.statusCode).toBe(400);
    expect(http.json().message).toMatch(/https/);
    expect((await stack.app.inject({ method: 'POST', url: '/v1/shops', payload: { ...shopBody, id: 'audit-http', apiBaseUrl: 'http://gw.example.com/x' } })).statusCode).toBe(400);

    const ok = await patch(stack.adminKey, { apiBaseUrl: 'https://gw2.example.com/router/rest' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().apiBaseUrl).toBe('https://gw2.example.com/router/rest');

    const rows = (await audit({ route: '/v1/shops/:id', shopId: 'audit-tb' })).items;
    // Newest first: the admin's change, the refused http one, the ops rename, the refused ops attempt.
    expect(rows.map((r) => [r.actor.role, r.status])).toEqual([
      ['admin', 200],
      ['admin', 400],
      ['ops', 200],
      ['ops', 403],
    ]);
    expect(rows[0]).toMatchObject({
      action: 'shop.update',
      params: { id: 'audit-tb' },
      before: { apiBaseUrl: shopBody.apiBaseUrl, name: 'Audit Tmall store (renamed)' },
      after: { apiBaseUrl: 'https://gw2.example.com/router/rest' },
    });
    expect(rows[2]).toMatchObject({ actor: { keyId: ops.id, name: 'wang (ops)' }, before: { name: 'Audit Tmall store' }, after: { name: 'Audit Tmall store (renamed)' } });
    expect(rows[3]!.before).toBeNull();
  });

  it('records published settings with the version before and after', async () => {
    for (const hold of ['always', 'never'] as const) {
      const res = await stack.app.inject({ method: 'PUT', url: '/v1/settings/merge-policy', payload: { id: `merge.audit-${hold}`, hold } });
      expect(res.statusCode, res.body).toBe(200);
    }
    const rows = (await audit({ action: 'settings.merge-policy' })).items;
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ before: null, after: { version: 1, value: { hold: 'always' } }, status: 200 });
    expect(rows[0]).toMatchObject({ before: { version: 1, value: { hold: 'always' } }, after: { version: 2, value: { hold: 'never' } } });

    const published = await stack.app.inject({ method: 'POST', url: '/v1/rules/rollback', payload: {} });
    expect(published.statusCode).toBe(409);
    expect((await audit({ action: 'rules.rollback' })).items.map((r) => r.status)).toEqual([409]);
  });

  it('records a stock adjustment by the warehouse with on hand before and after', async () => {
    const res = await stack.injectAs(warehouse.key, { method: 'POST', url: '/v1/inventory/WH-SH/TEA-LJ-250/adjustments', payload: { delta: 5, reason: 'receipt', reference: 'RCV-1' } });
    expect(res.statusCode, res.body).toBe(201);
    const onHand = res.json().level.onHand as number;
    const [row] = (await audit({ keyId: warehouse.id })).items;
    expect(row).toMatchObject({
      actor: { role: 'warehouse', name: 'hangzhou WMS' },
      action: 'stock.adjust',
      params: { warehouseCode: 'WH-SH', skuCode: 'TEA-LJ-250' },
      before: { onHand: onHand - 5 },
      after: { onHand, delta: 5, reference: 'RCV-1' },
      status: 201,
    });
  });

  it('records the revocation of a key, and refused attempts of any role, but neither reads nor connector deliveries', async () => {
    const revoked = await stack.app.inject({ method: 'POST', url: `/v1/api-keys/${viewer.id}/revoke` });
    expect(revoked.statusCode).toBe(200);
    const [row] = (await audit({ action: 'api-key.revoke' })).items;
    expect(row).toMatchObject({ params: { id: viewer.id }, before: { id: viewer.id, revokedAt: null }, after: { id: viewer.id, revokedAt: expect.any(String), revokedBy: adminKeyId } });
    expect((await audit({ action: 'api-key.create' })).items).toHaveLength(4);

    const before = (await audit({ limit: '500' })).items.length;
    expect((await stack.injectAs(ops.key, { method: 'GET', url: '/v1/shops' })).statusCode).toBe(200);
    expect((await stack.injectAs(connector.key, { method: 'POST', url: '/v1/orders', payload: makeOrder({ shopId: 'audit-tb' }) })).statusCode).toBe(202);
    expect((await audit({ limit: '500' })).items).toHaveLength(before);
    // A connector trying what it may not do is recorded.
    expect((await stack.injectAs(connector.key, { method: 'PUT', url: '/v1/settings/merge-policy', payload: { hold: 'always' } })).statusCode).toBe(403);
    const [refused] = (await audit({ actor: 'erp connector' })).items;
    expect(refused).toMatchObject({ actor: { role: 'connector' }, action: 'settings.merge-policy', status: 403 });
  });

  it('is append-only', async () => {
    await expect(sql`update audit_log set status = 200`.execute(stack.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(stack.db)).rejects.toThrow(/append-only/);
  });
});

describe('GET /v1/audit', () => {
  it('filters by actor, key, role, action, route, shop, status and period, and pages by keyset', async () => {
    const all = (await audit({ limit: '500' })).items;
    expect(all.length).toBeGreaterThan(10);
    const ids = all.map((r) => Number(r.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    expect((await audit({ actor: 'wang (ops)' })).items.every((r) => r.actor.name === 'wang (ops)')).toBe(true);
    expect((await audit({ role: 'ops' })).items.map((r) => r.id)).toEqual(all.filter((r) => r.actor.role === 'ops').map((r) => r.id));
    expect((await audit({ shopId: 'audit-tb' })).items.map((r) => r.id)).toEqual(all.filter((r) => r.shopId === 'audit-tb').map((r) => r.id));
    expect((await audit({ status: '403' })).items.map((r) => r.status)).toEqual(all.filter((r) => r.status === 403).map(() => 403));
    expect((await audit({ method: 'PUT', route: '/v1/settings/merge-policy' })).items).toHaveLength(3);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await audit({ from: future })).items).toEqual([]);
    expect((await audit({ to: startedAt })).items).toEqual([]);
    const oldest = all.at(-1)!;
    expect((await audit({ from: startedAt, to: future, limit: '500' })).items).toHaveLength(all.length);
    expect((await audit({ to: oldest.at })).items).toEqual([]);

    // Page by page, three at a time: every row once, in order.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: AuditItem[]; nextCursor: string | null } = await audit({ limit: '3', ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((r) => r.id));

    expect((await stack.app.inject({ method: 'GET', url: '/v1/audit?cursor=abc' })).statusCode).toBe(400);
  });

  it('is for admins only', async () => {
    const res = await stack.injectAs(ops.key, { method: 'GET', url: '/v1/audit' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('role ops may not call GET /v1/audit') });
  });
});

describe('the first admin key', () => {
  it('is made only while the database has no key; a configured key is not brought back later', async () => {
    expect(await ensureFirstAdminKey(stack.db, stack.logger, generateApiKey())).toEqual({ outcome: 'exists', configured: 'absent' });
    expect(await ensureFirstAdminKey(stack.db, stack.logger, stack.adminKey)).toEqual({ outcome: 'exists', configured: 'active' });
    expect(await ensureFirstAdminKey(stack.db, stack.logger, undefined)).toEqual({ outcome: 'exists', configured: 'not_set' });
  });
});
