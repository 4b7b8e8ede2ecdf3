// Every message of the transfer workflow and its typed name: callers (the order's activities, the API,
// tests) use these definitions, never string names.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { clipUtf8 } from './order.messages.js';

/** A transfer workflow's id, readable in the Temporal UI. */
export function transferWorkflowId(transferId: number | string): string {
  return `transfer:${transferId}`;
}

/** One stock move between warehouses an order's plan relies on (a `transfers` row). */
export interface TransferWorkflowInput {
  transferId: number;
  /** The order waiting for the units at the target warehouse. */
  orderId: string;
  lineRef: string;
  skuCode: string;
  fromWarehouseCode: string;
  toWarehouseCode: string;
  quantity: number;
}

/** The transfer's one line for the Temporal UI (its workflow's summary, set at start). */
export function transferSummary(t: TransferWorkflowInput): string {
  return clipUtf8(`transfer ${t.transferId} · ${t.quantity} × ${t.skuCode} · ${t.fromWarehouseCode} → ${t.toWarehouseCode} · for ${t.orderId}`);
}

/** What the warehouses (a WMS or a person through the API) report about a transfer. */
export type TransferEvent =
  | { eventId: string; type: 'shipped'; trackingNo?: string; expectedArrival: string; at?: string }
  | { eventId: string; type: 'received'; quantity: number; at?: string }
  /** The order gave the units back before they left the source: nothing moves. */
  | { eventId: string; type: 'cancelled'; reason: string; at?: string };

export type TransferStatus = 'requested' | 'shipped' | 'received' | 'cancelled';

export interface TransferState {
  transferId: number;
  orderId: string;
  status: TransferStatus;
  skuCode: string;
  quantity: number;
  fromWarehouseCode: string;
  toWarehouseCode: string;
  trackingNo?: string;
  expectedArrival?: string;
  receivedAt?: string;
  events: { type: string; at: string; detail?: Record<string, unknown> }[];
}

/** The transfer workflow as callers see it (`workflows/transfer.workflow.ts` implements it under this name). */
export type TransferWorkflow = (input: TransferWorkflowInput) => Promise<{ transferId: number; status: TransferStatus }>;
export const transferWorkflowType = 'transferWorkflow';

/** Shipped (with the expected arrival), received at the target, or cancelled; each event id applied once. */
export const transferEventSignal = defineSignal<[TransferEvent]>('transferEvent');
export const transferStateQuery = defineQuery<TransferState>('transferState');
