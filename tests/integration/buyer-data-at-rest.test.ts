// Buyer data at rest, on a real PostgreSQL and Temporal: orders posted, pushed by a platform, edited by a reviewer
// and by an exception's resolution, each with a receiver found nowhere else. Afterwards no column of any table
// (the list comes from information_schema, so a new table is covered) holds the name, phone or street in plain
// text; the API shows them to a caller allowed to see them, lists show masked forms, admins read pushed bodies
// through the inbox routes, rows of older code are sealed by the data migration, and a rotated key ring still
// reads what the old key sealed.
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import type { SimShop } from '../../channels/simulator/server.js';
import { PlatformSimulator } from '../../channels/simulator/server.js';
import { taobaoPushSignature } from '../../channels/taobao/index.js';
import type { Config } from '../../config/config.js';
import { fieldCipherFor } from '../../config/field-cipher.js';
import { payloadDataConverter } from '../../config/payload-codec.js';
import { BUYER_DATA_MIGRATION, sealBuyerDataAtRest } from '../../db/buyer-data-at-rest.repository.js';
import { openException } from '../../db/exceptions.repository.js';
import { sealedKeyId } from '../../domain/buyer-data.js';
import { orderWorkflowId } from '../../domain/order.js';
import { createDispatcher } from '../../ingest/dispatcher.js';
import { get, orderStatusOf, post, seedBasics, submitOrder, teaOrder } from '../helpers/fulfilment.js';
import { eventually, type TestStack } from '../helpers/stack.js';
import { connectShop, withSimulatorStack } from './channels-helpers.js';

// Receivers that appear nowhere else: found in a row, they can only have come from these orders.
const POSTED = { name: '欧阳砚秋', phone: '13761529083', detail: '青柠路318号翠湖苑7幢' };
const REVIEWED = { name: '慕容霁月', phone: '15820463917', detail: '银杏街46号松风阁2单元' };
const RESOLVED = { name: '诸葛临溪', phone: '18634075129', detail: '枫林道205号云栖里9栋' };
const PUSHED = { name: '上官晚晴', phone: '17790318264', detail: '桂花弄63号听雨轩5幢' };
const ACKED = { name: '东方若兰', phone: '13652840971', detail: '竹溪路72号清风苑4幢' };
const LEGACY = { name: '皇甫映雪', phone: '13398027465', detail: '松柏路127号望月楼3座' };
const ROTATED = { name: '司徒鸣珂', phone: '19925837146', detail: '梨花巷88号观澜阁6号楼' };
const BUYERS = { POSTED, REVIEWED, RESOLVED, PUSHED, ACKED, ROTATED };
const HANGZHOU = { province: '浙江省', city: '杭州市', district: '西湖区' };

const KEY_A = `key-a:${randomBytes(32).toString('base64')}`;
const KEY_B = `key-b:${randomBytes(32).toString('base64')}`;

const sim = new PlatformSimulator({ seed: 20261203, presaleRate: 0, unpaidRate: 0 });
let stack: TestStack;
withSimulatorStack(sim, (s) => (stack = s), { PAYLOAD_KEYS: KEY_A });

let shop: SimShop;
let viewer: { authorization: string };
let ops: { authorization: string };
const ids: Record<string, string> = {};
let resolvedExceptionId = '';
let ackedExceptionId = '';

beforeAll(async () => {
  await seedBasics(stack, { hz: { 'FZ-TEA': 100, 'FZ-MUG': 20 } });
  shop = await connectShop(stack.app, sim, 'taobao', { syncMode: 'push' });
  viewer = { authorization: `Bearer ${(await stack.createKey('viewer')).key}` };
  ops = { authorization: `Bearer ${(await stack.createKey('ops')).key}` };
});

const status = (id: string) => orderStatusOf(stack, id);
const moving = (s: string | undefined) => s === 'allocated' || s === 'released';
const values = (b: { name: string; phone: string; detail: string }) => [b.name, b.phone, b.detail];

/** Every base table of the database: taken from the catalogue, so a table added later is scanned too. */
async function allTables(): Promise<string[]> {
  const r = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(stack.db);
  return r.rows.map((t) => t.table_name);
}

/** Where any of `needles` is readable: `table: row` for every row whose text (all its columns) holds one. */
async function plaintextFound(needles: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of await allTables()) {
    const match = sql.join(
      needles.map((n) => sql`strpos(t::text, ${n}) > 0`),
      sql` or `,
    );
    const r = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t where ${match}`.execute(stack.db);
    for (const row of r.rows) found.push(`${table}: ${row.row.slice(0, 300)}`);
  }
  return found;
}

describe('buyer data written through the stack', () => {
  it('an order posted with a plaintext receiver, paid and allocated into a package', async () => {
    const order = teaOrder('buyer-at-rest-1', '');
    ids.posted = await submitOrder(stack, { ...order, receiver: { ...order.receiver, ...HANGZHOU, ...POSTED } });
    // Released: its read model is not written again (the rotation below finds it sealed under key A).
    await eventually(() => status(ids.posted!), (s) => s === 'released', 30_000, 'posted order released');
    const members = await stack.db.selectFrom('package_members').select('package_id').where('order_id', '=', ids.posted).execute();
    expect(members).toHaveLength(1);
  });

  it('an order whose reviewer corrects the receiver (edit_and_approve)', async () => {
    ids.reviewed = await submitOrder(stack, { ...teaOrder('buyer-at-rest-2', '文三路 5 号'), buyerRemark: '发顺丰' });
    await eventually(() => status(ids.reviewed!), (s) => s === 'pending_review', 30_000, 'pending review');
    const r = await post(stack, `/v1/reviews/${encodeURIComponent(ids.reviewed)}`, { decision: 'edit_and_approve', reviewer: 'zhou.reviewer', edits: { receiver: REVIEWED } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await eventually(() => status(ids.reviewed!), moving, 30_000, 'reviewed order allocated');
  });

  it('an order held without its street, completed by an exception resolution (edit_order)', async () => {
    const base = teaOrder('buyer-at-rest-3', '');
    ids.resolved = await submitOrder(stack, { ...base, lines: [{ skuCode: 'FZ-MUG', quantity: 1, unitPriceFen: 3900, paidFen: 3900 }], amounts: { goodsFen: 3900, paidFen: 3900 } });
    await eventually(() => status(ids.resolved!), (s) => s === 'on_hold', 30_000, 'held');
    const list = (await get(stack, `/v1/exceptions?orderId=${encodeURIComponent(ids.resolved)}`)).body.items as Array<{ id: string; type: string }>;
    expect(list.map((e) => e.type)).toEqual(['INCOMPLETE_INFO']);
    resolvedExceptionId = list[0]!.id;
    const r = await post(stack, `/v1/exceptions/${resolvedExceptionId}/resolve`, { action: 'edit_order', params: { receiver: RESOLVED }, resolvedBy: 'li.cs', comment: 'buyer called' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await eventually(() => status(ids.resolved!), moving, 30_000, 'resolved order allocated');
    await eventually(async () => (await get(stack, `/v1/exceptions/${resolvedExceptionId}`)).body.status as string, (s) => s === 'resolved', 20_000, 'exception resolved');
  });

  it('an order a platform pushes, whose detail and pushed bodies carry the receiver in plain text', async () => {
    const o = sim.createOrder(shop);
    // A platform (or an older API version) that sends the receiver unmasked.
    o.receiver = { ...o.receiver, ...PUSHED };
    ids.pushed = orderWorkflowId('taobao', shop.shopId, o.id);
    const created = sim.pushRequest(shop, o, 'created');
    expect((await stack.app.inject({ method: 'POST', url: `/webhooks/taobao/${shop.shopId}`, payload: created.body, headers: created.headers })).statusCode).toBe(200);
    await eventually(async () => (await get(stack, `/v1/orders/${encodeURIComponent(ids.pushed!)}`)).body.order?.receiver?.name as string | undefined, (n) => n === PUSHED.name, 30_000, 'pushed order read');

    // A message that carries the receiver itself, and a body nobody can parse with the receiver in it.
    const moved = sim.pushRequest(shop, o, 'address_changed');
    const body = moved.body.replace('\\"buyer_open_uid\\"', `\\"receiver_name\\":\\"${PUSHED.name}\\",\\"receiver_mobile\\":\\"${PUSHED.phone}\\",\\"receiver_address\\":\\"${PUSHED.detail}\\",\\"buyer_open_uid\\"`);
    expect(body).toContain(PUSHED.detail);
    const res = await stack.app.inject({ method: 'POST', url: `/webhooks/taobao/${shop.shopId}`, payload: body, headers: { ...moved.headers, 'x-tmc-sign': taobaoPushSignature(body, shop.appSecret) } });
    expect(res.statusCode).toBe(200);
    // The parser's message quotes the text around the error (here the name): it must not reach the answer or the exception.
    const broken = `{"id": 77, "receiver_mobile": "${PUSHED.phone}", "receiver_address": "${PUSHED.detail}", "receiver_name": ${PUSHED.name}}`;
    const bad = await stack.app.inject({ method: 'POST', url: `/webhooks/taobao/${shop.shopId}`, payload: broken, headers: { 'content-type': 'application/json', 'x-tmc-sign': taobaoPushSignature(broken, shop.appSecret) } });
    // Parked (kept, an exception opened) and answered with the platform's success, so it is not redelivered.
    expect(bad.json()).toEqual({ success: true });
    expect(bad.body).not.toContain(PUSHED.name);
    await eventually(
      async () => (await stack.db.selectFrom('channel_events').select('id').where('shop_id', '=', shop.shopId).where('dispatched_at', 'is not', null).execute()).length,
      (n) => n >= 2,
      30_000,
      'pushes delivered',
    );

    // The unreadable push opened a shop exception; ops acknowledge it recording what they found, the receiver
    // included (params are stored with the resolution).
    const shopExceptions = (await get(stack, `/v1/exceptions?shopId=${shop.shopId}`)).body.items as Array<{ id: string; kind: string; detail: { reason: string } }>;
    const malformed = shopExceptions.find((e) => e.kind === 'channel_malformed_push')!;
    expect(malformed.detail.reason).not.toContain(PUSHED.name);
    ackedExceptionId = malformed.id;
    const ack = await post(stack, `/v1/exceptions/${ackedExceptionId}/resolve`, { action: 'acknowledge', params: { receiver: ACKED, platform: 'taobao' }, resolvedBy: 'li.ops', comment: 'body replayed by hand' });
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
  });
});

describe('what PostgreSQL keeps', () => {
  it('holds no receiver name, phone or street in plain text in any column of any table', async () => {
    const tables = await allTables();
    for (const t of ['orders', 'order_events', 'channel_events', 'exceptions', 'exception_events', 'reviews', 'packages', 'decisions', 'audit_log', 'customers']) expect(tables).toContain(t);
    expect(await plaintextFound(Object.values(BUYERS).flatMap(values))).toEqual([]);
    // The rows are there, sealed: the receiver under key A, the lists' masked forms beside it.
    const row = await stack.db.selectFrom('orders').selectAll().where('id', '=', ids.posted!).executeTakeFirstOrThrow();
    expect(sealedKeyId(row.receiver_enc)).toBe('key-a');
    expect(row).toMatchObject({ receiver_name_masked: '欧***', receiver_phone_masked: '137****9083', receiver_address_masked: '浙江省 杭州市 西湖区 青柠路***号翠湖苑*幢', receiver_district: '西湖区' });
    const inbox = await stack.db.selectFrom('channel_events').select(['payload', 'raw_body', 'event_type']).where('shop_id', '=', shop.shopId).execute();
    expect(inbox.filter((r) => r.raw_body !== null).every((r) => sealedKeyId(r.raw_body) === 'key-a')).toBe(true);
    expect(inbox.filter((r) => r.payload !== null).every((r) => sealedKeyId(r.payload) === 'key-a')).toBe(true);
    // The merge key names the street (the posted order has no platform address id): kept as a keyed digest.
    const pkg = await stack.db.selectFrom('packages as p').innerJoin('package_members as m', 'm.package_id', 'p.id').select('p.merge_key').where('m.order_id', '=', ids.posted!).executeTakeFirstOrThrow();
    expect(pkg.merge_key).toMatch(/^h1:key-a:/);
  });

  it('shows one order whole to admin, ops and reviewer keys, masked to a viewer; lists show masked forms only', async () => {
    const url = (id: string) => `/v1/orders/${encodeURIComponent(id)}`;
    for (const [id, buyer] of [
      [ids.posted!, POSTED],
      [ids.reviewed!, REVIEWED],
      [ids.resolved!, RESOLVED],
      [ids.pushed!, PUSHED],
    ] as const) {
      const admin = (await get(stack, url(id))).body;
      expect(admin.buyerData).toBe('shown');
      expect(admin.order.receiver).toMatchObject(buyer);
    }
    const byOps = await stack.injectAs(null, { method: 'GET', url: url(ids.posted!), headers: ops });
    expect(byOps.json().order.receiver).toMatchObject(POSTED);
    const byViewer = (await stack.injectAs(null, { method: 'GET', url: url(ids.posted!), headers: viewer })).json();
    expect(byViewer.buyerData).toBe('masked');
    expect(byViewer.order.receiver).toMatchObject({ name: '欧***', phone: '137****9083', detail: '青柠路***号翠湖苑*幢', ...HANGZHOU });
    expect(JSON.stringify(byViewer)).not.toContain(POSTED.phone);

    const list = (await get(stack, '/v1/orders?shopId=shop-test&limit=500')).body.items as Array<Record<string, string>>;
    const posted = list.find((o) => o.id === ids.posted);
    expect(posted).toMatchObject({ receiverName: '欧***', receiverPhone: '137****9083', receiverProvince: '浙江省', receiverCity: '杭州市', receiverDistrict: '西湖区', receiverAddress: '浙江省 杭州市 西湖区 青柠路***号翠湖苑*幢' });
    expect(list.find((o) => o.id === ids.reviewed)).toMatchObject({ receiverName: '慕***', receiverPhone: '158****3917' });
    const everything = JSON.stringify(list);
    for (const v of [...values(POSTED), ...values(REVIEWED), ...values(RESOLVED)]) expect(everything).not.toContain(v);
  });

  it("shows an exception's resolution params as given to ops, masked to a viewer and in the queue", async () => {
    // An order's edit_order is carried out by its workflow: the edits are the order's (sealed there), the
    // exception records the action.
    expect((await get(stack, `/v1/exceptions/${resolvedExceptionId}`)).body.resolution).toEqual({ action: 'edit_order', comment: 'buyer called' });

    const given = { action: 'acknowledge', params: { receiver: ACKED, platform: 'taobao' }, comment: 'body replayed by hand' };
    const shown = (await stack.injectAs(null, { method: 'GET', url: `/v1/exceptions/${ackedExceptionId}`, headers: ops })).json();
    expect(shown.resolution).toEqual(given);
    expect(shown.events.find((e: { event: string }) => e.event === 'resolved').detail).toEqual(given);
    const masked = (await stack.injectAs(null, { method: 'GET', url: `/v1/exceptions/${ackedExceptionId}`, headers: viewer })).json();
    const maskedParams = { receiver: { name: '东***', phone: '136****0971', detail: '竹溪路**号清风苑*幢' }, platform: 'taobao' };
    expect(masked.resolution).toEqual({ ...given, params: maskedParams });
    expect(masked.events.find((e: { event: string }) => e.event === 'resolved').detail).toEqual({ ...given, params: maskedParams });
    const queue = JSON.stringify((await get(stack, '/v1/exceptions?status=all&limit=500')).body);
    expect(queue).toContain('竹溪路**号清风苑*幢');
    for (const v of values(ACKED)) expect(queue).not.toContain(v);
    expect(queue).not.toContain('paramsSealed');
    const stored = await stack.db.selectFrom('exceptions').select('resolution').where('id', '=', Number(ackedExceptionId)).executeTakeFirstOrThrow();
    expect(sealedKeyId(stored.resolution?.paramsSealed)).toBe('key-a');
  });

  it('lets an admin read a pushed body as the platform sent it, audited; nobody else', async () => {
    const list = (await get(stack, `/v1/inbox?shopId=${shop.shopId}`)).body.items as Array<{ id: string; eventType: string; hasRawBody: boolean }>;
    expect(list.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(list)).not.toContain(PUSHED.name);
    const malformed = list.find((e) => e.eventType === 'malformed')!;
    expect(malformed.hasRawBody).toBe(true);
    const one = (await get(stack, `/v1/inbox/${malformed.id}`)).body;
    expect(one.rawBody).toContain(`"receiver_mobile": "${PUSHED.phone}"`);
    expect(one.payload).toBeNull();
    const moved = list.find((e) => e.eventType === 'address_changed')!;
    const movedOne = (await get(stack, `/v1/inbox/${moved.id}`)).body;
    expect(movedOne.rawBody).toContain(PUSHED.detail);
    expect(movedOne.payload).toMatchObject({ type: 'address_changed' });
    for (const key of [ops, viewer]) expect((await stack.injectAs(null, { method: 'GET', url: `/v1/inbox/${malformed.id}`, headers: key })).statusCode).toBe(403);
    const audited = await stack.db.withTables<{ audit_log: { action: string; params: unknown; status: number } }>().selectFrom('audit_log').select(['action', 'params', 'status']).where('action', '=', 'inbox.read').execute();
    expect(audited).toEqual(expect.arrayContaining([{ action: 'inbox.read', params: { id: malformed.id }, status: 200 }]));
  });
});

describe('the data migration buyer-data-at-rest', () => {
  it('seals rows written before buyer data was sealed, in batches, once, leaving sealed values alone', async () => {
    // Rows as the code before this change wrote them.
    const orderId = orderWorkflowId('taobao', 'legacy-shop', '90000001');
    const receiver = { ...HANGZHOU, ...LEGACY };
    const order = { platform: 'taobao', shopId: 'legacy-shop', platformOrderId: '90000001', buyerKey: 'buyer-legacy', receiver, lines: [{ skuCode: 'FZ-TEA', quantity: 1, unitPriceFen: 12800, paidFen: 12800, discountFen: 0 }], amounts: { goodsFen: 12800, shippingFen: 0, discountFen: 0, paidFen: 12800 }, discounts: [], cashOnDelivery: false, createdAt: '2026-11-11T00:00:00Z' };
    await sql`insert into orders (id, platform, shop_id, platform_order_id, buyer_key, status, goods_fen, paid_fen, receiver_province, receiver_city, "order", platform_created_at)
      values (${orderId}, 'taobao', 'legacy-shop', '90000001', 'buyer-legacy', 'released', 12800, 12800, '浙江省', '杭州市', ${JSON.stringify(order)}::jsonb, '2026-11-11T00:00:00Z')`.execute(stack.db);
    for (let i = 0; i < 3; i++) {
      await sql`insert into channel_events (platform, shop_id, message_id, order_id, event_type, source, payload, raw_body, dispatched_at)
        values ('taobao', 'legacy-shop', ${`legacy-${i}`}, ${orderId}, 'created', 'webhook', ${JSON.stringify({ type: 'created', order })}::jsonb, ${JSON.stringify({ receiver_name: LEGACY.name, receiver_mobile: LEGACY.phone })}, now())`.execute(stack.db);
    }
    const ex = await openException(stack.db, { kind: 'incomplete', shopId: 'legacy-shop', orderId, detail: {} });
    const resolution = { action: 'edit_order', params: { receiver: LEGACY } };
    await sql`update exceptions set status = 'resolved', resolution = ${JSON.stringify(resolution)}::jsonb, resolved_by = 'li.cs', resolved_at = now() where id = ${Number(ex.id)}`.execute(stack.db);
    await sql`insert into exception_events (exception_id, event, actor, detail) values (${Number(ex.id)}, 'resolved', 'li.cs', ${JSON.stringify(resolution)}::jsonb)`.execute(stack.db);
    const mergeKey = ['legacy-shop', 'buyer-legacy', `a:330106|${LEGACY.detail}`, 'stock', '*', 'express'].join('\u0001');
    await sql`insert into packages (id, merge_key, shop_id, warehouse_code, logistics_class, destination_region_code, status, window_start, window_end)
      values ('pk-legacy-1', ${mergeKey}, 'legacy-shop', 'FZ-HZ', 'express', '330106', 'shipped', now(), now())`.execute(stack.db);
    // The scan sees plaintext where there is some: every table that got a legacy row.
    const before = await plaintextFound(values(LEGACY));
    expect(new Set(before.map((f) => f.split(':')[0]))).toEqual(new Set(['orders', 'channel_events', 'exceptions', 'exception_events', 'packages']));

    const sealed = await sealBuyerDataAtRest(stack.db, stack.cipher, { batchSize: 2 });
    expect(sealed).toEqual({ skipped: false, orders: 1, inbox: 3, exceptions: 1, exceptionEvents: 1, packages: 1 });
    expect(await plaintextFound(values(LEGACY))).toEqual([]);
    // Nothing written by the current code was touched, and nothing of theirs became readable.
    expect(await plaintextFound(Object.values(BUYERS).flatMap(values))).toEqual([]);

    // Read back through the API: whole for an admin, masked in the list; the resolution as given.
    const shown = (await get(stack, `/v1/orders/${encodeURIComponent(orderId)}`)).body;
    expect(shown.order.receiver).toMatchObject(LEGACY);
    const listed = ((await get(stack, '/v1/orders?shopId=legacy-shop')).body.items as Array<Record<string, string>>)[0];
    expect(listed).toMatchObject({ receiverName: '皇***', receiverPhone: '133****7465', receiverAddress: '浙江省 杭州市 西湖区 松柏路***号望月楼*座' });
    expect((await get(stack, `/v1/exceptions/${ex.id}`)).body.resolution).toEqual(resolution);
    const inbox = (await get(stack, '/v1/inbox?shopId=legacy-shop')).body.items as Array<{ id: string }>;
    expect((await get(stack, `/v1/inbox/${inbox[0]!.id}`)).body.rawBody).toContain(LEGACY.phone);

    // Not done yet: processes of the previous version might still write plaintext. The next pass finds
    // nothing left, changes no ciphertext, and ends it.
    // The legacy rows only: the workers may still be writing the others.
    const snapshot = async () => ({
      orders: await stack.db.selectFrom('orders').select(['id', 'receiver_enc', 'order']).where('shop_id', '=', 'legacy-shop').execute(),
      inbox: await stack.db.selectFrom('channel_events').select(['id', 'payload', 'raw_body']).where('shop_id', '=', 'legacy-shop').orderBy('id').execute(),
      exceptions: await stack.db.selectFrom('exceptions').select(['id', 'resolution']).where('shop_id', '=', 'legacy-shop').execute(),
      events: await stack.db.selectFrom('exception_events').select(['id', 'detail']).where('exception_id', '=', Number(ex.id)).orderBy('id').execute(),
      packages: await stack.db.selectFrom('packages').select(['id', 'merge_key']).where('shop_id', '=', 'legacy-shop').execute(),
    });
    const first = await snapshot();
    expect(first.orders).toHaveLength(1);
    expect(await stack.db.selectFrom('orderly_data_migrations').select(['name', 'rows', 'finished_at']).execute()).toEqual([{ name: BUYER_DATA_MIGRATION, rows: 7, finished_at: null }]);
    expect(await sealBuyerDataAtRest(stack.db, stack.cipher, { batchSize: 2 })).toEqual({ skipped: false, orders: 0, inbox: 0, exceptions: 0, exceptionEvents: 0, packages: 0 });
    expect(await snapshot()).toEqual(first);
    const record = await stack.db.selectFrom('orderly_data_migrations').select(['rows', 'finished_at']).executeTakeFirstOrThrow();
    expect(record.rows).toBe(7);
    expect(record.finished_at).toBeInstanceOf(Date);
    expect((await sealBuyerDataAtRest(stack.db, stack.cipher)).skipped).toBe(true);
    // Forced past its record, it still finds nothing.
    expect(await sealBuyerDataAtRest(stack.db, stack.cipher, { force: true })).toMatchObject({ skipped: false, orders: 0, inbox: 0, packages: 0 });
    expect(await snapshot()).toEqual(first);
    // The history is append-only again once the migration is done.
    await expect(sql`update exception_events set actor = 'x' where exception_id = ${Number(ex.id)}`.execute(stack.db)).rejects.toThrow();
  });
});

describe('key rotation', () => {
  it('keeps rows sealed under key A readable after the ring becomes B,A; new rows are sealed under B', async () => {
    // Every process restarts with B first and A kept.
    await stack.stopWorkers();
    await stack.stopRelay();
    const rotated: Config = Object.freeze({ ...stack.config, PAYLOAD_KEYS: `${KEY_B},${KEY_A}` });
    await stack.startWorker(rotated);
    const rotatedClient = new Client({ connection: stack.client.connection, namespace: rotated.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(rotated) });
    const dispatcher = createDispatcher({ client: rotatedClient, taskQueue: stack.taskQueue, paymentTimeoutMs: rotated.ORDER_PAYMENT_TIMEOUT });
    const rotatedApp = stack.authorize(await buildApp({ services: { ...stack.app.services, config: rotated, temporal: rotatedClient, dispatcher } }));
    try {
      // Written under A, read under B,A.
      expect(sealedKeyId((await stack.db.selectFrom('orders').select('receiver_enc').where('id', '=', ids.posted!).executeTakeFirstOrThrow()).receiver_enc)).toBe('key-a');
      const old = (await rotatedApp.inject({ method: 'GET', url: `/v1/orders/${encodeURIComponent(ids.posted!)}` })).json();
      expect(old.order.receiver).toMatchObject(POSTED);
      expect((await rotatedApp.inject({ method: 'GET', url: `/v1/exceptions/${ackedExceptionId}` })).json().resolution.params).toEqual({ receiver: ACKED, platform: 'taobao' });

      // A new order: its inbox row and read model sealed under B, readable, and no plaintext anywhere.
      const order = teaOrder('buyer-at-rest-4', '');
      const posted = await rotatedApp.inject({ method: 'POST', url: '/v1/orders', payload: { ...order, receiver: { ...order.receiver, ...HANGZHOU, ...ROTATED } } });
      expect(posted.statusCode, posted.body).toBe(202);
      ids.rotated = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
      const url = `/v1/orders/${encodeURIComponent(ids.rotated)}`;
      await eventually(async () => (await rotatedApp.inject({ method: 'GET', url })).json().status as string, moving, 30_000, 'rotated order allocated');
      const row = await stack.db.selectFrom('orders').select('receiver_enc').where('id', '=', ids.rotated).executeTakeFirstOrThrow();
      expect(sealedKeyId(row.receiver_enc)).toBe('key-b');
      const event = await stack.db.selectFrom('channel_events').select(['id', 'payload']).where('order_id', '=', ids.rotated).executeTakeFirstOrThrow();
      expect(sealedKeyId(event.payload)).toBe('key-b');
      expect((await rotatedApp.inject({ method: 'GET', url })).json().order.receiver).toMatchObject(ROTATED);
      expect(await plaintextFound(Object.values(BUYERS).flatMap(values))).toEqual([]);
      // A process still on A alone cannot open what B sealed.
      expect(() => fieldCipherFor(stack.config).open('orders.receiver_enc', row.receiver_enc!)).toThrow(/"key-b"/);
      expect((await stack.app.inject({ method: 'GET', url: `/v1/inbox/${event.id}` })).statusCode).toBe(500);
    } finally {
      await rotatedApp.close();
    }
  });
});
