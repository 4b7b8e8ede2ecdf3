// The order's exceptions on the time-skipping test server: a hold opens a typed exception with an owner and a
// due time, its SLA timers escalate it level by level, and a resolution through the `resolveException` update
// (validated: it must fit the exception and the order now) is carried out by the order.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { packageUpdateSignal, resolveExceptionUpdate, type ExceptionResolution } from '../../workflows/order.messages.js';
import { HOUR, MINUTE, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import { dispatcher, joinedAlone, orderHandle, timedExceptionMocks, orderState, paidNow, readModelMocks, shortThenPlannedMocks, statusesOn, type ActivityInput, type ActivityOutput, refused, startPaidOrder } from './mocks.js';

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

/** Exceptions as the database would open them: ids in order, due after 2 h, levels at 2, 4 and 8 hours. */
const exceptionMocks = (finalAction?: { action: 'cancel_order' | 'close_unpaid'; afterHours: number }) => timedExceptionMocks(env, finalAction ? { finalAction } : {});

const incomplete = [{ code: 'address_detail_missing' as const, field: 'receiver.detail', message: 'street missing', severity: 'blocking' as const }];

const start = (taskQueue: string) => startPaidOrder(env, taskQueue);

describe('order exceptions', () => {
  it('opens an owned, due exception for a hold, escalates it level by level, and releases the hold on a resolution', async () => {
    const rm = readModelMocks();
    rm.activities.validateOrder.mockImplementation(async () => incomplete);
    const ex = exceptionMocks();
    const f = shortThenPlannedMocks(env, 0, MINUTE);
    await withWorker(env, { ...rm.activities, ...f, ...ex }, async (tq) => {
      const { orderId } = await start(tq);
      const held = await waitFor(() => orderState(env, orderId), (s) => s.status === 'on_hold' && (s.exceptions?.length ?? 0) > 0, 'held with an exception');
      expect(held.exceptions).toEqual([expect.objectContaining({ id: 'ex-1', kind: 'incomplete', type: 'INCOMPLETE_INFO', level: 0 })]);
      expect(ex.openOrderException).toHaveBeenCalledWith(expect.objectContaining({ orderId, kind: 'incomplete' }));

      // Level 1 at 2 h, level 2 at 4 h, in order, each once.
      await env.sleep(1.5 * HOUR);
      expect(ex.escalateOrderException).not.toHaveBeenCalled();
      await env.sleep(HOUR);
      await waitFor(() => Promise.resolve(ex.escalateOrderException.mock.calls.length), (n) => n === 1, 'level 1');
      await env.sleep(2 * HOUR);
      await waitFor(() => Promise.resolve(ex.escalateOrderException.mock.calls.length), (n) => n === 2, 'level 2');
      expect(ex.escalateOrderException.mock.calls.map(([c]) => [c.level, c.ownerRole])).toEqual([
        [1, 'ops_lead'],
        [2, 'ops_lead'],
      ]);
      const escalated = await waitFor(() => orderState(env, orderId), (s) => s.exceptions?.[0]?.level === 2, 'level 2 in the state');
      expect(escalated.status).toBe('on_hold');

      const handle = orderHandle(env, orderId);
      // Refused, and nothing changes: an action that does not fit, one that needs another situation, an unknown id.
      const bad: ExceptionResolution[] = [
        { exceptionId: 'ex-1', action: 'substitute_sku', params: { lineRef: '1', skuCode: 'X' }, resolvedBy: 'li' },
        { exceptionId: 'ex-1', action: 'edit_order', resolvedBy: 'li' },
        { exceptionId: 'ex-9', action: 'release_hold', resolvedBy: 'li' },
      ];
      const reasons = [];
      for (const r of bad) reasons.push(await refused(handle.executeUpdate(resolveExceptionUpdate, { args: [r] })));
      expect(reasons[0]).toMatch(/does not resolve an exception of type INCOMPLETE_INFO/);
      expect(reasons[1]).toMatch(/needs params/);
      expect(reasons[2]).toMatch(/not one of order/);
      expect((await orderState(env, orderId)).status).toBe('on_hold');

      const ok = await handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'release_hold', resolvedBy: 'li.ops', comment: 'street confirmed by phone' }] });
      expect(ok).toEqual({ orderId, exceptionId: 'ex-1', action: 'release_hold', status: 'accepted' });
      expect(await refused(handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'release_hold', resolvedBy: 'wang' }] }))).toMatch(/already resolved/);
      const done = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated after the release');
      expect(statusesOn(done)).toEqual(['paid', 'on_hold', 'allocated']);
      expect(done.exceptions?.[0]?.resolved).toMatchObject({ action: 'release_hold', by: 'li.ops' });
      expect(ex.recordExceptionResolution).toHaveBeenCalledWith(expect.objectContaining({ exceptionId: 'ex-1', action: 'release_hold', resolvedBy: 'li.ops' }));
      // Resolved: no level 3.
      await env.sleep(5 * HOUR);
      expect(ex.escalateOrderException).toHaveBeenCalledTimes(2);
    });
  });

  it('substitutes a SKU for a short order: planned again at once with the substitute, the exception closed', async () => {
    const rm = readModelMocks();
    const ex = exceptionMocks();
    const f = shortThenPlannedMocks(env, 1, 15 * MINUTE);
    await withWorker(env, { ...rm.activities, ...f, ...ex }, async (tq) => {
      const { order, orderId } = await start(tq);
      const short = await waitFor(() => orderState(env, orderId), (s) => s.status === 'short' && (s.exceptions?.length ?? 0) > 0, 'short with an exception');
      expect(short.exceptions?.[0]).toMatchObject({ type: 'OUT_OF_STOCK', kind: 'out_of_stock' });
      const line = order.lines[0]!;
      const lineRef = line.lineId ?? '1';
      await orderHandle(env, orderId).executeUpdate(resolveExceptionUpdate, {
        args: [{ exceptionId: 'ex-1', action: 'substitute_sku', params: { lineRef, skuCode: 'TEA-LJ-250-GIFT' }, resolvedBy: 'li.ops' }],
      });
      const done = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated with the substitute');
      const second = f.planFulfilment.mock.calls[1]![0];
      expect(second.order.lines[0]!.skuCode).toBe('TEA-LJ-250-GIFT');
      expect(second.order.lines.slice(1)).toEqual(order.lines.slice(1));
      // At once: not after the 15-minute re-plan interval.
      expect(Date.parse(done.timeline.find((e) => e.type === 'status:allocated')!.at) - Date.parse(done.timeline.find((e) => e.type === 'status:short')!.at)).toBeLessThan(MINUTE);
      expect(done.exceptions?.[0]?.resolved).toMatchObject({ action: 'substitute_sku', by: 'li.ops' });
      // The person's change is not a platform change: no second review.
      expect(rm.activities.reviewOrder).toHaveBeenCalledTimes(1);
    });
  });

  it('cancels a held order on a cancel_order resolution, and closes an exception whose cause went away', async () => {
    const rm = readModelMocks();
    rm.activities.validateOrder.mockImplementation(async () => incomplete);
    const ex = exceptionMocks();
    const f = shortThenPlannedMocks(env, 0, MINUTE);
    await withWorker(env, { ...rm.activities, ...f, ...ex }, async (tq) => {
      const { orderId } = await start(tq);
      await waitFor(() => orderState(env, orderId), (s) => (s.exceptions?.length ?? 0) > 0, 'held');
      await orderHandle(env, orderId).executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'cancel_order', resolvedBy: 'li.ops', comment: 'buyer unreachable' }] });
      expect((await orderHandle(env, orderId).result()).status).toBe('cancelled');
      expect(f.planFulfilment).not.toHaveBeenCalled();
      expect(ex.recordExceptionResolution).toHaveBeenCalledWith(expect.objectContaining({ exceptionId: 'ex-1', action: 'cancel_order' }));
    });

    // Fixed by the platform (a new address): the exception closes by itself, recorded as Orderly's.
    const rm2 = readModelMocks();
    let fixed = false;
    rm2.activities.validateOrder.mockImplementation(async () => (fixed ? [] : incomplete));
    const ex2 = exceptionMocks();
    await withWorker(env, { ...rm2.activities, ...shortThenPlannedMocks(env, 0, MINUTE), ...ex2 }, async (tq) => {
      const { order, orderId } = await start(tq);
      await waitFor(() => orderState(env, orderId), (s) => (s.exceptions?.length ?? 0) > 0, 'held');
      fixed = true;
      await dispatcher(env, tq, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#addr`, type: 'address_changed', receiver: { ...order.receiver, detail: '文三路 478 号' } });
      const done = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated after the fix');
      expect(done.exceptions?.[0]?.resolved).toMatchObject({ action: 'acknowledge', by: 'orderly' });
    });
  });

  it('applies the policy’s final action once the last level has passed, recorded as the policy’s', async () => {
    const rm = readModelMocks();
    rm.activities.validateOrder.mockImplementation(async () => incomplete);
    const ex = exceptionMocks({ action: 'cancel_order', afterHours: 9 });
    await withWorker(env, { ...rm.activities, ...shortThenPlannedMocks(env, 0, MINUTE), ...ex }, async (tq) => {
      const { orderId } = await start(tq);
      await waitFor(() => orderState(env, orderId), (s) => (s.exceptions?.length ?? 0) > 0, 'held');
      await env.sleep(8.5 * HOUR);
      await waitFor(() => Promise.resolve(ex.escalateOrderException.mock.calls.length), (n) => n === 3, 'three levels');
      expect((await orderState(env, orderId)).status).toBe('on_hold');
      await env.sleep(HOUR);
      expect((await orderHandle(env, orderId).result()).status).toBe('cancelled');
      expect(ex.recordExceptionResolution).toHaveBeenCalledWith(expect.objectContaining({ exceptionId: 'ex-1', action: 'cancel_order', resolvedBy: 'policy' }));
    });
  });

  it('warns that a released order will miss its promised ship time, and closes the warning when it ships', async () => {
    const rm = readModelMocks();
    const ex = exceptionMocks();
    const f = shortThenPlannedMocks(env, 0, MINUTE);
    const shipmentWarningLead = vi.fn(async (): Promise<ActivityOutput<'shipmentWarningLead'>> => ({ minutes: 120 }));
    const writeBackShipment = vi.fn(async (_i: ActivityInput<'writeBackShipment'>): Promise<ActivityOutput<'writeBackShipment'>> => ({ status: 'sent', attempts: 1 }));
    await withWorker(env, { ...rm.activities, ...f, ...ex, shipmentWarningLead, writeBackShipment }, async (tq) => {
      const now = await env.currentTimeMs();
      const promisedShipAt = new Date(now + 3 * HOUR).toISOString().replace(/\.\d+Z$/, 'Z');
      const { order, orderId } = await paidNow(env);
      await dispatcher(env, tq, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order: { ...order, promisedShipAt } });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      const packageId = `pkg-${orderId}`;
      const handle = orderHandle(env, orderId);
      await handle.signal(packageUpdateSignal, { packageId, type: 'released', carrierCode: 'YTO', memberOrderIds: [orderId] });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'released', 'released');
      // The warning lead is 2 hours: nothing after 30 minutes, SHIPMENT_OVERDUE after 70.
      await env.sleep(30 * MINUTE);
      expect(ex.openOrderException).not.toHaveBeenCalled();
      await env.sleep(40 * MINUTE);
      const warned = await waitFor(() => orderState(env, orderId), (s) => s.exceptions?.some((e) => e.type === 'SHIPMENT_OVERDUE') === true, 'overdue warning');
      expect(warned.exceptions?.[0]).toMatchObject({ kind: 'shipment_overdue', level: 0 });
      expect(ex.openOrderException.mock.calls[0]![0].detail).toMatchObject({ promisedShipAt, packages: [packageId] });
      await handle.signal(packageUpdateSignal, { packageId, type: 'shipped', carrierCode: 'YTO', trackingNo: 'YT0000000000001', at: new Date(await env.currentTimeMs()).toISOString() });
      expect((await handle.result()).status).toBe('shipped');
      expect(ex.recordExceptionResolution).toHaveBeenCalledWith(expect.objectContaining({ exceptionId: 'ex-1', action: 'acknowledge', resolvedBy: 'orderly' }));
    });
  });

  it('opens WAREHOUSE_REJECTED when the warehouse cannot ship a parcel, refuses an action that does not fit, and refunds instead of shipping', async () => {
    const rm = readModelMocks();
    const ex = exceptionMocks();
    const f = {
      ...shortThenPlannedMocks(env, 0, MINUTE),
      // The failed parcel is the warehouse's already: nothing to leave or stop.
      leavePackages: vi.fn(async (_i: ActivityInput<'leavePackages'>): Promise<ActivityOutput<'leavePackages'>> => []),
      interceptPackages: vi.fn(async (_i: ActivityInput<'interceptPackages'>): Promise<ActivityOutput<'interceptPackages'>> => ({ requested: [] })),
    };
    await withWorker(env, { ...rm.activities, ...f, ...ex }, async (tq) => {
      const { orderId } = await start(tq);
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      const packageId = `pkg-${orderId}`;
      const handle = orderHandle(env, orderId);
      await handle.signal(packageUpdateSignal, { packageId, type: 'released', carrierCode: 'YTO', memberOrderIds: [orderId] });
      await handle.signal(packageUpdateSignal, { packageId, type: 'failed', reason: 'parcel damaged in the warehouse', at: new Date(await env.currentTimeMs()).toISOString() });
      const held = await waitFor(() => orderState(env, orderId), (s) => s.exceptions?.some((e) => e.type === 'WAREHOUSE_REJECTED') === true, 'warehouse rejected');
      expect(held.status).toBe('on_hold');
      expect(await refused(handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'ship_available', resolvedBy: 'li' }] }))).toMatch(/does not resolve an exception of type WAREHOUSE_REJECTED/);
      await handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'refund', resolvedBy: 'li', comment: 'buyer agreed to a refund' }] });
      expect((await handle.result()).status).toBe('cancelled');
      // The seller's systems were asked to refund on the platform; the failed parcel's stock was given back.
      expect(ex.announceException).toHaveBeenCalledWith(expect.objectContaining({ exceptionId: 'ex-1', event: 'exception.refund_requested', by: 'li' }));
      expect(f.releaseStock).toHaveBeenCalledWith(expect.objectContaining({ orderId, only: [{ warehouseCode: 'WH-HZ', lineRefs: expect.any(Array) }] }));
      const done = await orderState(env, orderId);
      expect(done.exceptions?.[0]?.resolved).toMatchObject({ action: 'refund', by: 'li' });
      expect(done.timeline.map((t) => t.type)).toContain('refunded_instead_of_shipping');
    });
  });

  it('plans an unroutable order again once a person gives its address', async () => {
    const rm = readModelMocks();
    const ex = exceptionMocks();
    const f = shortThenPlannedMocks(env, 0, MINUTE);
    f.planFulfilment.mockImplementationOnce(async () => ({ status: 'unroutable', reason: 'receiver address not recognised: 火星省', decisions: [] }));
    await withWorker(env, { ...rm.activities, ...f, ...ex }, async (tq) => {
      const { orderId } = await start(tq);
      const held = await waitFor(() => orderState(env, orderId), (s) => s.exceptions?.some((e) => e.type === 'ADDRESS_AMBIGUOUS') === true, 'unroutable');
      expect(held.status).toBe('on_hold');
      const handle = orderHandle(env, orderId);
      expect(await refused(handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'release_hold', resolvedBy: 'li' }] }))).toMatch(/needs the order held/);
      await handle.executeUpdate(resolveExceptionUpdate, {
        args: [{ exceptionId: 'ex-1', action: 'choose_address', params: { province: '浙江省', city: '杭州市', district: '西湖区', regionCode: '330106' }, resolvedBy: 'li.cs' }],
      });
      const done = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated at the given address');
      expect(f.planFulfilment).toHaveBeenCalledTimes(2);
      expect(f.planFulfilment.mock.calls[1]![0].order.receiver).toMatchObject({ province: '浙江省', city: '杭州市', district: '西湖区' });
      expect(done.exceptions?.[0]?.resolved).toMatchObject({ action: 'choose_address', by: 'li.cs' });
      expect(statusesOn(done)).toEqual(['paid', 'on_hold', 'allocated']);
    });
  });

  it('sends a rejected parcel again with the carrier a person chose, and ships', async () => {
    const rm = readModelMocks();
    const ex = exceptionMocks();
    const f = shortThenPlannedMocks(env, 0, MINUTE);
    const writeBackShipment = vi.fn(async (_i: ActivityInput<'writeBackShipment'>): Promise<ActivityOutput<'writeBackShipment'>> => ({ status: 'sent', attempts: 1 }));
    await withWorker(env, { ...rm.activities, ...f, ...ex, writeBackShipment }, async (tq) => {
      const { orderId } = await start(tq);
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      const first = `pkg-${orderId}`;
      const handle = orderHandle(env, orderId);
      await handle.signal(packageUpdateSignal, { packageId: first, type: 'released', carrierCode: 'YTO', memberOrderIds: [orderId] });
      await handle.signal(packageUpdateSignal, { packageId: first, type: 'failed', reason: 'YTO refused the parcel', at: new Date(await env.currentTimeMs()).toISOString() });
      await waitFor(() => orderState(env, orderId), (s) => s.exceptions?.some((e) => e.type === 'WAREHOUSE_REJECTED') === true, 'warehouse rejected');

      // The next package the mock opens gets another id.
      f.joinPackage.mockImplementationOnce(async (input) => joinedAlone(input, `pkg-again-${orderId}`, new Date(await env.currentTimeMs()).toISOString()));
      const ok = await handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'reship', params: { carrierCode: 'SF' }, resolvedBy: 'wang.wh' }] });
      expect(ok.status).toBe('accepted');
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'released', 'released again');
      const again = f.joinPackage.mock.calls[1]![0];
      expect(again.parcel.key).toMatch(/:again-1$/);
      expect(again.flags.sealed).toBe(true);
      expect(again.rules?.carrier).toMatchObject({ choose: ['SF'], exclude: [] });

      const second = `pkg-again-${orderId}`;
      await handle.signal(packageUpdateSignal, { packageId: second, type: 'released', carrierCode: 'SF', memberOrderIds: [orderId] });
      await handle.signal(packageUpdateSignal, { packageId: second, type: 'shipped', carrierCode: 'SF', trackingNo: 'SF1400000000009', at: new Date(await env.currentTimeMs()).toISOString() });
      expect((await handle.result()).status).toBe('shipped');
      // Read after completion: the state comes from a replay of the whole history, so this also replays it.
      const end = await orderState(env, orderId);
      expect(end.fulfilment?.packages.map((p) => [p.packageId, p.status])).toEqual([
        [first, 'reshipped'],
        [second, 'shipped'],
      ]);
      expect(writeBackShipment).toHaveBeenCalledTimes(1);
      expect(writeBackShipment.mock.calls[0]![0]).toMatchObject({ packageId: second, carrierCode: 'SF', trackingNo: 'SF1400000000009' });
      expect(end.exceptions?.[0]?.resolved).toMatchObject({ action: 'reship', by: 'wang.wh' });
      expect(statusesOn(end)).toEqual(['paid', 'allocated', 'released', 'on_hold', 'released', 'shipped']);
    });
  });
});
