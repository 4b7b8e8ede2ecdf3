// Re-planning an order that is short of stock, on the time-skipping test server: the order waits the
// re-plan interval the plan asked for, plans again, and is allocated once the stock is there.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExceptionTypeKey, OrderStatusKey } from '../../workflows/search-attributes.js';
import { MINUTE, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import {
  dispatcher,
  orderHandle,
  orderState,
  planned,
  readModelMocks,
  short,
  statusesOn,
  timeOf,
  paidNow,
  shortThenPlannedMocks,
} from './mocks.js';

const REPLAN_AFTER = 15 * MINUTE;

let env: TestWorkflowEnvironment;
// A test server of its own per test: time skipping is global to a server, so no test can hold another's clock.
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

const fulfilmentMocks = (shortPlans: number) => shortThenPlannedMocks(env, shortPlans, REPLAN_AFTER);
const paidOrder = () => paidNow(env);

describe('re-planning a short order', () => {
  it('is short until the re-plan interval has passed, then plans again and is allocated', async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks(1);
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { order, orderId } = await paidOrder();
      await dispatcher(env, taskQueue, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      const shortState = await waitFor(() => orderState(env, orderId), (s) => s.status === 'short', 'short');
      expect(shortState.fulfilment?.outcome).toBe('short');
      expect(shortState.fulfilment?.attempts).toBe(1);
      expect(shortState.fulfilment?.shortages).toEqual(short(order, REPLAN_AFTER).shortages);
      const handle = orderHandle(env, orderId);
      expect((await handle.describe()).typedSearchAttributes.get(ExceptionTypeKey)).toBe('OUT_OF_STOCK');
      expect(f.reserveStock).not.toHaveBeenCalled();

      // Two thirds of the interval: not planned again yet.
      await env.sleep(10 * MINUTE);
      expect((await orderState(env, orderId)).status).toBe('short');
      expect(f.planFulfilment).toHaveBeenCalledTimes(1);

      await env.sleep(6 * MINUTE);
      const allocated = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      expect(f.planFulfilment).toHaveBeenCalledTimes(2);
      expect(f.planFulfilment.mock.calls.map(([c]) => c.attempt)).toEqual([1, 2]);
      expect(f.reserveStock).toHaveBeenCalledTimes(1);
      expect(f.reserveStock).toHaveBeenCalledWith({ orderId, assignments: planned(orderId, order, 2).assignments, transfers: [] });
      expect(f.joinPackage).toHaveBeenCalledTimes(1);
      expect(allocated.fulfilment).toMatchObject({ outcome: 'released', attempts: 2, packages: [{ packageId: `pkg-${orderId}`, status: 'joined' }] });
      expect(allocated.fulfilment?.shortages).toBeUndefined();
      expect(statusesOn(allocated)).toEqual(['paid', 'short', 'allocated']);
      expect(timeOf(allocated, 'status:allocated') - timeOf(allocated, 'status:short')).toBeGreaterThanOrEqual(REPLAN_AFTER);
      expect(timeOf(allocated, 'status:allocated') - timeOf(allocated, 'status:short')).toBeLessThan(REPLAN_AFTER + MINUTE);
      expect(rm.statuses).toEqual(['paid', 'short', 'allocated']);
      const attributes = (await handle.describe()).typedSearchAttributes;
      expect(attributes.get(OrderStatusKey)).toBe('allocated');
      expect(attributes.get(ExceptionTypeKey)).toBeUndefined();
    });
  });

  it('plans again every interval while the stock stays short', async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks(3);
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { order, orderId } = await paidOrder();
      await dispatcher(env, taskQueue, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'short', 'short');

      await env.sleep(REPLAN_AFTER + MINUTE);
      await waitFor(() => orderState(env, orderId), (s) => s.fulfilment?.attempts === 2, 'the second plan');
      await env.sleep(REPLAN_AFTER);
      await waitFor(() => orderState(env, orderId), (s) => s.fulfilment?.attempts === 3, 'the third plan');
      expect((await orderState(env, orderId)).status).toBe('short');
      expect(f.reserveStock).not.toHaveBeenCalled();

      await env.sleep(REPLAN_AFTER);
      const allocated = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      expect(allocated.fulfilment?.attempts).toBe(4);
      // One `short` status however often it was planned: the timeline does not grow with every re-plan.
      expect(statusesOn(allocated)).toEqual(['paid', 'short', 'allocated']);
      expect(timeOf(allocated, 'status:allocated') - timeOf(allocated, 'status:short')).toBeGreaterThanOrEqual(3 * REPLAN_AFTER);
    });
  });

  it('stops re-planning when the order is cancelled while short', async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks(Number.MAX_SAFE_INTEGER);
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { order, orderId } = await paidOrder();
      const deliver = dispatcher(env, taskQueue, 60 * MINUTE);
      await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'short', 'short');

      await env.sleep(5 * MINUTE);
      await deliver.dispatch(orderId, { eventId: `${orderId}#cancelled`, type: 'cancelled', reason: 'buyer cancelled' });
      await expect(orderHandle(env, orderId).result()).resolves.toEqual({ orderId, status: 'cancelled' });
      const cancelled = await orderState(env, orderId);
      expect(cancelled.closedReason).toBe('buyer cancelled');
      expect(statusesOn(cancelled)).toEqual(['paid', 'short', 'cancelled']);
      expect(timeOf(cancelled, 'status:cancelled') - timeOf(cancelled, 'status:short')).toBeLessThan(REPLAN_AFTER);
      expect(f.planFulfilment).toHaveBeenCalledTimes(1);
      expect(f.releaseStock).toHaveBeenCalledWith({ orderId });
      expect(f.joinPackage).not.toHaveBeenCalled();
    });
  });
});
