// The order workflow's fulfilment stage: plan (allocation, split, carrier), reserve, join packages (merge),
// then follow the packages until they ship. Workflow code: deterministic, I/O only through activities.
import { condition, defineQuery, log, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { DecisionSummary, PlanResult } from '../activities/fulfilment-activities.js';
import type { Shortage } from '../domain/fulfilment/allocation.js';
import type { CanonicalOrder } from '../domain/order.js';
import { packageUpdateSignal, type PackageUpdate } from './package.messages.js';

// Planning and reservations are database work only: local activities, no server round trip per call.
const { planFulfilment, reserveStock, releaseStock } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
// Joining and leaving packages start or signal package workflows: ordinary activities.
const { joinPackage, leavePackages } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Plans overtaken by other orders' reservations before one sticks; then the order counts as short. */
const MAX_RESERVE_ATTEMPTS = 3;

export type OrderPackageStatus = 'joined' | 'released' | 'picked' | 'shipped' | 'failed' | 'left' | 'intercept_requested';

export interface OrderPackage {
  packageId: string;
  packageKey: string;
  warehouseCode: string;
  logisticsClass: string;
  status: OrderPackageStatus;
  /** Other orders sharing the parcel, as the package reported at release. */
  mergedWith: string[];
  carrierCode?: string;
  trackingNo?: string;
  shippedAt?: string;
  failureReason?: string;
}

export type FulfilmentOutcome =
  | { status: 'released'; packageIds: string[] }
  | { status: 'short'; shortages: Shortage[]; replanAfterMs: number }
  /** No warehouse or no carrier is configured: the order is released without allocation, for an external WMS. */
  | { status: 'unmanaged'; reason: string }
  | { status: 'unroutable'; reason: string }
  | { status: 'cancelled' };

export interface Shipment {
  packageId: string;
  carrierCode: string;
  trackingNo: string;
  shippedAt: string;
}

export type ShipmentOutcome =
  | { status: 'shipped'; shipments: Shipment[] }
  | { status: 'failed'; shipments: Shipment[]; failed: { packageId: string; reason: string }[] }
  | { status: 'cancelled' }
  /** The order has no packages to follow (unmanaged). */
  | { status: 'none' };

/** What the order's `fulfilment` query shows. */
export interface FulfilmentState {
  outcome?: FulfilmentOutcome['status'];
  attempts: number;
  decisions: DecisionSummary[];
  packages: OrderPackage[];
  shortages?: Shortage[];
  cancelled?: { reason: string; unmerged: string[]; interceptRequested: string[]; releasedReservations: number };
}

/** A copy, so a query's caller never holds the workflow's live state. */
function snapshot(s: FulfilmentState): FulfilmentState {
  return JSON.parse(JSON.stringify(s)) as FulfilmentState;
}

export const fulfilmentQuery = defineQuery<FulfilmentState>('fulfilment');

export interface FulfilmentInput {
  orderId: string;
  order: CanonicalOrder;
  refundInProgress?: boolean;
  /** Forbids split and merge (an operator or the platform said so). */
  sealed?: boolean;
  /** Checked between steps: a cancelled order stops planning and joins nothing more. */
  isCancelled: () => boolean;
}

export interface Fulfilment {
  readonly outcome: FulfilmentOutcome;
  /** Waits (re-planning every `replanAfterMs`) until a short order is allocated; false when cancelled first. */
  waitForStock(isCancelled: () => boolean): Promise<boolean>;
  /** Waits until every package has shipped or failed, or the order is cancelled. */
  awaitShipment(isCancelled: () => boolean): Promise<ShipmentOutcome>;
  /** Releases reservations, unmerges from open packages and asks the warehouse to intercept sealed ones. */
  cancel(reason: string): Promise<void>;
  state(): FulfilmentState;
}

/**
 * Runs fulfilment for a paid order and returns a handle for the rest of the order's life. Registers the
 * order's `packageUpdate` signal handler and `fulfilment` query.
 *
 * @example
 * const fulfilment = await runFulfilment({ orderId, order, isCancelled: () => cancelled !== undefined });
 * if (fulfilment.outcome.status === 'released') await fulfilment.awaitShipment(() => cancelled !== undefined);
 */
export async function runFulfilment(input: FulfilmentInput): Promise<Fulfilment> {
  const { orderId, order } = input;
  const st: FulfilmentState = { attempts: 0, decisions: [], packages: [] };
  let outcome: FulfilmentOutcome = { status: 'cancelled' };
  const early: PackageUpdate[] = [];

  const apply = (u: PackageUpdate) => {
    const p = st.packages.find((x) => x.packageId === u.packageId);
    if (!p) {
      // The package can report before joinPackage has returned here (a hold window of zero).
      early.push(u);
      return;
    }
    if (p.status === 'left' || p.status === 'shipped' || p.status === 'failed') return;
    switch (u.type) {
      case 'released':
        if (p.status === 'joined') p.status = 'released';
        p.mergedWith = u.memberOrderIds.filter((id) => id !== orderId);
        if (u.carrierCode) p.carrierCode = u.carrierCode;
        return;
      case 'picked':
        if (p.status === 'joined' || p.status === 'released') p.status = 'picked';
        return;
      case 'shipped':
        if (p.status === 'intercept_requested') log.warn('package shipped although interception was requested', { orderId, packageId: p.packageId });
        p.status = 'shipped';
        p.carrierCode = u.carrierCode;
        p.trackingNo = u.trackingNo;
        p.shippedAt = u.at;
        return;
      case 'failed':
        p.status = 'failed';
        p.failureReason = u.reason;
        return;
      case 'dropped':
        p.status = 'left';
        return;
    }
  };
  setHandler(packageUpdateSignal, apply);
  setHandler(fulfilmentQuery, () => snapshot(st));

  const plan = async (): Promise<FulfilmentOutcome> => {
    for (let tries = 0; tries < MAX_RESERVE_ATTEMPTS; tries++) {
      if (input.isCancelled()) return { status: 'cancelled' };
      const attempt = ++st.attempts;
      const p: PlanResult = await planFulfilment({ orderId, order, attempt });
      st.decisions.push(...p.decisions);
      if (p.status === 'unmanaged' || p.status === 'unroutable') return { status: p.status, reason: p.reason };
      if (p.status === 'short') {
        st.shortages = p.shortages;
        return { status: 'short', shortages: p.shortages, replanAfterMs: p.replanAfterMs };
      }
      if (input.isCancelled()) return { status: 'cancelled' };
      const reserved = await reserveStock({ orderId, assignments: p.assignments, transfers: p.transfers });
      if (!reserved.ok) {
        log.info('plan overtaken by other reservations; planning again', { orderId, attempt, short: reserved.short });
        continue;
      }
      delete st.shortages;
      if (input.isCancelled()) return { status: 'cancelled' };
      const flags = { refundInProgress: input.refundInProgress ?? false, sealed: input.sealed ?? false };
      const joined = await Promise.all(
        p.parcels.map(async (parcel) => {
          const j = await joinPackage({ orderId, order, destinationRegionCode: p.destinationRegionCode, parcel, flags });
          st.packages.push({
            packageId: j.packageId,
            packageKey: parcel.key,
            warehouseCode: parcel.warehouseCode,
            logisticsClass: parcel.logisticsClass,
            status: 'joined',
            mergedWith: [],
            ...(parcel.carrierCode ? { carrierCode: parcel.carrierCode } : {}),
          });
          st.decisions.push(j.decision);
          return j.packageId;
        }),
      );
      for (const u of early.splice(0)) apply(u);
      return { status: 'released', packageIds: joined };
    }
    const attempt = st.attempts;
    log.warn('stock kept being taken by other orders; treating the order as short', { orderId, attempt });
    return { status: 'short', shortages: [], replanAfterMs: 60_000 };
  };

  outcome = await plan();
  st.outcome = outcome.status;

  const shipped = () => st.packages.filter((p) => p.status === 'shipped');
  const open = () => st.packages.filter((p) => p.status !== 'shipped' && p.status !== 'failed' && p.status !== 'left' && p.status !== 'intercept_requested');

  const handle: Fulfilment = {
    get outcome() {
      return outcome;
    },
    async waitForStock(isCancelled) {
      while (outcome.status === 'short') {
        const wait = outcome.replanAfterMs;
        if (await condition(isCancelled, wait)) return false;
        outcome = await plan();
        st.outcome = outcome.status;
      }
      if (outcome.status === 'cancelled') return false;
      return true;
    },
    async awaitShipment(isCancelled) {
      if (st.packages.length === 0) return { status: 'none' };
      await condition(() => open().length === 0 || isCancelled());
      if (open().length > 0) return { status: 'cancelled' };
      const shipments = shipped().map((p) => ({ packageId: p.packageId, carrierCode: p.carrierCode ?? '', trackingNo: p.trackingNo ?? '', shippedAt: p.shippedAt ?? '' }));
      const failed = st.packages.filter((p) => p.status === 'failed').map((p) => ({ packageId: p.packageId, reason: p.failureReason ?? 'failed' }));
      return failed.length ? { status: 'failed', shipments, failed } : { status: 'shipped', shipments };
    },
    async cancel(reason) {
      const outcomes = st.packages.length > 0 ? await leavePackages({ orderId, reason }) : [];
      for (const o of outcomes) {
        const p = st.packages.find((x) => x.packageId === o.packageId && x.packageKey === o.packageKey);
        if (p && o.outcome !== 'shipped') p.status = o.outcome === 'left' ? 'left' : 'intercept_requested';
      }
      const { released } = await releaseStock({ orderId });
      st.cancelled = {
        reason,
        unmerged: outcomes.filter((o) => o.outcome === 'left').map((o) => o.packageId),
        interceptRequested: outcomes.filter((o) => o.outcome === 'intercept').map((o) => o.packageId),
        releasedReservations: released,
      };
    },
    state: () => snapshot(st),
  };
  return handle;
}
