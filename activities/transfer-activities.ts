import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { recordDecisions, type DecisionEntry } from '../db/decisions.repository.js';
import { findTransfer, listOrderTransfers, markTransferShipped, receiveTransfer, type ReceiveResult } from '../db/reservations.repository.js';
import type { DecisionRecord, TransferProposal } from '../domain/fulfilment/index.js';
import { wakeStockWaiters } from '../ingest/stock-wake.js';
import type { DecisionSummary } from './fulfilment.types.js';
import type { OrderTransfer, OrderTransferStatus } from '../workflows/order.messages.js';
import { transferSummary, transferWorkflowId, transferWorkflowType, type TransferWorkflow, type TransferWorkflowInput } from '../workflows/transfer.messages.js';
import type { ActivityDeps } from './order-activities.js';

/** The decision log's record of one step of a transfer (the log's kinds: it is part of the allocation). */
function transferDecision(t: { id: number; sku_code: string; quantity: number; from_warehouse_code: string; to_warehouse_code: string; line_ref: string }, outcome: string): DecisionRecord {
  return {
    kind: 'allocation',
    subject: transferWorkflowId(t.id),
    ruleId: 'transfer',
    ruleVersion: 1,
    outcome,
    chosen: [t.from_warehouse_code, t.to_warehouse_code],
    candidates: [],
    excluded: [],
    steps: [{ step: 'transfer', outcome: `${t.quantity} × ${t.sku_code} for line ${t.line_ref}: ${t.from_warehouse_code} → ${t.to_warehouse_code}` }],
  };
}

function summarise(entries: readonly DecisionEntry[]): DecisionSummary[] {
  return entries.map((e) => ({ step: e.stepKey, kind: e.record.kind, ruleId: e.record.ruleId, ruleVersion: e.record.ruleVersion, outcome: e.record.outcome }));
}

function statusOf(s: string): OrderTransferStatus {
  return s === 'done' ? 'received' : (s as OrderTransferStatus);
}

/**
 * Transfer activities: starting the transfer workflows of an order's plan, and the stock movements they
 * report. Each is idempotent, keyed by the transfer id.
 */
export function createTransferActivities({ db, temporal, config, logger }: ActivityDeps) {
  const log = logger.child({ component: 'transfers' });
  return {
    /**
     * Starts the workflow `transfer:<id>` of each of the order's recorded transfers the plan relies on (the
     * reservation recorded them), and logs each as a decision. A retry starts nothing twice.
     */
    async startTransfers({ orderId, transfers }: { orderId: string; transfers: TransferProposal[] }): Promise<{ transfers: OrderTransfer[]; decisions: DecisionSummary[] }> {
      const rows = (await listOrderTransfers(db, orderId)).filter((r) => transfers.some((t) => t.lineRef === r.line_ref && t.fromWarehouseCode === r.from_warehouse_code));
      const entries: DecisionEntry[] = [];
      for (const r of rows) {
        const args: [TransferWorkflowInput] = [
          { transferId: r.id, orderId, lineRef: r.line_ref, skuCode: r.sku_code, fromWarehouseCode: r.from_warehouse_code, toWarehouseCode: r.to_warehouse_code, quantity: r.quantity },
        ];
        try {
          await temporal.workflow.start<TransferWorkflow>(transferWorkflowType, {
            workflowId: transferWorkflowId(r.id),
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            args,
            // A transfer is carried out once: a finished one is never started again under its id.
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            staticSummary: transferSummary(args[0]),
          });
        } catch (e) {
          if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
        }
        entries.push({ stepKey: `transfer:${r.id}`, record: transferDecision(r, `transfer ${r.id} requested: ${r.quantity} × ${r.sku_code} from ${r.from_warehouse_code} to ${r.to_warehouse_code}`) });
      }
      await recordDecisions(db, orderId, entries);
      log.info({ orderId, transfers: rows.map((r) => r.id) }, 'transfers started');
      return {
        transfers: rows.map((r) => ({
          transferId: r.id,
          lineRef: r.line_ref,
          skuCode: r.sku_code,
          quantity: r.quantity,
          fromWarehouseCode: r.from_warehouse_code,
          toWarehouseCode: r.to_warehouse_code,
          status: statusOf(r.status),
          ...(r.tracking_no ? { trackingNo: r.tracking_no } : {}),
          ...(r.expected_arrival ? { expectedArrival: r.expected_arrival.toISOString() } : {}),
          ...(r.received_at ? { receivedAt: r.received_at.toISOString() } : {}),
        })),
        decisions: summarise(entries),
      };
    },

    /** The source shipped the units: the row and the order's decision log say when they are expected. */
    async recordTransferShipped(input: { transferId: number; orderId: string; trackingNo?: string; expectedArrival: string; shippedAt: string }): Promise<{ applied: boolean }> {
      const applied = await markTransferShipped(db, input.transferId, input);
      const t = await findTransfer(db, input.transferId);
      if (applied && t) {
        const outcome = `transfer ${t.id} shipped${input.trackingNo ? ` (${input.trackingNo})` : ''}; expected at ${t.to_warehouse_code} by ${input.expectedArrival}`;
        // Keyed by the expected arrival: a revised estimate is logged too, a retry is not.
        await recordDecisions(db, input.orderId, [{ stepKey: `transfer:${t.id}:shipped:${input.expectedArrival}`, record: transferDecision(t, outcome) }]);
      }
      return { applied };
    },

    /**
     * The target received the units: they move from the source's stock to the target's and are reserved
     * there for the order (see `receiveTransfer`). Units an order no longer holds (it was cancelled while
     * they travelled) are offered to the orders waiting for them at the target.
     */
    async receiveTransfer(input: { transferId: number; orderId: string; receivedAt: string }): Promise<ReceiveResult> {
      const result = await receiveTransfer(db, input.transferId, input.receivedAt);
      const t = await findTransfer(db, input.transferId);
      if (result.applied && t) {
        const outcome = `transfer ${t.id} received at ${t.to_warehouse_code}: ${t.quantity} × ${t.sku_code}${result.reservedForOrder ? ' reserved there for the order' : ' into free stock'}`;
        await recordDecisions(db, input.orderId, [{ stepKey: `transfer:${t.id}:received`, record: transferDecision(t, outcome) }]);
        if (result.reservedForOrder === 0) await wakeStockWaiters({ db, client: temporal, logger }, [{ skuCode: t.sku_code, warehouseCode: t.to_warehouse_code }], 'transfer');
      }
      return result;
    },
  };
}

export type TransferActivities = ReturnType<typeof createTransferActivities>;
