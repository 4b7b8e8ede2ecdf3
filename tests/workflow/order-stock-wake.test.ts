// A short order woken by the `stockAvailable` signal, on the time-skipping test server: it re-plans at once
// instead of waiting out its re-plan interval, which stays as the fallback.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExceptionTypeKey } from '../../workflows/search-attributes.js';
import { orderEventSignal, orderWorkflowType, stockAvailableSignal, type OrderEvent, type OrderWorkflow } from '../../workflows/order.messages.js';
import { MINUTE, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import {
  dispatcher,
  orderHandle,
  orderState,
  readModelMocks,
  short,
  statusesOn,
  timeOf,
  WAREHOUSE,
  paidNow,
  shortThenPlannedMocks,
} from './mocks.js';

const REPLAN_AFTER = 15 * MINUTE;

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

const fulfilmentMocks = (shortPlans: number) => shortThenPlannedMocks(env, shortPlans, REPLAN_AFTER);
const paidOrder = () => paidNow(env);

const arrived = { skuCode: 'TEA-LJ-250', warehouseCode: WAREHOUSE, reason: 'adjustment' };

describe('a short order told that stock arrived', () => {
  it('re-plans at once, well before its re-plan interval, and is allocated', async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks(1);
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { order, orderId, paidAt } = await paidOrder();
      await dispatcher(env, taskQueue, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'short', 'short');
      // The plan is told when the order was paid: its place in the queue of the SKU it is short of.
      expect(f.planFulfilment.mock.calls[0]![0]).toMatchObject({ orderId, attempt: 1, paidAt });

      await env.sleep(2 * MINUTE);
      expect(f.planFulfilment).toHaveBeenCalledTimes(1);
      await orderHandle(env, orderId).signal(stockAvailableSignal, arrived);
      const allocated = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      expect(f.planFulfilment.mock.calls.map(([c]) => c.attempt)).toEqual([1, 2]);
      expect(f.reserveStock).toHaveBeenCalledTimes(1);
      expect(allocated.fulfilment).toMatchObject({ outcome: 'released', attempts: 2, stockWakeups: 1 });
      expect(statusesOn(allocated)).toEqual(['paid', 'short', 'allocated']);
      const waited = timeOf(allocated, 'status:allocated') - timeOf(allocated, 'status:short');
      expect(waited).toBeGreaterThanOrEqual(2 * MINUTE);
      expect(waited).toBeLessThan(3 * MINUTE);
    });
  });

  it('stays short when the stock was not enough, and keeps both the wake-up and the fallback re-plan', async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks(3);
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { order, orderId } = await paidOrder();
      await dispatcher(env, taskQueue, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'short', 'short');
      const handle = orderHandle(env, orderId);

      await env.sleep(MINUTE);
      await handle.signal(stockAvailableSignal, arrived);
      await waitFor(() => orderState(env, orderId), (s) => s.fulfilment?.attempts === 2, 'the plan after the wake-up');
      expect((await orderState(env, orderId)).status).toBe('short');

      // Not woken again: the fallback re-plans one interval after the last plan.
      await env.sleep(REPLAN_AFTER - 2 * MINUTE);
      expect(f.planFulfilment).toHaveBeenCalledTimes(2);
      await env.sleep(3 * MINUTE);
      await waitFor(() => orderState(env, orderId), (s) => s.fulfilment?.attempts === 3, 'the fallback plan');
      expect((await orderState(env, orderId)).status).toBe('short');

      await handle.signal(stockAvailableSignal, arrived);
      const allocated = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      expect(allocated.fulfilment).toMatchObject({ attempts: 4, stockWakeups: 2 });
      expect(statusesOn(allocated)).toEqual(['paid', 'short', 'allocated']);
      expect(timeOf(allocated, 'status:allocated') - timeOf(allocated, 'status:short')).toBeLessThan(REPLAN_AFTER + 3 * MINUTE);
    });
  });
});

describe('a short order waiting long', () => {
  it('continues as new after its plans per run, carrying the order, its events and its fulfilment so far', async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks(3);
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { order, orderId } = await paidOrder();
      const created: OrderEvent = { eventId: `${orderId}#created`, type: 'created', order };
      // Two plans per run (production: 200, or when Temporal suggests it sooner).
      const first = await env.client.workflow.signalWithStart<OrderWorkflow, [OrderEvent]>(orderWorkflowType, {
        workflowId: orderId,
        taskQueue,
        args: [{ orderId, paymentTimeoutMs: 60 * MINUTE, plansPerRun: 2 }],
        signal: orderEventSignal,
        signalArgs: [created],
      });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'short', 'short');
      const handle = orderHandle(env, orderId);
      await env.sleep(MINUTE);
      // The second plan is still short: the run has made its two plans and hands over to a new one.
      await handle.signal(stockAvailableSignal, arrived);
      // Queries go to the latest run once it exists.
      const current = await waitFor(() => handle.describe(), (d) => d.runId !== first.signaledRunId, 'the continued run');
      const resumed = await waitFor(() => orderState(env, orderId), (s) => s.fulfilment?.attempts === 3, 'the first plan of the continued run');
      const firstRun = await env.client.workflow.getHandle(orderId, first.signaledRunId).describe();
      expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
      expect(current.status.name).toBe('RUNNING');
      expect(current.typedSearchAttributes.get(ExceptionTypeKey)).toBe('OUT_OF_STOCK');
      expect(resumed.status).toBe('short');
      expect(resumed.fulfilment).toMatchObject({ outcome: 'short', attempts: 3, stockWakeups: 1, shortages: short(order, REPLAN_AFTER).shortages });
      expect(resumed.fulfilment?.decisions.map((d) => d.step)).toEqual(['plan:1:allocation', 'plan:2:allocation', 'plan:3:allocation']);
      expect(resumed.appliedEventIds).toEqual([created.eventId]);
      expect(resumed.timeline.map((e) => e.type)).toContain('continued_as_new');
      expect(statusesOn(resumed)).toEqual(['paid', 'short']);

      // The carried event ids still drop a redelivery; the continued run is woken like the first.
      await dispatcher(env, taskQueue, 60 * MINUTE).dispatch(orderId, created);
      await handle.signal(stockAvailableSignal, arrived);
      const allocated = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      expect(allocated.ignoredEvents).toBe(1);
      expect(allocated.fulfilment).toMatchObject({ outcome: 'released', attempts: 4, stockWakeups: 2 });
      expect(f.planFulfilment.mock.calls.map(([c]) => c.attempt)).toEqual([1, 2, 3, 4]);
      expect(statusesOn(allocated)).toEqual(['paid', 'short', 'allocated']);
      // The read model heard one status per step across both runs, with versions that kept counting up.
      expect(rm.statuses).toEqual(['paid', 'short', 'allocated']);
      const versions = rm.activities.syncReadModel.mock.calls.map(([c]) => c.version);
      expect(versions).toEqual([1, 2, 3]);
      const lastSync = rm.activities.syncReadModel.mock.calls.at(-1)![0];
      // The OUT_OF_STOCK exception opened by the first run, carried, and closed by the run that found the stock.
      expect(lastSync.timeline.map((e) => e.type)).toEqual(['exception_opened', 'continued_as_new', 'exception_resolved', 'status:allocated']);
      expect((await handle.describe()).typedSearchAttributes.get(ExceptionTypeKey)).toBeUndefined();
    });
  });
});
