import type { PagingRules, PullPage } from './types.js';

/**
 * One request of a window's walk. The pull activities hand it to the pull-sync workflow as is (its
 * `PullPageStep`, kept in run histories), so it stays plain data of exactly this shape.
 */
export interface PageStep {
  page: number;
  /** Only the total is wanted from this request (first request of a backward walk). */
  probe: boolean;
}

/** The first request of a window. */
export function firstPageStep(rules: PagingRules): PageStep {
  return { page: rules.firstPage, probe: rules.direction === 'backward' };
}

/**
 * The request after `step`, given what it returned, or null when the window is done. Orders of every
 * page, the probe included, are ingested. A backward walk re-reads the first page at the end: orders
 * can shift into it while the walk runs.
 *
 * @example nextPageStep(taobaoConnector.paging, { page: 1, probe: true }, { total: 250, pageSize: 100, ... }) // { page: 3, probe: false }
 */
export function nextPageStep(rules: PagingRules, step: PageStep, result: PullPage): PageStep | null {
  if (rules.direction === 'forward') return result.hasNext ? { page: step.page + 1, probe: false } : null;
  if (step.probe) {
    if (result.total === undefined) throw new Error('a backward walk needs the total from its first request');
    const pages = Math.ceil(result.total / result.pageSize);
    // The probe is a normal page whose orders count; when it is the only page the window is done.
    if (pages <= 1) return null;
    return { page: rules.firstPage + pages - 1, probe: false };
  }
  return step.page > rules.firstPage ? { page: step.page - 1, probe: false } : null;
}

/** Splits [start, end) into windows no longer than the platform allows. */
export function splitWindow(start: Date, end: Date, maxWindowMs: number): Array<{ start: Date; end: Date }> {
  const out: Array<{ start: Date; end: Date }> = [];
  for (let t = start.getTime(); t < end.getTime(); t += maxWindowMs) {
    out.push({ start: new Date(t), end: new Date(Math.min(t + maxWindowMs, end.getTime())) });
  }
  return out;
}
