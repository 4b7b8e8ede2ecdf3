import { ApplicationFailure, log, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  pullSyncStateQuery,
  type PullPageResult,
  type PullPageStep,
  type PullPlan,
  type PullSyncInput,
  type PullSyncResult,
  type PullSyncState,
  type PullWindowPlan,
} from './pull-sync.messages.js';

// Platform calls retry with backoff inside one run; a run that still fails ends quietly (the schedule
// tries again at the next tick) and counts towards the shop's alert.
const platform = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['ChannelPermanentError'] },
});
const local = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** A forward walk is redone when the window's total changed under it (an order left, shifting pages). */
const MAX_FORWARD_PASSES = 5;

/*
 * Deploy note. The activities say which request comes next (`PullPlan.firstStep`, `PullPageResult.next`);
 * before, this workflow worked it out from the plan's paging rules. A run of that old shape does replay on
 * this code: a deploy restarts the workers, so the next task of a run in flight is replayed here from its
 * history (and with overlap SKIP, a run stuck on a nondeterminism error would block its shop's later ticks).
 * It replays identically without `patched()`: both shapes issue the same commands with the same arguments
 * (planPullWindow, one pullPage per request, then advancePullCursor or recordPullRunFailure). Only the data
 * differs: results recorded before the change carry no `firstStep`/`next`, and the steps are then worked
 * out from the plan exactly as the old code did (`recordedFirstStep`, `recordedNextStep`). A patch marker
 * would not remove that rule (its old branch needs it), and it could not cover what this also covers: an
 * old worker answering a new run's activity without `next` during a rolling deploy.
 * `tests/histories/pull-sync-*.workflow-paging.json` are old-shape runs that prove it; delete them with the
 * two functions once no run started before this change is open (runs last minutes: the next release).
 */
type Recorded<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

function recordedFirstStep(plan: Recorded<PullPlan, 'firstStep'>): PullPageStep {
  return plan.firstStep ?? { page: plan.firstPage, probe: plan.direction === 'backward' };
}

function recordedNextStep(plan: Pick<PullPlan, 'direction' | 'firstPage'>, step: PullPageStep, r: Recorded<PullPageResult, 'next'>): PullPageStep | null {
  if (r.next !== undefined) return r.next;
  if (plan.direction === 'forward') return r.hasNext ? { page: step.page + 1, probe: false } : null;
  if (step.probe) {
    if (r.total === undefined) throw new Error('a backward walk needs the total from its first request');
    const pages = Math.ceil(r.total / r.pageSize);
    return pages <= 1 ? null : { page: plan.firstPage + pages - 1, probe: false };
  }
  return step.page > plan.firstPage ? { page: step.page - 1, probe: false } : null;
}

/**
 * One pull of one shop, started by the shop's Temporal Schedule (`pull-sync:<shopId>`, overlap SKIP).
 * Reads [cursor - overlap, now - lag] page by page the platform's way, every order through the inbox, and
 * moves the cursor only when the whole window is done: a run that fails part-way re-reads it next time,
 * and the inbox's message ids (`pull:<order>:<modified>`) make the re-read harmless.
 */
export async function pullSyncWorkflow(input: PullSyncInput): Promise<PullSyncResult> {
  const state: PullSyncState = { shopId: input.shopId, phase: 'planning', windowsDone: 0, windows: 0, pages: 0, orders: 0, ingested: 0 };
  setHandler(pullSyncStateQuery, () => ({ ...state }));

  try {
    const plan: Recorded<PullPlan, 'firstStep'> = await local.planPullWindow({ shopId: input.shopId });
    if (plan.skipReason) {
      state.phase = `skipped: ${plan.skipReason}`;
      setCurrentDetails(`**skipped** · shop ${input.shopId}: ${plan.skipReason}`);
      return { shopId: input.shopId, status: 'skipped', windows: 0, pages: 0, orders: 0, ingested: 0 };
    }
    state.windows = plan.windows.length;
    for (const window of plan.windows) {
      state.phase = `window ${window.start} .. ${window.end}`;
      setCurrentDetails(`pulling **${input.shopId}** ${window.start} .. ${window.end}`);
      await pullWindow(input.shopId, window, plan, state);
      state.windowsDone++;
    }
    await local.advancePullCursor({ shopId: input.shopId, cursor: plan.cursorEnd, orders: state.orders });
    state.phase = 'done';
    setCurrentDetails(`**done** · shop ${input.shopId} · ${state.windows} window(s), ${state.pages} page(s), ${state.orders} order(s) read, ${state.ingested} new · cursor ${plan.cursorEnd}`);
    return { shopId: input.shopId, status: 'done', windows: state.windows, pages: state.pages, orders: state.orders, ingested: state.ingested, cursor: plan.cursorEnd };
  } catch (e) {
    const error = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    log.warn('pull run failed; the cursor stays and the next run re-reads the window', { shopId: input.shopId, error });
    await local.recordPullRunFailure({ shopId: input.shopId, error });
    state.phase = `failed: ${error}`;
    setCurrentDetails(`**failed** · shop ${input.shopId} after ${state.pages} page(s): ${error}; the cursor stays, the next run reads the window again`);
    return { shopId: input.shopId, status: 'failed', windows: state.windows, pages: state.pages, orders: state.orders, ingested: state.ingested, error };
  }
}

/** Walks one window page by page as the activities direct, and again while a forward walk's total changes. */
async function pullWindow(shopId: string, window: PullWindowPlan, plan: Recorded<PullPlan, 'firstStep'>, state: PullSyncState): Promise<void> {
  for (let pass = 1; ; pass++) {
    let step: PullPageStep | null = recordedFirstStep(plan);
    let firstTotal: number | undefined;
    let lastTotal: number | undefined;
    while (step) {
      const r: Recorded<PullPageResult, 'next'> = await platform.pullPage({ shopId, window, page: step.page, pageSize: plan.pageSize, probe: step.probe });
      state.pages++;
      state.orders += r.orders;
      state.ingested += r.ingested;
      firstTotal ??= r.total;
      lastTotal = r.total;
      step = recordedNextStep(plan, step, r);
    }
    // Inside a closed window orders can only leave (a change moves their modified time past the end);
    // on a forward walk that shifts later orders onto pages already read, so the walk is redone.
    if (plan.direction === 'backward' || firstTotal === lastTotal) return;
    if (pass >= MAX_FORWARD_PASSES) throw ApplicationFailure.retryable(`window ${window.start}..${window.end} kept changing during ${pass} passes`, 'PullWindowUnstable');
    log.info('window changed during a forward walk; walking it again', { shopId, firstTotal, lastTotal, pass });
  }
}
