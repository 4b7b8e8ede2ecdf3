// The package hold window on the time-skipping test server: a package waits its window for more orders of
// the same buyer and address, then is sealed with whoever joined, released, and reports back to its orders.
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  packageJoinSignal,
  packageStateQuery,
  packageWorkflowId,
  packageWorkflowType,
  warehouseEventSignal,
  type PackageJoin,
  type PackageWorkflow,
  type PackageState,
} from '../../workflows/package.messages.js';
import { DAY, MINUTE, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import {
  canonical,
  CARRIER,
  carrierDecision,
  dispatcher,
  orderHandle,
  orderState,
  planned,
  readModelMocks,
  statusesOn,
  writeBackMock,
  type ActivityInput,
  type ActivityOutput,
} from './mocks.js';

const HOLD_WINDOW = 30 * MINUTE;

let env: TestWorkflowEnvironment;
// A test server of its own per test: time skipping is global to a server, so no test can hold another's clock.
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

type PackageHandle = WorkflowHandle<PackageWorkflow>;
type Member = ActivityOutput<'sealPackage'>['members'][number];

/** Starts (or joins) a package the way the joinPackage activity does: signal-with-start of `package:<id>`. */
async function join(taskQueue: string, packageId: string, windowEnd: string, member: PackageJoin): Promise<PackageHandle> {
  return env.client.workflow.signalWithStart<PackageWorkflow, [PackageJoin]>(packageWorkflowType, {
    workflowId: packageWorkflowId(packageId),
    taskQueue,
    args: [{ packageId, windowEnd }],
    signal: packageJoinSignal,
    signalArgs: [member],
  });
}

/** The package side of the database: the members each package has when it is sealed, and when that was (workflow time). */
function packageMocks(members: Map<string, Member[]>) {
  const sealedAt: number[] = [];
  return {
    sealedAt,
    activities: {
      sealPackage: vi.fn(async ({ packageId }: ActivityInput<'sealPackage'>): Promise<ActivityOutput<'sealPackage'>> => {
        sealedAt.push(await env.currentTimeMs());
        return { status: 'sealed', members: members.get(packageId) ?? [] };
      }),
      releasePackage: vi.fn(
        async ({ packageId }: ActivityInput<'releasePackage'>): Promise<ActivityOutput<'releasePackage'>> => ({ carrierCode: CARRIER, decision: carrierDecision(packageId), released: true }),
      ),
      recordWarehouseEvent: vi.fn(async (_input: ActivityInput<'recordWarehouseEvent'>): Promise<ActivityOutput<'recordWarehouseEvent'>> => ({ applied: true })),
    },
  };
}

const eventTypes = (s: PackageState) => s.events.map((e) => e.type);

describe('package hold window', () => {
  it('waits its window for more members, then seals with those still in it and releases', async () => {
    const packageId = `pkg-${Date.now()}`;
    const members = new Map<string, Member[]>();
    const pkg = packageMocks(members);
    const rm = readModelMocks();
    await withWorker(env, { ...rm.activities, ...pkg.activities }, async (taskQueue) => {
      // The members are real order workflows (waiting for payment here), so the package's news reaches them.
      const deliver = dispatcher(env, taskQueue, 7 * DAY);
      const member = async (): Promise<PackageJoin> => {
        const { order, orderId } = canonical();
        await deliver.dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
        return { orderId, packageKey: `${orderId}:WH-HZ:express` };
      };
      const [a, b, c] = [await member(), await member(), await member()];
      const windowEnd = new Date((await env.currentTimeMs()) + HOLD_WINDOW).toISOString();
      const handle = await join(taskQueue, packageId, windowEnd, a);
      await waitFor(() => handle.query(packageStateQuery), (s) => s.joined.length === 1, 'the first member');

      // Ten minutes in, two more orders of the same buyer and address join; one of them leaves again.
      await env.sleep(10 * MINUTE);
      await join(taskQueue, packageId, windowEnd, b);
      await join(taskQueue, packageId, windowEnd, c);
      members.set(packageId, [
        { ...a, status: 'joined' },
        { ...b, status: 'joined' },
        { ...c, status: 'left' },
      ]);
      const open = await waitFor(() => handle.query(packageStateQuery), (s) => s.joined.length === 3, 'three members');
      expect(open.status).toBe('open');
      expect(open.windowEnd).toBe(windowEnd);

      // Five minutes before the window ends: still open, nothing sealed.
      await env.sleep(15 * MINUTE);
      expect((await handle.query(packageStateQuery)).status).toBe('open');
      expect(pkg.activities.sealPackage).not.toHaveBeenCalled();

      await env.sleep(6 * MINUTE);
      const released = await waitFor(() => handle.query(packageStateQuery), (s) => s.status === 'released', 'released');
      expect(pkg.activities.sealPackage).toHaveBeenCalledTimes(1);
      expect(pkg.activities.sealPackage).toHaveBeenCalledWith({ packageId });
      expect(pkg.sealedAt[0]).toBeGreaterThanOrEqual(Date.parse(windowEnd));
      expect(Date.parse(released.events.find((e) => e.type === 'sealed')!.at)).toBeGreaterThanOrEqual(Date.parse(windowEnd));
      expect(released.joined).toEqual([a.orderId, b.orderId, c.orderId]);
      expect(released.members).toEqual([a.orderId, b.orderId]);
      expect(released.carrierCode).toBe(CARRIER);
      expect(eventTypes(released)).toEqual(['joined', 'joined', 'joined', 'sealed', 'released']);
      expect(pkg.activities.releasePackage).toHaveBeenCalledTimes(1);

      // The warehouse ships it: the package is done.
      await handle.signal(warehouseEventSignal, { eventId: `${packageId}#shipped`, type: 'shipped', carrierCode: CARRIER, trackingNo: 'YT7009876543210' });
      await expect(handle.result()).resolves.toEqual({ packageId, status: 'shipped' });
      expect(pkg.activities.recordWarehouseEvent).toHaveBeenCalledTimes(1);
    });
  });

  it('is cancelled, never released, when every member left before the window closed', async () => {
    const packageId = `pkg-left-${Date.now()}`;
    const members = new Map<string, Member[]>();
    const pkg = packageMocks(members);
    await withWorker(env, pkg.activities, async (taskQueue) => {
      const windowEnd = new Date((await env.currentTimeMs()) + HOLD_WINDOW).toISOString();
      const a = { orderId: 'order:jd:shop-test:2001', packageKey: 'order:jd:shop-test:2001:WH-HZ:express' };
      members.set(packageId, [{ ...a, status: 'left' }]);
      const handle = await join(taskQueue, packageId, windowEnd, a);
      await expect(handle.result()).resolves.toEqual({ packageId, status: 'cancelled' });
      const state = await handle.query(packageStateQuery);
      expect(pkg.sealedAt[0]).toBeGreaterThanOrEqual(Date.parse(windowEnd));
      expect(state.members).toEqual([]);
      expect(eventTypes(state)).toEqual(['joined', 'cancelled']);
      expect(pkg.activities.releasePackage).not.toHaveBeenCalled();
    });
  });

  it('merges two orders of one buyer within the window into one parcel and ships both', async () => {
    const rm = readModelMocks();
    const writeBackShipment = writeBackMock();
    const members = new Map<string, Member[]>();
    const pkg = packageMocks(members);
    // The joinPackage activity's database part: one open package per buyer and address, its window from the first join.
    const open = new Map<string, { packageId: string; windowEnd: string }>();
    const joinPackage = vi.fn(async ({ orderId, order, parcel }: ActivityInput<'joinPackage'>): Promise<ActivityOutput<'joinPackage'>> => {
      const mergeKey = `${order.shopId}|${order.buyerKey}|${order.receiver.detail}|${parcel.warehouseCode}`;
      let p = open.get(mergeKey);
      if (!p) {
        p = { packageId: `pkg-merge-${Date.now()}`, windowEnd: new Date((await env.currentTimeMs()) + HOLD_WINDOW).toISOString() };
        open.set(mergeKey, p);
      }
      const list = members.get(p.packageId) ?? [];
      list.push({ orderId, packageKey: parcel.key, status: 'joined' });
      members.set(p.packageId, list);
      // The package runs on the order worker's task queue, as in production.
      await join(Context.current().info.taskQueue, p.packageId, p.windowEnd, { orderId, packageKey: parcel.key });
      return {
        packageId: p.packageId,
        packageKey: parcel.key,
        windowEnd: p.windowEnd,
        merged: list.length - 1,
        decision: { step: `merge:${parcel.key}`, kind: 'merge', ruleId: 'test-merge', ruleVersion: 1, outcome: `joined package ${p.packageId}` },
      };
    });
    const activities = {
      ...rm.activities,
      ...pkg.activities,
      writeBackShipment,
      planFulfilment: vi.fn(async ({ orderId, order, attempt }: ActivityInput<'planFulfilment'>) => planned(orderId, order, attempt)),
      reserveStock: vi.fn(async () => ({ ok: true as const, reserved: 2, alreadyReserved: 0 })),
      joinPackage,
    };
    await withWorker(env, activities, async (taskQueue) => {
      const paidAt = new Date(await env.currentTimeMs()).toISOString().replace(/\.\d+Z$/, 'Z');
      const first = canonical({ paidAt });
      const second = canonical({ paidAt, buyerKey: first.order.buyerKey, platformOrderId: `${first.order.platformOrderId}2` });
      const deliver = dispatcher(env, taskQueue, HOLD_WINDOW * 4);
      await deliver.dispatch(first.orderId, { eventId: `${first.orderId}#created`, type: 'created', order: first.order });
      await waitFor(() => orderState(env, first.orderId), (s) => s.status === 'allocated', 'the first order allocated to its package');
      const [{ packageId, windowEnd }] = [...open.values()] as [{ packageId: string; windowEnd: string }];
      const pkgHandle = env.client.workflow.getHandle<PackageWorkflow>(packageWorkflowId(packageId));

      await env.sleep(10 * MINUTE);
      await deliver.dispatch(second.orderId, { eventId: `${second.orderId}#created`, type: 'created', order: second.order });
      const secondReleased = await waitFor(() => orderState(env, second.orderId), (s) => s.status === 'allocated', 'the second order allocated to its package');
      expect(secondReleased.fulfilment?.packages.map((p) => p.packageId)).toEqual([packageId]);
      const waiting = await pkgHandle.query(packageStateQuery);
      expect(waiting.status).toBe('open');
      expect(waiting.joined).toEqual([first.orderId, second.orderId]);
      expect(pkg.activities.sealPackage).not.toHaveBeenCalled();

      // The window closes: sealed with both, released, and both orders hear it.
      await env.sleep(21 * MINUTE);
      const released = await waitFor(() => pkgHandle.query(packageStateQuery), (s) => s.status === 'released', 'the package released');
      expect(released.members).toEqual([first.orderId, second.orderId]);
      expect(pkg.sealedAt[0]).toBeGreaterThanOrEqual(Date.parse(windowEnd));
      for (const [self, other] of [
        [first.orderId, second.orderId],
        [second.orderId, first.orderId],
      ] as const) {
        const s = await waitFor(() => orderState(env, self), (x) => x.status === 'released', `${self} told of the release`);
        expect(s.fulfilment?.packages[0]).toMatchObject({ packageId, status: 'released', mergedWith: [other], carrierCode: CARRIER });
      }

      await pkgHandle.signal(warehouseEventSignal, { eventId: `${packageId}#shipped`, type: 'shipped', carrierCode: CARRIER, trackingNo: 'YT7005555555555' });
      await expect(orderHandle(env, first.orderId).result()).resolves.toEqual({ orderId: first.orderId, status: 'shipped' });
      await expect(orderHandle(env, second.orderId).result()).resolves.toEqual({ orderId: second.orderId, status: 'shipped' });
      await expect(pkgHandle.result()).resolves.toEqual({ packageId, status: 'shipped' });
      expect(writeBackShipment.mock.calls.map(([c]) => [c.orderId, c.trackingNo]).sort()).toEqual(
        [
          [first.orderId, 'YT7005555555555'],
          [second.orderId, 'YT7005555555555'],
        ].sort(),
      );
      expect(statusesOn(await orderState(env, second.orderId))).toEqual(['paid', 'allocated', 'released', 'shipped']);
      expect(joinPackage).toHaveBeenCalledTimes(2);
    });
  });
});
