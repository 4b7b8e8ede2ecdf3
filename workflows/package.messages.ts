import type { SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DecisionRecord } from '../domain/fulfilment/decision.js';
import { ChannelKey, PackageStatusKey, ShopIdKey, WarehouseKey } from './search-attributes.js';
import { clipUtf8 } from './order.messages.js';

/** A package (parcel) workflow's id, readable in the Temporal UI. */
export function packageWorkflowId(packageId: string): string {
  return `package:${packageId}`;
}

export interface PackageWorkflowInput {
  packageId: string;
  /** When the hold window closes and the package is sealed (UTC ISO instant). */
  windowEnd: string;
}

/** What the order opening a package knows of it: its summary and attributes at start come from this. */
export interface PackageOpening {
  packageId: string;
  platform: string;
  shopId: string;
  platformOrderId: string;
  warehouseCode: string;
  logisticsClass: string;
  /** The opening order's lines in the parcel. */
  lines: number;
}

/**
 * The package's one line for the Temporal UI (its workflow's summary, set by the start from the order that
 * opened it; the members that join later are in its current details). No buyer data.
 */
export function packageSummary(p: PackageOpening): string {
  return clipUtf8(`package ${p.packageId} · ${p.warehouseCode} ${p.logisticsClass} · shop ${p.shopId} · opened by ${p.platform} order ${p.platformOrderId} (${p.lines} line(s))`);
}

/** The search attributes a package starts with (`PackageStatus` then follows it: sealed, released, shipped, ...). */
export function packageStartAttributes(p: PackageOpening): SearchAttributePair[] {
  return [
    { key: PackageStatusKey, value: 'open' },
    { key: WarehouseKey, value: p.warehouseCode },
    { key: ShopIdKey, value: p.shopId },
    { key: ChannelKey, value: p.platform },
  ];
}

/** A member order joining (sent by signal-with-start from the order's `joinPackage` activity). */
export interface PackageJoin {
  orderId: string;
  packageKey: string;
}

/** What the warehouse (a WMS or a person through the API) reports about a released package. */
export type WarehouseEvent =
  | { eventId: string; type: 'picked'; at?: string }
  | { eventId: string; type: 'shipped'; carrierCode: string; trackingNo: string; at?: string }
  | { eventId: string; type: 'failed'; reason: string; at?: string }
  /** An interception asked for by a member order succeeded: the parcel is back in stock and never ships. */
  | { eventId: string; type: 'intercepted'; at?: string }
  /** The parcel could not be stopped: it ships (a `shipped` event follows). */
  | { eventId: string; type: 'intercept_failed'; reason?: string; at?: string };

export type PackageStatus = 'open' | 'sealed' | 'released' | 'picked' | 'shipped' | 'failed' | 'cancelled' | 'intercepted';

/**
 * The failure type of a package activity, and then of the package workflow, when the database holds no
 * package of that id: a non-retryable failure, since no retry makes one appear.
 */
export const UNKNOWN_PACKAGE_FAILURE = 'UnknownPackage';

export interface PackageState {
  packageId: string;
  status: PackageStatus;
  windowEnd: string;
  /** Orders that asked to join, in arrival order (the sealed list is the database's, at sealing time). */
  joined: string[];
  members: string[];
  interceptRequestedBy: string[];
  carrierCode?: string;
  trackingNo?: string;
  failureReason?: string;
  carrierDecision?: DecisionRecord;
  events: { type: string; at: string; detail?: Record<string, unknown> }[];
}

/** The package workflow as callers see it (`workflows/package.workflow.ts` implements it under this name). */
export type PackageWorkflow = (input: PackageWorkflowInput) => Promise<{ packageId: string; status: PackageStatus }>;
export const packageWorkflowType = 'packageWorkflow';

export const packageJoinSignal = defineSignal<[PackageJoin]>('packageJoin');
export const packageLeaveSignal = defineSignal<[{ orderId: string }]>('packageLeave');
export const packageInterceptSignal = defineSignal<[{ orderId: string; reason: string }]>('packageIntercept');
export const warehouseEventSignal = defineSignal<[WarehouseEvent]>('warehouseEvent');
export const packageStateQuery = defineQuery<PackageState>('packageState');
