import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fulfilmentQuery } from '../../workflows/order.messages.js';
import { get, orderStatusOf, post, seedBasics, submitOrder, teaOrder } from '../helpers/fulfilment.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

// The merge policy decides when a new package waits for more orders. The deployment window is an hour, so an
// order released within seconds was not held, and one still allocated after seconds was.

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '1h' });
  await seedBasics(stack, { hz: { 'FZ-TEA': 50 } });
});
afterAll(async () => {
  await stack?.close();
});

const call = async (method: 'GET' | 'PUT', url: string, payload?: unknown) => {
  const r = await stack.app.inject({ method, url, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: r.json() };
};

/** One tea for a buyer to one door in Hangzhou; paid unless `paid: false`. */
const hzOrder = (buyer: string, door: string, paid = true) => teaOrder(buyer, door, paid ? {} : { paidAt: null });
const submit = (order: ReturnType<typeof teaOrder>) => submitOrder(stack, order);

const orderStatus = (id: string) => orderStatusOf(stack, id);
const mergeDecision = async (id: string) => (await get(stack, `/v1/orders/${encodeURIComponent(id)}/decisions`)).body.items.find((d: { kind: string }) => d.kind === 'merge');
const packageOf = async (id: string) => (await stack.client.workflow.getHandle(id).query(fulfilmentQuery)).packages[0]!.packageId;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('merge policy: when a package waits for more orders', () => {
  it('starts from the default (hold only for a buyer with other open orders, the deployment window) and rejects bad bodies with reasons', async () => {
    const { status, body } = await call('GET', '/v1/settings/merge-policy');
    expect(status).toBe(200);
    expect(body).toEqual({ id: 'merge.default', version: 2, hold: 'when_buyer_has_open_orders', holdWindowSeconds: null, effectiveHoldWindowSeconds: 3600, source: 'default', updatedAt: null });

    const bad = [{ hold: 'sometimes' }, { hold: 'always', holdWindowSeconds: -1 }, { hold: 'always', holdWindowSeconds: 1.5 }, { hold: 'always', window: 5 }, {}, { hold: 'never', id: 'has space' }];
    for (const b of bad) {
      const r = await call('PUT', '/v1/settings/merge-policy', b);
      expect(r.status, JSON.stringify(b)).toBe(400);
      expect(r.body.issues.length, JSON.stringify(b)).toBeGreaterThan(0);
    }
    const issues = async (b: unknown) => JSON.stringify((await call('PUT', '/v1/settings/merge-policy', b)).body.issues);
    expect(await issues({ hold: 'sometimes' })).toMatch(/hold/);
    expect(await issues({ hold: 'always', window: 5 })).toMatch(/window/);
    expect(await issues({ hold: 'always', holdWindowSeconds: -1 })).toMatch(/holdWindowSeconds/);
    // Nothing was stored by the refused bodies.
    expect((await call('GET', '/v1/settings/merge-policy')).body).toMatchObject({ source: 'default', version: 2 });
  });

  it('releases a lone buyer’s order at once although the window is an hour, and logs why', async () => {
    const id = await submit(hzOrder('buyer-h1', '文三路 1 号'));
    await eventually(() => orderStatus(id), (s) => s === 'released', 20_000, 'released');
    const m = await mergeDecision(id);
    expect(m).toMatchObject({ ruleId: 'merge.default', ruleVersion: 2 });
    expect(m.outcome).toMatch(/sealed at once/);
    expect(m.steps.find((s: { step: string }) => s.step === 'hold-window').outcome).toMatch(/no other open order/);
  });

  it('holds the package of a buyer with another open order, and merges that order when it is paid', async () => {
    const put = await call('PUT', '/v1/settings/merge-policy', { id: 'merge.buyer-8s', hold: 'when_buyer_has_open_orders', holdWindowSeconds: 8 });
    expect(put).toMatchObject({ status: 200, body: { id: 'merge.buyer-8s', version: 1, source: 'configured', holdWindowSeconds: 8, effectiveHoldWindowSeconds: 8 } });

    const unpaid = await submit(hzOrder('buyer-h2', '莫干山路 1 号', false));
    await eventually(() => orderStatus(unpaid), (s) => s === 'awaiting_payment', 20_000, 'first order awaiting payment');
    const paid = await submit(hzOrder('buyer-h2', '莫干山路1号'));
    await eventually(() => orderStatus(paid), (s) => s === 'allocated', 20_000, 'second order allocated');
    const m = await mergeDecision(paid);
    expect(m).toMatchObject({ ruleId: 'merge.buyer-8s', ruleVersion: 1 });
    expect(m.steps.find((s: { step: string }) => s.step === 'hold-window').outcome).toMatch(/1 other open order/);
    // Still waiting in its window a moment later.
    await sleep(1500);
    expect(await orderStatus(paid)).toBe('allocated');

    expect((await post(stack, `/v1/orders/${encodeURIComponent(unpaid)}/events`, { type: 'paid' })).status).toBe(202);
    await eventually(async () => [await orderStatus(unpaid), await orderStatus(paid)], (s) => s.every((x) => x === 'released'), 30_000, 'both released');
    const packageId = await packageOf(paid);
    expect(await packageOf(unpaid)).toBe(packageId);
    const pkg = (await get(stack, `/v1/packages/${packageId}`)).body;
    expect(pkg.members.map((x: { orderId: string }) => x.orderId).sort()).toEqual([paid, unpaid].sort());
    expect((await mergeDecision(unpaid)).candidates.map((c: { id: string }) => c.id)).toEqual([paid]);
  });

  it('holds even a lone buyer’s package under `always`, and none under `never`', async () => {
    expect((await call('PUT', '/v1/settings/merge-policy', { hold: 'always' })).body).toMatchObject({ id: 'merge.configured', version: 2, hold: 'always', effectiveHoldWindowSeconds: 3600 });
    const held = await submit(hzOrder('buyer-h3', '保俶路 9 号'));
    await eventually(() => orderStatus(held), (s) => s === 'allocated', 20_000, 'allocated');
    await sleep(1500);
    expect(await orderStatus(held)).toBe('allocated');
    const pkg = (await get(stack, `/v1/packages/${await packageOf(held)}`)).body;
    expect(Date.parse(pkg.windowEnd) - Date.now()).toBeGreaterThan(50 * 60_000);
    expect(await mergeDecision(held)).toMatchObject({ ruleId: 'merge.configured', ruleVersion: 2 });

    expect((await call('PUT', '/v1/settings/merge-policy', { hold: 'never', holdWindowSeconds: 600 })).status).toBe(200);
    // Another open order of the buyer does not hold the package under `never`.
    await submit(hzOrder('buyer-h4', '天目山路 5 号', false));
    const now = await submit(hzOrder('buyer-h4', '天目山路 5 号'));
    await eventually(() => orderStatus(now), (s) => s === 'released', 20_000, 'released at once');
    expect(await mergeDecision(now)).toMatchObject({ ruleId: 'merge.configured', ruleVersion: 3 });
  });
});
