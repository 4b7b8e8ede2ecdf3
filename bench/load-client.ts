/**
 * The ingest benchmark's load generator, in a process of its own: a client that does nothing but send, so
 * the latencies it measures are the server's and not its own event loop's (the bench process also plays the
 * platforms, and their detail reads would otherwise delay this clock).
 *
 * Open loop: request i leaves at t0 + i/rate whatever happened to the earlier ones (no coordinated
 * omission). A request counts as acknowledged when `okWhen` is in its 200 answer. Every `redeliverEvery`-th
 * request is sent a second time as it was (a platform redelivering); a request that is not acknowledged is
 * delivered again like a platform does (up to 5 times, backoff 1-16 s).
 *
 * Run by bench/ingest.bench.ts: tsx bench/load-client.ts <spec.json> <result.json>
 */
import fs from 'node:fs';
import { pct } from './stats.js';

export interface LoadSpec {
  label: string;
  rate: number;
  /** Text an acknowledged answer contains (besides status 200); empty: any 200. */
  okWhen: string;
  redeliverEvery: number;
  retryRefused: boolean;
  timeoutMs: number;
  /** `okWhen`, when given, replaces the spec's for that request (pushes of several platforms in one run). */
  requests: Array<{ key: string; url: string; body: string; headers: Record<string, string>; okWhen?: string }>;
}

export interface LoadResult {
  /** Per request, in order: wall-clock send time, latency (ms, -1 when it failed) and outcome. */
  sentAt: number[];
  latency: number[];
  sendLag: number[];
  outcomes: Record<string, number>;
  redelivered: Record<string, number>;
  retried: Record<string, number>;
  achievedRate: number;
  /** Per request, in order: acknowledged in the end (at once or on a retry). */
  acknowledged: boolean[];
  /** Acknowledgements (first sends and retries) by the origin (`http://host:port`) that gave them. */
  acknowledgedBy: Record<string, number>;
}

const PROGRESS_MS = 5_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

async function post(r: LoadSpec['requests'][number], timeoutMs: number): Promise<{ status: number; text: string }> {
  const res = await fetch(r.url, { method: 'POST', headers: r.headers, body: r.body, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const n = spec.requests.length;
  const result: LoadResult = { sentAt: new Array<number>(n).fill(0), latency: new Array<number>(n).fill(-1), sendLag: [], outcomes: {}, redelivered: {}, retried: {}, achievedRate: NaN, acknowledged: new Array<boolean>(n).fill(false), acknowledgedBy: {} };
  const okFor = (r: LoadSpec['requests'][number], x: { status: number; text: string }) => {
    const when = r.okWhen ?? spec.okWhen;
    const yes = x.status === 200 && (!when || x.text.includes(when));
    if (yes) bump(result.acknowledgedBy, new URL(r.url).origin);
    return yes;
  };
  const retries: Promise<void>[] = [];
  const redeliver = async (r: LoadSpec['requests'][number], i: number) => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      await sleep(1000 * 2 ** (attempt - 1));
      const again = await post(r, spec.timeoutMs).catch(() => ({ status: 0, text: '' }));
      if (okFor(r, again)) {
        result.acknowledged[i] = true;
        return void bump(result.retried, 'delivered on retry');
      }
    }
    bump(result.retried, 'still refused after 5 retries');
  };

  let done = 0;
  let windowStart = 0;
  const answered: number[] = [];
  const progress = (t0: number, sent: number) => {
    const recent = answered.slice(windowStart);
    windowStart = answered.length;
    const failed = done - (result.outcomes.ok ?? 0);
    process.stdout.write(`  ${spec.label} ${((performance.now() - t0) / 1000).toFixed(0)} s: sent ${sent}/${n}, answered ${done}, in flight ${sent - done}, failed ${failed}, last 5 s p50 ${pct(recent, 50).toFixed(1)} ms p99 ${pct(recent, 99).toFixed(1)} ms\n`);
  };

  const t0 = performance.now();
  let nextProgress = t0 + PROGRESS_MS;
  let lastSend = t0;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / spec.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const start = performance.now();
    lastSend = start;
    result.sendLag.push(Math.max(0, start - due));
    // Wall clock, to compare with timestamps PostgreSQL writes (same machine, same clock).
    result.sentAt[i] = Date.now();
    const r = spec.requests[i]!;
    inflight.push(
      post(r, spec.timeoutMs).then(
        async (x) => {
          const ms = performance.now() - start;
          result.latency[i] = ms;
          answered.push(ms);
          const acked = okFor(r, x);
          if (acked) result.acknowledged[i] = true;
          const outcome = x.status !== 200 ? `HTTP ${x.status}` : acked ? 'ok' : 'HTTP 200 not acknowledged';
          bump(result.outcomes, outcome);
          done++;
          if (spec.retryRefused && !acked) retries.push(redeliver(r, i));
          if (spec.redeliverEvery > 0 && i % spec.redeliverEvery === 0) {
            const again = await post(r, spec.timeoutMs).then((y) => `HTTP ${y.status}`, () => 'error');
            bump(result.redelivered, again);
          }
        },
        (e: unknown) => {
          bump(result.outcomes, (e as Error).name === 'TimeoutError' ? 'timeout' : `error ${(e as Error).message}`);
          done++;
          if (spec.retryRefused) retries.push(redeliver(r, i));
        },
      ),
    );
    if (performance.now() >= nextProgress) {
      progress(t0, i + 1);
      nextProgress += PROGRESS_MS;
    }
  }
  result.achievedRate = n > 1 ? ((n - 1) * 1000) / (lastSend - t0) : NaN;
  // Requests carry a timeout, so these waits are bounded too.
  const drain = setInterval(() => progress(t0, n), PROGRESS_MS);
  await Promise.all(inflight);
  clearInterval(drain);
  await Promise.all(retries);
  return result;
}

const [specPath, resultPath] = process.argv.slice(2);
if (!specPath || !resultPath) {
  process.stderr.write('usage: tsx bench/load-client.ts <spec.json> <result.json>\n');
  process.exit(2);
}
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8')) as LoadSpec;
const result = await run(spec);
fs.writeFileSync(resultPath, JSON.stringify(result));
process.exit(0);
