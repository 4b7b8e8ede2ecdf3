// Every message of the exception watch workflow and its typed name: callers (the channel and review
// activities, the webhook and exception routes, tests) use these definitions, never string names.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ExceptionType, FinalAction, OwnerRole } from '../domain/exceptions/model.js';

/** An exception watch's id, readable in the Temporal UI: one per exception, so a second start finds the first. */
export function exceptionWatchWorkflowId(exceptionId: string | number): string {
  return `exception:${exceptionId}`;
}

/**
 * An exception no order workflow follows (a shop's sync failing, a write-back the platform refused, a review
 * overdue on a run from before the exception centre), with its SLA schedule as it was opened.
 */
export interface ExceptionWatchInput {
  exceptionId: string;
  /** The specific cause (`channel_malformed_push`). */
  kind: string;
  type: ExceptionType;
  shopId: string | null;
  /** The order it concerns, if any (its workflow has ended, or does not follow this exception). */
  orderId: string | null;
  openedAt: string;
  dueAt: string;
  /** The escalation level it is at already (0 for a new one); only the levels above it are watched. */
  level: number;
  /** Each level's time and owner role, in order (from `scheduleFor` under the policy in force). */
  levels: { level: number; at: string; ownerRole: OwnerRole }[];
  /** The policy's final action and when it is due; this workflow carries none out, it only says so. */
  finalAction?: { action: Exclude<FinalAction, 'none'>; at: string };
}

/** Sent by whoever resolves the exception (the resolve route): the watch ends without escalating again. */
export interface ExceptionResolvedNotice {
  action: string;
  resolvedBy: string;
  at: string;
}

/**
 * How a watch ended: `resolved` (told so), `closed` (the escalation found it resolved or already at that
 * level), `escalated` (every level passed unresolved).
 */
export type ExceptionWatchOutcome = 'resolved' | 'closed' | 'escalated';

export interface ExceptionWatchState {
  exceptionId: string;
  type: ExceptionType;
  level: number;
  /** The next level and when it is due; absent once every level has passed. */
  next?: { level: number; at: string; ownerRole: OwnerRole };
  resolved?: ExceptionResolvedNotice;
  /** Levels this watch escalated to, and when. */
  escalations: { level: number; ownerRole: OwnerRole; at: string }[];
  /** The final action the policy names, left to a person (noted when its time came). */
  finalActionSkipped?: { action: string; at: string; reason: string };
  outcome?: ExceptionWatchOutcome;
}

export interface ExceptionWatchResult {
  exceptionId: string;
  outcome: ExceptionWatchOutcome;
  level: number;
}

/** The exception watch as callers see it (`workflows/exception-watch.workflow.ts` implements it under this name). */
export type ExceptionWatchWorkflow = (input: ExceptionWatchInput) => Promise<ExceptionWatchResult>;
export const exceptionWatchWorkflowType = 'exceptionWatchWorkflow';

/** The exception was resolved: stop watching it. A second notice changes nothing. */
export const exceptionResolvedSignal = defineSignal<[ExceptionResolvedNotice]>('exceptionResolved');
export const exceptionWatchStateQuery = defineQuery<ExceptionWatchState>('exceptionWatchState');
