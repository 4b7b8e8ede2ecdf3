// Orders the platform says were shipped before Orderly released them (another system, or a person in the
// seller's back office): nothing is allocated for them, and what an allocated one held is given back.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { packageUpdateSignal } from '../../workflows/order.messages.js';
import { OrderStatusKey } from '../../workflows/search-attributes.js';
import { MINUTE, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import { CARRIER, canonical, dispatcher, joinedAlone, orderHandle, orderState, planned, readModelMocks, statusesOn, writeBackMock, type ActivityInput, type ActivityOutput } from './mocks.js';

let env: TestWorkflowEnvironment;
// A test server of its own per test: time skipping is global to a server, so no test can hold another's clock.
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

function fulfilmentMocks() {
  return {
    planFulfilment: vi.fn(async ({ orderId, order, attempt }: ActivityInput<'planFulfilment'>) => planned(orderId, order, attempt)),
    reserveStock: vi.fn(async (_input: ActivityInput<'reserveStock'>): Promise<ActivityOutput<'reserveStock'>> => ({ ok: true, reserved: 2, alreadyReserved: 0 })),
    joinPackage: vi.fn(async (input: ActivityInput<'joinPackage'>) => joinedAlone(input, `pkg-${input.orderId}`, new Date((await env.currentTimeMs()) + 30 * MINUTE).toISOString())),
    leavePackages: vi.fn(async ({ orderId }: ActivityInput<'leavePackages'>): Promise<ActivityOutput<'leavePackages'>> => [
      { packageId: `pkg-${orderId}`, packageKey: `${orderId}:WH-HZ:express`, outcome: 'left', warehouseCode: 'WH-HZ', lines: [] },
    ]),
    releaseStock: vi.fn(async (_input: ActivityInput<'releaseStock'>): Promise<ActivityOutput<'releaseStock'>> => ({ released: 2 })),
    writeBackShipment: writeBackMock(),
  };
}

describe('an order shipped on the platform before Orderly released it', () => {
  it('is never allocated when it arrives already shipped', async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks();
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { order, orderId } = canonical({ paidAt: '2026-11-11T00:00:05Z' });
      await dispatcher(env, taskQueue, 30 * MINUTE).dispatch(orderId, { eventId: `${orderId}#snapshot`, type: 'snapshot', order, platformState: 'shipped' });
      await expect(orderHandle(env, orderId).result()).resolves.toEqual({ orderId, status: 'shipped_elsewhere' });
      const state = await orderState(env, orderId);
      expect(state.closedReason).toBe('shipped on the platform');
      expect(statusesOn(state)).toEqual(['shipped_elsewhere']);
      expect(rm.statuses).toEqual(['shipped_elsewhere']);
      expect(f.planFulfilment).not.toHaveBeenCalled();
      expect(f.writeBackShipment).not.toHaveBeenCalled();
      expect((await orderHandle(env, orderId).describe()).typedSearchAttributes.get(OrderStatusKey)).toBe('shipped_elsewhere');
    });
  });

  it('leaves its package and gives back its stock when shipped on the platform while allocated', async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks();
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { order, orderId } = canonical({ paidAt: '2026-11-11T00:00:05Z' });
      const deliver = dispatcher(env, taskQueue, 30 * MINUTE);
      await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      expect(f.reserveStock).toHaveBeenCalledTimes(1);

      await deliver.dispatch(orderId, { eventId: `${orderId}#shipped`, type: 'shipped', carrierCode: 'SF', trackingNo: 'SF1400000000001' });
      await expect(orderHandle(env, orderId).result()).resolves.toEqual({ orderId, status: 'shipped_elsewhere' });
      const state = await orderState(env, orderId);
      expect(statusesOn(state)).toEqual(['paid', 'allocated', 'shipped_elsewhere']);
      expect(state.timeline.at(-1)?.detail).toEqual({ carrierCode: 'SF', trackingNo: 'SF1400000000001' });
      expect(f.leavePackages).toHaveBeenCalledWith({ orderId, reason: 'shipped on the platform' });
      expect(f.releaseStock).toHaveBeenCalledWith({ orderId });
      expect(state.fulfilment?.cancelled).toMatchObject({ reason: 'shipped on the platform', unmerged: [`pkg-${orderId}`], releasedReservations: 2 });
      expect(f.writeBackShipment).not.toHaveBeenCalled();
    });
  });

  it("takes the platform's shipment after release as the echo of its own write-back", async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks();
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { order, orderId } = canonical({ paidAt: '2026-11-11T00:00:05Z' });
      const deliver = dispatcher(env, taskQueue, 30 * MINUTE);
      await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      const handle = orderHandle(env, orderId);
      const packageId = `pkg-${orderId}`;
      await handle.signal(packageUpdateSignal, { packageId, type: 'released', carrierCode: CARRIER, memberOrderIds: [orderId] });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'released', 'released');
      await deliver.dispatch(orderId, { eventId: `${orderId}#shipped`, type: 'shipped', carrierCode: CARRIER, trackingNo: 'YT7000000000001' });
      await handle.signal(packageUpdateSignal, { packageId, type: 'shipped', carrierCode: CARRIER, trackingNo: 'YT7000000000001', at: '2026-11-11T08:00:00Z' });
      await expect(handle.result()).resolves.toEqual({ orderId, status: 'shipped' });
      expect(statusesOn(await orderState(env, orderId))).toEqual(['paid', 'allocated', 'released', 'shipped']);
      expect(f.leavePackages).not.toHaveBeenCalled();
      expect(f.writeBackShipment).toHaveBeenCalledTimes(1);
    });
  });
});
