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

describe('cancelling an order whose parcel the warehouse has', () => {
  /** An order released to the warehouse (its package reported released), with a worker serving it. */
  async function releasedOrder(taskQueue: string) {
    const { order, orderId } = canonical({ paidAt: '2026-11-11T00:00:05Z' });
    const deliver = dispatcher(env, taskQueue, 30 * MINUTE);
    await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
    await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
    const handle = orderHandle(env, orderId);
    await handle.signal(packageUpdateSignal, { packageId: `pkg-${orderId}`, type: 'released', carrierCode: CARRIER, memberOrderIds: [orderId] });
    await waitFor(() => orderState(env, orderId), (s) => s.status === 'released', 'released');
    await deliver.dispatch(orderId, { eventId: `${orderId}#cancel`, type: 'cancelled', reason: 'buyer refunded' });
    await waitFor(() => orderState(env, orderId), (s) => s.status === 'on_hold', 'awaiting interception');
    return { orderId, handle, packageId: `pkg-${orderId}` };
  }

  function interceptingMocks() {
    const f = fulfilmentMocks();
    f.leavePackages.mockImplementation(async ({ orderId }: ActivityInput<'leavePackages'>) => [
      { packageId: `pkg-${orderId}`, packageKey: `${orderId}:WH-HZ:express`, outcome: 'intercept', warehouseCode: 'WH-HZ', lines: [] },
    ]);
    const openOrderException = vi.fn(async (_input: ActivityInput<'openOrderException'>): Promise<ActivityOutput<'openOrderException'>> => ({ created: true }));
    return { ...f, openOrderException };
  }

  it('keeps the parcel reserved until the warehouse confirms the interception, then gives it back', async () => {
    const rm = readModelMocks();
    const f = interceptingMocks();
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { orderId, handle, packageId } = await releasedOrder(taskQueue);
      const holding = await orderState(env, orderId);
      expect(holding.holdReason).toBe('awaiting interception');
      expect(holding.fulfilment?.packages[0]?.status).toBe('intercept_requested');
      // Everything but the intercepted parcel was given back; the parcel keeps its stock meanwhile.
      expect(f.releaseStock).toHaveBeenCalledTimes(1);
      expect(f.releaseStock.mock.calls[0]![0]).toEqual({ orderId, keep: [{ warehouseCode: 'WH-HZ', lineRefs: holding.fulfilment!.packages[0]!.lineRefs }] });

      await env.sleep(60 * MINUTE);
      expect((await orderState(env, orderId)).status).toBe('on_hold');

      await handle.signal(packageUpdateSignal, { packageId, type: 'intercepted', at: '2026-11-11T09:00:00Z' });
      await expect(handle.result()).resolves.toEqual({ orderId, status: 'cancelled' });
      expect(f.releaseStock).toHaveBeenCalledTimes(2);
      expect(f.releaseStock.mock.calls[1]![0]).toEqual({ orderId, only: [{ warehouseCode: 'WH-HZ', lineRefs: holding.fulfilment!.packages[0]!.lineRefs }] });
      const done = await orderState(env, orderId);
      expect(statusesOn(done)).toEqual(['paid', 'allocated', 'released', 'on_hold', 'cancelled']);
      expect(done.fulfilment?.cancelled?.interceptions).toEqual({ intercepted: [packageId], shippedAnyway: [] });
      expect(f.openOrderException).not.toHaveBeenCalled();
    });
  });

  it('ends shipped, with an exception for a person, when the warehouse could not stop the parcel', async () => {
    const rm = readModelMocks();
    const f = interceptingMocks();
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      const { orderId, handle, packageId } = await releasedOrder(taskQueue);
      await handle.signal(packageUpdateSignal, { packageId, type: 'intercept_failed', reason: 'already with the courier', at: '2026-11-11T09:00:00Z' });
      await expect(handle.result()).resolves.toEqual({ orderId, status: 'shipped' });
      // Its stock is never given back: the parcel's shipment consumes it.
      expect(f.releaseStock).toHaveBeenCalledTimes(1);
      expect(f.openOrderException).toHaveBeenCalledWith(expect.objectContaining({ orderId, kind: 'intercept_failed', detail: { reason: 'buyer refunded', packages: [packageId] } }));
      const done = await orderState(env, orderId);
      expect(statusesOn(done)).toEqual(['paid', 'allocated', 'released', 'on_hold', 'shipped']);
      expect(done.fulfilment?.packages[0]?.interceptFailed).toBe('already with the courier');
      expect(f.writeBackShipment).not.toHaveBeenCalled();
    });
  });
});

describe('a change on the platform while the warehouse has the parcel', () => {
  const interceptPackages = () =>
    vi.fn(async ({ packageIds }: ActivityInput<'interceptPackages'>): Promise<ActivityOutput<'interceptPackages'>> => ({ requested: packageIds }));

  it('opens an exception for each change, asks for the parcel back, and ships it if the warehouse could not stop it', async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks();
    const openOrderException = vi.fn(async (_input: ActivityInput<'openOrderException'>): Promise<ActivityOutput<'openOrderException'>> => ({ created: true }));
    const intercept = interceptPackages();
    await withWorker(env, { ...rm.activities, ...f, openOrderException, interceptPackages: intercept }, async (taskQueue) => {
      const { order, orderId } = canonical({ paidAt: '2026-11-11T00:00:05Z' });
      const deliver = dispatcher(env, taskQueue, 30 * MINUTE);
      await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      const handle = orderHandle(env, orderId);
      const packageId = `pkg-${orderId}`;
      await handle.signal(packageUpdateSignal, { packageId, type: 'released', carrierCode: CARRIER, memberOrderIds: [orderId] });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'released', 'released');

      await deliver.dispatch(orderId, { eventId: `${orderId}#address`, type: 'address_changed', receiver: { ...order.receiver, detail: '古墩路**号' } });
      await waitFor(() => orderState(env, orderId), (s) => s.timeline.some((e) => e.type === 'interception_requested'), 'the change reported and the parcel asked back');
      expect(openOrderException).toHaveBeenCalledWith(expect.objectContaining({ orderId, shopId: order.shopId, kind: 'changed_after_release', detail: { changes: [{ eventId: `${orderId}#address`, kind: 'address' }], packages: [packageId] } }));
      expect(intercept).toHaveBeenCalledWith({ orderId, packageIds: [packageId], reason: 'order changed after release: address' });
      const asked = await orderState(env, orderId);
      expect(asked.status).toBe('released');
      expect(asked.fulfilment?.packages[0]).toMatchObject({ status: 'intercept_requested', interceptForChange: 'order changed after release: address' });
      const lineId = order.lines[0]!.lineId!;
      await deliver.dispatch(orderId, { eventId: `${orderId}#refund`, type: 'refunded', lineIds: [lineId] });
      await waitFor(() => Promise.resolve(openOrderException.mock.calls.length), (n) => n === 2, 'the refund reported');
      expect(openOrderException.mock.calls[1]![0].detail).toEqual({ changes: [{ eventId: `${orderId}#refund`, kind: 'refunded', lineIds: [lineId] }], packages: [packageId] });
      // The parcel is asked back for the refund too before the warehouse answers.
      await waitFor(() => orderState(env, orderId), (s) => s.timeline.filter((e) => e.type === 'interception_requested').length === 2, 'asked back for the refund');

      await handle.signal(packageUpdateSignal, { packageId, type: 'shipped', carrierCode: CARRIER, trackingNo: 'YT7000000000009', at: '2026-11-11T08:00:00Z' });
      await expect(handle.result()).resolves.toEqual({ orderId, status: 'shipped' });
      expect(statusesOn(await orderState(env, orderId))).toEqual(['paid', 'allocated', 'released', 'shipped']);
      // The parcel asked back went all the same: INTERCEPT_FAILED, for a person to settle with the buyer.
      const missed = openOrderException.mock.calls.map((c) => c[0]).filter((c) => c.kind === 'intercept_failed');
      expect(missed).toHaveLength(1);
      // (the latest change the parcel was asked back for: the refund)
      expect(missed[0]).toMatchObject({ detail: { reason: 'order changed after release: refunded', packages: [{ packageId, trackingNo: 'YT7000000000009' }] } });
    });
  });

  it('puts the order on hold for a person when the warehouse stopped the parcel it asked back', async () => {
    const rm = readModelMocks();
    const f = fulfilmentMocks();
    const openOrderException = vi.fn(async (_input: ActivityInput<'openOrderException'>): Promise<ActivityOutput<'openOrderException'>> => ({ created: true }));
    const intercept = interceptPackages();
    await withWorker(env, { ...rm.activities, ...f, openOrderException, interceptPackages: intercept }, async (taskQueue) => {
      const { order, orderId } = canonical({ paidAt: '2026-11-11T00:00:05Z' });
      const deliver = dispatcher(env, taskQueue, 30 * MINUTE);
      await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      const handle = orderHandle(env, orderId);
      const packageId = `pkg-${orderId}`;
      await handle.signal(packageUpdateSignal, { packageId, type: 'released', carrierCode: CARRIER, memberOrderIds: [orderId] });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'released', 'released');
      await deliver.dispatch(orderId, { eventId: `${orderId}#amount`, type: 'amount_changed', amounts: { ...order.amounts, paidFen: order.amounts.paidFen - 100 } });
      // The workflow has taken the activity's answer (not only sent the request) before the warehouse replies.
      await waitFor(() => orderState(env, orderId), (s) => s.timeline.some((e) => e.type === 'interception_requested'), 'the parcel asked back');
      expect(intercept).toHaveBeenCalledTimes(1);
      await handle.signal(packageUpdateSignal, { packageId, type: 'intercepted', at: '2026-11-11T09:00:00Z' });
      const held = await waitFor(() => orderState(env, orderId), (s) => s.status === 'on_hold', 'on hold');
      expect(held.holdReason).toBe('shipment failed');
      expect(held.timeline.findLast((e) => e.type === 'status:on_hold')?.detail).toMatchObject({ failed: [{ packageId, reason: 'intercepted: order changed after release: amount' }] });
      // Its stock stays reserved for the person's decision (re-ship or cancel).
      expect(f.releaseStock).not.toHaveBeenCalled();
      expect(f.writeBackShipment).not.toHaveBeenCalled();
    });
  });
});
