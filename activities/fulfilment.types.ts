// Contract types of the fulfilment activities: what the order workflow sends them and gets back. Kept apart
// from the implementation so workflow code imports types only, never database or Temporal client code.
import type { DecisionRecord, LineAssignment, LogisticsClass, PackageLine, Shortage, TransferProposal } from '../domain/fulfilment/index.js';
import type { CanonicalOrder } from '../domain/order.js';
import type { OrderCarrierRules } from '../domain/fulfilment/carrier.js';
import type { TaskPriority } from '../domain/fulfilment/task-priority.js';
import type { FulfilmentRules } from './review.types.js';

export type { Shortage };

/** Order facts that decide whether it may share a package, beyond the canonical order itself. */
export interface MergeFlags {
  refundInProgress?: boolean;
  /** An operator or the platform forbade split and merge. */
  sealed?: boolean;
}

export interface PlanInput {
  orderId: string;
  order: CanonicalOrder;
  /** Counts plans of this order (a re-plan after a lost race or a shortage); keys the decision log. */
  attempt: number;
  /** The order's place in the queue of a SKU it is short of: higher priority first, then earlier payment. */
  paidAt?: string;
  priority?: number;
  /** The order's rules for allocation, split and carrier (absent: the published defaults' figures). */
  rules?: FulfilmentRules;
  /** A person's (or a policy's) choice resolving an exception: which lines, from which warehouse. */
  directed?: DirectedPlan;
}

/**
 * A plan a resolution asks for: `lines` only (the rest back-ordered: 拆分发货), from `warehouseCode` only
 * (other warehouses only as transfer sources when `transfers`). A plan from a chosen warehouse never joins the
 * stock queues: when the stock is no longer there it comes back short and the exception stays open; a plan of
 * back-ordered lines waits in the queues like any short order.
 */
export interface DirectedPlan {
  reason: string;
  warehouseCode?: string;
  lines?: { lineRef: string; skuCode: string; quantity: number }[];
  transfers?: boolean;
}

export interface PlannedParcel {
  key: string;
  warehouseCode: string;
  logisticsClass: LogisticsClass;
  lines: PackageLine[];
  weightG: number;
  valueFen: number;
  carrierCode: string | null;
}

/** A short line per decision, for the order's state query (the full record is in the decision log). */
export interface DecisionSummary {
  step: string;
  kind: DecisionRecord['kind'];
  ruleId: string;
  ruleVersion: number;
  outcome: string;
}

export type PlanResult =
  | {
      status: 'planned';
      destinationRegionCode: string;
      assignments: LineAssignment[];
      transfers: TransferProposal[];
      parcels: PlannedParcel[];
      decisions: DecisionSummary[];
    }
  | { status: 'short'; shortages: Shortage[]; decisions: DecisionSummary[]; replanAfterMs: number }
  /** Nothing to allocate from: no warehouse is configured, so the warehouse side is run outside Orderly. */
  | { status: 'unmanaged'; reason: string; decisions: DecisionSummary[] }
  | { status: 'unroutable'; reason: string; decisions: DecisionSummary[] };

export interface ReserveStockInput {
  orderId: string;
  assignments: LineAssignment[];
  transfers: TransferProposal[];
}

/** The order's lines in one warehouse's parcel. */
export interface ParcelLines {
  warehouseCode: string;
  lineRefs: string[];
}

/**
 * Gives back what an order holds: everything (cancellation), everything but `keep` (parcels under
 * interception stay reserved until the warehouse answers), or `only` those parcels (intercepted).
 */
export interface ReleaseStockInput {
  orderId: string;
  keep?: ParcelLines[];
  only?: ParcelLines[];
}

/** One planned parcel of an order joining (or opening) the package its merge key points to. */
export interface JoinPackageInput {
  orderId: string;
  order: CanonicalOrder;
  destinationRegionCode: string;
  parcel: PlannedParcel;
  flags: MergeFlags;
  /** The order's merge rules (never merge, or its own hold window) and carrier rules (kept for the release). */
  rules?: Pick<FulfilmentRules, 'merge'> & { carrier?: OrderCarrierRules };
  /** The order's Temporal task priority: a package it opens runs (and is released) with it. */
  taskPriority?: TaskPriority;
}
