// The Temporal UI as the ops console, on the time-skipping test server: each order and package workflow
// explains itself (current details, search attributes), every signal row names its event, and the main timers
// say what they wait for. What ops read there must never carry buyer data. The summaries are set by the
// signal-with-start of the dispatcher and of joinPackage, and this test server keeps no metadata of a
// signal-with-start: here the summary each start sends is checked, and tests/integration/ops-console.test.ts
// reads them back from a real Temporal server.
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSummary } from '../../ingest/dispatcher.js';
import { formatInstant } from '../../workflows/order.details.js';
import { orderSummary, stockAvailableSignal, type OrderState } from '../../workflows/order.messages.js';
import {
  packageJoinSignal,
  packageStartAttributes,
  packageStateQuery,
  packageSummary,
  packageWorkflowId,
  packageWorkflowType,
  warehouseEventSignal,
  type PackageJoin,
  type PackageWorkflow,
} from '../../workflows/package.messages.js';
import { CarrierKey, ExceptionTypeKey, PackageIdsKey, PackageStatusKey, ShopIdKey, TrackingNoKey, WarehouseKey } from '../../workflows/search-attributes.js';
import { decodeHistoryPayloads } from '../helpers/payloads.js';
import { MINUTE, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import {
  canonical,
  CARRIER,
  carrierDecision,
  dispatcher,
  orderHandle,
  orderState,
  paidNow,
  planned,
  readModelMocks,
  short,
  WAREHOUSE,
  writeBackMock,
  type ActivityInput,
  type ActivityOutput,
} from './mocks.js';

const PAYMENT_TIMEOUT = 30 * MINUTE;

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

/** What the Temporal UI shows as the workflow's current details (the SDK's metadata query). */
async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return meta.currentDetails ?? '';
}

/** Waits until the current details contain every one of `parts`. */
function detailsWith(handle: WorkflowHandle, ...parts: string[]): Promise<string> {
  return waitFor(() => currentDetails(handle), (d) => parts.every((p) => d.includes(p)), `current details with ${parts.join(' | ')}`);
}

/** The history as the UI reads it through the codec: signal names, and the summaries of timers and activities. */
async function historyView(handle: WorkflowHandle): Promise<{ signals: string[]; timers: string[]; localActivities: string[] }> {
  const history = await handle.fetchHistory();
  await decodeHistoryPayloads(history, env.client.options.loadedDataConverter.payloadCodecs);
  const text = (p: { data?: Uint8Array | null } | null | undefined) => (p?.data ? (JSON.parse(Buffer.from(p.data).toString('utf8')) as string) : '');
  const events = history.events ?? [];
  return {
    signals: events.flatMap((e) => (e.workflowExecutionSignaledEventAttributes?.signalName ? [e.workflowExecutionSignaledEventAttributes.signalName] : [])),
    timers: events.filter((e) => e.timerStartedEventAttributes).map((e) => text(e.userMetadata?.summary)),
    localActivities: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').map((e) => text(e.userMetadata?.summary)),
  };
}

/** No buyer data in what ops read: the masked receiver's name, phone and street never appear. */
function expectNoBuyerData(text: string, receiver: { name: string; phone: string; detail: string }): void {
  for (const v of [receiver.name, receiver.phone, receiver.detail]) expect(text).not.toContain(v);
}

describe('an order in the Temporal UI', () => {
  it('is summarised from its creation, says until when it waits for payment, and names each signal', async () => {
    const rm = readModelMocks();
    const planFulfilment = vi.fn(async (_i: ActivityInput<'planFulfilment'>): Promise<ActivityOutput<'planFulfilment'>> => ({ status: 'unmanaged', reason: 'no warehouse configured', decisions: [] }));
    await withWorker(env, { ...rm.activities, planFulfilment }, async (taskQueue) => {
      const { order, orderId } = canonical();
      const deliver = dispatcher(env, taskQueue, PAYMENT_TIMEOUT);
      await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      const waiting = await waitFor(() => orderState(env, orderId), (s) => s.status === 'awaiting_payment', 'awaiting_payment');
      const handle = orderHandle(env, orderId);

      const summary = startSummary(orderId, { eventId: `${orderId}#created`, type: 'created', order })!;
      expect(summary).toBe(orderSummary(order));
      expect(summary).toContain(`${order.platform} order ${order.platformOrderId}`);
      expect(summary).toContain(`shop ${order.shopId}`);
      expect(summary).toContain(`${order.lines.length} line(s)`);
      expect(summary).toMatch(/¥\d+\.\d\d/);
      expectNoBuyerData(summary, order.receiver);

      const since = waiting.timeline.find((e) => e.type === 'status:awaiting_payment')!.at;
      const details = await detailsWith(handle, '**awaiting_payment**');
      expect(details).toContain(`**awaiting_payment** since ${formatInstant(since)}`);
      expect(details).toContain(`waiting for payment until ${formatInstant(waiting.paymentDeadline)}; closed unpaid then`);
      expect(Date.parse(waiting.paymentDeadline!) - Date.parse(since)).toBe(PAYMENT_TIMEOUT);
      expect(details).toContain(orderSummary(order));
      expectNoBuyerData(details, order.receiver);

      await deliver.dispatch(orderId, { eventId: `${orderId}#paid`, type: 'paid' });
      await expect(handle.result()).resolves.toEqual({ orderId, status: 'released' });
      expect(await currentDetails(handle)).toMatch(/^\*\*released\*\* since /);

      const h = await historyView(handle);
      expect(h.signals).toEqual(['order.created', 'order.paid']);
      expect(h.timers).toContain(`payment deadline ${waiting.paymentDeadline}`);
      expect(h.localActivities).toEqual(expect.arrayContaining(['validate: complete data, known SKUs', 'review by the published rules', 'plan: warehouses, split, carrier']));
    });
  });

  it('started by a payment that came before the order: summarised from what the payment knows, then the order', async () => {
    const rm = readModelMocks();
    const planFulfilment = vi.fn(async (_i: ActivityInput<'planFulfilment'>): Promise<ActivityOutput<'planFulfilment'>> => ({ status: 'unmanaged', reason: 'no warehouse configured', decisions: [] }));
    await withWorker(env, { ...rm.activities, planFulfilment }, async (taskQueue) => {
      const { order, orderId } = canonical();
      const deliver = dispatcher(env, taskQueue, PAYMENT_TIMEOUT);
      const startedAt = await env.currentTimeMs();
      await deliver.dispatch(orderId, { eventId: `${orderId}#paid`, type: 'paid', paidFen: order.amounts.paidFen });
      const handle = orderHandle(env, orderId);

      const summary = startSummary(orderId, { eventId: `${orderId}#paid`, type: 'paid', paidFen: order.amounts.paidFen });
      expect(summary).toBe(`${order.platform} order ${order.platformOrderId} · shop ${order.shopId} · paid (¥${(order.amounts.paidFen / 100).toFixed(2)}) came before the order`);
      const details = await detailsWith(handle, 'waiting for the order itself');
      expect(details).toMatch(/^\*\*received\*\*\n\norder not received yet\n\n- waiting for the order itself until /);
      expect(details).toContain(`until ${formatInstant(new Date(startedAt + PAYMENT_TIMEOUT).toISOString())}`);
      expect(details).toContain('(paid came first)');

      // The order arrives: the details carry its own line from then on (the summary is fixed at start).
      await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await detailsWith(handle, orderSummary(order));
      expect((await historyView(handle)).signals).toEqual(['order.paid', 'order.created']);
    });
  });

  it('on hold says which fields are missing and which exception waits, with its level and due time', async () => {
    const rm = readModelMocks();
    const validateOrder = vi.fn(async (_i: ActivityInput<'validateOrder'>): Promise<ActivityOutput<'validateOrder'>> => [
      { code: 'receiver_phone_missing', field: 'receiver.phone', message: 'receiver phone is missing', severity: 'blocking' },
      { code: 'paid_amount_mismatch', field: 'amounts.paidFen', message: 'a warning only', severity: 'warning' },
    ]);
    await withWorker(env, { ...rm.activities, validateOrder }, async (taskQueue) => {
      const { order, orderId } = await paidNow(env);
      await dispatcher(env, taskQueue, PAYMENT_TIMEOUT).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      const held = await waitFor(() => orderState(env, orderId), (s) => s.status === 'on_hold' && (s.exceptions?.length ?? 0) > 0, 'on hold with its exception');
      const ex = held.exceptions![0]!;
      const handle = orderHandle(env, orderId);
      const details = await detailsWith(handle, '**on_hold**', `exception ${ex.type}`);
      expect(details).toContain('on hold, incomplete: `receiver.phone` (receiver_phone_missing); waiting for');
      expect(details).not.toContain('amounts.paidFen');
      expect(details).toContain(`exception INCOMPLETE_INFO \`${ex.id}\` · level 0 · due ${formatInstant(ex.dueAt)} · level 1 (ops_lead) at ${formatInstant(ex.levels[0]!.at)}`);
      expectNoBuyerData(details, order.receiver);
      expect((await handle.describe()).typedSearchAttributes.get(ExceptionTypeKey)).toBe('INCOMPLETE_INFO');
    });
  });

  it('short says which SKUs, how many, and when it plans again; a wake-up shows the next re-plan time', async () => {
    const rm = readModelMocks();
    const REPLAN = 15 * MINUTE;
    const planFulfilment = vi.fn(async ({ order, attempt }: ActivityInput<'planFulfilment'>) => short(order, REPLAN, attempt));
    await withWorker(env, { ...rm.activities, planFulfilment }, async (taskQueue) => {
      const { order, orderId } = await paidNow(env);
      const line = order.lines[0]!;
      await dispatcher(env, taskQueue, PAYMENT_TIMEOUT).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      const state = await waitFor(() => orderState(env, orderId), (s) => s.status === 'short', 'short');
      const handle = orderHandle(env, orderId);
      const shortSince = Date.parse(state.timeline.find((e) => e.type === 'status:short')!.at);
      const details = await detailsWith(handle, '**short**', 're-planned as soon as stock arrives');
      expect(details).toContain(`short of \`${line.skuCode}\` × ${line.quantity} (line ${line.lineId ?? '1'}, 0 left in all warehouses)`);
      expect(details).toContain(`waiting in the stock queue of \`${line.skuCode}\`: re-planned as soon as stock arrives, else at ${formatInstant(new Date(shortSince + REPLAN).toISOString())}`);
      expect(details).toMatch(/exception OUT_OF_STOCK `ex-\d+` · level 0/);

      // Woken by stock that was not enough: planned again at once, and the next fallback moves with it.
      await env.sleep(5 * MINUTE);
      const wokenAt = await env.currentTimeMs();
      await handle.signal(stockAvailableSignal, { skuCode: line.skuCode, warehouseCode: WAREHOUSE, reason: 'adjustment' });
      await waitFor(() => Promise.resolve(planFulfilment.mock.calls.length), (n) => n >= 2, 'a second plan');
      const later = await detailsWith(handle, 'else at');
      const at = /else at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/.exec(later)![1]!;
      expect(Date.parse(`${at.replace(' ', 'T')}Z`) - wokenAt).toBeGreaterThanOrEqual(REPLAN - 1000);
      expect((await historyView(handle)).timers).toContain(`re-plan unless stock arrives first (short of ${line.skuCode})`);
    });
  });
});

describe('a package in the Temporal UI', () => {
  it('carries its summary and status, carrier and tracking number as search attributes; its order lists it in PackageIds and its details', async () => {
    const rm = readModelMocks();
    const writeBackShipment = writeBackMock();
    const HOLD = 20 * MINUTE;
    let opened: { packageId: string; windowEnd: string } | undefined;
    // joinPackage as the activity starts the package: signal-with-start with the opening order's summary and attributes.
    const joinPackage = vi.fn(async ({ orderId, order, parcel }: ActivityInput<'joinPackage'>): Promise<ActivityOutput<'joinPackage'>> => {
      opened ??= { packageId: `pkg-ui-${Date.now()}`, windowEnd: new Date((await env.currentTimeMs()) + HOLD).toISOString() };
      const opening = {
        packageId: opened.packageId,
        platform: order.platform,
        shopId: order.shopId,
        platformOrderId: order.platformOrderId,
        warehouseCode: parcel.warehouseCode,
        logisticsClass: parcel.logisticsClass,
        lines: parcel.lines.length,
      };
      await env.client.workflow.signalWithStart<PackageWorkflow, [PackageJoin]>(packageWorkflowType, {
        workflowId: packageWorkflowId(opened.packageId),
        taskQueue: Context.current().info.taskQueue,
        args: [{ packageId: opened.packageId, windowEnd: opened.windowEnd }],
        signal: packageJoinSignal,
        signalArgs: [{ orderId, packageKey: parcel.key }],
        staticSummary: packageSummary(opening),
        typedSearchAttributes: packageStartAttributes(opening),
      });
      return { packageId: opened.packageId, packageKey: parcel.key, windowEnd: opened.windowEnd, merged: 0, decision: { step: `merge:${parcel.key}`, kind: 'merge', ruleId: 'test-merge', ruleVersion: 1, outcome: `opened package ${opened.packageId}` } };
    });
    let members: { orderId: string; packageKey: string }[] = [];
    const activities = {
      ...rm.activities,
      writeBackShipment,
      joinPackage,
      planFulfilment: vi.fn(async ({ orderId, order, attempt }: ActivityInput<'planFulfilment'>) => planned(orderId, order, attempt)),
      reserveStock: vi.fn(async () => ({ ok: true as const, reserved: 1, alreadyReserved: 0 })),
      sealPackage: vi.fn(async (): Promise<ActivityOutput<'sealPackage'>> => ({ status: 'sealed', members: members.map((m) => ({ ...m, status: 'joined' as const })) })),
      releasePackage: vi.fn(async ({ packageId }: ActivityInput<'releasePackage'>): Promise<ActivityOutput<'releasePackage'>> => ({ carrierCode: CARRIER, decision: carrierDecision(packageId), released: true })),
      recordWarehouseEvent: vi.fn(async (): Promise<ActivityOutput<'recordWarehouseEvent'>> => ({ applied: true })),
    };
    await withWorker(env, activities, async (taskQueue) => {
      const { order, orderId } = await paidNow(env);
      members = [{ orderId, packageKey: `${orderId}:${WAREHOUSE}:express` }];
      await dispatcher(env, taskQueue, PAYMENT_TIMEOUT).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      const allocated: OrderState = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      const { packageId, windowEnd } = opened!;
      const orderWf = orderHandle(env, orderId);
      const pkg = env.client.workflow.getHandle<PackageWorkflow>(packageWorkflowId(packageId));
      expect(allocated.fulfilment?.packages.map((p) => p.packageId)).toEqual([packageId]);

      // The order: its package ids to search by, and the package with its hold window in the details.
      expect((await orderWf.describe()).typedSearchAttributes.get(PackageIdsKey)).toEqual([packageId]);
      await detailsWith(orderWf, '**allocated**', `\`package:${packageId}\` · ${WAREHOUSE} · joined · hold window until ${formatInstant(windowEnd)}`);

      // The package: summary from the order that opened it, attributes from the start, details while it holds.
      const d = await pkg.describe();
      const summary = packageSummary({ packageId, platform: order.platform, shopId: order.shopId, platformOrderId: order.platformOrderId, warehouseCode: WAREHOUSE, logisticsClass: 'express', lines: order.lines.length });
      expect(summary).toBe(`package ${packageId} · ${WAREHOUSE} express · shop ${order.shopId} · opened by ${order.platform} order ${order.platformOrderId} (${order.lines.length} line(s))`);
      expectNoBuyerData(summary, order.receiver);
      expect(d.typedSearchAttributes.get(PackageStatusKey)).toBe('open');
      expect(d.typedSearchAttributes.get(WarehouseKey)).toBe(WAREHOUSE);
      expect(d.typedSearchAttributes.get(ShopIdKey)).toBe(order.shopId);
      const holding = await detailsWith(pkg, '**open**', `until ${formatInstant(windowEnd)}`);
      expect(holding).toContain(`- orders (1): \`${orderId}\``);

      // Window closed: sealed and released with its carrier; the attributes follow.
      await env.sleep(HOLD + MINUTE);
      await waitFor(() => pkg.query(packageStateQuery), (s) => s.status === 'released', 'the package released');
      await waitFor(async () => (await pkg.describe()).typedSearchAttributes, (a) => a.get(PackageStatusKey) === 'released' && a.get(CarrierKey) === CARRIER, 'PackageStatus released with its carrier');
      await detailsWith(orderWf, '**released**', `\`package:${packageId}\` · ${WAREHOUSE} · released · ${CARRIER}`);

      // Shipped: the tracking number is searchable on the package and shown on the order.
      const trackingNo = 'YT7001234567890';
      await pkg.signal(warehouseEventSignal, { eventId: `${packageId}#shipped`, type: 'shipped', carrierCode: CARRIER, trackingNo });
      await expect(pkg.result()).resolves.toEqual({ packageId, status: 'shipped' });
      await expect(orderWf.result()).resolves.toEqual({ orderId, status: 'shipped' });
      const shipped = (await pkg.describe()).typedSearchAttributes;
      expect(shipped.get(PackageStatusKey)).toBe('shipped');
      expect(shipped.get(CarrierKey)).toBe(CARRIER);
      expect(shipped.get(TrackingNoKey)).toBe(trackingNo);
      expect(await currentDetails(pkg)).toMatch(new RegExp(`^\\*\\*shipped\\*\\* · ${CARRIER} ${trackingNo}\\n`));
      const orderDetails = await currentDetails(orderWf);
      expect(orderDetails).toMatch(/^\*\*shipped\*\* since /);
      expect(orderDetails).toContain(`\`package:${packageId}\` · ${WAREHOUSE} · shipped · ${CARRIER} \`${trackingNo}\``);
      expect((await orderWf.describe()).typedSearchAttributes.get(PackageIdsKey)).toEqual([packageId]);
      expect((await historyView(pkg)).timers).toEqual([`hold window: more orders of the buyer may join until ${formatInstant(windowEnd)}`]);
    });
  });
});
