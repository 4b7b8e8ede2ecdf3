// Orders and activity stand-ins for the workflow tests: what the real activities would answer, without
// PostgreSQL or a platform behind them.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { expect, vi } from 'vitest';
import type { Activities } from '../../activities/index.js';
import type { DecisionSummary, PlanResult } from '../../activities/fulfilment.types.js';
import { createDispatcher, type Dispatcher } from '../../ingest/dispatcher.js';
import { canonicalOrder, orderWorkflowId, type CanonicalOrder, type CanonicalOrderInput } from '../../domain/order.js';
import { stateQuery, type OrderState, type OrderWorkflow } from '../../workflows/order.messages.js';
import { makeOrder } from '../helpers/orders.js';
import { exceptionTypeOf } from '../../domain/exceptions/model.js';

export type ActivityInput<K extends keyof Activities> = Parameters<Activities[K]>[0];
export type ActivityOutput<K extends keyof Activities> = Awaited<ReturnType<Activities[K]>>;

export const WAREHOUSE = 'WH-HZ';
export const CARRIER = 'YTO';

/** A valid canonical order (the shape the order workflow receives), with its workflow id. */
export function canonical(overrides: Partial<CanonicalOrderInput> = {}): { order: CanonicalOrder; orderId: string } {
  const order = canonicalOrder.parse(makeOrder(overrides));
  return { order, orderId: orderWorkflowId(order.platform, order.shopId, order.platformOrderId) };
}

/** Delivers events as the inbox relay does: signal-with-start of `order:<platform>:<shopId>:<platformOrderId>`. */
export function dispatcher(env: TestWorkflowEnvironment, taskQueue: string, paymentTimeoutMs: number): Dispatcher {
  return createDispatcher({ client: env.client, taskQueue, paymentTimeoutMs });
}

export function orderHandle(env: TestWorkflowEnvironment, orderId: string): WorkflowHandle<OrderWorkflow> {
  return env.client.workflow.getHandle<OrderWorkflow>(orderId);
}

export function orderState(env: TestWorkflowEnvironment, orderId: string): Promise<OrderState> {
  return orderHandle(env, orderId).query(stateQuery);
}

/** The workflow time (ms) of the first timeline entry of `type`; fails when there is none. */
export function timeOf(state: OrderState, type: string): number {
  const entry = state.timeline.find((e) => e.type === type);
  if (!entry) throw new Error(`no ${type} on the timeline: ${state.timeline.map((e) => e.type).join(', ')}`);
  return Date.parse(entry.at);
}

export function statusesOn(state: OrderState): string[] {
  return state.timeline.filter((e) => e.type.startsWith('status:')).map((e) => e.type.slice('status:'.length));
}

/** The read model and validation: accepted, every status the workflow mirrored kept in order. */
export function readModelMocks() {
  const statuses: string[] = [];
  return {
    statuses,
    activities: {
      syncReadModel: vi.fn(async (input: ActivityInput<'syncReadModel'>): Promise<ActivityOutput<'syncReadModel'>> => {
        statuses.push(input.status);
        return { applied: true };
      }),
      validateOrder: vi.fn(async (_input: ActivityInput<'validateOrder'>): Promise<ActivityOutput<'validateOrder'>> => []),
      reviewOrder: vi.fn(async (_input: ActivityInput<'reviewOrder'>): Promise<ActivityOutput<'reviewOrder'>> => approvedReview()),
      ...quietExceptionMocks(),
    },
  };
}

/** Exceptions opened as the database would, due far in the future (no escalation during a test), and closed. */
export function quietExceptionMocks() {
  let n = 0;
  const later = '2100-01-01T00:00:00.000Z';
  return {
    openOrderException: vi.fn(async (input: ActivityInput<'openOrderException'>): Promise<ActivityOutput<'openOrderException'>> => ({
      created: true,
      id: `ex-${++n}`,
      type: exceptionTypeOf(input.kind),
      dueAt: later,
      levels: [{ level: 1, at: later, ownerRole: 'ops_lead' }],
    })),
    escalateOrderException: vi.fn(async (_i: ActivityInput<'escalateOrderException'>): Promise<ActivityOutput<'escalateOrderException'>> => ({ escalated: true })),
    recordExceptionResolution: vi.fn(async (_i: ActivityInput<'recordExceptionResolution'>): Promise<ActivityOutput<'recordExceptionResolution'>> => ({ recorded: true })),
    ...exceptionActionMocks(),
  };
}

/**
 * Exceptions opened as the database would, on the test server's clock: due at the first level, escalating at
 * `levelHours` (ops_lead, then admin at the third), with the policy's final action and automatic resolution
 * (for OUT_OF_STOCK) when given.
 */
export function timedExceptionMocks(
  env: TestWorkflowEnvironment,
  opts: {
    levelHours?: readonly number[];
    finalAction?: { action: 'cancel_order' | 'close_unpaid' | 'ship_available'; afterHours: number };
    autoResolve?: ActivityOutput<'openOrderException'>['autoResolve'];
  } = {},
) {
  let n = 0;
  const hours = opts.levelHours ?? [2, 4, 8];
  return {
    openOrderException: vi.fn(async (input: ActivityInput<'openOrderException'>): Promise<ActivityOutput<'openOrderException'>> => {
      const now = await env.currentTimeMs();
      const at = (h: number) => new Date(now + h * 3_600_000).toISOString();
      return {
        created: true,
        id: `ex-${++n}`,
        type: exceptionTypeOf(input.kind),
        dueAt: at(hours[0]!),
        levels: hours.map((h, i) => ({ level: (i + 1) as 1 | 2 | 3, at: at(h), ownerRole: i === 2 ? ('admin' as const) : ('ops_lead' as const) })),
        ...(opts.finalAction ? { finalAction: { action: opts.finalAction.action, at: at(opts.finalAction.afterHours) } } : {}),
        ...(opts.autoResolve && input.kind === 'out_of_stock' ? { autoResolve: opts.autoResolve } : {}),
      };
    }),
    escalateOrderException: vi.fn(async (_i: ActivityInput<'escalateOrderException'>): Promise<ActivityOutput<'escalateOrderException'>> => ({ escalated: true })),
    recordExceptionResolution: vi.fn(async (_i: ActivityInput<'recordExceptionResolution'>): Promise<ActivityOutput<'recordExceptionResolution'>> => ({ recorded: true })),
    ...exceptionActionMocks(),
  };
}

/** The seller's systems asked to act (always answered), and exceptions brought up to date with no suggestion. */
export function exceptionActionMocks() {
  return {
    announceException: vi.fn(async (_i: ActivityInput<'announceException'>): Promise<ActivityOutput<'announceException'>> => ({ notified: 200 })),
    refreshOrderException: vi.fn(async (_i: ActivityInput<'refreshOrderException'>): Promise<ActivityOutput<'refreshOrderException'>> => ({ refreshed: true, suggestions: [] })),
  };
}

/** What reviewOrder answers for an order no rule stops: approved, priority 0, the default figures. */
export function approvedReview(overrides: Partial<ActivityOutput<'reviewOrder'>> = {}): ActivityOutput<'reviewOrder'> {
  return {
    ruleSetVersion: 1,
    verdict: { kind: 'approve' },
    tags: [],
    priority: 0,
    fired: [],
    rules: {
      ruleSetVersion: 1,
      merge: { neverMerge: false },
      split: { maxExpressWeightG: 30_000 },
      carrier: { exclude: [], highValueFen: 200_000 },
      allocation: { excludeWarehouses: [], reservationAttempts: 3 },
    },
    slaMinutes: 120,
    pricing: { consistent: true, differenceFen: 0, findings: [] },
    ...overrides,
  };
}

const decision = (step: string, kind: DecisionSummary['kind'], outcome: string): DecisionSummary => ({ step, kind, ruleId: `test-${kind}`, ruleVersion: 1, outcome });

/** Everything in one express parcel from WH-HZ, as planFulfilment answers when the stock is there. */
export function planned(orderId: string, order: CanonicalOrder, attempt = 1): Extract<PlanResult, { status: 'planned' }> {
  const assignments = order.lines.map((l, i) => ({ lineRef: l.lineId ?? String(i + 1), skuCode: l.skuCode, warehouseCode: WAREHOUSE, quantity: l.quantity, transferredIn: 0 }));
  return {
    status: 'planned',
    destinationRegionCode: '330106',
    assignments,
    transfers: [],
    parcels: [
      {
        key: `${orderId}:${WAREHOUSE}:express`,
        warehouseCode: WAREHOUSE,
        logisticsClass: 'express',
        lines: assignments.map((a) => ({ lineRef: a.lineRef, skuCode: a.skuCode, quantity: a.quantity })),
        weightG: 1500,
        valueFen: order.amounts.paidFen,
        carrierCode: CARRIER,
      },
    ],
    decisions: [decision(`plan:${attempt}:allocation`, 'allocation', `1 package from ${WAREHOUSE}`), decision(`plan:${attempt}:split`, 'split', '1 express parcel')],
  };
}

/** No warehouse has the first line's SKU, as planFulfilment answers when stock is short. */
export function short(order: CanonicalOrder, replanAfterMs: number, attempt = 1): Extract<PlanResult, { status: 'short' }> {
  const line = order.lines[0]!;
  return {
    status: 'short',
    shortages: [{ lineRef: line.lineId ?? '1', skuCode: line.skuCode, requested: line.quantity, allocated: 0, short: line.quantity, availableAnywhere: 0 }],
    decisions: [decision(`plan:${attempt}:allocation`, 'allocation', `short of ${line.skuCode}`)],
    replanAfterMs,
  };
}

/** A joinPackage answer: the parcel opened a package of its own (no package workflow behind it). */
export function joinedAlone(input: ActivityInput<'joinPackage'>, packageId: string, windowEnd: string): ActivityOutput<'joinPackage'> {
  return {
    packageId,
    packageKey: input.parcel.key,
    windowEnd,
    merged: 0,
    decision: decision(`merge:${input.parcel.key}`, 'merge', `opened package ${packageId}`),
  };
}

export const carrierDecision = (packageId: string): ActivityOutput<'releasePackage'>['decision'] => ({
  kind: 'carrier',
  subject: packageId,
  ruleId: 'test-carrier',
  ruleVersion: 1,
  outcome: `${CARRIER} for the merged parcel`,
  chosen: [CARRIER],
  candidates: [{ id: CARRIER, score: 1, rank: 1, criteria: {}, metrics: {} }],
  excluded: [],
  steps: [],
});

/** A platform that takes every tracking number. */
export function writeBackMock() {
  return vi.fn(async (_input: ActivityInput<'writeBackShipment'>): Promise<ActivityOutput<'writeBackShipment'>> => ({ status: 'sent', attempts: 1 }));
}

/**
 * Planning that finds no stock on the first `shortPlans` attempts (asking to be planned again after
 * `replanAfterMs`) and everything from WH-HZ after; reservations and packages always succeed.
 */
export function shortThenPlannedMocks(env: TestWorkflowEnvironment, shortPlans: number, replanAfterMs: number) {
  return {
    planFulfilment: vi.fn(async ({ orderId, order, attempt }: ActivityInput<'planFulfilment'>): Promise<ActivityOutput<'planFulfilment'>> =>
      attempt <= shortPlans ? short(order, replanAfterMs, attempt) : planned(orderId, order, attempt),
    ),
    reserveStock: vi.fn(async (_input: ActivityInput<'reserveStock'>): Promise<ActivityOutput<'reserveStock'>> => ({ ok: true, reserved: 2, alreadyReserved: 0 })),
    joinPackage: vi.fn(async (input: ActivityInput<'joinPackage'>) => joinedAlone(input, `pkg-${input.orderId}`, new Date(await env.currentTimeMs()).toISOString())),
    releaseStock: vi.fn(async (_input: ActivityInput<'releaseStock'>): Promise<ActivityOutput<'releaseStock'>> => ({ released: 0 })),
  };
}

/** Starts the order workflow of an order paid now (as its creation event arrives) on the task queue. */
export async function startPaidOrder(env: TestWorkflowEnvironment, taskQueue: string) {
  const { order, orderId } = await paidNow(env);
  await dispatcher(env, taskQueue, 60 * 60_000).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
  return { order, orderId };
}

/** The reason an update was refused by its validator; fails unless it was refused. */
export async function refused(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((e as WorkflowUpdateFailedError).cause as Error).message;
}

/** A canonical order paid at the test server's current time (whole seconds, as platforms send them). */
export async function paidNow(env: TestWorkflowEnvironment) {
  const paidAt = new Date(await env.currentTimeMs()).toISOString().replace(/\.\d+Z$/, 'Z');
  return { ...canonical({ paidAt }), paidAt };
}
