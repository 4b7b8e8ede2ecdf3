/**
 * The one workflow of bench/task-priority.bench.ts: it schedules a single trivial activity on another task
 * queue, with the task priority it is given, so the activity waits in that queue's backlog until the bench
 * starts an activity worker.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Priority } from '@temporalio/common';

export interface ProbeActivities {
  /** Records that task `seq` ran; the bench keeps the order. */
  priorityProbe(seq: number): Promise<void>;
}

export interface ProbeInput {
  seq: number;
  activityQueue: string;
  /** Absent: the task goes out without priority or fairness (the FIFO baseline). */
  priority?: Priority;
}

export async function priorityProbeWorkflow(input: ProbeInput): Promise<void> {
  const { priorityProbe } = proxyActivities<ProbeActivities>({
    taskQueue: input.activityQueue,
    startToCloseTimeout: '1 minute',
    ...(input.priority ? { priority: input.priority } : {}),
  });
  await priorityProbe(input.seq);
}
