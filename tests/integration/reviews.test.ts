// Automatic review end to end on a real Temporal server and PostgreSQL: the published default rules approve
// plain orders at once, send a remark to a person, put VIP buyers first in the queue; reviewers decide through
// POST /v1/reviews/:orderId (the order workflow's `reviewDecision` update), once; a running order keeps the
// rule set version it started with while a new one is published.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateQuery } from '../../workflows/order.messages.js';
import { get, orderStatusOf, post, seedBasics, seedCarrier, submitOrder, teaOrder } from '../helpers/fulfilment.js';
import { fulfilmentQuery } from '../../workflows/order.messages.js';
import { createTestStack, eventually, maybeRecordHistory, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await seedBasics(stack, { hz: { 'FZ-TEA': 100 } });
});
afterAll(async () => {
  await stack?.close();
});

const put = async (url: string, payload: unknown) => {
  const res = await stack.app.inject({ method: 'PUT', url, payload: payload as object });
  return { status: res.statusCode, body: res.json() };
};
const remarkOrder = (buyer: string, door: string, remark: string) => ({ ...teaOrder(buyer, door), buyerRemark: remark });
const status = (id: string) => orderStatusOf(stack, id);
const state = (id: string) => stack.client.workflow.getHandle(id).query(stateQuery);
const decide = (id: string, body: unknown) => post(stack, `/v1/reviews/${encodeURIComponent(id)}`, body);
const pending = async () => (await get(stack, '/v1/reviews')).body.items as Array<{ orderId: string; priority: number; reasons: string[]; fired: Array<{ ruleId: string }> }>;

describe('automatic review', () => {
  it('approves a plain order at once and logs the verdict with the rules that fired', async () => {
    const id = await submitOrder(stack, teaOrder('buyer-r0', '文三路 1 号'));
    await eventually(() => status(id), (s) => s === 'released' || s === 'allocated', 20_000, 'approved and allocated');
    const s = await state(id);
    expect(s.review).toMatchObject({ reviewNo: 1, ruleSetVersion: 1, verdict: { kind: 'approve' }, priority: 0 });
    expect(s.review?.fired.map((h) => h.ruleId)).toEqual(['split.express-limit', 'carrier.premium', 'allocation.reservation-attempts']);
    const log = (await get(stack, `/v1/orders/${encodeURIComponent(id)}/decisions`)).body.items as Array<{ kind: string; ruleVersion: number; outcome: string }>;
    expect(log.find((d) => d.kind === 'review')).toMatchObject({ ruleVersion: 1, outcome: 'approved' });
    expect(log.find((d) => d.kind === 'priority')).toMatchObject({ outcome: 'priority 0' });
    // A routine remark needs no person.
    const routine = await submitOrder(stack, remarkOrder('buyer-r0b', '文三路 2 号', '请尽快发货，谢谢🙏'));
    await eventually(() => status(routine), (x) => x === 'released' || x === 'allocated', 20_000, 'routine remark approved');
  });

  it('sends a remark to a person, VIP buyers first; a reviewer approves once, a second decision is refused', async () => {
    expect((await put('/v1/customers/taobao/buyer-vip', { vipLevel: 3, tags: ['老客户'] })).status).toBe(200);
    const plain = await submitOrder(stack, remarkOrder('buyer-r1', '文三路 3 号', '发顺丰'));
    await eventually(() => status(plain), (s) => s === 'pending_review', 20_000, 'plain pending');
    const vip = await submitOrder(stack, remarkOrder('buyer-vip', '文三路 4 号', '周末不收货'));
    await eventually(() => status(vip), (s) => s === 'pending_review', 20_000, 'vip pending');

    const queue = await pending();
    const mine = queue.filter((r) => r.orderId === plain || r.orderId === vip);
    expect(mine.map((r) => r.orderId)).toEqual([vip, plain]);
    expect(mine[0]).toMatchObject({ priority: 10, reasons: ['the buyer left a remark'] });
    expect(mine[0]!.fired.map((h) => h.ruleId)).toEqual(expect.arrayContaining(['review.buyer-remark', 'priority.vip']));
    expect((await get(stack, `/v1/reviews/${encodeURIComponent(vip)}`)).body).toMatchObject({ status: 'pending', kind: 'manual_review', ruleSetVersion: 1 });

    // Bad decisions: an unknown field, edits without edit_and_approve, an order that never waited.
    expect((await decide(vip, { decision: 'approve', reviewer: 'li', urgent: true })).status).toBe(400);
    expect((await decide(vip, { decision: 'approve', reviewer: 'li', edits: { sellerMemo: 'x' } })).status).toBe(400);
    expect((await decide('order:taobao:shop-test:0', { decision: 'approve', reviewer: 'li' })).status).toBe(404);

    const ok = await decide(vip, { decision: 'approve', reviewer: 'li.ops', comment: '周末不送，已备注快递' });
    expect(ok).toMatchObject({ status: 200, body: { orderId: vip, reviewNo: 1, decision: 'approve', status: 'approved' } });
    const again = await decide(vip, { decision: 'reject', reviewer: 'wang.ops' });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/not waiting for a review/);
    await eventually(() => status(vip), (s) => s === 'released' || s === 'allocated', 20_000, 'vip allocated after approval');
    await eventually(async () => (await get(stack, `/v1/reviews/${encodeURIComponent(vip)}`)).body, (r) => r.status === 'approved', 10_000, 'decision recorded');
    expect((await get(stack, `/v1/reviews/${encodeURIComponent(vip)}`)).body).toMatchObject({ decision: 'approve', reviewer: 'li.ops', comment: '周末不送，已备注快递' });

    // Rejected: on hold with an exception for a person to cancel it on the platform.
    expect((await decide(plain, { decision: 'reject', reviewer: 'li.ops', comment: '买家要求顺丰，本店不支持' })).status).toBe(200);
    await eventually(() => status(plain), (s) => s === 'on_hold', 20_000, 'rejected order on hold');
    const exceptions = await stack.db.selectFrom('exceptions').select(['kind', 'status']).where('order_id', '=', plain).execute();
    expect(exceptions).toEqual([{ kind: 'review_rejected', status: 'open' }]);
    expect((await decide(plain, { decision: 'approve', reviewer: 'li.ops' })).status).toBe(409);
    await maybeRecordHistory(stack.client, vip, 'order-manual-review-approved');
  });

  it('keeps a running order on the rule set version it started with while a new one is published', async () => {
    const running = await submitOrder(stack, remarkOrder('buyer-r2', '文三路 5 号', '送人的，不要放价格单'));
    await eventually(() => status(running), (s) => s === 'pending_review', 20_000, 'pending under version 1');

    const current = (await get(stack, '/v1/rules')).body as { version: number; document: { rules: Array<{ id: string; enabled: boolean }> } };
    const draft = { ...current.document, rules: current.document.rules.map((r) => (r.id === 'review.buyer-remark' ? { ...r, enabled: false } : r)) };
    const saved = await put('/v1/rules/draft', draft);
    expect(saved.status).toBe(201);
    const v2 = saved.body.version as number;
    expect((await post(stack, '/v1/rules/publish', { version: v2, comment: 'remarks no longer need a person' })).status).toBe(200);

    // A platform change sends the running order back through review, still under the version it started with.
    await stack.dispatcher.dispatch(running, { eventId: `${running}#memo`, type: 'memo_changed', buyerRemark: '送人的，不要放价格单，谢谢' });
    await eventually(async () => (await state(running)).review?.reviewNo, (n) => n === 2, 20_000, 'second review');
    const s = await state(running);
    expect(s.review).toMatchObject({ ruleSetVersion: 1, verdict: { kind: 'manual_review' } });
    expect(s.status).toBe('pending_review');
    expect((await get(stack, `/v1/reviews/${encodeURIComponent(running)}`)).body).toMatchObject({ reviewNo: 2, ruleSetVersion: 1, status: 'pending' });

    // A new order takes the published version: its remark needs no person any more.
    const fresh = await submitOrder(stack, remarkOrder('buyer-r3', '文三路 6 号', '送人的，不要放价格单'));
    await eventually(() => status(fresh), (x) => x === 'released' || x === 'allocated', 20_000, 'approved under the new version');
    expect((await state(fresh)).review?.ruleSetVersion).toBe(v2);
    // The old version is still readable as it was.
    const old = (await get(stack, '/v1/rules/versions/1')).body as { document: { rules: Array<{ id: string; enabled: boolean }> } };
    expect(old.document.rules.find((r) => r.id === 'review.buyer-remark')?.enabled).toBe(true);
    expect((await post(stack, '/v1/rules/rollback', { toVersion: 1 })).status).toBe(200);
  });

  it('releases the package with a carrier the order’s carrier rules allow', async () => {
    await seedCarrier(stack, {
      code: 'FZ-ZTO',
      name: 'ZTO Express',
      services: ['express'],
      maxWeightG: 50_000,
      rates: [{ service: 'express', regions: [], firstWeightG: 1000, firstFen: 900, stepG: 1000, stepFen: 200 }],
    });
    const current = (await get(stack, '/v1/rules')).body as { document: { rules: unknown[] } };
    const draft = { ...current.document, rules: [...current.document.rules, { id: 'carrier.no-yto', stage: 'carrier', order: 20, enabled: true, then: [{ type: 'exclude_carrier', carriers: ['FZ-YTO'] }] }] };
    const saved = await put('/v1/rules/draft', draft);
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect((await post(stack, '/v1/rules/publish', { version: saved.body.version })).status).toBe(200);
    try {
      const id = await submitOrder(stack, teaOrder('buyer-r9', '文三路 9 号'));
      await eventually(() => status(id), (x) => x === 'released', 20_000, 'released');
      const f = await stack.client.workflow.getHandle(id).query(fulfilmentQuery);
      // YTO is cheaper, but this order's rules exclude it; the release's decision says so.
      expect(f.packages.map((p) => p.carrierCode)).toEqual(['FZ-ZTO']);
      const log = (await get(stack, `/v1/orders/${encodeURIComponent(id)}/decisions`)).body.items as Array<{ step: string; ruleId: string; excluded: Array<{ id: string; reasons: Array<{ code: string }> }> }>;
      const release = log.find((d) => d.step.endsWith(':carrier') && d.step.startsWith('package:'));
      expect(release).toMatchObject({ ruleId: 'rules.carrier' });
      expect(release!.excluded).toEqual(expect.arrayContaining([{ id: 'FZ-YTO', reasons: [expect.objectContaining({ code: 'excluded-by-rule' })] }]));
    } finally {
      expect((await post(stack, '/v1/rules/rollback', {})).status).toBe(200);
    }
  });
});
