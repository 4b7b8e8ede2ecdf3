import { ApplicationFailure, log, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { firstPageStep, nextPageStep, type PageStep } from '../channels/paging.js';
import type { PagingRules, PullPage } from '../channels/types.js';
import { pullSyncStateQuery, type PullPageResult, type PullSyncInput, type PullSyncResult, type PullSyncState, type PullWindowPlan } from './pull-sync.messages.js';

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
    const plan = await local.planPullWindow({ shopId: input.shopId });
    if (plan.skipReason) {
      state.phase = `skipped: ${plan.skipReason}`;
      return { shopId: input.shopId, status: 'skipped', windows: 0, pages: 0, orders: 0, ingested: 0 };
    }
    const rules: Pick<PagingRules, 'direction' | 'firstPage'> = { direction: plan.direction, firstPage: plan.firstPage };
    state.windows = plan.windows.length;
    for (const window of plan.windows) {
      state.phase = `window ${window.start} .. ${window.end}`;
      setCurrentDetails(`pulling **${input.shopId}** ${window.start} .. ${window.end}`);
      await pullWindow(input.shopId, window, plan.pageSize, rules, state);
      state.windowsDone++;
    }
    await local.advancePullCursor({ shopId: input.shopId, cursor: plan.cursorEnd, orders: state.orders });
    state.phase = 'done';
    return { shopId: input.shopId, status: 'done', windows: state.windows, pages: state.pages, orders: state.orders, ingested: state.ingested, cursor: plan.cursorEnd };
  } catch (e) {
    const error = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    log.warn('pull run failed; the cursor stays and the next run re-reads the window', { shopId: input.shopId, error });
    await local.recordPullRunFailure({ shopId: input.shopId, error });
    state.phase = `failed: ${error}`;
    return { shopId: input.shopId, status: 'failed', windows: state.windows, pages: state.pages, orders: state.orders, ingested: state.ingested, error };
  }
}

async function pullWindow(
  shopId: string,
  window: PullWindowPlan,
  pageSize: number,
  rules: Pick<PagingRules, 'direction' | 'firstPage'>,
  state: PullSyncState,
): Promise<void> {
  for (let pass = 1; ; pass++) {
    let step: PageStep | null = firstPageStep(rules as PagingRules);
    let firstTotal: number | undefined;
    let lastTotal: number | undefined;
    while (step) {
      const r: PullPageResult = await platform.pullPage({ shopId, window, page: step.page, pageSize, probe: step.probe });
      state.pages++;
      state.orders += r.orders;
      state.ingested += r.ingested;
      firstTotal ??= r.total;
      lastTotal = r.total;
      const page: PullPage = { page: r.page, pageSize: r.pageSize, ...(r.total !== undefined ? { total: r.total } : {}), hasNext: r.hasNext, platformOrderIds: [], orders: [] };
      step = nextPageStep(rules as PagingRules, step, page);
    }
    // Inside a closed window orders can only leave (a change moves their modified time past the end);
    // on a forward walk that shifts later orders onto pages already read, so the walk is redone.
    if (rules.direction === 'backward' || firstTotal === lastTotal) return;
    if (pass >= MAX_FORWARD_PASSES) throw ApplicationFailure.retryable(`window ${window.start}..${window.end} kept changing during ${pass} passes`, 'PullWindowUnstable');
    log.info('window changed during a forward walk; walking it again', { shopId, firstTotal, lastTotal, pass });
  }
}
