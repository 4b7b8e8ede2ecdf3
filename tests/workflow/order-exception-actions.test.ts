// Resolutions the order workflow carries out beyond releasing, editing and cancelling, on the time-skipping
// test server: shipping the part in stock with the rest back-ordered (拆分发货), shipping from a chosen
// warehouse, the policy's automatic and final resolutions, reminders, and the review's typed exceptions.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Suggestion } from '../../domain/exceptions/actions.js';
import type { CanonicalOrder } from '../../domain/order.js';
import { orderEventSignal, packageUpdateSignal, resolveExceptionUpdate, stockAvailableSignal } from '../../workflows/order.messages.js';
import { HOUR, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import {
  CARRIER,
  approvedReview,
  joinedAlone,
  orderHandle,
  orderState,
  planned,
  readModelMocks,
  refused,
  short,
  startPaidOrder,
  statusesOn,
  timedExceptionMocks,
  writeBackMock,
  type ActivityInput,
  type ActivityOutput,
} from './mocks.js';

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

const refOf = (o: CanonicalOrder, i: number) => o.lines[i]!.lineId ?? String(i + 1);
const linePart = (o: CanonicalOrder, i: number) => ({ lineRef: refOf(o, i), skuCode: o.lines[i]!.skuCode, quantity: o.lines[i]!.quantity });

/** A plan of only some of the order's lines (those `refs` names), from one warehouse, in one parcel. */
function plannedLines(orderId: string, order: CanonicalOrder, attempt: number, refs: readonly string[], warehouseCode = 'WH-HZ'): ActivityOutput<'planFulfilment'> {
  const p = planned(orderId, order, attempt);
  if (p.status !== 'planned') throw new Error('planned');
  const keep = <T extends { lineRef: string }>(xs: readonly T[]) => xs.filter((x) => refs.includes(x.lineRef));
  const assignments = keep(p.assignments).map((a) => ({ ...a, warehouseCode }));
  return {
    ...p,
    assignments,
    parcels: [{ ...p.parcels[0]!, key: `${orderId}:${warehouseCode}:express:${refs.join('+')}`, warehouseCode, lines: keep(p.parcels[0]!.lines) }],
  };
}

/** Exceptions due in two hours, escalating at two and four (see `timedExceptionMocks`). */
const exceptionMocks = (opts: Parameters<typeof timedExceptionMocks>[1] = {}) => timedExceptionMocks(env, { levelHours: [2, 4], ...opts });

/**
 * Stock for the first line only until `stockAvailable` says the rest arrived: a whole-order plan is short; a
 * plan of named lines (a resolution's, or the back-order's) is planned when those lines are in stock.
 */
function partialStockMocks() {
  let restArrived = false;
  let pkg = 0;
  const planFulfilment = vi.fn(async ({ orderId, order, attempt, directed }: ActivityInput<'planFulfilment'>): Promise<ActivityOutput<'planFulfilment'>> => {
    const refs = directed?.lines?.map((l) => l.lineRef) ?? order.lines.map((_, i) => refOf(order, i));
    const inStock = refs.every((r) => r === refOf(order, 0) || restArrived);
    if (!inStock) return { ...short(order, 6 * HOUR, attempt), shortages: [{ lineRef: refOf(order, 1), skuCode: order.lines[1]!.skuCode, requested: 1, allocated: 0, short: 1, availableAnywhere: 0 }] };
    return plannedLines(orderId, order, attempt, refs, directed?.warehouseCode ?? 'WH-HZ');
  });
  return {
    arrive: () => {
      restArrived = true;
    },
    activities: {
      planFulfilment,
      reserveStock: vi.fn(async (_input: ActivityInput<'reserveStock'>): Promise<ActivityOutput<'reserveStock'>> => ({ ok: true, reserved: 1, alreadyReserved: 0 })),
      joinPackage: vi.fn(async (input: ActivityInput<'joinPackage'>) => joinedAlone(input, `pkg-${++pkg}`, new Date(await env.currentTimeMs()).toISOString())),
      releaseStock: vi.fn(async (_input: ActivityInput<'releaseStock'>): Promise<ActivityOutput<'releaseStock'>> => ({ released: 0 })),
      writeBackShipment: writeBackMock(),
    },
  };
}

const shipAvailable = (order: CanonicalOrder): Record<string, unknown> => ({ warehouseCode: 'WH-HZ', lines: [linePart(order, 0)], backorder: [linePart(order, 1)] });

async function ship(orderId: string, packageId: string, trackingNo: string) {
  const handle = orderHandle(env, orderId);
  await handle.signal(packageUpdateSignal, { packageId, type: 'released', carrierCode: CARRIER, memberOrderIds: [orderId] });
  await handle.signal(packageUpdateSignal, { packageId, type: 'shipped', carrierCode: CARRIER, trackingNo, at: new Date(await env.currentTimeMs()).toISOString() });
}

describe('resolving a shortage', () => {
  it('ships the lines in stock now and the back-ordered one once it arrives (拆分发货), each parcel written back as part of a split shipment', async () => {
    const rm = readModelMocks();
    const ex = exceptionMocks();
    const stock = partialStockMocks();
    await withWorker(env, { ...rm.activities, ...ex, ...stock.activities }, async (tq) => {
      const { order, orderId } = await startPaidOrder(env, tq);
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'short' && s.exceptions?.[0]?.type === 'OUT_OF_STOCK', 'short');
      const handle = orderHandle(env, orderId);
      // Lines go whole; naming every line is not a split.
      const all = { warehouseCode: 'WH-HZ', lines: [linePart(order, 0), linePart(order, 1)] };
      expect(await refused(handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'ship_available', params: { ...all }, resolvedBy: 'li' }] }))).toMatch(/back-orders some lines/);
      expect(await refused(handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'ship_available', params: { warehouseCode: 'WH-HZ', lines: [{ ...linePart(order, 0), quantity: 1 }] }, resolvedBy: 'li' }] }))).toMatch(/ships whole lines/);

      const r = await handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'ship_available', params: shipAvailable(order), resolvedBy: 'li' }] });
      expect(r.status).toBe('accepted');
      const first = await waitFor(() => orderState(env, orderId), (s) => s.status === 'released' || s.status === 'allocated', 'the available part planned');
      expect(first.exceptions?.[0]?.resolved).toMatchObject({ action: 'ship_available', by: 'li' });
      expect(first.fulfilment?.backorder).toEqual([linePart(order, 1)]);
      expect(stock.activities.planFulfilment.mock.calls.at(-1)![0].directed).toMatchObject({ warehouseCode: 'WH-HZ', lines: [linePart(order, 0)] });

      await ship(orderId, 'pkg-1', 'YT1000000000001');
      // The first parcel is written back as part of a split shipment, naming its line; the order waits for the rest.
      const waiting = await waitFor(() => orderState(env, orderId), (s) => s.status === 'short', 'short for the back-order');
      expect(stock.activities.writeBackShipment).toHaveBeenCalledTimes(1);
      expect(stock.activities.writeBackShipment.mock.calls[0]![0]).toMatchObject({ packageId: 'pkg-1', split: true, lineIds: [refOf(order, 0)] });
      expect(waiting.timeline.findLast((e) => e.type === 'status:short')?.detail).toMatchObject({ backorder: [refOf(order, 1)] });
      expect(stock.activities.planFulfilment.mock.calls.at(-1)![0].directed).toMatchObject({ lines: [linePart(order, 1)] });
      expect(stock.activities.planFulfilment.mock.calls.at(-1)![0].directed?.warehouseCode).toBeUndefined();

      stock.arrive();
      await handle.signal(stockAvailableSignal, { skuCode: order.lines[1]!.skuCode, warehouseCode: 'WH-HZ', reason: 'adjustment' });
      await waitFor(() => orderState(env, orderId), (s) => s.fulfilment?.packages.length === 2, 'the back-order packed');
      await ship(orderId, 'pkg-2', 'YT1000000000002');
      await expect(handle.result()).resolves.toEqual({ orderId, status: 'shipped' });
      expect(stock.activities.writeBackShipment).toHaveBeenCalledTimes(2);
      expect(stock.activities.writeBackShipment.mock.calls[1]![0]).toMatchObject({ packageId: 'pkg-2', split: true, lineIds: [refOf(order, 1)] });
      const done = await orderState(env, orderId);
      expect(statusesOn(done)).toEqual(['paid', 'short', 'allocated', 'released', 'short', 'released', 'shipped']);
      expect(done.fulfilment?.backorder).toBeUndefined();
    });
  });

  it('applies the policy’s automatic resolution at once, recorded as the policy’s', async () => {
    const rm = readModelMocks();
    const stock = partialStockMocks();
    const ex = exceptionMocks({ autoResolve: { action: 'ship_available', params: {}, label: 'ship what WH-HZ has', policy: 'exceptions.configured v2' } });
    await withWorker(env, { ...rm.activities, ...ex, ...stock.activities }, async (tq) => {
      // The policy's params are the suggestion's: built from the order once it is known.
      const { order, orderId } = await startPaidOrderWith(tq, ex);
      const planned = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated' || s.status === 'released', 'planned by the policy');
      expect(planned.exceptions?.[0]?.resolved).toMatchObject({ action: 'ship_available', by: 'policy' });
      expect(planned.exceptions?.[0]?.resolved?.comment).toMatch(/exceptions.configured v2/);
      expect(planned.fulfilment?.backorder).toEqual([linePart(order, 1)]);
      expect(planned.timeline.map((e) => e.type)).toContain('exception_auto_resolving');
      expect(ex.recordExceptionResolution).toHaveBeenCalledWith(expect.objectContaining({ exceptionId: 'ex-1', action: 'ship_available', resolvedBy: 'policy' }));
    });
  });

  it('ships from the warehouse a person chose, moving stock there; keeps the exception open when the stock went meanwhile', async () => {
    const rm = readModelMocks();
    const ex = exceptionMocks();
    let gone = true;
    const planFulfilment = vi.fn(async ({ orderId, order, attempt, directed }: ActivityInput<'planFulfilment'>): Promise<ActivityOutput<'planFulfilment'>> => {
      if (!directed || gone) return short(order, 6 * HOUR, attempt);
      return plannedLines(orderId, order, attempt, order.lines.map((_, i) => refOf(order, i)), directed.warehouseCode);
    });
    const activities = {
      planFulfilment,
      reserveStock: vi.fn(async (_input: ActivityInput<'reserveStock'>): Promise<ActivityOutput<'reserveStock'>> => ({ ok: true, reserved: 2, alreadyReserved: 0 })),
      joinPackage: vi.fn(async (input: ActivityInput<'joinPackage'>) => joinedAlone(input, `pkg-${input.orderId}`, new Date(await env.currentTimeMs()).toISOString())),
      releaseStock: vi.fn(async (_input: ActivityInput<'releaseStock'>): Promise<ActivityOutput<'releaseStock'>> => ({ released: 0 })),
    };
    await withWorker(env, { ...rm.activities, ...ex, ...activities }, async (tq) => {
      const { orderId } = await startPaidOrder(env, tq);
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'short', 'short');
      const handle = orderHandle(env, orderId);
      const params = { warehouseCode: 'WH-BJ', transfers: [{ fromWarehouseCode: 'WH-GZ', skuCode: 'TEA-LJ-250', quantity: 2 }] };
      await handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'ship_from_warehouse', params, resolvedBy: 'li' }] });
      const failed = await waitFor(() => orderState(env, orderId), (s) => s.timeline.some((e) => e.type === 'resolution_failed'), 'the stock had gone');
      expect(failed.status).toBe('short');
      expect(failed.exceptions?.[0]?.resolved).toBeUndefined();
      expect(planFulfilment.mock.calls.map((c) => c[0].directed).filter(Boolean)).toEqual([{ reason: 'ship_from_warehouse by li', warehouseCode: 'WH-BJ', transfers: true }]);

      gone = false;
      await handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'ship_from_warehouse', params, resolvedBy: 'wang' }] });
      const done = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated from WH-BJ');
      expect(done.fulfilment?.packages[0]?.warehouseCode).toBe('WH-BJ');
      expect(done.exceptions?.[0]?.resolved).toMatchObject({ action: 'ship_from_warehouse', by: 'wang' });
    });
  });

  it('keeps the exception’s shortages current as plans find other things short, and ships the available part as the final action', async () => {
    const rm = readModelMocks();
    const stock = partialStockMocks();
    const ex = exceptionMocks({ finalAction: { action: 'ship_available', afterHours: 6 } });
    let fresh: Suggestion[] = [];
    ex.refreshOrderException.mockImplementation(async () => ({ refreshed: true, suggestions: fresh }));
    // From the second plan on, three units of the short SKU have turned up somewhere: the shortage changed.
    const base = stock.activities.planFulfilment.getMockImplementation()!;
    stock.activities.planFulfilment.mockImplementation(async (input) => {
      const r = await base(input);
      return r.status === 'short' && input.attempt > 1 ? { ...r, shortages: r.shortages.map((x) => ({ ...x, availableAnywhere: 3 })) } : r;
    });
    await withWorker(env, { ...rm.activities, ...ex, ...stock.activities }, async (tq) => {
      const { order, orderId } = await startPaidOrder(env, tq);
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'short', 'short');
      fresh = [{ action: 'ship_available', rank: 1, label: 'ship line 1 now', costFen: 1000, deliveryDelayDays: 0, params: shipAvailable(order) }];
      // The final action (six hours on) takes the suggestion as it is then.
      await env.sleep(7 * HOUR);
      const done = await waitFor(() => orderState(env, orderId), (s) => s.exceptions?.[0]?.resolved !== undefined, 'the final action');
      expect(done.exceptions?.[0]?.resolved).toMatchObject({ action: 'ship_available', by: 'policy' });
      expect(done.fulfilment?.backorder).toEqual([linePart(order, 1)]);
      // The re-plan at six hours found the shortage changed: the exception was brought up to date with it.
      expect(ex.refreshOrderException.mock.calls[0]![0]).toMatchObject({ exceptionId: 'ex-1', kind: 'out_of_stock', detail: { shortages: [{ availableAnywhere: 3 }] } });
    });
  });
});

describe('an exception that outlives its order', () => {
  it('opens INTERCEPT_FAILED for a parcel that went despite a change, and hands it to a watch of its own when the order ends', async () => {
    const rm = readModelMocks();
    const ex = exceptionMocks();
    const stock = partialStockMocks();
    stock.arrive();
    const interceptPackages = vi.fn(async ({ packageIds }: ActivityInput<'interceptPackages'>): Promise<ActivityOutput<'interceptPackages'>> => ({ requested: packageIds }));
    await withWorker(env, { ...rm.activities, ...ex, ...stock.activities, interceptPackages }, async (tq) => {
      const { order, orderId } = await startPaidOrder(env, tq);
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      const handle = orderHandle(env, orderId);
      await handle.signal(packageUpdateSignal, { packageId: 'pkg-1', type: 'released', carrierCode: CARRIER, memberOrderIds: [orderId] });
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'released', 'released');
      await handle.signal(orderEventSignal, { eventId: `${orderId}#address`, type: 'address_changed', receiver: { ...order.receiver, detail: '古墩路**号' } });
      await waitFor(() => orderState(env, orderId), (s) => s.timeline.some((e) => e.type === 'interception_requested'), 'asked back');
      await handle.signal(packageUpdateSignal, { packageId: 'pkg-1', type: 'shipped', carrierCode: CARRIER, trackingNo: 'YT7200000000001', at: new Date(await env.currentTimeMs()).toISOString() });
      await expect(handle.result()).resolves.toMatchObject({ status: 'shipped' });
      const done = await orderState(env, orderId);
      const open = (done.exceptions ?? []).filter((e) => !e.resolved);
      expect(open.map((e) => e.type).sort()).toEqual(['INTERCEPT_FAILED', 'PLATFORM_CHANGED']);
      expect(done.timeline.filter((e) => e.type === 'exception_handed_over')).toHaveLength(2);
      // Each open one has a watch of its own, which escalates it level by level after the order's run closed.
      for (const e of open) {
        const watch = env.client.workflow.getHandle(`exception:${e.id}`);
        expect((await watch.describe()).type).toBe('exceptionWatchWorkflow');
        await expect(watch.result()).resolves.toMatchObject({ exceptionId: e.id, outcome: 'escalated', level: 2 });
        const levels = ex.escalateOrderException.mock.calls.map((c) => c[0]).filter((c) => c.exceptionId === e.id).map((c) => c.level);
        expect(levels).toEqual([1, 2]);
      }
    });
  });
});

describe('reminders and the review’s exceptions', () => {
  it('reminds the buyer of a held order without closing its exception', async () => {
    const rm = readModelMocks();
    const ex = exceptionMocks();
    rm.activities.validateOrder.mockImplementation(async () => [{ code: 'address_detail_missing', field: 'receiver.detail', message: 'street missing', severity: 'blocking' }]);
    await withWorker(env, { ...rm.activities, ...ex }, async (tq) => {
      const { orderId } = await startPaidOrder(env, tq);
      await waitFor(() => orderState(env, orderId), (s) => s.status === 'on_hold' && s.exceptions?.length === 1, 'held');
      const handle = orderHandle(env, orderId);
      const r = await handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'notify_buyer', resolvedBy: 'cs.zhao', comment: 'asked for the street' }] });
      expect(r.status).toBe('accepted');
      expect(ex.announceException).toHaveBeenCalledWith(expect.objectContaining({ exceptionId: 'ex-1', event: 'exception.notify_buyer', by: 'cs.zhao', type: 'INCOMPLETE_INFO' }));
      const after = await orderState(env, orderId);
      expect(after.exceptions?.[0]?.resolved).toBeUndefined();
      expect(after.timeline.map((e) => e.type)).toContain('buyer_reminded');
      // Still resolvable: the reminder did not use the exception up.
      await handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'cancel_order', resolvedBy: 'cs.zhao' }] });
      expect((await handle.result()).status).toBe('cancelled');
    });
  });

  it('opens PRICE_MISMATCH beside the manual review, and approves the order when finance releases it in the exception queue', async () => {
    const rm = readModelMocks();
    const ex = exceptionMocks();
    const reason = 'paid amount differs from the price rules';
    rm.activities.reviewOrder.mockImplementation(async () =>
      approvedReview({ verdict: { kind: 'manual_review', reasons: [reason] }, exceptions: [{ type: 'PRICE_MISMATCH', reason }], pricing: { consistent: false, differenceFen: -500, findings: ['paid 5.00 less'] } }),
    );
    const stock = partialStockMocks();
    stock.arrive();
    const recordReviewDecision = vi.fn(async (_i: ActivityInput<'recordReviewDecision'>): Promise<ActivityOutput<'recordReviewDecision'>> => ({ recorded: true }));
    const escalateReview = vi.fn(async (_i: ActivityInput<'escalateReview'>): Promise<ActivityOutput<'escalateReview'>> => ({ escalated: true }));
    await withWorker(env, { ...rm.activities, ...ex, ...stock.activities, recordReviewDecision, escalateReview }, async (tq) => {
      const { orderId } = await startPaidOrder(env, tq);
      const pending = await waitFor(() => orderState(env, orderId), (s) => s.status === 'pending_review' && s.exceptions?.length === 1, 'pending review with its exception');
      expect(pending.exceptions?.[0]).toMatchObject({ kind: 'price_mismatch', type: 'PRICE_MISMATCH' });
      expect(ex.openOrderException).toHaveBeenCalledWith(expect.objectContaining({ kind: 'price_mismatch', detail: expect.objectContaining({ reason, differenceFen: -500 }) }));
      const handle = orderHandle(env, orderId);
      await handle.executeUpdate(resolveExceptionUpdate, { args: [{ exceptionId: 'ex-1', action: 'release_hold', resolvedBy: 'finance.qian' }] });
      const done = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'approved and allocated');
      expect(done.review?.decision).toMatchObject({ decision: 'approve', reviewer: 'finance.qian' });
      expect(done.exceptions?.[0]?.resolved).toMatchObject({ action: 'release_hold', by: 'finance.qian' });
      expect(recordReviewDecision).toHaveBeenCalledWith(expect.objectContaining({ status: 'approved', reviewer: 'finance.qian' }));
      expect(statusesOn(done)).toEqual(['paid', 'pending_review', 'allocated']);
    });
  });
});

/** Starts a paid order whose automatic resolution's params are built from the order (as suggestions are). */
async function startPaidOrderWith(tq: string, ex: ReturnType<typeof exceptionMocks>) {
  const base = ex.openOrderException.getMockImplementation()!;
  ex.openOrderException.mockImplementation(async (input) => {
    const r = await base(input);
    return r.autoResolve && input.order ? { ...r, autoResolve: { ...r.autoResolve, params: shipAvailable(input.order) } } : r;
  });
  return startPaidOrder(env, tq);
}
