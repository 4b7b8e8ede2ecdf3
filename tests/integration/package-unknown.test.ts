import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFulfilmentActivities } from '../../activities/fulfilment-activities.js';
import { packageStateQuery, packageWorkflowId, packageWorkflowType, UNKNOWN_PACKAGE_FAILURE, type PackageWorkflow, type PackageWorkflowInput } from '../../workflows/package.messages.js';
import { createTestStack, maybeRecordHistory, type TestStack } from '../helpers/stack.js';

const EventType = proto.temporal.api.enums.v1.EventType;

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { relay: false });
});
afterAll(async () => {
  await stack?.close();
});

describe('a package the database does not hold', () => {
  it('fails its activities at once with a non-retryable UnknownPackage failure', async () => {
    const acts = createFulfilmentActivities({ db: stack.db, temporal: stack.client, config: stack.config, logger: stack.logger });
    const event = { eventId: 'e1', type: 'picked' } as const;
    for (const call of [() => acts.sealPackage({ packageId: 'PKG-NONE' }), () => acts.releasePackage({ packageId: 'PKG-NONE' }), () => acts.recordWarehouseEvent({ packageId: 'PKG-NONE', event })]) {
      const err: unknown = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: UNKNOWN_PACKAGE_FAILURE, nonRetryable: true, message: 'package PKG-NONE does not exist' });
    }
  });

  it('fails its package workflow promptly with UnknownPackage instead of retrying', async () => {
    const packageId = `PKG-UNKNOWN-${Date.now()}`;
    const workflowId = packageWorkflowId(packageId);
    const started = Date.now();
    const input: PackageWorkflowInput = { packageId, windowEnd: new Date(started - 1000).toISOString() };
    const handle = await stack.client.workflow.start<PackageWorkflow>(packageWorkflowType, { taskQueue: stack.taskQueue, workflowId, args: [input] });

    // Retried, the first seal attempt's failure would be followed by another after a second's backoff, and
    // the run would never end: a few seconds is plenty for one attempt and the workflow's failure.
    const err: unknown = await Promise.race([
      handle.result().then(
        () => undefined,
        (e: unknown) => e,
      ),
      new Promise((_, reject) => setTimeout(() => reject(new Error('the package workflow did not fail within 10 s')), 10_000).unref()),
    ]);
    // One activity attempt and a workflow task or two: far below the first retry's backoff plus its run.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: UNKNOWN_PACKAGE_FAILURE, nonRetryable: true, message: `package ${packageId} does not exist in the database` });
    expect((await handle.describe()).status.name).toBe('FAILED');

    // The seal activity ran once and failed for good; nothing else was scheduled.
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const scheduled = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual(['sealPackage']);
    expect(events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)?.activityTaskStartedEventAttributes?.attempt).toBe(1);
    const failed = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)?.activityTaskFailedEventAttributes?.failure;
    expect(failed?.applicationFailureInfo).toMatchObject({ type: UNKNOWN_PACKAGE_FAILURE, nonRetryable: true });
    await maybeRecordHistory(stack.client, workflowId, 'package-unknown-failed');
  });

  it('shows the failure in the package state while the run is still visible to queries', async () => {
    // A failed run still answers queries (from its history): ops see why the package stopped.
    const packageId = `PKG-UNKNOWN-Q-${Date.now()}`;
    const handle = await stack.client.workflow.start<PackageWorkflow>(packageWorkflowType, {
      taskQueue: stack.taskQueue,
      workflowId: packageWorkflowId(packageId),
      args: [{ packageId, windowEnd: new Date(Date.now() - 1000).toISOString() } satisfies PackageWorkflowInput],
    });
    await handle.result().catch(() => undefined);
    const state = await handle.query(packageStateQuery);
    expect(state).toMatchObject({ status: 'failed', failureReason: `package ${packageId} does not exist in the database` });
    expect(state.events.map((e) => e.type)).toEqual(['failed']);
  });
});
