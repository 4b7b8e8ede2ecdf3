import { createHash, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredRoute } from '../../api/plugins/auth.js';
import { douyinEventSign } from '../../channels/douyin/index.js';
import { connectors, type ChannelConnector, type ParsedPush } from '../../channels/index.js';
import { pddPushSignature } from '../../channels/pdd/index.js';
import { taobaoPushSignature } from '../../channels/taobao/index.js';
import { openException } from '../../db/exceptions.repository.js';
import { orderWorkflowId, PLATFORMS } from '../../domain/order.js';
import {
  encodePart,
  fuzzParams,
  fuzzTimeout,
  lenientObjects,
  nastyNumber,
  nastyText,
  nastyValue,
  platformIdish,
  rawJson,
  toJsonText,
  valueFor,
  type OpenApiDoc,
} from '../helpers/fuzz.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';

// Bad input, fuzzed with fast-check against every REST route (found in the app itself, with the bodies, path
// parameters and queries its OpenAPI document describes) and against the pushes of all four platforms. Whatever
// comes in: a clear 4xx (or, for a push the platform really sent, its own "success" answer so that it stops
// redelivering), never a 5xx; nothing half-written; every pushed body that could not be processed kept raw in the
// inbox and parked as an exception; the process up afterwards. Reads are fuzzed with the worker running; changes
// without it, so that the row counts before and after a refusal are the request's alone. FUZZ_RUNS=<n> runs every
// property n times (FUZZ_SEED=<seed> repeats a run); the defaults keep the file to about 20 s on two cores.

let stack: TestStack;
let doc: OpenApiDoc;
let tables: string[];
const order = makeOrder({ shopId: 'demo-taobao' });
const orderId = orderWorkflowId('taobao', 'demo-taobao', order.platformOrderId);
let exceptionId = '';

const WEBHOOK = '/webhooks/:platform/:shopId';
/** Pushing shops with credentials the test signs with (never a path parameter the REST fuzz may change). */
const PUSH_SHOPS = {
  taobao: { shopId: 'fz-taobao', appKey: 'fzkey-taobao', appSecret: 'fz-secret-taobao' },
  douyin: { shopId: 'fz-douyin', appKey: 'fzkey-douyin', appSecret: 'fz-secret-douyin' },
  pdd: { shopId: 'fz-pdd', appKey: 'fzkey-pdd', appSecret: 'fz-secret-pdd' },
} as const;
type PushPlatform = keyof typeof PUSH_SHOPS;
/** A shop the fuzz creates or changes calls no real platform: its gateway is a closed local port. */
const DEAD_GATEWAY = 'http://127.0.0.1:9/router';

beforeAll(async () => {
  // Refusals are logged at warn by design; an error in the log is what a 5xx leaves behind.
  stack = await createTestStack({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error', WEBHOOK_RATE_LIMIT: '0' }, { relay: false });
  doc = (await stack.app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApiDoc>();
  expect((await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order })).statusCode).toBe(202);
  exceptionId = (await openException(stack.db, { kind: 'channel_malformed_push', shopId: 'demo-taobao', detail: { reason: 'fuzz' } })).id;
  for (const [platform, s] of Object.entries(PUSH_SHOPS)) {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/shops',
      payload: { id: s.shopId, platform, name: s.shopId, credentials: { appKey: s.appKey, appSecret: s.appSecret }, syncMode: 'push' },
    });
    expect(res.statusCode, res.body).toBe(201);
  }
  const r = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(stack.db);
  // Every action of an admin key is audited, refused ones included: the one table a refusal writes to.
  tables = r.rows.map((t) => t.table_name).filter((t) => t !== 'audit_log').sort();
  expect(tables).toEqual(expect.arrayContaining(['orders', 'channel_events', 'exceptions', 'shops', 'skus', 'inventory']));
});
afterAll(async () => {
  // Shops the fuzz made (or switched) to pull have Schedules on the run's shared Temporal: gone with the file.
  if (stack) {
    for await (const summary of stack.client.schedule.list()) {
      const handle = stack.client.schedule.getHandle(summary.scheduleId);
      const d = await handle.describe().catch(() => undefined);
      if (d?.action.type === 'startWorkflow' && d.action.taskQueue === stack.taskQueue) await handle.delete().catch(() => undefined);
    }
  }
  await stack?.close();
});

/** Rows in every table (one statement): a refused request must leave all of them as they were. */
async function rowCounts(): Promise<Record<string, number>> {
  const cols = tables.map((t) => `(select count(*) from "${t}")::int as "${t}"`).join(', ');
  const r = await sql<Record<string, number>>`select ${sql.raw(cols)}`.execute(stack.db);
  return r.rows[0]!;
}

async function alive(): Promise<void> {
  const res = await stack.injectAs(null, { method: 'GET', url: '/healthz' });
  expect(res.statusCode).toBe(200);
}

const urlOf = (opts: InjectOptions): string => (typeof opts.url === 'string' ? opts.url : JSON.stringify(opts.url));

/** A request the API does not answer within 10 s fails the property with the request (and its seed), not the file's timeout. */
async function send(opts: InjectOptions): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within 10 s: ${opts.method} ${urlOf(opts).slice(0, 300)} ${typeof opts.payload === 'string' ? opts.payload.slice(0, 300) : ''}`)), 10_000);
  });
  try {
    return await Promise.race([stack.app.inject(opts), late]);
  } finally {
    clearTimeout(timer);
  }
}

const show = (req: InjectOptions, res: LightMyRequestResponse) =>
  `${req.method} ${urlOf(req).slice(0, 300)} ${typeof req.payload === 'string' ? req.payload.slice(0, 300) : ''} -> ${res.statusCode} ${res.body.slice(0, 300)}`;

// ---------------------------------------------------------------------------------------------------------
// REST

type Op = NonNullable<OpenApiDoc['paths'][string][string]>;

const fuzzedRoutes = (): RegisteredRoute[] =>
  stack.app.registeredRoutes().filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS' && !r.url.startsWith('/docs') && r.url !== WEBHOOK);

function operation(r: RegisteredRoute): Op | undefined {
  return doc.paths[r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[r.method.toLowerCase()];
}

const bodySchema = (r: RegisteredRoute) => {
  const content = operation(r)?.requestBody?.content;
  return content ? (content['application/json'] ?? Object.values(content)[0])?.schema : undefined;
};

/** Ids that exist (so a request gets past the look-up) beside ones that do not, by path parameter name. */
function knownValues(name: string): string[] {
  const pools: Record<string, string[]> = {
    id: [orderId, 'order:taobao:demo-taobao:404', 'demo-taobao', 'demo-jd', exceptionId, '1', '0', '99999999999999999999', randomUUID()],
    orderId: [orderId, 'order:pdd:demo-pdd:1'],
    code: ['WH-SH', 'TEA-LJ-250', 'SF', 'NOPE'],
    warehouseCode: ['WH-SH', 'WH-NOPE'],
    skuCode: ['TEA-LJ-250', 'NOPE-SKU'],
    platform: [...PLATFORMS, 'tmall'],
    buyerKey: ['buyer-1', 'b'.repeat(300)],
    version: ['1', '2', '0', '-1', '99999999999999999999'],
    shopId: ['demo-taobao', 'no-such-shop'],
  };
  return pools[name] ?? ['1', 'x'];
}

/** A path segment: a known value, nasty text (percent-encoded), or something that is not a segment at all. */
const segment = (name: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...knownValues(name)).map(encodePart) },
    { weight: 3, arbitrary: nastyText.map(encodePart) },
    { weight: 1, arbitrary: fc.constantFrom('..', '.', '%2F', '%2e%2e', '%2e%2e%2f%2e%2e', '%00', '%ZZ', '%', 'a%2Fb', '%C0%AF', '%ED%A0%80') },
  );

/** A query value as text: numbers as their literal, structures as JSON. */
const asQueryText = (v: unknown): string => (typeof v === 'string' ? v.replace(/^@@raw@@(.*)@@raw@@$/, '$1') : toJsonText(v));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface FuzzRequest {
  opts: InjectOptions;
  /** An unknown top-level field was added to an object body. */
  unknownField: boolean;
}

function requestFor(r: RegisteredRoute): fc.Arbitrary<FuzzRequest> {
  const op = operation(r);
  const names = [...r.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const queryParams = (op?.parameters ?? []).filter((p) => p.in === 'query');
  const query = fc
    .tuple(
      fc.tuple(...queryParams.map((p) => fc.option(fc.oneof(valueFor(doc, p.schema ?? {}), nastyValue).map(asQueryText), { nil: undefined }))),
      fc.option(fc.tuple(nastyText, nastyText), { nil: undefined }),
    )
    .map(([values, unknown]) => {
      const parts = queryParams.flatMap((p, i) => (values[i] === undefined ? [] : [`${encodePart(p.name)}=${encodePart(values[i])}`]));
      if (unknown) parts.push(`${encodePart(unknown[0])}=${encodePart(unknown[1])}`);
      return parts.length ? `?${parts.join('&')}` : '';
    });
  const path = fc.tuple(...names.map(segment)).map((segs) => {
    let i = 0;
    return r.url.replace(/:([A-Za-z0-9_]+)/g, () => segs[i++]!).replace('*', 'x');
  });
  const schema = bodySchema(r);
  const noBody = fc.constant({ text: undefined as string | undefined, unknownField: false });
  const fix = (v: unknown) => {
    // Shops the fuzz creates or changes must not make the worker call a real platform.
    if (isObject(v) && r.url.startsWith('/v1/shops')) return { ...v, apiBaseUrl: DEAD_GATEWAY };
    return v;
  };
  const body = schema
    ? fc.oneof(
        { weight: 6, arbitrary: valueFor(doc, schema).map((v) => ({ text: toJsonText(fix(v)), unknownField: false })) },
        {
          weight: 2,
          arbitrary: fc
            .tuple(valueFor(doc, schema), fc.oneof(fc.constant('fuzzUnknown'), nastyText.filter((k) => k !== '')), nastyValue)
            .map(([v, k, x]) => (isObject(v) && !(k in v) ? { text: toJsonText(fix({ ...v, [k]: x })), unknownField: true } : { text: toJsonText(fix(v)), unknownField: false })),
        },
        { weight: 1, arbitrary: fc.jsonValue().map((v) => ({ text: JSON.stringify(v), unknownField: false })) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((t) => ({ text: t, unknownField: false })) },
        {
          weight: 1,
          arbitrary: valueFor(doc, schema)
            .map(toJsonText)
            .chain((t) => fc.nat(t.length).map((n) => ({ text: t.slice(0, n), unknownField: false }))),
        },
      )
    : noBody;
  return fc.tuple(path, query, body).map(([p, q, b]) => ({
    opts: {
      method: r.method,
      url: p + q,
      ...(b.text !== undefined ? { payload: b.text, headers: { 'content-type': 'application/json' } } : {}),
    },
    unknownField: b.unknownField,
  }));
}

/**
 * Temporal's remote codec protocol, not an Orderly schema: the payloads pass through as Temporal's UI and CLI send
 * them, whatever fields a newer Temporal adds.
 */
const FOREIGN_PROTOCOL = new Set(['POST /codec/decode', 'POST /codec/encode']);

/** Routes whose body is a map (any key is data), or a foreign protocol: an extra key is not an unknown field there. */
function takesAnyKey(r: RegisteredRoute): boolean {
  const s = bodySchema(r);
  return FOREIGN_PROTOCOL.has(`${r.method} ${r.url}`) || Boolean(s && s.additionalProperties && typeof s.additionalProperties === 'object');
}

describe('every REST route, fuzzed as an admin', () => {
  it('is found in the app itself, and every request body refuses unknown fields at every level', () => {
    const routes = fuzzedRoutes();
    expect(routes.length).toBeGreaterThan(60);
    const withBody = routes.filter((r) => bodySchema(r));
    expect(withBody.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(['POST /v1/orders', 'POST /v1/shops', 'PUT /v1/rules/draft']));
    const lenient = withBody.filter((r) => !FOREIGN_PROTOCOL.has(`${r.method} ${r.url}`)).flatMap((r) => lenientObjects(doc, bodySchema(r)!).map((p) => `${r.method} ${r.url} ${p}`));
    expect(lenient).toEqual([]);
  });

  it('answers every read (path parameters, queries) below 500', async () => {
    for (const r of fuzzedRoutes().filter((x) => x.method === 'GET')) {
      const hasInput = r.url.includes(':') || (operation(r)?.parameters ?? []).some((p) => p.in === 'query');
      await fc.assert(
        fc.asyncProperty(requestFor(r), async ({ opts }) => {
          const res = await send(opts);
          expect(res.statusCode, show(opts, res)).toBeLessThan(500);
        }),
        fuzzParams(hasInput ? 12 : 2),
      );
    }
    await alive();
  }, fuzzTimeout());

  it('answers every change below 500, refuses unknown fields, and writes nothing when it refuses', async () => {
    // No worker from here on: nothing but the request itself writes, so the row counts say what it wrote. The known
    // order's workflow is ended first: an update (a review decision, an exception resolution) sent to a running
    // workflow that no worker serves would wait for one.
    await stack.client.workflow.getHandle(orderId).terminate('fuzz: an order whose workflow has finished');
    await stack.stopWorkers();
    for (const r of fuzzedRoutes().filter((x) => x.method !== 'GET')) {
      const anyKey = takesAnyKey(r);
      await fc.assert(
        fc.asyncProperty(requestFor(r), async ({ opts, unknownField }) => {
          const before = await rowCounts();
          const res = await send(opts);
          expect(res.statusCode, show(opts, res)).toBeLessThan(500);
          if (unknownField && !anyKey) expect(res.statusCode, `unknown field accepted: ${show(opts, res)}`).toBeGreaterThanOrEqual(400);
          // 409 may record what it refused (an event kept for an order that has finished).
          if (res.statusCode >= 400 && res.statusCode !== 409) expect(await rowCounts(), `half-written: ${show(opts, res)}`).toEqual(before);
        }),
        fuzzParams(bodySchema(r) ? 25 : 8),
      );
    }
    await alive();
  }, fuzzTimeout());

  it('refuses unreadable, empty, mistyped, poisoned, deeply nested and oversized bodies with a clear 4xx', async () => {
    const huge = 'x'.repeat(17 * 1024 * 1024);
    const cases: Array<{ what: string; payload: string; type: string; status: number[] }> = [
      { what: 'malformed JSON', payload: '{"a": [1, 2', type: 'application/json', status: [400] },
      { what: 'an empty body', payload: '', type: 'application/json', status: [400] },
      { what: 'not JSON', payload: 'a=1&b=2', type: 'application/x-www-form-urlencoded', status: [415] },
      { what: 'prototype poisoning', payload: '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}', type: 'application/json', status: [400] },
      { what: 'deep nesting', payload: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, type: 'application/json', status: [400] },
      { what: 'a body over every limit', payload: huge, type: 'application/json', status: [413] },
    ];
    for (const r of fuzzedRoutes().filter((x) => bodySchema(x))) {
      const url = r.url.replace(/:([A-Za-z0-9_]+)/g, (_, n: string) => encodePart(knownValues(n)[0]!));
      for (const c of cases) {
        const before = await rowCounts();
        const opts: InjectOptions = { method: r.method, url, payload: c.payload, headers: { 'content-type': c.type } };
        const res = await send(opts);
        expect(c.status, `${c.what}: ${show(opts, res)}`).toContain(res.statusCode);
        expect(res.json(), c.what).toMatchObject({ error: expect.any(String), message: expect.any(String) });
        expect(await rowCounts(), `${c.what}: ${show(opts, res)}`).toEqual(before);
      }
    }
    await alive();
  });
});

// ---------------------------------------------------------------------------------------------------------
// Platform pushes

function signed(platform: PushPlatform, body: string, secret: string = PUSH_SHOPS[platform].appSecret): Record<string, string> {
  const s = PUSH_SHOPS[platform];
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (platform === 'taobao') headers['x-tmc-sign'] = taobaoPushSignature(body, secret);
  if (platform === 'pdd') headers['x-pdd-sign'] = pddPushSignature(body, secret);
  if (platform === 'douyin') Object.assign(headers, { 'app-id': s.appKey, 'event-sign': douyinEventSign(s.appKey, body, secret) });
  return headers;
}

/** A message's inner JSON: a string of JSON (as platforms send it), the object itself, or garbage. */
const inner = (a: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: a.map(toJsonText) }, { weight: 1, arbitrary: a }, { weight: 1, arbitrary: nastyValue });
const maybe = (a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: nastyValue });

const taobaoMessage = fc.record(
  {
    id: platformIdish,
    topic: maybe(
      fc.constantFrom(
        'taobao_trade_TradeCreate',
        'taobao_trade_TradeBuyerPay',
        'taobao_trade_TradeBuyerStepPay',
        'taobao_trade_TradeSellerShip',
        'taobao_trade_TradeClose',
        'taobao_trade_TradeMemoModified',
        'taobao_trade_TradeLogisticsAddressChanged',
        'taobao_refund_RefundCreated',
        'taobao_refund_RefundSuccess',
        'taobao_trade_TradeSuccess',
      ),
    ),
    pub_time: maybe(fc.constant('2026-11-11 00:00:05')),
    user_id: platformIdish,
    content: inner(
      fc.record(
        { tid: platformIdish, oid: platformIdish, type: maybe(fc.constant('step')), cancel_reason: nastyText, logistics_code: nastyText, company_code: nastyText, refund_id: platformIdish },
        { requiredKeys: ['tid'] },
      ),
    ),
  },
  { requiredKeys: ['id', 'topic', 'content'] },
);

const douyinMessage = fc.record(
  {
    tag: maybe(fc.constantFrom('100', '101', '102', '105', '106', '109', '113', '0', '103', '110', rawJson('101'))),
    msg_id: maybe(fc.oneof(fc.stringMatching(/^[0-9]{10,20}:[0-9]:[0-9]{3}$/), nastyText)),
    data: inner(
      fc.record(
        { p_id: platformIdish, s_ids: fc.array(platformIdish, { maxLength: 3 }), shop_id: platformIdish, pay_amount: maybe(fc.integer({ min: 0, max: 10_000_000 })), pay_time: maybe(fc.oneof(fc.integer({ min: 0 }), nastyNumber)), order_status: nastyNumber, cancel_reason: nastyText },
        { requiredKeys: ['p_id'] },
      ),
    ),
  },
  { requiredKeys: ['tag', 'msg_id', 'data'] },
);

const pddFrame = fc.record(
  {
    id: platformIdish,
    commandType: maybe(fc.constant('Common')),
    sendTime: nastyNumber,
    message: maybe(
      fc.record({
        type: maybe(fc.constantFrom('pdd_trade_TradeConfirmed', 'pdd_trade_TradeSellerShip', 'pdd_trade_TradeLogisticsAddressChanged', 'pdd_refund_RefundCreated', 'pdd_refund_RefundClosed', 'pdd_trade_TradeSuccess')),
        mallID: platformIdish,
        content: inner(fc.record({ tid: maybe(fc.oneof(fc.stringMatching(/^[0-9]{6}-[0-9]{15}$/), nastyText)), refund_id: platformIdish, out_sid: nastyText }, { requiredKeys: ['tid'] })),
      }),
    ),
  },
  { requiredKeys: ['id', 'commandType', 'message'] },
);

/** What a platform's push could hold: its own shape with garbage in it, random JSON, or not JSON at all. */
function pushBody(platform: PushPlatform): fc.Arbitrary<string> {
  const shaped: fc.Arbitrary<unknown> = {
    taobao: fc.oneof(taobaoMessage, fc.array(taobaoMessage, { maxLength: 3 }), fc.array(taobaoMessage, { maxLength: 3 }).map((m) => ({ tmc_messages_consume_response: { messages: { tmc_message: m } } }))),
    douyin: fc.array(douyinMessage, { maxLength: 3 }),
    pdd: fc.oneof(pddFrame, fc.array(pddFrame, { maxLength: 3 })),
  }[platform];
  return fc.oneof(
    { weight: 6, arbitrary: shaped.map(toJsonText) },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    { weight: 1, arbitrary: shaped.map(toJsonText).chain((t) => fc.nat(t.length).map((n) => t.slice(0, n))) },
  );
}

/** The text the API receives: a lone surrogate cannot cross the wire as itself (UTF-8 has none). */
const onTheWire = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
const digestOf = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 32);

function expectSuccessAck(platform: PushPlatform, res: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, what).toBe(200);
  const body = res.json<unknown>();
  if (platform === 'taobao') expect(body, what).toEqual({ success: true });
  if (platform === 'douyin') expect(body, what).toEqual({ code: 0, msg: 'success' });
  if (platform === 'pdd') {
    const frames = Array.isArray(body) ? body : [body];
    for (const f of frames) expect(f, what).toMatchObject({ commandType: 'Ack' });
  }
}

function tryParse(connector: ChannelConnector, body: string): ParsedPush | undefined {
  try {
    return connector.parsePush!(body);
  } catch {
    return undefined;
  }
}

async function malformedRow(shopId: string, body: string) {
  return stack.db
    .selectFrom('channel_events')
    .select(['id', 'event_type', 'payload', 'order_id'])
    .where('shop_id', '=', shopId)
    .where('message_id', '=', `malformed:${digestOf(body)}`)
    .executeTakeFirst();
}

async function openMalformedExceptions(shopId: string): Promise<number> {
  const rows = await stack.db.selectFrom('exceptions').select('id').where('shop_id', '=', shopId).where('kind', '=', 'channel_malformed_push').where('status', '=', 'open').execute();
  return rows.length;
}

describe.each(Object.keys(PUSH_SHOPS) as PushPlatform[])('pushes from %s, fuzzed', (platform) => {
  const shop = PUSH_SHOPS[platform];
  const url = `/webhooks/${platform}/${shop.shopId}`;
  const connector = connectors[platform];

  it('answers every correctly signed push with the platform\'s success, and keeps what it cannot process raw, parked as an exception', async () => {
    let parked = 0;
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(pushBody(platform), async (sent) => {
        const body = onTheWire(sent);
        const res = await send({ method: 'POST', url, payload: body, headers: signed(platform, body) });
        const what = `${platform} push ${JSON.stringify(body).slice(0, 400)} -> ${res.statusCode} ${res.body.slice(0, 200)}`;
        expect(res.statusCode, what).toBeLessThan(500);
        // Never "retry": a push that cannot be processed now never can; redelivering it forever helps nobody.
        expectSuccessAck(platform, res, what);
        const kept = await malformedRow(shop.shopId, body);
        const parsed = tryParse(connector, body);
        if (kept) {
          parked++;
          expect(kept, what).toMatchObject({ event_type: 'malformed', payload: null, order_id: null });
          const one = await stack.app.inject({ method: 'GET', url: `/v1/inbox/${kept.id}` });
          expect(one.json<{ rawBody: string }>().rawBody, what).toBe(body);
          expect(await openMalformedExceptions(shop.shopId), what).toBe(1);
        } else {
          // Not parked: so it was read, and every order event in it is in the inbox.
          expect(parsed, `neither stored nor parked: ${what}`).toBeDefined();
          const ids = parsed!.events.map((e) => e.messageId);
          if (ids.length) {
            const rows = await stack.db.selectFrom('channel_events').select('message_id').where('shop_id', '=', shop.shopId).where('message_id', 'in', ids).execute();
            expect(new Set(rows.map((x) => x.message_id)), what).toEqual(new Set(ids));
            stored++;
          }
        }
        if (!parsed) expect(kept, `unreadable but not kept: ${what}`).toBeDefined();
      }),
      fuzzParams(60),
    );
    // The generators reach both paths.
    expect(parked).toBeGreaterThan(0);
    expect(stored).toBeGreaterThan(0);
    await alive();
  }, fuzzTimeout());

  it('answers a redelivered unprocessable push the same way, keeping it once', async () => {
    const body = platform === 'douyin' ? '[{"tag":"101","msg_id":"m\\u0000","data":"{}"}]' : '{"id": 77, "topic": "taobao_trade_TradeCreate", "content": "{\\"tid\\": \\"1\\u0000\\"}"';
    for (let i = 0; i < 3; i++) expectSuccessAck(platform, await stack.app.inject({ method: 'POST', url, payload: body, headers: signed(platform, body) }), `delivery ${i + 1}`);
    expect(await malformedRow(shop.shopId, body)).toBeDefined();
    expect(await openMalformedExceptions(shop.shopId)).toBe(1);
  });

  it('stores a batch of 200 messages (a TMC consume at most) message by message, and parks one of ten thousand whole', async () => {
    const batch = (n: number, stamp: string) => {
      const ids = Array.from({ length: n }, (_, i) => `${stamp}${String(i).padStart(5, '0')}`);
      return {
        taobao: () => JSON.stringify(ids.map((id) => ({ id, topic: 'taobao_trade_TradeBuyerPay', content: JSON.stringify({ tid: id }) }))),
        douyin: () => JSON.stringify(ids.map((id) => ({ tag: '101', msg_id: id, data: JSON.stringify({ p_id: id, pay_time: 1790000000 }) }))),
        pdd: () => JSON.stringify(ids.map((id) => ({ id, commandType: 'Common', message: { type: 'pdd_refund_RefundClosed', content: JSON.stringify({ tid: id }) } }))),
      }[platform]();
    };
    const count = async (stamp: string) =>
      Number((await stack.db.selectFrom('channel_events').select((eb) => eb.fn.countAll<string>().as('n')).where('shop_id', '=', shop.shopId).where('message_id', 'like', `${stamp}%`).executeTakeFirstOrThrow()).n);
    const small = `${Date.now()}1`;
    const body = batch(200, small);
    expectSuccessAck(platform, await send({ method: 'POST', url, payload: body, headers: signed(platform, body) }), '200 messages');
    expect(await count(small)).toBe(200);

    const big = `${Date.now()}2`;
    const huge = batch(10_000, big);
    expectSuccessAck(platform, await send({ method: 'POST', url, payload: huge, headers: signed(platform, huge) }), '10 000 messages');
    expect(await count(big)).toBe(0);
    expect(await malformedRow(shop.shopId, huge)).toBeDefined();
    await alive();
  });

  it('refuses every push with a bad signature with 401, storing nothing', async () => {
    type Bad = { kind: 'none' } | { kind: 'secret'; secret: string } | { kind: 'hex'; hex: string } | { kind: 'other'; other: string };
    const badHeaders: fc.Arbitrary<Bad> = fc.oneof(
      fc.constant<Bad>({ kind: 'none' }),
      fc.constantFrom('wrong-secret', '').map((secret): Bad => ({ kind: 'secret', secret })),
      fc.stringMatching(/^[0-9a-fA-F]{32}$/).map((hex): Bad => ({ kind: 'hex', hex })),
      pushBody(platform).map((other): Bad => ({ kind: 'other', other })),
    );
    await fc.assert(
      fc.asyncProperty(pushBody(platform), badHeaders, async (sent, bad) => {
        const body = onTheWire(sent);
        let headers: Record<string, string> = { 'content-type': 'application/json' };
        if (bad.kind === 'secret') headers = signed(platform, body, bad.secret);
        // Every signature header replaced (the content type and Douyin's app id kept).
        if (bad.kind === 'hex') headers = Object.fromEntries(Object.entries(signed(platform, body)).map(([k, v]) => [k, k === 'content-type' || k === 'app-id' ? v : bad.hex]));
        if (bad.kind === 'other') {
          const other = onTheWire(bad.other);
          if (other === body) return;
          headers = signed(platform, other);
        }
        const before = await rowCounts();
        const res = await send({ method: 'POST', url, payload: body, headers });
        expect(res.statusCode, `${platform} ${body.slice(0, 200)}`).toBe(401);
        expect(await rowCounts()).toEqual(before);
      }),
      fuzzParams(30),
    );
  }, fuzzTimeout());
});

describe('pushes to what is not a pushing shop', () => {
  it('answers unknown platforms and shops, a shop of another platform, JD (it has no push) and ids that are not ids with 4xx, storing nothing', async () => {
    const target = fc.oneof(
      fc.tuple(fc.constantFrom<string>(...PLATFORMS, 'tmall', 'TAOBAO'), fc.constantFrom('no-such-shop', 'demo-jd', 'fz-douyin', 'fz-pdd')),
      fc.tuple(fc.constantFrom<string>('taobao', 'douyin', 'pdd', 'jd'), nastyText),
      fc.tuple(nastyText, fc.constantFrom<string>('fz-taobao')),
    );
    await fc.assert(
      fc.asyncProperty(target, fc.constantFrom<PushPlatform>('taobao', 'douyin', 'pdd'), pushBody('douyin'), async ([p, shopId], signAs, sent) => {
        if (p in PUSH_SHOPS && PUSH_SHOPS[p as PushPlatform].shopId === shopId) return;
        const body = onTheWire(sent);
        const before = await rowCounts();
        const opts: InjectOptions = { method: 'POST', url: `/webhooks/${encodePart(p)}/${encodePart(shopId)}`, payload: body, headers: signed(signAs, body) };
        const res = await send(opts);
        expect(res.statusCode, show(opts, res)).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, show(opts, res)).toBeLessThan(500);
        expect(await rowCounts()).toEqual(before);
      }),
      fuzzParams(40),
    );
    await alive();
  }, fuzzTimeout());
});
