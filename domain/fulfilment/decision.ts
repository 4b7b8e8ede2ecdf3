/**
 * The decision record: every allocation, split, merge and carrier choice says which rule decided, every
 * candidate it weighed with its score, and why each excluded candidate was excluded. It is plain data, so the
 * activity that stores it and the workflow that shows it in its state query need nothing else.
 */

export type DecisionKind = 'allocation' | 'split' | 'carrier' | 'merge' | 'review' | 'priority';

export interface ScoredCandidate {
  /** Warehouse, carrier, package or order id. */
  readonly id: string;
  /** 0..1, higher is better; the composite the ranking used. */
  readonly score: number;
  /** Position in the ranking, 1 = first choice. */
  readonly rank: number;
  /** Per-criterion scores (0..1) in the order the strategy applies them. */
  readonly criteria: Readonly<Record<string, number>>;
  /** Raw figures behind the scores (distance in km, load ratio, cost in fen, ...). */
  readonly metrics: Readonly<Record<string, number | string | boolean>>;
}

export interface ExclusionReason {
  /** Stable machine-readable code, e.g. `inactive`, `at-capacity`, `region-not-covered`. */
  readonly code: string;
  readonly message: string;
}

export interface ExcludedCandidate {
  readonly id: string;
  readonly reasons: readonly ExclusionReason[];
}

export interface DecisionStep {
  /** Strategy step or rule that ran, e.g. `single-warehouse`. */
  readonly step: string;
  /** What it did, for a person reading the log. */
  readonly outcome: string;
}

export interface DecisionRecord {
  readonly kind: DecisionKind;
  /** What was decided about: an order id, a package key. */
  readonly subject: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  /** One-line summary, e.g. `1 package from WH-TJ (nearest with all lines)`. */
  readonly outcome: string;
  /** Ids of the chosen candidates. */
  readonly chosen: readonly string[];
  readonly candidates: readonly ScoredCandidate[];
  readonly excluded: readonly ExcludedCandidate[];
  readonly steps: readonly DecisionStep[];
}

/**
 * Rounds a score for the record so logs and snapshots stay readable.
 *
 * @example roundScore(2 / 3) // 0.6667
 */
export function roundScore(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
