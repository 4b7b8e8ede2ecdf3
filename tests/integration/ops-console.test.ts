import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalOrder, orderWorkflowId } from '../../domain/order.js';
import { orderSummary, stateQuery } from '../../workflows/order.messages.js';
import { CarrierKey, PackageIdsKey, PackageStatusKey, TrackingNoKey, WarehouseKey } from '../../workflows/search-attributes.js';
import { makeOrder } from '../helpers/orders.js';
import { createTestStack, eventually, maybeRecordHistory, type TestStack } from '../helpers/stack.js';

// The Temporal UI as the ops console, on a real Temporal server: the summaries the dispatcher and the
// joinPackage activity set when they start workflows (the time-skipping test server keeps none of a
// signal-with-start), and the list queries ops run on the search attributes.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '1s' }, { carriers: true });
});
afterAll(async () => {
  await stack?.close();
});

/** Workflow ids a visibility query finds (visibility trails the workflows by a moment). */
async function listed(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of stack.client.workflow.list({ query })) ids.push(w.workflowId);
  return ids;
}

describe('the Temporal UI as the ops console', () => {
  it('lists an order and its package with their summaries and search attributes, found by the documented queries', async () => {
    const input = makeOrder({ shopId: 'demo-taobao', paidAt: '2026-11-11T00:00:07Z' });
    const order = canonicalOrder.parse(input);
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    // As the relay delivers a stored push: the dispatcher's signal-with-start.
    await stack.dispatcher.dispatch(id, { eventId: `${id}#created`, type: 'created', order });
    const handle = stack.client.workflow.getHandle(id);
    const released = await eventually(() => handle.query(stateQuery), (s) => s.status === 'released', 20_000, 'released');
    const packageId = released.fulfilment!.packages[0]!.packageId;
    const pkg = stack.client.workflow.getHandle(`package:${packageId}`);

    // Summaries: what the start knew, no buyer data.
    const summary = await (await handle.describe()).staticSummary();
    expect(summary).toBe(orderSummary(order));
    expect(summary).toBe(`taobao order ${order.platformOrderId} · shop demo-taobao · ${order.lines.length} line(s) · ¥285.00 · 浙江省`);
    const packageSummary = await (await pkg.describe()).staticSummary();
    expect(packageSummary).toBe(`package ${packageId} · WH-SH express · shop demo-taobao · opened by taobao order ${order.platformOrderId} (${order.lines.length} line(s))`);
    for (const text of [summary!, packageSummary!]) for (const v of [order.receiver.name, order.receiver.phone, order.receiver.detail]) expect(text).not.toContain(v);

    const shipped = await stack.app.inject({ method: 'POST', url: `/v1/packages/${encodeURIComponent(packageId)}/events`, payload: { type: 'shipped', carrierCode: 'YTO', trackingNo: 'YT7000000000077' } });
    expect(shipped.statusCode).toBe(202);
    expect(await handle.result()).toEqual({ orderId: id, status: 'shipped' });
    expect(await pkg.result()).toEqual({ packageId, status: 'shipped' });

    const p = (await pkg.describe()).typedSearchAttributes;
    expect([p.get(PackageStatusKey), p.get(WarehouseKey), p.get(CarrierKey), p.get(TrackingNoKey)]).toEqual(['shipped', 'WH-SH', 'YTO', 'YT7000000000077']);
    expect((await handle.describe()).typedSearchAttributes.get(PackageIdsKey)).toEqual([packageId]);

    // The README's list queries find them.
    await eventually(() => listed(`PackageIds = "${packageId}"`), (ids) => ids.includes(id), 10_000, 'the order by its package');
    await eventually(() => listed(`PackageStatus = "shipped" AND TrackingNo = "YT7000000000077"`), (ids) => ids.join() === `package:${packageId}`, 10_000, 'the package by its tracking number');
    await eventually(() => listed(`OrderStatus = "shipped" AND ShopId = "demo-taobao" AND Warehouse = "WH-SH"`), (ids) => ids.includes(id), 10_000, 'the order by status, shop and warehouse');

    // Each signal row names its event.
    const history = await handle.fetchHistory();
    const signals = (history.events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes?.signalName ? [e.workflowExecutionSignaledEventAttributes.signalName] : []));
    expect(signals[0]).toBe('order.created');
    expect(signals).not.toContain('orderEvent');
    // Runs of this shape (per-type signals, PackageIds, package attributes) for the replay test.
    await maybeRecordHistory(stack.client, id, 'order-ops-console-shipped');
    await maybeRecordHistory(stack.client, pkg.workflowId, 'package-ops-console-shipped');
  });

  it('summarises an order its payment started, from what the payment knows', async () => {
    const order = canonicalOrder.parse(makeOrder({ shopId: 'demo-taobao' }));
    const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
    await stack.dispatcher.dispatch(id, { eventId: `${id}#paid`, type: 'paid', paidFen: 12300 });
    const handle = stack.client.workflow.getHandle(id);
    expect(await (await handle.describe()).staticSummary()).toBe(`taobao order ${order.platformOrderId} · shop demo-taobao · paid (¥123.00) came before the order`);
    // A cancellation ends it (no order ever arrived).
    await stack.dispatcher.dispatch(id, { eventId: `${id}#cancelled`, type: 'cancelled', reason: 'test' });
    expect(await handle.result()).toEqual({ orderId: id, status: 'cancelled' });
  });
});
