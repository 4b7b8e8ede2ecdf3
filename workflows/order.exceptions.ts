// The order's exceptions: every hold it is in is an exception of a type with an owner and a due time; the run
// holds a timer per open exception and escalates it level by level; a person (or a rule) resolves it through
// the `resolveException` update, which the run carries out. Workflow code: deterministic, I/O only through
// activities.
import { ApplicationFailure, condition, log, ParentClosePolicy, proxyLocalActivities, startChild } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { AutoResolution } from '../activities/exception-activities.js';
import { ACTIONS_BY_TYPE, actionFits, type ResolutionAction, type Suggestion } from '../domain/exceptions/actions.js';
import { exceptionTypeOf } from '../domain/exceptions/model.js';
import { controlTaskPriority } from '../domain/fulfilment/task-priority.js';
import { exceptionWatchWorkflowId, exceptionWatchWorkflowType, type ExceptionWatchInput, type ExceptionWatchWorkflow } from './exception-watch.messages.js';
import { workflowNow } from './clock.js';
import type { ExceptionResolution, ExceptionResolutionResult, OrderException } from './order.messages.js';
import type { OrderRun } from './order.run.js';

const LOCAL_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const { openOrderException } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'open an exception: type, owner, due time, suggestions' });
const { escalateOrderException } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: 'escalate the exception to its next level' });
const { recordExceptionResolution } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: "record the exception's resolution" });
const { refreshOrderException } = proxyLocalActivities<Activities>({ ...LOCAL_OPTIONS, summary: "bring the exception's suggestions up to date" });

/**
 * Where the order stands, for the validator: which actions make sense now. `unpaid`: waiting for a payment
 * (an overdue presale balance); `review`: waiting for a reviewer.
 */
export type OrderSituation = 'held' | 'short' | 'unroutable' | 'shipment_failed' | 'unpaid' | 'review' | 'other';

/** Actions that need the order in a given situation (the rest only need the exception to be open). */
const NEEDS: Partial<Record<ResolutionAction, readonly OrderSituation[]>> = {
  release_hold: ['held', 'unpaid', 'review'],
  wait_for_stock: ['short'],
  substitute_sku: ['short'],
  cancel_lines: ['short', 'held'],
  choose_address: ['held', 'unroutable', 'review'],
  edit_order: ['held', 'short', 'unroutable', 'review'],
  reship: ['shipment_failed'],
  ship_available: ['short'],
  ship_from_warehouse: ['short'],
};

/** Actions done at once by the update's handler, whatever the order waits for. */
const IMMEDIATE: readonly ResolutionAction[] = ['acknowledge', 'wait_for_stock', 'cancel_order', 'notify_buyer'];

/** Carried out by runs of the later exception actions (see `OrderRun.exceptionActions`). */
const CARRIED_OUT_LATER: readonly ResolutionAction[] = ['ship_available', 'ship_from_warehouse', 'refund', 'notify_buyer'];

/** Actions this version of the order workflow carries out; others are refused (409) with the reason. */
const CARRIED_OUT: readonly ResolutionAction[] = [
  'release_hold',
  'edit_order',
  'choose_address',
  'cancel_order',
  'wait_for_stock',
  'substitute_sku',
  'cancel_lines',
  'acknowledge',
  'reship',
];

export class OrderExceptions {
  private readonly all: OrderException[] = [];
  /** Accepted resolutions the run has not carried out yet, in arrival order. */
  private readonly queue: ExceptionResolution[] = [];

  constructor(
    private readonly run: OrderRun,
    /** Where the order stands now (the validator's view). */
    private readonly situation: () => OrderSituation,
  ) {
    // A continued run takes the exceptions of the run before; the open ones get their timers again.
    for (const e of run.input.resume?.exceptions ?? []) {
      this.all.push(e);
      if (!e.resolved) void this.watch(e);
    }
  }

  /** The state query's part: open exceptions and those resolved in this run. */
  state(): OrderException[] {
    return this.all.map((e) => ({ ...e, levels: [...e.levels] }));
  }

  /** The open exception of a kind, if any. */
  openOf(kind: string): OrderException | undefined {
    return this.all.find((e) => e.kind === kind && !e.resolved);
  }

  /**
   * Opens an exception (the activity dedupes an open one of the same kind) and starts its SLA timers: at each
   * level's time it escalates (new owner, a notification, a log line) unless resolved first.
   */
  async raise(kind: string, detail: Record<string, unknown>): Promise<OrderException | undefined> {
    const existing = this.openOf(kind);
    if (existing) return existing;
    const run = this.run;
    const r = await openOrderException({ orderId: run.orderId, shopId: run.order.shopId, kind, detail, order: run.order });
    if (!r.id || !r.dueAt) return undefined;
    const e: OrderException = {
      id: r.id,
      kind,
      type: r.type ?? exceptionTypeOf(kind),
      openedAt: workflowNow().toISOString(),
      dueAt: r.dueAt,
      level: 0,
      levels: r.levels ?? [],
      ...(r.finalAction && r.finalAction.action !== 'none' ? { finalAction: r.finalAction } : {}),
    };
    this.all.push(e);
    run.note('exception_opened', { exceptionId: e.id, type: e.type, dueAt: e.dueAt });
    void this.watch(e);
    if (r.autoResolve && run.exceptionActions()) this.resolveByPolicy(e, r.autoResolve);
    return e;
  }

  /**
   * Brings the open exception of a kind up to date (what it reports, its suggestions), and applies the
   * policy's automatic resolution when a fresh suggestion now allows it. Returns the fresh suggestions.
   */
  async refresh(kind: string, detail: Record<string, unknown>): Promise<Suggestion[]> {
    const e = this.openOf(kind);
    if (!e || this.queue.some((q) => q.exceptionId === e.id)) return [];
    const run = this.run;
    const r = await refreshOrderException({ exceptionId: e.id, orderId: run.orderId, shopId: run.order.shopId, kind, detail, order: run.order });
    if (r.autoResolve) this.resolveByPolicy(e, r.autoResolve);
    return r.suggestions;
  }

  /** Queues the policy's automatic resolution like a person's, when it fits the order now; logged either way. */
  private resolveByPolicy(e: OrderException, auto: AutoResolution): void {
    const resolution: ExceptionResolution = { exceptionId: e.id, action: auto.action, params: auto.params, resolvedBy: 'policy', comment: `automatic resolution (${auto.policy}): ${auto.label}` };
    try {
      this.validate(resolution);
      this.queue.push(resolution);
      this.run.note('exception_auto_resolving', { exceptionId: e.id, type: e.type, action: auto.action, policy: auto.policy });
    } catch (err) {
      log.info('automatic resolution does not fit the order now', { orderId: this.run.orderId, exceptionId: e.id, action: auto.action, reason: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Escalates `e` at each level's time until it is resolved. */
  private async watch(e: OrderException): Promise<void> {
    for (const step of e.levels.filter((l) => l.level > e.level)) {
      const wait = Date.parse(step.at) - workflowNow().getTime();
      const summary = `exception ${e.type} ${e.id}: level ${step.level} (${step.ownerRole}) unless resolved`;
      if (await condition(() => e.resolved !== undefined, Math.max(wait, 1), { summary })) return;
      await escalateOrderException({ exceptionId: e.id, orderId: this.run.orderId, shopId: this.run.order.shopId, type: e.type, level: step.level, ownerRole: step.ownerRole });
      e.level = step.level;
      log.warn('exception escalated', { orderId: this.run.orderId, exceptionId: e.id, type: e.type, level: step.level, ownerRole: step.ownerRole });
      this.run.note('exception_escalated', { exceptionId: e.id, type: e.type, level: step.level, ownerRole: step.ownerRole });
    }
    await this.applyFinalAction(e);
  }

  /**
   * The policy's final action, once the last level has passed unresolved: queued like a person's resolution
   * (recorded as the policy's), when the order carries it out and it fits the exception and the order now.
   */
  private async applyFinalAction(e: OrderException): Promise<void> {
    const final = e.finalAction;
    if (!final) return;
    const wait = Date.parse(final.at) - workflowNow().getTime();
    if (await condition(() => e.resolved !== undefined, Math.max(wait, 1), { summary: `exception ${e.type} ${e.id}: final action ${final.action} unless resolved` })) return;
    const comment = `final action ${final.action} of the exception policy`;
    let resolution: ExceptionResolution | undefined;
    if (final.action === 'close_unpaid' || final.action === 'cancel_order') {
      resolution = { exceptionId: e.id, action: 'cancel_order', resolvedBy: 'policy', comment, ...(final.action === 'close_unpaid' ? { params: { closeUnpaid: true } } : {}) };
    }
    if (final.action === 'ship_available' && this.run.exceptionActions()) {
      // The suggestion as the stock is now, not as it was when the exception opened.
      const fresh = (await this.refresh(e.kind, { ...this.detailOf(e), finalAction: final.action })).find((x) => x.action === 'ship_available');
      if (fresh) resolution = { exceptionId: e.id, action: 'ship_available', params: { ...fresh.params }, resolvedBy: 'policy', comment: `${comment}: ${fresh.label}` };
      else {
        this.run.note('exception_final_action_skipped', { exceptionId: e.id, action: final.action, reason: 'nothing can ship now' });
        return;
      }
    }
    try {
      if (!resolution) throw new Error(`${final.action} is not carried out by the order workflow yet`);
      this.validate(resolution);
      await this.accept(resolution);
      this.run.note('exception_final_action', { exceptionId: e.id, type: e.type, action: final.action });
    } catch (err) {
      log.warn('exception final action not applied', { orderId: this.run.orderId, exceptionId: e.id, action: final.action, reason: err instanceof Error ? err.message : String(err) });
      this.run.note('exception_final_action_skipped', { exceptionId: e.id, action: final.action, reason: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * Warns before a promised ship time: unless `shipped()` by `warnAt`, SHIPMENT_OVERDUE opens (and is closed
   * when the order ships after all). Runs beside the order's wait for its parcels.
   */
  async watchPromise(warnAt: string, shipped: () => boolean, detail: Record<string, unknown>): Promise<void> {
    const wait = Date.parse(warnAt) - workflowNow().getTime();
    if (await condition(shipped, Math.max(wait, 1), { summary: 'SHIPMENT_OVERDUE unless shipped before the promised ship time' })) return;
    await this.raise('shipment_overdue', { ...detail, warnedAt: workflowNow().toISOString() });
    await condition(shipped);
    await this.clear('shipment_overdue', 'the order shipped');
  }

  /** The update's validator: the exception is open on this order, the action fits its type and the order now. */
  validate(r: ExceptionResolution): void {
    const e = this.all.find((x) => x.id === r.exceptionId);
    const refuse = (message: string) => {
      throw ApplicationFailure.nonRetryable(message, 'ResolutionRefused');
    };
    if (!e) return refuse(`exception ${r.exceptionId} is not one of order ${this.run.orderId}'s`);
    if (e.resolved || this.queue.some((q) => q.exceptionId === e.id)) return refuse(`exception ${e.id} is already resolved`);
    if (!actionFits(e.type, r.action)) return refuse(`${r.action} does not resolve an exception of type ${e.type} (it takes ${ACTIONS_BY_TYPE[e.type].join(', ')})`);
    const carried = CARRIED_OUT.includes(r.action) || (this.run.exceptionActions() && CARRIED_OUT_LATER.includes(r.action));
    if (!carried) return refuse(`${r.action} is not carried out by this order's workflow; choose another action`);
    const needs = NEEDS[r.action];
    const now = this.situation();
    if (needs && !needs.includes(now)) return refuse(`${r.action} needs the order ${needs.join(' or ')}, but it is ${now === 'other' ? this.run.status : now}`);
    if (r.action === 'substitute_sku' && (typeof r.params?.lineRef !== 'string' || typeof r.params?.skuCode !== 'string')) return refuse('substitute_sku needs params.lineRef and params.skuCode');
    if (r.action === 'cancel_lines' && !Array.isArray(r.params?.lineRefs)) return refuse('cancel_lines needs params.lineRefs');
    if ((r.action === 'choose_address' || r.action === 'edit_order') && typeof r.params !== 'object') return refuse(`${r.action} needs params`);
    if ((r.action === 'ship_available' || r.action === 'ship_from_warehouse') && typeof r.params?.warehouseCode !== 'string') return refuse(`${r.action} needs params.warehouseCode`);
    if (r.action === 'ship_available') this.validateAvailable(r.params?.lines, refuse);
    if (r.action === 'refund' && e.type === 'WAREHOUSE_REJECTED' && now !== 'shipment_failed') return refuse(`refund needs the order's parcel failed, but it is ${now === 'other' ? this.run.status : now}`);
  }

  /** ship_available names whole lines of the order (and not all of them: the rest is back-ordered). */
  private validateAvailable(lines: unknown, refuse: (m: string) => void): void {
    const order = this.run.order.lines.map((l, i) => ({ ref: l.lineId ?? String(i + 1), quantity: l.quantity }));
    if (!Array.isArray(lines) || lines.length === 0) return refuse('ship_available needs params.lines (the lines to ship now)');
    for (const l of lines as { lineRef?: unknown; quantity?: unknown }[]) {
      const line = order.find((o) => o.ref === l?.lineRef);
      if (!line) return refuse(`ship_available: line ${String(l?.lineRef)} is not a line of the order`);
      if (l.quantity !== line.quantity) return refuse(`ship_available ships whole lines: line ${line.ref} has ${line.quantity}, not ${String(l.quantity)}`);
    }
    if (lines.length >= order.length) return refuse('ship_available back-orders some lines: to ship every line, choose ship_from_warehouse');
  }

  /** What an exception reported when it opened, as the state holds it. */
  private detailOf(e: OrderException): Record<string, unknown> {
    return e.kind === 'out_of_stock' ? { shortages: this.run.fulfilment?.state().shortages ?? [] } : {};
  }

  /** Carries out a resolution that needs no particular wait (a cancellation, an acknowledgement); set by the workflow. */
  perform: ((r: ExceptionResolution) => Promise<void>) | undefined;

  /**
   * The update's handler. An acknowledgement, `wait_for_stock` or a cancellation is done at once, wherever the
   * order waits; the rest is queued for the run, which carries it out where it waits (held, short).
   */
  async accept(r: ExceptionResolution): Promise<ExceptionResolutionResult> {
    const done = { orderId: this.run.orderId, exceptionId: r.exceptionId, action: r.action };
    if (IMMEDIATE.includes(r.action) && this.perform) {
      await this.perform(r);
      // A reminder leaves the exception open: the buyer has yet to act.
      return { ...done, status: r.action === 'notify_buyer' ? 'accepted' : 'resolved' };
    }
    this.queue.push(r);
    return { ...done, status: 'accepted' };
  }

  /** Whether a resolution waits to be carried out. */
  hasPending(): boolean {
    return this.queue.length > 0;
  }

  /** The next accepted resolution, for the run to carry out. */
  next(): ExceptionResolution | undefined {
    return this.queue.shift();
  }

  /** Closes an exception: a person's or a rule's resolution, or the order's own (the hold cleared by itself). */
  async close(e: OrderException, action: ResolutionAction, by: string, comment?: string): Promise<void> {
    if (e.resolved) return;
    const at = workflowNow().toISOString();
    e.resolved = { action, by, at, ...(comment ? { comment } : {}) };
    await recordExceptionResolution({ exceptionId: e.id, orderId: this.run.orderId, action, resolvedBy: by, at, ...(comment ? { comment } : {}) });
    this.run.note('exception_resolved', { exceptionId: e.id, type: e.type, action, by });
  }

  /** Closes the open exception of a kind because its cause went away (stock arrived, data fixed, refund closed). */
  async clear(kind: string, reason: string): Promise<void> {
    const e = this.openOf(kind);
    if (e) await this.close(e, 'acknowledge', 'orderly', reason);
  }

  exception(id: string): OrderException | undefined {
    return this.all.find((e) => e.id === id);
  }

  /**
   * As the run ends: each exception still open (a change after release, a parcel that went despite an
   * interception, a review overdue) is handed to a watch workflow of its own (`exception:<id>`, left running
   * when this one closes), which keeps escalating it until a person resolves it; none is forgotten.
   */
  async handOver(): Promise<void> {
    const run = this.run;
    for (const e of this.all.filter((x) => !x.resolved)) {
      const input: ExceptionWatchInput = {
        exceptionId: e.id,
        kind: e.kind,
        type: e.type,
        shopId: run.order.shopId,
        orderId: run.orderId,
        openedAt: e.openedAt,
        dueAt: e.dueAt,
        level: e.level,
        levels: e.levels.map((l) => ({ level: l.level, at: l.at, ownerRole: l.ownerRole })),
      };
      const final = e.finalAction;
      if (final && final.action !== 'none') input.finalAction = { action: final.action, at: final.at };
      try {
        await startChild<ExceptionWatchWorkflow>(exceptionWatchWorkflowType, {
          workflowId: exceptionWatchWorkflowId(e.id),
          args: [input],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          priority: controlTaskPriority(),
          staticSummary: `exception ${e.type} ${e.id} · ${e.kind} · order ${run.orderId}`,
        });
        run.note('exception_handed_over', { exceptionId: e.id, type: e.type, watch: exceptionWatchWorkflowId(e.id) });
      } catch (err) {
        // A watch already there (started by another path) keeps watching it.
        log.info('exception watch not started', { orderId: run.orderId, exceptionId: e.id, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
