import { defineQuery } from '@temporalio/workflow';

export interface PullSyncInput {
  shopId: string;
}

export interface PullWindowPlan {
  start: string;
  end: string;
}

/** What the pull needs to know about its shop, read by an activity at the start of a run. */
export interface PullPlan {
  shopId: string;
  platform: string;
  /** Null when the shop does not pull (disabled since the schedule fired): the run does nothing. */
  skipReason: string | null;
  direction: 'forward' | 'backward';
  firstPage: 0 | 1;
  pageSize: number;
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

export const pullSyncStateQuery = defineQuery<PullSyncState>('pullState');
