// The reports (GET /v1/reports/...) over a known set of orders carried through the real stack (Temporal dev
// server, worker, PostgreSQL): two orders merged into one package, one split over two warehouses, one sent to a
// person and approved, one held for its address and fixed by a person, one short of stock, one from another
// shop and channel. Each report's figures are checked against that set (stage times against the orders' own
// timelines), CSV against JSON, and bad queries and callers are refused with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDay } from '../../domain/local-day.js';
import { orderWorkflowId } from '../../domain/order.js';
import { addDays } from '../../domain/report-period.js';
import { fulfilmentQuery } from '../../workflows/order.messages.js';
import { get, orderStatusOf, post, seedBasics, teaOrder } from '../helpers/fulfilment.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let opsKey: { id: string; key: string };

const SHOP_A = 'rep-a';
const SHOP_B = 'rep-b';
const ids = {} as Record<'m1' | 'm2' | 's1' | 'r1' | 'x1' | 'o1' | 'p1', string>;
let mergedPackage = '';
let splitPackages: string[] = [];
/** The period every query asks for: yesterday to tomorrow (Shanghai), so a run across midnight loses nothing. */
const today = localDay(new Date(), 'Asia/Shanghai');
const period = { from: addDays(today, -1), to: addDays(today, 1) };

type Order = ReturnType<typeof teaOrder>;
const inShop = (o: Order, shopId: string, platform: 'taobao' | 'jd' = 'taobao'): Order => ({ ...o, shopId, platform });
async function submit(o: Order): Promise<string> {
  const r = await post(stack, '/v1/orders', o);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return orderWorkflowId(o.platform, o.shopId, o.platformOrderId);
}
const status = (id: string) => orderStatusOf(stack, id);
const untilStatus = (id: string, ok: (s: string | undefined) => boolean, what: string) => eventually(() => status(id), ok, 40_000, what);
const exceptionsOf = async (orderId: string) =>
  ((await get(stack, '/v1/exceptions?status=all&limit=500')).body.items as Array<{ id: string; orderId: string | null; type: string; status: string }>).filter((e) => e.orderId === orderId);

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: '4000ms' });
  // Tea only in Hangzhou, mugs only in Beijing (5 of them): an order of both is split over the two.
  await seedBasics(stack, { hz: { 'FZ-TEA': 50 }, bj: { 'FZ-MUG': 5 } });
  opsKey = await stack.createKey('ops', { name: 'ops desk' });

  // M1 and M2: one buyer, one door, paid together, so the first one's package waits for the second.
  const m1 = inShop(teaOrder('rb-m', '文三路 88 号', { paidAt: null }), SHOP_A);
  const m2 = inShop(teaOrder('rb-m', '文三路88号', { paidAt: null }), SHOP_A);
  ids.m1 = await submit(m1);
  ids.m2 = await submit(m2);
  await untilStatus(ids.m1, (s) => s === 'awaiting_payment', 'M1 awaiting payment');
  await untilStatus(ids.m2, (s) => s === 'awaiting_payment', 'M2 awaiting payment');
  for (const id of [ids.m1, ids.m2]) expect((await post(stack, `/v1/orders/${encodeURIComponent(id)}/events`, { type: 'paid' })).status).toBe(202);

  // S1: tea and a mug, in two warehouses: two packages.
  const s1 = inShop(teaOrder('rb-s', '文三路 5 号'), SHOP_A);
  ids.s1 = await submit({ ...s1, lines: [...s1.lines, { skuCode: 'FZ-MUG', quantity: 1, unitPriceFen: 3900, paidFen: 3900 }], amounts: { goodsFen: 16700, paidFen: 16700 } });
  // R1: a remark sends it to a person.
  ids.r1 = await submit({ ...inShop(teaOrder('rb-r', '文三路 6 号'), SHOP_A), buyerRemark: '发顺丰' });
  // X1: no street: held until a person completes the address.
  ids.x1 = await submit(inShop(teaOrder('rb-x', ''), SHOP_A));
  // O1: more mugs than there are: short, its exception left open.
  const o1 = inShop(teaOrder('rb-o', '文三路 7 号'), SHOP_A);
  ids.o1 = await submit({ ...o1, lines: [{ skuCode: 'FZ-MUG', quantity: 50, unitPriceFen: 3900, paidFen: 195_000 }], amounts: { goodsFen: 195_000, paidFen: 195_000 } });
  // P1: another shop on another platform.
  ids.p1 = await submit(inShop(teaOrder('rb-p', '文三路 8 号'), SHOP_B, 'jd'));

  await untilStatus(ids.r1, (s) => s === 'pending_review', 'R1 pending review');
  const decided = await stack.injectAs(opsKey.key, { method: 'POST', url: `/v1/reviews/${encodeURIComponent(ids.r1)}`, payload: { decision: 'approve', reviewer: 'li.review' } });
  expect(decided.statusCode, decided.body).toBe(200);

  await untilStatus(ids.x1, (s) => s === 'on_hold', 'X1 held');
  const [held] = await eventually(() => exceptionsOf(ids.x1), (l) => l.length === 1, 20_000, 'the exception of X1');
  expect(held).toMatchObject({ type: 'INCOMPLETE_INFO', status: 'open' });
  const fixed = await post(stack, `/v1/exceptions/${held!.id}/resolve`, { action: 'edit_order', params: { receiver: { detail: '文三路 478 号' } }, resolvedBy: 'wang.cs' });
  expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);

  await untilStatus(ids.o1, (s) => s === 'short', 'O1 short');
  await eventually(() => exceptionsOf(ids.o1), (l) => l.length === 1, 20_000, 'the exception of O1');

  for (const k of ['m1', 'm2', 's1', 'r1', 'x1', 'p1'] as const) await untilStatus(ids[k], (s) => s === 'released', `${k} released`);
  const fulfilment = (id: string) => stack.client.workflow.getHandle(id).query(fulfilmentQuery);
  const [f1, f2, fs] = await Promise.all([fulfilment(ids.m1), fulfilment(ids.m2), fulfilment(ids.s1)]);
  mergedPackage = f1.packages[0]!.packageId;
  expect(f1.packages.map((p) => p.packageId)).toEqual([mergedPackage]);
  expect(f2.packages.map((p) => p.packageId)).toEqual([mergedPackage]);
  splitPackages = fs.packages.map((p) => p.packageId);
  expect(fs.packages.map((p) => p.warehouseCode).sort()).toEqual(['FZ-BJ', 'FZ-HZ']);

  // The warehouse ships the merged package and both parcels of the split order.
  for (const [i, packageId] of [mergedPackage, ...splitPackages].entries()) {
    await eventually(async () => (await get(stack, `/v1/packages/${encodeURIComponent(packageId)}`)).body.status as string, (s) => s === 'released', 20_000, 'package released');
    const r = await post(stack, `/v1/packages/${encodeURIComponent(packageId)}/events`, { type: 'shipped', carrierCode: 'FZ-YTO', trackingNo: `YT88000000000${i}` });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
  }
  for (const k of ['m1', 'm2', 's1'] as const) await untilStatus(ids[k], (s) => s === 'shipped', `${k} shipped`);
  await eventually(() => exceptionsOf(ids.x1), (l) => l[0]?.status === 'resolved', 20_000, 'X1 exception resolved');
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

// Calls and parsing ------------------------------------------------------------------------------------------

type Row = Record<string, string | number | boolean | null>;
interface Report {
  report: string;
  from: string;
  to: string;
  timeZone: string | null;
  period: { start: string; end: string } | null;
  notes: string[];
  columns: string[];
  rows: Row[];
}

function url(report: string, query: Record<string, string> = {}): string {
  return `/v1/reports/${report}?${new URLSearchParams({ ...period, ...query }).toString()}`;
}
async function report(name: string, query: Record<string, string> = {}, key?: string): Promise<Report> {
  const res = key ? await stack.injectAs(key, { method: 'GET', url: url(name, query) }) : await stack.app.inject({ method: 'GET', url: url(name, query) });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json<Report>();
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows;
}
const cellOf = (v: Row[string]) => (v === null ? '' : String(v));

/** Sums `field` over the rows that pass `where`. */
const sum = (rows: Row[], field: string, where: (r: Row) => boolean = () => true) => rows.filter(where).reduce((n, r) => n + Number(r[field] ?? 0), 0);
const ofShop = (shopId: string) => (r: Row) => r.shopId === shopId;

/** percentile_cont: linear between the closest ranks. */
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = p * (s.length - 1);
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.ceil(at)]! - s[lo]!) * (at - lo);
}

interface Timeline {
  platformCreatedAt: string;
  shopId: string;
  timeline: Array<{ type: string; at: string; detail?: Record<string, unknown> }>;
}
const orderView = async (id: string) => (await get(stack, `/v1/orders/${encodeURIComponent(id)}`)).body as Timeline;

/** The moments of an order's stages, read from its timeline as a person would. */
function moments(o: Timeline) {
  const first = (ok: (e: Timeline['timeline'][number]) => boolean) => {
    const e = o.timeline.find(ok);
    return e ? Date.parse(e.at) : undefined;
  };
  return {
    paid: first((e) => e.type === 'status:paid'),
    reviewed: first((e) => (e.type === 'reviewed' && e.detail?.verdict === 'approve') || (e.type === 'review_decided' && e.detail?.decision !== 'reject') || e.type === 'hold_elapsed'),
    allocated: first((e) => e.type === 'status:allocated'),
    released: first((e) => e.type === 'status:released'),
    shipped: first((e) => e.type === 'status:shipped'),
  };
}

// Reports ----------------------------------------------------------------------------------------------------

describe('reports over a known set of orders', () => {
  it('orders: statuses reached per shop and channel, and stage minutes that agree with the orders’ timelines', async () => {
    const r = await report('orders');
    expect(r).toMatchObject({ report: 'orders', ...period, timeZone: 'Asia/Shanghai' });
    expect(r.period!.start).toBe(new Date(`${period.from}T00:00:00+08:00`).toISOString());
    expect(r.notes.join(' ')).toMatch(/platform's own payment time is not used/);
    const a = ofShop(SHOP_A);
    expect(new Set(r.rows.filter(a).map((x) => x.channel))).toEqual(new Set(['taobao']));
    const counts = Object.fromEntries(
      ['orders', 'paid', 'awaitingPayment', 'reviewPassed', 'pendingReview', 'onHold', 'short', 'allocated', 'released', 'shipped', 'cancelled'].map((f) => [f, sum(r.rows, f, a)]),
    );
    expect(counts).toEqual({ orders: 6, paid: 6, awaitingPayment: 2, reviewPassed: 6, pendingReview: 1, onHold: 1, short: 1, allocated: 5, released: 5, shipped: 3, cancelled: 0 });
    expect(r.rows.filter(ofShop(SHOP_B))).toEqual([expect.objectContaining({ channel: 'jd', orders: 1, paid: 1, reviewPassed: 1, allocated: 1, released: 1, shipped: 0 })]);

    // Each row's stage figures, recomputed from the timelines of the orders of its day.
    const views = await Promise.all(['m1', 'm2', 's1', 'r1', 'x1', 'o1'].map(async (k) => orderView(ids[k as keyof typeof ids])));
    const stages = [
      ['paidToReviewed', 'paid', 'reviewed'],
      ['reviewedToAllocated', 'reviewed', 'allocated'],
      ['allocatedToReleased', 'allocated', 'released'],
      ['releasedToShipped', 'released', 'shipped'],
      ['paidToShipped', 'paid', 'shipped'],
    ] as const;
    for (const row of r.rows.filter(a)) {
      const mine = views.filter((v) => localDay(new Date(v.platformCreatedAt), 'Asia/Shanghai') === row.day);
      expect(mine.length).toBe(row.orders);
      for (const [stage, from, to] of stages) {
        const samples = mine.map(moments).flatMap((m) => (m[from] !== undefined && m[to] !== undefined && m[to] >= m[from] ? [(m[to] - m[from]) / 60_000] : []));
        expect(row[`${stage}Orders`], stage).toBe(samples.length);
        if (!samples.length) continue;
        expect(row[`${stage}P50Minutes`] as number, stage).toBeCloseTo(percentile(samples, 0.5), 2);
        expect(row[`${stage}P90Minutes`] as number, stage).toBeCloseTo(percentile(samples, 0.9), 2);
      }
    }
    expect(sum(r.rows, 'paidToShippedOrders', a)).toBe(3);
    expect(sum(r.rows, 'allocatedToReleasedOrders', a)).toBe(5);
    // The merged orders waited the hold window between allocated and released: 4 s is 0.07 minutes.
    expect(Math.max(...r.rows.filter(a).map((x) => Number(x.allocatedToReleasedP90Minutes)))).toBeGreaterThanOrEqual(0.06);

    // Filters: a shop, a channel.
    expect((await report('orders', { shopId: SHOP_B })).rows.map((x) => x.shopId)).toEqual([SHOP_B]);
    const jd = await report('orders', { channel: 'jd' });
    expect(jd.rows.map((x) => [x.shopId, x.channel])).toEqual([[SHOP_B, 'jd']]);
    expect(jd).toMatchObject({ filters: { channel: 'jd' } });
  });

  it("orders: a day is the seller's calendar day in the time zone asked for", async () => {
    const created = await Promise.all(Object.values(ids).map(async (id) => new Date((await orderView(id)).platformCreatedAt)));
    for (const timeZone of ['Asia/Shanghai', 'UTC', 'America/Los_Angeles']) {
      const r = await report('orders', { timeZone, from: addDays(today, -2), to: addDays(today, 1) });
      expect(r.timeZone).toBe(timeZone);
      expect(sum(r.rows, 'orders')).toBe(7);
      const expected = new Map<string, number>();
      for (const at of created) expected.set(localDay(at, timeZone), (expected.get(localDay(at, timeZone)) ?? 0) + 1);
      const got = new Map<string, number>();
      for (const row of r.rows) got.set(row.day as string, (got.get(row.day as string) ?? 0) + Number(row.orders));
      expect(got).toEqual(expected);
    }
    // A day without orders in the zone asked for: nothing.
    expect((await report('orders', { from: addDays(today, -40), to: addDays(today, -30) })).rows).toEqual([]);
  });

  it('reviews: approved by the rules against sent to a person', async () => {
    const r = await report('reviews');
    const a = r.rows.filter(ofShop(SHOP_A));
    const totals = Object.fromEntries(['reviewed', 'autoApproved', 'toPerson', 'personApproved', 'personRejected', 'personPending', 'rejectedByRules'].map((f) => [f, sum(a, f)]));
    expect(totals).toEqual({ reviewed: 6, autoApproved: 5, toPerson: 1, personApproved: 1, personRejected: 0, personPending: 0, rejectedByRules: 0 });
    if (a.length === 1) expect(a[0]!.autoRate).toBeCloseTo(5 / 6, 4);
    expect(r.rows.filter(ofShop(SHOP_B))).toEqual([expect.objectContaining({ channel: 'jd', reviewed: 1, autoApproved: 1, toPerson: 0, autoRate: 1 })]);
  });

  it('split-merge: the merged package, the parcel it saved, and the split order', async () => {
    const r = await report('split-merge');
    const totals = (shopId: string) =>
      Object.fromEntries(['packages', 'mergedPackages', 'mergedOrders', 'parcelsSaved', 'orders', 'splitOrders', 'extraParcels'].map((f) => [f, sum(r.rows, f, ofShop(shopId))]));
    expect(totals(SHOP_A)).toEqual({ packages: 5, mergedPackages: 1, mergedOrders: 2, parcelsSaved: 1, orders: 5, splitOrders: 1, extraParcels: 1 });
    expect(totals(SHOP_B)).toEqual({ packages: 1, mergedPackages: 0, mergedOrders: 0, parcelsSaved: 0, orders: 1, splitOrders: 0, extraParcels: 0 });
    const one = r.rows.filter(ofShop(SHOP_A));
    if (one.length === 1) expect(one[0]).toMatchObject({ mergeRate: 0.2, splitRate: 0.2 });
    // Beijing alone: the split order's mug parcel, which is not a split there.
    const bj = await report('split-merge', { warehouseCode: 'FZ-BJ' });
    expect(bj.rows.map((x) => [x.shopId, x.packages, x.orders, x.splitOrders])).toEqual([[SHOP_A, 1, 1, 0]]);
  });

  it('exceptions: by type, resolved by a person with its minutes, and one still open', async () => {
    const r = await report('exceptions');
    const byType = Object.fromEntries(r.rows.map((x) => [x.type, x]));
    expect(byType.INCOMPLETE_INFO).toMatchObject({ opened: 1, resolved: 1, resolvedByPerson: 1, resolvedByPolicy: 0, resolvedByOrderly: 0, openNow: 0, overdueNow: 0 });
    expect(byType.OUT_OF_STOCK).toMatchObject({ opened: 1, resolved: 0, openNow: 1, overdueNow: 0, resolveP50Minutes: null });
    const ex = (await get(stack, `/v1/exceptions/${(await exceptionsOf(ids.x1))[0]!.id}`)).body as { openedAt: string; resolvedAt: string; resolvedBy: string };
    expect(ex.resolvedBy).toBe('wang.cs');
    const took = (Date.parse(ex.resolvedAt) - Date.parse(ex.openedAt)) / 60_000;
    expect(byType.INCOMPLETE_INFO!.resolveP50Minutes as number).toBeCloseTo(took, 2);
    expect(byType.INCOMPLETE_INFO!.resolveP90Minutes as number).toBeCloseTo(took, 2);
    // The other shop and channel had none.
    expect((await report('exceptions', { channel: 'jd' })).rows).toEqual([]);
    expect((await report('exceptions', { shopId: SHOP_B })).rows).toEqual([]);
  });

  it('warehouse-load: every day of the period per warehouse, the load against the capacity', async () => {
    const r = await report('warehouse-load', { warehouseCode: 'FZ-HZ' });
    expect(r).toMatchObject({ timeZone: null, period: null });
    expect(r.rows.map((x) => x.day)).toEqual([period.from, today, period.to]);
    expect(r.rows.every((x) => x.warehouseCode === 'FZ-HZ' && x.capacity === 5000 && x.timeZone === 'Asia/Shanghai')).toBe(true);
    // Every allocated order whose tea came from Hangzhou: M1, M2, S1, R1, X1 and P1.
    expect(sum(r.rows, 'load')).toBe(6);
    expect(sum(r.rows, 'givenBack')).toBe(0);
    const loaded = r.rows.filter((x) => Number(x.load) > 0);
    for (const x of loaded) expect(x.utilisation).toBeCloseTo(Number(x.load) / 5000, 4);
    expect(sum((await report('warehouse-load', { warehouseCode: 'FZ-BJ' })).rows, 'load')).toBe(1);
    expect(sum((await report('warehouse-load', { warehouseCode: 'FZ-HZ', channel: 'jd' })).rows, 'load')).toBe(1);
    // Without a filter, the other active warehouses are there too, with nothing on them.
    const all = await report('warehouse-load');
    expect(new Set(all.rows.map((x) => x.warehouseCode))).toEqual(new Set(['FZ-HZ', 'FZ-BJ', 'WH-BJ', 'WH-TJ', 'WH-SH', 'WH-GZ', 'WH-CD']));
    expect(sum(all.rows, 'load')).toBe(7);
  });

  it('carriers: the mix and the freight Orderly estimated at release', async () => {
    const r = await report('carriers');
    // Six parcels of at most 1 kg at 8 yuan each (FZ-YTO: 800 fen for the first kilogram).
    expect(r.rows).toEqual([
      { carrierCode: 'FZ-YTO', carrierName: 'YTO Express', logisticsClass: 'express', packages: 6, share: 1, shipped: 3, orders: 7, estimated: 6, freightFen: 4800, averageFreightFen: 800 },
    ]);
    const decision = ((await get(stack, `/v1/orders/${encodeURIComponent(ids.m1)}/decisions`)).body.items as Array<{ step: string; candidates: Array<{ id: string; metrics: { costFen?: number } }> }>).find(
      (d) => d.step === `package:${mergedPackage}:carrier`,
    );
    expect(decision?.candidates.find((c) => c.id === 'FZ-YTO')?.metrics.costFen).toBe(800);
    expect((await report('carriers', { shopId: SHOP_B })).rows).toEqual([expect.objectContaining({ packages: 1, shipped: 0, orders: 1, freightFen: 800 })]);
  });

  it('costs: units shipped per warehouse and SKU times the SKU value', async () => {
    const r = await report('costs');
    expect(r.rows).toEqual([
      { warehouseCode: 'FZ-BJ', skuCode: 'FZ-MUG', skuName: 'Ceramic mug', unitsShipped: 1, packages: 1, unitValueFen: 3900, valueFen: 3900 },
      { warehouseCode: 'FZ-HZ', skuCode: 'FZ-TEA', skuName: 'Longjing tea 250 g', unitsShipped: 3, packages: 2, unitValueFen: 12800, valueFen: 38400 },
    ]);
    expect(r.notes.join(' ')).toMatch(/no purchase cost/);
    // Nothing of the other channel has shipped.
    expect((await report('costs', { channel: 'jd' })).rows).toEqual([]);
  });

  it('people: who decided and resolved, through a key of which role, and each key’s audited actions', async () => {
    const r = await report('people');
    const row = (actor: string, kind: string) => r.rows.find((x) => x.actor === actor && x.actorKind === kind);
    expect(row('li.review', 'person')).toMatchObject({ role: 'ops', reviewsDecided: 1, reviewsApproved: 1, reviewsRejected: 0, exceptionsResolved: 0, apiActions: null });
    const review = (await get(stack, `/v1/reviews/${encodeURIComponent(ids.r1)}`)).body as { requestedAt: string; decidedAt: string };
    expect(row('li.review', 'person')!.reviewP50Minutes as number).toBeCloseTo((Date.parse(review.decidedAt) - Date.parse(review.requestedAt)) / 60_000, 2);
    expect(row('wang.cs', 'person')).toMatchObject({ role: 'admin', reviewsDecided: 0, exceptionsResolved: 1 });
    // The ops key did one thing: the review decision.
    expect(row('ops desk', 'api_key')).toMatchObject({ role: 'ops', apiActions: 1, apiFailed: 0, reviewsDecided: null });
    // The admin key seeded the warehouses, SKUs, stock and carrier, posted the orders, resolved the exception.
    const admin = r.rows.find((x) => x.actorKind === 'api_key' && x.role === 'admin');
    expect(Number(admin?.apiActions)).toBeGreaterThan(10);
  });
});

describe('CSV', () => {
  it('holds the same figures as the JSON, for every report', async () => {
    for (const name of ['orders', 'reviews', 'split-merge', 'exceptions', 'warehouse-load', 'carriers', 'costs', 'people']) {
      const json = await report(name);
      const res = await stack.app.inject({ method: 'GET', url: url(name, { format: 'csv' }) });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${name}-${period.from}-${period.to}.csv"`);
      expect(res.body.startsWith('\uFEFF')).toBe(true);
      const [header, ...lines] = parseCsv(res.body.slice(1));
      expect(header, name).toEqual(json.columns);
      expect(json.rows.length, name).toBeGreaterThan(0);
      // generatedAt differs; the rows do not.
      expect(lines, name).toEqual(json.rows.map((row) => json.columns.map((c) => cellOf(row[c]!))));
    }
  });

  it('is chosen by Accept: text/csv as well, and ?format=json wins over it', async () => {
    const csv = await stack.app.inject({ method: 'GET', url: url('carriers'), headers: { accept: 'text/csv' } });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(parseCsv(csv.body.slice(1))[1]!.slice(0, 3)).toEqual(['FZ-YTO', 'YTO Express', 'express']);
    const json = await stack.app.inject({ method: 'GET', url: url('carriers', { format: 'json' }), headers: { accept: 'text/csv' } });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
  });
});

describe('bad queries and callers', () => {
  const bad = async (name: string, query: Record<string, string>) => {
    const res = await stack.app.inject({ method: 'GET', url: `/v1/reports/${name}?${new URLSearchParams(query).toString()}` });
    expect(res.statusCode, res.body).toBe(400);
    const body = res.json<{ error: string; issues: Array<{ path: string; message: string }> }>();
    expect(body.error).toBe('bad_request');
    return body.issues.map((i) => `${i.path} ${i.message}`).join('; ');
  };

  it('answers 400 with the reason', async () => {
    expect(await bad('orders', { ...period, foo: '1' })).toMatch(/foo/);
    expect(await bad('people', { ...period, warehouseCode: 'FZ-HZ' })).toMatch(/warehouseCode/);
    expect(await bad('warehouse-load', { ...period, timeZone: 'Asia/Shanghai' })).toMatch(/timeZone/);
    expect(await bad('orders', { from: '2026-02-30', to: '2026-03-01' })).toMatch(/calendar day/);
    expect(await bad('orders', { from: '2026-03-02', to: '2026-03-01' })).toMatch(/before from/);
    expect(await bad('orders', { from: '2025-01-01', to: '2026-01-02' })).toMatch(/367 days; a report covers at most 366/);
    expect(await bad('reviews', { timeZone: 'Mars/Olympus' })).toMatch(/IANA time zone/);
    expect(await bad('costs', { format: 'xml' })).toMatch(/format/);
    expect(await bad('carriers', { channel: 'amazon' })).toMatch(/channel/);
    // A full leap year is allowed.
    expect((await stack.app.inject({ method: 'GET', url: '/v1/reports/orders?from=2028-01-01&to=2028-12-31' })).statusCode).toBe(200);
  });

  it('lets admin, ops and viewer read; holds a key limited to a shop to its own figures', async () => {
    const reviewer = await stack.createKey('reviewer');
    const refused = await stack.injectAs(reviewer.key, { method: 'GET', url: url('orders') });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toMatch(/role reviewer may not call GET \/v1\/reports\/orders/);
    const viewer = await stack.createKey('viewer');
    expect((await report('people', {}, viewer.key)).rows.length).toBeGreaterThan(0);

    const scoped = await stack.createKey('viewer', { shopIds: [SHOP_B], name: 'viewer of rep-b' });
    const mine = await report('orders', {}, scoped.key);
    expect(mine.rows.map((x) => x.shopId)).toEqual([SHOP_B]);
    expect((await report('split-merge', {}, scoped.key)).rows.every((x) => x.shopId === SHOP_B)).toBe(true);
    expect(sum((await report('warehouse-load', {}, scoped.key)).rows, 'load')).toBe(1);
    expect((await report('carriers', {}, scoped.key)).rows).toEqual([expect.objectContaining({ packages: 1 })]);
    const other = await stack.injectAs(scoped.key, { method: 'GET', url: url('orders', { shopId: SHOP_A }) });
    expect(other.statusCode).toBe(403);
  });

  it('documents every report in the OpenAPI document, with JSON and CSV answers', async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, { get?: { summary?: string; description?: string; parameters?: Array<{ name: string }>; responses: Record<string, { content?: Record<string, unknown> }> } }>;
    }>();
    for (const name of ['orders', 'reviews', 'split-merge', 'exceptions', 'warehouse-load', 'carriers', 'costs', 'people']) {
      const op = doc.paths[`/v1/reports/${name}`]?.get;
      expect(op?.summary, name).toBeTruthy();
      expect(op?.description, name).toMatch(/format=csv[\s\S]*Roles: admin, ops, viewer\.$/);
      expect(Object.keys(op!.responses['200']!.content!)).toEqual(['application/json', 'text/csv']);
      expect(op!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['from', 'to', 'format', 'shopId']));
    }
  });
});
