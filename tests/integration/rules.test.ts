import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { upsertCustomer } from '../../db/customers.repository.js';
import { migrationProvider } from '../../db/migrations/index.js';
import { insertReceivedOrder } from '../../db/orders.repository.js';
import { loadReviewContexts } from '../../db/review-context.repository.js';
import { NO_CUSTOMER_FACTS } from '../../domain/customer.js';
import { canonicalOrder, orderWorkflowId, type CanonicalOrderInput } from '../../domain/order.js';
import { DEFAULT_RULE_SET, type RuleSetInput } from '../../domain/rules/index.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

async function call(method: 'GET' | 'PUT' | 'POST' | 'PATCH', url: string, payload?: unknown, headers?: Record<string, string>) {
  const res = await stack.app.inject({ method, url, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}), ...(headers ? { headers } : {}) });
  return { status: res.statusCode, body: res.json() };
}

type Rule = RuleSetInput['rules'][number];

/** The default rule set with the big-order rule from `fen` on (the reason kept), and more rules. */
function defaultsWith(bigOrderFromFen: number, extra: Rule[] = [], description = `big orders from ${bigOrderFromFen / 100} yuan`): RuleSetInput {
  return {
    ...DEFAULT_RULE_SET,
    description,
    rules: [...DEFAULT_RULE_SET.rules.map((r) => (r.id === 'review.big-order' ? { ...r, when: { fact: 'amountFen' as const, op: 'gte' as const, value: bigOrderFromFen } } : r)), ...extra],
  };
}

const bigOrderThreshold = (doc: RuleSetInput) => (doc.rules.find((r) => r.id === 'review.big-order')!.when as { value: number }).value;

describe('rule set versions', () => {
  let v1: unknown;

  it('publishes the default rule set as version 1 on first read', async () => {
    const { status, body } = await call('GET', '/v1/rules');
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: 1, published: true, createdBy: 'orderly', description: 'Orderly defaults' });
    expect(bigOrderThreshold(body.document)).toBe(500_000);
    expect(body.findings).toEqual([]);
    expect(typeof body.publishedAt).toBe('string');
    v1 = body.document;

    const list = await call('GET', '/v1/rules/versions');
    expect(list.body.items).toEqual([expect.objectContaining({ version: 1, published: true, publishedAt: [body.publishedAt] })]);
  });

  it('stores drafts as new versions, publishes, rolls back, and never changes a stored version', async () => {
    const draft = await call('PUT', '/v1/rules/draft', defaultsWith(100_000), { 'x-orderly-user': 'ops-li' });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    expect(draft.body).toMatchObject({ version: 2, description: 'big orders from 1000 yuan', findings: [] });

    // A draft is not in force until it is published.
    expect((await call('GET', '/v1/rules')).body.version).toBe(1);
    const stored = await call('GET', '/v1/rules/versions/2');
    expect(stored.body).toMatchObject({ version: 2, published: false, createdBy: 'ops-li' });
    expect(bigOrderThreshold(stored.body.document)).toBe(100_000);

    const published = await call('POST', '/v1/rules/publish', { version: 2, comment: 'big orders from 1,000 yuan' });
    expect(published.status, JSON.stringify(published.body)).toBe(200);
    expect(published.body).toMatchObject({ version: 2, action: 'publish', comment: 'big orders from 1,000 yuan' });
    expect((await call('GET', '/v1/rules')).body).toMatchObject({ version: 2, published: true });
    const old = await call('GET', '/v1/rules/versions/1');
    expect(old.body).toMatchObject({ version: 1, published: false });
    expect(old.body.document).toEqual(v1);

    expect((await call('POST', '/v1/rules/publish', { version: 2 })).status).toBe(409);
    const unknown = await call('POST', '/v1/rules/publish', { version: 99 });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await call('GET', '/v1/rules/versions/99')).status).toBe(404);

    const back = await call('POST', '/v1/rules/rollback', { comment: 'too many reviews' });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body).toMatchObject({ version: 1, action: 'rollback', comment: 'too many reviews' });
    expect((await call('GET', '/v1/rules')).body).toMatchObject({ version: 1 });
    expect((await call('GET', '/v1/rules')).body.document).toEqual(v1);
    // Nothing was in force before version 1.
    expect((await call('POST', '/v1/rules/rollback', {})).status).toBe(409);

    // Only a version that was once in force can be rolled back to.
    expect((await call('PUT', '/v1/rules/draft', defaultsWith(200_000))).body.version).toBe(3);
    const never = await call('POST', '/v1/rules/rollback', { toVersion: 3 });
    expect(never.status).toBe(409);
    expect(never.body.message).toMatch(/never published/);
    expect((await call('POST', '/v1/rules/rollback', { toVersion: 1 })).status).toBe(409);
    expect((await call('POST', '/v1/rules/rollback', { toVersion: 42 })).status).toBe(404);
    expect((await call('POST', '/v1/rules/rollback', { toVersion: 2 })).body).toMatchObject({ version: 2, action: 'rollback' });
    expect((await call('POST', '/v1/rules/rollback', {})).body).toMatchObject({ version: 1, action: 'rollback' });

    const list = (await call('GET', '/v1/rules/versions')).body.items as { version: number; published: boolean; publishedAt: string[] }[];
    expect(list.map((v) => [v.version, v.published, v.publishedAt.length])).toEqual([
      [1, true, 3],
      [2, false, 2],
      [3, false, 0],
    ]);

    // The tables refuse a change to what was written.
    await expect(sql`update rule_set_versions set description = 'edited' where version = 1`.execute(stack.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from rule_set_publications`.execute(stack.db)).rejects.toThrow(/append-only/);
  });

  it('refuses invalid drafts with zod’s reasons', async () => {
    const rule = (over: Record<string, unknown>) => ({ id: 'review.x', stage: 'review', order: 1, then: [{ type: 'tag', tag: 'x' }], ...over });
    const refused = async (body: unknown) => {
      const r = await call('PUT', '/v1/rules/draft', body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      return r.body.issues as { path: string; message: string }[];
    };

    expect(await refused({ rules: [], colour: 'blue' })).toEqual([expect.objectContaining({ path: '/', message: expect.stringMatching(/colour/) })]);
    expect(await refused({ rules: [rule({ priority: 1 })] })).toEqual([expect.objectContaining({ path: '/rules/0', message: expect.stringMatching(/priority/) })]);
    expect(await refused({ rules: [rule({ then: [{ type: 'add_priority', value: 5 }] })] })).toEqual([
      expect.objectContaining({ path: '/rules/0/then/0/type', message: expect.stringMatching(/add_priority is not an action of the review stage/) }),
    ]);
    expect(await refused({ rules: [rule({ when: { fact: 'amountFen', op: 'gte', value: '500000' } })] })).toEqual([
      expect.objectContaining({ path: '/rules/0/when', message: expect.stringMatching(/amountFen gte: compares numbers only/) }),
    ]);
    expect(await refused({ rules: [rule({}), rule({ order: 2 })] })).toEqual([expect.objectContaining({ path: '/rules/1/id', message: 'rule id review.x appears twice' })]);
    expect(await refused({ rules: [rule({ when: { fact: 'colour', op: 'eq', value: 'red' } })] })).not.toEqual([]);

    // None of them was stored.
    expect((await call('GET', '/v1/rules/versions')).body.items).toHaveLength(3);
  });
});

describe('review context', () => {
  it('reads customers, SKU categories and free stock over active warehouses for many orders at once', async () => {
    await upsertCustomer(stack.db, { platform: 'taobao', buyerKey: 'ctx-vip', vipLevel: 4, blacklisted: false, tags: ['wholesale'] });
    expect((await call('PATCH', '/v1/skus/PHONE-X1', { category: 'electronics' })).body).toMatchObject({ code: 'PHONE-X1', category: 'electronics' });
    expect((await call('GET', '/v1/skus/TEA-LJ-250')).body.category).toBeNull();

    // Tea: 0 in Beijing, 120 in Tianjin, 300 in Shanghai (demo stock), none reserved.
    const tea = (quantity: number) => ({ platform: 'taobao' as const, buyerKey: 'nobody', skuCodes: ['TEA-LJ-250'], lines: [{ skuCode: 'TEA-LJ-250', quantity }] });
    const read = () =>
      loadReviewContexts(stack.db, [
        tea(420),
        tea(421),
        { platform: 'taobao', buyerKey: 'nobody', skuCodes: ['TEA-LJ-250', 'TEA-LJ-250'], lines: [{ skuCode: 'TEA-LJ-250', quantity: 200 }, { skuCode: 'TEA-LJ-250', quantity: 221 }] },
        { platform: 'taobao', buyerKey: 'ctx-vip', skuCodes: ['PHONE-X1', 'TEA-LJ-250'] },
        { platform: 'jd', buyerKey: 'ctx-vip', skuCodes: ['NO-SUCH-SKU'] },
      ]);
    const contexts = await read();
    expect(contexts.map((c) => c.stockSufficient)).toEqual([true, false, false, true, false]);
    expect(contexts[3]).toEqual({ customer: { vipLevel: 4, blacklisted: false, tags: ['wholesale'] }, categories: new Map([['PHONE-X1', 'electronics']]), stockSufficient: true });
    // Customers are per platform.
    expect(contexts[4]!.customer).toEqual(NO_CUSTOMER_FACTS);
    expect(contexts[0]!.categories.size).toBe(0);

    try {
      // An inactive warehouse's stock is not free to take.
      await stack.db.updateTable('warehouses').set({ active: false }).where('code', '=', 'WH-SH').execute();
      expect((await read()).map((c) => c.stockSufficient)).toEqual([false, false, false, true, false]);
      // Without any active warehouse stock is not managed here.
      await stack.db.updateTable('warehouses').set({ active: false }).execute();
      expect((await read()).map((c) => c.stockSufficient)).toEqual([true, true, true, true, true]);
    } finally {
      await stack.db.updateTable('warehouses').set({ active: true }).execute();
    }
    expect(await loadReviewContexts(stack.db, [])).toEqual([]);
  });
});

describe('dry run', () => {
  const FROM = '2026-10-01T00:00:00Z';
  const TO = '2026-10-02T00:00:00Z';
  const id = (platformOrderId: string) => orderWorkflowId('taobao', 'shop-dry', platformOrderId);

  /** A paid order of one line at `fen`, created `hour` hours into 1 October. */
  async function store(platformOrderId: string, fen: number, hour: number, over: Partial<CanonicalOrderInput> = {}) {
    const createdAt = new Date(Date.parse(FROM) + hour * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const paidAt = new Date(Date.parse(createdAt) + 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const order = makeOrder({
      shopId: 'shop-dry',
      platformOrderId,
      buyerKey: `buyer-${platformOrderId}`,
      createdAt,
      paidAt,
      lines: [{ skuCode: 'TEA-LJ-250', quantity: 1, unitPriceFen: fen, paidFen: fen }],
      amounts: { goodsFen: fen, paidFen: fen },
      discounts: [],
      ...over,
    });
    expect(await insertReceivedOrder(stack.db, stack.cipher, canonicalOrder.parse(order))).toBe(true);
  }

  beforeAll(async () => {
    await upsertCustomer(stack.db, { platform: 'taobao', buyerKey: 'buyer-E', vipLevel: 0, blacklisted: true, tags: [] });
    await upsertCustomer(stack.db, { platform: 'taobao', buyerKey: 'buyer-F', vipLevel: 0, blacklisted: false, tags: ['trusted'] });
    await store('A', 30_000, 1);
    await store('B', 150_000, 2);
    await store('C', 250_000, 3, { lines: [{ skuCode: 'PHONE-X1', quantity: 1, unitPriceFen: 250_000, paidFen: 250_000 }] });
    await store('D', 600_000, 4);
    await store('E', 120_000, 5);
    await store('F', 1_200_000, 6);
    // Outside [from, to).
    await store('G', 150_000, 24);
    await store('H', 150_000, -1);
    // A stored order that is not a valid canonical order is skipped.
    await stack.db
      .insertInto('orders')
      .values({
        id: id('BROKEN'),
        platform: 'taobao',
        shop_id: 'shop-dry',
        platform_order_id: 'BROKEN',
        buyer_key: 'buyer-broken',
        status: 'received',
        goods_fen: 100,
        paid_fen: 100,
        order: JSON.stringify({ platform: 'taobao', lines: [] }),
        platform_created_at: '2026-10-01T07:00:00Z',
      })
      .execute();
  });

  const DRAFT = defaultsWith(100_000, [
    // Trusted buyers are approved before any other check.
    { id: 'review.trusted', stage: 'review', order: 5, enabled: true, when: { fact: 'customerTags', op: 'contains', value: 'trusted' }, then: [{ type: 'approve' }, { type: 'stop' }] },
    // Held only on F (12,000 yuan), which review.trusted stops first.
    { id: 'review.huge', stage: 'review', order: 65, enabled: true, when: { fact: 'amountFen', op: 'gte', value: 1_000_000 }, then: [{ type: 'hold', reason: 'huge order' }] },
    { id: 'review.furniture', stage: 'review', order: 80, enabled: true, when: { fact: 'categories', op: 'contains', value: 'furniture' }, then: [{ type: 'manual_review', reason: 'bulky goods' }] },
    { id: 'review.electronics', stage: 'review', order: 85, enabled: true, when: { fact: 'categories', op: 'contains', value: 'electronics' }, then: [{ type: 'tag', tag: 'electronics' }] },
  ]);

  it('shows which orders a draft changes, the totals before and after, and its rules that never fired', async () => {
    expect((await call('GET', '/v1/rules')).body.version).toBe(1);
    const { status, body } = await call('POST', '/v1/rules/dry-run', { draft: DRAFT, from: FROM, to: TO });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ period: { from: FROM, to: TO }, baseVersion: 1, draftVersion: null, orders: 6, skipped: 1, truncated: false });

    // B and C reach the new threshold; C's phone is tagged; F's trusted buyer is approved before the big-order check.
    // D was sent to a person already, for the same reason; E stays held (a hold outranks a manual review).
    const changes = body.changes as { orderId: string; before: { verdict: { kind: string } }; after: { verdict: { kind: string }; tags: string[] }; changed: string[] }[];
    expect(changes.map((c) => [c.orderId, c.before.verdict.kind, c.after.verdict.kind, c.changed])).toEqual([
      [id('B'), 'approve', 'manual_review', ['verdict']],
      [id('C'), 'approve', 'manual_review', ['verdict', 'tags']],
      [id('F'), 'manual_review', 'approve', ['verdict']],
    ]);
    expect(changes[1]!.after.tags).toEqual(['electronics']);
    expect(changes[0]!.after.verdict).toEqual({ kind: 'manual_review', reasons: ['order of 5,000 yuan or more'] });
    expect(body.totals).toEqual({ approvedBefore: 3, approvedAfter: 2, manualBefore: 2, manualAfter: 3, heldBefore: 1, heldAfter: 1, rejectedBefore: 0, rejectedAfter: 0, changed: 3 });

    const findings = body.findings as { ruleId: string; kind: string; orders?: number; stoppedBy?: unknown }[];
    expect(findings).toContainEqual(expect.objectContaining({ ruleId: 'review.furniture', kind: 'never_fired_in_period', stage: 'review' }));
    expect(findings).toContainEqual(expect.objectContaining({ ruleId: 'review.huge', kind: 'shadowed_in_period', orders: 1, stoppedBy: [{ ruleId: 'review.trusted', orders: 1 }] }));
    const reported = findings.map((f) => f.ruleId);
    for (const fired of ['review.trusted', 'review.big-order', 'review.blacklist', 'review.electronics', 'priority.amount']) expect(reported).not.toContain(fired);

    // The same request gives the same answer.
    expect((await call('POST', '/v1/rules/dry-run', { draft: DRAFT, from: FROM, to: TO })).body).toEqual(body);
  });

  it('runs a stored version as the draft, and honours the limit', async () => {
    const { status, body } = await call('POST', '/v1/rules/dry-run', { draft: { version: 2 }, from: FROM, to: TO });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ baseVersion: 1, draftVersion: 2, orders: 6 });
    // Version 2 only lowers the threshold: F was sent to a person before for the same reason.
    expect(body.changes.map((c: { orderId: string }) => c.orderId)).toEqual([id('B'), id('C')]);

    const first = await call('POST', '/v1/rules/dry-run', { draft: { version: 2 }, from: FROM, to: TO, limit: 2 });
    expect(first.body).toMatchObject({ orders: 2, skipped: 0, truncated: true, totals: { approvedBefore: 2, manualAfter: 1, changed: 1 } });
  });

  it('refuses a bad request', async () => {
    expect((await call('POST', '/v1/rules/dry-run', { draft: { version: 99 }, from: FROM, to: TO })).status).toBe(404);
    expect((await call('POST', '/v1/rules/dry-run', { draft: DRAFT, from: TO, to: FROM })).status).toBe(400);
    expect((await call('POST', '/v1/rules/dry-run', { draft: DRAFT, from: FROM, to: TO, limit: 50_001 })).status).toBe(400);
    expect((await call('POST', '/v1/rules/dry-run', { draft: DRAFT, from: '2026-10-01 00:00:00', to: TO })).status).toBe(400);
    const invalid = await call('POST', '/v1/rules/dry-run', { draft: { rules: [{ id: 'x', stage: 'split', order: 1, then: [{ type: 'approve' }] }] }, from: FROM, to: TO });
    expect(invalid.status).toBe(400);
    expect(invalid.body.issues).toEqual([expect.objectContaining({ path: '/draft/rules/0/then/0/type' })]);
  });
});

describe('settings history', () => {
  it('keeps every version of the merge policy readable', async () => {
    expect((await call('GET', '/v1/settings/merge-policy/versions/1')).status).toBe(404);
    expect((await call('PUT', '/v1/settings/merge-policy', { hold: 'always', holdWindowSeconds: 600 })).body.version).toBe(1);
    expect((await call('PUT', '/v1/settings/merge-policy', { id: 'merge.never', hold: 'never' })).body.version).toBe(2);
    expect((await call('GET', '/v1/settings/merge-policy')).body).toMatchObject({ id: 'merge.never', version: 2, hold: 'never' });

    const first = await call('GET', '/v1/settings/merge-policy/versions/1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: 'merge.configured', hold: 'always', holdWindowSeconds: 600, effectiveHoldWindowSeconds: 600, version: 1, source: 'configured' });
    expect((await call('GET', '/v1/settings/merge-policy/versions/2')).body).toMatchObject({ id: 'merge.never', version: 2 });
    const missing = await call('GET', '/v1/settings/merge-policy/versions/3');
    expect(missing).toMatchObject({ status: 404, body: { error: 'not_found', message: 'the merge policy has no stored version 3' } });
  });

  it('keeps every version of the allocation strategy readable', async () => {
    expect((await call('GET', '/v1/settings/allocation-strategy/versions/1')).status).toBe(404);
    const strategy = { id: 'allocation.priority-first', filters: ['inactive'], rankBy: ['priority', 'distance'], steps: ['single-warehouse'], loadThreshold: 0.9, distanceBandKm: 0 };
    await call('PUT', '/v1/settings/allocation-strategy', strategy);
    await call('PUT', '/v1/settings/allocation-strategy', { ...strategy, id: 'allocation.nearest', rankBy: ['distance'] });
    expect((await call('GET', '/v1/settings/allocation-strategy/versions/1')).body).toMatchObject({ ...strategy, version: 1, source: 'configured' });
    expect((await call('GET', '/v1/settings/allocation-strategy/versions/2')).body).toMatchObject({ id: 'allocation.nearest', version: 2 });
  });

  it('the migration carries the settings of an existing database into their history', async () => {
    const name = `orderly_t_mig_${Date.now()}`;
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the migrator works on an untyped schema
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: `${inject('pgBaseUrl')}/${name}`, max: 2 }) }) });
    try {
      const migrator = new Migrator({ db, provider: migrationProvider, migrationTableName: 'orderly_migrations', migrationLockTableName: 'orderly_migrations_lock' });
      expect((await migrator.migrateTo('2026_12_01_0600_customers')).error).toBeUndefined();
      await db.insertInto('settings').values({ key: 'merge-policy', value: JSON.stringify({ hold: 'never' }), version: 7 }).execute();
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await db.selectFrom('settings_versions').select(['key', 'version', 'value']).execute()).toEqual([{ key: 'merge-policy', version: 7, value: { hold: 'never' } }]);
    } finally {
      await db.destroy();
    }
  });
});

describe('OpenAPI', () => {
  it('documents the rule routes', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths as Record<string, unknown>);
    expect(paths).toEqual(expect.arrayContaining(['/v1/rules', '/v1/rules/versions', '/v1/rules/versions/{version}', '/v1/rules/draft', '/v1/rules/publish', '/v1/rules/rollback', '/v1/rules/dry-run', '/v1/settings/merge-policy/versions/{version}']));
  });
});
