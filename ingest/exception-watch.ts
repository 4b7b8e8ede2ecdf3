import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Db } from '../db/database.js';
import { openException, type OpenedException, type OpenExceptionInput } from '../db/exceptions.repository.js';
import { controlTaskPriority } from '../domain/fulfilment/task-priority.js';
import {
  exceptionResolvedSignal,
  exceptionWatchWorkflowId,
  exceptionWatchWorkflowType,
  type ExceptionResolvedNotice,
  type ExceptionWatchInput,
  type ExceptionWatchWorkflow,
} from '../workflows/exception-watch.messages.js';

// Exceptions opened outside a running order workflow (a shop's sync failing, a write-back the platform refused,
// a review overdue on an older run) get their SLA timers from a workflow of their own, `exception:<id>`.
// Shared by the API (webhooks, resolution) and the worker's activities, as the dispatcher is.

export interface ExceptionWatchDeps {
  client: Client;
  taskQueue: string;
  /** How long starting the watch may take (Temporal down) before the caller gets the failure; default 5 s. */
  timeoutMs?: number;
}

/** What the watch carries: the exception's schedule as it was opened (or found open). */
export function exceptionWatchInput(opened: OpenedException): ExceptionWatchInput {
  const { row, schedule } = opened;
  return {
    exceptionId: opened.id,
    kind: row.kind,
    type: opened.type,
    shopId: row.shop_id,
    orderId: row.order_id,
    openedAt: row.created_at.toISOString(),
    dueAt: opened.dueAt,
    level: row.escalation_level,
    levels: schedule.levels.map((l) => ({ level: l.level, at: l.at, ownerRole: l.ownerRole })),
    ...(schedule.finalAction ? { finalAction: { action: schedule.finalAction.action, at: schedule.finalAction.at } } : {}),
  };
}

/** The watch's one-line summary in the Temporal UI. */
export function exceptionWatchSummary(input: Pick<ExceptionWatchInput, 'exceptionId' | 'type' | 'kind' | 'shopId'>): string {
  return `exception ${input.type} ${input.exceptionId} · ${input.kind}${input.shopId ? ` · shop ${input.shopId}` : ''}`;
}

/**
 * Starts the watch of an open exception, once: a watch already running is left as it is (USE_EXISTING), and
 * one that has ended (resolved, or every level passed) is not started again (REJECT_DUPLICATE). So a caller
 * may start it every time it finds the exception open: a retried activity whose first attempt opened it, or
 * an exception from before watches existed, still gets one. With the control task priority, so a backlog of
 * orders does not delay an escalation.
 */
export async function watchException(deps: ExceptionWatchDeps, opened: OpenedException): Promise<'watching' | 'ended'> {
  if (opened.row.status !== 'open') return 'ended';
  const input = exceptionWatchInput(opened);
  try {
    await deps.client.withDeadline(Date.now() + (deps.timeoutMs ?? 5000), () =>
      deps.client.workflow.start<ExceptionWatchWorkflow>(exceptionWatchWorkflowType, {
        workflowId: exceptionWatchWorkflowId(opened.id),
        taskQueue: deps.taskQueue,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        priority: controlTaskPriority(),
        staticSummary: exceptionWatchSummary(input),
      }),
    );
    return 'watching';
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) return 'ended';
    throw e;
  }
}

/**
 * Opens an exception no order workflow follows (or finds it open) and starts its watch. A failure to start the
 * watch is thrown (an activity is retried, and the retry finds the exception open and starts it again) unless
 * `onWatchError` takes it: for callers that must not fail for it.
 */
export async function openWatchedException(
  deps: ExceptionWatchDeps & { db: Db; onWatchError?: (e: unknown, opened: OpenedException) => void },
  input: OpenExceptionInput,
): Promise<OpenedException> {
  const opened = await openException(deps.db, input);
  try {
    await watchException(deps, opened);
  } catch (e) {
    if (!deps.onWatchError) throw e;
    deps.onWatchError(e, opened);
  }
  return opened;
}

/**
 * Tells an exception's watch that it was resolved, so it ends now rather than at its next level. `no_watch`
 * when none is running (the exception had none, or its watch has ended).
 */
export async function endExceptionWatch(client: Client, exceptionId: string, notice: ExceptionResolvedNotice, timeoutMs = 5000): Promise<'signalled' | 'no_watch'> {
  try {
    await client.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(exceptionWatchWorkflowId(exceptionId)).signal(exceptionResolvedSignal, notice));
    return 'signalled';
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return 'no_watch';
    throw e;
  }
}
