/**
 * The chaos run: a stream of simulated platform orders flows into Orderly while its processes are killed and
 * its infrastructure restarted, every push is delivered several times and out of order, and many orders
 * compete for the last few units of one SKU; once the system has settled, the invariants are read from
 * PostgreSQL and Temporal and printed, each PASS or FAIL with its counts and the first offending ids.
 *
 * `npm run chaos` (bench/chaos.bench.ts) runs the full form; `tests/integration/chaos.test.ts` a short one; the
 * scale-out run (bench/scale-out.bench.ts) builds the same orders and checks the same invariants. Everything
 * here is the harness: Orderly itself runs unchanged in its own processes (bench/cluster.ts).
 */
import { sql } from 'kysely';
import type { Client } from '@temporalio/client';
import { seededRandom, type SimOrder, type SimPlatform } from '../channels/simulator/generator.js';
import { PlatformSimulator, type PushKind, type SimShop, type SimWriteback } from '../channels/simulator/server.js';
import { startWarehouse, type WarehousePlayer, type WarehouseReport } from '../channels/simulator/warehouse.js';
import type { Db } from '../db/database.js';
import { orderWorkflowId } from '../domain/order.js';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order-status.js';
import { inboxEventId } from '../ingest/ingest.js';
import { orderWorkflowType, stateQuery } from '../workflows/order.messages.js';
import { OrderStatusKey } from '../workflows/search-attributes.js';
import { startCluster, type Cluster } from './cluster.js';
import { apiCall } from './services.js';

// Options -------------------------------------------------------------------------------------------------

export const FAULTS = ['worker', 'api', 'temporal', 'postgres'] as const;
export type Fault = (typeof FAULTS)[number];
const FAULT_TEXT: Record<Fault, string> = {
  worker: 'kill -9 the worker (its process group), start it again',
  api: 'kill -9 the API (its process group), start it again on the same port',
  temporal: 'stop the Temporal dev server, start it again on the same port and database file',
  postgres: 'stop PostgreSQL, start it again on the same data directory and port',
};

export interface ChaosOptions {
  /** Orders of the stream (besides the contest). */
  orders: number;
  /** Orders per second of the stream (first deliveries). */
  rate: number;
  /** Orders of one unit each of the contested SKU, and the units it has in all warehouses together. */
  contestOrders: number;
  contestUnits: number;
  /** Each push is delivered this many times (the same message id). */
  deliveries: number;
  /** Faults, in this order, spread over the stream. */
  faults: readonly Fault[];
  seed: number;
  /** How long to wait for the system to settle once the stream has been sent. */
  settleTimeoutMs: number;
  /** How long a fault keeps the component down before it is started again. */
  downMs: number;
}

export const CHAOS_DEFAULTS: ChaosOptions = {
  orders: 300,
  rate: 1.5,
  contestOrders: 200,
  contestUnits: 10,
  deliveries: 3,
  faults: FAULTS,
  seed: 2026,
  settleTimeoutMs: 300_000,
  downMs: 3000,
};

// Orders and their pushes --------------------------------------------------------------------------------

export const CONTEST_SKU = 'CHAOS-LAST-UNITS';
/** Where the contested units are: spread over three warehouses. */
const CONTEST_SPLIT: ReadonlyArray<[string, number]> = [
  ['WH-SH', 0.4],
  ['WH-BJ', 0.3],
  ['WH-GZ', 0.3],
];
const CONTEST_PRICE_FEN = 6900;
const PUSH_PLATFORMS: readonly SimPlatform[] = ['taobao', 'douyin', 'pdd'];

export interface PlannedOrder {
  orderId: string;
  platform: SimPlatform;
  shopId: string;
  platformOrderId: string;
  contest: boolean;
  /** Left unpaid on the platform: it should wait for payment. */
  unpaid: boolean;
}

export interface PlannedMessage {
  /** The inbox key (and the event id the workflow sees): `<platform>:<shopId>:<messageId>`. */
  key: string;
  orderId: string;
  platform: SimPlatform;
  shopId: string;
  kind: PushKind;
  body: string;
  headers: Record<string, string>;
}

export interface PlannedPush {
  /** Milliseconds after the start of the stream. */
  atMs: number;
  message: PlannedMessage;
  /** 1 for the first delivery, 2 and 3 for the redeliveries. */
  copy: number;
  /** Index of the order (spreads deliveries over several APIs). */
  n: number;
}

export interface ChaosPlan {
  sim: PlatformSimulator;
  shops: SimShop[];
  orders: PlannedOrder[];
  messages: PlannedMessage[];
  pushes: PlannedPush[];
  /** When the contest's first orders go out, and how long the stream's first deliveries take (ms). */
  contestAtMs: number;
  streamMs: number;
}

/** A platform's acknowledgement: Taobao's `success: true`, Douyin's `code: 0`, PDD's frames with HTTP 200. */
export function acknowledged(platform: SimPlatform, status: number, text: string): boolean {
  if (status !== 200) return false;
  if (platform === 'taobao') return text.includes('"success":true');
  if (platform === 'douyin') return text.includes('"code":0');
  return true;
}
export const ACK_TEXT: Record<SimPlatform, string> = { taobao: '"success":true', douyin: '"code":0', pdd: '', jd: '' };

/** A generator of its own (the simulator's algorithm), so the plan's shuffles do not move the simulator's orders. */
const rng = seededRandom;

function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/**
 * The orders of a run and every push that carries them: per order its messages (created, and paid for a paid
 * order) in a shuffled order, the first deliveries within 400 ms, the second 1-6 s later, the third 8-30 s later
 * (`deliveries` of each, all with the message's one id). Stream orders come at `rate`; the contest's orders
 * (one unit each of CONTEST_SKU, paid) come in a burst of 20 a second from 40% of the stream on.
 */
export function planChaos(o: Pick<ChaosOptions, 'orders' | 'rate' | 'contestOrders' | 'deliveries' | 'seed'>, shopPrefix = 'chaos'): ChaosPlan {
  // Unpaid orders stay unpaid: they should wait for payment (the platforms close them after the timeout).
  const sim = new PlatformSimulator({ seed: o.seed, presaleRate: 0, unpaidRate: 0.06 });
  const r = rng(o.seed ^ 0x9e3779b9);
  const shops: SimShop[] = PUSH_PLATFORMS.map((platform) => ({ platform, shopId: `${shopPrefix}-${platform}`, appKey: `${shopPrefix}${platform}key`, appSecret: `${shopPrefix}-${platform}-secret-0123456789` }));
  for (const s of shops) sim.addShop(s);
  const orders: PlannedOrder[] = [];
  const messages: PlannedMessage[] = [];
  const pushes: PlannedPush[] = [];
  const streamMs = (o.orders / o.rate) * 1000;
  const contestAtMs = streamMs * 0.4;
  const contestRate = 20;

  const add = (n: number, baseMs: number, contest: boolean) => {
    const shop = shops[n % shops.length]!;
    const so: SimOrder = sim.createOrder(shop);
    if (contest) {
      const first = so.lines[0]!;
      so.lines = [{ lineId: first.lineId, skuCode: CONTEST_SKU, title: '限量款 保温杯 最后几件', quantity: 1, unitFen: CONTEST_PRICE_FEN, paidFen: CONTEST_PRICE_FEN }];
      so.discountFen = 0;
      so.shippingFen = 0;
      so.paidFen = CONTEST_PRICE_FEN;
    }
    // PDD announces paid orders only; contest orders are paid.
    if (so.status === 'awaiting_payment' && (contest || shop.platform === 'pdd')) sim.modifyOrder(so);
    const unpaid = so.status === 'awaiting_payment';
    const orderId = orderWorkflowId(shop.platform, shop.shopId, so.id);
    orders.push({ orderId, platform: shop.platform, shopId: shop.shopId, platformOrderId: so.id, contest, unpaid });
    const kinds: PushKind[] = unpaid ? ['created'] : ['created', 'paid'];
    const own = kinds.map((kind) => {
      const req = sim.pushRequest(shop, so, kind);
      const m: PlannedMessage = { key: inboxEventId(shop.platform, shop.shopId, req.messageId), orderId, platform: shop.platform, shopId: shop.shopId, kind, body: req.body, headers: req.headers };
      messages.push(m);
      return m;
    });
    for (let copy = 1; copy <= o.deliveries; copy++) {
      const window = copy === 1 ? [0, 400] : copy === 2 ? [1000, 6000] : [8000, 30_000];
      for (const m of shuffle([...own], r)) pushes.push({ atMs: Math.round(baseMs + window[0]! + r() * (window[1]! - window[0]!)), message: m, copy, n });
    }
  };
  let n = 0;
  for (let i = 0; i < o.orders; i++) add(n++, (i * 1000) / o.rate, false);
  for (let i = 0; i < o.contestOrders; i++) add(n++, contestAtMs + (i * 1000) / contestRate, true);
  pushes.sort((a, b) => a.atMs - b.atMs);
  return { sim, shops, orders, messages, pushes, contestAtMs, streamMs };
}

// Setting Orderly up for the run -------------------------------------------------------------------------


export interface StockSnapshot {
  /** `<warehouse>/<sku>` -> on hand when the stream started. */
  onHand: Map<string, number>;
}

/**
 * Connects the simulator's shops (push only), creates the contested SKU with `units` on hand over three
 * warehouses, and snapshots the stock the run starts from.
 */
export async function prepareOrderly(api: string, key: string, db: Db, plan: ChaosPlan, units: number): Promise<StockSnapshot> {
  await plan.sim.start();
  for (const s of plan.shops) {
    await apiCall(api, key, 'POST', '/v1/shops', { id: s.shopId, platform: s.platform, name: `chaos ${s.platform}`, credentials: { appKey: s.appKey, appSecret: s.appSecret }, apiBaseUrl: plan.sim.baseUrl(s.platform), syncMode: 'push' });
  }
  await apiCall(api, key, 'POST', '/v1/skus', { code: CONTEST_SKU, name: 'Limited vacuum flask (last units)', weightG: 400, volumeCm3: 1500, valueFen: CONTEST_PRICE_FEN });
  const split: Array<[string, number]> = [];
  let left = units;
  CONTEST_SPLIT.forEach(([wh, share], i) => {
    const n = i === CONTEST_SPLIT.length - 1 ? left : Math.min(left, Math.round(units * share));
    left -= n;
    if (n > 0) split.push([wh, n]);
  });
  for (const [wh, n] of split) await apiCall(api, key, 'POST', `/v1/inventory/${wh}/${CONTEST_SKU}/adjustments`, { delta: n, reason: 'chaos: the last units' });
  const rows = await db.selectFrom('inventory').select(['warehouse_code', 'sku_code', 'on_hand']).execute();
  return { onHand: new Map(rows.map((x) => [`${x.warehouse_code}/${x.sku_code}`, x.on_hand])) };
}

// Sending like a platform --------------------------------------------------------------------------------

export interface SendStats {
  deliveries: number;
  acknowledged: number;
  /** Answers that were not an acknowledgement, by kind (HTTP status, `refused` for no connection, `timeout`). */
  refusals: Record<string, number>;
  /** Deliveries sent again after a refusal (a platform's redelivery). */
  retried: number;
  /** Deliveries given up on after the retry budget (their message may still be in by another copy). */
  gaveUp: number;
  /** Acknowledgements per API (index of `apiUrls`). */
  acknowledgedByApi: number[];
  /** Message keys acknowledged at least once. */
  acknowledgedMessages: Set<string>;
  done: boolean;
}

const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Sends the plan from this process, open loop (each push at its time whatever happened to the others), to the
 * APIs in turn. A push that is not acknowledged (no connection, 5xx, the platform's "retry") is delivered again
 * like a platform does, backing off from 0.5 s to 8 s, for up to `retryBudgetMs`; a redelivery may reach
 * another API, as behind a load balancer.
 */
export function sendPlan(pushes: readonly PlannedPush[], apiUrls: readonly string[], t0: number, retryBudgetMs = 180_000): { stats: SendStats; done: Promise<void> } {
  const stats: SendStats = { deliveries: 0, acknowledged: 0, refusals: {}, retried: 0, gaveUp: 0, acknowledgedByApi: apiUrls.map(() => 0), acknowledgedMessages: new Set(), done: false };
  const deliver = async (p: PlannedPush) => {
    const giveUpAt = Date.now() + retryBudgetMs;
    let backoff = 500;
    for (let attempt = 0; ; attempt++) {
      const i = (p.n + p.copy + attempt) % apiUrls.length;
      const m = p.message;
      stats.deliveries++;
      let outcome: string;
      try {
        const res = await fetch(`${apiUrls[i]}/webhooks/${m.platform}/${m.shopId}`, { method: 'POST', headers: m.headers, body: m.body, signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        outcome = acknowledged(m.platform, res.status, text) ? 'ok' : res.status === 200 ? 'HTTP 200 retry' : `HTTP ${res.status}`;
      } catch (e) {
        outcome = (e as Error).name === 'TimeoutError' ? 'timeout' : 'refused';
      }
      if (outcome === 'ok') {
        stats.acknowledged++;
        stats.acknowledgedByApi[i]!++;
        stats.acknowledgedMessages.add(m.key);
        return;
      }
      bump(stats.refusals, outcome);
      if (Date.now() + backoff > giveUpAt) {
        stats.gaveUp++;
        return;
      }
      stats.retried++;
      await sleep(backoff);
      backoff = Math.min(8000, backoff * 2);
    }
  };
  const done = (async () => {
    const inflight: Promise<void>[] = [];
    for (const p of pushes) {
      const wait = t0 + p.atMs - Date.now();
      if (wait > 1) await sleep(wait);
      inflight.push(deliver(p));
    }
    await Promise.all(inflight);
    stats.done = true;
  })();
  return { stats, done };
}

// Waiting for the system to settle -----------------------------------------------------------------------

export const TERMINAL: readonly OrderStatus[] = ['shipped', 'shipped_elsewhere', 'closed', 'cancelled'];
/** Statuses an order may rest in: each names what it waits for (payment, a reviewer, a fix, stock). */
export const WAITING: readonly OrderStatus[] = ['awaiting_payment', 'deposit_paid', 'pending_review', 'on_hold', 'short'];
const RESTING = new Set<string>([...TERMINAL, ...WAITING]);
/** Statuses in which the order holds its stock. */
const HOLDING: readonly OrderStatus[] = ['allocated', 'released', 'shipped'];

const statusTally = (counts: Map<string, number>) =>
  [...counts]
    .sort((a, b) => ORDER_STATUSES.indexOf(a[0] as OrderStatus) - ORDER_STATUSES.indexOf(b[0] as OrderStatus))
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');

/**
 * Waits (bounded) until every planned order is in the read model at rest (terminal or waiting), the inbox has
 * nothing undelivered, no package is on its way in the warehouse, and that held for three looks in a row.
 * Returns whether it settled, and prints the statuses every 5 s.
 */
export async function settle(db: Db, plan: ChaosPlan, players: WarehousePlayer[], timeoutMs: number, say: (s: string) => void, assertAlive: () => void): Promise<{ settled: boolean; ms: number }> {
  const started = Date.now();
  const expected = new Set(plan.orders.map((o) => o.orderId));
  const shopIds = plan.shops.map((s) => s.shopId);
  let calm = 0;
  let lastSay = 0;
  while (Date.now() - started < timeoutMs) {
    assertAlive();
    let rows: Array<{ id: string; status: string }> = [];
    let undelivered = -1;
    let moving = -1;
    try {
      rows = await db.selectFrom('orders').select(['id', 'status']).where('shop_id', 'in', shopIds).execute();
      const u = await sql<{ n: number }>`select count(*)::int as n from channel_events where dispatched_at is null and shop_id in (${sql.join(shopIds)})`.execute(db);
      undelivered = u.rows[0]?.n ?? 0;
      const p = await sql<{ n: number }>`select count(*)::int as n from packages where shop_id in (${sql.join(shopIds)}) and status in ('open', 'sealed', 'released', 'picked')`.execute(db);
      moving = p.rows[0]?.n ?? 0;
    } catch {
      // PostgreSQL is coming back: look again
    }
    const counts = new Map<string, number>();
    for (const r of rows) if (expected.has(r.id)) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const present = rows.filter((r) => expected.has(r.id)).length;
    const atRest = rows.filter((r) => expected.has(r.id) && RESTING.has(r.status)).length;
    const busy = players.reduce((n, p) => n + p.busy(), 0);
    const ok = present === expected.size && atRest === expected.size && undelivered === 0 && moving === 0 && busy === 0;
    calm = ok ? calm + 1 : 0;
    if (Date.now() - lastSay >= 5000 || calm >= 3) {
      lastSay = Date.now();
      say(`  settling ${((Date.now() - started) / 1000).toFixed(0)} s: ${present}/${expected.size} orders in the read model, ${atRest} at rest; ${statusTally(counts)}; inbox undelivered ${undelivered}, packages on their way ${moving}, warehouse busy ${busy}`);
    }
    if (calm >= 3) return { settled: true, ms: Date.now() - started };
    await sleep(2000);
  }
  return { settled: false, ms: Date.now() - started };
}

// The invariants -----------------------------------------------------------------------------------------

export interface Invariant {
  name: string;
  pass: boolean;
  /** Counts, one line. */
  detail: string;
  /** Every offender (the report prints the first few). */
  offenders: string[];
}

export interface InvariantInputs {
  db: Db;
  client: Client;
  plan: ChaosPlan;
  stock: StockSnapshot;
  contestUnits: number;
  /** Message keys some API acknowledged (the platform would stop delivering them). */
  acknowledgedMessages: ReadonlySet<string>;
  writebacks: readonly SimWriteback[];
}

interface OrderRow {
  id: string;
  platform: string;
  shop_id: string;
  platform_order_id: string;
  status: string;
}

const inv = (name: string, offenders: string[], detail: string): Invariant => ({ name, pass: offenders.length === 0, detail, offenders });

/** Reads PostgreSQL and Temporal and checks every invariant of the run. */
export async function checkInvariants(x: InvariantInputs): Promise<Invariant[]> {
  const { db, plan } = x;
  const shopIds = plan.shops.map((s) => s.shopId);
  const expected = new Map(plan.orders.map((o) => [o.orderId, o]));
  const ids = [...expected.keys()];
  const inShops = sql.join(shopIds);

  const orders = (await sql<OrderRow>`select id, platform, shop_id, platform_order_id, status from orders where shop_id in (${inShops})`.execute(db)).rows;
  const status = new Map(orders.map((o) => [o.id, o.status]));
  const lines = (await sql<{ order_id: string; sku_code: string; q: number }>`select order_id, sku_code, sum(quantity)::int as q from order_lines where order_id in (select id from orders where shop_id in (${inShops})) group by 1, 2`.execute(db)).rows;
  const reservations = (await sql<{ order_id: string; line_ref: string; warehouse_code: string; sku_code: string; quantity: number; status: string }>`select order_id, line_ref, warehouse_code, sku_code, quantity, status from reservations`.execute(db)).rows;
  const inventory = (await sql<{ warehouse_code: string; sku_code: string; on_hand: number; reserved: number }>`select warehouse_code, sku_code, on_hand, reserved from inventory`.execute(db)).rows;
  const exceptions = (await sql<{ id: number; order_id: string | null; type: string; status: string; owner_role: string | null; owner: string | null }>`select id, order_id, type, status, owner_role, owner from exceptions`.execute(db)).rows;
  const waits = (await sql<{ order_id: string; sku_code: string }>`select order_id, sku_code from stock_waits`.execute(db)).rows;
  const reviews = (await sql<{ order_id: string; status: string; kind: string; reasons: unknown }>`select order_id, status, kind, reasons from reviews`.execute(db)).rows;
  const inbox = (await sql<{ platform: string; shop_id: string; message_id: string; order_id: string | null; event_type: string; dispatched_at: Date | null; dispatch_outcome: string | null }>`select platform, shop_id, message_id, order_id, event_type, dispatched_at, dispatch_outcome from channel_events where shop_id in (${inShops})`.execute(db)).rows;
  const notes = (await sql<{ order_id: string; event_type: string; event_id: string }>`select order_id, event_type, detail->>'eventId' as event_id from order_events where detail ? 'eventId' and order_id in (select id from orders where shop_id in (${inShops}))`.execute(db)).rows;
  const members = (await sql<{ order_id: string; package_key: string; package_id: string; member_status: string; package_status: string }>`select m.order_id, m.package_key, m.package_id, m.status as member_status, p.status as package_status from package_members m join packages p on p.id = m.package_id where p.shop_id in (${inShops})`.execute(db)).rows;

  const openExceptions = new Map<string, typeof exceptions>();
  for (const e of exceptions) if (e.status === 'open' && e.order_id) openExceptions.set(e.order_id, [...(openExceptions.get(e.order_id) ?? []), e]);
  const waitsOf = new Map<string, string[]>();
  for (const w of waits) waitsOf.set(w.order_id, [...(waitsOf.get(w.order_id) ?? []), w.sku_code]);
  const pendingReview = new Set(reviews.filter((r) => r.status === 'pending').map((r) => r.order_id));
  const active = reservations.filter((r) => r.status === 'reserved' || r.status === 'consumed');

  // Temporal: every order workflow execution, with its status and OrderStatus. Visibility lags its
  // workflows a little: list again (bounded) while it disagrees with the read model.
  type Execution = { status: string; orderStatus: string | undefined; runId: string };
  let executions = new Map<string, Execution[]>();
  const disagreeing = () => ids.filter((id) => {
    const ex = executions.get(id);
    const st = status.get(id);
    return !ex || ex.length !== 1 || ex[0]!.orderStatus !== st || (TERMINAL.includes(st as OrderStatus) ? ex[0]!.status !== 'COMPLETED' : ex[0]!.status !== 'RUNNING');
  });
  // Up to 30 s, and no longer once three listings in a row disagree the same way (that is no lag).
  let last = '';
  let same = 0;
  for (let attempt = 0; attempt < 15 && same < 2; attempt++) {
    executions = new Map();
    for await (const wf of x.client.workflow.list({ query: `WorkflowType = '${orderWorkflowType}'`, pageSize: 1000 })) {
      if (!expected.has(wf.workflowId) && !shopIds.some((s) => wf.workflowId.includes(`:${s}:`))) continue;
      executions.set(wf.workflowId, [...(executions.get(wf.workflowId) ?? []), { status: wf.status.name, orderStatus: wf.typedSearchAttributes.get(OrderStatusKey), runId: wf.runId }]);
    }
    const now = disagreeing().join();
    if (now === '') break;
    same = now === last ? same + 1 : 0;
    last = now;
    await sleep(2000);
  }

  const results: Invariant[] = [];

  // 1. Every created order reached exactly one consistent state.
  {
    const offenders: string[] = [];
    const reasons = new Map<string, number>();
    const note = (k: string) => reasons.set(k, (reasons.get(k) ?? 0) + 1);
    for (const id of ids) {
      const st = status.get(id) as OrderStatus | undefined;
      const open = openExceptions.get(id) ?? [];
      const ownerless = open.filter((e) => !e.owner_role);
      if (!st) {
        offenders.push(`${id} (not in the read model)`);
        continue;
      }
      if (ownerless.length) offenders.push(`${id} (${st}: open exception #${ownerless[0]!.id} ${ownerless[0]!.type} has no owner)`);
      if (TERMINAL.includes(st)) {
        if (open.length) offenders.push(`${id} (${st}, yet exception #${open[0]!.id} ${open[0]!.type} is open)`);
        else note(st);
        continue;
      }
      if (!WAITING.includes(st)) {
        offenders.push(`${id} (${st}: not at rest)`);
        continue;
      }
      if (st === 'awaiting_payment' || st === 'deposit_paid') {
        if (expected.get(id)!.unpaid || st === 'deposit_paid') note(`${st}: waiting for payment`);
        else offenders.push(`${id} (${st}, though paid on the platform)`);
      } else if (st === 'short' && (waitsOf.has(id) || open.length)) {
        note(`short: ${waitsOf.has(id) ? `waiting for ${waitsOf.get(id)!.join(', ')}` : ''}${open.length ? `${waitsOf.has(id) ? ', ' : ''}exception ${open.map((e) => `${e.type} (${e.owner_role})`).join(', ')}` : ''}`);
      } else if (st === 'pending_review' && (pendingReview.has(id) || open.length)) {
        note(`pending_review: ${pendingReview.has(id) ? 'in the review queue' : `exception ${open.map((e) => `${e.type} (${e.owner_role})`).join(', ')}`}`);
      } else if (st === 'on_hold' && (open.length || pendingReview.has(id))) {
        note(`on_hold: ${open.length ? `exception ${open.map((e) => `${e.type} (${e.owner_role})`).join(', ')}` : 'in the review queue'}`);
      } else {
        offenders.push(`${id} (${st} with no reason: no open exception, no review, no stock wait)`);
      }
    }
    const tally = [...reasons].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join('; ');
    results.push(inv('every created order reached one consistent state (terminal, waiting with a reason, or in an exception with an owner)', offenders, `${ids.length} orders: ${tally}`));
  }

  // 1b. The read model and Temporal agree on it.
  {
    const offenders = disagreeing().map((id) => {
      const ex = executions.get(id);
      if (!ex) return `${id} (no workflow)`;
      if (ex.length !== 1) return `${id} (${ex.length} workflow runs)`;
      return `${id} (read model ${status.get(id) ?? 'missing'}, workflow ${ex[0]!.status} with OrderStatus ${ex[0]!.orderStatus ?? 'unset'})`;
    });
    const running = ids.filter((id) => executions.get(id)?.[0]?.status === 'RUNNING').length;
    const completed = ids.filter((id) => executions.get(id)?.[0]?.status === 'COMPLETED').length;
    results.push(inv('the read model and Temporal agree (status, running or completed)', offenders, `${completed} workflows completed, ${running} running, for ${ids.length} orders`));
  }

  // 2. No order doubled.
  {
    const offenders: string[] = [];
    const perPlatformId = new Map<string, number>();
    for (const o of orders) perPlatformId.set(`${o.platform}/${o.shop_id}/${o.platform_order_id}`, (perPlatformId.get(`${o.platform}/${o.shop_id}/${o.platform_order_id}`) ?? 0) + 1);
    for (const [k, n] of perPlatformId) if (n > 1) offenders.push(`${k} (${n} read-model rows)`);
    for (const o of orders) if (!expected.has(o.id)) offenders.push(`${o.id} (an order nobody placed)`);
    let runs = 0;
    for (const [id, ex] of executions) {
      runs += ex.length;
      if (ex.length > 1) offenders.push(`${id} (${ex.length} workflow runs: ${ex.map((e) => e.status).join(', ')})`);
      if (!expected.has(id)) offenders.push(`${id} (a workflow for an order nobody placed)`);
    }
    const activeMembers = new Map<string, number>();
    for (const m of members) if (m.member_status !== 'left') activeMembers.set(`${m.order_id} ${m.package_key}`, (activeMembers.get(`${m.order_id} ${m.package_key}`) ?? 0) + 1);
    for (const [k, n] of activeMembers) if (n > 1) offenders.push(`${k} (in ${n} packages at once)`);
    const shippedPackages = new Map<string, Set<string>>();
    for (const m of members) if (m.package_status === 'shipped' && m.member_status !== 'left') shippedPackages.set(m.order_id, (shippedPackages.get(m.order_id) ?? new Set()).add(m.package_id));
    const byPlatformOrder = new Map(plan.orders.map((o) => [`${o.platform}:${o.platformOrderId}`, o.orderId]));
    const writebacks = new Map<string, number>();
    for (const w of x.writebacks) {
      const id = byPlatformOrder.get(`${w.platform}:${w.platformOrderId}`);
      if (id) writebacks.set(id, (writebacks.get(id) ?? 0) + 1);
    }
    for (const [id, n] of writebacks) {
      const pk = shippedPackages.get(id)?.size ?? 0;
      if (n > pk) offenders.push(`${id} (shipped ${n} times on the platform for ${pk} shipped package(s))`);
    }
    results.push(
      inv('no order doubled (read model, Temporal runs, packages, platform shipments)', offenders, `${orders.length} read-model rows and ${executions.size} workflow ids (${runs} runs) for ${ids.length} orders placed; ${[...writebacks.values()].reduce((a, b) => a + b, 0)} shipments written back for ${[...shippedPackages.values()].reduce((a, s) => a + s.size, 0)} shipped packages`),
    );
  }

  // 3. No unit reserved twice or below zero.
  {
    const offenders: string[] = [];
    const held = new Map<string, number>();
    const consumed = new Map<string, number>();
    for (const r of reservations) {
      const k = `${r.warehouse_code}/${r.sku_code}`;
      if (r.status === 'reserved') held.set(k, (held.get(k) ?? 0) + r.quantity);
      if (r.status === 'consumed') consumed.set(k, (consumed.get(k) ?? 0) + r.quantity);
    }
    for (const i of inventory) {
      const k = `${i.warehouse_code}/${i.sku_code}`;
      if (i.on_hand < 0 || i.reserved < 0 || i.reserved > i.on_hand) offenders.push(`${k} (on hand ${i.on_hand}, reserved ${i.reserved})`);
      if (i.reserved !== (held.get(k) ?? 0)) offenders.push(`${k} (inventory says ${i.reserved} reserved, reservations hold ${held.get(k) ?? 0})`);
      const start = x.stock.onHand.get(k);
      if (start !== undefined && i.on_hand !== start - (consumed.get(k) ?? 0)) offenders.push(`${k} (on hand ${i.on_hand}, expected ${start} - ${consumed.get(k) ?? 0} shipped)`);
    }
    const ordered = new Map(lines.map((l) => [`${l.order_id} ${l.sku_code}`, l.q]));
    const perOrderSku = new Map<string, number>();
    for (const r of active) perOrderSku.set(`${r.order_id} ${r.sku_code}`, (perOrderSku.get(`${r.order_id} ${r.sku_code}`) ?? 0) + r.quantity);
    for (const [k, q] of perOrderSku) {
      if (!expected.has(k.split(' ')[0]!)) continue;
      if (q > (ordered.get(k) ?? 0)) offenders.push(`${k} (${q} reserved or shipped, ${ordered.get(k) ?? 0} ordered)`);
    }
    const contestIds = plan.orders.filter((o) => o.contest).map((o) => o.orderId);
    const contestTaken = active.filter((r) => r.sku_code === CONTEST_SKU).reduce((a, r) => a + r.quantity, 0);
    const contestHolding = contestIds.filter((id) => HOLDING.includes(status.get(id) as OrderStatus));
    const contestRest = new Map<string, number>();
    for (const id of contestIds) if (!HOLDING.includes(status.get(id) as OrderStatus)) contestRest.set(status.get(id) ?? 'missing', (contestRest.get(status.get(id) ?? 'missing') ?? 0) + 1);
    const contestLeft = inventory.filter((i) => i.sku_code === CONTEST_SKU);
    const expectTaken = Math.min(x.contestUnits, contestIds.length);
    if (contestIds.length && contestTaken !== expectTaken) offenders.push(`${CONTEST_SKU} (${contestTaken} units reserved or shipped of ${x.contestUnits}, ${expectTaken} expected)`);
    if (contestIds.length && contestHolding.length !== expectTaken) offenders.push(`${CONTEST_SKU} (${contestHolding.length} contest orders hold stock, ${expectTaken} expected)`);
    for (const [st, n] of contestRest) if (!WAITING.includes(st as OrderStatus) && !TERMINAL.includes(st as OrderStatus)) offenders.push(`${CONTEST_SKU} (${n} contest orders ${st})`);
    results.push(
      inv(
        `no unit reserved twice or below zero (the last ${x.contestUnits} units: ${contestIds.length} orders)`,
        offenders,
        `${inventory.length} stock rows consistent with ${reservations.length} reservations; contest: ${contestTaken}/${x.contestUnits} units taken by ${contestHolding.length} orders (${statusTally(new Map(contestHolding.reduce((m, id) => m.set(status.get(id)!, (m.get(status.get(id)!) ?? 0) + 1), new Map<string, number>())))}), the others ${statusTally(contestRest)}; left on hand ${contestLeft.map((i) => `${i.warehouse_code} ${i.on_hand}`).join(', ')}`,
      ),
    );
  }

  // 4. Reserved = ordered for released orders (and nothing held by an order that does not ship).
  {
    const offenders: string[] = [];
    const holdingIds = ids.filter((id) => HOLDING.includes(status.get(id) as OrderStatus));
    const activeBy = new Map<string, Map<string, number>>();
    for (const r of active) {
      const m = activeBy.get(r.order_id) ?? new Map<string, number>();
      m.set(r.sku_code, (m.get(r.sku_code) ?? 0) + r.quantity);
      activeBy.set(r.order_id, m);
    }
    const orderedBy = new Map<string, Map<string, number>>();
    for (const l of lines) orderedBy.set(l.order_id, (orderedBy.get(l.order_id) ?? new Map<string, number>()).set(l.sku_code, l.q));
    let units = 0;
    for (const id of holdingIds) {
      const want = orderedBy.get(id) ?? new Map<string, number>();
      const got = activeBy.get(id) ?? new Map<string, number>();
      for (const sku of new Set([...want.keys(), ...got.keys()])) {
        units += got.get(sku) ?? 0;
        if ((want.get(sku) ?? 0) !== (got.get(sku) ?? 0)) offenders.push(`${id} (${status.get(id)}: ${sku} ordered ${want.get(sku) ?? 0}, reserved or shipped ${got.get(sku) ?? 0})`);
      }
    }
    const stillHeld = reservations.filter((r) => r.status === 'reserved' && expected.has(r.order_id) && !['allocated', 'released'].includes(status.get(r.order_id) ?? ''));
    for (const r of stillHeld) offenders.push(`${r.order_id} (${status.get(r.order_id) ?? 'missing'}, still holds ${r.quantity} ${r.sku_code} at ${r.warehouse_code})`);
    results.push(inv('reserved = ordered for released orders; no order that is not on its way holds stock', offenders, `${holdingIds.length} released or shipped orders, ${units} units reserved or shipped for them`));
  }

  // 5. Every inbox event applied exactly once.
  {
    const offenders: string[] = [];
    const inboxKeys = new Set(inbox.map((e) => inboxEventId(e.platform, e.shop_id, e.message_id)));
    const lost = [...x.acknowledgedMessages].filter((k) => !inboxKeys.has(k));
    for (const k of lost) offenders.push(`${k} (acknowledged, not in the inbox)`);
    const notesOf = new Map<string, string[]>();
    for (const n of notes) notesOf.set(n.event_id, [...(notesOf.get(n.event_id) ?? []), n.event_type]);
    const undelivered = inbox.filter((e) => !e.dispatched_at);
    for (const e of undelivered) offenders.push(`${inboxEventId(e.platform, e.shop_id, e.message_id)} (never delivered)`);
    let onTimeline = 0;
    let byQuery = 0;
    let afterFinish = 0;
    const toQuery: typeof inbox = [];
    for (const e of inbox.filter((r) => r.dispatched_at)) {
      const key = inboxEventId(e.platform, e.shop_id, e.message_id);
      const types = notesOf.get(key) ?? [];
      if (new Set(types).size !== types.length) offenders.push(`${key} (applied more than once: ${types.join(', ')})`);
      if (e.dispatch_outcome === 'order_closed') {
        // Delivered after its order had finished: kept in the inbox, nothing to apply it to.
        if (TERMINAL.includes(status.get(e.order_id ?? '') as OrderStatus)) afterFinish++;
        else offenders.push(`${key} (refused as closed, yet its order is ${status.get(e.order_id ?? '') ?? 'missing'})`);
      } else if (types.length) onTimeline++;
      else toQuery.push(e);
    }
    // Applied since the order's last status change (not on the timeline yet): the workflow's own list says.
    for (const e of toQuery) {
      const key = inboxEventId(e.platform, e.shop_id, e.message_id);
      try {
        const st = await x.client.workflow.getHandle(e.order_id ?? '').query(stateQuery);
        const n = st.appliedEventIds.filter((id) => id === key).length;
        if (n === 1) byQuery++;
        else offenders.push(`${key} (applied ${n} times by ${e.order_id})`);
      } catch (err) {
        offenders.push(`${key} (not on the timeline, and the workflow's state could not be read: ${(err as Error).message.slice(0, 120)})`);
      }
    }
    results.push(
      inv(
        'every inbox event applied exactly once',
        offenders,
        `${x.acknowledgedMessages.size} messages acknowledged, ${inbox.length} inbox rows (${lost.length} lost, ${undelivered.length} undelivered): ${onTimeline} applied once per the timeline, ${byQuery} per the workflow's state; ${afterFinish} came after their order had finished (kept, not applied)`,
      ),
    );
  }
  return results;
}

export function formatInvariants(results: readonly Invariant[], show = 5): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`${r.pass ? 'PASS' : 'FAIL'}  ${r.name}`);
    out.push(`      ${r.detail}`);
    if (r.offenders.length) out.push(`      ${r.offenders.length} offender(s), first ${Math.min(show, r.offenders.length)}: ${r.offenders.slice(0, show).join('; ')}`);
  }
  return out.join('\n');
}

// The run -------------------------------------------------------------------------------------------------

export interface ChaosReport {
  invariants: Invariant[];
  pass: boolean;
  settled: boolean;
  /** Distinct messages the platforms pushed (each delivered `deliveries` times). */
  messages: number;
  send: SendStats;
  faults: Array<{ fault: Fault; atS: number; tookS: number }>;
  warehouse: WarehouseReport[];
  wallMs: number;
}

/** Starts the simulated warehouse: one player per demo warehouse, reporting to the APIs in turn. */
export function startPlayers(apiUrls: readonly string[], apiKey: string, seed: number): WarehousePlayer[] {
  return ['WH-BJ', 'WH-TJ', 'WH-SH', 'WH-GZ', 'WH-CD'].map((warehouse, i) =>
    startWarehouse({ api: apiUrls[i % apiUrls.length]!, apiKey, seed, warehouse, delayMs: [200, 1500], failRate: 0, defaultCarrier: 'YTO', pollMs: 1000, retry: { attempts: 30, initialMs: 1000, maxMs: 8000 }, log: () => undefined }),
  );
}

/**
 * One chaos run from nothing: a fresh cluster (one API, one worker) in `runDir`, the plan's pushes with the
 * faults spread over the stream, then the settle and the invariants. Stops everything it started.
 */
export async function runChaos(
  opts: ChaosOptions,
  runDir: string,
  say: (s: string) => void,
  hooks: {
    afterPostgres?: () => void;
    /** Runs after the checks, with the cluster still up: a test may break something and check again. */
    afterCheck?: (x: { db: Db; recheck: () => Promise<Invariant[]> }) => Promise<void>;
  } = {},
): Promise<ChaosReport> {
  const started = Date.now();
  const plan = planChaos(opts);
  say(`plan: ${plan.orders.length} orders (${opts.orders} at ${opts.rate}/s, ${opts.contestOrders} for the last ${opts.contestUnits} units of ${CONTEST_SKU} from ${(plan.contestAtMs / 1000).toFixed(0)} s), ${plan.messages.length} messages, ${plan.pushes.length} deliveries (each ${opts.deliveries} times, shuffled)`);
  const cluster: Cluster = await startCluster({ runDir, apis: 1, workers: 1, say, env: { PACKAGE_HOLD_WINDOW: '5s', RELAY_INTERVAL: '1s' }, ...(hooks.afterPostgres ? { afterPostgres: hooks.afterPostgres } : {}) });
  let players: WarehousePlayer[] = [];
  try {
    const stock = await prepareOrderly(cluster.apiUrls[0]!, cluster.apiKey, cluster.db, plan, opts.contestUnits);
    say(`ready in ${((Date.now() - started) / 1000).toFixed(0)} s: API ${cluster.apiUrls[0]}, Temporal ${cluster.temporalAddress}; faults: ${opts.faults.length ? opts.faults.map((f) => FAULT_TEXT[f]).join('; ') : 'none'}`);
    players = startPlayers(cluster.apiUrls, cluster.apiKey, opts.seed);

    const t0 = Date.now();
    const sending = sendPlan(plan.pushes, cluster.apiUrls, t0);
    const faults: ChaosReport['faults'] = [];
    const faulting = (async () => {
      for (const [i, f] of opts.faults.entries()) {
        const at = t0 + ((plan.streamMs * (i + 1)) / (opts.faults.length + 1.5));
        if (at > Date.now()) await sleep(at - Date.now());
        const s = Date.now();
        say(`  fault at ${((s - t0) / 1000).toFixed(1)} s: ${FAULT_TEXT[f]} ...`);
        if (f === 'worker') await cluster.killWorker(0, opts.downMs);
        if (f === 'api') await cluster.killApi(0, opts.downMs);
        if (f === 'temporal') await cluster.restartTemporal(opts.downMs);
        if (f === 'postgres') await cluster.restartPostgres(opts.downMs);
        faults.push({ fault: f, atS: (s - t0) / 1000, tookS: (Date.now() - s) / 1000 });
        say(`  fault ${f} done: back after ${((Date.now() - s) / 1000).toFixed(1)} s`);
      }
    })();
    const progress = setInterval(() => {
      const st = sending.stats;
      say(`  ${((Date.now() - t0) / 1000).toFixed(0)} s: ${st.deliveries} deliveries sent, ${st.acknowledged} acknowledged, ${st.acknowledgedMessages.size}/${plan.messages.length} messages in; refused ${Object.entries(st.refusals).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; redelivered ${st.retried}`);
    }, 5000);
    try {
      await Promise.all([sending.done, faulting]);
    } finally {
      clearInterval(progress);
    }
    cluster.assertAlive();
    say(`stream sent in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${sending.stats.acknowledged} deliveries acknowledged, ${sending.stats.retried} redelivered after a refusal, ${sending.stats.gaveUp} given up; waiting for Orderly to settle (at most ${(opts.settleTimeoutMs / 1000).toFixed(0)} s) ...`);
    const { settled, ms } = await settle(cluster.db, plan, players, opts.settleTimeoutMs, say, () => cluster.assertAlive());
    say(settled ? `settled after ${(ms / 1000).toFixed(0)} s` : `NOT settled within ${(ms / 1000).toFixed(0)} s: checking what there is`);
    const warehouse = await Promise.all(players.map((p) => p.stop()));
    players = [];
    const inputs: InvariantInputs = { db: cluster.db, client: cluster.client, plan, stock, contestUnits: opts.contestUnits, acknowledgedMessages: sending.stats.acknowledgedMessages, writebacks: plan.sim.writebacks };
    const invariants = await checkInvariants(inputs);
    if (!settled) invariants.unshift({ name: 'the system settled', pass: false, detail: `not within ${(opts.settleTimeoutMs / 1000).toFixed(0)} s`, offenders: ['see the orders not at rest below'] });
    if (sending.stats.acknowledgedMessages.size < plan.messages.length) {
      const missing = plan.messages.filter((m) => !sending.stats.acknowledgedMessages.has(m.key)).map((m) => m.key);
      invariants.unshift({ name: 'every push acknowledged in the end', pass: false, detail: `${missing.length} of ${plan.messages.length} messages never acknowledged`, offenders: missing });
    }
    const logs = cluster.allServices().map((s) => {
      const c = s.logCounts();
      return `${s.name} (pid ${s.pid}, ${s.exitInfo ?? 'running'}) ${c.error} error / ${c.warn} warn${c.firstErrors.length ? `: ${c.firstErrors.join(' | ')}` : ''}`;
    });
    say(`logs: ${logs.join('; ')}`);
    await hooks.afterCheck?.({ db: cluster.db, recheck: () => checkInvariants(inputs) });
    return { invariants, pass: invariants.every((i) => i.pass), settled, messages: plan.messages.length, send: sending.stats, faults, warehouse, wallMs: Date.now() - started };
  } finally {
    await Promise.all(players.map((p) => p.stop()));
    await plan.sim.stop();
    await cluster.stop();
  }
}
