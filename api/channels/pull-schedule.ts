import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';
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

function action(s: PullScheduleSpec): ScheduleOptionsAction {
  const args: [PullSyncInput] = [{ shopId: s.shopId }];
  return {
    type: 'startWorkflow',
    workflowType: pullSyncWorkflowType,
    // The schedule appends the run's time: `pull-sync:<shop>-<timestamp>`.
    workflowId: pullScheduleId(s.shopId),
    taskQueue: s.taskQueue,
    args,
    staticSummary: `pull ${s.platform} shop ${s.shopId} every ${s.intervalS} s`,
  };
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

export async function describePullSchedule(client: Client, shopId: string): Promise<PullScheduleState> {
  try {
    const d = await client.schedule.getHandle(pullScheduleId(shopId)).describe();
    return d.state.paused ? 'paused' : 'running';
  } catch (e) {
    if (e instanceof ScheduleNotFoundError) return 'none';
    throw e;
  }
}
