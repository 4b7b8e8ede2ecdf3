import type { Fen } from '../money.js';
import type { LineAssignment } from './allocation.js';
import { roundScore, type DecisionRecord, type DecisionStep, type ScoredCandidate } from './decision.js';
import type { LogisticsClass, Sku } from './types.js';

export interface SplitRule {
  readonly id: string;
  readonly version: number;
  /** An express parcel heavier than this goes by freight instead (carriers refuse or surcharge heavy express). */
  readonly maxExpressWeightG: number;
}

export const DEFAULT_SPLIT_RULE: SplitRule = { id: 'split.default', version: 1, maxExpressWeightG: 30_000 };

export interface PackageLine {
  readonly lineRef: string;
  readonly skuCode: string;
  readonly quantity: number;
}

export interface PlannedPackage {
  /** Stable within the order: `<orderId>:<warehouse>:<class>`, so a retried plan names the same packages. */
  readonly key: string;
  readonly warehouseCode: string;
  readonly logisticsClass: LogisticsClass;
  readonly lines: readonly PackageLine[];
  readonly weightG: number;
  readonly volumeCm3: number;
  readonly valueFen: Fen;
}

export interface SplitResult {
  readonly packages: readonly PlannedPackage[];
  /** SKUs the catalogue did not know; they were packed by express at zero weight. */
  readonly unknownSkus: readonly string[];
  readonly decision: DecisionRecord;
}

/**
 * Splits an allocation into packages: one per warehouse and logistics class, bulky goods by freight and the
 * rest by express (an express parcel over the weight limit goes by freight too). Packages are independent and
 * can be processed in parallel.
 *
 * @example
 * splitIntoPackages('o1', [{ lineRef: '1', skuCode: 'SOFA', warehouseCode: 'SH', quantity: 1, transferredIn: 0 },
 *                          { lineRef: '2', skuCode: 'CUSHION', warehouseCode: 'SH', quantity: 2, transferredIn: 0 }], skus)
 *   .packages.map((p) => p.logisticsClass) // ['freight', 'express']
 */
export function splitIntoPackages(
  orderId: string,
  assignments: readonly LineAssignment[],
  skus: ReadonlyMap<string, Sku> | readonly Sku[],
  rule: SplitRule = DEFAULT_SPLIT_RULE,
): SplitResult {
  const catalogue: ReadonlyMap<string, Sku> = skus instanceof Map ? skus : new Map((skus as readonly Sku[]).map((s) => [s.code, s]));
  const unknown = new Set<string>();
  const steps: DecisionStep[] = [];

  interface Draft { warehouseCode: string; cls: LogisticsClass; lines: PackageLine[]; weightG: number; volumeCm3: number; valueFen: number }
  const drafts = new Map<string, Draft>();
  for (const a of assignments) {
    const sku = catalogue.get(a.skuCode);
    if (!sku) unknown.add(a.skuCode);
    const cls: LogisticsClass = sku?.bulky ? 'freight' : 'express';
    const id = `${a.warehouseCode}:${cls}`;
    let d = drafts.get(id);
    if (!d) drafts.set(id, (d = { warehouseCode: a.warehouseCode, cls, lines: [], weightG: 0, volumeCm3: 0, valueFen: 0 }));
    d.lines.push({ lineRef: a.lineRef, skuCode: a.skuCode, quantity: a.quantity });
    d.weightG += (sku?.weightG ?? 0) * a.quantity;
    d.volumeCm3 += (sku?.volumeCm3 ?? 0) * a.quantity;
    d.valueFen += (sku?.valueFen ?? 0) * a.quantity;
  }

  // An overweight express parcel joins (or becomes) the freight parcel of the same warehouse.
  for (const d of [...drafts.values()]) {
    if (d.cls !== 'express' || d.weightG <= rule.maxExpressWeightG) continue;
    drafts.delete(`${d.warehouseCode}:express`);
    const freight = drafts.get(`${d.warehouseCode}:freight`);
    if (freight) {
      freight.lines.push(...d.lines);
      freight.weightG += d.weightG;
      freight.volumeCm3 += d.volumeCm3;
      freight.valueFen += d.valueFen;
    } else {
      drafts.set(`${d.warehouseCode}:freight`, { ...d, cls: 'freight' });
    }
    steps.push({ step: 'overweight-express', outcome: `${d.warehouseCode}: ${d.weightG} g > ${rule.maxExpressWeightG} g, sent by freight` });
  }

  const packages: PlannedPackage[] = [...drafts.values()].map((d) => ({
    key: `${orderId}:${d.warehouseCode}:${d.cls}`,
    warehouseCode: d.warehouseCode,
    logisticsClass: d.cls,
    lines: d.lines,
    weightG: d.weightG,
    volumeCm3: d.volumeCm3,
    valueFen: d.valueFen,
  }));
  if (unknown.size > 0) steps.push({ step: 'unknown-sku', outcome: `not in the catalogue, packed by express: ${[...unknown].join(', ')}` });
  steps.unshift({ step: 'by-warehouse-and-class', outcome: `${packages.length} package(s)` });

  const candidates: ScoredCandidate[] = packages.map((p, i) => ({
    id: p.key,
    rank: i + 1,
    score: roundScore(1),
    criteria: {},
    metrics: { warehouse: p.warehouseCode, logisticsClass: p.logisticsClass, weightG: p.weightG, valueFen: p.valueFen, lines: p.lines.length },
  }));
  return {
    packages,
    unknownSkus: [...unknown],
    decision: {
      kind: 'split',
      subject: orderId,
      ruleId: rule.id,
      ruleVersion: rule.version,
      outcome: packages.map((p) => `${p.warehouseCode}/${p.logisticsClass}`).join(', ') || 'no package',
      chosen: packages.map((p) => p.key),
      candidates,
      excluded: [],
      steps,
    },
  };
}
