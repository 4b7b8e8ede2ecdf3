// The exception watch on the time-skipping test server: an exception no order workflow follows escalates at
// each level's time, in order, through the escalation activity; a resolution notice ends the watch at once;
// an escalation that finds the exception closed ends it too; the policy's final action is only noted.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  exceptionResolvedSignal,
  exceptionWatchStateQuery,
  exceptionWatchWorkflowId,
  exceptionWatchWorkflowType,
  type ExceptionWatchInput,
  type ExceptionWatchWorkflow,
} from '../../workflows/exception-watch.messages.js';
import { MINUTE, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import type { ActivityInput, ActivityOutput } from './mocks.js';

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

/** The escalation activity as the database answers it (`escalated` unless told otherwise), with the workflow time of each call. */
function escalationMock(answer: (i: ActivityInput<'escalateOrderException'>) => boolean = () => true) {
  const at: number[] = [];
  const escalateOrderException = vi.fn(async (i: ActivityInput<'escalateOrderException'>): Promise<ActivityOutput<'escalateOrderException'>> => {
    at.push(await env.currentTimeMs());
    return { escalated: answer(i) };
  });
  return { at, escalateOrderException };
}

/** A shop's SYNC_FAILING exception opened now: levels at 15, 30 and 60 minutes, as `scheduleFor` gives them. */
async function syncFailing(id: string, extra: Partial<ExceptionWatchInput> = {}): Promise<{ input: ExceptionWatchInput; t0: number }> {
  const t0 = await env.currentTimeMs();
  const at = (m: number) => new Date(t0 + m * MINUTE).toISOString();
  return {
    t0,
    input: {
      exceptionId: id,
      kind: 'channel_malformed_push',
      type: 'SYNC_FAILING',
      shopId: 'tb-shop-1',
      orderId: null,
      openedAt: at(0),
      dueAt: at(15),
      level: 0,
      levels: [
        { level: 1, at: at(15), ownerRole: 'admin' },
        { level: 2, at: at(30), ownerRole: 'ops_lead' },
        { level: 3, at: at(60), ownerRole: 'admin' },
      ],
      ...extra,
    },
  };
}

const start = (taskQueue: string, input: ExceptionWatchInput): Promise<WorkflowHandle<ExceptionWatchWorkflow>> =>
  env.client.workflow.start<ExceptionWatchWorkflow>(exceptionWatchWorkflowType, { workflowId: exceptionWatchWorkflowId(input.exceptionId), taskQueue, args: [input] });

describe('exception watch', () => {
  it('escalates at each level time, in order, and notes the final action it cannot carry out', async () => {
    const m = escalationMock();
    await withWorker(env, { escalateOrderException: m.escalateOrderException }, async (tq) => {
      const { input, t0 } = await syncFailing('41');
      // The policy's final action, 30 minutes after the last level.
      input.finalAction = { action: 'cancel_order', at: new Date(t0 + 90 * MINUTE).toISOString() };
      const handle = await start(tq, input);
      expect(handle.workflowId).toBe('exception:41');

      await env.sleep(10 * MINUTE);
      expect(m.escalateOrderException).not.toHaveBeenCalled();
      expect(await handle.query(exceptionWatchStateQuery)).toMatchObject({ level: 0, next: { level: 1, ownerRole: 'admin' } });

      const result = await handle.result();
      expect(result).toEqual({ exceptionId: '41', outcome: 'escalated', level: 3 });
      expect(m.escalateOrderException.mock.calls.map(([c]) => [c.level, c.ownerRole])).toEqual([
        [1, 'admin'],
        [2, 'ops_lead'],
        [3, 'admin'],
      ]);
      expect(m.escalateOrderException.mock.calls[0]![0]).toEqual({ exceptionId: '41', orderId: null, shopId: 'tb-shop-1', type: 'SYNC_FAILING', level: 1, ownerRole: 'admin' });
      // Each at its level's time (not before, and within a minute of it).
      const offsets = m.at.map((t) => t - t0);
      [15, 30, 60].forEach((min, i) => {
        expect(offsets[i]).toBeGreaterThanOrEqual(min * MINUTE);
        expect(offsets[i]).toBeLessThan((min + 1) * MINUTE);
      });
      const state = await handle.query(exceptionWatchStateQuery);
      expect(state.escalations.map((e) => e.level)).toEqual([1, 2, 3]);
      expect(state.outcome).toBe('escalated');
      // Noted at its time, not applied: nothing but the three escalations was called.
      expect(state.finalActionSkipped).toMatchObject({ action: 'cancel_order' });
      expect(Date.parse(state.finalActionSkipped!.at) - t0).toBeGreaterThanOrEqual(90 * MINUTE);
    });
  });

  it('ends at once when told the exception was resolved, escalating no further', async () => {
    const m = escalationMock();
    await withWorker(env, { escalateOrderException: m.escalateOrderException }, async (tq) => {
      const { input } = await syncFailing('42');
      const handle = await start(tq, input);
      await env.sleep(20 * MINUTE);
      await waitFor(() => handle.query(exceptionWatchStateQuery), (s) => s.level === 1, 'level 1');
      expect(m.escalateOrderException).toHaveBeenCalledTimes(1);

      await handle.signal(exceptionResolvedSignal, { action: 'acknowledge', resolvedBy: 'li.ops', at: new Date().toISOString() });
      // A second notice changes nothing.
      await handle.signal(exceptionResolvedSignal, { action: 'acknowledge', resolvedBy: 'wang', at: new Date().toISOString() });
      expect(await handle.result()).toEqual({ exceptionId: '42', outcome: 'resolved', level: 1 });
      expect(await handle.query(exceptionWatchStateQuery)).toMatchObject({ resolved: { resolvedBy: 'li.ops' }, outcome: 'resolved' });
      // Ended before level 2 was due, and nothing fires afterwards.
      const closed = (await handle.describe()).closeTime;
      expect(closed!.getTime()).toBeLessThan(Date.parse(input.levels[1]!.at));
      await env.sleep(2 * 60 * MINUTE);
      expect(m.escalateOrderException).toHaveBeenCalledTimes(1);
    });
  });

  it('ends when the escalation finds the exception resolved, and only watches levels above the one it is at', async () => {
    // Resolved at level 2 by another way (its cause went away): the database refuses level 3.
    const m = escalationMock((i) => i.level < 3);
    await withWorker(env, { escalateOrderException: m.escalateOrderException }, async (tq) => {
      const { input } = await syncFailing('43', { level: 1 });
      const result = await (await start(tq, input)).result();
      expect(result).toEqual({ exceptionId: '43', outcome: 'closed', level: 2 });
      // Level 1 was reached before the watch started: only 2 and 3 were asked for.
      expect(m.escalateOrderException.mock.calls.map(([c]) => c.level)).toEqual([2, 3]);
    });
  });
});
