/**
 * A simulated day of exceptions: the whole system under a modest order stream with faults injected, then, with
 * no person acting, what the exception centre holds: exceptions opened per type, how many Orderly closed by
 * itself (their cause went away), how long that took, what is still open and at which escalation level, and
 * two checks: every exception has an owner role and a due time, and every open one past its due time has
 * escalated.
 *
 * `npm run bench:exceptions-day` (env: `BENCH_RATE` orders/s over the four platforms, default 4;
 * `BENCH_DURATION` s of order generation, default 60; `BENCH_SEED`, default 2026; `BENCH_SLA_WAIT` s to wait
 * after the generation so that exceptions pass their 1-minute SLA, default 90).
 *
 * The day is compressed: a short exception policy is PUT first (every type due 1 minute after it opens,
 * escalating at 1, 2 and 3 minutes; SHIPMENT_OVERDUE warning 1 minute before the promise; OUT_OF_STOCK resolved
 * by the policy with ship_available where some lines are in stock) and the review SLA
 * of the rule set is set to 1 minute. Faults:
 * - shortages: KETTLE-17L has no stock at the start and gets 3000 mid-run; TEA-LJ-250 keeps 10 units;
 * - bad addresses (`--bad-address`, paid orders): no street, a province that contradicts the city, no real region;
 * - a line refunded during processing (`--refund-line`) and an address changed a little later (`--late-address`);
 * - parcels the warehouse fails (the simulated warehouse's fail rate) and interceptions it cannot carry out;
 * - promised ship times: a few orders (POST /v1/orders: no platform mapper carries a promised ship time) due to
 *   ship 90 s after they are placed, from a warehouse that ships late: half of them after the warning, half never.
 *
 * Topology as the other benches': embedded PostgreSQL and an in-memory Temporal dev server in this process, the
 * API and one worker each in its own process (`bench/services.ts`), the simulator's driver and the simulated
 * warehouse (one player per demo warehouse) in this process. Exit code 0 when the checks pass, 3 when one
 * fails, 1 when the run itself failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drive, formatReport, parseSimulateArgs, type DriveReport } from '../channels/simulator/drive.js';
import { startWarehouse, trackingNumber, warehouseEventId, type WarehousePlayer, type WarehouseReport } from '../channels/simulator/warehouse.js';
import { apiCall, benchShutdown, startOrderly } from './services.js';
import { pct } from './stats.js';

const env = (name: string, def: string) => process.env[name] ?? def;
const RATE = env('BENCH_RATE', '4');
const DURATION = env('BENCH_DURATION', '60');
const SEED = env('BENCH_SEED', '2026');
const SLA_WAIT_S = Number(env('BENCH_SLA_WAIT', '90'));
/** The injected shares (of the simulator's orders). */
const FAULTS = { refundLine: '0.08', lateAddress: '0.1', badAddress: '0.1', warehouseFail: 0.05, interceptFail: 0.5 };
/** The compressed policy: due after 1 minute, levels 1, 2, 3 at 1, 2, 3 minutes. */
const SLA_MINUTES = 1;
const LADDER_MINUTES = [1, 2, 3] as const;
/** An escalation is the order workflow's timer, then a local activity: this late still counts as on time. */
const GRACE_MS = 10_000;
/** Warehouses the simulated warehouse works; WH-SLOW (made here) is the late one. */
const WAREHOUSES = ['WH-BJ', 'WH-TJ', 'WH-SH', 'WH-GZ', 'WH-CD'];
const SLOW = { warehouse: 'WH-SLOW', sku: 'BENCH-SLOW-1', orders: 6, promiseInS: 90 };
const SHORT = { restocked: 'KETTLE-17L', scarce: 'TEA-LJ-250', restockAt: 0.5, restockQty: 3000 };
/** Whole run, so that a stuck stage cannot keep it going: under the ~4 minutes the brief allows. */
const BUDGET_MS = 235_000;

const say = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const { stops, stopAll, keepOnlyOwnSignalHandlers } = benchShutdown(say);

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-exceptions-day-'));
fs.chmodSync(runDir, 0o755);
stops.push({ what: 'run directory', stop: async () => fs.rmSync(runDir, { recursive: true, force: true }) });

// The API ------------------------------------------------------------------------------------------------

interface Exception {
  id: string;
  kind: string;
  type: string;
  status: 'open' | 'resolved';
  ownerRole: string | null;
  orderId: string | null;
  detail: Record<string, unknown>;
  openedAt: string;
  dueAt: string | null;
  escalationLevel: number;
  resolvedBy: string | null;
  resolvedAt: string | null;
}
interface ExceptionEvent {
  at: string;
  event: string;
  actor: string | null;
  detail: Record<string, unknown>;
}

let api = '';
/** The admin key of the bench's Orderly (its first key). */
let apiKey = '';
const call = <T = unknown>(method: string, p: string, body?: unknown, expect?: number[]): Promise<T> => apiCall<T>(api, apiKey, method, p, body, expect);

async function allExceptions(): Promise<Exception[]> {
  const out: Exception[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Exception[]; nextCursor: string | null } = await call('GET', `/v1/exceptions?status=all&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Runs `fn` over `xs`, `n` at a time. */
async function eachLimited<T, R>(xs: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(xs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let i = next++; i < xs.length; i = next++) out[i] = await fn(xs[i]!);
    }),
  );
  return out;
}

// Setting the day up ------------------------------------------------------------------------------------

/** The exception policy in force, shortened: every type keeps its severity and roles, due after 1 minute. */
async function putShortPolicy(): Promise<number> {
  const current = await call<{ types: Record<string, { severity: string; ownerRole: string; escalation: Array<{ ownerRole: string }> }> }>('GET', '/v1/settings/exception-policy');
  const types = Object.fromEntries(
    Object.entries(current.types).map(([t, p]) => [
      t,
      {
        severity: p.severity,
        ownerRole: p.ownerRole,
        slaMinutes: SLA_MINUTES,
        escalation: LADDER_MINUTES.map((afterMinutes, i) => ({ level: i + 1, afterMinutes, ownerRole: p.escalation[i]?.ownerRole ?? p.escalation.at(-1)?.ownerRole ?? p.ownerRole })),
        finalAction: 'none',
        // A shortage where some lines are in stock ships them at once and back-orders the rest (拆分发货).
        ...(t === 'OUT_OF_STOCK' ? { autoResolve: { action: 'ship_available' } } : {}),
      },
    ]),
  );
  const saved = await call<{ version: number }>('PUT', '/v1/settings/exception-policy', { id: 'bench.exceptions-day', shipmentWarningMinutes: 1, types });
  return saved.version;
}

/** The published rule set again, with a review SLA of 1 minute: an order left in manual review surfaces as REVIEW_OVERDUE within the run. */
async function shortenReviewSla(): Promise<number> {
  const current = await call<{ document: { settings?: Record<string, unknown> } & Record<string, unknown> }>('GET', '/v1/rules');
  const doc = current.document;
  const draft = await call<{ version: number }>('PUT', '/v1/rules/draft', { ...doc, description: 'bench exceptions-day: the published rules, review SLA 1 minute', settings: { ...(doc.settings ?? {}), reviewSlaMinutes: 1 } });
  await call('POST', '/v1/rules/publish', { version: draft.version, comment: 'bench exceptions-day' });
  return draft.version;
}

async function adjust(warehouse: string, sku: string, delta: number, reason: string): Promise<void> {
  await call('POST', `/v1/inventory/${warehouse}/${sku}/adjustments`, { delta, reason });
}

/** Stock at the start: none of one SKU, a little of another. */
async function makeShortages(): Promise<void> {
  const levels = await call<{ items: Array<{ warehouseCode: string; skuCode: string; onHand: number }> }>('GET', '/v1/inventory');
  for (const l of levels.items) {
    if (l.skuCode === SHORT.restocked && l.onHand > 0) await adjust(l.warehouseCode, l.skuCode, -l.onHand, 'bench: out of stock at the start of the day');
    if (l.skuCode === SHORT.scarce && l.onHand > 0) {
      const keep = l.warehouseCode === 'WH-SH' ? 10 : 0;
      if (l.onHand > keep) await adjust(l.warehouseCode, l.skuCode, keep - l.onHand, 'bench: scarce all day');
    }
  }
}

/** The late warehouse and the SKU only it holds, for the orders with a promised ship time. */
async function makeSlowWarehouse(): Promise<void> {
  await call('POST', '/v1/warehouses', { code: SLOW.warehouse, name: 'Bench late warehouse', province: '北京市', city: '北京市', district: '通州区', priority: 5 });
  await call('POST', '/v1/skus', { code: SLOW.sku, name: 'Bench gift box', weightG: 500, volumeCm3: 2000, valueFen: 9900 });
  await adjust(SLOW.warehouse, SLOW.sku, 100, 'bench: the late warehouse holds it');
}

const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** Orders promised to ship soon, from the late warehouse (POST /v1/orders, then paid). */
async function postPromisedOrders(): Promise<string[]> {
  const ids: string[] = [];
  const now = Date.now();
  for (let i = 0; i < SLOW.orders; i++) {
    const platformOrderId = `day-${SEED}-${i + 1}`;
    const order = {
      platform: 'manual',
      shopId: 'day-manual',
      platformOrderId,
      buyerKey: `day-buyer-${i + 1}`,
      receiver: { name: '王**', phone: '139****1234', province: '北京市', city: '北京市', district: '朝阳区', detail: `建国路${88 + i}号` },
      lines: [{ lineId: `${platformOrderId}-1`, skuCode: SLOW.sku, title: 'Bench gift box', quantity: 1, unitPriceFen: 9900, discountFen: 0, paidFen: 9900 }],
      amounts: { goodsFen: 9900, shippingFen: 0, discountFen: 0, paidFen: 9900 },
      promisedShipAt: isoSeconds(now + SLOW.promiseInS * 1000),
      createdAt: isoSeconds(now),
      paidAt: isoSeconds(now),
    };
    const r = await call<{ orderId: string }>('POST', '/v1/orders', order);
    await call('POST', `/v1/orders/${encodeURIComponent(r.orderId)}/events`, { type: 'paid' });
    ids.push(r.orderId);
  }
  return ids;
}

/** The late warehouse ships the first half of its parcels once their SHIPMENT_OVERDUE is open: those close by themselves. */
async function shipHalfLate(orderIds: string[], until: number): Promise<{ shipped: number; afterWarning: number }> {
  const half = orderIds.slice(0, Math.ceil(orderIds.length / 2));
  let warned = new Set<string>();
  while (Date.now() < until) {
    const open = await call<{ items: Exception[] }>('GET', '/v1/exceptions?type=SHIPMENT_OVERDUE&status=all&limit=500');
    warned = new Set(open.items.map((e) => e.orderId ?? ''));
    if (half.every((id) => warned.has(id))) break;
    await sleep(2000);
  }
  const pkgs = await call<{ items: Array<{ id: string; carrierCode: string | null; memberOrderIds: string[] }> }>('GET', `/v1/packages?status=released&warehouse=${SLOW.warehouse}&limit=200`);
  let shipped = 0;
  for (const p of pkgs.items.filter((x) => x.memberOrderIds.some((id) => half.includes(id)))) {
    const carrierCode = p.carrierCode ?? 'YTO';
    await call('POST', `/v1/packages/${encodeURIComponent(p.id)}/events`, { type: 'picked', eventId: warehouseEventId('picked', p.id) });
    await call('POST', `/v1/packages/${encodeURIComponent(p.id)}/events`, { type: 'shipped', eventId: warehouseEventId('shipped', p.id), carrierCode, trackingNo: trackingNumber(carrierCode, p.id, Number(SEED)) });
    shipped++;
  }
  return { shipped, afterWarning: half.filter((id) => warned.has(id)).length };
}

// The report --------------------------------------------------------------------------------------------

const AUTO = new Set(['orderly', 'policy']);
const secs = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(1)}`);
const cell = (v: string | number, w: number) => String(v).padStart(w);

/** The level an exception opened at `openedMs` should have reached by `now` under the short ladder (with the grace). */
function expectedLevel(openedMs: number, now: number): number {
  let level = 0;
  LADDER_MINUTES.forEach((m, i) => {
    if (now - openedMs >= m * 60_000 + GRACE_MS) level = i + 1;
  });
  return level;
}

interface DayFacts {
  report: DriveReport;
  promised: string[];
  late: { shipped: number; afterWarning: number };
  /** When the restock was posted (epoch ms), and how far into the generation. */
  restockedAt: number | null;
  restockedAtS: number | null;
  warehouse: WarehouseReport;
  policyVersion: number;
  rulesVersion: number;
}

async function reportDay(facts: DayFacts): Promise<boolean> {
  const now = Date.now();
  const all = await allExceptions();
  const summary = await call<{ total: { open: number; overdue: number }; byType: Array<{ type: string; open: number }> }>('GET', '/v1/exceptions/summary');
  const events = new Map<string, ExceptionEvent[]>();
  await eachLimited(all, 8, async (e) => {
    const d = await call<{ events: ExceptionEvent[] }>('GET', `/v1/exceptions/${e.id}`);
    events.set(e.id, d.events);
  });

  const types = [...new Set(all.map((e) => e.type))].sort();
  say(`\n== exceptions of the day (${all.length} in all; read ${new Date(now).toISOString()}; policy v${facts.policyVersion}: due after ${SLA_MINUTES} min, levels at ${LADDER_MINUTES.join('/')} min)`);
  say(`type                 opened  auto-resolved  time to auto-resolution s p50 / p90 / max  other-resolved  open  open L0/L1/L2/L3  past due  past due at L0`);
  const row = (name: string, xs: Exception[]) => {
    const auto = xs.filter((e) => e.status === 'resolved' && AUTO.has(e.resolvedBy ?? ''));
    const other = xs.filter((e) => e.status === 'resolved' && !AUTO.has(e.resolvedBy ?? ''));
    const ttr = auto.map((e) => Date.parse(e.resolvedAt!) - Date.parse(e.openedAt));
    const open = xs.filter((e) => e.status === 'open');
    const byLevel = [0, 1, 2, 3].map((l) => open.filter((e) => e.escalationLevel === l).length).join('/');
    const pastDue = open.filter((e) => e.dueAt && Date.parse(e.dueAt) + GRACE_MS < now);
    const stuck = pastDue.filter((e) => e.escalationLevel < 1);
    const times = ttr.length ? `${secs(pct(ttr, 50))} / ${secs(pct(ttr, 90))} / ${secs(Math.max(...ttr))}` : '-';
    say(`${name.padEnd(20)}${cell(xs.length, 7)}${cell(auto.length, 15)}${cell(times, 42)}${cell(other.length, 16)}${cell(open.length, 6)}${cell(byLevel, 18)}${cell(pastDue.length, 10)}${cell(stuck.length, 16)}`);
  };
  for (const t of types) row(t, all.filter((e) => e.type === t));
  row('all', all);

  // Every exception has an owner role and a due time.
  const noOwner = all.filter((e) => !e.ownerRole);
  const noDue = all.filter((e) => !e.dueAt || Number.isNaN(Date.parse(e.dueAt)) || Date.parse(e.dueAt) < Date.parse(e.openedAt));
  // Every open one past its due time (plus the grace) has escalated, and none is behind the ladder.
  const open = all.filter((e) => e.status === 'open');
  const pastDue = open.filter((e) => e.dueAt && Date.parse(e.dueAt) + GRACE_MS < now);
  const notEscalated = pastDue.filter((e) => e.escalationLevel < 1);
  const behind = open.filter((e) => e.escalationLevel < expectedLevel(Date.parse(e.openedAt), now));
  // How late the first escalation came after the due time, over those that escalated.
  const lags: number[] = [];
  for (const e of all) {
    const first = events.get(e.id)?.find((ev) => ev.event === 'escalated');
    if (first && e.dueAt) lags.push(Date.parse(first.at) - Date.parse(e.dueAt));
  }
  const noOpenedEvent = all.filter((e) => !events.get(e.id)?.some((ev) => ev.event === 'opened'));
  const summaryOpen = Object.fromEntries(summary.byType.map((b) => [b.type, b.open]));
  const summaryAgrees = summary.total.open === open.length && types.every((t) => (summaryOpen[t] ?? 0) === open.filter((e) => e.type === t).length);

  // Orders' statuses now, and the exceptions on each.
  const byOrder = new Map<string, Exception[]>();
  for (const e of all) if (e.orderId) byOrder.set(e.orderId, [...(byOrder.get(e.orderId) ?? []), e]);
  const statusOf = new Map<string, string>();
  for (const s of facts.report.shops) {
    for (let offset = 0; ; offset += 500) {
      const page = await call<{ total: number; items: Array<{ id: string; status: string }> }>('GET', `/v1/orders?shopId=${encodeURIComponent(s.shopId)}&limit=500&offset=${offset}`);
      for (const o of page.items) statusOf.set(o.id, o.status);
      if (page.items.length === 0 || offset + page.items.length >= page.total) break;
    }
  }
  for (const id of facts.promised) statusOf.set(id, (await call<{ status: string }>('GET', `/v1/orders/${encodeURIComponent(id)}`)).status);
  // An order whose workflow has ended holds no timer for its exceptions any more.
  const ENDED = new Set(['shipped', 'shipped_elsewhere', 'closed', 'cancelled']);
  const openOnEnded = open.filter((e) => e.orderId && ENDED.has(statusOf.get(e.orderId) ?? ''));
  say(`\nchecks`);
  say(`  owner role missing: ${noOwner.length}; due time missing or before opening: ${noDue.length}  (expected 0 and 0)`);
  say(`  open and past due by more than ${GRACE_MS / 1000} s: ${pastDue.length}; of those still at level 0 (not escalated): ${notEscalated.length}  (expected 0)`);
  say(`  open and behind the ladder (level below what ${LADDER_MINUTES.join('/')} min from opening call for, with the grace): ${behind.length}  (expected 0)`);
  say(`  first escalation after the due time: ${lags.length ? `p50 ${secs(pct(lags, 50))} s, max ${secs(Math.max(...lags))} s over ${lags.length}` : 'none escalated'}`);
  say(`  open on an order that has ended (its workflow holds no SLA timer any more): ${openOnEnded.length}${openOnEnded.length ? ` (${[...new Set(openOnEnded.map((e) => `${e.type} on ${statusOf.get(e.orderId!)}`))].join(', ')})` : ''}`);
  say(`  history: ${noOpenedEvent.length} without an 'opened' event; GET /v1/exceptions/summary agrees with the list: ${summaryAgrees ? 'yes' : `no (summary open ${summary.total.open}, list ${open.length})`}`);
  const evidence = async (xs: Exception[], n = 3): Promise<string[]> => {
    const out: string[] = [];
    for (const e of xs.slice(0, n)) {
      const h = (events.get(e.id) ?? []).map((ev) => `${ev.event}@${ev.at.slice(11, 19)}${ev.actor ? ` by ${ev.actor}` : ''}`).join(', ');
      out.push(`    #${e.id} ${e.type} (${e.kind}) opened ${e.openedAt.slice(11, 19)} due ${e.dueAt?.slice(11, 19) ?? '-'} level ${e.escalationLevel}; history: ${h}`);
      if (!e.orderId) continue;
      const o = await call<{ status: string; timeline: Array<{ type: string; at: string }> }>('GET', `/v1/orders/${encodeURIComponent(e.orderId)}`);
      out.push(`      order ${e.orderId} is ${o.status}; timeline ends: ${o.timeline.slice(-6).map((t) => `${t.type}@${t.at.slice(11, 19)}`).join(', ')}`);
    }
    return out;
  };
  if (notEscalated.length) {
    const byKind = new Map<string, number>();
    for (const e of notEscalated) byKind.set(`${e.type}/${e.kind}`, (byKind.get(`${e.type}/${e.kind}`) ?? 0) + 1);
    say(`  not escalated, by type/kind: ${[...byKind].map(([k, v]) => `${k} ${v}`).join(', ')}; one of each:`);
    const onePerKind = [...byKind.keys()].map((k) => notEscalated.find((e) => `${e.type}/${e.kind}` === k)!);
    for (const l of await evidence(onePerKind, 4)) say(l);
  }
  const behindOnly = behind.filter((e) => !notEscalated.includes(e));
  if (behindOnly.length) {
    say(`  behind the ladder (escalated, but not far enough), for example:`);
    for (const l of await evidence(behindOnly)) say(l);
  }

  const tally = (xs: string[]) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  };
  const faultLine = (name: string, orderIds: string[]) => {
    const ex = orderIds.flatMap((id) => byOrder.get(id) ?? []);
    const none = orderIds.filter((id) => !byOrder.has(id)).length;
    say(`  ${name.padEnd(40)} ${String(orderIds.length).padStart(3)} orders; exceptions: ${tally(ex.map((e) => `${e.type}(${e.status === 'open' ? `open L${e.escalationLevel}` : `by ${e.resolvedBy}`})`))}; ${none} with none; orders now: ${tally(orderIds.map((id) => statusOf.get(id) ?? 'missing'))}`);
  };
  const gen = facts.report.orders;
  say(`\nfaults injected, and what Orderly opened on their orders (OUT_OF_STOCK by the SKUs its detail names)`);
  const oos = all.filter((e) => e.type === 'OUT_OF_STOCK');
  const skusOf = (e: Exception) => ((e.detail.shortages as Array<{ skuCode: string }> | undefined) ?? []).map((s) => s.skuCode);
  const restockedAt = facts.restockedAtS === null ? 'never' : `${facts.restockedAtS.toFixed(0)} s`;
  for (const [what, xs] of [
    [`${SHORT.restocked} only (no stock; +${SHORT.restockQty} at ${restockedAt})`, oos.filter((e) => skusOf(e).includes(SHORT.restocked) && !skusOf(e).includes(SHORT.scarce))],
    [`${SHORT.scarce} (10 units all day)`, oos.filter((e) => skusOf(e).includes(SHORT.scarce))],
    ['other SKUs', oos.filter((e) => !skusOf(e).includes(SHORT.restocked) && !skusOf(e).includes(SHORT.scarce))],
  ] as const) {
    if (xs.length || what !== 'other SKUs') say(`  ${`shortage ${what}`.padEnd(56)} OUT_OF_STOCK ${xs.length}: ${tally(xs.map((e) => (e.status === 'open' ? `open L${e.escalationLevel}` : `resolved by ${e.resolvedBy}`)))}`);
  }
  const restocked = oos.filter((e) => skusOf(e).includes(SHORT.restocked) && !skusOf(e).includes(SHORT.scarce));
  const afterRestock = restocked.filter((e) => e.resolvedAt && facts.restockedAt !== null).map((e) => Date.parse(e.resolvedAt!) - facts.restockedAt!);
  if (afterRestock.length) say(`    resolved after the restock: p50 ${secs(pct(afterRestock, 50))} s, max ${secs(Math.max(...afterRestock))} s after it (negative: resolved before it, by stock given back)`);
  // The exception keeps the shortages of the plan that opened it; the order's workflow knows what it is short of now.
  const shortNow = new Map<string, string[]>();
  await eachLimited(
    oos.filter((e) => e.status === 'open' && e.orderId),
    8,
    async (e) => {
      const st = await call<{ fulfilment?: { shortages?: Array<{ skuCode: string; short: number }> } }>('GET', `/v1/orders/${encodeURIComponent(e.orderId!)}/state`);
      shortNow.set(e.id, (st.fulfilment?.shortages ?? []).map((x) => `${x.skuCode} x${x.short}`));
    },
  );
  const said = (e: Exception) => ((e.detail.shortages as Array<{ skuCode: string; short: number }> | undefined) ?? []).map((x) => `${x.skuCode} x${x.short}`);
  const stale = oos.filter((e) => shortNow.has(e.id) && said(e).slice().sort().join() !== shortNow.get(e.id)!.slice().sort().join());
  say(`    open OUT_OF_STOCK whose detail no longer says what the order is short of: ${stale.length} of ${shortNow.size}`);
  for (const e of stale.slice(0, 3)) say(`      #${e.id} ${e.orderId}: the exception says ${said(e).join(', ')}; the order's workflow (GET .../state) is short of ${shortNow.get(e.id)!.join(', ') || 'nothing'}`);
  for (const kind of ['no_street', 'ambiguous', 'unrecognised'] as const) {
    for (const platforms of [['taobao', 'jd'], ['douyin', 'pdd']] as const) {
      const ids = gen.filter((g) => g.badAddress === kind && (platforms as readonly string[]).includes(g.platform)).map((g) => g.orderId);
      if (ids.length) faultLine(`bad address ${kind} (${platforms.join('/')})`, ids);
    }
  }
  faultLine('refund of a line (taobao/pdd)', gen.filter((g) => g.scenario === 'refund_line').map((g) => g.orderId));
  faultLine('late address change', gen.filter((g) => g.scenario === 'late_address').map((g) => g.orderId));
  const w = facts.warehouse;
  const rejected = all.filter((e) => e.type === 'WAREHOUSE_REJECTED').flatMap((e) => ((e.detail.failed as Array<{ reason: string }> | undefined) ?? []).map((f) => f.reason.replace(/^intercepted: .*/, 'intercepted for a change')));
  say(`  warehouse: ${w.seen} parcels taken, ${w.shipped} shipped, ${w.failed} failed (WAREHOUSE_REJECTED opened ${all.filter((e) => e.type === 'WAREHOUSE_REJECTED').length}: ${tally(rejected)}), ${w.intercepted} intercepted, ${w.interceptFailed} interceptions failed (INTERCEPT_FAILED opened ${all.filter((e) => e.type === 'INTERCEPT_FAILED').length})`);
  faultLine(`promised ship in ${SLOW.promiseInS} s (${SLOW.warehouse})`, facts.promised);
  say(`    of which shipped late by the bench, after their warning: ${facts.late.shipped} (${facts.late.afterWarning} had SHIPMENT_OVERDUE open when shipped); the rest never ship`);
  const review = all.filter((e) => e.type === 'REVIEW_OVERDUE');
  const reasonsOf = (e: Exception) => ((e.detail.reasons as string[] | undefined) ?? []).map((r) => (r.length > 48 ? `${r.slice(0, 45)}...` : r));
  if (review.length) say(`  REVIEW_OVERDUE by review reason: ${tally(review.flatMap(reasonsOf))}`);
  const unseen = all.filter((e) => !e.orderId || (!gen.some((g) => g.orderId === e.orderId) && !facts.promised.includes(e.orderId)));
  if (unseen.length) say(`  exceptions on no order of the run (shop-level or other): ${tally(unseen.map((e) => `${e.type}/${e.kind}`))}`);

  const autoResolved = all.filter((e) => e.status === 'resolved' && AUTO.has(e.resolvedBy ?? '')).length;
  const failures = [
    noOwner.length + noDue.length ? `${noOwner.length + noDue.length} without owner or due time` : '',
    notEscalated.length ? `${notEscalated.length} open past due not escalated (${tally(notEscalated.map((e) => e.type))})` : '',
    openOnEnded.length ? `${openOnEnded.length} open on ended orders, with no timer left` : '',
    behindOnly.length ? `${behindOnly.length} behind the escalation ladder` : '',
    autoResolved === 0 ? 'none resolved automatically' : '',
    pastDue.length === 0 ? 'no open exception got past its due time: the escalation check saw nothing' : '',
  ].filter(Boolean);
  const pass = failures.length === 0;
  say(
    `\nverdict: ${pass ? 'PASS' : 'FAIL'}: ${all.length} exceptions over ${new Set(all.map((e) => e.orderId)).size} orders, ${autoResolved} resolved by Orderly itself, ${open.length} open` +
      (pass ? `, all owned and due, all ${pastDue.length} past due escalated` : `; ${failures.join('; ')}`),
  );
  return pass;
}

// The run ---------------------------------------------------------------------------------------------

let exitCode = 0;
const started = Date.now();
try {
  const orderly = await startOrderly({ runDir, database: 'orderly_exceptions_day', stops, say, afterPostgres: keepOnlyOwnSignalHandlers, env: { PACKAGE_HOLD_WINDOW: '5s' } });
  api = orderly.api;
  apiKey = orderly.apiKey;
  const services = orderly.services;

  const policyVersion = await putShortPolicy();
  const rulesVersion = await shortenReviewSla();
  await makeShortages();
  await makeSlowWarehouse();
  say(`Orderly ready at ${api} (${((Date.now() - started) / 1000).toFixed(1)} s); exception policy v${policyVersion} (SLA ${SLA_MINUTES} min, levels ${LADDER_MINUTES.join('/')} min, shipment warning 1 min), rule set v${rulesVersion} (review SLA 1 min)`);
  say(`stock: ${SHORT.restocked} 0 everywhere (+${SHORT.restockQty} at ${SHORT.restockAt * 100}% of the generation), ${SHORT.scarce} 10 in WH-SH; ${SLOW.warehouse} holds ${SLOW.sku}, worked by nobody until the bench ships half its parcels late`);

  const seed = Number(SEED);
  const players: WarehousePlayer[] = WAREHOUSES.map((code, i) =>
    startWarehouse({ api, apiKey, seed: seed + 7919 + i, warehouse: code, delayMs: [300, 3000], failRate: FAULTS.warehouseFail, interceptFailRate: FAULTS.interceptFail, defaultCarrier: 'YTO', pollMs: 1000 }),
  );
  const stopPlayers = async (): Promise<WarehouseReport> => {
    const rs = await Promise.all(players.map((p) => p.stop()));
    const sum = (k: 'seen' | 'picked' | 'shipped' | 'failed' | 'intercepted' | 'interceptFailed' | 'retried') => rs.reduce((n, r) => n + r[k], 0);
    return { seen: sum('seen'), picked: sum('picked'), shipped: sum('shipped'), failed: sum('failed'), intercepted: sum('intercepted'), interceptFailed: sum('interceptFailed'), errors: Object.assign({}, ...rs.map((r) => r.errors)) as Record<string, number>, retried: sum('retried'), undelivered: rs.flatMap((r) => r.undelivered), ordersInShippedPackages: 0, trackingNumbers: {} };
  };
  stops.push({ what: 'warehouse players', stop: stopPlayers });

  const args = [
    ...['--platform', 'all', '--rate', RATE, '--duration', DURATION, '--seed', SEED, '--wait', '20', '--shop-prefix', 'day', '--api', api],
    ...['--refund-line', FAULTS.refundLine, '--late-address', FAULTS.lateAddress, '--bad-address', FAULTS.badAddress],
  ];
  // The key goes to the driver, not into the command line printed below.
  const parsed = parseSimulateArgs(args, Date.now(), apiKey);
  if (parsed.kind !== 'run') throw new Error(`simulator arguments: ${JSON.stringify(parsed)}`);
  say(`\n== the day: npm run simulate -- ${args.join(' ')}`);
  say(`   plus the simulated warehouse on ${WAREHOUSES.join(', ')} (fail ${FAULTS.warehouseFail}, interception fails ${FAULTS.interceptFail}), ${SLOW.orders} orders promised in ${SLOW.promiseInS} s from ${SLOW.warehouse}`);
  const dayStart = Date.now();
  const durationMs = Number(DURATION) * 1000;
  const driving = drive(parsed.options);
  // Alongside the stream: the promised orders, the restock, and the late shipments.
  const promised = await (async () => {
    await sleep(3000);
    return postPromisedOrders();
  })();
  let restockedAtS: number | null = null;
  let restockedAt: number | null = null;
  const restocking = (async () => {
    await sleep(Math.max(0, dayStart + durationMs * SHORT.restockAt - Date.now()));
    await adjust('WH-SH', SHORT.restocked, SHORT.restockQty, 'bench: goods received mid-day');
    restockedAt = Date.now();
    restockedAtS = (restockedAt - dayStart) / 1000;
  })();
  const late = shipHalfLate(promised, dayStart + 3000 + SLOW.promiseInS * 1000);
  const report = await driving;
  // The simulated platforms stopped with the driver: a parcel shipped from now on could not be written back
  // to them, which would only add write-back failures of the bench's making.
  const warehouse = await stopPlayers();
  stops.splice(stops.findIndex((s) => s.what === 'warehouse players'), 1);
  await restocking;
  const lateResult = await late;
  say(formatReport(report));
  const dead = services.find((s) => s.exited);
  if (dead) throw new Error(`${dead.name} exited during the run (${dead.exitInfo}):\n${dead.tail()}`);

  // Past the short SLA: exceptions opened during the day get past their due time and should escalate.
  const horizon = Math.min(dayStart + durationMs + SLA_WAIT_S * 1000, started + BUDGET_MS);
  say(`\nwaiting ${((horizon - Date.now()) / 1000).toFixed(0)} s for the SLA to pass (no person acts) ...`);
  await sleep(Math.max(0, horizon - Date.now()));

  const pass = await reportDay({ report, promised, late: lateResult, restockedAt, restockedAtS, warehouse, policyVersion, rulesVersion });
  if (!pass) exitCode = 3;
  for (const s of services) {
    const c = s.logCounts();
    say(`logs: ${s.name} ${c.error} error / ${c.warn} warn${c.firstErrors.length ? `: ${c.firstErrors.join(' | ')}` : ''}`);
  }
  say(`wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
} catch (e) {
  exitCode = 1;
  say(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await stopAll();
  process.exit(exitCode);
}
