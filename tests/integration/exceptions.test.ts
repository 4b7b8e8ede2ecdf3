// The exception center on a real PostgreSQL (and Temporal for the order path): exceptions opened through
// openException and through a real package event take their type, severity, owner role and due time from the
// exception policy; the queue filters and pages; the summary counts; assignment and resolution change an open
// exception once and refuse the rest with 409, changing nothing; a policy change moves the due time of new
// exceptions only, and its earlier version stays readable. The migration's backfill of older rows is checked
// by migrating down and up again.
import { sql } from 'kysely';
import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFirstAdminKey } from '../../api/plugins/api-keys.js';
import { escalateException, openException, recordNotification } from '../../db/exceptions.repository.js';
import { migrationProvider } from '../../db/migrations/index.js';
import { fulfilmentQuery } from '../../workflows/order.messages.js';
import { get, orderStatusOf, post, seedBasics, submitOrder, teaOrder } from '../helpers/fulfilment.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '2s' });
  await seedBasics(stack, { hz: { 'FZ-TEA': 20 } });
});
afterAll(async () => {
  await stack?.close();
});

const MIN = 60_000;
const put = async (url: string, payload: unknown) => {
  const res = await stack.app.inject({ method: 'PUT', url, payload: payload as object });
  return { status: res.statusCode, body: res.json() };
};
const plus = (t: Date, minutes: number) => new Date(t.getTime() + minutes * MIN).toISOString();

interface Out {
  id: string;
  kind: string;
  type: string;
  severity: string;
  status: string;
  ownerRole: string;
  owner: string | null;
  orderId: string | null;
  dueAt: string;
  openedAt: string;
  overdue: boolean;
  escalationLevel: number;
  actions: string[];
  resolution: { action: string; comment?: string } | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  suggestions?: Array<{ action: string; rank: number }>;
  events?: Array<{ event: string; actor: string | null; detail: Record<string, unknown> }>;
}
const list = async (query: string) => {
  const r = await get(stack, `/v1/exceptions${query ? `?${query}` : ''}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { items: Out[]; nextCursor: string | null };
};
const ids = async (query: string) => (await list(query)).items.map((x) => x.id);
const one = async (id: string) => (await get(stack, `/v1/exceptions/${id}`)).body as Out;

describe('migration 2026_12_01_0800_exception_center', () => {
  it('backfills older rows: type from the kind, the default owner and severity, due two hours after opening', async () => {
    const migrator = new Migrator({ db: stack.db, provider: migrationProvider, migrationTableName: 'orderly_migrations', migrationLockTableName: 'orderly_migrations_lock' });
    const down = await migrator.migrateTo('2026_12_01_0710_reviews');
    expect(down.error).toBeUndefined();
    const kinds = ['channel_pull_failing', 'intercept_failed', 'changed_after_release', 'review_overdue', 'review_rejected', 'channelXpull', 'something_else'];
    for (const kind of kinds) {
      await sql`insert into exceptions (kind, shop_id, detail, status, created_at) values (${kind}, 'legacy-shop', '{}'::jsonb, ${kind === 'something_else' ? 'resolved' : 'open'}, '2026-11-11T00:00:00Z')`.execute(stack.db);
    }
    // Two opened in the same instant, to the microsecond: the queue's cursor must tell them apart.
    await sql`insert into exceptions (kind, shop_id, detail) values ('channel_a', 'legacy-now', '{}'::jsonb), ('channel_b', 'legacy-now', '{}'::jsonb)`.execute(stack.db);
    const up = await migrator.migrateToLatest();
    expect(up.error).toBeUndefined();
    // Down and up again dropped the API keys' table with the stack's admin key: stored again, as a first start does.
    expect((await ensureFirstAdminKey(stack.db, stack.logger, stack.adminKey)).outcome).toBe('created');

    const rows = await stack.db.selectFrom('exceptions').select(['kind', 'type', 'severity', 'owner_role', 'due_at', 'status']).where('shop_id', '=', 'legacy-shop').orderBy('id').execute();
    const due = new Date('2026-11-11T02:00:00Z');
    expect(rows).toEqual([
      { kind: 'channel_pull_failing', type: 'SYNC_FAILING', severity: 'critical', owner_role: 'admin', due_at: due, status: 'open' },
      { kind: 'intercept_failed', type: 'INTERCEPT_FAILED', severity: 'high', owner_role: 'customer_service', due_at: due, status: 'open' },
      { kind: 'changed_after_release', type: 'PLATFORM_CHANGED', severity: 'high', owner_role: 'ops', due_at: due, status: 'open' },
      { kind: 'review_overdue', type: 'REVIEW_OVERDUE', severity: 'medium', owner_role: 'ops_lead', due_at: due, status: 'open' },
      { kind: 'review_rejected', type: 'REVIEW_REJECTED', severity: 'medium', owner_role: 'customer_service', due_at: due, status: 'open' },
      { kind: 'channelXpull', type: 'INCOMPLETE_INFO', severity: 'medium', owner_role: 'customer_service', due_at: due, status: 'open' },
      { kind: 'something_else', type: 'INCOMPLETE_INFO', severity: 'medium', owner_role: 'customer_service', due_at: due, status: 'resolved' },
    ]);
    // Their history starts with their opening (and closing).
    const events = await stack.db
      .selectFrom('exception_events')
      .innerJoin('exceptions', 'exceptions.id', 'exception_events.exception_id')
      .select(['exceptions.kind', 'exception_events.event'])
      .where('exceptions.shop_id', '=', 'legacy-shop')
      .orderBy('exception_events.id')
      .execute();
    expect(events.filter((e) => e.event === 'opened')).toHaveLength(kinds.length);
    expect(events.filter((e) => e.event === 'resolved').map((e) => e.kind)).toEqual(['something_else']);
  });

  it('refuses an exception without an owner role or a due time, and any change to its history', async () => {
    await expect(sql`insert into exceptions (kind, type, severity, owner_role, detail) values ('x', 'INCOMPLETE_INFO', 'medium', 'ops', '{}'::jsonb)`.execute(stack.db)).rejects.toThrow(/due_at/);
    await expect(
      sql`insert into exceptions (kind, type, severity, due_at, detail) values ('x', 'INCOMPLETE_INFO', 'medium', now(), '{}'::jsonb)`.execute(stack.db),
    ).rejects.toThrow(/owner_role/);
    await expect(sql`update exception_events set actor = 'someone'`.execute(stack.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from exception_events`.execute(stack.db)).rejects.toThrow(/append-only/);
  });
});

describe('the exception center', () => {
  const t0 = new Date(Date.now() - MIN);
  const threeHoursAgo = new Date(Date.now() - 180 * MIN);
  const mine: Record<'A' | 'B' | 'C' | 'D' | 'E', string> = { A: '', B: '', C: '', D: '', E: '' };
  const orderA = 'order:taobao:ex-shop-a:10001';

  it('opens exceptions typed, owned and due by the default policy, once per kind, shop and order', async () => {
    const a = await openException(stack.db, {
      kind: 'out_of_stock',
      shopId: 'ex-shop-a',
      orderId: orderA,
      detail: { skuCode: 'FZ-TEA', short: 2 },
      warehouseCode: 'WH-1',
      priority: 5,
      openedAt: t0,
      suggestions: [
        { action: 'ship_available', rank: 1, label: 'Ship the mug now, the tea later', costFen: 800, deliveryDelayDays: 0, params: { warehouseCode: 'WH-1' } },
        { action: 'wait_for_stock', rank: 2, label: 'Wait for the receipt on Friday', costFen: 0, deliveryDelayDays: 3, params: {} },
      ],
    });
    expect(a).toMatchObject({ created: true, type: 'OUT_OF_STOCK', dueAt: plus(t0, 120) });
    expect(a.row).toMatchObject({ severity: 'high', owner_role: 'ops', priority: 5, warehouse_code: 'WH-1', escalation_level: 0 });
    expect(a.schedule.levels).toEqual([
      { level: 1, at: plus(t0, 120), ownerRole: 'ops_lead' },
      { level: 2, at: plus(t0, 240), ownerRole: 'ops_lead' },
      { level: 3, at: plus(t0, 480), ownerRole: 'admin' },
    ]);
    mine.A = a.id;

    const again = await openException(stack.db, { kind: 'out_of_stock', shopId: 'ex-shop-a', orderId: orderA, detail: {} });
    expect(again).toMatchObject({ created: false, id: a.id, dueAt: a.dueAt });

    const b = await openException(stack.db, { kind: 'channel_pull_failing', shopId: 'ex-shop-a', detail: { consecutiveFailures: 5 }, openedAt: t0 });
    expect(b).toMatchObject({ created: true, type: 'SYNC_FAILING', dueAt: plus(t0, 15) });
    expect(b.row).toMatchObject({ severity: 'critical', owner_role: 'admin', order_id: null });
    mine.B = b.id;
    const c = await openException(stack.db, { kind: 'address_ambiguous', shopId: 'ex-shop-b', orderId: 'order:taobao:ex-shop-b:2', detail: {}, openedAt: threeHoursAgo });
    expect(c.row).toMatchObject({ type: 'ADDRESS_AMBIGUOUS', severity: 'medium', owner_role: 'customer_service' });
    mine.C = c.id;
    const d = await openException(stack.db, { kind: 'price_mismatch', shopId: 'ex-shop-b', orderId: 'order:taobao:ex-shop-b:3', detail: {}, openedAt: t0 });
    expect(d.row).toMatchObject({ type: 'PRICE_MISMATCH', severity: 'high', owner_role: 'finance' });
    mine.D = d.id;
    const e = await openException(stack.db, { kind: 'out_of_stock', shopId: 'ex-shop-a', orderId: 'order:taobao:ex-shop-a:4', detail: {}, warehouseCode: 'WH-2', openedAt: t0 });
    mine.E = e.id;
    // A type given explicitly wins over the kind's.
    const typed = await openException(stack.db, { kind: 'carrier_down', type: 'SHIPMENT_OVERDUE', severity: 'low', shopId: 'ex-shop-c', detail: {}, openedAt: t0 });
    expect(typed.row).toMatchObject({ type: 'SHIPMENT_OVERDUE', severity: 'low', owner_role: 'warehouse' });
    expect(typed.dueAt).toBe(plus(t0, 30));

    const detail = await one(mine.A);
    expect(detail).toMatchObject({ id: mine.A, type: 'OUT_OF_STOCK', severity: 'high', ownerRole: 'ops', owner: null, status: 'open', dueAt: plus(t0, 120), openedAt: t0.toISOString(), overdue: false });
    expect(detail.actions).toEqual(['ship_available', 'wait_for_stock', 'ship_from_warehouse', 'substitute_sku', 'cancel_lines', 'cancel_order']);
    expect(detail.suggestions?.map((s) => [s.rank, s.action])).toEqual([
      [1, 'ship_available'],
      [2, 'wait_for_stock'],
    ]);
    expect(detail.events).toEqual([expect.objectContaining({ event: 'opened', actor: null, detail: expect.objectContaining({ type: 'OUT_OF_STOCK', policy: { id: 'exceptions.default', version: 0 } }) })]);
    // A shop-level exception can only be acknowledged.
    expect((await one(mine.B)).actions).toEqual(['acknowledge']);
    expect((await get(stack, '/v1/exceptions/999999999')).status).toBe(404);
    expect((await get(stack, '/v1/exceptions/abc')).status).toBe(400);
  });

  it('lists the queue critical first, then by priority, then by due time, with each filter', async () => {
    const all = await ids('');
    const order = ['B', 'A', 'D', 'E', 'C'] as const;
    expect(all.filter((id) => Object.values(mine).includes(id))).toEqual(order.map((k) => mine[k]));
    expect(await ids('shopId=ex-shop-a')).toEqual([mine.B, mine.A, mine.E]);
    expect(await ids('shopId=ex-shop-a&type=OUT_OF_STOCK')).toEqual([mine.A, mine.E]);
    expect(await ids('warehouseCode=WH-1')).toEqual([mine.A]);
    expect(await ids('orderId=' + encodeURIComponent(orderA))).toEqual([mine.A]);
    expect(await ids('shopId=ex-shop-b&ownerRole=finance')).toEqual([mine.D]);
    expect(await ids('shopId=ex-shop-b&overdue=true')).toEqual([mine.C]);
    expect(await ids('shopId=ex-shop-b&overdue=false')).toEqual([mine.D]);
    expect((await list('shopId=ex-shop-b&overdue=true')).items[0]).toMatchObject({ overdue: true, dueAt: plus(threeHoursAgo, 120) });
    expect(await ids('shopId=ex-shop-a&status=resolved')).toEqual([]);
    expect(await ids('shopId=ex-shop-a&status=all')).toEqual([mine.B, mine.A, mine.E]);

    // Strict query: an unknown filter or a bad value is refused, never ignored.
    expect((await get(stack, '/v1/exceptions?shop=ex-shop-a')).status).toBe(400);
    expect((await get(stack, '/v1/exceptions?type=NOPE')).status).toBe(400);
    expect((await get(stack, '/v1/exceptions?overdue=yes')).status).toBe(400);
    expect((await get(stack, '/v1/exceptions?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
  });

  it('pages with an opaque cursor, never repeating or skipping a row', async () => {
    const p1 = await list('shopId=ex-shop-a&limit=2');
    expect(p1.items.map((x) => x.id)).toEqual([mine.B, mine.A]);
    expect(p1.nextCursor).toEqual(expect.any(String));
    const p2 = await list(`shopId=ex-shop-a&limit=2&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    expect(p2.items.map((x) => x.id)).toEqual([mine.E]);
    expect(p2.nextCursor).toBeNull();

    // Walked one row a page, the queue is the same (the migrated rows too, whose due times have microseconds).
    const whole = await ids('status=all&limit=500');
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Out[]; nextCursor: string | null } = await list(`status=all&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      walked.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor && walked.length <= whole.length);
    expect(walked).toEqual(whole);
    const twins = await list('shopId=legacy-now&limit=1');
    expect(twins.items.map((x) => x.kind)).toEqual(['channel_a']);
    expect((await list(`shopId=legacy-now&limit=1&cursor=${encodeURIComponent(twins.nextCursor!)}`)).items.map((x) => x.kind)).toEqual(['channel_b']);
  });

  it('sums up open exceptions by type, severity and escalation level, with their ages and overdue counts', async () => {
    const s = (await get(stack, '/v1/exceptions/summary?shopId=ex-shop-b')).body;
    expect(s.total).toMatchObject({ open: 2, overdue: 1, oldestOpenedAt: threeHoursAgo.toISOString() });
    expect(s.total.ageSeconds.max).toBeGreaterThanOrEqual(180 * 60);
    expect(s.total.ageSeconds.max).toBeLessThan(180 * 60 + 120);
    expect(s.byType).toEqual([
      expect.objectContaining({ type: 'ADDRESS_AMBIGUOUS', open: 1, overdue: 1, oldestOpenedAt: threeHoursAgo.toISOString() }),
      expect.objectContaining({ type: 'PRICE_MISMATCH', open: 1, overdue: 0, oldestOpenedAt: t0.toISOString() }),
    ]);
    const [ambiguous] = s.byType as Array<{ ageSeconds: { p50: number; p90: number } }>;
    expect(ambiguous!.ageSeconds.p50).toBeGreaterThanOrEqual(180 * 60);
    expect(s.bySeverity.map((x: { severity: string; open: number }) => [x.severity, x.open])).toEqual([
      ['high', 1],
      ['medium', 1],
    ]);
    expect(s.byLevel).toEqual([expect.objectContaining({ level: 0, open: 2, overdue: 1 })]);
    // p50 of two open exceptions lies between their ages.
    expect(s.total.ageSeconds.p50).toBeGreaterThan(60);
    expect(s.total.ageSeconds.p50).toBeLessThan(180 * 60);

    // Escalation only raises the level, once; a notification is recorded once.
    expect(await escalateException(stack.db, mine.C, 1, 'ops')).toBe(true);
    expect(await escalateException(stack.db, mine.C, 1, 'ops')).toBe(false);
    expect(await escalateException(stack.db, mine.C, 0, 'customer_service')).toBe(false);
    expect(await recordNotification(stack.db, mine.C, { level: 1, channel: 'webhook', status: 200 })).toBe(true);
    expect(await recordNotification(stack.db, mine.C, { level: 1, channel: 'webhook', status: 200 })).toBe(false);
    const c = await one(mine.C);
    expect(c).toMatchObject({ escalationLevel: 1, ownerRole: 'ops' });
    expect(c.events?.map((e) => e.event)).toEqual(['opened', 'escalated', 'notified']);
    expect(c.events?.[1]).toMatchObject({ actor: null, detail: { level: 1, fromLevel: 0, ownerRole: 'ops', previousOwnerRole: 'customer_service' } });

    const after = (await get(stack, '/v1/exceptions/summary?shopId=ex-shop-b')).body;
    expect(after.byLevel).toEqual([expect.objectContaining({ level: 0, open: 1, overdue: 0 }), expect.objectContaining({ level: 1, open: 1, overdue: 1 })]);
    expect((await get(stack, '/v1/exceptions/summary?shop=x')).status).toBe(400);
    const everything = (await get(stack, '/v1/exceptions/summary')).body;
    expect(everything.total.open).toBeGreaterThanOrEqual(5);
  });

  it('assigns an open exception to a person, once', async () => {
    const r = await post(stack, `/v1/exceptions/${mine.A}/assign`, { owner: 'li.ops', actor: 'wang.lead' });
    expect(r).toMatchObject({ status: 200, body: { id: mine.A, owner: 'li.ops', ownerRole: 'ops' } });
    expect(await ids('owner=li.ops')).toEqual([mine.A]);
    expect((await post(stack, `/v1/exceptions/${mine.A}/assign`, { owner: 'li.ops', actor: 'wang.lead' })).status).toBe(200);
    expect((await one(mine.A)).events?.filter((e) => e.event === 'assigned')).toEqual([expect.objectContaining({ actor: 'wang.lead', detail: { owner: 'li.ops', previousOwner: null } })]);
    expect((await post(stack, '/v1/exceptions/999999999/assign', { owner: 'li.ops', actor: 'wang.lead' })).status).toBe(404);
    expect((await post(stack, `/v1/exceptions/${mine.A}/assign`, { owner: 'li.ops' })).status).toBe(400);
  });

  it('refuses an action that does not fit, changing nothing; acknowledges a shop-level exception once', async () => {
    const before = await one(mine.A);
    const wrong = await post(stack, `/v1/exceptions/${mine.A}/resolve`, { action: 'choose_address', resolvedBy: 'li.ops' });
    expect(wrong.status).toBe(409);
    expect(wrong.body.message).toMatch(/choose_address does not resolve a OUT_OF_STOCK exception/);
    expect(await one(mine.A)).toEqual(before);
    // Not even a shop-level exception takes anything but acknowledge.
    expect((await post(stack, `/v1/exceptions/${mine.B}/resolve`, { action: 'refund', resolvedBy: 'li.ops' })).status).toBe(409);
    expect((await post(stack, `/v1/exceptions/${mine.B}/resolve`, { action: 'acknowledge', resolvedBy: 'li.ops', urgent: true })).status).toBe(400);
    expect((await post(stack, '/v1/exceptions/999999999/resolve', { action: 'acknowledge', resolvedBy: 'li.ops' })).status).toBe(404);

    const ack = await post(stack, `/v1/exceptions/${mine.B}/resolve`, { action: 'acknowledge', resolvedBy: 'zhao.admin', comment: 'app key renewed' });
    expect(ack).toEqual({ status: 200, body: { exceptionId: mine.B, orderId: null, action: 'acknowledge', status: 'resolved' } });
    const b = await one(mine.B);
    expect(b).toMatchObject({ status: 'resolved', resolution: { action: 'acknowledge', comment: 'app key renewed' }, resolvedBy: 'zhao.admin', overdue: false });
    expect(b.resolvedAt).toEqual(expect.any(String));
    expect(b.events?.at(-1)).toMatchObject({ event: 'resolved', actor: 'zhao.admin', detail: { action: 'acknowledge', comment: 'app key renewed' } });

    const second = await post(stack, `/v1/exceptions/${mine.B}/resolve`, { action: 'acknowledge', resolvedBy: 'li.ops' });
    expect(second.status).toBe(409);
    expect(second.body.message).toMatch(/already resolved/);
    expect(await one(mine.B)).toEqual(b);
    expect((await post(stack, `/v1/exceptions/${mine.B}/assign`, { owner: 'li.ops', actor: 'li.ops' })).status).toBe(409);
    expect(await ids('shopId=ex-shop-a&status=resolved')).toEqual([mine.B]);
    expect(await ids('shopId=ex-shop-a')).toEqual([mine.A, mine.E]);
  });

  it("answers 409 with the reason when an order's exception cannot be resolved through its workflow", async () => {
    // No workflow runs for this order: the update cannot be delivered; the exception stays open.
    const r = await post(stack, `/v1/exceptions/${mine.A}/resolve`, { action: 'ship_available', resolvedBy: 'li.ops' });
    expect(r.status).toBe(409);
    expect(r.body.message).toMatch(/order:taobao:ex-shop-a:10001/);
    expect((await one(mine.A)).status).toBe('open');
  });

  it('opens an exception from a real path: a parcel the warehouse could not stop', async () => {
    const order = await submitOrder(stack, teaOrder('buyer-ex1', '保俶路 19 号'));
    await eventually(() => orderStatusOf(stack, order), (s) => s === 'released', 30_000, 'released');
    const packageId = (await stack.client.workflow.getHandle(order).query(fulfilmentQuery)).packages[0]!.packageId;
    await post(stack, `/v1/orders/${encodeURIComponent(order)}/events`, { type: 'cancelled', reason: 'buyer cancelled late' });
    await eventually(() => orderStatusOf(stack, order), (s) => s === 'on_hold', 20_000, 'awaiting interception');
    expect((await post(stack, `/v1/packages/${packageId}/events`, { type: 'intercept_failed', reason: 'already collected' })).status).toBe(202);

    const [ex] = (await eventually(() => list(`orderId=${encodeURIComponent(order)}`), (p) => p.items.length > 0, 20_000, 'exception opened')).items;
    expect(ex).toMatchObject({ kind: 'intercept_failed', type: 'INTERCEPT_FAILED', severity: 'high', ownerRole: 'customer_service', orderId: order, status: 'open' });
    expect(Date.parse(ex!.dueAt) - Date.parse(ex!.openedAt)).toBe(30 * MIN);
    expect(ex!.actions).toEqual(['acknowledge', 'refund']);

    // An action that does not fit never reaches the order (409 with its reason, not 500) and changes nothing.
    const refused = await post(stack, `/v1/exceptions/${ex!.id}/resolve`, { action: 'cancel_order', resolvedBy: 'li.cs' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/does not resolve a INTERCEPT_FAILED exception/);
    expect((await one(ex!.id)).status).toBe('open');
    // The order has ended (shipped after all): the refund is the seller's on the platform, recorded here.
    await eventually(async () => (await stack.client.workflow.getHandle(order).describe()).status.name, (s) => s === 'COMPLETED', 20_000, 'the order ended');
    const refund = await post(stack, `/v1/exceptions/${ex!.id}/resolve`, { action: 'refund', resolvedBy: 'li.cs', comment: 'refunded the buyer on the platform' });
    expect(refund.status, JSON.stringify(refund.body)).toBe(200);
    expect(refund.body).toMatchObject({ status: 'resolved', action: 'refund' });
    expect(await one(ex!.id)).toMatchObject({ status: 'resolved', resolvedBy: 'li.cs' });
  });

  it('applies a new policy to new exceptions only, and keeps its earlier versions readable', async () => {
    const initial = (await get(stack, '/v1/settings/exception-policy')).body;
    expect(initial).toMatchObject({ id: 'exceptions.default', version: 0, source: 'default', updatedAt: null });
    expect(initial.types.OUT_OF_STOCK).toMatchObject({ severity: 'high', ownerRole: 'ops', slaMinutes: 120 });

    const shorter = {
      types: { OUT_OF_STOCK: { severity: 'critical', ownerRole: 'warehouse', slaMinutes: 30, escalation: [{ level: 1, afterMinutes: 30, ownerRole: 'warehouse_lead' }] } },
    };
    const v1 = await put('/v1/settings/exception-policy', shorter);
    expect(v1.status, JSON.stringify(v1.body)).toBe(200);
    expect(v1.body).toMatchObject({ id: 'exceptions.configured', version: 1, source: 'configured' });
    expect(v1.body.types.OUT_OF_STOCK).toMatchObject({ severity: 'critical', ownerRole: 'warehouse', slaMinutes: 30 });
    // Types it does not name keep their defaults.
    expect(v1.body.types.SYNC_FAILING).toEqual(initial.types.SYNC_FAILING);

    const t1 = new Date();
    const fresh = await openException(stack.db, { kind: 'out_of_stock', shopId: 'ex-shop-d', orderId: 'order:taobao:ex-shop-d:1', detail: {}, openedAt: t1 });
    expect(fresh).toMatchObject({ dueAt: plus(t1, 30), schedule: { levels: [{ level: 1, at: plus(t1, 30), ownerRole: 'warehouse_lead' }] } });
    expect(fresh.row).toMatchObject({ severity: 'critical', owner_role: 'warehouse' });
    expect((await one(fresh.id)).events?.[0]?.detail).toMatchObject({ policy: { id: 'exceptions.configured', version: 1 } });
    // An exception already open keeps its due time.
    expect((await one(mine.E)).dueAt).toBe(plus(t0, 120));
    // The new one is critical now: it goes before the high ones of its type.
    expect(await ids('type=OUT_OF_STOCK')).toEqual([fresh.id, mine.A, mine.E]);

    const v2 = await put('/v1/settings/exception-policy', { ...shorter, types: { OUT_OF_STOCK: { ...shorter.types.OUT_OF_STOCK, slaMinutes: 45, escalation: [{ level: 1, afterMinutes: 45, ownerRole: 'warehouse_lead' }] } } });
    expect(v2.body).toMatchObject({ version: 2 });
    expect((await get(stack, '/v1/settings/exception-policy')).body).toMatchObject({ version: 2, types: { OUT_OF_STOCK: { slaMinutes: 45 } } });
    const old = await get(stack, '/v1/settings/exception-policy/versions/1');
    expect(old).toMatchObject({ status: 200, body: { version: 1, source: 'configured', types: { OUT_OF_STOCK: { slaMinutes: 30 } } } });
    expect((await get(stack, '/v1/settings/exception-policy/versions/9')).status).toBe(404);

    // Refused, and nothing stored: an unknown field, an escalation before the SLA.
    expect((await put('/v1/settings/exception-policy', { ...shorter, sla: 5 })).status).toBe(400);
    const early = { types: { OUT_OF_STOCK: { ...shorter.types.OUT_OF_STOCK, escalation: [{ level: 1, afterMinutes: 10, ownerRole: 'ops_lead' }] } } };
    expect((await put('/v1/settings/exception-policy', early)).status).toBe(400);
    expect((await get(stack, '/v1/settings/exception-policy')).body.version).toBe(2);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await stack.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode, doc.body.slice(0, 500)).toBe(200);
    const paths = doc.json().paths as Record<string, Record<string, { tags?: string[] }>>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/v1/exceptions',
        '/v1/exceptions/summary',
        '/v1/exceptions/{id}',
        '/v1/exceptions/{id}/assign',
        '/v1/exceptions/{id}/resolve',
        '/v1/settings/exception-policy',
        '/v1/settings/exception-policy/versions/{version}',
      ]),
    );
    expect(paths['/v1/exceptions']?.get?.tags).toEqual(['exceptions']);
  });

  it('gives every exception an owner role and a due time', async () => {
    const all = await list('status=all&limit=500');
    expect(all.items.length).toBeGreaterThanOrEqual(14);
    for (const x of all.items) {
      expect(x.ownerRole, x.id).toMatch(/^[a-z_]+$/);
      expect(Number.isNaN(Date.parse(x.dueAt)), x.id).toBe(false);
    }
  });
});
