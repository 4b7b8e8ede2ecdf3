import { haversineKm } from '../address/geo.js';
import { roundScore, type DecisionRecord, type DecisionStep, type ExcludedCandidate, type ScoredCandidate } from './decision.js';
import { regionMatches, type DemandLine, type Destination, type StockLevel, type Warehouse } from './types.js';

/**
 * Steps run in the order the strategy lists them; each works on the lines the previous ones left open.
 * - `single-warehouse`: the best-ranked warehouse that has every line ships the whole order.
 * - `fewest-packages`: repeatedly the warehouse that can fill the most open lines, best-ranked on ties.
 * - `nearest-per-line`: each open line from the best-ranked warehouse that has all of it.
 * - `split-line`: a line no single warehouse can fill is shipped in parts from several, the ones already used first.
 * - `transfer`: a line no single warehouse can fill is shipped from one, the rest moved to it by a transfer.
 * Whatever is still open afterwards is short.
 */
export type AllocationStep = 'single-warehouse' | 'fewest-packages' | 'nearest-per-line' | 'split-line' | 'transfer';

/** Filters that remove a warehouse before ranking. */
export type WarehouseFilter = 'inactive' | 'at-capacity' | 'region-not-served';

/**
 * Ranking criteria, applied lexicographically: later ones only break ties of earlier ones.
 * - `load-threshold`: warehouses past the load threshold go behind the rest (load balancing).
 * - `distance`: straight-line distance to the destination, in bands of `distanceBandKm`.
 * - `priority`: the warehouse's configured priority, lower first.
 * - `load`: lower load ratio first.
 */
export type RankCriterion = 'load-threshold' | 'distance' | 'priority' | 'load';

export interface AllocationStrategy {
  readonly id: string;
  readonly version: number;
  readonly filters: readonly WarehouseFilter[];
  readonly rankBy: readonly RankCriterion[];
  readonly steps: readonly AllocationStep[];
  /** Load ratio (current load / daily capacity) from which a warehouse is deprioritised. */
  readonly loadThreshold: number;
  /** Distances within the same band count as equal, letting later criteria decide; 0 compares exact distances. */
  readonly distanceBandKm: number;
}

/** Nearest warehouse with everything, else fewest packages, else ship a line in parts; busy warehouses last. */
export const DEFAULT_ALLOCATION_STRATEGY: AllocationStrategy = {
  id: 'allocation.default',
  version: 1,
  filters: ['inactive', 'at-capacity', 'region-not-served'],
  rankBy: ['load-threshold', 'distance', 'priority'],
  steps: ['single-warehouse', 'fewest-packages', 'split-line'],
  loadThreshold: 0.85,
  distanceBandKm: 0,
};

export interface AllocationRequest {
  readonly orderId: string;
  readonly destination: Destination;
  readonly lines: readonly DemandLine[];
  /**
   * The one warehouse that ships (a person chose it resolving an exception): every other warehouse is only a
   * transfer source, when the strategy transfers.
   */
  readonly shipFrom?: string;
}

export interface AllocationInput {
  readonly warehouses: readonly Warehouse[];
  /** Available stock; rows for the same warehouse and SKU are added up, negative values count as zero. */
  readonly stock: readonly StockLevel[];
  readonly strategy?: AllocationStrategy;
}

export interface LineAssignment {
  readonly lineRef: string;
  readonly skuCode: string;
  /** The warehouse that ships this part. */
  readonly warehouseCode: string;
  readonly quantity: number;
  /** Of `quantity`, how many units arrive by transfer from other warehouses first. */
  readonly transferredIn: number;
}

export interface TransferProposal {
  readonly lineRef: string;
  readonly skuCode: string;
  readonly quantity: number;
  readonly fromWarehouseCode: string;
  readonly toWarehouseCode: string;
}

export interface Shortage {
  readonly lineRef: string;
  readonly skuCode: string;
  readonly requested: number;
  /** Units of the line that were allocated (0: Orderly does not lock part of a line it cannot ship). */
  readonly allocated: number;
  readonly short: number;
  /** Units of the SKU left in all active warehouses after this allocation, for the exception's suggestions. */
  readonly availableAnywhere: number;
}

export interface AllocationResult {
  readonly orderId: string;
  /** `complete`: every line allocated; `partial`: some lines short; `short`: nothing allocated. */
  readonly status: 'complete' | 'partial' | 'short';
  readonly assignments: readonly LineAssignment[];
  readonly transfers: readonly TransferProposal[];
  readonly shortages: readonly Shortage[];
  /** Warehouses that ship something, in ranking order. */
  readonly warehouses: readonly string[];
  readonly decision: DecisionRecord;
}

interface Ranked {
  readonly warehouse: Warehouse;
  readonly distanceKm: number;
  readonly loadRatio: number;
  readonly keys: readonly number[];
}

type StockMap = Map<string, Map<string, number>>;

function loadRatio(w: Warehouse): number {
  return w.dailyCapacity > 0 ? w.currentLoad / w.dailyCapacity : 1;
}

function exclusionReasons(w: Warehouse, dest: Destination, filters: readonly WarehouseFilter[]): ExcludedCandidate['reasons'] {
  const reasons: { code: string; message: string }[] = [];
  if (filters.includes('inactive') && !w.active) reasons.push({ code: 'inactive', message: 'warehouse is inactive' });
  if (filters.includes('at-capacity') && w.currentLoad >= w.dailyCapacity) {
    reasons.push({ code: 'at-capacity', message: `load ${w.currentLoad} of daily capacity ${w.dailyCapacity}` });
  }
  if (filters.includes('region-not-served') && !regionMatches(dest.regionCode, w.regionsServed)) {
    reasons.push({ code: 'region-not-served', message: `does not ship to region ${dest.regionCode}` });
  }
  return reasons;
}

function rankKey(c: RankCriterion, w: Warehouse, distanceKm: number, ratio: number, s: AllocationStrategy): number {
  switch (c) {
    case 'load-threshold':
      return ratio >= s.loadThreshold ? 1 : 0;
    case 'distance':
      return s.distanceBandKm > 0 ? Math.floor(distanceKm / s.distanceBandKm) : distanceKm;
    case 'priority':
      return w.priority;
    case 'load':
      return ratio;
  }
}

function criterionScore(c: RankCriterion, r: Ranked, s: AllocationStrategy): number {
  switch (c) {
    case 'load-threshold':
      return r.loadRatio >= s.loadThreshold ? 0 : 1;
    case 'distance':
      // 100 km scores 0.5: the scale of a neighbouring city, where next-day delivery usually still holds.
      return 1 / (1 + r.distanceKm / 100);
    case 'priority':
      return 1 / (1 + Math.max(0, r.warehouse.priority));
    case 'load':
      return Math.max(0, 1 - r.loadRatio);
  }
}

function compareRanked(a: Ranked, b: Ranked): number {
  for (let i = 0; i < a.keys.length; i++) {
    const d = (a.keys[i] ?? 0) - (b.keys[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.warehouse.code < b.warehouse.code ? -1 : a.warehouse.code > b.warehouse.code ? 1 : 0;
}

function get(stock: StockMap, wh: string, sku: string): number {
  return stock.get(wh)?.get(sku) ?? 0;
}

function take(stock: StockMap, wh: string, sku: string, qty: number): void {
  const m = stock.get(wh);
  const have = m?.get(sku) ?? 0;
  if (!m || have < qty) throw new Error(`allocation invariant broken: ${wh}/${sku} has ${have}, taking ${qty}`);
  m.set(sku, have - qty);
}

/**
 * Chooses the warehouses that ship an order's lines, by an ordered, configurable strategy, without ever
 * assigning more than a warehouse has available. Every line ends up either allocated (possibly in parts or by
 * transfer) or reported short, and the decision record lists every warehouse weighed, its scores, and why each
 * excluded one was excluded.
 *
 * @example
 * allocate(
 *   { orderId: 'o1', destination: { regionCode: '110105', location: { lat: 39.92, lng: 116.49 } },
 *     lines: [{ lineRef: '1', skuCode: 'TEA', quantity: 2 }] },
 *   { warehouses: [bj, tj], stock: [{ warehouseCode: 'TJ', skuCode: 'TEA', available: 5 }] },
 * ).warehouses // ['TJ']
 */
export function allocate(request: AllocationRequest, input: AllocationInput): AllocationResult {
  const strategy = input.strategy ?? DEFAULT_ALLOCATION_STRATEGY;
  const { destination, lines } = request;
  const steps: DecisionStep[] = [];
  const excluded: ExcludedCandidate[] = [];

  const skus = new Set(lines.map((l) => l.skuCode));
  const stock: StockMap = new Map();
  for (const row of input.stock) {
    if (!skus.has(row.skuCode)) continue;
    let m = stock.get(row.warehouseCode);
    if (!m) stock.set(row.warehouseCode, (m = new Map<string, number>()));
    m.set(row.skuCode, (m.get(row.skuCode) ?? 0) + Math.max(0, Math.floor(row.available)));
  }

  const eligible: Ranked[] = [];
  const activeCodes: string[] = [];
  const locationOf = new Map<string, Warehouse['location']>();
  for (const w of input.warehouses) {
    if (w.active) activeCodes.push(w.code);
    locationOf.set(w.code, w.location);
    const notChosen = request.shipFrom !== undefined && w.code !== request.shipFrom ? [{ code: 'not-chosen', message: `the order ships from ${request.shipFrom}, as a person chose` }] : [];
    const reasons = [...notChosen, ...exclusionReasons(w, destination, strategy.filters)];
    if (reasons.length > 0) {
      excluded.push({ id: w.code, reasons });
      continue;
    }
    const hasAny = [...skus].some((s) => get(stock, w.code, s) > 0);
    if (!hasAny) {
      excluded.push({ id: w.code, reasons: [{ code: 'no-stock', message: 'has none of the order\'s SKUs available' }] });
      continue;
    }
    const distanceKm = haversineKm(destination.location, w.location);
    const ratio = loadRatio(w);
    eligible.push({ warehouse: w, distanceKm, loadRatio: ratio, keys: strategy.rankBy.map((c) => rankKey(c, w, distanceKm, ratio, strategy)) });
  }
  eligible.sort(compareRanked);

  const assignments: LineAssignment[] = [];
  const transfers: TransferProposal[] = [];
  const used: string[] = [];
  const use = (code: string): void => {
    if (!used.includes(code)) used.push(code);
  };
  let open = lines.filter((l) => l.quantity > 0);

  const assignWhole = (line: DemandLine, wh: string): void => {
    take(stock, wh, line.skuCode, line.quantity);
    assignments.push({ lineRef: line.lineRef, skuCode: line.skuCode, warehouseCode: wh, quantity: line.quantity, transferredIn: 0 });
    use(wh);
  };

  /** Open lines a warehouse can fill together (several lines of one SKU share its stock). */
  const fillable = (wh: string, candidates: readonly DemandLine[]): DemandLine[] => {
    const m = stock.get(wh);
    if (!m) return [];
    const reserved = new Map<string, number>();
    const out: DemandLine[] = [];
    for (const l of candidates) {
      const already = reserved.get(l.skuCode) ?? 0;
      if ((m.get(l.skuCode) ?? 0) - already >= l.quantity) {
        reserved.set(l.skuCode, already + l.quantity);
        out.push(l);
      }
    }
    return out;
  };
  // Most orders name each SKU once; then counting needs no bookkeeping, which keeps ranking 100 warehouses cheap.
  const repeatedSkus = skus.size < lines.length;
  const countFillable = (wh: string, candidates: readonly DemandLine[]): number => {
    if (repeatedSkus) return fillable(wh, candidates).length;
    const m = stock.get(wh);
    if (!m) return 0;
    let n = 0;
    for (const l of candidates) if ((m.get(l.skuCode) ?? 0) >= l.quantity) n++;
    return n;
  };

  const totalElsewhere = (sku: string): number => {
    let n = 0;
    for (const code of activeCodes) n += get(stock, code, sku);
    return n;
  };

  for (const step of strategy.steps) {
    if (open.length === 0) break;
    const before = open.length;
    switch (step) {
      case 'single-warehouse': {
        const whole = eligible.find((r) => countFillable(r.warehouse.code, open) === open.length);
        if (whole) {
          for (const l of open) assignWhole(l, whole.warehouse.code);
          open = [];
          steps.push({ step, outcome: `${whole.warehouse.code} has every line` });
        } else {
          steps.push({ step, outcome: 'no single warehouse has every line' });
        }
        break;
      }
      case 'fewest-packages': {
        for (;;) {
          let bestCode: string | undefined;
          let bestCount = 0;
          for (const r of eligible) {
            const n = countFillable(r.warehouse.code, open);
            if (n > bestCount) {
              bestCode = r.warehouse.code;
              bestCount = n;
              if (n === open.length) break;
            }
          }
          if (bestCode === undefined) break;
          const chosen = fillable(bestCode, open);
          for (const l of chosen) assignWhole(l, bestCode);
          const done = new Set(chosen);
          open = open.filter((l) => !done.has(l));
          steps.push({ step, outcome: `${bestCode} takes ${chosen.length} line(s)` });
          if (open.length === 0) break;
        }
        break;
      }
      case 'nearest-per-line': {
        const still: DemandLine[] = [];
        for (const l of open) {
          const r = eligible.find((e) => get(stock, e.warehouse.code, l.skuCode) >= l.quantity);
          if (r) assignWhole(l, r.warehouse.code);
          else still.push(l);
        }
        open = still;
        steps.push({ step, outcome: `${before - open.length} line(s) each from its nearest warehouse with stock` });
        break;
      }
      case 'split-line': {
        const still: DemandLine[] = [];
        for (const l of open) {
          const order = [...eligible].sort((a, b) => Number(!used.includes(a.warehouse.code)) - Number(!used.includes(b.warehouse.code)));
          const total = order.reduce((n, r) => n + get(stock, r.warehouse.code, l.skuCode), 0);
          if (total < l.quantity) {
            still.push(l);
            continue;
          }
          let remaining = l.quantity;
          for (const r of order) {
            if (remaining === 0) break;
            const q = Math.min(remaining, get(stock, r.warehouse.code, l.skuCode));
            if (q === 0) continue;
            take(stock, r.warehouse.code, l.skuCode, q);
            assignments.push({ lineRef: l.lineRef, skuCode: l.skuCode, warehouseCode: r.warehouse.code, quantity: q, transferredIn: 0 });
            use(r.warehouse.code);
            remaining -= q;
          }
        }
        open = still;
        steps.push({ step, outcome: `${before - open.length} line(s) shipped in parts from the next warehouses` });
        break;
      }
      case 'transfer': {
        const still: DemandLine[] = [];
        for (const l of open) {
          const target = eligible.find((r) => used.includes(r.warehouse.code)) ?? eligible[0];
          if (!target) {
            still.push(l);
            continue;
          }
          const to = target.warehouse.code;
          const own = get(stock, to, l.skuCode);
          // Sources may be any active warehouse, also ones that cannot ship to this buyer themselves.
          const sources = activeCodes
            .filter((c) => c !== to && get(stock, c, l.skuCode) > 0)
            .map((c) => ({ c, d: haversineKm(target.warehouse.location, locationOf.get(c) ?? target.warehouse.location) }))
            .sort((a, b) => a.d - b.d || (a.c < b.c ? -1 : 1));
          const elsewhere = sources.reduce((n, s) => n + get(stock, s.c, l.skuCode), 0);
          if (own + elsewhere < l.quantity) {
            still.push(l);
            continue;
          }
          const fromOwn = Math.min(own, l.quantity);
          if (fromOwn > 0) take(stock, to, l.skuCode, fromOwn);
          let remaining = l.quantity - fromOwn;
          for (const s of sources) {
            if (remaining === 0) break;
            const q = Math.min(remaining, get(stock, s.c, l.skuCode));
            take(stock, s.c, l.skuCode, q);
            transfers.push({ lineRef: l.lineRef, skuCode: l.skuCode, quantity: q, fromWarehouseCode: s.c, toWarehouseCode: to });
            remaining -= q;
          }
          assignments.push({ lineRef: l.lineRef, skuCode: l.skuCode, warehouseCode: to, quantity: l.quantity, transferredIn: l.quantity - fromOwn });
          use(to);
        }
        open = still;
        steps.push({ step, outcome: `${before - open.length} line(s) completed by transfer` });
        break;
      }
    }
  }

  const shortages: Shortage[] = open.map((l) => ({
    lineRef: l.lineRef,
    skuCode: l.skuCode,
    requested: l.quantity,
    allocated: 0,
    short: l.quantity,
    availableAnywhere: totalElsewhere(l.skuCode),
  }));
  if (shortages.length > 0) steps.push({ step: 'shortage', outcome: `${shortages.length} line(s) short` });

  const rankOf = new Map(eligible.map((r, i) => [r.warehouse.code, i] as const));
  const warehouses = [...used].sort((a, b) => (rankOf.get(a) ?? 0) - (rankOf.get(b) ?? 0));
  const candidates: ScoredCandidate[] = eligible.map((r, i) => ({
    id: r.warehouse.code,
    rank: i + 1,
    score: roundScore(1 - i / eligible.length),
    criteria: Object.fromEntries(strategy.rankBy.map((c) => [c, roundScore(criterionScore(c, r, strategy))])),
    metrics: {
      distanceKm: Math.round(r.distanceKm * 10) / 10,
      loadRatio: roundScore(r.loadRatio),
      priority: r.warehouse.priority,
      chosen: used.includes(r.warehouse.code),
    },
  }));
  const status = shortages.length === 0 ? 'complete' : assignments.length === 0 ? 'short' : 'partial';
  const outcome =
    status === 'short'
      ? `nothing allocated: ${shortages.length} line(s) short`
      : `${warehouses.length} warehouse(s): ${warehouses.join(', ')}` +
        (transfers.length > 0 ? `; ${transfers.length} transfer(s)` : '') +
        (shortages.length > 0 ? `; ${shortages.length} line(s) short` : '');

  return {
    orderId: request.orderId,
    status,
    assignments,
    transfers,
    shortages,
    warehouses,
    decision: {
      kind: 'allocation',
      subject: request.orderId,
      ruleId: strategy.id,
      ruleVersion: strategy.version,
      outcome,
      chosen: warehouses,
      candidates,
      excluded,
      steps,
    },
  };
}
