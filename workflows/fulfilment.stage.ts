// The order workflow's fulfilment stage: plan (allocation, split, carrier), reserve, join packages (merge),
// then follow the packages until they ship. Workflow code: deterministic, I/O only through activities.
import { condition, log, patched, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { workflowNow } from './clock.js';
import type { Activities } from '../activities/index.js';
import type { DirectedPlan, ParcelLines, PlannedParcel, PlanResult, Shortage } from '../activities/fulfilment.types.js';
import type { FulfilmentRules } from '../activities/review.types.js';
import type { TaskPriority } from '../domain/fulfilment/task-priority.js';
import type { CanonicalOrder } from '../domain/order.js';
import {
  fulfilmentQuery,
  packageUpdateSignal,
  stockAvailableSignal,
  transferUpdateSignal,
  type FulfilmentOutcome,
  type FulfilmentState,
  type OrderPackage,
  type PackageUpdate,
  type ResumedOrderRun,
  type TransferUpdate,
} from './order.messages.js';

// Planning and reservations are database work only: local activities, no server round trip per call.
const LOCAL_OPTIONS = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const { planFulfilment } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'plan: warehouses, split, carrier' });
const { reserveStock } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'reserve the planned stock' });
const { releaseStock } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'give reserved stock back' });
// Joining a package is database work and one signal-with-start: a local activity too, in the same workflow task
// as the plan and the reservation, so a released parcel costs no activity task and no second workflow task.
const { joinPackage: joinPackageLocally } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'join or open the package of the parcel' });
// Joining and leaving packages start or signal package workflows: ordinary activities, on the task queue with
// the order's task priority (urgent orders ahead when workers are backlogged, each shop its fair share).
const REMOTE_OPTIONS = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const remoteActivities = (priority?: TaskPriority) => proxyActivities<Activities>({ ...REMOTE_OPTIONS, ...(priority ? { priority } : {}) });

/**
 * Plans overtaken by other orders' reservations before one sticks, then the order counts as short: for runs
 * from before the review rules set the number (`reservation_attempts`).
 */
const MAX_RESERVE_ATTEMPTS = 3;
/**
 * Runs recorded before a short order could be woken by `stockAvailable` waited out the re-plan interval only
 * and never continued as new while waiting.
 */
const STOCK_WAKE_PATCH = 'stock-wake';
/**
 * Runs recorded before transfers had a workflow of their own recorded a plan's transfers and joined its
 * packages at once; since, the transfers are started and the packages joined once every one is received.
 */
const TRANSFERS_PATCH = 'transfers';

/**
 * Runs from before joining a package was a local activity scheduled it as an ordinary activity (on the task
 * queue, with the order's task priority); they replay that way.
 */
const JOIN_LOCAL_PATCH = 'join-package-local';
/** Plans one run makes while waiting for stock before it continues as new, unless Temporal suggests it sooner. */
export const DEFAULT_PLANS_PER_RUN = 200;
/** Decisions a continued run carries for the state query (the decision log keeps every one). */
const CARRIED_DECISIONS = 50;

/**
 * An order waiting for stock that changed on the platform since it was approved goes through review again
 * before its next plan: `changed` says so, `review` does it (and gives the stage the rules it then has).
 */
export interface OrderChangeHook {
  changed?: () => boolean;
  review?: () => Promise<'stopping' | undefined>;
  /** A person's resolution waits to be carried out (`act`) before the next plan. */
  pending?: () => boolean;
  act?: () => Promise<'stopping' | undefined>;
  /** A plan found the order short of other things than before (the exception's shortages are out of date). */
  replanned?: (shortages: readonly Shortage[]) => Promise<void>;
}

/** How waiting for stock ended: allocated (or otherwise planned), cancelled, or time to continue as new. */
export type StockWait = 'planned' | 'cancelled' | 'continue_as_new';

export interface Shipment {
  packageId: string;
  /** The order's lines in the parcel. */
  lineRefs: string[];
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

export interface FulfilmentInput {
  orderId: string;
  order: CanonicalOrder;
  /** The order as it is now, read at each plan: a line refunded meanwhile is not planned again. */
  currentOrder?: () => CanonicalOrder;
  refundInProgress?: boolean;
  /** Forbids split and merge (an operator or the platform said so). */
  sealed?: boolean;
  /** Checked between steps: a cancelled order stops planning and joins nothing more. */
  isCancelled: () => boolean;
  /** When the order was paid and its priority: its place in the queue of each SKU it is short of. */
  paidAt?: string;
  priority?: number;
  /** What the order's review rules decided for merge, split, carrier and allocation (absent: the defaults). */
  rules?: FulfilmentRules;
  /** Temporal task priority and fairness key of the order's activities (from its review priority and shop). */
  taskPriority?: TaskPriority;
  /** Told when package or transfer news, or a wait for stock, changed what the order waits for (the UI's details). */
  changed?: () => void;
}


/**
 * The order's fulfilment stage: plan (allocation, split, carrier), reserve, join packages (merge), then
 * follow the packages until they ship. Built by `FulfilmentStage.run` once the order is paid and valid; it
 * registers the order's `packageUpdate` signal and `fulfilment` query then.
 *
 * @example
 * const stage = await FulfilmentStage.run({ orderId, order, isCancelled: () => cancelled });
 * if (stage.outcome.status === 'released') await stage.awaitShipment(() => cancelled);
 */
export class FulfilmentStage {
  private readonly st: FulfilmentState = { attempts: 0, decisions: [], packages: [] };
  private current: FulfilmentOutcome = { status: 'cancelled' };
  /** Package news that came before the package's `joinPackage` returned here (a hold window of zero). */
  private readonly early: PackageUpdate[] = [];
  /** `stockAvailable` signals received, and how many of them the latest plan started after. */
  private wakeups = 0;
  private wakeupsPlanned = 0;
  /** Plans made by this run (a continued run counts from zero). */
  private plansThisRun = 0;
  /** Transfer news that came before `startTransfers` returned here. */
  private readonly earlyTransfers: TransferUpdate[] = [];
  /** The planned parcels, joined once the plan's transfers are received. */
  private awaitingJoin?: { parcels: PlannedParcel[]; destinationRegionCode: string };

  private remote: ReturnType<typeof remoteActivities>;
  /** The planned parcel behind each package the order joined, for a parcel sent again. */
  private readonly parcels = new Map<string, { parcel: PlannedParcel; destinationRegionCode: string }>();
  private reships = 0;
  /** The resolution the next plan carries out (a chosen warehouse, the lines to ship now), if any. */
  private directed: DirectedPlan | undefined;
  /** While short: when the order plans again if no stock arrives first. */
  private replanAt: string | undefined;

  private constructor(private input: FulfilmentInput) {
    this.remote = remoteActivities(input.taskPriority);
    setHandler(packageUpdateSignal, (u) => {
      this.onPackageUpdate(u);
      this.input.changed?.();
    });
    setHandler(fulfilmentQuery, () => this.state());
    setHandler(stockAvailableSignal, () => {
      this.st.stockWakeups = ++this.wakeups;
    });
    setHandler(transferUpdateSignal, (u) => {
      this.onTransferUpdate(u);
      this.input.changed?.();
    });
  }

  /**
   * Plans and reserves for a paid order, joining its packages when the stock is there. `resumed` is what an
   * earlier run of the order, waiting for stock, carried over: it goes on counting from there.
   */
  static async run(input: FulfilmentInput, resumed?: ResumedOrderRun['fulfilment']): Promise<FulfilmentStage> {
    const stage = new FulfilmentStage(input);
    if (resumed) {
      stage.st.attempts = resumed.attempts;
      stage.st.decisions.push(...resumed.decisions);
      if (resumed.shortages) stage.st.shortages = resumed.shortages;
      if (resumed.stockWakeups) stage.st.stockWakeups = stage.wakeups = stage.wakeupsPlanned = resumed.stockWakeups;
    }
    await stage.replan();
    return stage;
  }

  /** What a run continuing this one needs of the stage (see `ResumedOrderRun`). */
  carry(): ResumedOrderRun['fulfilment'] {
    const st = this.state();
    return {
      attempts: st.attempts,
      decisions: st.decisions.slice(-CARRIED_DECISIONS),
      ...(st.shortages ? { shortages: st.shortages } : {}),
      ...(st.stockWakeups ? { stockWakeups: st.stockWakeups } : {}),
    };
  }

  get outcome(): FulfilmentOutcome {
    return this.current;
  }

  /** A copy, so a query's caller never holds the workflow's live state. */
  state(): FulfilmentState {
    return JSON.parse(JSON.stringify(this.st)) as FulfilmentState;
  }

  /** The live state, read-only and without a copy: for the run's own reading (the UI's details). */
  peek(): Readonly<FulfilmentState> {
    return this.st;
  }

  /** While short: when the order plans again unless stock arrives first. */
  get nextReplanAt(): string | undefined {
    return this.current.status === 'short' ? this.replanAt : undefined;
  }

  /**
   * Waits until a short order is planned (allocated, or no longer Orderly's to allocate). It re-plans as soon
   * as it is told that stock it waits for arrived (`stockAvailable`, sent in queue order), and every
   * `replanAfterMs` in any case (the fallback when nobody told it). A signal that came while it was planning
   * counts: it plans again. Its history grows with every plan, so after `plansPerRun` plans, or sooner when
   * Temporal suggests it, it answers `continue_as_new` for the caller to carry the order to a fresh run.
   */
  async waitForStock(isCancelled: () => boolean, plansPerRun = DEFAULT_PLANS_PER_RUN, onChange?: OrderChangeHook, opts: { mayContinueAsNew?: boolean } = {}): Promise<StockWait> {
    const wakeable = patched(STOCK_WAKE_PATCH);
    const mayContinue = wakeable && opts.mayContinueAsNew !== false;
    while (this.current.status === 'short') {
      if (mayContinue && (this.plansThisRun >= plansPerRun || workflowInfo().continueAsNewSuggested)) return 'continue_as_new';
      const woken = () => wakeable && this.wakeups !== this.wakeupsPlanned;
      this.replanAt = new Date(workflowNow().getTime() + this.current.replanAfterMs).toISOString();
      this.input.changed?.();
      const skus = [...new Set(this.current.shortages.map((x) => x.skuCode))].slice(0, 5).join(', ');
      await condition(() => isCancelled() || woken() || onChange?.changed?.() === true || onChange?.pending?.() === true, this.current.replanAfterMs, {
        summary: `re-plan unless stock arrives first${skus ? ` (short of ${skus})` : ''}`,
      });
      if (isCancelled()) return 'cancelled';
      // A person's resolution first (a substitute SKU, cancelled lines, a plan of their own), then a review of
      // a platform change.
      if (onChange?.pending?.() && (await onChange.act!()) === 'stopping') return 'cancelled';
      if (this.current.status !== 'short') break;
      if (onChange?.changed?.() && (await onChange.review!()) === 'stopping') return 'cancelled';
      const before = JSON.stringify(this.st.shortages ?? []);
      await this.replan();
      if (this.current.status === 'short' && JSON.stringify(this.st.shortages ?? []) !== before) await onChange?.replanned?.(this.current.shortages);
    }
    return this.current.status === 'cancelled' ? 'cancelled' : 'planned';
  }

  /**
   * Plans as a resolution says (a chosen warehouse, or only the lines in stock now with `backorder` to follow):
   * true when planned; false when the stock is no longer there, the order staying short as it was.
   */
  async planDirected(plan: DirectedPlan, backorder?: NonNullable<FulfilmentState['backorder']>): Promise<boolean> {
    const before = this.current;
    const shortages = this.st.shortages;
    this.directed = plan;
    try {
      await this.replan();
    } finally {
      this.directed = undefined;
    }
    if (this.current.status === 'short') {
      this.current = before;
      this.st.outcome = before.status;
      if (shortages) this.st.shortages = shortages;
      return false;
    }
    if (backorder?.length) this.st.backorder = backorder;
    return true;
  }

  /** The lines still to ship later (拆分发货), if any. */
  backorder(): NonNullable<FulfilmentState['backorder']> {
    return this.st.backorder ?? [];
  }

  /**
   * Plans the back-ordered lines once their parcels went: planned now, or short (then `waitForStock` waits in
   * the stock queues for them). The packages it joins are followed like the first ones.
   */
  async planBackorder(): Promise<void> {
    await this.replan();
  }

  /**
   * Sends again the parcels the warehouse could not ship or stopped (their stock is still reserved for the
   * order): each in a new package of its own from the same warehouse, with `carrierCode` when a person chose
   * one. Returns the new packages' ids.
   */
  async reship(carrierCode?: string): Promise<string[]> {
    const again: string[] = [];
    for (const p of this.st.packages.filter((x) => x.status === 'failed' || x.status === 'intercepted')) {
      const planned = this.parcels.get(p.packageId);
      if (!planned) continue;
      p.status = 'reshipped';
      const parcel = { ...planned.parcel, key: `${planned.parcel.key}:again-${++this.reships}` };
      again.push(await this.join(parcel, planned.destinationRegionCode, carrierCode ? { carrierCode } : {}));
    }
    return again;
  }

  /**
   * Gives up the parcels the warehouse could not ship or stopped (the buyer is refunded instead): their stock
   * is given back and the order leaves them. Returns the reservations released.
   */
  async giveUpFailed(): Promise<number> {
    const failed = this.st.packages.filter((p) => p.status === 'failed' || p.status === 'intercepted');
    if (failed.length === 0) return 0;
    const { released } = await releaseStock({ orderId: this.input.orderId, only: failed.map(parcelLines) });
    for (const p of failed) p.status = 'left';
    return released;
  }

  /** Plans again now (an unroutable order whose address a person corrected). */
  async planAgain(): Promise<void> {
    await this.replan();
  }

  /** Takes the rules, priority and task priority of a new review for the plans still to come. */
  useRules(rules: FulfilmentRules | undefined, priority: number, taskPriority: TaskPriority | undefined): void {
    this.input = { ...this.input, ...(rules ? { rules } : {}), priority, ...(taskPriority ? { taskPriority } : {}) };
    this.remote = remoteActivities(taskPriority);
  }

  /**
   * Waits until every transfer the plan relies on has been received at its target (the units are reserved
   * there for the order by then), then joins the planned packages. Returns false when cancelled first.
   */
  async awaitTransfers(isCancelled: () => boolean): Promise<boolean> {
    const pending = this.awaitingJoin;
    if (this.current.status !== 'awaiting_transfer' || !pending) return this.current.status === 'released';
    await condition(() => isCancelled() || this.transfersReceived());
    if (isCancelled()) return false;
    this.awaitingJoin = undefined;
    const packageIds = await Promise.all(pending.parcels.map((parcel) => this.join(parcel, pending.destinationRegionCode)));
    for (const u of this.early.splice(0)) this.onPackageUpdate(u);
    this.current = { status: 'released', packageIds };
    this.st.outcome = 'released';
    return true;
  }

  private transfersReceived(): boolean {
    return (this.st.transfers ?? []).every((t) => t.status === 'received');
  }

  /** Every package has shipped, failed, left or is being intercepted (or there are none): nothing more to wait for. */
  settled(): boolean {
    return this.open().length === 0;
  }

  /** Waits until every package has shipped or failed, or the order is cancelled. */
  async awaitShipment(isCancelled: () => boolean): Promise<ShipmentOutcome> {
    if (this.st.packages.length === 0) return { status: 'none' };
    await condition(() => this.open().length === 0 || isCancelled());
    if (this.open().length > 0) return { status: 'cancelled' };
    const shipments = this.st.packages
      .filter((p) => p.status === 'shipped')
      .map((p) => ({ packageId: p.packageId, lineRefs: p.lineRefs ?? [], carrierCode: p.carrierCode ?? '', trackingNo: p.trackingNo ?? '', shippedAt: p.shippedAt ?? '' }));
    // A parcel shared with an order that was cancelled may have been intercepted at its request: this order's
    // goods did not ship either, and a person decides (re-ship, refund).
    const failed = this.st.packages
      .filter((p) => p.status === 'failed' || p.status === 'intercepted')
      .map((p) => ({ packageId: p.packageId, reason: p.status !== 'intercepted' ? (p.failureReason ?? 'failed') : p.interceptForChange ? `intercepted: ${p.interceptForChange}` : 'intercepted at the request of another order in the parcel' }));
    return failed.length ? { status: 'failed', shipments, failed } : { status: 'shipped', shipments };
  }

  /**
   * Unmerges from open packages, asks the warehouse to intercept sealed ones and gives back the stock. With
   * `keepIntercepted`, parcels under interception keep their stock until the warehouse answers
   * (`settleInterceptions`); without it everything is given back at once (runs from before that protocol).
   */
  async cancel(reason: string, opts: { keepIntercepted?: boolean } = {}): Promise<void> {
    const { orderId } = this.input;
    const outcomes = this.st.packages.length > 0 ? await this.remote.leavePackages({ orderId, reason }) : [];
    for (const o of outcomes) {
      const p = this.st.packages.find((x) => x.packageId === o.packageId && x.packageKey === o.packageKey);
      if (p && o.outcome !== 'shipped') p.status = o.outcome === 'left' ? 'left' : 'intercept_requested';
    }
    const keep = opts.keepIntercepted ? this.intercepting().map(parcelLines) : [];
    const { released } = await releaseStock({ orderId, ...(keep.length ? { keep } : {}) });
    this.st.cancelled = {
      reason,
      unmerged: outcomes.filter((o) => o.outcome === 'left').map((o) => o.packageId),
      interceptRequested: outcomes.filter((o) => o.outcome === 'intercept').map((o) => o.packageId),
      releasedReservations: released,
    };
  }

  /** Line refs the packages hold that `order` no longer has (refunded while they were being planned and packed). */
  linesNotIn(order: CanonicalOrder): string[] {
    const refs = new Set(order.lines.map((l, i) => l.lineId ?? String(i + 1)));
    return [...new Set(this.st.packages.filter((p) => p.status !== 'left').flatMap((p) => p.lineRefs))].filter((r) => !refs.has(r));
  }

  /**
   * Asks the warehouse to intercept the parcels holding `lineRefs` (all open ones without), the order staying
   * in them: it changed after release. Until the warehouse answers they count as on their way.
   */
  async requestInterception(reason: string, lineRefs?: readonly string[]): Promise<string[]> {
    const affected = this.open().filter((p) => !lineRefs?.length || p.lineRefs.some((r) => lineRefs.includes(r)));
    if (affected.length === 0) return [];
    const { requested } = await this.remote.interceptPackages({ orderId: this.input.orderId, packageIds: affected.map((p) => p.packageId), reason });
    for (const p of affected) {
      if (!requested.includes(p.packageId) || p.status === 'shipped' || p.status === 'intercepted') continue;
      p.status = 'intercept_requested';
      p.interceptForChange = reason;
    }
    return requested;
  }

  /** Packages the warehouse was asked to intercept and has not answered for yet. */
  intercepting(): OrderPackage[] {
    return this.st.packages.filter((p) => p.status === 'intercept_requested' && p.interceptFailed === undefined);
  }

  /**
   * Waits for the warehouse's answer on every interception: stopped (its stock is given back now) or not
   * (it ships, and its shipment consumes the stock). Returns the packages of each kind.
   */
  async settleInterceptions(): Promise<{ intercepted: string[]; shippedAnyway: string[] }> {
    const asked = this.intercepting();
    await condition(() => this.intercepting().length === 0);
    const intercepted = asked.filter((p) => p.status === 'intercepted');
    const shippedAnyway = asked.filter((p) => p.status !== 'intercepted');
    if (intercepted.length) {
      const { released } = await releaseStock({ orderId: this.input.orderId, only: intercepted.map(parcelLines) });
      if (this.st.cancelled) this.st.cancelled.releasedReservations += released;
    }
    const result = { intercepted: intercepted.map((p) => p.packageId), shippedAnyway: shippedAnyway.map((p) => p.packageId) };
    if (this.st.cancelled) this.st.cancelled.interceptions = result;
    return result;
  }

  private async replan(): Promise<void> {
    this.plansThisRun++;
    this.wakeupsPlanned = this.wakeups;
    this.current = await this.plan();
    this.st.outcome = this.current.status;
  }

  /** Every package has been released to its warehouse (or gone further); false while one waits in its window. */
  handedOver(): boolean {
    return this.st.packages.length > 0 && this.st.packages.every((p) => p.status !== 'joined');
  }

  /** Packages still on their way (not shipped, failed, left or being intercepted). */
  private open(): OrderPackage[] {
    // A parcel asked back because the order changed is still on its way until the warehouse answers.
    const waiting = (p: OrderPackage) => p.status !== 'intercept_requested' || (p.interceptForChange !== undefined && this.st.cancelled === undefined);
    return this.st.packages.filter((p) => p.status !== 'shipped' && p.status !== 'failed' && p.status !== 'left' && p.status !== 'intercepted' && p.status !== 'reshipped' && waiting(p));
  }

  private currentOrder(): CanonicalOrder {
    return this.input.currentOrder?.() ?? this.input.order;
  }

  private async plan(): Promise<FulfilmentOutcome> {
    const { orderId, isCancelled } = this.input;
    const attempts = this.input.rules?.allocation.reservationAttempts ?? MAX_RESERVE_ATTEMPTS;
    for (let tries = 0; tries < attempts; tries++) {
      if (isCancelled()) return { status: 'cancelled' };
      const order = this.currentOrder();
      const attempt = ++this.st.attempts;
      const { paidAt, priority, rules } = this.input;
      // A resolution's plan, or the back-ordered lines once the first parcels went.
      const directed = this.directed ?? (this.st.backorder ? { reason: 'back-ordered lines', lines: this.st.backorder } : undefined);
      const p: PlanResult = await planFulfilment({ orderId, order, attempt, ...(paidAt ? { paidAt } : {}), ...(priority ? { priority } : {}), ...(rules ? { rules } : {}), ...(directed ? { directed } : {}) });
      this.st.decisions.push(...p.decisions);
      if (p.status === 'unmanaged' || p.status === 'unroutable') return { status: p.status, reason: p.reason };
      if (p.status === 'short') {
        this.st.shortages = p.shortages;
        return { status: 'short', shortages: p.shortages, replanAfterMs: p.replanAfterMs };
      }
      if (isCancelled()) return { status: 'cancelled' };
      const reserved = await reserveStock({ orderId, assignments: p.assignments, transfers: p.transfers });
      if (!reserved.ok) {
        log.info('plan overtaken by other reservations; planning again', { orderId, attempt, short: reserved.short });
        continue;
      }
      delete this.st.shortages;
      if (!this.directed) delete this.st.backorder;
      // A back-order's parcels are new ones: their keys must not name the parcels that went before.
      const parcels = directed && !this.directed ? p.parcels.map((x) => ({ ...x, key: `${x.key}:backorder-${attempt}` })) : p.parcels;
      if (isCancelled()) return { status: 'cancelled' };
      if (p.transfers.length > 0 && patched(TRANSFERS_PATCH)) {
        const started = await this.remote.startTransfers({ orderId, transfers: p.transfers });
        this.st.transfers = started.transfers;
        this.st.decisions.push(...started.decisions);
        for (const u of this.earlyTransfers.splice(0)) this.onTransferUpdate(u);
        this.awaitingJoin = { parcels, destinationRegionCode: p.destinationRegionCode };
        return { status: 'awaiting_transfer', transferIds: started.transfers.map((t) => t.transferId) };
      }
      const packageIds = await Promise.all(parcels.map((parcel) => this.join(parcel, p.destinationRegionCode)));
      for (const u of this.early.splice(0)) this.onPackageUpdate(u);
      return { status: 'released', packageIds };
    }
    const attempt = this.st.attempts;
    log.warn('stock kept being taken by other orders; treating the order as short', { orderId, attempt });
    return { status: 'short', shortages: [], replanAfterMs: 60_000 };
  }

  /** Joins (or opens) the package one planned parcel belongs to. */
  private async join(parcel: PlannedParcel, destinationRegionCode: string, reship?: { carrierCode?: string }): Promise<string> {
    const { orderId } = this.input;
    const order = this.currentOrder();
    // A parcel sent again goes in a package of its own, with the carrier a person chose when they chose one.
    const flags = { refundInProgress: this.input.refundInProgress ?? false, sealed: reship !== undefined || (this.input.sealed ?? false) };
    const rules = this.input.rules;
    const version = rules?.ruleSetVersion ?? 0;
    const carrier = reship?.carrierCode ? { ruleSetVersion: version, choose: [reship.carrierCode], exclude: [] } : rules ? { ...rules.carrier, ruleSetVersion: version } : undefined;
    const taskPriority = this.input.taskPriority;
    const joining = {
      orderId,
      order,
      destinationRegionCode,
      parcel,
      flags,
      ...(rules || carrier ? { rules: { merge: rules?.merge ?? { neverMerge: false }, ...(carrier ? { carrier } : {}) } } : {}),
      ...(taskPriority ? { taskPriority } : {}),
    };
    const j = patched(JOIN_LOCAL_PATCH) ? await joinPackageLocally(joining) : await this.remote.joinPackage(joining);
    this.parcels.set(j.packageId, { parcel, destinationRegionCode });
    this.st.packages.push({
      packageId: j.packageId,
      packageKey: parcel.key,
      warehouseCode: parcel.warehouseCode,
      logisticsClass: parcel.logisticsClass,
      lineRefs: [...new Set(parcel.lines.map((l) => l.lineRef))],
      status: 'joined',
      mergedWith: [],
      ...(j.windowEnd ? { windowEnd: j.windowEnd } : {}),
      ...(parcel.carrierCode ? { carrierCode: parcel.carrierCode } : {}),
    });
    this.st.decisions.push(j.decision);
    return j.packageId;
  }

  private onTransferUpdate(u: TransferUpdate): void {
    const t = this.st.transfers?.find((x) => x.transferId === u.transferId);
    if (!t) {
      this.earlyTransfers.push(u);
      return;
    }
    if (t.status === 'received' || t.status === 'cancelled') return;
    switch (u.type) {
      case 'shipped':
        t.status = 'shipped';
        t.expectedArrival = u.expectedArrival;
        if (u.trackingNo) t.trackingNo = u.trackingNo;
        return;
      case 'received':
        t.status = 'received';
        t.receivedAt = u.at;
        return;
      case 'cancelled':
        t.status = 'cancelled';
        return;
    }
  }

  private onPackageUpdate(u: PackageUpdate): void {
    const p = this.st.packages.find((x) => x.packageId === u.packageId);
    if (!p) {
      this.early.push(u);
      return;
    }
    if (p.status === 'left' || p.status === 'shipped' || p.status === 'failed' || p.status === 'intercepted') return;
    switch (u.type) {
      case 'released':
        if (p.status === 'joined') p.status = 'released';
        p.mergedWith = u.memberOrderIds.filter((id) => id !== this.input.orderId);
        if (u.carrierCode) p.carrierCode = u.carrierCode;
        return;
      case 'picked':
        if (p.status === 'joined' || p.status === 'released') p.status = 'picked';
        return;
      case 'shipped':
        if (p.status === 'intercept_requested') log.warn('package shipped although interception was requested', { orderId: this.input.orderId, packageId: p.packageId });
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
      case 'intercepted':
        p.status = 'intercepted';
        return;
      case 'intercept_failed':
        p.interceptFailed = u.reason;
        return;
    }
  }
}

function parcelLines(p: OrderPackage): ParcelLines {
  return { warehouseCode: p.warehouseCode, lineRefs: p.lineRefs };
}
