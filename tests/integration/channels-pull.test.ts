import { ScheduleOverlapPolicy, type ScheduleOptionsAction } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createChannelActivities } from '../../activities/channel-activities.js';
import { upgradePullSchedules } from '../../api/channels/pull-schedule.js';
import { PlatformSimulator, type SimShop } from '../../channels/simulator/server.js';
import { listExceptions } from '../../db/channels.repository.js';
import { orderWorkflowId } from '../../domain/order.js';
import { controlTaskPriority } from '../../domain/fulfilment/task-priority.js';
import { pullSyncWorkflowType, type PullSyncResult, type PullSyncWorkflow } from '../../workflows/pull-sync.messages.js';
import { eventually, maybeRecordHistory, type TestStack } from '../helpers/stack.js';
import { connectShop, withSimulatorStack } from './channels-helpers.js';

let stack: TestStack;
const sim = new PlatformSimulator({ seed: 11, presaleRate: 0.1, unpaidRate: 0.1 });

withSimulatorStack(sim, (s) => (stack = s));

/** One pull run; `record` names its history for the replay test (`RECORD_HISTORIES`). */
async function runPull(shop: SimShop, record?: string): Promise<PullSyncResult> {
  const workflowId = `pull-sync:${shop.shopId}-test-${Date.now()}`;
  const result = await stack.client.workflow.execute<PullSyncWorkflow>(pullSyncWorkflowType, {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [{ shopId: shop.shopId }],
  });
  if (record) await maybeRecordHistory(stack.client, workflowId, record);
  return result;
}

describe.each(['taobao', 'jd', 'douyin', 'pdd'] as const)('pull from %s', (platform) => {
  it('ingests every order exactly once across pages, runs and orders modified mid-pull', async () => {
    // Lag 2 s: a change made during the pull moves the order past the window's end.
    const shop = await connectShop(stack.app, sim, platform, { syncMode: 'pull', pullLagSeconds: 2, pullOverlapSeconds: 60, pullIntervalSeconds: 3600 });
    const t0 = Date.now();
    // More than two pages (page sizes are 50..100), spread over the last few minutes.
    const first = Array.from({ length: 230 }, (_, i) => sim.createOrder(shop, new Date(t0 - 240_000 + i * 1000)));
    let pages = 0;
    sim.onListPage = (p) => {
      if (p !== platform) return;
      pages++;
      // While the walk is under way, orders on pages already read and not yet read change.
      if (pages === 2) for (const o of [first[3]!, first[120]!, first[200]!, first[228]!]) sim.modifyOrder(o);
    };
    // Several pages, and on a forward walk a second pass (the total changed under it).
    const r1 = await runPull(shop, `pull-sync-${platform}-pages`);
    expect(r1.status, r1.error).toBe('done');

    // Second run: new orders after the cursor, and changes to old ones.
    const second = Array.from({ length: 40 }, () => sim.createOrder(shop, new Date(Date.now() - 2500)));
    sim.modifyOrder(first[10]!, new Date(Date.now() - 2500));
    await new Promise((res) => setTimeout(res, 600));
    const r2 = await runPull(shop);
    sim.onListPage = undefined;
    expect(r2.status, r2.error).toBe('done');

    const all = [...first, ...second];
    const ids = all.map((o) => orderWorkflowId(platform, shop.shopId, o.id));
    const rows = await stack.db.selectFrom('orders').select('id').where('shop_id', '=', shop.shopId).execute();
    expect(new Set(rows.map((x) => x.id))).toEqual(new Set(ids));
    expect(rows).toHaveLength(all.length);
    const created = await stack.db.selectFrom('channel_events').select(['order_id']).where('shop_id', '=', shop.shopId).where('event_type', '=', 'created').execute();
    // One `created` per order; re-reads of the same version are inbox duplicates, changes are snapshots.
    expect(created).toHaveLength(all.length);
    expect(new Set(created.map((c) => c.order_id)).size).toBe(all.length);
    const cursor = await stack.db.selectFrom('pull_cursors').selectAll().where('shop_id', '=', shop.shopId).executeTakeFirstOrThrow();
    expect(cursor.cursor_at.toISOString()).toBe(r2.cursor);
    expect(cursor.consecutive_failures).toBe(0);
    // The pulls never failed (orders the review rules send to a person have exceptions of their own types).
    const sync = (await listExceptions(stack.db, { shopId: shop.shopId })).filter((e) => e.type === 'SYNC_FAILING');
    expect(sync).toEqual([]);
  });
});

describe('pull schedule and failures', () => {
  it('creates the shop’s Schedule with SKIP overlap and its interval, and pauses it when pulls are turned off', async () => {
    const shop = await connectShop(stack.app, sim, 'jd', { pullIntervalSeconds: 90 });
    const d = await stack.client.schedule.getHandle(`pull-sync:${shop.shopId}`).describe();
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(d.spec.intervals?.[0]?.every).toBe(90_000);
    expect(d.state.paused).toBe(false);
    const res = await stack.app.inject({ method: 'PATCH', url: `/v1/shops/${shop.shopId}`, payload: { active: false } });
    expect(res.statusCode).toBe(200);
    expect(res.json().pull.schedule).toBe('paused');
    expect((await stack.client.schedule.getHandle(`pull-sync:${shop.shopId}`).describe()).state.paused).toBe(true);
    await stack.client.schedule.getHandle(`pull-sync:${shop.shopId}`).delete();
  });

  it('starts its runs with the control task priority, their orders with the shop as fairness key, and gives a Schedule made without it the priority', async () => {
    const shop = await connectShop(stack.app, sim, 'jd', { pullIntervalSeconds: 3600 });
    const o = sim.createOrder(shop, new Date(Date.now() - 30_000));
    const handle = stack.client.schedule.getHandle(`pull-sync:${shop.shopId}`);
    const actionPriority = async () => ((await handle.describe()).action as { priority?: Priority }).priority;
    expect(await actionPriority()).toMatchObject(controlTaskPriority());

    // A run the Schedule starts has it (and its activities inherit it from the run).
    await handle.trigger();
    const [taken] = await eventually(async () => (await handle.describe()).info.recentActions, (a) => a.length > 0, 20_000, 'a run started by the Schedule');
    const run = stack.client.workflow.getHandle<PullSyncWorkflow>(taken!.action.workflow.workflowId);
    expect((await run.describe()).priority).toMatchObject(controlTaskPriority());
    const r = await run.result();
    expect(r.status, r.error).toBe('done');
    expect(r.ingested).toBe(1);
    // The order it pulled runs beside a backlog of other shops' orders: its shop is its fairness key.
    const order = await stack.client.workflow.getHandle(orderWorkflowId('jd', shop.shopId, o.id)).describe();
    expect(order.priority).toMatchObject({ priorityKey: 3, fairnessKey: shop.shopId });

    // A Schedule an earlier release made, without the priority, gets it (the API does this when it starts).
    await handle.update((prev) => {
      const action: ScheduleOptionsAction & { priority?: Priority } = { ...prev.action, priority: undefined };
      return { ...prev, action };
    });
    expect((await actionPriority())?.priorityKey).toBeUndefined();
    // Schedules are listed from visibility, which may lag a moment behind.
    await eventually(
      async () => {
        await upgradePullSchedules(stack.client);
        return actionPriority();
      },
      (p) => p?.priorityKey === controlTaskPriority().priorityKey,
      20_000,
      'the Schedule given the control priority',
    );
    const d = await handle.describe();
    expect(d.action).toMatchObject({ taskQueue: stack.taskQueue, priority: controlTaskPriority() });
    expect(d.spec.intervals?.[0]?.every).toBe(3_600_000);
    await handle.delete();
  });

  it('raises one alert for a shop whose pulls keep failing, and resolves it when they work again', async () => {
    const shop = await connectShop(stack.app, sim, 'douyin', { syncMode: 'pull', pullIntervalSeconds: 3600 });
    const acts = createChannelActivities({ db: stack.db, temporal: stack.client, config: stack.config, logger: stack.logger });
    sim.failNext(1000);
    const plan = await acts.planPullWindow({ shopId: shop.shopId });
    await expect(acts.pullPage({ shopId: shop.shopId, window: plan.windows[0]!, page: 0, pageSize: 100, probe: false })).rejects.toThrow(/503/);
    for (let i = 0; i < 4; i++) await acts.recordPullRunFailure({ shopId: shop.shopId, error: 'HTTP 503' });
    sim.failNext(0);
    const open = await listExceptions(stack.db, { shopId: shop.shopId, kind: 'channel_pull_failing', status: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]!.detail).toMatchObject({ lastError: 'HTTP 503' });
    const r = await runPull(shop);
    expect(r.status).toBe('done');
    expect(await listExceptions(stack.db, { shopId: shop.shopId, kind: 'channel_pull_failing', status: 'open' })).toHaveLength(0);
  });
});
