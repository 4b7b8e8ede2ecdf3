import { setMaxListeners } from 'node:events';
import { createHash } from 'node:crypto';

/**
 * The simulator playing the warehouse: polls a running Orderly for packages released to the warehouse
 * (`GET /v1/packages?status=released`) and reports what a WMS would (`POST /v1/packages/:id/events`):
 * picked, then shipped with a carrier and a tracking number, or, for a configurable share, failed. A
 * package whose interception was asked for before it left is stopped (`intercepted`), or, for a
 * configurable share, reported `intercept_failed` and shipped all the same, as a busy warehouse would.
 * Every choice (delays, failures, tracking numbers) is derived from the seed and the package id, so a
 * package gets the same tracking number and event ids however often it is seen: a second report of the
 * same event is dropped by the package workflow, and the player never ships a package twice.
 *
 * A report Orderly did not take (no answer, a timeout, 5xx, 429 or 408) is sent again, as a WMS's outbound
 * queue does: with back-off (doubling from `retry.initialMs` up to `retry.maxMs`, or the Retry-After Orderly
 * asked for), at most `retry.attempts` times in all; then it is logged and listed in the report
 * (`undelivered`), and the package waits for a person. Any other answer is final: 409 (the package has
 * finished already) and other 4xx are not sent again.
 */

export interface WarehousePlayerOptions {
  /** Orderly's base URL. */
  api: string;
  /** The API key sent to Orderly: a key of role warehouse (or ops, admin). */
  apiKey?: string | undefined;
  seed: number;
  /** Only packages of this warehouse code; all when undefined. */
  warehouse?: string | undefined;
  /** Delay from seeing a package to reporting it picked, and from picked to shipped, in ms: [min, max]. */
  delayMs: readonly [number, number];
  /** Share of packages reported failed after picking instead of shipped, 0..1. */
  failRate: number;
  /** Share of interceptions the warehouse cannot carry out (the parcel ships anyway), 0..1. */
  interceptFailRate?: number;
  /** Carrier code when the package shows none (released without a carrier decision). */
  defaultCarrier: string;
  pollMs: number;
  /** How a report Orderly did not take is sent again; `WAREHOUSE_DEFAULTS.retry` when absent. */
  retry?: WarehouseRetry | undefined;
  /** Where a report given up on is logged; stderr when absent. */
  log?: ((line: string) => void) | undefined;
}

/** Attempts in all (the first included), and the back-off between them: doubling from `initialMs`, at most `maxMs`. */
export interface WarehouseRetry {
  attempts: number;
  initialMs: number;
  maxMs: number;
}

export const WAREHOUSE_DEFAULTS = {
  delayMs: [200, 2000] as const,
  failRate: 0,
  interceptFailRate: 0,
  defaultCarrier: 'YTO',
  pollMs: 1000,
  retry: { attempts: 6, initialMs: 1000, maxMs: 16_000 } satisfies WarehouseRetry,
};

/** Back-off before attempt `attempt + 1` (`attempt` >= 1 failed so far): Retry-After when given, else doubling, capped. */
export function warehouseRetryDelayMs(retry: WarehouseRetry, attempt: number, retryAfterMs?: number): number {
  const backoff = Math.min(retry.maxMs, retry.initialMs * 2 ** (attempt - 1));
  return retryAfterMs !== undefined ? Math.min(retry.maxMs, Math.max(retryAfterMs, retry.initialMs)) : backoff;
}

/** Whether a report answered `status` (undefined: no answer) is worth sending again. */
export function warehouseRetries(status: number | undefined): boolean {
  return status === undefined || status >= 500 || status === 429 || status === 408;
}

export interface WarehouseReport {
  /** Distinct released packages the player took on. */
  seen: number;
  picked: number;
  shipped: number;
  failed: number;
  /** Packages stopped at a member order's request before they left. */
  intercepted: number;
  /** Interceptions asked for that the warehouse could not carry out (those packages shipped). */
  interceptFailed: number;
  /** Failed event posts by answer (status, or `network error`), each attempt counted; 409 (already finished) too. */
  errors: Record<string, number>;
  /** Event posts sent again after Orderly did not take them. */
  retried: number;
  /** Reports given up on after every attempt (or cut short by stop()): the packages left for a person. */
  undelivered: Array<{ packageId: string; type: string; attempts: number; lastError: string }>;
  /** Orders of the shipped packages, as the list showed them. */
  ordersInShippedPackages: number;
  /** Package id -> tracking number, for the shipped ones. */
  trackingNumbers: Record<string, string>;
}

/** A 32-bit number from the seed and a label: the same package always gets the same choices. */
function derive(seed: number, label: string): number {
  return createHash('sha256').update(`${seed}:${label}`).digest().readUInt32BE(0);
}

function digits(seed: number, label: string, n: number): string {
  const h = createHash('sha256').update(`${seed}:${label}`).digest();
  let out = '';
  for (let i = 0; out.length < n; i++) out += String(h[i % h.length]! % 10);
  return out;
}

/**
 * A tracking number shaped like the carrier's (prefix and length as printed on Chinese waybills): YTO
 * `YT` + 13 digits, ZTO 14 digits from `7`, SF `SF` + 13 digits, JD `JDVA` + 11, STO 13 digits from `77`,
 * Yunda 15 digits from `4`, EMS `E` + 11 + `CN`; any other carrier its letters + 12 digits. Deterministic
 * in (seed, package id), so a retried report carries the same number.
 */
export function trackingNumber(carrierCode: string, packageId: string, seed: number): string {
  const d = (n: number) => digits(seed, `tracking:${packageId}`, n);
  switch (carrierCode.toUpperCase()) {
    case 'YTO':
      return `YT${d(13)}`;
    case 'ZTO':
      return `7${d(13)}`;
    case 'SF':
      return `SF${d(13)}`;
    case 'JD':
      return `JDVA${d(11)}`;
    case 'STO':
      return `77${d(11)}`;
    case 'YUNDA':
      return `4${d(14)}`;
    case 'EMS':
      return `E${d(11)}CN`;
    default: {
      // The API takes letters, digits and "-": keep only those of the code.
      const prefix = carrierCode.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 6) || 'PK';
      return `${prefix}${d(12)}`;
    }
  }
}

/** Event ids derived from the package id: the workflow applies each once, so a re-post is harmless. */
export const warehouseEventId = (type: 'picked' | 'shipped' | 'failed' | 'intercepted' | 'intercept_failed', packageId: string): string => `sim-wms:${type}:${packageId}`;

/** Whether the seeded dice fail this package (the same answer every time for the same seed). */
export function failsPackage(seed: number, packageId: string, failRate: number): boolean {
  return failRate > 0 && derive(seed, `fail:${packageId}`) / 2 ** 32 < failRate;
}

/** Whether the seeded dice let this package's interception fail (the same answer every time for the same seed). */
export function failsInterception(seed: number, packageId: string, rate: number): boolean {
  return rate > 0 && derive(seed, `intercept:${packageId}`) / 2 ** 32 < rate;
}

/** A seeded delay in [min, max] for a step of a package. */
export function stepDelayMs(seed: number, packageId: string, step: string, [min, max]: readonly [number, number]): number {
  return min + Math.floor((derive(seed, `delay:${step}:${packageId}`) / 2 ** 32) * (max - min + 1));
}

interface ListedPackage {
  id: string;
  status: string;
  carrierCode: string | null;
  memberOrderIds: string[];
}

export interface WarehousePlayer {
  /** Stops polling, cancels pending delays, waits for posts in flight; resolves with the totals. */
  stop(): Promise<WarehouseReport>;
  /** The totals so far. */
  report(): WarehouseReport;
  /** Resolves once the player has stopped (by stop(), the signal or the duration). */
  readonly done: Promise<WarehouseReport>;
  /** Packages taken on and not yet finished. */
  busy(): number;
}

/** Starts the warehouse player against Orderly; it runs until stop(), the signal, or `durationMs`. */
export function startWarehouse(opts: WarehousePlayerOptions, bound: { signal?: AbortSignal; durationMs?: number } = {}): WarehousePlayer {
  const stopper = new AbortController();
  const stopSignal = stopper.signal;
  // Every package in flight waits on this signal at once; that is expected, not a leak.
  setMaxListeners(0, stopSignal);
  const onOuterAbort = () => stopper.abort();
  bound.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = bound.durationMs !== undefined ? setTimeout(() => stopper.abort(), bound.durationMs) : undefined;

  // Taken on once, whatever the list says later: this is what keeps a package from being shipped twice.
  const taken = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  const auth: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
  const stats: WarehouseReport = { seen: 0, picked: 0, shipped: 0, failed: 0, intercepted: 0, interceptFailed: 0, errors: {}, retried: 0, undelivered: [], ordersInShippedPackages: 0, trackingNumbers: {} };
  const retry = opts.retry ?? WAREHOUSE_DEFAULTS.retry;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopSignal.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        stopSignal.removeEventListener('abort', done);
        resolve();
      }
      stopSignal.addEventListener('abort', done, { once: true });
    });

  /** One attempt: the answer's status (undefined: none came) and the Retry-After it asked for, in ms. */
  const postOnce = async (packageId: string, body: Record<string, unknown>): Promise<{ status: number | undefined; retryAfterMs?: number }> => {
    try {
      const res = await fetch(`${opts.api}/v1/packages/${encodeURIComponent(packageId)}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      const after = Number(res.headers.get('retry-after') ?? NaN);
      return { status: res.status, ...(Number.isFinite(after) && after >= 0 ? { retryAfterMs: after * 1000 } : {}) };
    } catch {
      return { status: undefined };
    }
  };

  /** Reports one event, sending it again while Orderly does not take it (bounded); true once it is taken (202). */
  const post = async (packageId: string, body: { type: string } & Record<string, unknown>): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      const { status, retryAfterMs } = await postOnce(packageId, body);
      if (status === 202) return true;
      const error = status === undefined ? 'network error' : String(status);
      stats.errors[error] = (stats.errors[error] ?? 0) + 1;
      // 409: the package workflow has finished (shipped or failed by an earlier run or a person): nothing to do.
      // Another 4xx would be refused the same way again.
      if (!warehouseRetries(status)) return false;
      if (attempt >= retry.attempts || stopSignal.aborted) {
        const why = stopSignal.aborted ? 'the warehouse stopped' : `${attempt} attempts`;
        stats.undelivered.push({ packageId, type: body.type, attempts: attempt, lastError: error });
        log(`simulated warehouse: ${body.type} of package ${packageId} not reported (${why}, last answer: ${error}); the package waits for a person`);
        return false;
      }
      stats.retried++;
      await sleep(warehouseRetryDelayMs(retry, attempt, retryAfterMs));
    }
  };

  const interceptionAsked = async (packageId: string): Promise<boolean> => {
    try {
      const res = await fetch(`${opts.api}/v1/packages/${encodeURIComponent(packageId)}`, { headers: auth, signal: AbortSignal.timeout(15_000) });
      if (res.status !== 200) {
        await res.arrayBuffer();
        return false;
      }
      return ((await res.json()) as { interceptRequestedAt: string | null }).interceptRequestedAt !== null;
    } catch {
      stats.errors['package network error'] = (stats.errors['package network error'] ?? 0) + 1;
      return false;
    }
  };

  const work = async (p: ListedPackage) => {
    await sleep(stepDelayMs(opts.seed, p.id, 'pick', opts.delayMs));
    if (stopSignal.aborted) return;
    if (!(await post(p.id, { type: 'picked', eventId: warehouseEventId('picked', p.id) }))) return;
    stats.picked++;
    await sleep(stepDelayMs(opts.seed, p.id, 'ship', opts.delayMs));
    if (stopSignal.aborted) return;
    // Before the parcel leaves, the warehouse checks whether a member order asked for it back.
    if (await interceptionAsked(p.id)) {
      if (!failsInterception(opts.seed, p.id, opts.interceptFailRate ?? 0)) {
        if (await post(p.id, { type: 'intercepted', eventId: warehouseEventId('intercepted', p.id) })) stats.intercepted++;
        return;
      }
      if (await post(p.id, { type: 'intercept_failed', eventId: warehouseEventId('intercept_failed', p.id), reason: 'simulated warehouse: already handed to the courier' })) stats.interceptFailed++;
    }
    if (failsPackage(opts.seed, p.id, opts.failRate)) {
      if (await post(p.id, { type: 'failed', eventId: warehouseEventId('failed', p.id), reason: 'simulated warehouse: carton damaged at packing' })) stats.failed++;
      return;
    }
    const carrierCode = p.carrierCode ?? opts.defaultCarrier;
    const trackingNo = trackingNumber(carrierCode, p.id, opts.seed);
    if (await post(p.id, { type: 'shipped', eventId: warehouseEventId('shipped', p.id), carrierCode, trackingNo })) {
      stats.shipped++;
      stats.ordersInShippedPackages += p.memberOrderIds.length;
      stats.trackingNumbers[p.id] = trackingNo;
    }
  };

  const poll = async () => {
    let cursor: string | null = null;
    do {
      const qs = new URLSearchParams({ status: 'released', limit: '200' });
      if (opts.warehouse) qs.set('warehouse', opts.warehouse);
      if (cursor) qs.set('cursor', cursor);
      let page: { items: ListedPackage[]; nextCursor: string | null };
      try {
        const res = await fetch(`${opts.api}/v1/packages?${qs.toString()}`, { headers: auth, signal: AbortSignal.timeout(15_000) });
        if (res.status !== 200) {
          stats.errors[`list ${res.status}`] = (stats.errors[`list ${res.status}`] ?? 0) + 1;
          await res.arrayBuffer();
          return;
        }
        page = (await res.json()) as typeof page;
      } catch {
        stats.errors['list network error'] = (stats.errors['list network error'] ?? 0) + 1;
        return;
      }
      for (const p of page.items) {
        if (taken.has(p.id) || stopSignal.aborted) continue;
        taken.add(p.id);
        stats.seen++;
        const w: Promise<void> = work(p).finally(() => inFlight.delete(w));
        inFlight.add(w);
      }
      cursor = page.nextCursor;
    } while (cursor && !stopSignal.aborted);
  };

  const snapshot = (): WarehouseReport => ({ ...stats, errors: { ...stats.errors }, undelivered: [...stats.undelivered], trackingNumbers: { ...stats.trackingNumbers } });

  const done = (async () => {
    while (!stopSignal.aborted) {
      await poll();
      await sleep(opts.pollMs);
    }
    await Promise.all(inFlight);
    if (timer) clearTimeout(timer);
    bound.signal?.removeEventListener('abort', onOuterAbort);
    return snapshot();
  })();

  return {
    stop: () => {
      stopper.abort();
      return done;
    },
    report: snapshot,
    done,
    busy: () => inFlight.size,
  };
}
