import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { fieldCipherFor } from '../config/field-cipher.js';
import { openException } from '../db/channels.repository.js';
import { escalateException, recordNotification, refreshException, resolveExceptionRecord } from '../db/exceptions.repository.js';
import { getSetting } from '../db/settings.repository.js';
import { EXCEPTION_POLICY_KEY, exceptionPolicyFrom } from '../domain/exceptions/policy.js';
import { autoResolution, type ResolutionAction, type Suggestion } from '../domain/exceptions/actions.js';
import { exceptionTypeOf, type ExceptionType, type FinalAction, type OwnerRole } from '../domain/exceptions/model.js';
import type { CanonicalOrder } from '../domain/order.js';
import { suggestionsFor } from './exception-suggestions.js';
import type { ActivityDeps } from './order-activities.js';

/** What the order workflow learns of an exception it opened: enough to hold its SLA timers. */
export interface OpenedException {
  created: boolean;
  id?: string;
  type?: ExceptionType;
  dueAt?: string;
  levels?: { level: number; at: string; ownerRole: OwnerRole }[];
  /** What the policy does once the last level has passed too, and when. */
  finalAction?: { action: FinalAction; at: string };
  /** The resolution the policy applies by itself now (its automatic resolution, and the suggestion it takes). */
  autoResolve?: AutoResolution;
}

/** A resolution the exception policy applies by itself: the best suggestion of the policy's action. */
export interface AutoResolution {
  action: ResolutionAction;
  params: Record<string, unknown>;
  label: string;
  policy: string;
}

export interface RefreshExceptionInput {
  exceptionId: string;
  orderId: string;
  shopId: string;
  kind: string;
  detail: Record<string, unknown>;
  order: CanonicalOrder;
}

export interface AnnounceInput {
  exceptionId: string;
  orderId: string;
  shopId: string;
  type: ExceptionType;
  /** What the seller's systems are asked to do: remind the buyer, refund on the platform. */
  event: 'exception.notify_buyer' | 'exception.refund_requested';
  by: string;
  detail: Record<string, unknown>;
}

export interface EscalateInput {
  exceptionId: string;
  /** Null for a shop's exception (watched by `exception:<id>`, not by an order workflow). */
  orderId: string | null;
  shopId: string | null;
  type: ExceptionType;
  level: number;
  ownerRole: OwnerRole;
}

/**
 * Exception activities: opening (typed, owned, due), escalation with its outbound notification, and the record
 * of a resolution. Each is idempotent: keyed by the exception id and the level or resolution.
 */
export function createExceptionActivities({ db, config, logger }: ActivityDeps) {
  const log = logger.child({ component: 'exceptions' });

  /**
   * Announces an escalation to the configured webhook: JSON, signed with HMAC-SHA256 of the body
   * (`x-orderly-signature: sha256=<hex>`); a non-2xx answer or no answer fails the activity, which Temporal
   * retries with back-off.
   */
  const notify = async (payload: Record<string, unknown> & { event: string }): Promise<number | undefined> => {
    const url = config.EXCEPTION_WEBHOOK_URL;
    if (!url) return undefined;
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-orderly-event': payload.event };
    if (config.EXCEPTION_WEBHOOK_SECRET) headers['x-orderly-signature'] = `sha256=${createHmac('sha256', config.EXCEPTION_WEBHOOK_SECRET).update(body).digest('hex')}`;
    const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw ApplicationFailure.retryable(`exception webhook answered ${res.status}`, 'WebhookRefused');
    return res.status;
  };

  /** The policy's automatic resolution of a type for a shop, among `suggestions`, if any. */
  const autoResolveOf = async (type: ExceptionType, shopId: string, suggestions: readonly Suggestion[]): Promise<AutoResolution | undefined> => {
    const policy = exceptionPolicyFrom(await getSetting<unknown>(db, EXCEPTION_POLICY_KEY));
    const s = autoResolution(policy.types[type].autoResolve, shopId, suggestions);
    return s && { action: s.action, params: { ...s.params }, label: s.label, policy: `${policy.id} v${policy.version}` };
  };

  const suggest = (input: { type: ExceptionType; kind: string; shopId: string; orderId: string; order?: CanonicalOrder; detail: Record<string, unknown> }) =>
    // Suggestions are a help, never a reason for an exception to go unrecorded.
    suggestionsFor(db, input).catch((e: unknown) => {
      log.warn({ orderId: input.orderId, kind: input.kind, err: e }, 'no suggestions for the exception');
      return [] as Suggestion[];
    });

  return {
    /** How long before a promised ship time an unshipped order raises SHIPMENT_OVERDUE (the policy's warning lead). */
    async shipmentWarningLead(): Promise<{ minutes: number }> {
      return { minutes: exceptionPolicyFrom(await getSetting<unknown>(db, EXCEPTION_POLICY_KEY)).shipmentWarningMinutes };
    },

    /** Opens (or finds the open) exception of a kind on the order: its type, owner and due time come from the policy. */
    async openOrderException(input: { orderId: string; shopId: string; kind: string; detail: Record<string, unknown>; order?: CanonicalOrder }): Promise<OpenedException> {
      const type = exceptionTypeOf(input.kind);
      const suggestions = await suggest({ ...input, type });
      const r = await openException(db, { kind: input.kind, type, shopId: input.shopId, orderId: input.orderId, detail: input.detail, suggestions });
      const auto = r.created ? await autoResolveOf(type, input.shopId, suggestions) : undefined;
      return {
        ...(auto ? { autoResolve: auto } : {}),
        created: r.created,
        id: r.id,
        type: r.type,
        dueAt: r.dueAt,
        levels: r.schedule.levels.map((l) => ({ level: l.level, at: l.at, ownerRole: l.ownerRole })),
        ...(r.schedule.finalAction ? { finalAction: { ...r.schedule.finalAction } } : {}),
      };
    },

    /**
     * Brings an open exception's detail and suggestions up to date (an order planned again is short of other
     * things now); answers the suggestions and the policy's automatic resolution among them, if any.
     */
    async refreshOrderException(input: RefreshExceptionInput): Promise<{ refreshed: boolean; suggestions: Suggestion[]; autoResolve?: AutoResolution }> {
      const type = exceptionTypeOf(input.kind);
      const suggestions = await suggest({ ...input, type });
      const refreshed = await refreshException(db, input.exceptionId, input.detail, suggestions);
      const auto = refreshed ? await autoResolveOf(type, input.shopId, suggestions) : undefined;
      return { refreshed, suggestions, ...(auto ? { autoResolve: auto } : {}) };
    },

    /**
     * Asks the seller's systems to act on an exception (remind the buyer, refund on the platform) through the
     * outbound webhook, signed like an escalation, and records that they were asked.
     */
    async announceException(input: AnnounceInput): Promise<{ notified?: number }> {
      const at = new Date().toISOString();
      const status = await notify({ event: input.event, exceptionId: input.exceptionId, orderId: input.orderId, shopId: input.shopId, type: input.type, by: input.by, at, ...input.detail });
      await recordNotification(db, input.exceptionId, { event: input.event, by: input.by, ...input.detail, ...(status !== undefined ? { status, url: config.EXCEPTION_WEBHOOK_URL } : { sent: false }) }, at, input.by);
      log.info({ exceptionId: input.exceptionId, orderId: input.orderId, event: input.event, status }, 'exception announced');
      return status !== undefined ? { notified: status } : {};
    },

    /** Raises an exception to `level` (new owner role), announces it, and logs it. */
    async escalateOrderException(input: EscalateInput): Promise<{ escalated: boolean; notified?: number }> {
      const at = new Date().toISOString();
      const escalated = await escalateException(db, input.exceptionId, input.level, input.ownerRole, at);
      if (!escalated) return { escalated: false };
      log.warn({ exceptionId: input.exceptionId, orderId: input.orderId, type: input.type, level: input.level, ownerRole: input.ownerRole }, 'exception escalated');
      const status = await notify({ event: 'exception.escalated', exceptionId: input.exceptionId, orderId: input.orderId, shopId: input.shopId, type: input.type, level: input.level, ownerRole: input.ownerRole, at });
      if (status !== undefined) await recordNotification(db, input.exceptionId, { level: input.level, status, url: config.EXCEPTION_WEBHOOK_URL });
      return { escalated: true, ...(status !== undefined ? { notified: status } : {}) };
    },

    /** Records how an exception was resolved, and by whom (a person, a rule, or Orderly when its cause went away). */
    async recordExceptionResolution(input: {
      exceptionId: string;
      orderId: string;
      action: ResolutionAction;
      resolvedBy: string;
      at: string;
      comment?: string;
      params?: Record<string, unknown>;
    }): Promise<{ recorded: boolean }> {
      const recorded = await resolveExceptionRecord(
        db,
        fieldCipherFor(config, logger),
        input.exceptionId,
        { action: input.action, ...(input.params ? { params: input.params } : {}), ...(input.comment ? { comment: input.comment } : {}) },
        input.resolvedBy,
        input.at,
      );
      if (recorded) log.info({ exceptionId: input.exceptionId, orderId: input.orderId, action: input.action, by: input.resolvedBy }, 'exception resolved');
      return { recorded };
    },
  };
}
