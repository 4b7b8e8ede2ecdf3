import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import { controlTaskPriority } from '../../domain/fulfilment/task-priority.js';
import { pullSyncWorkflowType, type PullSyncInput } from '../../workflows/pull-sync.messages.js';

export type PullScheduleState = 'running' | 'paused' | 'none';

export function pullScheduleId(shopId: string): string {
  return `pull-sync:${shopId}`;
}

export interface PullScheduleSpec {
  shopId: string;
  platform: string;
  intervalS: number;
  enabled: boolean;
  taskQueue: string;
}

/** A schedule's start action with a task priority. The SDK's type leaves `priority` out; its client sends it all the same. */
type PrioritisedAction = ScheduleOptionsAction & { priority?: Priority };

function action(s: PullScheduleSpec): ScheduleOptionsAction {
  const args: [PullSyncInput] = [{ shopId: s.shopId }];
  const a: PrioritisedAction = {
    type: 'startWorkflow',
    workflowType: pullSyncWorkflowType,
    // The schedule appends the run's time: `pull-sync:<shop>-<timestamp>`.
    workflowId: pullScheduleId(s.shopId),
    taskQueue: s.taskQueue,
    args,
    staticSummary: `pull ${s.platform} shop ${s.shopId} every ${s.intervalS} s`,
    // Pull runs share the orders' task queue: with the control priority their workflow tasks, and the
    // activities they run (which inherit a workflow's priority), are handed out ahead of any backlog of order
    // tasks, so a peak of orders does not hold a shop's pulls back (bench/pull-starvation.bench.ts).
    priority: controlTaskPriority(),
  };
  return a;
}

/** Whether a schedule's action starts its runs with the control priority. */
function hasControlPriority(a: object): boolean {
  const p = (a as { priority?: Priority }).priority;
  const control = controlTaskPriority();
  return p?.priorityKey === control.priorityKey && p.fairnessKey === control.fairnessKey;
}

/**
 * Makes the shop's Temporal Schedule match its settings: created when pulls are first enabled, updated
 * when the interval changes, paused (not deleted: its run history stays visible) when pulls are disabled.
 * SKIP overlap: a slow pull is never stacked behind another of the same shop.
 */
export async function syncPullSchedule(client: Client, s: PullScheduleSpec): Promise<PullScheduleState> {
  const id = pullScheduleId(s.shopId);
  const handle = client.schedule.getHandle(id);
  let exists = true;
  try {
    await handle.describe();
  } catch (e) {
    if (!(e instanceof ScheduleNotFoundError)) throw e;
    exists = false;
  }
  if (!exists) {
    if (!s.enabled) return 'none';
    await client.schedule.create({
      scheduleId: id,
      spec: { intervals: [{ every: `${s.intervalS}s` }] },
      action: action(s),
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      state: { note: `pulls of shop ${s.shopId}` },
    });
    return 'running';
  }
  await handle.update((prev) => ({
    ...prev,
    spec: { intervals: [{ every: `${s.intervalS}s` }] },
    action: action(s),
    policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP },
    state: { ...prev.state, paused: !s.enabled, note: s.enabled ? `pulls of shop ${s.shopId}` : 'pulls disabled for this shop' },
  }));
  return s.enabled ? 'running' : 'paused';
}

/**
 * Gives the pull Schedules made before their runs had the control priority that priority, leaving the rest of
 * each as it is (interval, task queue, paused or not). Run in the background when the API starts; a Schedule
 * already right costs one describe. Returns how many were changed.
 */
export async function upgradePullSchedules(client: Client): Promise<number> {
  let changed = 0;
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(pullScheduleId(''))) continue;
    const handle = client.schedule.getHandle(s.scheduleId);
    try {
      if (hasControlPriority((await handle.describe()).action)) continue;
      await handle.update((prev) => {
        const a: PrioritisedAction = { ...prev.action, priority: controlTaskPriority() };
        return { ...prev, action: a };
      });
      changed++;
    } catch (e) {
      // Deleted since it was listed: nothing to upgrade.
      if (!(e instanceof ScheduleNotFoundError)) throw e;
    }
  }
  return changed;
}

export async function describePullSchedule(client: Client, shopId: string): Promise<PullScheduleState> {
  try {
    const d = await client.schedule.getHandle(pullScheduleId(shopId)).describe();
    return d.state.paused ? 'paused' : 'running';
  } catch (e) {
    if (e instanceof ScheduleNotFoundError) return 'none';
    throw e;
  }
}
