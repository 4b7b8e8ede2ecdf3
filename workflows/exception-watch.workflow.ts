import { allHandlersFinished, condition, log, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { workflowNow } from './clock.js';
import {
  exceptionResolvedSignal,
  exceptionWatchStateQuery,
  type ExceptionWatchInput,
  type ExceptionWatchOutcome,
  type ExceptionWatchResult,
  type ExceptionWatchState,
} from './exception-watch.messages.js';

// The escalation writes the new owner and sends the signed webhook, which is retried until it answers 2xx:
// no attempt limit, only backoff. Started with a high task priority, which its activities inherit.
const { escalateOrderException } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  summary: 'escalate the exception',
});

/**
 * The SLA timers of one exception no order workflow follows, `exception:<id>`: at each level's time it
 * escalates (new owner role, the signed webhook, a log line) through the same activity the order workflow
 * uses. It ends when told the exception was resolved, when the escalation finds it resolved already (or at
 * that level: someone else holds its timers), or once every level has passed. The policy's final action is
 * never carried out here (there is no order workflow to do it): its time is logged and noted for a person.
 * A run holds a handful of events (three levels, a signal), so it never needs to continue as new.
 */
export async function exceptionWatchWorkflow(input: ExceptionWatchInput): Promise<ExceptionWatchResult> {
  const state: ExceptionWatchState = { exceptionId: input.exceptionId, type: input.type, level: input.level, escalations: [] };
  const ids = { exceptionId: input.exceptionId, orderId: input.orderId, shopId: input.shopId, type: input.type };

  setHandler(exceptionResolvedSignal, (notice) => {
    state.resolved ??= notice;
  });
  setHandler(exceptionWatchStateQuery, (): ExceptionWatchState => ({ ...state, escalations: [...state.escalations] }));

  const show = () => {
    const head = state.outcome ? `**${state.outcome}**` : `**level ${state.level}**`;
    const next = !state.outcome && state.next ? ` · level ${state.next.level} (${state.next.ownerRole}) at ${state.next.at}` : '';
    const by = state.resolved ? ` · ${state.resolved.action} by ${state.resolved.resolvedBy}` : '';
    setCurrentDetails(`${head} · ${input.kind}${input.shopId ? ` · shop ${input.shopId}` : ''}${next}${by}`);
  };
  /** Waits until `at` (workflow time); true when the exception was resolved first. */
  const resolvedBefore = async (at: string, summary: string): Promise<boolean> => {
    const wait = Date.parse(at) - workflowNow().getTime();
    return condition(() => state.resolved !== undefined, Math.max(wait, 1), { summary });
  };
  const finish = async (outcome: ExceptionWatchOutcome): Promise<ExceptionWatchResult> => {
    state.outcome = outcome;
    delete state.next;
    show();
    await condition(allHandlersFinished);
    return { exceptionId: input.exceptionId, outcome, level: state.level };
  };

  for (const step of input.levels.filter((l) => l.level > input.level)) {
    state.next = { ...step };
    show();
    if (await resolvedBefore(step.at, `level ${step.level} (${step.ownerRole}) unless resolved`)) return finish('resolved');
    const r = await escalateOrderException({ ...ids, level: step.level, ownerRole: step.ownerRole });
    // Resolved without a notice (its cause went away, a resolution that sent none), or raised already.
    if (!r.escalated) return finish('closed');
    state.level = step.level;
    state.escalations.push({ level: step.level, ownerRole: step.ownerRole, at: workflowNow().toISOString() });
    log.warn('exception escalated', { ...ids, level: step.level, ownerRole: step.ownerRole });
  }
  delete state.next;
  show();

  const final = input.finalAction;
  if (final) {
    if (await resolvedBefore(final.at, `final action ${final.action} (noted only) unless resolved`)) return finish('resolved');
    const reason = `${final.action} is carried out only by an order workflow; exception ${input.exceptionId} has none following it`;
    state.finalActionSkipped = { action: final.action, at: workflowNow().toISOString(), reason };
    log.warn('exception final action not applied', { ...ids, action: final.action, reason });
  }
  return finish('escalated');
}
