import type { OrderStatus } from '../order-status.js';
import { addressFingerprint } from '../address/normalise.js';
import { roundScore, type DecisionRecord, type DecisionStep, type ExcludedCandidate, type ExclusionReason, type ScoredCandidate } from './decision.js';

export interface MergeCandidate {
  readonly orderId: string;
  readonly shopId: string;
  /** The platform's opaque buyer id. */
  readonly buyerKey: string;
  /** Resolved region code of the receiver (district when known). */
  readonly regionCode: string;
  /** Street part of the address, as given. */
  readonly detail: string;
  /** The platform's opaque address id (Taobao oaid, ...); when present it decides sameness of address. */
  readonly addressKey?: string;
  /** When the order became ready to ship (UTC ISO instant); the hold window counts from the first order. */
  readonly readyAt: string;
  readonly presale: boolean;
  readonly cashOnDelivery: boolean;
  readonly refundInProgress: boolean;
  /** Sealed orders may not be split or merged (an operator or the platform said so). */
  readonly sealed: boolean;
  /** The warehouse the order was allocated to, when the policy requires one warehouse per package. */
  readonly warehouseCode?: string;
}

/**
 * When a new package waits for more orders before it is sealed and released:
 * - `always`: every package that may be merged waits its hold window;
 * - `when_buyer_has_open_orders`: it waits only while the same buyer has another order in the same shop
 *   that could still join (see {@link OPEN_ORDER_STATUSES}); otherwise it is released at once;
 * - `never`: released at once (an open package of the same key is still joined while it is being sealed).
 * A package that may never be merged (cash on delivery, refund, sealed) is released at once whatever the mode.
 */
export const HOLD_MODES = ['always', 'when_buyer_has_open_orders', 'never'] as const;
export type HoldMode = (typeof HOLD_MODES)[number];

export interface MergePolicy {
  readonly id: string;
  readonly version: number;
  /** When a new package waits for others to join. */
  readonly hold: HoldMode;
  /** How long the first order of a package waits for others to join, in milliseconds. */
  readonly holdWindowMs: number;
  /** Merge only orders allocated to the same warehouse (one parcel leaves one building). */
  readonly requireSameWarehouse: boolean;
}

/**
 * Version 1 held every mergeable package for its window; version 2 holds only for a buyer with another open
 * order. Its window is `PACKAGE_HOLD_WINDOW` where Orderly runs (see `mergePolicyFrom`), 30 minutes here.
 */
export const DEFAULT_MERGE_POLICY: MergePolicy = { id: 'merge.default', version: 2, hold: 'when_buyer_has_open_orders', holdWindowMs: 30 * 60_000, requireSameWarehouse: true };

/**
 * Statuses (of the order read model) of an order that has not reached a package yet and so could still join
 * one: stored, unpaid, paid and being planned, held for a fix, or short of stock. `deposit_paid` counts only
 * for a presale parcel, since presale parcels merge only with presale ones.
 *
 * @example openOrderStatuses(false).includes('deposit_paid') // false
 */
export function openOrderStatuses(presale: boolean): readonly OrderStatus[] {
  const base: OrderStatus[] = ['received', 'awaiting_payment', 'paid', 'pending_review', 'on_hold', 'short'];
  return presale ? [...base, 'deposit_paid'] : base;
}
export const OPEN_ORDER_STATUSES = openOrderStatuses(true);

/**
 * How long a package opened now waits before it is sealed, and why: zero for a parcel that may never be
 * merged, for `never`, and for `when_buyer_has_open_orders` when the buyer has no other open order in the
 * shop; the policy's window otherwise. (Joining a package that is already open keeps that package's window.)
 *
 * @example holdFor(DEFAULT_MERGE_POLICY, { mergeable: true, buyerOpenOrders: 0 }).holdMs // 0
 */
export function holdFor(policy: MergePolicy, o: { mergeable: boolean; buyerOpenOrders: number }): { holdMs: number; reason: string } {
  if (!o.mergeable) return { holdMs: 0, reason: 'never merged: sealed at once' };
  if (policy.hold === 'never') return { holdMs: 0, reason: 'policy holds no package: sealed at once' };
  if (policy.hold === 'always') return { holdMs: policy.holdWindowMs, reason: `policy holds every package ${policy.holdWindowMs} ms` };
  if (o.buyerOpenOrders > 0) return { holdMs: policy.holdWindowMs, reason: `buyer has ${o.buyerOpenOrders} other open order(s) in the shop: held ${policy.holdWindowMs} ms` };
  return { holdMs: 0, reason: 'buyer has no other open order in the shop: sealed at once' };
}

export interface MergeGroup {
  /** Short stable id for the package workflow (`package:<id>`); carries no buyer or address data. */
  readonly id: string;
  readonly orderIds: readonly string[];
  readonly windowStart: string;
  readonly windowEnd: string;
}

export interface MergePlan {
  /** Every eligible order is in exactly one group; a group of one is a package of its own. */
  readonly groups: readonly MergeGroup[];
  /** Orders that may never be merged, each with its reasons. */
  readonly standalone: readonly ExcludedCandidate[];
  readonly decision: DecisionRecord;
}

/**
 * Why an order may never share a package, or an empty list when it may.
 *
 * @example mergeBlockers({ ...order, cashOnDelivery: true }).map((r) => r.code) // ['cash-on-delivery']
 */
export function mergeBlockers(o: MergeCandidate): ExclusionReason[] {
  const reasons: ExclusionReason[] = [];
  if (o.cashOnDelivery) reasons.push({ code: 'cash-on-delivery', message: 'cash-on-delivery orders are collected per order' });
  if (o.refundInProgress) reasons.push({ code: 'refund-in-progress', message: 'a refund is in progress' });
  if (o.sealed) reasons.push({ code: 'sealed', message: 'the order is sealed against split and merge' });
  return reasons;
}

/**
 * The key two orders must share to join one package: shop, buyer, address (the platform's address id when
 * there is one, else region plus normalised street), presale or in-stock, and the warehouse when the policy
 * requires it. Null when the order may never be merged.
 *
 * @example mergeKey(a) === mergeKey(b) // true for two orders of one buyer to '建国路88号' and '建国路 88 号'
 */
export function mergeKey(o: MergeCandidate, policy: MergePolicy = DEFAULT_MERGE_POLICY): string | null {
  if (mergeBlockers(o).length > 0) return null;
  const address = o.addressKey ? `k:${o.addressKey}` : `a:${addressFingerprint(o.regionCode, o.detail)}`;
  // Presale goods ship on their own date; an in-stock order must not wait for them.
  const kind = o.presale ? 'presale' : 'stock';
  const warehouse = policy.requireSameWarehouse ? (o.warehouseCode ?? '') : '*';
  return [o.shopId, o.buyerKey, address, kind, warehouse].join('\u0001');
}

/** FNV-1a, 32 bit: a short, stable, dependency-free id that hides the key's personal data. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * Plans which orders join one package: orders with the same {@link mergeKey} whose ready times fall within
 * the hold window opened by the first of them. Cash on delivery, refund in progress and sealed orders are
 * never merged; presale orders merge only with presale orders.
 *
 * @example planMerges([a, b, c]).groups.map((g) => g.orderIds) // [['a', 'b'], ['c']]
 */
export function planMerges(orders: readonly MergeCandidate[], policy: MergePolicy = DEFAULT_MERGE_POLICY): MergePlan {
  const windowMs = policy.holdWindowMs;
  const standalone: ExcludedCandidate[] = [];
  const byKey = new Map<string, { o: MergeCandidate; t: number }[]>();
  for (const o of orders) {
    const reasons = mergeBlockers(o);
    const t = Date.parse(o.readyAt);
    if (Number.isNaN(t)) reasons.push({ code: 'invalid-time', message: `readyAt is not an instant: ${o.readyAt}` });
    if (reasons.length > 0) {
      standalone.push({ id: o.orderId, reasons });
      continue;
    }
    const key = mergeKey(o, policy) ?? o.orderId;
    const list = byKey.get(key);
    if (list) list.push({ o, t });
    else byKey.set(key, [{ o, t }]);
  }

  const groups: MergeGroup[] = [];
  const steps: DecisionStep[] = [];
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.t - b.t || (a.o.orderId < b.o.orderId ? -1 : 1));
    let current: { start: number; ids: string[] } | undefined;
    const flush = (): void => {
      if (!current) return;
      const windowStart = new Date(current.start).toISOString();
      groups.push({
        id: shortHash(`${key}\u0002${windowStart}`),
        orderIds: current.ids,
        windowStart,
        windowEnd: new Date(current.start + windowMs).toISOString(),
      });
    };
    for (const { o, t } of list) {
      if (current && t < current.start + windowMs) current.ids.push(o.orderId);
      else {
        flush();
        current = { start: t, ids: [o.orderId] };
      }
    }
    flush();
  }
  groups.sort((a, b) => a.windowStart.localeCompare(b.windowStart) || a.id.localeCompare(b.id));
  for (const g of groups) steps.push({ step: 'group', outcome: `${g.id}: ${g.orderIds.join(', ')}` });

  const candidates: ScoredCandidate[] = [];
  for (const g of groups) {
    for (const id of g.orderIds) {
      candidates.push({
        id,
        rank: candidates.length + 1,
        score: roundScore(g.orderIds.length > 1 ? 1 : 0),
        criteria: {},
        metrics: { group: g.id, groupSize: g.orderIds.length },
      });
    }
  }
  const merged = groups.filter((g) => g.orderIds.length > 1);
  return {
    groups,
    standalone,
    decision: {
      kind: 'merge',
      subject: groups.map((g) => g.id).join(',') || 'none',
      ruleId: policy.id,
      ruleVersion: policy.version,
      outcome: `${merged.length} merged package(s) from ${merged.reduce((n, g) => n + g.orderIds.length, 0)} orders; ${standalone.length} never merged`,
      chosen: merged.map((g) => g.id),
      candidates,
      excluded: standalone,
      steps,
    },
  };
}
