// Exceptions no order workflow follows, on the real dev server and PostgreSQL: a malformed push opens a shop's
// SYNC_FAILING exception through the webhook route, which starts its watch `exception:<id>` (once, with the
// control task priority and a summary); under a one-minute exception policy the watch escalates it at its
// level time through the real escalation activity; acknowledging it through the API ends the watch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taobaoPushSignature } from '../../channels/taobao/index.js';
import { exceptionWatchStateQuery, exceptionWatchWorkflowId, type ExceptionWatchWorkflow } from '../../workflows/exception-watch.messages.js';
import { createTestStack, eventually, maybeRecordHistory, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
const secret = 'watch-test-secret';
/** The shop whose exception escalates, its malformed push sent first: its minute runs while the rest is checked. */
const slowShop = 'tb-watch-slow';
const quickShop = 'tb-watch-quick';
let slowPushedAt: number;

interface Out {
  id: string;
  kind: string;
  type: string;
  status: string;
  ownerRole: string;
  shopId: string | null;
  orderId: string | null;
  openedAt: string;
  dueAt: string;
  escalationLevel: number;
  events?: { event: string; at: string; actor: string | null; detail: Record<string, unknown> }[];
}

const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
  const res = await stack.app.inject({ method, url, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() };
};

/** A push the platform really sent (signed with the shop's secret) that cannot be read. */
async function malformedPush(shopId: string) {
  const body = '{"id": 1234, "topic": ';
  return stack.app.inject({ method: 'POST', url: `/webhooks/taobao/${shopId}`, payload: body, headers: { 'content-type': 'application/json', 'x-tmc-sign': taobaoPushSignature(body, secret) } });
}

async function shopException(shopId: string): Promise<Out> {
  const r = await call('GET', `/v1/exceptions?shopId=${shopId}&status=all`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const items = (r.body as { items: Out[] }).items;
  expect(items, JSON.stringify(items)).toHaveLength(1);
  return (await call('GET', `/v1/exceptions/${items[0]!.id}`)).body as Out;
}

const watch = (id: string) => stack.client.workflow.getHandle<ExceptionWatchWorkflow>(exceptionWatchWorkflowId(id));

beforeAll(async () => {
  stack = await createTestStack();
  // SYNC_FAILING due after one minute (level 1, ops_lead), then level 2 after three (admin).
  const policy = await call('PUT', '/v1/settings/exception-policy', {
    types: { SYNC_FAILING: { severity: 'critical', ownerRole: 'admin', slaMinutes: 1, escalation: [{ level: 1, afterMinutes: 1, ownerRole: 'ops_lead' }, { level: 2, afterMinutes: 3, ownerRole: 'admin' }] } },
  });
  expect(policy.status, JSON.stringify(policy.body)).toBe(200);
  for (const id of [slowShop, quickShop]) {
    const r = await call('POST', '/v1/shops', { id, platform: 'taobao', name: id, credentials: { appKey: `key-${id}`, appSecret: secret }, syncMode: 'push' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  slowPushedAt = Date.now();
  // Parked and answered with the platform's success (TMC relay: {success: true}): delivering it again changes nothing.
  expect((await malformedPush(slowShop)).json()).toEqual({ success: true });
});
afterAll(async () => {
  await stack?.close();
});

describe('the watch of a shop-level exception', () => {
  it('is started once for a malformed push, with the control priority and a summary, and ends when the exception is acknowledged', async () => {
    expect((await malformedPush(quickShop)).json()).toEqual({ success: true });
    const ex = await shopException(quickShop);
    expect(ex).toMatchObject({ kind: 'channel_malformed_push', type: 'SYNC_FAILING', status: 'open', orderId: null, escalationLevel: 0, ownerRole: 'admin' });

    const handle = watch(ex.id);
    const d = await handle.describe();
    expect(d.status.name).toBe('RUNNING');
    expect(d.type).toBe('exceptionWatchWorkflow');
    expect(d.taskQueue).toBe(stack.taskQueue);
    expect(await d.staticSummary()).toBe(`exception SYNC_FAILING ${ex.id} · channel_malformed_push · shop ${quickShop}`);
    expect(d.priority).toMatchObject({ priorityKey: 1, fairnessKey: 'orderly-control' });
    const state = await handle.query(exceptionWatchStateQuery);
    expect(state).toMatchObject({ exceptionId: ex.id, level: 0, next: { level: 1, ownerRole: 'ops_lead', at: ex.dueAt } });

    // The same push again finds the exception open: the watch is the same run, not a second one.
    expect((await malformedPush(quickShop)).json()).toEqual({ success: true });
    expect((await shopException(quickShop)).id).toBe(ex.id);
    expect((await handle.describe()).runId).toBe(d.runId);

    const resolved = await call('POST', `/v1/exceptions/${ex.id}/resolve`, { action: 'acknowledge', resolvedBy: 'li.ops', comment: 'relay fixed' });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body).toEqual({ exceptionId: ex.id, orderId: null, action: 'acknowledge', status: 'resolved' });
    // Ended by the notice, long before its first level was due.
    expect(await handle.result()).toEqual({ exceptionId: ex.id, outcome: 'resolved', level: 0 });
    const closed = await handle.describe();
    expect(closed.status.name).toBe('COMPLETED');
    expect(closed.closeTime!.getTime()).toBeLessThan(Date.parse(ex.dueAt));
    const after = await shopException(quickShop);
    expect(after).toMatchObject({ status: 'resolved', escalationLevel: 0 });
    expect(after.events?.map((e) => e.event)).toEqual(['opened', 'resolved']);
  });

  it('escalates the exception at its level time under the short policy, then ends when it is acknowledged', { timeout: 150_000 }, async () => {
    const ex = await shopException(slowShop);
    expect(Date.parse(ex.dueAt) - Date.parse(ex.openedAt)).toBe(60_000);
    expect(Date.parse(ex.openedAt)).toBeGreaterThanOrEqual(slowPushedAt - 1000);
    const handle = watch(ex.id);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // Not before its time.
    expect((await shopException(slowShop)).escalationLevel).toBe(0);

    const escalated = await eventually(() => shopException(slowShop), (x) => x.escalationLevel === 1, 100_000, 'level 1');
    expect(escalated).toMatchObject({ status: 'open', ownerRole: 'ops_lead' });
    const event = escalated.events?.find((e) => e.event === 'escalated');
    expect(event).toMatchObject({ actor: null, detail: { level: 1, fromLevel: 0, ownerRole: 'ops_lead', previousOwnerRole: 'admin' } });
    expect(Date.parse(event!.at)).toBeGreaterThanOrEqual(Date.parse(ex.dueAt));
    expect(Date.parse(event!.at)).toBeLessThan(Date.parse(ex.dueAt) + 15_000);
    const state = await eventually(() => handle.query(exceptionWatchStateQuery), (s) => s.level === 1, 10_000, 'level 1 in the watch');
    expect(state.next).toMatchObject({ level: 2, ownerRole: 'admin' });

    const resolved = await call('POST', `/v1/exceptions/${ex.id}/resolve`, { action: 'acknowledge', resolvedBy: 'wang' });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(await handle.result()).toEqual({ exceptionId: ex.id, outcome: 'resolved', level: 1 });
    expect((await shopException(slowShop)).events?.map((e) => e.event)).toEqual(['opened', 'escalated', 'resolved']);
    await maybeRecordHistory(stack.client, exceptionWatchWorkflowId(ex.id), 'exception-watch-escalated-acknowledged');
  });
});
