import { describe, expect, it } from 'vitest';
import { connectors } from '../../../channels/index.js';
import { parsePddDetail, parsePddPullPage, pddConnector } from '../../../channels/pdd/index.js';
import { parseTaobaoDetail, parseTaobaoPullPage, taobaoConnector } from '../../../channels/taobao/index.js';
import { loadConfig } from '../../../config/config.js';
import { fixture } from './fixture.js';

/** What a pull run may take (plan, list pages, detail reads, delivery) inside the one-minute promise. */
const RUN_BUDGET_MS = 20_000;
const PROMISE_MS = 60_000;

describe('pull defaults', () => {
  it.each(['taobao', 'jd', 'douyin'] as const)('%s: a new order created right after a window closed is read within the minute', (platform) => {
    const { intervalMs, lagMs } = connectors[platform].paging;
    // It waits out the lag, then at most one interval for the next run; the run itself takes the rest.
    expect(intervalMs + lagMs + RUN_BUDGET_MS).toBeLessThanOrEqual(PROMISE_MS);
    expect(intervalMs).toBeGreaterThanOrEqual(5_000);
  });

  it('pdd: keeps the platform’s 3-minute lag, so pulls cannot keep the minute (its push does)', () => {
    const { intervalMs, lagMs } = connectors.pdd.paging;
    expect(lagMs).toBe(180_000);
    expect(intervalMs + lagMs).toBe(240_000);
  });

  it('takes the platform’s interval unless PULL_DEFAULT_INTERVAL is set', () => {
    expect(loadConfig({}).PULL_DEFAULT_INTERVAL).toBeUndefined();
    expect(loadConfig({ PULL_DEFAULT_INTERVAL: '45s' }).PULL_DEFAULT_INTERVAL).toBe(45_000);
  });
});

describe('list items carry the version the detail maps', () => {
  const query = { window: { start: new Date('2025-11-11T02:00:00Z'), end: new Date('2025-11-11T02:30:00Z') }, page: 1, pageSize: 100, now: new Date(), probe: true };

  it('taobao: the increment list’s modified is the fullinfo order’s updatedAt', () => {
    const page = parseTaobaoPullPage(fixture('taobao/increment-page.json'), query);
    expect(page.modified).toEqual(['2026-11-10T16:05:02Z', '2026-11-10T16:04:10Z']);
    const mapped = taobaoConnector.mapOrder(parseTaobaoDetail(fixture('taobao/fullinfo-normal.json')), { shopId: 's' });
    expect(mapped.order.platformOrderId).toBe(page.platformOrderIds[0]);
    expect(mapped.order.updatedAt).toBe(page.modified![0]);
  });

  it('pdd: the increment list’s updated_at is the order information’s updatedAt', () => {
    const page = parsePddPullPage(fixture('pdd/increment-page.json'), query);
    expect(page.modified).toEqual(['2025-11-11T02:02:00Z', '2025-10-21T12:01:00Z']);
    const mapped = pddConnector.mapOrder(parsePddDetail(fixture('pdd/order-info.json')), { shopId: 's' });
    expect(mapped.order.platformOrderId).toBe(page.platformOrderIds[0]);
    expect(mapped.order.updatedAt).toBe(page.modified![0]);
  });

  it('leaves an unreadable or missing time unknown, so that the detail is read', () => {
    const body = JSON.stringify({ trades_sold_increment_get_response: { total_results: 2, trades: { trade: [{ tid_str: '1', modified: 'yesterday' }, { tid_str: '2' }] } } });
    expect(parseTaobaoPullPage(body, query).modified).toEqual([undefined, undefined]);
  });
});
