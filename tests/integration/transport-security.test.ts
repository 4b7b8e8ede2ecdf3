import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { douyinEventSign } from '../../channels/douyin/sign.js';
import type { Config } from '../../config/config.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/certs.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';

// Transport security (README, "Transport security"): body limits (413), rate limits (429 with Retry-After),
// security headers on every answer, and the API over https with a certificate made here.

let stack: TestStack;
const API_BODY_LIMIT = 16 * 1024;
const WEBHOOK_BODY_LIMIT = 64 * 1024;

beforeAll(async () => {
  stack = await createTestStack(
    {
      API_BODY_LIMIT: '16KiB',
      WEBHOOK_BODY_LIMIT: '64KiB',
      WEBHOOK_RATE_LIMIT: '5',
      AUTH_FAILURE_RATE_LIMIT: '3',
      CODEC_SESSION_RATE_LIMIT: '3',
      // Refusals are logged at warn: only errors are shown.
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    },
    // Stored pushes stay in the inbox, undelivered: what is stored is what is checked.
    { relay: false },
  );
});
afterAll(async () => {
  await stack?.close();
});

let shops = 0;
/** A Douyin shop that receives pushes, with the credentials its pushes are signed with. */
async function douyinShop() {
  shops += 1;
  const shop = { id: `tls-dy-${shops}-${Date.now() % 100_000}`, appKey: `tlskey${shops}`, appSecret: `tls-secret-${shops}` };
  const res = await stack.app.inject({ method: 'POST', url: '/v1/shops', payload: { id: shop.id, platform: 'douyin', name: 'push shop', credentials: { appKey: shop.appKey, appSecret: shop.appSecret }, syncMode: 'push' } });
  expect(res.statusCode, res.body).toBe(201);
  return shop;
}
type Shop = Awaited<ReturnType<typeof douyinShop>>;

/** A signed Douyin push of one message (`tag` 100: an order created; 0: the platform's address check, stores nothing). */
function push(shop: Shop, opts: { messageId: string; tag?: string; padding?: number; remoteAddress?: string }) {
  const data = JSON.stringify({ p_id: '4918000000000000001', shop_id: 1, pad: 'x'.repeat(opts.padding ?? 0) });
  const body = JSON.stringify([{ tag: opts.tag ?? '100', msg_id: opts.messageId, data }]);
  return stack.injectAs(null, {
    method: 'POST',
    url: `/webhooks/douyin/${shop.id}`,
    payload: body,
    headers: { 'content-type': 'application/json', 'app-id': shop.appKey, 'event-sign': douyinEventSign(shop.appKey, body, shop.appSecret) },
    ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
  });
}

const inbox = (shopId: string) => stack.db.selectFrom('channel_events').select(['message_id']).where('shop_id', '=', shopId).execute();

describe('body limits', () => {
  it('answers 413 in the error shape to an API body over API_BODY_LIMIT, and reads one under it', async () => {
    const big = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: JSON.stringify({ pad: 'x'.repeat(API_BODY_LIMIT) }), headers: { 'content-type': 'application/json' } });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: 'payload_too_large', message: `the request body is larger than the ${API_BODY_LIMIT} bytes POST /v1/orders accepts` });
    // Under the limit the body is read (and found to be no order).
    const small = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: JSON.stringify({ pad: 'x'.repeat(API_BODY_LIMIT / 2) }), headers: { 'content-type': 'application/json' } });
    expect(small.statusCode).toBe(400);
    expect(small.json().error).toBe('bad_request');
  });

  it('takes a push larger than the API limit, refuses one over WEBHOOK_BODY_LIMIT with 413, and stores nothing of it', async () => {
    const shop = await douyinShop();
    // A batch over the API's own limit: pushes have theirs.
    const large = await push(shop, { messageId: 'm-large', padding: API_BODY_LIMIT * 2 });
    expect(large.statusCode, large.body).toBe(200);
    expect(large.json()).toEqual({ code: 0, msg: 'success' });
    expect((await inbox(shop.id)).map((r) => r.message_id)).toEqual(['m-large']);

    const tooLarge = await push(shop, { messageId: 'm-too-large', padding: WEBHOOK_BODY_LIMIT });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toEqual({ error: 'payload_too_large', message: `the request body is larger than the ${WEBHOOK_BODY_LIMIT} bytes POST /webhooks/:platform/:shopId accepts` });
    expect((await inbox(shop.id)).map((r) => r.message_id)).toEqual(['m-large']);
  });
});

describe('rate limits', () => {
  it('answers a shop past WEBHOOK_RATE_LIMIT pushes a minute 429 with Retry-After, and only that shop', async () => {
    const [a, b] = [await douyinShop(), await douyinShop()];
    for (let i = 0; i < 5; i++) {
      const res = await push(a, { messageId: `a-${i}`, tag: '0' });
      expect(res.statusCode, `push ${i + 1}`).toBe(200);
      expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
    }
    const refused = await push(a, { messageId: 'a-5', tag: '0' });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({ error: 'too_many_requests', message: expect.stringMatching(new RegExp(`^more than 5 pushes a minute for shop douyin/${a.id} \\(WEBHOOK_RATE_LIMIT\\): retry in \\d+ s$`)) });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['x-ratelimit-limit']).toBe('5');
    // Counted per shop, whatever the address: another shop's pushes pass, from another address a's do not.
    expect((await push(b, { messageId: 'b-0', tag: '0' })).statusCode).toBe(200);
    expect((await push(a, { messageId: 'a-6', tag: '0', remoteAddress: '198.51.100.7' })).statusCode).toBe(429);
  });

  it('stops an address after AUTH_FAILURE_RATE_LIMIT failed keys, for every call needing a key, until the minute is over', async () => {
    const ip = '192.0.2.10';
    const as = (key: string | null, url = '/v1/orders', headers: Record<string, string> = {}) => stack.injectAs(key, { method: 'GET', url, remoteAddress: ip, headers });
    // No key at all guesses nothing: not counted.
    for (let i = 0; i < 5; i++) expect((await as(null)).statusCode).toBe(401);
    // Three wrong keys (whatever X-Forwarded-For says: no proxy is trusted here) ...
    for (let i = 0; i < 3; i++) {
      const res = await as(`ork_wrong${i}${'x'.repeat(40)}`, '/v1/orders', { 'x-forwarded-for': `203.0.113.${i}` });
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toBe('unknown API key');
    }
    // ... and the address is refused, the right key included, before any key is looked up.
    const refused = await as(stack.adminKey);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({ error: 'too_many_requests', message: expect.stringMatching(/^3 failed API key attempts from this address this minute: retry in \d+ s$/) });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await as(`ork_wrong9${'x'.repeat(40)}`, '/v1/shops')).statusCode).toBe(429);
    // Public routes still answer, and other addresses are not affected.
    expect((await as(null, '/healthz')).statusCode).toBe(200);
    expect((await stack.injectAs(stack.adminKey, { method: 'GET', url: '/v1/orders', remoteAddress: '192.0.2.11' })).statusCode).toBe(200);
  });

  it('limits the codec sign-in page and its POST per address (CODEC_SESSION_RATE_LIMIT)', async () => {
    const ip = '192.0.2.20';
    for (let i = 0; i < 3; i++) {
      const page = await stack.injectAs(null, { method: 'GET', url: '/codec/session', remoteAddress: ip });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
    }
    const refused = await stack.injectAs(null, { method: 'GET', url: '/codec/session', remoteAddress: ip });
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toBe('too_many_requests');
    expect(refused.headers['retry-after']).toBeDefined();
    expect((await stack.injectAs(stack.adminKey, { method: 'POST', url: '/codec/session', remoteAddress: ip })).statusCode).toBe(429);
    const elsewhere = await stack.injectAs(stack.adminKey, { method: 'POST', url: '/codec/session', remoteAddress: '192.0.2.21' });
    expect(elsewhere.statusCode).toBe(200);
    // Over http the session cookie is not marked Secure (over https it is: below).
    expect(elsewhere.headers['set-cookie']).not.toMatch(/Secure/);
  });
});

describe('security headers', () => {
  const common = (headers: Record<string, unknown>) => {
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');
  };

  it('go with every API answer, refusals and errors included; the JSON API allows nothing to load, and no HSTS over http', async () => {
    for (const res of [
      await stack.injectAs(null, { method: 'GET', url: '/healthz' }),
      await stack.app.inject({ method: 'GET', url: '/v1/orders' }),
      await stack.injectAs(null, { method: 'GET', url: '/v1/orders' }),
      await stack.app.inject({ method: 'GET', url: '/v1/no-such-route' }),
    ]) {
      common(res.headers);
      expect(res.headers['content-security-policy']).toBe("default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('leave /docs loading: the page, every script and stylesheet it names, and the document', async () => {
    const page = await stack.injectAs(null, { method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    common(page.headers);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // No inline script in the page: every script is a file from this origin, which the policy allows.
    expect(page.body).not.toMatch(/<script>(?!\s*<\/script>)/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset.startsWith('/docs/') || asset.startsWith('./'), asset).toBe(true);
      const url = asset.startsWith('./') ? `/docs/${asset.slice(2)}` : asset;
      const res = await stack.injectAs(null, { method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
    }
    expect((await stack.injectAs(null, { method: 'GET', url: '/docs/json' })).json().openapi).toMatch(/^3\./);
  });

  it('allow the codec sign-in page its one inline script, by its hash', async () => {
    const page = await stack.injectAs(null, { method: 'GET', url: '/codec/session', remoteAddress: '192.0.2.30' });
    expect(page.statusCode).toBe(200);
    common(page.headers);
    const scripts = [...page.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    const hash = `'sha256-${createHash('sha256').update(scripts[0]!).digest('base64')}'`;
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain(`script-src ${hash}`);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("connect-src 'self'");
  });
});

/** A GET over https or http with node's own clients: status, headers, body; rejects when no answer comes. */
function get(url: string, opts: { ca?: Buffer; headers?: Record<string, string>; method?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.request(url, { method: opts.method ?? 'GET', headers: opts.headers, ...(opts.ca ? { ca: opts.ca } : {}), timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('the API over https', () => {
  let certs: TestCertificates;
  let app: FastifyInstance;
  let base: string;
  let ca: Buffer;

  beforeAll(async () => {
    certs = makeTestCertificates({ serverNames: ['localhost'] });
    ca = fs.readFileSync(certs.caPath);
    const config: Config = { ...stack.config, API_TLS_CERT_PATH: certs.serverCertPath, API_TLS_KEY_PATH: certs.serverKeyPath };
    app = stack.authorize(await buildApp({ services: { config, db: stack.db, temporal: stack.client, dispatcher: stack.dispatcher, logger: stack.logger } }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    certs?.remove();
  });

  it('answers https with the configured certificate, with HSTS', async () => {
    const res = await get(`https://${base}/healthz`, { ca });
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const orders = await get(`https://${base}/v1/orders`, { ca, headers: { authorization: `Bearer ${stack.adminKey}` } });
    expect(orders.status).toBe(200);
  });

  it("is not trusted without the certificate's CA", async () => {
    await expect(get(`https://${base}/healthz`)).rejects.toThrow(/certificate/i);
  });

  it('refuses plain http on its port: no answer at all', async () => {
    await expect(get(`http://${base}/healthz`)).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('marks the codec session cookie Secure', async () => {
    const res = await get(`https://${base}/codec/session`, { ca, method: 'POST', headers: { authorization: `Bearer ${stack.adminKey}` } });
    expect(res.status).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
  });
});

describe('behind a trusted proxy (TRUST_PROXY)', () => {
  it('sends HSTS when the proxy says the request came over https, and limits each client it names on its own', async () => {
    const config: Config = { ...stack.config, TRUST_PROXY: '127.0.0.1' };
    const app = await buildApp({ services: { config, db: stack.db, temporal: stack.client, dispatcher: stack.dispatcher, logger: stack.logger } });
    try {
      const viaProxy = (client: string, key: string | null, url = '/v1/orders') =>
        app.inject({ method: 'GET', url, remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client, 'x-forwarded-proto': 'https', ...(key ? { authorization: `Bearer ${key}` } : {}) } });
      expect((await viaProxy('203.0.113.50', null, '/healthz')).headers['strict-transport-security']).toBe('max-age=31536000');
      for (let i = 0; i < 3; i++) expect((await viaProxy('203.0.113.51', `ork_nope${i}${'y'.repeat(40)}`)).statusCode).toBe(401);
      expect((await viaProxy('203.0.113.51', stack.adminKey)).statusCode).toBe(429);
      expect((await viaProxy('203.0.113.52', stack.adminKey)).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
