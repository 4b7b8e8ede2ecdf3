import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startWarehouse, warehouseRetries, warehouseRetryDelayMs, type WarehouseReport } from '../../channels/simulator/warehouse.js';

/**
 * A stand-in for Orderly's package routes: it lists the given packages as released once, shows no interception,
 * and answers each event post from a script per event type (`drop` closes the connection without an answer);
 * past the script's end it takes the event (202).
 */
type Answer = number | 'drop' | { status: number; retryAfter: string };
async function fakeOrderly(packages: string[], script: Partial<Record<string, Answer[]>>) {
  const posts: Array<{ packageId: string; type: string }> = [];
  let listed = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname === '/v1/packages') {
        const items = listed ? [] : packages.map((id) => ({ id, status: 'released', carrierCode: 'YTO', memberOrderIds: [`order:taobao:s:${id}`] }));
        listed = true;
        return json(200, { items, nextCursor: null });
      }
      const m = /^\/v1\/packages\/([^/]+)(\/events)?$/.exec(url.pathname);
      if (!m) return json(404, {});
      if (req.method === 'GET') return json(200, { interceptRequestedAt: null });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string };
      posts.push({ packageId: decodeURIComponent(m[1]!), type: body.type });
      const answer = script[body.type]?.shift() ?? 202;
      if (answer === 'drop') return req.socket.destroy();
      if (typeof answer === 'object') return json(answer.status, { error: 'busy' }, { 'retry-after': answer.retryAfter });
      return json(answer, answer === 202 ? { accepted: true } : { error: 'refused' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { api, posts, close };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const play = async (packages: string[], script: Partial<Record<string, Answer[]>>, settleMs: number) => {
  const orderly = await fakeOrderly(packages, script);
  closers.push(orderly.close);
  const logged: string[] = [];
  const player = startWarehouse({
    api: orderly.api,
    seed: 1,
    delayMs: [0, 0],
    failRate: 0,
    defaultCarrier: 'YTO',
    pollMs: 20,
    retry: { attempts: 4, initialMs: 10, maxMs: 40 },
    log: (l) => logged.push(l),
  });
  const deadline = Date.now() + 5_000;
  // Until the script is played out and the player has nothing in hand, then a little longer (no late re-sends).
  while (Date.now() < deadline && (Object.values(script).some((a) => a && a.length > 0) || player.busy() > 0 || player.report().seen < packages.length)) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, settleMs));
  const report: WarehouseReport = await player.stop();
  return { report, posts: orderly.posts, logged };
};

describe('the simulated warehouse sends a report Orderly did not take again', () => {
  it('retries a refused or unanswered post with back-off until it is taken, and the package still ships', async () => {
    const { report, posts, logged } = await play(['pk-1'], { picked: [503, 'drop'], shipped: [{ status: 429, retryAfter: '0' }] }, 100);
    expect(report).toMatchObject({ seen: 1, picked: 1, shipped: 1, retried: 3, undelivered: [] });
    expect(report.errors).toEqual({ '503': 1, 'network error': 1, '429': 1 });
    expect(posts.map((p) => p.type)).toEqual(['picked', 'picked', 'picked', 'shipped', 'shipped']);
    expect(logged).toEqual([]);
  });

  it('gives up after the bounded attempts, logs it, lists the package and does not take it on again', async () => {
    const { report, posts, logged } = await play(['pk-2'], { picked: [503, 502, 'drop', 500] }, 300);
    expect(posts).toHaveLength(4);
    expect(report).toMatchObject({ seen: 1, picked: 0, shipped: 0, retried: 3 });
    expect(report.undelivered).toEqual([{ packageId: 'pk-2', type: 'picked', attempts: 4, lastError: '500' }]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('picked of package pk-2 not reported (4 attempts, last answer: 500)');
  });

  it('does not send again what Orderly refused for good (409: finished already, other 4xx)', async () => {
    const { report, posts } = await play(['pk-3', 'pk-4'], { picked: [409, 400] }, 200);
    expect(posts).toHaveLength(2);
    expect(report).toMatchObject({ picked: 0, retried: 0, undelivered: [] });
    expect(report.errors).toEqual({ '409': 1, '400': 1 });
  });
});

describe('warehouse retry rules', () => {
  it('backs off doubling up to the cap, and follows Retry-After within it', () => {
    const r = { attempts: 6, initialMs: 1000, maxMs: 16_000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => warehouseRetryDelayMs(r, a))).toEqual([1000, 2000, 4000, 8000, 16_000, 16_000]);
    expect(warehouseRetryDelayMs(r, 1, 5000)).toBe(5000);
    expect(warehouseRetryDelayMs(r, 1, 0)).toBe(1000);
    expect(warehouseRetryDelayMs(r, 1, 120_000)).toBe(16_000);
  });

  it('retries no answer, 5xx, 429 and 408 only', () => {
    expect([undefined, 500, 502, 503, 504, 429, 408].every(warehouseRetries)).toBe(true);
    expect([202, 400, 401, 403, 404, 409, 422].some(warehouseRetries)).toBe(false);
  });
});
