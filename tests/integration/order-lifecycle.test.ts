import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorkflowId } from '../../domain/order.js';
import { orderEventSignal, stateQuery } from '../../workflows/order.messages.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, eventually, maybeRecordHistory, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ ORDER_PAYMENT_TIMEOUT: '2s' });
});
afterAll(async () => {
  await stack?.close();
});

async function getOrder(id: string) {
  const res = await stack.app.inject({ method: 'GET', url: `/v1/orders/${encodeURIComponent(id)}` });
  return { status: res.statusCode, body: res.json() };
}

async function orderStatus(id: string): Promise<string | undefined> {
  const r = await getOrder(id);
  return r.status === 200 ? (r.body.status as string) : undefined;
}

const maybeRecord = (workflowId: string, name: string) => maybeRecordHistory(stack.client, workflowId, name);

describe('order lifecycle through the API on a real Temporal server and PostgreSQL', () => {
  it('takes an order from created to paid to released', async () => {
    const order = makeOrder();
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);

    const created = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order });
    expect(created.statusCode).toBe(202);
    expect(created.json()).toMatchObject({ orderId: id, workflowId: id, status: 'accepted', queued: false });

    await eventually(() => orderStatus(id), (s) => s === 'awaiting_payment', 20_000, 'awaiting_payment');

    const paid = await stack.app.inject({ method: 'POST', url: `/v1/orders/${encodeURIComponent(id)}/events`, payload: { type: 'paid', paidAt: '2026-11-11T00:01:00Z' } });
    expect(paid.statusCode).toBe(202);

    await eventually(() => orderStatus(id), (s) => s === 'released', 20_000, 'released');
    const { body } = await getOrder(id);
    expect(body.paidAt).toBe('2026-11-11T00:01:00.000Z');
    expect(body.releasedAt).not.toBeNull();
    expect(body.paidFen).toBe(28500);
    expect(body.timeline.map((t: { type: string }) => t.type)).toEqual([
      'created',
      'status:awaiting_payment',
      'payment_received',
      'status:paid',
      'reviewed',
      'status:released',
    ]);

    const handle = stack.client.workflow.getHandle(id);
    const result = await handle.result();
    expect(result).toEqual({ orderId: id, status: 'released' });
    const state = await handle.query(stateQuery);
    expect(state.status).toBe('released');
    expect(state.appliedEventIds).toHaveLength(2);

    const desc = await handle.describe();
    expect(desc.searchAttributes.OrderStatus).toEqual(['released']);
    expect(desc.searchAttributes.Channel).toEqual(['taobao']);
    expect(desc.searchAttributes.ShopId).toEqual([order.shopId]);
    expect(desc.searchAttributes.BuyerKey).toEqual([order.buyerKey]);
    // Known when the order arrived, so set at start: the workflow upserts none of them again (every upsert
    // is a visibility write on the Temporal server), only its status as it moves.
    const history = await handle.fetchHistory();
    const upserted = (history.events ?? []).flatMap((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}));
    expect(upserted).toContain('OrderStatus');
    expect(upserted.filter((k) => ['Channel', 'ShopId', 'BuyerKey', 'Priority'].includes(k))).toEqual([]);
    await maybeRecord(id, 'order-released');
  });

  it('closes an unpaid order after the payment timeout', async () => {
    const order = makeOrder();
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    const res = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order });
    expect(res.statusCode).toBe(202);

    await eventually(() => orderStatus(id), (s) => s === 'closed', 20_000, 'closed');
    const { body } = await getOrder(id);
    expect(body.closedAt).not.toBeNull();
    expect(body.paidAt).toBeNull();
    expect(body.timeline.at(-1)).toMatchObject({ type: 'status:closed', detail: { reason: 'unpaid: payment timeout' } });

    expect(await stack.client.workflow.getHandle(id).result()).toEqual({ orderId: id, status: 'closed' });
    // A payment after the workflow has finished is kept in the inbox but does not reopen the order.
    const late = await stack.app.inject({ method: 'POST', url: `/v1/orders/${encodeURIComponent(id)}/events`, payload: { type: 'paid' } });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ status: 'order_closed' });
    const inbox = await stack.db.selectFrom('channel_events').select(['event_type', 'dispatch_outcome']).where('order_id', '=', id).orderBy('id').execute();
    expect(inbox).toEqual([
      { event_type: 'created', dispatch_outcome: 'signalled' },
      { event_type: 'paid', dispatch_outcome: 'order_closed' },
    ]);
    expect(await orderStatus(id)).toBe('closed');
    await maybeRecord(id, 'order-closed-unpaid');
  });

  it('treats the same order posted three times as one workflow and one read-model row', async () => {
    const order = makeOrder({ paidAt: '2026-11-11T00:00:09Z' });
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    const bodies = [];
    for (let i = 0; i < 3; i++) {
      const res = await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order });
      expect(res.statusCode).toBe(202);
      bodies.push(res.json());
    }
    expect(bodies.map((b) => b.status)).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(new Set(bodies.map((b) => b.eventId)).size).toBe(1);

    await eventually(() => orderStatus(id), (s) => s === 'released', 20_000, 'released');
    const rows = await stack.db.selectFrom('orders').select('id').where('platform_order_id', '=', order.platformOrderId).execute();
    expect(rows).toHaveLength(1);
    const inbox = await stack.db.selectFrom('channel_events').select('id').where('order_id', '=', id).execute();
    expect(inbox).toHaveLength(1);

    const handle = stack.client.workflow.getHandle(id);
    const state = await handle.query(stateQuery);
    expect(state.appliedEventIds).toHaveLength(1);
    // Only one run ever existed for this workflow id.
    const history = await handle.fetchHistory();
    const starts = history.events?.filter((e) => e.workflowExecutionStartedEventAttributes) ?? [];
    expect(starts).toHaveLength(1);
    await maybeRecord(id, 'order-paid-at-creation');
  });

  it('ignores an event id the workflow has already applied', async () => {
    const order = makeOrder();
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order });
    await eventually(() => orderStatus(id), (s) => s === 'awaiting_payment', 20_000, 'awaiting_payment');

    const handle = stack.client.workflow.getHandle(id);
    // The same event delivered twice straight to the workflow (as a relay re-dispatch would).
    await handle.signal(orderEventSignal, { eventId: 'x-cancel-1', type: 'cancelled', reason: 'buyer asked' });
    await handle.signal(orderEventSignal, { eventId: 'x-cancel-1', type: 'cancelled', reason: 'buyer asked' });
    const result = await handle.result();
    expect(result.status).toBe('cancelled');
    const state = await handle.query(stateQuery);
    expect(state.ignoredEvents).toBe(1);
    expect(state.timeline.filter((t) => t.type === 'cancel_requested')).toHaveLength(1);
    await eventually(() => orderStatus(id), (s) => s === 'cancelled', 20_000, 'cancelled');
  });

  it('lets a restarted worker finish an order that was mid-way', async () => {
    const order = makeOrder();
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: order });
    await eventually(() => orderStatus(id), (s) => s === 'awaiting_payment', 20_000, 'awaiting_payment');

    // Every worker on this file's task queue goes away...
    expect(await stack.stopWorkers()).toBe(1);
    const paid = await stack.app.inject({ method: 'POST', url: `/v1/orders/${encodeURIComponent(id)}/events`, payload: { type: 'paid' } });
    expect(paid.json()).toMatchObject({ status: 'accepted' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await orderStatus(id)).toBe('awaiting_payment');

    // ...and a new one picks the order up where it was.
    await stack.startWorker();
    await eventually(() => orderStatus(id), (s) => s === 'released', 30_000, 'released after restart');
  });
});
