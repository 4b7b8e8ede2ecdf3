// Payment deadlines of the order workflow, on the time-skipping test server: the payment timeout of an
// ordinary order, and a presale order's balance deadline (missed, and met).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exceptionTypeOf } from '../../domain/exceptions/model.js';
import { packageUpdateSignal } from '../../workflows/order.messages.js';
import { OrderStatusKey } from '../../workflows/search-attributes.js';
import { DAY, MINUTE, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import { canonical, CARRIER, type ActivityInput, dispatcher, joinedAlone, orderHandle, orderState, planned, readModelMocks, statusesOn, timeOf, writeBackMock } from './mocks.js';

const PAYMENT_TIMEOUT = 30 * MINUTE;

let env: TestWorkflowEnvironment;
// A test server of its own per test: time skipping is global to a server, so no test can hold another's clock.
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

describe('payment timeout', () => {
  it('closes an unpaid order when the payment timeout has passed, not before', async () => {
    const rm = readModelMocks();
    const planFulfilment = vi.fn();
    await withWorker(env, { ...rm.activities, planFulfilment }, async (taskQueue) => {
      const { order, orderId } = canonical();
      expect(order.paidAt).toBeUndefined();
      await dispatcher(env, taskQueue, PAYMENT_TIMEOUT).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      const waiting = await waitFor(() => orderState(env, orderId), (s) => s.status === 'awaiting_payment', 'awaiting_payment');
      const waitingSince = timeOf(waiting, 'status:awaiting_payment');
      expect(Date.parse(waiting.paymentDeadline!)).toBe(waitingSince + PAYMENT_TIMEOUT);

      // Two thirds of the way: still waiting.
      await env.sleep(20 * MINUTE);
      const later = await orderState(env, orderId);
      expect(later.status).toBe('awaiting_payment');
      expect(later.closedReason).toBeUndefined();

      // The result skips time to the timer.
      const handle = orderHandle(env, orderId);
      await expect(handle.result()).resolves.toEqual({ orderId, status: 'closed' });
      const closed = await orderState(env, orderId);
      expect(closed.status).toBe('closed');
      expect(closed.closedReason).toBe('unpaid: payment timeout');
      const closedEntry = closed.timeline.find((e) => e.type === 'status:closed');
      expect(closedEntry?.detail).toEqual({ reason: 'unpaid: payment timeout' });
      const waited = timeOf(closed, 'status:closed') - waitingSince;
      expect(waited).toBeGreaterThanOrEqual(PAYMENT_TIMEOUT);
      expect(waited).toBeLessThan(PAYMENT_TIMEOUT + MINUTE);
      expect(statusesOn(closed)).toEqual(['awaiting_payment', 'closed']);
      expect(rm.statuses).toEqual(['awaiting_payment', 'closed']);
      expect(planFulfilment).not.toHaveBeenCalled();
      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(OrderStatusKey)).toBe('closed');
    });
  });
});

describe('presale balance deadline', () => {
  it('opens PAYMENT_FAILED when a presale balance is not paid by its deadline, and closes the order by the policy', async () => {
    const rm = readModelMocks();
    // PAYMENT_FAILED escalates once after an hour and is closed unpaid two hours after its deadline.
    const openOrderException = vi.fn(async (input: ActivityInput<'openOrderException'>) => {
      const now = await env.currentTimeMs();
      const at = (m: number) => new Date(now + m * MINUTE).toISOString();
      return { created: true, id: 'ex-1', type: exceptionTypeOf(input.kind), dueAt: at(60), levels: [{ level: 1 as const, at: at(60), ownerRole: 'ops_lead' as const }], finalAction: { action: 'close_unpaid' as const, at: at(120) } };
    });
    await withWorker(env, { ...rm.activities, openOrderException }, async (taskQueue) => {
      const balanceDueAt = new Date((await env.currentTimeMs()) + 3 * DAY).toISOString();
      const { order, orderId } = canonical({ presale: { depositFen: 5000, balanceFen: 23500, balanceDueAt } });
      const deliver = dispatcher(env, taskQueue, PAYMENT_TIMEOUT);
      await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'awaiting_payment', 'awaiting the deposit');

      await env.sleep(10 * MINUTE);
      await deliver.dispatch(orderId, { eventId: `${orderId}#deposit`, type: 'deposit_paid' });
      const deposit = await waitFor(() => orderState(env, orderId), (s) => s.status === 'deposit_paid', 'deposit_paid');
      expect(deposit.paymentDeadline).toBe(balanceDueAt);

      // Well past the deposit's own payment timeout, a day before the balance deadline: still waiting.
      await env.sleep(2 * DAY);
      expect((await orderState(env, orderId)).status).toBe('deposit_paid');

      const handle = orderHandle(env, orderId);
      await expect(handle.result()).resolves.toEqual({ orderId, status: 'closed' });
      const closed = await orderState(env, orderId);
      expect(openOrderException).toHaveBeenCalledWith(expect.objectContaining({ kind: 'balance_overdue', detail: expect.objectContaining({ balanceDueAt, balanceFen: 23500 }) }));
      expect(closed.exceptions?.[0]).toMatchObject({ type: 'PAYMENT_FAILED', level: 1, resolved: { action: 'cancel_order', by: 'policy' } });
      expect(closed.closedReason).toMatch(/^unpaid: balance not paid/);
      // Closed by the policy's final action, two hours after the deadline.
      expect(timeOf(closed, 'status:closed')).toBeGreaterThanOrEqual(Date.parse(balanceDueAt) + 120 * MINUTE);
      expect(timeOf(closed, 'status:closed')).toBeLessThan(Date.parse(balanceDueAt) + 121 * MINUTE);
      expect(statusesOn(closed)).toEqual(['awaiting_payment', 'deposit_paid', 'closed']);
      expect(closed.timeline.map((e) => e.type)).toContain('deposit_received');
      expect(rm.statuses).toEqual(['awaiting_payment', 'deposit_paid', 'closed']);
    });
  });

  it('counts a presale order paid in full at its deposit as paid, with no balance to wait for', async () => {
    const rm = readModelMocks();
    const activities = {
      ...rm.activities,
      planFulfilment: vi.fn(async ({ orderId, order, attempt }: ActivityInput<'planFulfilment'>) => planned(orderId, order, attempt)),
      reserveStock: vi.fn(async () => ({ ok: true as const, reserved: 2, alreadyReserved: 0 })),
      joinPackage: vi.fn(async (input: ActivityInput<'joinPackage'>) => joinedAlone(input, 'pkg-full-presale', new Date(await env.currentTimeMs()).toISOString())),
    };
    await withWorker(env, activities, async (taskQueue) => {
      const balanceDueAt = new Date((await env.currentTimeMs()) + 3 * DAY).toISOString();
      const { order, orderId } = canonical({ presale: { depositFen: 28500, balanceFen: 0, balanceDueAt } });
      const deliver = dispatcher(env, taskQueue, PAYMENT_TIMEOUT);
      await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'awaiting_payment', 'awaiting the deposit');
      await deliver.dispatch(orderId, { eventId: `${orderId}#deposit`, type: 'deposit_paid' });
      const allocated = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      expect(statusesOn(allocated)).toEqual(['awaiting_payment', 'paid', 'allocated']);
      expect(allocated.paidAt).toBe(allocated.depositPaidAt);
      expect(activities.planFulfilment).toHaveBeenCalledTimes(1);
      const history = await orderHandle(env, orderId).fetchHistory();
      const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes);
      expect(markers.map((e) => e.markerRecordedEventAttributes?.markerName)).toContain('core_patch');
    });
  });

  it('goes on to fulfilment when the balance arrives before the deadline', async () => {
    const rm = readModelMocks();
    const writeBackShipment = writeBackMock();
    const joinPackage = vi.fn(async (input: ActivityInput<'joinPackage'>) => joinedAlone(input, 'pkg-presale-1', new Date(await env.currentTimeMs()).toISOString()));
    const activities = {
      ...rm.activities,
      planFulfilment: vi.fn(async ({ orderId, order, attempt }: ActivityInput<'planFulfilment'>) => planned(orderId, order, attempt)),
      reserveStock: vi.fn(async () => ({ ok: true as const, reserved: 2, alreadyReserved: 0 })),
      joinPackage,
      writeBackShipment,
    };
    await withWorker(env, activities, async (taskQueue) => {
      const now = await env.currentTimeMs();
      const depositPaidAt = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
      const balanceDueAt = new Date(now + 3 * DAY).toISOString();
      const { order, orderId } = canonical({ presale: { depositFen: 5000, balanceFen: 23500, depositPaidAt, balanceDueAt } });
      const deliver = dispatcher(env, taskQueue, PAYMENT_TIMEOUT);
      await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'deposit_paid', 'deposit_paid');

      await env.sleep(2 * DAY);
      expect((await orderState(env, orderId)).status).toBe('deposit_paid');
      expect(activities.planFulfilment).not.toHaveBeenCalled();

      await deliver.dispatch(orderId, { eventId: `${orderId}#balance`, type: 'balance_paid' });
      // In its package's hold window: allocated, not yet released.
      const allocated = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      expect(statusesOn(allocated)).toEqual(['deposit_paid', 'paid', 'allocated']);
      expect(allocated.closedReason).toBeUndefined();
      expect(allocated.fulfilment?.outcome).toBe('released');
      expect(allocated.fulfilment?.packages).toMatchObject([{ packageId: 'pkg-presale-1', warehouseCode: 'WH-HZ', status: 'joined' }]);
      expect(activities.planFulfilment).toHaveBeenCalledTimes(1);
      expect(activities.reserveStock).toHaveBeenCalledWith(expect.objectContaining({ orderId, assignments: planned(orderId, order).assignments }));
      expect(joinPackage).toHaveBeenCalledTimes(1);

      // The warehouse ships the parcel: the tracking number goes back to the platform and the order is done.
      const handle = orderHandle(env, orderId);
      await handle.signal(packageUpdateSignal, { packageId: 'pkg-presale-1', type: 'released', carrierCode: CARRIER, memberOrderIds: [orderId] });
      const released = await waitFor(() => orderState(env, orderId), (s) => s.status === 'released', 'released');
      expect(statusesOn(released)).toEqual(['deposit_paid', 'paid', 'allocated', 'released']);
      await handle.signal(packageUpdateSignal, { packageId: 'pkg-presale-1', type: 'shipped', carrierCode: CARRIER, trackingNo: 'YT7001234567890', at: new Date(now).toISOString() });
      await expect(handle.result()).resolves.toEqual({ orderId, status: 'shipped' });
      expect(writeBackShipment).toHaveBeenCalledTimes(1);
      expect(writeBackShipment).toHaveBeenCalledWith(expect.objectContaining({ orderId, platformOrderId: order.platformOrderId, carrierCode: CARRIER, trackingNo: 'YT7001234567890' }));
      // One package with every line: told as the whole order, without line ids.
      expect(writeBackShipment.mock.calls[0]![0]).toMatchObject({ packageId: 'pkg-presale-1', split: false });
      expect(writeBackShipment.mock.calls[0]![0]).not.toHaveProperty('lineIds');
      expect(rm.statuses).toEqual(['deposit_paid', 'paid', 'allocated', 'released', 'shipped']);
    });
  });
});
