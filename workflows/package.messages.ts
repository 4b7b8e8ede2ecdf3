import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DecisionRecord } from '../domain/fulfilment/decision.js';

/** A package (parcel) workflow's id, readable in the Temporal UI. */
export function packageWorkflowId(packageId: string): string {
  return `package:${packageId}`;
}

export interface PackageWorkflowInput {
  packageId: string;
  /** When the hold window closes and the package is sealed (UTC ISO instant). */
  windowEnd: string;
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
  | { eventId: string; type: 'failed'; reason: string; at?: string };

export type PackageStatus = 'open' | 'sealed' | 'released' | 'picked' | 'shipped' | 'failed' | 'cancelled';

/** Sent by a package to each of its member orders. */
export type PackageUpdate =
  | { packageId: string; type: 'released'; carrierCode: string | null; memberOrderIds: string[] }
  | { packageId: string; type: 'picked'; at: string }
  | { packageId: string; type: 'shipped'; carrierCode: string; trackingNo: string; at: string }
  | { packageId: string; type: 'failed'; reason: string; at: string }
  /** The package was sealed without this member (it had left): nothing of it ships in this package. */
  | { packageId: string; type: 'dropped'; at: string };

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

export const packageJoinSignal = defineSignal<[PackageJoin]>('packageJoin');
export const packageLeaveSignal = defineSignal<[{ orderId: string }]>('packageLeave');
export const packageInterceptSignal = defineSignal<[{ orderId: string; reason: string }]>('packageIntercept');
export const warehouseEventSignal = defineSignal<[WarehouseEvent]>('warehouseEvent');
export const packageStateQuery = defineQuery<PackageState>('packageState');

/** The order workflow's signal for news from its packages. */
export const packageUpdateSignal = defineSignal<[PackageUpdate]>('packageUpdate');
