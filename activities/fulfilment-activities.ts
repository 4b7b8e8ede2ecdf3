import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import { fieldCipherFor } from '../config/field-cipher.js';
import { latestPlanAttempt, recordDecisions, type DecisionEntry } from '../db/decisions.repository.js';
import { advancePackage, findPackage, joinPackage, leavePackages, markInterceptionRequested, sealPackage, type LeaveOutcome } from '../db/packages.repository.js';
import { cancelTransfers, consumeReservations, heldByOrder, recordTransfers, releaseReservationRows, reserveStock, type ReservationRequest, type ReserveResult } from '../db/reservations.repository.js';
import { clearStockWaits, recordStockWaits } from '../db/stock-waits.repository.js';
import { wakeStockWaiters } from '../ingest/stock-wake.js';
import {
  countWarehouseLoad,
  listCarriers,
  listSkus,
  listWarehouses,
  releaseWarehouseLoad,
  stockLevels,
  toDomainCarrier,
  toDomainSku,
  toDomainWarehouse,
} from '../db/stock.repository.js';
import { parseAddress, type LatLng } from '../domain/address/index.js';
import {
  allocate,
  carrierRulesForParcel,
  chooseCarrier,
  DEFAULT_CARRIER_RULE,
  DEFAULT_MERGE_POLICY,
  DEFAULT_SPLIT_RULE,
  holdFor,
  mergeBlockers,
  mergeKey,
  openOrderStatuses,
  splitIntoPackages,
  type CarrierRule,
  type DecisionRecord,
  type OrderCarrierRules,
  type PackageLine,
  type SplitRule,
} from '../domain/fulfilment/index.js';
import type { CanonicalOrder } from '../domain/order.js';
import {
  packageInterceptSignal,
  packageJoinSignal,
  packageLeaveSignal,
  packageStartAttributes,
  packageSummary,
  packageWorkflowId,
  packageWorkflowType,
  UNKNOWN_PACKAGE_FAILURE,
  type PackageJoin,
  type PackageOpening,
  type PackageWorkflow,
  type PackageWorkflowInput,
  type WarehouseEvent,
} from '../workflows/package.messages.js';
import { transferEventSignal, transferWorkflowId } from '../workflows/transfer.messages.js';
import type { DecisionSummary, JoinPackageInput, MergeFlags, PlanInput, PlannedParcel, PlanResult, ReleaseStockInput, ReserveStockInput } from './fulfilment.types.js';
import type { ActivityDeps } from './order-activities.js';
import type { FulfilmentRules } from './review.types.js';
import { getSetting } from '../db/settings.repository.js';
import { ALLOCATION_STRATEGY_KEY, strategyFrom, type AllocationStrategyInput } from '../domain/fulfilment/strategy.js';
import { MERGE_POLICY_KEY, mergePolicyFrom, type MergePolicyInput } from '../domain/fulfilment/merge-policy.js';

/** No package of that id in the database: failed at once, not retried (see `UNKNOWN_PACKAGE_FAILURE`). */
function unknownPackage(packageId: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`package ${packageId} does not exist`, UNKNOWN_PACKAGE_FAILURE, { packageId });
}

function summarise(entries: readonly DecisionEntry[]): DecisionSummary[] {
  return entries.map((e) => ({ step: e.stepKey, kind: e.record.kind, ruleId: e.record.ruleId, ruleVersion: e.record.ruleVersion, outcome: e.record.outcome }));
}

function destinationOf(order: CanonicalOrder): { regionCode: string; location: LatLng } | { error: string } {
  const r = order.receiver;
  const parsed = parseAddress({ province: r.province, city: r.city, district: r.district, detail: r.detail });
  // An ambiguous address still has a best guess for distance; validation decides whether it may ship at all.
  const region = parsed.status === 'resolved' ? parsed.region : parsed.candidates[0];
  if (!region) return { error: `receiver address not recognised: ${parsed.status === 'unresolved' ? parsed.reason : parsed.status}` };
  return { regionCode: region.code, location: region.centre };
}

/** The split rule of an order's rules: its express weight limit (none when no split rule fired). */
function splitRuleOf(rules: FulfilmentRules | undefined): SplitRule {
  if (!rules) return DEFAULT_SPLIT_RULE;
  return { id: 'rules.split', version: rules.ruleSetVersion, maxExpressWeightG: rules.split.maxExpressWeightG ?? Number.MAX_SAFE_INTEGER };
}

/** The carrier rule of an order's rules: the premium threshold (none when no carrier rule set one). */
function carrierRuleOf(rules: FulfilmentRules | undefined): CarrierRule {
  if (!rules) return DEFAULT_CARRIER_RULE;
  return { id: 'rules.carrier', version: rules.ruleSetVersion, highValueFen: rules.carrier.highValueFen ?? Number.MAX_SAFE_INTEGER };
}

/** Carriers the order's rules leave out: those excluded, and, when rules choose carriers, every other one. */
function carriersNotAllowed(codes: readonly string[], rules: FulfilmentRules | undefined): Set<string> {
  if (!rules) return new Set();
  const chosen = rules.carrier.choose ? new Set(rules.carrier.choose) : undefined;
  return new Set(codes.filter((c) => rules.carrier.exclude.includes(c) || (chosen !== undefined && !chosen.has(c))));
}

/** Adds the candidates the order's rules excluded to a decision record, with the rule set's version. */
function withRuleExclusions(record: DecisionRecord, ids: readonly string[], rules: FulfilmentRules): DecisionRecord {
  const reasons = [{ code: 'excluded-by-rule', message: `excluded by the order's rules (rule set version ${rules.ruleSetVersion})` }];
  return { ...record, excluded: [...record.excluded, ...ids.map((id) => ({ id, reasons }))] };
}

/** The merge key of one planned parcel: the order's merge key plus the parcel's warehouse and class. */
function parcelMergeKey(order: CanonicalOrder, destinationRegionCode: string, parcel: { warehouseCode: string; logisticsClass: string }, flags: MergeFlags) {
  const candidate = {
    orderId: '',
    shopId: order.shopId,
    buyerKey: order.buyerKey,
    regionCode: destinationRegionCode,
    detail: order.receiver.detail,
    ...(order.receiver.addressKey ? { addressKey: order.receiver.addressKey } : {}),
    readyAt: '1970-01-01T00:00:00Z',
    presale: order.presale !== undefined,
    cashOnDelivery: order.cashOnDelivery,
    refundInProgress: flags.refundInProgress ?? false,
    sealed: flags.sealed ?? false,
    warehouseCode: parcel.warehouseCode,
  };
  const key = mergeKey(candidate, DEFAULT_MERGE_POLICY);
  return { key: key === null ? null : `${key}\u0001${parcel.logisticsClass}`, blockers: mergeBlockers(candidate) };
}

/**
 * Fulfilment activities: planning (allocation, split, carrier), stock reservation, packages. Each is
 * idempotent, keyed by the order id and the workflow's step, so a retry never reserves, joins or logs twice.
 */
export function createFulfilmentActivities({ db, temporal, config, logger }: ActivityDeps) {
  const log = logger.child({ component: 'fulfilment' });

  const signalPackage = async (packageId: string, send: (h: ReturnType<typeof temporal.workflow.getHandle>) => Promise<void>) => {
    try {
      await send(temporal.workflow.getHandle(packageWorkflowId(packageId)));
    } catch (e) {
      // A finished package has nothing left to learn; the database already holds the change.
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
  };

  return {
    /** Loads warehouses, stock, SKUs and carriers, runs allocation, split and carrier choice, and logs every decision. */
    async planFulfilment({ orderId, order, attempt, paidAt, priority, rules, directed }: PlanInput): Promise<PlanResult> {
      const step = `plan:${attempt}`;
      const [warehouseRows, carrierRows] = await Promise.all([listWarehouses(db), listCarriers(db)]);
      // A re-plan (of a short order) that no longer allocates here takes the order out of the stock queues.
      const notAllocated = async (r: Extract<PlanResult, { status: 'unmanaged' | 'unroutable' }>) => {
        if (attempt > 1) await clearStockWaits(db, orderId);
        return r;
      };
      // Orderly plans parcels only where it knows both ends: without warehouses or carriers the order goes to
      // the warehouse side as it is (an external WMS or a person does the rest).
      if (!warehouseRows.some((w) => w.active)) return notAllocated({ status: 'unmanaged', reason: 'no active warehouse is configured', decisions: [] });
      if (!carrierRows.some((c) => c.active)) return notAllocated({ status: 'unmanaged', reason: 'no active carrier is configured', decisions: [] });
      const dest = destinationOf(order);
      if ('error' in dest) return notAllocated({ status: 'unroutable', reason: dest.error, decisions: [] });

      const now = new Date();
      const skuCodes = [...new Set(order.lines.map((l) => l.skuCode))];
      const [levels, skuRows, storedStrategy] = await Promise.all([
        stockLevels(db, skuCodes),
        listSkus(db, skuCodes),
        getSetting<AllocationStrategyInput>(db, ALLOCATION_STRATEGY_KEY),
      ]);
      const all = order.lines.map((l, i) => ({ lineRef: l.lineId ?? String(i + 1), skuCode: l.skuCode, quantity: l.quantity }));
      // A directed plan takes the lines it names (those the order still has) and the warehouse a person chose.
      const lines = directed?.lines ? all.filter((l) => directed.lines!.some((d) => d.lineRef === l.lineRef)) : all;
      // What the order itself still holds of these lines is available to it: a plan made again after its
      // reservation committed but before the workflow recorded it (a local activity re-run after the worker
      // died or Temporal restarted) must find that stock, not count it as another order's and call the order short.
      const own = await heldByOrder(db, orderId, lines.map((l) => l.lineRef));
      const stock = own.length
        ? levels.map((s) => ({ ...s, available: s.available + own.filter((h) => h.warehouseCode === s.warehouseCode && h.skuCode === s.skuCode).reduce((n, h) => n + h.quantity, 0) }))
        : levels;
      // Warehouses the order's allocation rules exclude are not candidates; the record says which rule set.
      const excludedByRule = new Set(directed?.warehouseCode ? [] : (rules?.allocation.excludeWarehouses ?? []));
      const strategy = strategyFrom(storedStrategy);
      const planned = allocate(
        { orderId, destination: dest, lines, ...(directed?.warehouseCode ? { shipFrom: directed.warehouseCode } : {}) },
        {
          warehouses: warehouseRows.filter((w) => !excludedByRule.has(w.code)).map((w) => toDomainWarehouse(w, now)),
          stock,
          strategy: directed?.warehouseCode
            ? { ...strategy, filters: strategy.filters.filter((f) => f === 'inactive'), steps: directed.transfers ? ['single-warehouse', 'transfer'] : ['single-warehouse'] }
            : strategy,
        },
      );
      const allocation = excludedByRule.size ? { ...planned, decision: withRuleExclusions(planned.decision, [...excludedByRule], rules!) } : planned;
      const entries: DecisionEntry[] = [{ stepKey: `${step}:allocation`, record: allocation.decision }];

      if (allocation.status !== 'complete' && directed?.warehouseCode) {
        await recordDecisions(db, orderId, entries);
        return { status: 'short', shortages: [...allocation.shortages], decisions: summarise(entries), replanAfterMs: config.FULFILMENT_REPLAN_INTERVAL };
      }
      if (allocation.status !== 'complete') {
        await recordDecisions(db, orderId, entries);
        // In the queue of each SKU it is short of (all of the SKU: nothing of a short order is reserved), so
        // the stock that arrives is offered to it in its turn.
        const needs = allocation.shortages.map((s) => ({
          skuCode: s.skuCode,
          warehouseCode: null,
          quantity: lines.filter((l) => l.skuCode === s.skuCode).reduce((n, l) => n + l.quantity, 0),
          short: s.short,
        }));
        await recordStockWaits(db, orderId, { priority: priority ?? 0, paidAt: paidAt ?? order.paidAt ?? null, needs });
        // Part of an order is not locked while another part is missing: the exception decides what ships.
        return { status: 'short', shortages: [...allocation.shortages], decisions: summarise(entries), replanAfterMs: config.FULFILMENT_REPLAN_INTERVAL };
      }

      const split = splitIntoPackages(orderId, allocation.assignments, skuRows.map(toDomainSku), splitRuleOf(rules));
      entries.push({ stepKey: `${step}:split`, record: split.decision });
      const allCarriers = carrierRows.map(toDomainCarrier);
      const notAllowed = carriersNotAllowed(allCarriers.map((c) => c.code), rules);
      const carriers = allCarriers.filter((c) => !notAllowed.has(c.code));
      const parcels: PlannedParcel[] = split.packages.map((p) => {
        const choice = chooseCarrier(
          { packageKey: p.key, service: p.logisticsClass, weightG: p.weightG, valueFen: p.valueFen, destinationRegionCode: dest.regionCode },
          carriers,
          carrierRuleOf(rules),
        );
        const record = notAllowed.size ? withRuleExclusions(choice.decision, [...notAllowed], rules!) : choice.decision;
        entries.push({ stepKey: `${step}:carrier:${p.key}`, record });
        return { key: p.key, warehouseCode: p.warehouseCode, logisticsClass: p.logisticsClass, lines: [...p.lines], weightG: p.weightG, valueFen: p.valueFen, carrierCode: choice.carrierCode };
      });
      await recordDecisions(db, orderId, entries);
      return {
        status: 'planned',
        destinationRegionCode: dest.regionCode,
        assignments: [...allocation.assignments],
        transfers: [...allocation.transfers],
        parcels,
        decisions: summarise(entries),
      };
    },

    /**
     * Reserves the plan's stock, all or nothing: each shipping warehouse for its own part, each transfer's
     * source for what it sends. Never oversells; a plan overtaken by another order comes back as `ok: false`.
     * Once reserved, the order counts against each shipping warehouse's capacity for the warehouse's local
     * day, once per plan attempt (the latest the decision log holds: the plan this reservation confirms).
     */
    async reserveStock({ orderId, assignments, transfers }: ReserveStockInput): Promise<ReserveResult> {
      const requests: ReservationRequest[] = [];
      for (const a of assignments) {
        const own = a.quantity - a.transferredIn;
        if (own > 0) requests.push({ lineRef: a.lineRef, warehouseCode: a.warehouseCode, skuCode: a.skuCode, quantity: own });
      }
      for (const t of transfers) requests.push({ lineRef: t.lineRef, warehouseCode: t.fromWarehouseCode, skuCode: t.skuCode, quantity: t.quantity });
      const result = await reserveStock(db, orderId, requests);
      if (result.ok) {
        await clearStockWaits(db, orderId);
        await recordTransfers(db, orderId, transfers);
        const attempt = await latestPlanAttempt(db, orderId);
        const counted = await countWarehouseLoad(db, { orderId, attempt, warehouseCodes: assignments.map((a) => a.warehouseCode), at: new Date() });
        if (counted.length) log.debug({ orderId, attempt, counted }, 'warehouse load counted');
      }
      return result;
    },

    /**
     * Gives back everything the order still holds and cancels its transfers (cancellation, re-planning), and
     * the warehouse load it counted where no package of it has been released to the warehouse yet.
     */
    async releaseStock({ orderId, keep, only }: ReleaseStockInput): Promise<{ released: number }> {
      // What comes back is offered to the orders waiting for it, in their turn (best effort: never fails this).
      const offer = (rows: Array<{ warehouse_code: string; sku_code: string }>) =>
        wakeStockWaiters({ db, client: temporal, logger }, rows.map((r) => ({ skuCode: r.sku_code, warehouseCode: r.warehouse_code })), 'released');
      if (only) {
        // Parcels the warehouse confirmed it intercepted: their goods are back on the shelves.
        const rows = [];
        for (const p of only) rows.push(...(await releaseReservationRows(db, orderId, { warehouseCode: p.warehouseCode, lineRefs: p.lineRefs })));
        await offer(rows);
        return { released: rows.length };
      }
      const rows = await releaseReservationRows(db, orderId, keep?.length ? { exclude: keep } : undefined);
      // Transfers that have not left stop; units already on the road arrive into the target's free stock.
      for (const id of await cancelTransfers(db, orderId)) {
        const event = { eventId: `cancelled:${id}`, type: 'cancelled' as const, reason: 'the order gave its stock back' };
        try {
          await temporal.workflow.getHandle(transferWorkflowId(id)).signal(transferEventSignal, event);
        } catch (e) {
          // Transfers recorded before they had a workflow of their own have nobody to tell.
          if (!(e instanceof WorkflowNotFoundError)) throw e;
        }
      }
      await releaseWarehouseLoad(db, orderId);
      // A cancelled order waits for nothing any more.
      await clearStockWaits(db, orderId);
      await offer(rows);
      return { released: rows.length };
    },

    /**
     * Puts one planned parcel into a package: the open package of the same shop, buyer, address, warehouse
     * and class, or a new one. Starts or signals the package workflow (signal-with-start) and logs the merge.
     */
    async joinPackage(input: JoinPackageInput) {
      const { orderId, order, parcel } = input;
      const merged = parcelMergeKey(order, input.destinationRegionCode, parcel, input.flags);
      // The order's merge rules: never merged (a parcel of its own), or its own hold window.
      const neverMerge = input.rules?.merge.neverMerge === true;
      const key = neverMerge ? null : merged.key;
      const blockers = neverMerge ? [...merged.blockers, { code: 'rule-never-merge', message: "the order's merge rules say never merge" }] : merged.blockers;
      const stored = mergePolicyFrom(await getSetting<MergePolicyInput>(db, MERGE_POLICY_KEY), config.PACKAGE_HOLD_WINDOW);
      const ruleWindow = input.rules?.merge.holdWindowSeconds;
      const policy = ruleWindow === undefined ? stored : { ...stored, holdWindowMs: ruleWindow * 1000 };
      const holdWindowMs = key === null || policy.hold === 'never' ? 0 : policy.holdWindowMs;
      const joined = await joinPackage(db, fieldCipherFor(config, logger), {
        orderId,
        packageKey: parcel.key,
        mergeKey: key,
        shopId: order.shopId,
        warehouseCode: parcel.warehouseCode,
        logisticsClass: parcel.logisticsClass,
        destinationRegionCode: input.destinationRegionCode,
        lines: parcel.lines,
        weightG: parcel.weightG,
        valueFen: parcel.valueFen,
        holdWindowMs,
        ...(policy.hold === 'when_buyer_has_open_orders' ? { holdOnlyForBuyer: { buyerKey: order.buyerKey, openStatuses: openOrderStatuses(order.presale !== undefined) } } : {}),
        ...(input.rules?.carrier ? { carrierRules: input.rules.carrier } : {}),
      });
      const windowEnd = joined.windowEnd.toISOString();
      const args: [PackageWorkflowInput] = [{ packageId: joined.packageId, windowEnd }];
      const opening: PackageOpening = {
        packageId: joined.packageId,
        platform: order.platform,
        shopId: order.shopId,
        platformOrderId: order.platformOrderId,
        warehouseCode: parcel.warehouseCode,
        logisticsClass: parcel.logisticsClass,
        lines: new Set(parcel.lines.map((l) => l.lineRef)).size,
      };
      try {
        await temporal.workflow.signalWithStart<PackageWorkflow, [PackageJoin]>(packageWorkflowType, {
          workflowId: packageWorkflowId(joined.packageId),
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          args,
          signal: packageJoinSignal,
          signalArgs: [{ orderId, packageKey: parcel.key }],
          // A finished package must never be started again under its id: its members are in the database.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          // Used only when this call starts it: the order that opened it names it in the Temporal UI.
          staticSummary: packageSummary(opening),
          typedSearchAttributes: packageStartAttributes(opening),
          // The opening order's task priority: an urgent order's package is sealed and released ahead of a backlog.
          ...(input.taskPriority ? { priority: input.taskPriority } : {}),
        });
      } catch (e) {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      }

      const others = joined.joinedOrders;
      // Opened here: the policy's reason with the buyer's open orders found. Joined (or a retry): the open
      // package's own window stands.
      const hold = joined.opened
        ? holdFor(policy, { mergeable: key !== null, buyerOpenOrders: policy.hold === 'when_buyer_has_open_orders' ? (joined.buyerOpenOrders?.length ?? 0) : 0 }).reason
        : 'joined an open package: its window stands';
      const record: DecisionRecord = {
        kind: 'merge',
        subject: parcel.key,
        ruleId: policy.id,
        ruleVersion: policy.version,
        outcome:
          key === null
            ? `package ${joined.packageId} of its own: never merged (${blockers.map((b) => b.code).join(', ')})`
            : others.length > 0
              ? `joined package ${joined.packageId} with ${others.length} other order(s)`
              : joined.windowEnd.getTime() > Date.now()
                ? `opened package ${joined.packageId}; others may join until ${windowEnd}`
                : `opened package ${joined.packageId}, sealed at once`,
        chosen: [joined.packageId],
        candidates: others.map((id, i) => ({ id, rank: i + 1, score: 1, criteria: {}, metrics: { package: joined.packageId } })),
        excluded: key === null ? [{ id: orderId, reasons: blockers }] : [],
        steps: [
          { step: 'merge-key', outcome: key === null ? 'none: the order may not share a package' : 'same shop, buyer, address, warehouse and class' },
          { step: 'hold-window', outcome: `${hold}; ends ${windowEnd}` },
        ],
      };
      await recordDecisions(db, orderId, [{ stepKey: `merge:${parcel.key}`, record }]);
      log.info({ orderId, packageId: joined.packageId, opened: joined.opened, merged: others.length }, 'parcel joined a package');
      return { packageId: joined.packageId, packageKey: parcel.key, windowEnd, merged: others.length, decision: summarise([{ stepKey: `merge:${parcel.key}`, record }])[0]! };
    },

    /**
     * Takes a cancelled order out of its packages: unmerged while a package is open, otherwise the warehouse
     * is asked to intercept it. Idempotent.
     */
    async leavePackages({ orderId, reason }: { orderId: string; reason: string }): Promise<LeaveOutcome[]> {
      const outcomes = await leavePackages(db, orderId);
      for (const o of outcomes) {
        if (o.outcome === 'left') await signalPackage(o.packageId, (h) => h.signal(packageLeaveSignal, { orderId }));
        if (o.outcome === 'intercept') {
          log.warn({ orderId, packageId: o.packageId, warehouseCode: o.warehouseCode, reason }, 'interception requested at the warehouse');
          await signalPackage(o.packageId, (h) => h.signal(packageInterceptSignal, { orderId, reason }));
        }
      }
      return outcomes;
    },

    /** Asks the warehouse to intercept the order's parcels among `packageIds`, the order staying in them. */
    async interceptPackages({ orderId, packageIds, reason }: { orderId: string; packageIds: string[]; reason: string }): Promise<{ requested: string[] }> {
      const requested = await markInterceptionRequested(db, orderId, packageIds);
      for (const packageId of requested) {
        log.warn({ orderId, packageId, reason }, 'interception requested at the warehouse');
        await signalPackage(packageId, (h) => h.signal(packageInterceptSignal, { orderId, reason }));
      }
      return { requested };
    },

    /** Closes a package's hold window: its members are fixed from now on. */
    async sealPackage({ packageId }: { packageId: string }) {
      let sealed: Awaited<ReturnType<typeof sealPackage>>;
      try {
        sealed = await sealPackage(db, packageId);
      } catch (e) {
        // Only a package that is not there fails for good; anything else (a lost connection) is retried.
        if (!(await findPackage(db, packageId))) throw unknownPackage(packageId);
        throw e;
      }
      const { status, members } = sealed;
      return { status, members: members.map((m) => ({ orderId: m.order_id, packageKey: m.package_key, status: m.status })) };
    },

    /**
     * Releases a sealed package to its warehouse: carrier chosen for the merged parcel (weight and value of
     * all members), the choice logged for every member. (The warehouse's daily load was counted when each
     * member was allocated to it.)
     */
    async releasePackage({ packageId }: { packageId: string }): Promise<{ carrierCode: string | null; decision: DecisionRecord; released: boolean }> {
      const found = await findPackage(db, packageId);
      if (!found) throw unknownPackage(packageId);
      const { pkg, members } = found;
      const shipping = members.filter((m) => m.status === 'joined');
      const all = (await listCarriers(db)).map(toDomainCarrier);
      // Within what every member order's carrier rules allow (the defaults for orders without rules).
      const { rule, notAllowed } = carrierRulesForParcel(
        shipping.map((m) => (m.carrier_rules as OrderCarrierRules | null) ?? undefined),
        all.map((c) => c.code),
      );
      const carriers = all.filter((c) => !notAllowed.has(c.code));
      const chosen = chooseCarrier(
        {
          packageKey: packageId,
          service: pkg.logistics_class,
          weightG: shipping.reduce((n, m) => n + m.weight_g, 0),
          valueFen: shipping.reduce((n, m) => n + m.value_fen, 0),
          destinationRegionCode: pkg.destination_region_code,
        },
        carriers,
        rule,
      );
      const reasons = [{ code: 'excluded-by-rule', message: `excluded by a member order's carrier rules (rule set version ${rule.version})` }];
      const choice = notAllowed.size ? { ...chosen, decision: { ...chosen.decision, excluded: [...chosen.decision.excluded, ...[...notAllowed].map((id) => ({ id, reasons }))] } } : chosen;
      for (const m of members) await recordDecisions(db, m.order_id, [{ stepKey: `package:${packageId}:carrier`, record: choice.decision }]);
      const released = await advancePackage(db, packageId, 'released', { carrierCode: choice.carrierCode });
      return { carrierCode: choice.carrierCode, decision: choice.decision, released };
    },

    /** Applies a warehouse event to the package's row; a shipment consumes its members' reservations. */
    async recordWarehouseEvent({ packageId, event }: { packageId: string; event: WarehouseEvent }): Promise<{ applied: boolean }> {
      const found = await findPackage(db, packageId);
      if (!found) throw unknownPackage(packageId);
      let applied: boolean;
      if (event.type === 'shipped') {
        applied = await advancePackage(db, packageId, 'shipped', { carrierCode: event.carrierCode, trackingNo: event.trackingNo });
        // Consumed even on a retry after the status moved: consuming is idempotent per reservation row.
        for (const m of found.members.filter((x) => x.status !== 'left')) {
          const lines = m.lines as PackageLine[];
          await consumeReservations(db, m.order_id, found.pkg.warehouse_code, lines.map((l) => l.lineRef));
        }
      } else if (event.type === 'picked') {
        applied = await advancePackage(db, packageId, 'picked');
      } else if (event.type === 'intercepted') {
        // The stock stays reserved by its orders until each of them releases it (they know what they hold).
        applied = await advancePackage(db, packageId, 'intercepted');
      } else if (event.type === 'intercept_failed') {
        // Nothing changes here: the parcel ships, and its `shipped` event consumes the stock.
        applied = true;
      } else {
        applied = await advancePackage(db, packageId, 'failed', { failureReason: event.reason });
      }
      return { applied };
    },
  };
}

export type FulfilmentActivities = ReturnType<typeof createFulfilmentActivities>;
