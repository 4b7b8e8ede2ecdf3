import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { douyinEventSign } from '../../channels/douyin/index.js';
import { pddPushSignature } from '../../channels/pdd/index.js';
import { taobaoPushSignature } from '../../channels/taobao/index.js';
import { MAX_FEN } from '../../domain/money.schema.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';

// One test for each 5xx (or endless redelivery) the fuzz tests (fuzz.test.ts) found, pinned with the input that
// found it: the answer is a clear 4xx, or for a push the platform really sent its success, with the body kept.

let stack: TestStack;
const shops = {
  taobao: { id: 'bi-taobao', appKey: 'bikey-taobao', secret: 'bi-secret-taobao' },
  douyin: { id: 'bi-douyin', appKey: 'bikey-douyin', secret: 'bi-secret-douyin' },
  pdd: { id: 'bi-pdd', appKey: 'bikey-pdd', secret: 'bi-secret-pdd' },
} as const;
/** A second Douyin shop (same app): its first parked push opens its exception. */
const DOUYIN_2 = 'bi-douyin-2';
type P = keyof typeof shops;

beforeAll(async () => {
  stack = await createTestStack({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error' }, { relay: false });
  for (const [platform, s] of Object.entries(shops)) {
    const res = await stack.app.inject({ method: 'POST', url: '/v1/shops', payload: { id: s.id, platform, name: s.id, credentials: { appKey: s.appKey, appSecret: s.secret }, syncMode: 'push' } });
    expect(res.statusCode, res.body).toBe(201);
  }
  const d = shops.douyin;
  const res = await stack.app.inject({ method: 'POST', url: '/v1/shops', payload: { id: DOUYIN_2, platform: 'douyin', name: DOUYIN_2, credentials: { appKey: d.appKey, appSecret: d.secret }, syncMode: 'push' } });
  expect(res.statusCode, res.body).toBe(201);
});
afterAll(async () => {
  await stack?.close();
});

function push(platform: P, body: string, shopId: string = shops[platform].id) {
  const s = shops[platform];
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (platform === 'taobao') headers['x-tmc-sign'] = taobaoPushSignature(body, s.secret);
  if (platform === 'pdd') headers['x-pdd-sign'] = pddPushSignature(body, s.secret);
  if (platform === 'douyin') Object.assign(headers, { 'app-id': s.appKey, 'event-sign': douyinEventSign(s.appKey, body, s.secret) });
  return stack.app.inject({ method: 'POST', url: `/webhooks/${platform}/${shopId}`, payload: body, headers });
}

const SUCCESS = { taobao: { success: true }, douyin: { code: 0, msg: 'success' } } as const;

/** The row a parked push left, opened through the API, and the shop's open exception for it. */
async function parked(platform: P, body: string, shopId: string = shops[platform].id) {
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 32);
  const row = await stack.db.selectFrom('channel_events').select('id').where('shop_id', '=', shopId).where('message_id', '=', `malformed:${digest}`).executeTakeFirst();
  const inbox = row ? (await stack.app.inject({ method: 'GET', url: `/v1/inbox/${row.id}` })).json<{ rawBody: string; payload: unknown }>() : undefined;
  const exception = await stack.db.selectFrom('exceptions').select(['detail']).where('shop_id', '=', shopId).where('kind', '=', 'channel_malformed_push').where('status', '=', 'open').executeTakeFirst();
  return { inbox, exception };
}

describe('text PostgreSQL cannot store, anywhere in a request', () => {
  it('answers a NUL in a path parameter 400 (it reached the SQL of GET /v1/orders/:id, packages, decisions, reviews, customers: 500)', async () => {
    for (const url of ['/v1/orders/%00', '/v1/packages/%00', '/v1/orders/%00/decisions', '/v1/reviews/a%00b', '/v1/customers/taobao/%00']) {
      const res = await stack.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().message, url).toMatch(/^invalid path: \/\w+ holds a NUL character$/);
    }
  });

  it('answers a NUL in a query and in a body 400, writing nothing (PATCH /v1/skus/:code with one in category: 500)', async () => {
    expect((await stack.app.inject({ method: 'GET', url: '/v1/orders?shopId=%00' })).json()).toMatchObject({ error: 'bad_request', message: 'invalid query: /shopId holds a NUL character' });
    const sku = () => stack.db.selectFrom('skus').selectAll().where('code', '=', 'TEA-LJ-250').executeTakeFirstOrThrow();
    const before = await sku();
    const res = await stack.app.inject({ method: 'PATCH', url: '/v1/skus/TEA-LJ-250', payload: { name: 'Longjing', category: 'tea\u0000' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ message: 'invalid body: /category holds a NUL character', details: { issues: [{ path: '/category' }] } });
    expect(await sku()).toEqual(before);
  });

  it('answers an unpaired surrogate in a JSON body 400, in a key as in a value (jsonb refuses it: 500)', async () => {
    const value = await stack.app.inject({ method: 'PUT', url: '/v1/customers/taobao/b-1', payload: `{"vipLevel":1,"tags":["\\ud800"]}`, headers: { 'content-type': 'application/json' } });
    expect(value.statusCode).toBe(400);
    expect(value.json().message).toBe('invalid body: /tags/0 holds an unpaired surrogate (U+D800)');
    const key = await stack.app.inject({ method: 'PUT', url: '/v1/carriers/SF/platform-codes', payload: `{"\\udfff":"x"}`, headers: { 'content-type': 'application/json' } });
    expect(key.statusCode).toBe(400);
    expect(key.json().message).toMatch(/its name holds an unpaired surrogate/);
  });

  it('still audits an attempt whose path held a NUL (its audit row was lost: jsonb refused the parameters)', async () => {
    const res = await stack.app.inject({ method: 'POST', url: '/v1/packages/a%00b/events', payload: { type: 'picked' } });
    expect(res.statusCode).toBe(400);
    const audit = await stack.app.inject({ method: 'GET', url: '/v1/audit', query: { action: 'package.event' } });
    expect(audit.json().items[0]).toMatchObject({ route: '/v1/packages/:id/events', params: { id: 'ab' }, status: 400 });
  });
});

describe('numbers beyond what the columns and the arithmetic hold', () => {
  it('answers a rule set version beyond a PostgreSQL integer 400 (publish, rollback, dry run: 500)', async () => {
    const version = 2 ** 31;
    for (const [url, payload] of [
      ['/v1/rules/publish', { version }],
      ['/v1/rules/rollback', { toVersion: version }],
      ['/v1/rules/dry-run', { draft: { version }, from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }],
    ] as const) {
      const res = await stack.app.inject({ method: 'POST', url, payload });
      expect(res.statusCode, url).toBe(400);
    }
  });

  it('answers an order whose lines add up beyond integer fen 400 (its check threw: 500)', async () => {
    const o = makeOrder({ shopId: 'demo-taobao' });
    const line = { skuCode: 'TEA-LJ-250', quantity: 100_000, unitPriceFen: MAX_FEN, paidFen: MAX_FEN };
    const res = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: { ...o, lines: [line], amounts: { goodsFen: MAX_FEN, paidFen: MAX_FEN } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues).toEqual(expect.arrayContaining([expect.objectContaining({ message: 'unit price x quantity over the lines is beyond what integer fen can count' })]));
  });

  it('answers amounts near 2^53 400, so no stored order breaks the price check of a later dry run (500 on every dry run)', async () => {
    const o = makeOrder({ shopId: 'demo-taobao' });
    const big = 9_007_199_254_700_000;
    const res = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: { ...o, lines: [{ skuCode: 'TEA-LJ-250', quantity: 1, unitPriceFen: big, paidFen: big }], amounts: { goodsFen: big, paidFen: big } } });
    expect(res.statusCode).toBe(400);
    const dry = await stack.app.inject({ method: 'POST', url: '/v1/rules/dry-run', payload: { draft: { version: 1 }, from: '2020-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z' } });
    expect(dry.statusCode, dry.body).toBe(200);
  });
});

describe('unknown fields', () => {
  it('refuses them in a posted order at any depth, and in the bodies that dropped them (warehouses, SKUs, stock, carriers, packages, shops, settings)', async () => {
    const o = makeOrder({ shopId: 'demo-taobao' });
    for (const payload of [{ ...o, note: 'x' }, { ...o, receiver: { ...o.receiver, floor: 3 } }, { ...o, lines: [{ ...o.lines[0]!, colour: 'red' }, o.lines[1]!] }]) {
      const res = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload });
      expect(res.statusCode).toBe(400);
      expect(JSON.stringify(res.json().issues)).toMatch(/Unrecognized key/);
    }
    const cases: Array<[string, string, object]> = [
      ['POST', '/v1/skus', { code: 'BI-1', name: 'x', colour: 'red' }],
      ['PATCH', '/v1/warehouses/WH-SH', { name: 'x', manager: 'li' }],
      ['POST', '/v1/inventory/WH-SH/TEA-LJ-250/adjustments', { delta: 1, reason: 'count', by: 'li' }],
      ['PATCH', '/v1/carriers/SF', { rates: [{ service: 'express', firstWeightG: 1, firstFen: 1, stepG: 1, stepFen: 1, zone: 'a' }] }],
      ['POST', '/v1/packages/1/events', { type: 'picked', by: 'li' }],
      ['POST', '/v1/shops', { id: 'bi-x', platform: 'jd', name: 'x', credentials: { appKey: 'k', appSecret: 's' }, region: 'east' }],
      ['PUT', '/v1/settings/allocation-strategy', { filters: [], rankBy: ['distance'], steps: ['single-warehouse'], loadThreshold: 1, distanceBandKm: 1, version: 7 }],
      ['POST', '/v1/orders/order:taobao:demo-taobao:1/events', { type: 'paid', amount: 1 }],
    ];
    for (const [method, url, payload] of cases) {
      const res = await stack.app.inject({ method: method as 'POST', url, payload });
      expect(res.statusCode, `${method} ${url} ${res.body}`).toBe(400);
    }
  });
});

describe('pushes that can never be processed', () => {
  it('parks a signed body naming a NUL message or order id, answering success (it was answered "retry" forever: 503, Douyin code 1)', async () => {
    const bodies: Array<[P, string]> = [
      ['taobao', '{"id":"a\\u0000b","topic":"taobao_trade_TradeBuyerPay","content":"{\\"tid\\":\\"1\\"}"}'],
      ['taobao', '{"id":"7","topic":"taobao_trade_TradeBuyerPay","content":"{\\"tid\\":\\"1\\\\u0000\\"}"}'],
      ['douyin', '[{"tag":"101","msg_id":"\\u0000","data":"{\\"p_id\\":\\"1\\"}"}]'],
      ['pdd', '{"id":"\\ud800","commandType":"Common","message":{"type":"pdd_refund_RefundClosed","content":"{\\"tid\\":\\"1\\"}"}}'],
    ];
    for (const [platform, body] of bodies) {
      const res = await push(platform, body);
      expect(res.statusCode, body).toBe(200);
      if (platform !== 'pdd') expect(res.json(), body).toEqual(SUCCESS[platform]);
      const { inbox, exception } = await parked(platform, body);
      expect(inbox, body).toMatchObject({ rawBody: body, payload: null });
      expect(exception, body).toBeDefined();
    }
  });

  it('parks an order id that would break the workflow id (a colon), rather than start order:<platform>:<shop>:a:b', async () => {
    const body = '{"id":"8","topic":"taobao_trade_TradeBuyerPay","content":"{\\"tid\\":\\"a:b\\"}"}';
    expect((await push('taobao', body)).json()).toEqual(SUCCESS.taobao);
    expect((await parked('taobao', body)).inbox).toMatchObject({ rawBody: body });
  });

  it('parks a body whose parse error names a NUL, and keeps the exception storable (its detail was refused: 500)', async () => {
    const body = '\u0000';
    expect((await push('douyin', body, DOUYIN_2)).json()).toEqual(SUCCESS.douyin);
    const { inbox, exception } = await parked('douyin', body, DOUYIN_2);
    expect(inbox).toMatchObject({ rawBody: body });
    expect(exception!.detail).toMatchObject({ platform: 'douyin', reason: expect.stringMatching(/^Unexpected token/) });
  });

  it('parks a Douyin payment whose pay_time no date can hold (RangeError: 500)', async () => {
    const body = '[{"tag":"101","msg_id":"m-time","data":"{\\"p_id\\":\\"42\\",\\"pay_time\\":9000000000000000}"}]';
    expect((await push('douyin', body)).json()).toEqual(SUCCESS.douyin);
    expect((await parked('douyin', body)).inbox).toMatchObject({ rawBody: body });
  });

  it('acknowledges an unprocessable PDD frame by its id, so the message service stops delivering it', async () => {
    const body = '{"id":5100000000000000001,"commandType":"Common","message":{"type":"pdd_trade_TradeSellerShip","content":"{}"}}';
    const res = await push('pdd', body);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('{"id":5100000000000000001,"commandType":"Ack"}');
    expect((await parked('pdd', body)).inbox).toMatchObject({ rawBody: body });
  });

  it('parks a batch too large to store message by message, whole (ten thousand messages each with the body: the process ran out of memory)', async () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `9${String(i).padStart(8, '0')}`);
    const body = JSON.stringify(ids.map((id) => ({ tag: '101', msg_id: id, data: JSON.stringify({ p_id: id }) })));
    expect((await push('douyin', body)).json()).toEqual(SUCCESS.douyin);
    expect((await parked('douyin', body)).inbox?.rawBody).toHaveLength(body.length);
    expect((await stack.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('refuses a push to a shop that has no credentials with 401 (503, redelivered, for a shop made without them)', async () => {
    const res = await push('pdd', '{}', 'demo-pdd');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'unauthorized', message: 'shop demo-pdd has no credentials to verify pushes with' });
  });
});
