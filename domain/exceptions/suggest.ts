// Ranked suggestions for an exception: what a person could do, what it costs the seller and what it does to
// the delivery date. Pure: the caller gathers the context (stock, arrivals, carriers, the order's lines) from
// the database and passes it in; nothing here reads the clock. No zod: workflows import this module.
import type { AddressCandidate } from '../address/parse.js';
import type { CompletenessCode, CompletenessIssue } from '../completeness.js';
import { chooseCarrier, DEFAULT_CARRIER_RULE, type CarrierRequest, type CarrierRule } from '../fulfilment/carrier.js';
import type { Carrier, Sku, StockLevel } from '../fulfilment/types.js';
import { fenToYuan, type Fen } from '../money.js';
import type { ChangeAfterRelease } from '../order-lifecycle.js';
import type { ResolutionAction, Suggestion } from './actions.js';
import type { ExceptionType } from './model.js';

// ---------------------------------------------------------------------------------------------------------
// Context types: what the caller gathers for each type.

/** One line of the order as the suggestions weigh it. */
export interface SuggestLine {
  readonly lineRef: string;
  readonly skuCode: string;
  readonly quantity: number;
  /** What the buyer paid per unit after discounts, in fen: the revenue a cancelled unit gives up. */
  readonly unitValueFen: Fen;
}

/** A warehouse that may ship the order (active, serving the buyer's region). */
export interface WarehouseOption {
  readonly code: string;
  /** Straight-line distance to the buyer; nearer warehouses come first among equals. */
  readonly distanceKm?: number;
  /**
   * Freight above the planned warehouse's for shipping the order from here (a farther zone, a dearer carrier);
   * 0 when absent. The caller prices it, typically from the distance.
   */
  readonly extraFreightFen?: Fen;
}

/** Stock on its way to a warehouse (a transfer in transit, a purchase receipt), free for orders once there. */
export interface IncomingStock {
  readonly warehouseCode: string;
  readonly skuCode: string;
  readonly quantity: number;
  /** Expected arrival: the warehouse's calendar day, `YYYY-MM-DD`. Rows with another shape are ignored. */
  readonly expectedOn: string;
}

/** What the suggestions read of an SKU: its equivalents (best first) and its value, to price a substitution. */
export type SkuFacts = Pick<Sku, 'code' | 'substitutes' | 'valueFen'>;

/** Days a transfer between warehouses takes when the caller does not say. */
export const DEFAULT_TRANSFER_DAYS = 2;
/** At most this many "ship everything from another warehouse" suggestions, nearest first. */
export const MAX_WAREHOUSE_SUGGESTIONS = 3;

export interface OutOfStockContext {
  /** Every line of the order, not only the short ones. */
  readonly lines: readonly SuggestLine[];
  /** Free stock (on hand minus reserved) per warehouse, for the order's SKUs and for their substitutes. */
  readonly stock: readonly StockLevel[];
  /** The order's SKUs and their substitutes; absent or missing rows: no substitution for that SKU. */
  readonly skus?: readonly SkuFacts[];
  /**
   * The warehouses that may ship this order, in the caller's order of preference (nearest first). Absent:
   * every warehouse named in `stock` or `incoming`. Any warehouse in `stock` may be a transfer's source.
   */
  readonly warehouses?: readonly WarehouseOption[];
  /** The warehouse the order was planned from, if any: it ships the rest when lines are split or substituted. */
  readonly plannedWarehouseCode?: string;
  /** Known arrivals of the order's SKUs (free quantities, not already promised to other orders). */
  readonly incoming?: readonly IncomingStock[];
  /** Freight of one more parcel to this buyer. */
  readonly extraParcelFreightFen: Fen;
  /** Freight of one transfer between two warehouses. */
  readonly transferFreightFen: Fen;
  /** Days a transfer takes; {@link DEFAULT_TRANSFER_DAYS} when absent. */
  readonly transferDays?: number;
  /** Today, as the calendar day `YYYY-MM-DD` the arrival dates are counted from. */
  readonly today: string;
}

export interface AddressAmbiguousContext {
  /** The address library's candidates, best first (`parseAddress(...).candidates` of an ambiguous result). */
  readonly candidates: readonly Pick<AddressCandidate, 'code' | 'province' | 'city' | 'district'>[];
}

export interface IncompleteInfoContext {
  /** What is missing, as `checkCompleteness` reported it (the blocking issues). */
  readonly issues: readonly Pick<CompletenessIssue, 'code' | 'field'>[];
  /** The order's value: what cancelling it gives up. */
  readonly orderValueFen: Fen;
}

export interface PaymentFailedContext {
  /** The platform has since reported the order paid. */
  readonly paymentArrived: boolean;
  /** What the buyer still owes (the whole price, or a presale's balance 尾款). */
  readonly amountDueFen: Fen;
  readonly orderValueFen: Fen;
  /** `balance`: a presale's balance is overdue; `payment` (default): the payment failed or never came. */
  readonly stage?: 'payment' | 'balance';
}

export interface PriceMismatchContext {
  /** Reported paid minus what the pricing policy gives: positive when the buyer was charged more. */
  readonly differenceFen: Fen;
  readonly orderValueFen: Fen;
}

export interface BlacklistedContext {
  readonly orderValueFen: Fen;
  /** Why the buyer is blacklisted, as the seller recorded it. */
  readonly reason?: string;
}

export interface RefundInProgressContext {
  /** Lines the buyer asked a refund for; empty: the whole order. */
  readonly refundingLineRefs: readonly string[];
  /** The amount the buyer asked back. */
  readonly refundFen: Fen;
  readonly orderValueFen: Fen;
}

export interface PlatformChangedContext {
  /** What changed on the platform after the order was released to the warehouse. */
  readonly changes: readonly ChangeAfterRelease['kind'][];
  /** The warehouse stopped (intercepted) the parcel: it waits to be sent again or dropped. */
  readonly parcelStopped: boolean;
  /** Freight of a new parcel. */
  readonly reshipFreightFen: Fen;
  /** Days a new parcel leaves later than the stopped one would have; unknown when absent. */
  readonly reshipDelayDays?: number;
  readonly orderValueFen: Fen;
}

export interface ShipmentOverdueContext {
  /** The warehouse that has not shipped in time. */
  readonly warehouseCode: string;
  /** Other warehouses that have everything the order needs now, in the caller's order of preference. */
  readonly alternatives: readonly WarehouseOption[];
  readonly orderValueFen: Fen;
}

export interface WarehouseRejectedContext {
  /** The carrier the rejected parcel was booked with. */
  readonly carrierCode: string;
  /** The parcel, for pricing it with each carrier. */
  readonly parcel: CarrierRequest;
  /** All carriers; those that can take the parcel are priced by `chooseCarrier`'s rules. */
  readonly carriers: readonly Carrier[];
  readonly carrierRule?: CarrierRule;
  /** What refunding the buyer instead gives up (the parcel's share of the order). */
  readonly refundFen: Fen;
}

export interface InterceptFailedContext {
  /** What refunding the buyer for the parcel that went out costs. */
  readonly refundFen: Fen;
  /** The parcels that shipped all the same. */
  readonly packageIds?: readonly string[];
}

export interface SyncFailingContext {
  /** The specific cause, e.g. `channel_pull_failing`, `channel_writeback_rejected`. */
  readonly kind: string;
  readonly shopId?: string;
}

export interface ReviewRejectedContext {
  readonly orderValueFen: Fen;
  /** The rule's or reviewer's reason. */
  readonly reason?: string;
}

/** What {@link suggestFor} needs: the exception's type and that type's context. */
export type SuggestInput =
  | ({ readonly type: 'OUT_OF_STOCK' } & OutOfStockContext)
  | ({ readonly type: 'ADDRESS_AMBIGUOUS' } & AddressAmbiguousContext)
  | ({ readonly type: 'INCOMPLETE_INFO' } & IncompleteInfoContext)
  | ({ readonly type: 'PAYMENT_FAILED' } & PaymentFailedContext)
  | ({ readonly type: 'PRICE_MISMATCH' } & PriceMismatchContext)
  | ({ readonly type: 'BLACKLISTED' } & BlacklistedContext)
  | ({ readonly type: 'REFUND_IN_PROGRESS' } & RefundInProgressContext)
  | ({ readonly type: 'PLATFORM_CHANGED' } & PlatformChangedContext)
  | ({ readonly type: 'SHIPMENT_OVERDUE' } & ShipmentOverdueContext)
  | ({ readonly type: 'WAREHOUSE_REJECTED' } & WarehouseRejectedContext)
  | ({ readonly type: 'INTERCEPT_FAILED' } & InterceptFailedContext)
  | ({ readonly type: 'SYNC_FAILING' } & SyncFailingContext)
  | { readonly type: 'REVIEW_OVERDUE' }
  | ({ readonly type: 'REVIEW_REJECTED' } & ReviewRejectedContext);

// Every exception type has its input: a type added to the model without one fails to compile here.
type Uncovered = Exclude<ExceptionType, SuggestInput['type']>;
const _everyType: [Uncovered] extends [never] ? true : false = true;
void _everyType;

// ---------------------------------------------------------------------------------------------------------
// Helpers.

type Draft = Omit<Suggestion, 'rank'>;

const yuan = (fen: Fen): string => `¥${fenToYuan(fen)}`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Ranks in the order given: 1 = first. */
function inOrder(drafts: readonly Draft[]): Suggestion[] {
  return drafts.map((d, i) => ({ ...d, rank: i + 1 }));
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function dayNumber(day: string): number | undefined {
  if (!DAY.test(day)) return undefined;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : Math.round(ms / 86_400_000);
}

// ---------------------------------------------------------------------------------------------------------
// OUT_OF_STOCK.

type Stock = Map<string, Map<string, number>>;
type Demand = ReadonlyMap<string, number>;

function stockMap(rows: readonly StockLevel[]): Stock {
  const m: Stock = new Map();
  for (const r of rows) {
    let w = m.get(r.warehouseCode);
    if (!w) m.set(r.warehouseCode, (w = new Map<string, number>()));
    w.set(r.skuCode, (w.get(r.skuCode) ?? 0) + Math.max(0, Math.floor(r.available)));
  }
  return m;
}

const have = (s: Stock, wh: string, sku: string): number => s.get(wh)?.get(sku) ?? 0;

function covers(s: Stock, wh: string, demand: Demand): boolean {
  for (const [sku, q] of demand) if (have(s, wh, sku) < q) return false;
  return true;
}

/** Units of the demand a warehouse can give now. */
function coveredUnits(s: Stock, wh: string, demand: Demand): number {
  let n = 0;
  for (const [sku, q] of demand) n += Math.min(q, have(s, wh, sku));
  return n;
}

function demandOf(items: readonly { readonly skuCode: string; readonly quantity: number }[]): Map<string, number> {
  const d = new Map<string, number>();
  for (const l of items) if (l.quantity > 0) d.set(l.skuCode, (d.get(l.skuCode) ?? 0) + l.quantity);
  return d;
}

interface Cover {
  readonly warehouseCode: string;
  readonly expectedOn: string;
  readonly days: number;
}

/**
 * The earliest day on which one candidate warehouse has all of `demand`, counting its free stock now and the
 * arrivals up to that day; an arrival already late counts as due today. Undefined when none ever does.
 */
function earliestCover(demand: Demand, stock: Stock, candidates: readonly string[], incoming: readonly IncomingStock[], today: string, todayN: number): Cover | undefined {
  let best: Cover | undefined;
  for (const wh of candidates) {
    const onHand = new Map<string, number>();
    for (const sku of demand.keys()) onHand.set(sku, have(stock, wh, sku));
    const enough = () => [...demand].every(([sku, q]) => (onHand.get(sku) ?? 0) >= q);
    let found: Cover | undefined = enough() ? { warehouseCode: wh, expectedOn: today, days: 0 } : undefined;
    if (!found) {
      const arrivals = incoming
        .filter((a) => a.warehouseCode === wh && demand.has(a.skuCode) && a.quantity > 0)
        .map((a) => ({ a, n: dayNumber(a.expectedOn) }))
        .filter((x): x is { a: IncomingStock; n: number } => x.n !== undefined)
        .sort((x, y) => x.n - y.n);
      for (let i = 0; i < arrivals.length && !found; ) {
        const n = arrivals[i]!.n;
        // All arrivals of one day count together.
        for (; i < arrivals.length && arrivals[i]!.n === n; i++) {
          const { a } = arrivals[i]!;
          onHand.set(a.skuCode, (onHand.get(a.skuCode) ?? 0) + Math.floor(a.quantity));
        }
        if (enough()) {
          const days = Math.max(0, n - todayN);
          found = { warehouseCode: wh, expectedOn: days === 0 ? today : arrivals[i - 1]!.a.expectedOn, days };
        }
      }
    }
    if (found && (!best || found.days < best.days)) best = found;
  }
  return best;
}

/** Cost first, then the preferred action, for suggestions alike in delay. */
const ACTION_PREFERENCE: readonly ResolutionAction[] = ['ship_from_warehouse', 'ship_available', 'substitute_sku', 'wait_for_stock', 'cancel_lines', 'cancel_order'];

/** The OUT_OF_STOCK ranking of {@link suggestFor} as a sort key: tier, then the tier's criteria, then the action. */
function stockRankKey(d: Draft): readonly number[] {
  const pref = ACTION_PREFERENCE.indexOf(d.action);
  if (d.action === 'cancel_order') return [4, d.costFen, 0, pref];
  if (d.action === 'cancel_lines') return [3, d.costFen, 0, pref];
  if (d.deliveryDelayDays === undefined) return [2, d.costFen, 0, pref];
  if (d.deliveryDelayDays === 0) return [0, d.costFen, 0, pref];
  return [1, d.deliveryDelayDays, d.costFen, pref];
}

function rankBy(drafts: readonly Draft[], key: (d: Draft) => readonly number[]): Suggestion[] {
  const keyed = drafts.map((d, i) => ({ d, k: key(d), i }));
  keyed.sort((a, b) => {
    for (let j = 0; j < a.k.length; j++) {
      const diff = (a.k[j] ?? 0) - (b.k[j] ?? 0);
      if (diff !== 0) return diff;
    }
    return a.i - b.i;
  });
  return keyed.map(({ d }, i) => ({ ...d, rank: i + 1 }));
}

interface LinePart {
  readonly lineRef: string;
  readonly skuCode: string;
  readonly quantity: number;
}

/** What one warehouse can ship of the lines now, in line order (lines of one SKU share its stock). */
function shippable(stock: Stock, wh: string, lines: readonly SuggestLine[]) {
  const left = new Map<string, number>();
  const ship: LinePart[] = [];
  const rest: LinePart[] = [];
  const whole: SuggestLine[] = [];
  const short: SuggestLine[] = [];
  let valueFen = 0;
  let wholeValueFen = 0;
  for (const l of lines) {
    if (l.quantity <= 0) continue;
    const free = left.get(l.skuCode) ?? have(stock, wh, l.skuCode);
    const q = Math.min(l.quantity, free);
    left.set(l.skuCode, free - q);
    if (q > 0) ship.push({ lineRef: l.lineRef, skuCode: l.skuCode, quantity: q });
    if (q < l.quantity) rest.push({ lineRef: l.lineRef, skuCode: l.skuCode, quantity: l.quantity - q });
    valueFen += q * l.unitValueFen;
    if (q === l.quantity) {
      whole.push(l);
      wholeValueFen += q * l.unitValueFen;
    } else short.push(l);
  }
  return { warehouseCode: wh, ship, rest, whole, short, valueFen, wholeValueFen };
}

function suggestOutOfStock(c: OutOfStockContext): Suggestion[] {
  const todayN = dayNumber(c.today);
  if (todayN === undefined) throw new RangeError(`today must be a calendar day YYYY-MM-DD, not ${JSON.stringify(c.today)}`);
  const lines = c.lines.filter((l) => l.quantity > 0);
  const demand = demandOf(lines);
  const stock = stockMap(c.stock);
  const incoming = c.incoming ?? [];
  const skus = new Map((c.skus ?? []).map((s) => [s.code, s] as const));
  const orderValueFen = lines.reduce((n, l) => n + l.quantity * l.unitValueFen, 0);

  // The warehouses that may ship: the planned one first, then the caller's order (nearest first).
  const given: WarehouseOption[] = c.warehouses
    ? [...c.warehouses]
    : [...new Set([...c.stock.map((s) => s.warehouseCode), ...incoming.map((a) => a.warehouseCode)])].sort().map((code) => ({ code }));
  if (c.plannedWarehouseCode !== undefined && !given.some((w) => w.code === c.plannedWarehouseCode)) given.push({ code: c.plannedWarehouseCode });
  const options = given
    .map((w, i) => ({ w, i }))
    .sort((a, b) => Number(b.w.code === c.plannedWarehouseCode) - Number(a.w.code === c.plannedWarehouseCode) || (a.w.distanceKm ?? Infinity) - (b.w.distanceKm ?? Infinity) || a.i - b.i)
    .map(({ w }) => w);
  const codes = options.map((w) => w.code);
  const optionOf = new Map(options.map((w) => [w.code, w] as const));
  const where = (code: string): string => {
    const km = optionOf.get(code)?.distanceKm;
    return km !== undefined ? `${code} (${Math.round(km)} km from the buyer)` : code;
  };

  const drafts: Draft[] = [];
  const cancelOrder: Draft = {
    action: 'cancel_order',
    label: `Cancel the order and refund ${yuan(orderValueFen)} (取消订单)`,
    costFen: orderValueFen,
    params: {},
  };

  // A warehouse with everything: ship from there; nothing else is worth weighing.
  const complete = options.filter((w) => covers(stock, w.code, demand)).slice(0, MAX_WAREHOUSE_SUGGESTIONS);
  if (complete.length > 0) {
    for (const w of complete) {
      const extra = w.extraFreightFen ?? 0;
      const planned = w.code === c.plannedWarehouseCode;
      drafts.push({
        action: 'ship_from_warehouse',
        label: planned
          ? `Ship everything from ${where(w.code)} as planned: the stock is there now`
          : `Ship everything from ${where(w.code)}${extra > 0 ? `, ${yuan(extra)} more freight` : ''}`,
        costFen: extra,
        deliveryDelayDays: 0,
        params: { warehouseCode: w.code },
      });
    }
    return rankBy([...drafts, cancelOrder], stockRankKey);
  }

  // Transfer the missing units to the planned warehouse (else the one that has most) and ship from there.
  const target = c.plannedWarehouseCode ?? [...codes].sort((a, b) => coveredUnits(stock, b, demand) - coveredUnits(stock, a, demand) || codes.indexOf(a) - codes.indexOf(b))[0];
  if (target !== undefined) {
    const missing = new Map<string, number>();
    for (const [sku, q] of demand) if (q > have(stock, target, sku)) missing.set(sku, q - have(stock, target, sku));
    // Sources may be any warehouse with stock, also one that cannot ship to this buyer; fewest sources first,
    // since each is a transfer of its own.
    const sources = [...stock.keys()].filter((w) => w !== target);
    const pos = (w: string) => (codes.includes(w) ? codes.indexOf(w) : codes.length);
    const transfers: { fromWarehouseCode: string; skuCode: string; quantity: number }[] = [];
    const used = new Set<string>();
    while (missing.size > 0) {
      const best = sources
        .filter((w) => !used.has(w))
        .map((w) => ({ w, n: coveredUnits(stock, w, missing) }))
        .filter((x) => x.n > 0)
        .sort((a, b) => b.n - a.n || pos(a.w) - pos(b.w) || (a.w < b.w ? -1 : 1))[0];
      if (!best) break;
      used.add(best.w);
      for (const [sku, q] of [...missing]) {
        const take = Math.min(q, have(stock, best.w, sku));
        if (take === 0) continue;
        transfers.push({ fromWarehouseCode: best.w, skuCode: sku, quantity: take });
        if (take === q) missing.delete(sku);
        else missing.set(sku, q - take);
      }
    }
    if (missing.size === 0 && transfers.length > 0) {
      const days = c.transferDays ?? DEFAULT_TRANSFER_DAYS;
      const moved = transfers.reduce((n, t) => n + t.quantity, 0);
      drafts.push({
        action: 'ship_from_warehouse',
        label: `Transfer ${plural(moved, 'unit')} from ${[...used].join(', ')} to ${target} (调拨), then ship everything from ${target} in ${plural(days, 'day')}`,
        costFen: c.transferFreightFen * used.size,
        deliveryDelayDays: days,
        params: { warehouseCode: target, transfers },
      });
    }
  }

  // The warehouse that can ship the most whole lines now (by value) ships them; the other lines are
  // back-ordered (拆分发货). Lines go whole: platforms take a split shipment's tracking numbers per line.
  const byValue = codes.map((code) => shippable(stock, code, lines));
  const units = (parts: readonly LinePart[]) => parts.reduce((n, p) => n + p.quantity, 0);
  const part = (l: SuggestLine): LinePart => ({ lineRef: l.lineRef, skuCode: l.skuCode, quantity: l.quantity });
  const split = [...byValue].sort((a, b) => b.wholeValueFen - a.wholeValueFen || units(b.whole) - units(a.whole) || codes.indexOf(a.warehouseCode) - codes.indexOf(b.warehouseCode))[0];
  const shipper = split && split.whole.length > 0 && split.short.length > 0 ? { warehouseCode: split.warehouseCode, ship: split.whole.map(part), rest: split.short.map(part) } : undefined;
  if (shipper) {
    const after = stockMap(c.stock);
    for (const p of shipper.ship) after.get(shipper.warehouseCode)?.set(p.skuCode, have(after, shipper.warehouseCode, p.skuCode) - p.quantity);
    const rest = earliestCover(demandOf(shipper.rest), after, codes, incoming, c.today, todayN);
    drafts.push({
      action: 'ship_available',
      label:
        `Ship the ${plural(shipper.ship.length, 'line')} ${shipper.warehouseCode} has now (${units(shipper.ship)} of ${plural(units(lines), 'unit')}) and back-order the rest (拆分发货): ` +
        (rest
          ? rest.days === 0
            ? `the rest ships from ${rest.warehouseCode} now as a second parcel`
            : `the rest ships from ${rest.warehouseCode} in ${plural(rest.days, 'day')} (expected ${rest.expectedOn})`
          : 'no arrival is known for the rest'),
      costFen: c.extraParcelFreightFen,
      deliveryDelayDays: 0,
      params: {
        warehouseCode: shipper.warehouseCode,
        lines: shipper.ship,
        backorder: shipper.rest,
        ...(rest ? { backorderWarehouseCode: rest.warehouseCode, backorderExpectedOn: rest.expectedOn, backorderDelayDays: rest.days } : {}),
      },
    });
  }

  // Wait until one warehouse has everything.
  const wait = earliestCover(demand, stock, codes, incoming, c.today, todayN);
  drafts.push(
    wait
      ? {
          action: 'wait_for_stock',
          label: `Wait for stock (等货): everything can ship from ${wait.warehouseCode} in ${plural(wait.days, 'day')} (expected ${wait.expectedOn})`,
          costFen: 0,
          deliveryDelayDays: wait.days,
          params: { warehouseCode: wait.warehouseCode, expectedOn: wait.expectedOn },
        }
      : { action: 'wait_for_stock', label: 'Wait for stock (等货): no arrival is known yet', costFen: 0, params: {} },
  );

  // Substitutes for each line the shipping warehouse cannot fill, from it when it has them (else an extra parcel).
  const from = split && split.ship.length > 0 ? split : undefined;
  const shortLines = from ? from.short : lines;
  for (const l of shortLines) {
    const original = skus.get(l.skuCode);
    for (const sub of original?.substitutes ?? []) {
      if (sub === l.skuCode) continue;
      // Units of the substitute the order already takes for lines of its own stay theirs.
      const free = (wh: string) => have(stock, wh, sub) - (demand.get(sub) ?? 0);
      const wh = from && free(from.warehouseCode) >= l.quantity ? from.warehouseCode : codes.find((w) => free(w) >= l.quantity);
      if (wh === undefined) continue;
      const subValue = skus.get(sub)?.valueFen;
      const dearer = original && subValue !== undefined ? Math.max(0, subValue - original.valueFen) * l.quantity : 0;
      const parcel = from && wh !== from.warehouseCode ? c.extraParcelFreightFen : 0;
      drafts.push({
        action: 'substitute_sku',
        label:
          `On line ${l.lineRef}, send ${l.quantity} × ${sub} instead of ${l.skuCode} (换货), from ${wh}` +
          (dearer > 0 ? `; ${yuan(dearer)} more goods value` : '') +
          (parcel > 0 ? `; a separate parcel (${yuan(parcel)})` : ''),
        costFen: dearer + parcel,
        deliveryDelayDays: 0,
        params: { lineRef: l.lineRef, skuCode: sub },
      });
    }
  }

  // Cancel the lines no warehouse can fill whole, keeping those the best one can.
  const keep = [...byValue].sort((a, b) => b.wholeValueFen - a.wholeValueFen || b.whole.length - a.whole.length || codes.indexOf(a.warehouseCode) - codes.indexOf(b.warehouseCode))[0];
  if (keep && keep.whole.length > 0 && keep.short.length > 0) {
    const refund = keep.short.reduce((n, l) => n + l.quantity * l.unitValueFen, 0);
    const refs = keep.short.map((l) => l.lineRef);
    drafts.push({
      action: 'cancel_lines',
      label: `Cancel the short ${refs.length === 1 ? 'line' : 'lines'} ${refs.join(', ')} and refund ${yuan(refund)} (缺货退款); the rest ships from ${keep.warehouseCode} now`,
      costFen: refund,
      deliveryDelayDays: 0,
      params: { lineRefs: refs, warehouseCode: keep.warehouseCode },
    });
  }

  return rankBy([...drafts, cancelOrder], stockRankKey);
}

// ---------------------------------------------------------------------------------------------------------
// The other types: short lists in a fixed order.

function cancelOrder(orderValueFen: Fen, label = 'Cancel the order (取消订单)'): Draft {
  return { action: 'cancel_order', label: `${label}, giving up ${yuan(orderValueFen)}`, costFen: orderValueFen, params: {} };
}

function suggestAddress(c: AddressAmbiguousContext): Suggestion[] {
  const choices: Draft[] = c.candidates.map((a) => {
    // A municipality's city level carries the municipality's name: name it once.
    const names = [a.province.name, a.city && a.city.name !== a.province.name ? a.city.name : undefined, a.district?.name].filter((n): n is string => n !== undefined);
    return {
      action: 'choose_address',
      label: `Deliver to ${names.join(' ')} (${a.code})`,
      costFen: 0,
      deliveryDelayDays: 0,
      params: {
        province: a.province.name,
        ...(a.city ? { city: a.city.name } : {}),
        ...(a.district ? { district: a.district.name } : {}),
        regionCode: a.code,
      },
    };
  });
  return inOrder([
    ...choices,
    { action: 'notify_buyer', label: 'Ask the buyer which region is meant (联系买家确认地址); the order waits for the answer', costFen: 0, params: { about: 'address' } },
    {
      action: 'edit_order',
      label: 'Correct the province, city and district by hand (修改地址)',
      costFen: 0,
      deliveryDelayDays: 0,
      params: { fields: ['receiver.province', 'receiver.city', 'receiver.district'] },
    },
  ]);
}

const MISSING: Readonly<Record<CompletenessCode, string>> = {
  receiver_name_missing: "the receiver's name",
  receiver_phone_missing: "the receiver's phone",
  region_missing: 'the province, city and district',
  address_detail_missing: 'the street address',
  no_lines: 'the order lines',
  sku_missing: 'a merchant SKU code',
  sku_unknown: 'an SKU Orderly knows',
  quantity_not_positive: 'a positive quantity',
  goods_amount_mismatch: 'goods amounts that add up',
  paid_amount_mismatch: 'a paid amount that adds up',
  buyer_missing: 'the buyer id',
};

/** What only the buyer can supply: worth asking them. */
const BUYER_SUPPLIES: ReadonlySet<CompletenessCode> = new Set(['receiver_name_missing', 'receiver_phone_missing', 'region_missing', 'address_detail_missing']);

function suggestIncomplete(c: IncompleteInfoContext): Suggestion[] {
  const fields = [...new Set(c.issues.map((i) => i.field))];
  const what = [...new Set(c.issues.map((i) => MISSING[i.code]))];
  const drafts: Draft[] = [
    {
      action: 'edit_order',
      label: what.length > 0 ? `Fill in ${what.join(', ')} (补全信息)` : 'Correct the order by hand (修改订单)',
      costFen: 0,
      deliveryDelayDays: 0,
      params: { fields },
    },
  ];
  const fromBuyer = c.issues.filter((i) => BUYER_SUPPLIES.has(i.code));
  if (fromBuyer.length > 0) {
    const asked = [...new Set(fromBuyer.map((i) => MISSING[i.code]))];
    drafts.push({ action: 'notify_buyer', label: `Ask the buyer for ${asked.join(', ')} (联系买家); the order waits for the answer`, costFen: 0, params: { fields: [...new Set(fromBuyer.map((i) => i.field))] } });
  }
  drafts.push(cancelOrder(c.orderValueFen));
  return inOrder(drafts);
}

function suggestPayment(c: PaymentFailedContext): Suggestion[] {
  const balance = c.stage === 'balance';
  const cancel = cancelOrder(c.orderValueFen, balance ? 'Close the presale order without its balance (取消订单)' : 'Close the unpaid order (取消订单)');
  if (c.paymentArrived) {
    return inOrder([{ action: 'release_hold', label: 'The payment has arrived: release the order', costFen: 0, deliveryDelayDays: 0, params: {} }, cancel]);
  }
  return inOrder([
    {
      action: 'notify_buyer',
      label: `Remind the buyer to pay the ${balance ? 'balance (尾款)' : 'order'} of ${yuan(c.amountDueFen)} (催付) and keep waiting`,
      costFen: 0,
      params: { about: balance ? 'balance' : 'payment', amountDueFen: c.amountDueFen },
    },
    cancel,
  ]);
}

function suggestPrice(c: PriceMismatchContext): Suggestion[] {
  const d = c.differenceFen;
  const what = d > 0 ? `the buyer paid ${yuan(d)} more than the pricing policy gives` : d < 0 ? `the buyer paid ${yuan(-d)} less than the pricing policy gives` : 'the amounts differ';
  return inOrder([
    { action: 'release_hold', label: `Accept the platform's price and ship: ${what}`, costFen: Math.max(0, -d), deliveryDelayDays: 0, params: { differenceFen: d } },
    { action: 'edit_order', label: "Correct the order's amounts or discounts by hand (改价)", costFen: 0, deliveryDelayDays: 0, params: { fields: ['amounts', 'discounts'] } },
    cancelOrder(c.orderValueFen),
  ]);
}

function suggestBlacklisted(c: BlacklistedContext): Suggestion[] {
  return inOrder([
    { action: 'release_hold', label: 'Ship this order anyway; the buyer stays on the blacklist (黑名单) for later ones', costFen: 0, deliveryDelayDays: 0, params: {} },
    cancelOrder(c.orderValueFen, `Cancel the order: the buyer is blacklisted${c.reason ? ` (${c.reason})` : ''}`),
  ]);
}

function suggestRefund(c: RefundInProgressContext): Suggestion[] {
  const ship: Draft = { action: 'release_hold', label: 'Ship everything: the buyer withdrew the refund request or it was refused', costFen: 0, deliveryDelayDays: 0, params: {} };
  if (c.refundingLineRefs.length === 0) {
    return inOrder([cancelOrder(c.orderValueFen, `Agree to the refund of ${yuan(c.refundFen)} and cancel the order (同意退款)`), ship]);
  }
  const refs = [...c.refundingLineRefs];
  return inOrder([
    {
      action: 'cancel_lines',
      label: `Agree to the refund of ${yuan(c.refundFen)} (同意退款): cancel ${refs.length === 1 ? 'line' : 'lines'} ${refs.join(', ')} and ship the rest`,
      costFen: c.refundFen,
      deliveryDelayDays: 0,
      params: { lineRefs: refs },
    },
    ship,
    cancelOrder(c.orderValueFen),
  ]);
}

function suggestPlatformChanged(c: PlatformChangedContext): Suggestion[] {
  const kinds = [...new Set(c.changes)];
  const what = kinds.map((k) => ({ address: 'the address', amount: 'the amount', refund_requested: 'a refund request', refunded: 'a refund' })[k]).join(', ') || 'the order';
  const reship: Draft = {
    action: 'reship',
    label: `Send a new parcel with the change (${what}) instead of the stopped one (重新发货)`,
    costFen: c.reshipFreightFen,
    ...(c.reshipDelayDays !== undefined ? { deliveryDelayDays: c.reshipDelayDays } : {}),
    params: { changes: kinds },
  };
  const acknowledge: Draft = {
    action: 'acknowledge',
    label: c.parcelStopped
      ? `Let the stopped parcel go as it is: the change (${what}) needs nothing more`
      : `The parcel has left: handle the change (${what}) with the buyer and acknowledge`,
    costFen: 0,
    deliveryDelayDays: 0,
    params: {},
  };
  return inOrder([...(c.parcelStopped ? [reship, acknowledge] : [acknowledge, reship]), cancelOrder(c.orderValueFen)]);
}

function suggestOverdue(c: ShipmentOverdueContext): Suggestion[] {
  return inOrder([
    { action: 'acknowledge', label: `Chase ${c.warehouseCode} to ship now (催发货) and acknowledge`, costFen: 0, params: { warehouseCode: c.warehouseCode } },
    ...c.alternatives
      .filter((w) => w.code !== c.warehouseCode)
      .slice(0, MAX_WAREHOUSE_SUGGESTIONS)
      .map(
        (w): Draft => ({
          action: 'ship_from_warehouse',
          label: `Ship from ${w.code}${w.distanceKm !== undefined ? ` (${Math.round(w.distanceKm)} km from the buyer)` : ''} instead${w.extraFreightFen ? `, ${yuan(w.extraFreightFen)} more freight` : ''}`,
          costFen: w.extraFreightFen ?? 0,
          deliveryDelayDays: 0,
          params: { warehouseCode: w.code },
        }),
      ),
    cancelOrder(c.orderValueFen),
  ]);
}

function suggestRejected(c: WarehouseRejectedContext): Suggestion[] {
  const choice = chooseCarrier(c.parcel, c.carriers, c.carrierRule ?? DEFAULT_CARRIER_RULE);
  // The candidates are the carriers that can take the parcel, cheapest first.
  const quotes = choice.decision.candidates.flatMap((k) => (typeof k.metrics.costFen === 'number' ? [{ carrierCode: k.id, costFen: k.metrics.costFen }] : []));
  const same = quotes.filter((q) => q.carrierCode === c.carrierCode);
  const others = quotes.filter((q) => q.carrierCode !== c.carrierCode);
  return inOrder([
    ...same.map((q): Draft => ({ action: 'reship', label: `Ship again with ${q.carrierCode}, the same carrier (补发), ${yuan(q.costFen)} freight`, costFen: q.costFen, params: { carrierCode: q.carrierCode } })),
    ...others.map((q): Draft => ({ action: 'reship', label: `Ship again with ${q.carrierCode} instead (换快递), ${yuan(q.costFen)} freight`, costFen: q.costFen, params: { carrierCode: q.carrierCode } })),
    { action: 'refund', label: `Refund the buyer ${yuan(c.refundFen)} instead of shipping (退款)`, costFen: c.refundFen, params: {} },
  ]);
}

function suggestInterceptFailed(c: InterceptFailedContext): Suggestion[] {
  const packageIds = [...(c.packageIds ?? [])];
  return inOrder([
    { action: 'acknowledge', label: 'Ask the buyer to refuse the parcel (拒收) or send it back, then acknowledge', costFen: 0, params: { packageIds } },
    { action: 'refund', label: `Refund the buyer ${yuan(c.refundFen)} and let the parcel go`, costFen: c.refundFen, params: { packageIds } },
  ]);
}

function suggestSync(c: SyncFailingContext): Suggestion[] {
  const shop = c.shopId ? `shop ${c.shopId}` : 'the shop';
  const label = c.kind.startsWith('channel_writeback')
    ? `Enter the tracking numbers on the platform by hand (手动发货) or fix ${shop}'s carrier mapping, then acknowledge`
    : c.kind === 'channel_pull_failing'
      ? `Re-authorise ${shop} on the platform (重新授权) if its token expired, check that its orders arrive again, then acknowledge`
      : `Fix ${shop}'s sync with the platform, then acknowledge`;
  return inOrder([{ action: 'acknowledge', label, costFen: 0, params: { kind: c.kind } }]);
}

function suggestReviewRejected(c: ReviewRejectedContext): Suggestion[] {
  return inOrder([
    cancelOrder(c.orderValueFen, `Cancel the order on the platform as the review decided${c.reason ? ` (${c.reason})` : ''}`),
    { action: 'release_hold', label: 'Overrule the review and ship the order', costFen: 0, deliveryDelayDays: 0, params: {} },
  ]);
}

/**
 * Ranked suggestions for an exception, each with its extra cost to the seller (fen) and what it does to the
 * delivery date (days; absent when unknown). Every action fits the type (`ACTIONS_BY_TYPE`); rank 1 is best.
 *
 * OUT_OF_STOCK is ranked by this rule, in tiers:
 * 1. what delivers without delay (`deliveryDelayDays` 0: another warehouse, a substitute, shipping the part in
 *    stock now), cheapest first;
 * 2. what delivers later (a transfer, waiting for a known arrival), soonest first, cheaper first on equal delays;
 * 3. waiting without a known arrival;
 * 4. cancelling the short lines: it gives revenue up rather than delivering, and platforms count a seller's
 *    out-of-stock cancellation against the shop, so it never outranks a way to deliver, however cheap;
 * 5. cancelling the order, always last.
 * Equal cost and delay: the goods ordered before a substitute, a substitute before waiting; then warehouses in
 * the caller's order (the planned one first). A warehouse that has everything now makes splitting, waiting,
 * transferring and substituting pointless: then only it (up to {@link MAX_WAREHOUSE_SUGGESTIONS}) and
 * cancelling are suggested.
 *
 * The other types come in a fixed order per type: the usual resolution first, cancelling or refunding last
 * (a refund the buyer asked for, or a rejected review, puts agreeing to it first).
 *
 * @example
 * suggestFor({ type: 'PAYMENT_FAILED', paymentArrived: false, amountDueFen: 12900, orderValueFen: 12900 })
 * // [{ rank: 1, action: 'notify_buyer', costFen: 0, ... }, { rank: 2, action: 'cancel_order', costFen: 12900, ... }]
 */
export function suggestFor(input: SuggestInput): Suggestion[] {
  switch (input.type) {
    case 'OUT_OF_STOCK':
      return suggestOutOfStock(input);
    case 'ADDRESS_AMBIGUOUS':
      return suggestAddress(input);
    case 'INCOMPLETE_INFO':
      return suggestIncomplete(input);
    case 'PAYMENT_FAILED':
      return suggestPayment(input);
    case 'PRICE_MISMATCH':
      return suggestPrice(input);
    case 'BLACKLISTED':
      return suggestBlacklisted(input);
    case 'REFUND_IN_PROGRESS':
      return suggestRefund(input);
    case 'PLATFORM_CHANGED':
      return suggestPlatformChanged(input);
    case 'SHIPMENT_OVERDUE':
      return suggestOverdue(input);
    case 'WAREHOUSE_REJECTED':
      return suggestRejected(input);
    case 'INTERCEPT_FAILED':
      return suggestInterceptFailed(input);
    case 'SYNC_FAILING':
      return suggestSync(input);
    case 'REVIEW_OVERDUE':
      return inOrder([{ action: 'acknowledge', label: 'Review the order now (审单): it waited past its SLA; acknowledge once decided', costFen: 0, params: {} }]);
    case 'REVIEW_REJECTED':
      return suggestReviewRejected(input);
  }
}
