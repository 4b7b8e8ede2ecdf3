import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerFactsFor } from '../../db/customers.repository.js';
import { NO_CUSTOMER_FACTS } from '../../domain/customer.js';
import { createTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const url = (platform: string, buyerKey: string) => `/v1/customers/${platform}/${encodeURIComponent(buyerKey)}`;

async function call(method: 'GET' | 'PUT' | 'DELETE', path: string, payload?: Record<string, unknown>) {
  const res = await stack.app.inject({ method, url: path, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
}

// Opaque ids as the platforms send them, and one with every character a path could trip over.
const TAOBAO_BUYER = 'AAH5cm9rAAbFkVdkfDNb_Z8y';
const ODD_BUYER = 'AAH5/买家 😀%2F?#&+=..\u00e9e\u0301';

describe('customers through REST', () => {
  it('creates, reads back and replaces a customer', async () => {
    const created = await call('PUT', url('taobao', TAOBAO_BUYER), { vipLevel: 3, tags: ['wholesale', ' wholesale ', 'returns-often'], note: 'buys by the crate' });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({ platform: 'taobao', buyerKey: TAOBAO_BUYER, vipLevel: 3, blacklisted: false, tags: ['wholesale', 'returns-often'], note: 'buys by the crate' });
    expect(created.body).not.toHaveProperty('blacklistReason');

    const read = await call('GET', url('taobao', TAOBAO_BUYER));
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    // A replacement is whole: what it leaves out takes its default or is cleared; the creation time stays.
    const replaced = await call('PUT', url('taobao', TAOBAO_BUYER), { blacklisted: true, blacklistReason: 'chargeback fraud' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ vipLevel: 0, blacklisted: true, blacklistReason: 'chargeback fraud', tags: [] });
    expect(replaced.body).not.toHaveProperty('note');
    expect(replaced.body.createdAt).toBe(created.body.createdAt);
    expect(Date.parse(replaced.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.updatedAt));
    expect(await customerFactsFor(stack.db, 'taobao', TAOBAO_BUYER)).toEqual({ vipLevel: 0, blacklisted: true, tags: [] });

    // The same buyer id on another platform is another buyer.
    expect((await call('GET', url('jd', TAOBAO_BUYER))).status).toBe(404);

    // A body may repeat its key (as read back, less the timestamps), but only the path's.
    const { createdAt: _c, updatedAt: _u, ...readBack } = replaced.body;
    expect((await call('PUT', url('taobao', TAOBAO_BUYER), readBack)).status).toBe(200);
    const otherKey = await call('PUT', url('taobao', TAOBAO_BUYER), { ...readBack, buyerKey: 'someone-else' });
    expect(otherKey.status).toBe(400);
    expect(otherKey.body.message).toMatch(/does not match/);
  });

  it('keeps a buyer id with Unicode and an encoded "/" exactly', async () => {
    const put = await call('PUT', url('douyin', ODD_BUYER), { vipLevel: 5, tags: ['直播'] });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.buyerKey).toBe(ODD_BUYER);

    const read = await call('GET', url('douyin', ODD_BUYER));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ platform: 'douyin', buyerKey: ODD_BUYER, vipLevel: 5, tags: ['直播'] });
    // Not normalised: the composed é is another buyer.
    expect((await call('GET', url('douyin', ODD_BUYER.normalize('NFC')))).status).toBe(404);
    expect(await customerFactsFor(stack.db, 'douyin', ODD_BUYER)).toEqual({ vipLevel: 5, blacklisted: false, tags: ['直播'] });

    const listed = await call('GET', '/v1/customers?platform=douyin');
    expect(listed.body.items.map((c: { buyerKey: string }) => c.buyerKey)).toContain(ODD_BUYER);

    expect((await call('DELETE', url('douyin', ODD_BUYER))).status).toBe(204);
    expect((await call('GET', url('douyin', ODD_BUYER))).status).toBe(404);
  });

  it('answers 404 with a reason for an unknown customer, and the rules see no facts', async () => {
    const missing = await call('GET', url('pdd', 'nobody'));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'not_found', message: expect.stringContaining('nobody') });
    expect(await customerFactsFor(stack.db, 'pdd', 'nobody')).toEqual(NO_CUSTOMER_FACTS);
  });

  it('refuses bad input with 400 and the reason', async () => {
    const unknownField = await call('PUT', url('taobao', 'b-400'), { vipLevel: 1, vip: true });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error).toBe('bad_request');
    expect(JSON.stringify(unknownField.body.issues)).toContain('vip');

    const tooVip = await call('PUT', url('taobao', 'b-400'), { vipLevel: 11 });
    expect(tooVip.status).toBe(400);
    expect(tooVip.body.issues.map((i: { path: string }) => i.path)).toContain('/vipLevel');

    const badTags = await call('PUT', url('taobao', 'b-400'), { tags: ['', 'x'.repeat(51)] });
    expect(badTags.status).toBe(400);
    expect(badTags.body.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['/tags/0', '/tags/1']));
    expect((await call('PUT', url('taobao', 'b-400'), { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) })).status).toBe(400);
    expect((await call('PUT', url('taobao', 'b-400'), { vipLevel: 1.5 })).status).toBe(400);
    expect((await call('PUT', url('taobao', 'b-400'), { blacklisted: 'yes' })).status).toBe(400);
    expect((await call('PUT', url('tmall', 'b-400'), {})).status).toBe(400);
    expect((await call('PUT', url('taobao', 'x'.repeat(201)), {})).status).toBe(400);
    expect((await call('GET', '/v1/customers?minVipLevel=11')).status).toBe(400);
    expect((await call('GET', '/v1/customers?blacklisted=maybe')).status).toBe(400);
    expect((await call('GET', '/v1/customers?vip=3')).status).toBe(400);
    expect((await call('GET', '/v1/customers?cursor=not-a-cursor')).status).toBe(400);
    expect((await call('GET', url('taobao', 'b-400'))).status).toBe(404);
  });

  it('lists customers with filters, paged by a cursor', async () => {
    const seed: Array<[string, string, Record<string, unknown>]> = [
      ['pdd', 'L-a', { vipLevel: 0 }],
      ['pdd', 'L-b', { vipLevel: 2, tags: ['wholesale'] }],
      ['pdd', 'L-c', { vipLevel: 7, tags: ['wholesale', 'vip-hotline'] }],
      ['pdd', 'L-d', { blacklisted: true, blacklistReason: 'refund abuse', tags: ['returns-often'] }],
      ['jd', 'L-e', { vipLevel: 9, blacklisted: true }],
    ];
    for (const [p, b, body] of seed) expect((await call('PUT', url(p, b), body)).status).toBe(200);

    const keys = async (query: string) => {
      const r = await call('GET', `/v1/customers?${query}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.items.map((c: { platform: string; buyerKey: string }) => `${c.platform}/${c.buyerKey}`);
    };
    expect(await keys('platform=pdd')).toEqual(['pdd/L-a', 'pdd/L-b', 'pdd/L-c', 'pdd/L-d']);
    expect(await keys('platform=pdd&blacklisted=true')).toEqual(['pdd/L-d']);
    expect(await keys('platform=pdd&blacklisted=false')).toEqual(['pdd/L-a', 'pdd/L-b', 'pdd/L-c']);
    expect(await keys('minVipLevel=7')).toEqual(['jd/L-e', 'pdd/L-c']);
    expect(await keys('tag=wholesale')).toEqual(['pdd/L-b', 'pdd/L-c']);
    expect(await keys('tag=wholesale&minVipLevel=5')).toEqual(['pdd/L-c']);
    expect(await keys('blacklisted=true&minVipLevel=1')).toEqual(['jd/L-e']);
    expect(await keys('tag=nobody-has-this')).toEqual([]);

    // Pages of two, following nextCursor, give the whole list once, in order; a deleted anchor still pages.
    const all = await keys('limit=500');
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await call('GET', `/v1/customers?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      paged.push(...r.body.items.map((c: { platform: string; buyerKey: string }) => `${c.platform}/${c.buyerKey}`));
      cursor = r.body.nextCursor;
      if (cursor && paged.length === 2) expect((await call('DELETE', url(...(paged[1]!.split('/') as [string, string])))).status).toBe(204);
    } while (cursor);
    expect(paged).toEqual(all);
    expect(new Set(paged).size).toBe(paged.length);
  });

  it('deletes a customer', async () => {
    expect((await call('PUT', url('jd', 'to-delete'), { vipLevel: 4 })).status).toBe(200);
    const del = await call('DELETE', url('jd', 'to-delete'));
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    expect((await call('GET', url('jd', 'to-delete'))).status).toBe(404);
    expect(await customerFactsFor(stack.db, 'jd', 'to-delete')).toBe(NO_CUSTOMER_FACTS);
    const again = await call('DELETE', url('jd', 'to-delete'));
    expect(again.status).toBe(404);
    expect(again.body.error).toBe('not_found');
  });

  it('documents the resource in the OpenAPI document', async () => {
    const doc = await stack.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json().paths as Record<string, unknown>);
    expect(paths).toEqual(expect.arrayContaining(['/v1/customers', '/v1/customers/{platform}/{buyerKey}']));
  });
});
