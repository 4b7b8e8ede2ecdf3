import { defineQuery } from '@temporalio/workflow';

export interface PullSyncInput {
  shopId: string;
}

export interface PullWindowPlan {
  start: string;
  end: string;
}

/**
 * One request of a window's walk: which page, and whether only its total is wanted (the first request of
 * a backward walk). Plain data, computed by the activities from the platform's paging rules and carried in
 * the run's history, so its shape is part of the workflow's.
 */
export interface PullPageStep {
  page: number;
  probe: boolean;
}

/** What the pull needs to know about its shop, read by an activity at the start of a run. */
export interface PullPlan {
  shopId: string;
  platform: string;
  /** Null when the shop does not pull (disabled since the schedule fired): the run does nothing. */
  skipReason: string | null;
  /** A forward walk is redone when the window's total changed under it; a backward one never is. */
  direction: 'forward' | 'backward';
  firstPage: 0 | 1;
  pageSize: number;
  /** The first request of every window (and of every pass over one). */
  firstStep: PullPageStep;
  /** The run's window split into the platform's maximum query length. */
  windows: PullWindowPlan[];
  /** Where the cursor goes when every window is done. */
  cursorEnd: string;
}

export interface PullPageInput {
  shopId: string;
  window: PullWindowPlan;
  page: number;
  pageSize: number;
  probe: boolean;
}

export interface PullPageResult {
  page: number;
  pageSize: number;
  total?: number;
  hasNext: boolean;
  orders: number;
  ingested: number;
  duplicates: number;
  /** The window's next request, or null when this page was its last. */
  next: PullPageStep | null;
}

export interface PullSyncResult {
  shopId: string;
  status: 'done' | 'skipped' | 'failed';
  windows: number;
  pages: number;
  orders: number;
  ingested: number;
  cursor?: string;
  error?: string;
}

export interface PullSyncState {
  shopId: string;
  phase: string;
  windowsDone: number;
  windows: number;
  pages: number;
  orders: number;
  ingested: number;
}

/** The pull-sync workflow as callers see it (`workflows/pull-sync.workflow.ts` implements it under this name). */
export type PullSyncWorkflow = (input: PullSyncInput) => Promise<PullSyncResult>;
export const pullSyncWorkflowType = 'pullSyncWorkflow';

export const pullSyncStateQuery = defineQuery<PullSyncState>('pullState');
