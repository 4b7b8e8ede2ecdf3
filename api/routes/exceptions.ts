import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldCipherFor } from '../../config/field-cipher.js';
import {
  assignException,
  exceptionSummary,
  getException,
  InvalidCursorError,
  listExceptions,
  openResolution,
  resolveExceptionRecord,
  type OpenFigures,
} from '../../db/exceptions.repository.js';
import type { ExceptionEventRow, ExceptionRow, StoredResolution } from '../../db/exceptions.schema.js';
import { seesBuyerData } from '../../domain/access.js';
import { EXCEPTION_EVENTS } from '../../db/exceptions.schema.js';
import { getSetting, putSetting, type Setting } from '../../db/settings.repository.js';
import { ACTIONS_BY_TYPE, actionFits, RESOLUTION_ACTIONS, type ResolutionAction } from '../../domain/exceptions/actions.js';
import { AUTO_RESOLVE_ACTIONS, EXCEPTION_TYPES, FINAL_ACTIONS, OWNER_ROLES, SEVERITIES, type ExceptionPolicy, type ExceptionType } from '../../domain/exceptions/model.js';
import { EXCEPTION_POLICY_KEY, exceptionPolicyFrom, exceptionPolicyInput } from '../../domain/exceptions/policy.js';
import { endExceptionWatch } from '../../ingest/exception-watch.js';
import { resolveExceptionUpdate, type ExceptionResolution } from '../../workflows/order.messages.js';
import { AppError } from '../errors.js';
import { errorBody, iso } from './fulfilment.common.js';
import { shopFilter } from '../plugins/auth.js';
import { settingVersionRoute } from './setting-versions.js';

// The exception center: the queue (critical first, then priority, then the earliest due), one exception with
// its suggestions and history, assignment, resolution, the summary ops watch, and the exception policy (SLA and
// escalation per type, versioned). A resolution of an order's exception is the order workflow's to carry out
// (the `resolveException` update); a shop's (no order) can only be acknowledged, and that is recorded here.

const text = (max: number) => z.string().trim().min(1).max(max);
const idParams = z.object({ id: z.string().regex(/^[0-9]{1,15}$/, 'an exception id is a number').describe('The exception id') });

/** Actions the API takes for an exception: a shop-level one (no order) can only be acknowledged. */
function actionsFor(r: Pick<ExceptionRow, 'type' | 'order_id'>): ResolutionAction[] {
  return r.order_id ? [...ACTIONS_BY_TYPE[r.type]] : ACTIONS_BY_TYPE[r.type].filter((a) => a === 'acknowledge');
}

const suggestionOut = z.object({
  action: z.enum(RESOLUTION_ACTIONS),
  rank: z.number().int().describe('1 = best'),
  label: z.string(),
  costFen: z.number().int().describe('Extra cost for the seller in fen'),
  deliveryDelayDays: z.number().optional().describe('Days the delivery moves; absent when unknown'),
  params: z.record(z.string(), z.unknown()).describe('What the action needs; send them back with the resolution'),
});

const exceptionOut = z.object({
  id: z.string(),
  kind: z.string().describe('The specific cause, as the code that raised it names it'),
  type: z.enum(EXCEPTION_TYPES),
  severity: z.enum(SEVERITIES),
  status: z.enum(['open', 'resolved']),
  ownerRole: z.string().describe('The role that owns it now (it changes as it escalates)'),
  owner: z.string().nullable().describe('The person it is assigned to'),
  priority: z.number().int(),
  shopId: z.string().nullable(),
  orderId: z.string().nullable().describe('The order workflow id; null for a shop-level exception'),
  warehouseCode: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  openedAt: z.string(),
  dueAt: z.string(),
  overdue: z.boolean().describe('Open and past its due time'),
  escalationLevel: z.number().int().describe('0 until the SLA passes, then 1..3'),
  actions: z.array(z.enum(RESOLUTION_ACTIONS)).describe('The actions that may resolve it'),
  resolution: z.object({ action: z.string(), params: z.record(z.string(), z.unknown()).optional(), comment: z.string().optional() }).nullable(),
  resolvedBy: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  updatedAt: z.string(),
});

const eventOut = z.object({
  id: z.string(),
  at: z.string(),
  event: z.enum(EXCEPTION_EVENTS),
  actor: z.string().nullable().describe('Who did it; null for the clock (an SLA)'),
  detail: z.record(z.string(), z.unknown()),
});

const exceptionDetailOut = exceptionOut.extend({
  suggestions: z.array(suggestionOut).describe('Ranked, best first'),
  events: z.array(eventOut).describe('Its history, oldest first'),
});

/**
 * How a caller sees a stored resolution: its params as given (opened) or with the receiver's name, phone and
 * street masked, as stored; never the sealed copy.
 */
type ResolutionView = (stored: StoredResolution) => Omit<StoredResolution, 'paramsSealed'>;
const maskedResolution: ResolutionView = ({ paramsSealed: _sealed, ...shown }) => shown;

function toOut(r: ExceptionRow, now = Date.now(), view: ResolutionView = maskedResolution): z.infer<typeof exceptionOut> {
  return {
    id: String(r.id),
    kind: r.kind,
    type: r.type,
    severity: r.severity,
    status: r.status,
    ownerRole: r.owner_role,
    owner: r.owner,
    priority: r.priority,
    shopId: r.shop_id,
    orderId: r.order_id,
    warehouseCode: r.warehouse_code,
    detail: r.detail,
    openedAt: r.created_at.toISOString(),
    dueAt: r.due_at.toISOString(),
    overdue: r.status === 'open' && r.due_at.getTime() < now,
    escalationLevel: r.escalation_level,
    actions: actionsFor(r),
    resolution: r.resolution ? view(r.resolution) : null,
    resolvedBy: r.resolved_by,
    resolvedAt: iso(r.resolved_at),
    updatedAt: r.updated_at.toISOString(),
  };
}

const eventToOut = (e: ExceptionEventRow, view: ResolutionView = maskedResolution): z.infer<typeof eventOut> => ({
  id: String(e.id),
  at: e.at.toISOString(),
  event: e.event,
  actor: e.actor,
  // A `resolved` event holds the resolution as the exception's row does.
  detail: e.event === 'resolved' ? view(e.detail as unknown as StoredResolution) : e.detail,
});

const figuresOut = z.object({
  open: z.number().int(),
  overdue: z.number().int(),
  oldestOpenedAt: z.string().nullable(),
  ageSeconds: z.object({ p50: z.number(), p90: z.number(), p99: z.number(), max: z.number() }).nullable().describe('Age percentiles of the open ones; null when none is open'),
});

const summaryOut = z.object({
  at: z.string(),
  total: figuresOut,
  byType: z.array(figuresOut.extend({ type: z.enum(EXCEPTION_TYPES) })),
  bySeverity: z.array(figuresOut.extend({ severity: z.enum(SEVERITIES) })),
  byLevel: z.array(figuresOut.extend({ level: z.number().int() })),
});

const resolveBody = z.strictObject({
  action: z.enum(RESOLUTION_ACTIONS),
  params: z.record(z.string(), z.unknown()).optional().describe("What the action needs (a suggestion's params, or the edits of edit_order)"),
  resolvedBy: text(100).describe('Who resolves it (recorded with the resolution)'),
  comment: z.string().trim().max(1000).optional(),
});

const resolutionOut = z.object({
  exceptionId: z.string(),
  orderId: z.string().nullable(),
  action: z.enum(RESOLUTION_ACTIONS),
  status: z.enum(['resolved', 'accepted']).describe('resolved: done and closed; accepted: the order is carrying it out'),
});

// The exception policy -----------------------------------------------------------------------------------

const typePolicyOut = z.object({
  severity: z.enum(SEVERITIES),
  ownerRole: z.enum(OWNER_ROLES),
  slaMinutes: z.number().int(),
  escalation: z.array(z.object({ level: z.number().int(), afterMinutes: z.number().int(), ownerRole: z.enum(OWNER_ROLES) })),
  finalAction: z.enum(FINAL_ACTIONS),
  finalActionAfterMinutes: z.number().int().optional(),
  autoResolve: z.object({ action: z.enum(AUTO_RESOLVE_ACTIONS), shops: z.array(z.string()).optional() }).optional(),
});

const policyOut = z.object({
  id: z.string(),
  version: z.number().int().describe('0: the built-in default'),
  source: z.enum(['default', 'configured']),
  updatedAt: z.string().nullable(),
  shipmentWarningMinutes: z.number().int(),
  types: z.object(Object.fromEntries(EXCEPTION_TYPES.map((t) => [t, typePolicyOut])) as Record<ExceptionType, typeof typePolicyOut>).describe('The policy in force per type (a type the stored policy does not name keeps its default)'),
});

function policyView(stored: Setting<unknown> | undefined): z.infer<typeof policyOut> {
  const p: ExceptionPolicy = exceptionPolicyFrom(stored);
  // A stored value that no longer parses leaves the default in force: say so rather than claim it is configured.
  const configured = stored !== undefined && exceptionPolicyInput.safeParse(stored.value).success;
  const types = Object.fromEntries(
    EXCEPTION_TYPES.map((t) => {
      const tp = p.types[t];
      return [
        t,
        {
          severity: tp.severity,
          ownerRole: tp.ownerRole,
          slaMinutes: tp.slaMinutes,
          escalation: tp.escalation.map((s) => ({ level: s.level, afterMinutes: s.afterMinutes, ownerRole: s.ownerRole })),
          finalAction: tp.finalAction,
          ...(tp.finalActionAfterMinutes !== undefined ? { finalActionAfterMinutes: tp.finalActionAfterMinutes } : {}),
          ...(tp.autoResolve ? { autoResolve: { action: tp.autoResolve.action, ...(tp.autoResolve.shops ? { shops: [...tp.autoResolve.shops] } : {}) } } : {}),
        },
      ];
    }),
  ) as z.infer<typeof policyOut>['types'];
  return {
    id: p.id,
    version: configured ? p.version : 0,
    source: configured ? 'configured' : 'default',
    updatedAt: configured && stored ? stored.updatedAt.toISOString() : null,
    shipmentWarningMinutes: p.shipmentWarningMinutes,
    types,
  };
}


export const exceptionRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal } = app.services;
  // Resolution params that edit a receiver (edit_order, choose_address) are stored masked and sealed.
  const cipher = fieldCipherFor(app.services.config, app.services.logger);
  const viewFor = (role: Parameters<typeof seesBuyerData>[0]): ResolutionView => (seesBuyerData(role) ? (s) => openResolution(cipher, s) : maskedResolution);

  app.get(
    '/v1/exceptions',
    {
      schema: {
        tags: ['exceptions'],
        summary: 'The exception queue: critical first, then higher priority, then the earliest due',
        description: 'Keyset paged: pass `nextCursor` back as `cursor` for the next page (with the same filters).',
        querystring: z.strictObject({
          type: z.enum(EXCEPTION_TYPES).optional(),
          status: z.enum(['open', 'resolved', 'all']).default('open'),
          shopId: z.string().min(1).max(64).optional(),
          orderId: z.string().min(1).max(300).optional(),
          warehouseCode: z.string().min(1).max(64).optional(),
          owner: z.string().min(1).max(100).optional().describe('The person it is assigned to'),
          ownerRole: z.enum(OWNER_ROLES).optional(),
          overdue: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional()
            .describe('true: open and past due; false: the others'),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: z.string().min(1).max(500).optional(),
        }),
        response: { 200: z.object({ items: z.array(exceptionOut), nextCursor: z.string().nullable() }), 400: errorBody },
      },
    },
    async (req) => {
      const { status, ...q } = req.query;
      try {
        const page = await listExceptions(db, { ...q, ...shopFilter(req), ...(status !== 'all' ? { status } : {}) });
        const now = Date.now();
        return { items: page.items.map((r) => toOut(r, now)), nextCursor: page.nextCursor };
      } catch (e) {
        if (e instanceof InvalidCursorError) throw new AppError('bad_request', e.message);
        throw e;
      }
    },
  );

  app.get(
    '/v1/exceptions/summary',
    {
      schema: {
        tags: ['exceptions'],
        summary: 'Open exceptions now: counts, overdue counts and ages, by type, severity and escalation level',
        querystring: z.strictObject({
          shopId: z.string().min(1).max(64).optional(),
          warehouseCode: z.string().min(1).max(64).optional(),
          ownerRole: z.enum(OWNER_ROLES).optional(),
        }),
        response: { 200: summaryOut, 400: errorBody },
      },
    },
    async (req): Promise<z.infer<typeof summaryOut>> => {
      const s = await exceptionSummary(db, { ...req.query, ...shopFilter(req) });
      const f = (x: OpenFigures) => ({ open: x.open, overdue: x.overdue, oldestOpenedAt: x.oldestOpenedAt, ageSeconds: x.ageSeconds });
      return {
        at: s.at,
        total: f(s.total),
        byType: s.byType.map((x) => ({ type: x.type, ...f(x) })),
        bySeverity: s.bySeverity.map((x) => ({ severity: x.severity, ...f(x) })),
        byLevel: s.byLevel.map((x) => ({ level: x.level, ...f(x) })),
      };
    },
  );

  app.get(
    '/v1/exceptions/:id',
    {
      schema: {
        tags: ['exceptions'],
        summary: 'One exception with its ranked suggestions and its history',
        params: idParams,
        response: { 200: exceptionDetailOut, 400: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const found = await getException(db, req.params.id);
      if (!found) throw new AppError('not_found', `no exception ${req.params.id}`);
      const view = viewFor(req.auth?.role);
      return {
        ...toOut(found.row, Date.now(), view),
        suggestions: found.row.suggestions.map((s) => ({ ...s, params: { ...s.params } })),
        events: found.events.map((e) => eventToOut(e, view)),
      };
    },
  );

  app.post(
    '/v1/exceptions/:id/assign',
    {
      schema: {
        tags: ['exceptions'],
        summary: 'Assign an open exception to a person',
        description: 'A resolved exception is refused with 409. Assigning it to its owner again changes nothing.',
        params: idParams,
        body: z.strictObject({ owner: text(100).describe('The person who takes it'), actor: text(100).describe('Who assigns it') }),
        response: { 200: exceptionOut, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req) => {
      const r = await assignException(db, req.params.id, req.body.owner, req.body.actor);
      if (r.outcome === 'not_found') throw new AppError('not_found', `no exception ${req.params.id}`);
      if (r.outcome === 'resolved') throw new AppError('conflict', `exception ${req.params.id} is resolved: it cannot be assigned`);
      if (r.outcome === 'assigned') req.log.info({ exceptionId: req.params.id, owner: req.body.owner, actor: req.body.actor }, 'exception assigned');
      return toOut(r.row);
    },
  );

  app.post(
    '/v1/exceptions/:id/resolve',
    {
      schema: {
        tags: ['exceptions'],
        summary: 'Resolve an open exception with one of the actions that fit its type',
        description:
          "An order's exception is sent to its order workflow as the `resolveException` Temporal update, which refuses (409, with its reason) an action the order cannot take now; the result says whether the order resolved it at once or is carrying it out. A shop-level exception (no order) can only be acknowledged, which is recorded at once. A resolved exception, or an action that does not fit the type, is refused with 409 and changes nothing.",
        params: idParams,
        body: resolveBody,
        response: { 200: resolutionOut, 400: errorBody, 404: errorBody, 409: errorBody, 503: errorBody },
      },
    },
    async (req): Promise<z.infer<typeof resolutionOut>> => {
      const id = req.params.id;
      const b = req.body;
      const found = await getException(db, id);
      if (!found) throw new AppError('not_found', `no exception ${id}`);
      const row = found.row;
      if (row.status !== 'open') throw new AppError('conflict', `exception ${id} is already resolved`);
      if (!actionFits(row.type, b.action)) {
        throw new AppError('conflict', `${b.action} does not resolve a ${row.type} exception; it takes ${ACTIONS_BY_TYPE[row.type].join(', ')}`, { actions: actionsFor(row) });
      }

      // Recorded here, not by a workflow: an acknowledgement of an exception no running order workflow follows.
      const acknowledge = async (orderId: string | null) => {
        const done = await resolveExceptionRecord(db, cipher, id, { action: b.action, ...(b.params ? { params: b.params } : {}), ...(b.comment ? { comment: b.comment } : {}) }, b.resolvedBy);
        if (!done) throw new AppError('conflict', `exception ${id} is already resolved`);
        req.log.info({ exceptionId: id, orderId, action: b.action, by: b.resolvedBy }, 'exception acknowledged');
        // Its watch (`exception:<id>`) ends now; if the signal is lost, the watch finds it resolved at its next level.
        await endExceptionWatch(temporal, id, { action: b.action, resolvedBy: b.resolvedBy, at: new Date().toISOString() }).catch((e: unknown) =>
          req.log.warn({ exceptionId: id, err: e instanceof Error ? e.message : String(e) }, 'exception watch not told of the resolution'),
        );
        return { exceptionId: id, orderId, action: b.action, status: 'resolved' as const };
      };
      if (!row.order_id) {
        if (b.action !== 'acknowledge') throw new AppError('conflict', `exception ${id} concerns no order: it can only be acknowledged`, { actions: actionsFor(row) });
        return acknowledge(null);
      }

      const orderId = row.order_id;
      const resolution: ExceptionResolution = {
        exceptionId: id,
        action: b.action,
        resolvedBy: b.resolvedBy,
        ...(b.params ? { params: b.params } : {}),
        ...(b.comment ? { comment: b.comment } : {}),
      };
      try {
        const result = await temporal.workflow.getHandle(orderId).executeUpdate(resolveExceptionUpdate, { args: [resolution] });
        req.log.info({ exceptionId: id, orderId, action: b.action, by: b.resolvedBy, status: result.status }, 'exception resolution sent to the order');
        return { exceptionId: result.exceptionId, orderId: result.orderId, action: result.action, status: result.status };
      } catch (e) {
        // The validator refused it (not the order's, already resolved, not possible in the order's state).
        // An exception the order workflow does not follow (opened by a channel activity, or by a run from before
        // the exception centre) can still be acknowledged; any other action needs the order's workflow.
        if (e instanceof WorkflowUpdateFailedError) {
          const reason = e.cause?.message ?? e.message;
          if (b.action === 'acknowledge' && /is not one of order/.test(reason)) return acknowledge(orderId);
          throw new AppError('conflict', reason);
        }
        if (e instanceof WorkflowNotFoundError || (e as Error).message?.includes('workflow execution already completed')) {
          // A finished order (a parcel that went despite an interception) is settled on the platform: the
          // decision to refund is recorded here for the seller's service staff, like an acknowledgement.
          if (b.action === 'acknowledge' || b.action === 'refund') return acknowledge(orderId);
          const finished = (e as Error).message?.includes('already completed');
          throw new AppError('conflict', finished ? `order ${orderId} has finished: it takes no resolution but acknowledge or refund` : `order ${orderId} has no workflow to carry the resolution out`);
        }
        throw new AppError('unavailable', `Temporal did not answer: ${(e as Error).message}`);
      }
    },
  );

  app.get(
    '/v1/settings/exception-policy',
    {
      schema: {
        tags: ['exceptions', 'settings'],
        summary: 'The exception policy in force: severity, owner, SLA and escalation per type',
        description: 'Every new exception takes its severity, owner role and due time from it; its `opened` event records the policy id and version.',
        response: { 200: policyOut },
      },
    },
    async () => policyView(await getSetting<unknown>(db, EXCEPTION_POLICY_KEY)),
  );

  app.put(
    '/v1/settings/exception-policy',
    {
      schema: {
        tags: ['exceptions', 'settings'],
        summary: 'Replace the exception policy (its version goes up by one); applies to exceptions opened from now on',
        description: 'Types it does not name keep their defaults. Exceptions already open keep their due time.',
        body: exceptionPolicyInput,
        response: { 200: policyOut, 400: errorBody },
      },
    },
    async (req) => {
      const before = await getSetting<unknown>(db, EXCEPTION_POLICY_KEY);
      const saved = await putSetting(db, EXCEPTION_POLICY_KEY, req.body);
      req.auditChange(before ? { version: before.version, value: before.value } : null, { version: saved.version, value: saved.value });
      req.log.info({ version: saved.version, policy: req.body }, 'exception policy changed');
      return policyView(saved);
    },
  );

  settingVersionRoute(app, db, {
    path: '/v1/settings/exception-policy',
    key: EXCEPTION_POLICY_KEY,
    what: 'exception policy',
    tags: ['exceptions', 'settings'],
    description: 'Every version an exception names can be read back. The built-in default (version 0) is not a stored version.',
    out: policyOut,
    view: policyView,
  });
};
