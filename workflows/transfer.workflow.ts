import { allHandlersFinished, condition, getExternalWorkflowHandle, log, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { workflowNow } from './clock.js';
import { transferUpdateSignal, type TransferUpdate } from './order.messages.js';
import { transferEventSignal, transferStateQuery, type TransferEvent, type TransferState, type TransferStatus, type TransferWorkflowInput } from './transfer.messages.js';

const { recordTransferShipped, receiveTransfer } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * One stock move between warehouses, `transfer:<id>`, started by the order whose plan relies on it once the
 * source's units are reserved for it. The source reports it shipped (with the expected arrival), the target
 * reports it received: then the units are moved into the target's stock, reserved there for the order, and
 * the order is told. An order cancelled before the units left cancels it.
 */
export async function transferWorkflow(input: TransferWorkflowInput): Promise<{ transferId: number; status: TransferStatus }> {
  let status: TransferStatus = 'requested';
  let trackingNo: string | undefined;
  let expectedArrival: string | undefined;
  let receivedAt: string | undefined;
  const seen = new Set<string>();
  const inbox: TransferEvent[] = [];
  const events: TransferState['events'] = [];

  const record = (type: string, detail?: Record<string, unknown>): void => void events.push({ type, at: workflowNow().toISOString(), ...(detail ? { detail } : {}) });
  const show = () =>
    setCurrentDetails(
      `**${status}** · ${input.quantity} × ${input.skuCode} ${input.fromWarehouseCode} → ${input.toWarehouseCode}${expectedArrival && status === 'shipped' ? ` · expected ${expectedArrival}` : ''}`,
    );

  setHandler(transferEventSignal, (e) => {
    if (seen.has(e.eventId)) return;
    seen.add(e.eventId);
    inbox.push(e);
  });
  setHandler(transferStateQuery, (): TransferState => ({
    transferId: input.transferId,
    orderId: input.orderId,
    status,
    skuCode: input.skuCode,
    quantity: input.quantity,
    fromWarehouseCode: input.fromWarehouseCode,
    toWarehouseCode: input.toWarehouseCode,
    ...(trackingNo ? { trackingNo } : {}),
    ...(expectedArrival ? { expectedArrival } : {}),
    ...(receivedAt ? { receivedAt } : {}),
    events: [...events],
  }));

  const tell = async (update: TransferUpdate) => {
    try {
      await getExternalWorkflowHandle(input.orderId).signal(transferUpdateSignal, update);
    } catch (err) {
      // An order that has finished no longer listens; the stock has moved all the same.
      log.warn('order did not take the transfer update', { orderId: input.orderId, transferId: input.transferId, type: update.type, error: String(err) });
    }
  };
  const finish = async () => {
    show();
    await condition(allHandlersFinished);
    return { transferId: input.transferId, status };
  };
  record('requested', { quantity: input.quantity });
  show();

  for (;;) {
    await condition(() => inbox.length > 0);
    const e = inbox.shift()!;
    const at = e.at ?? workflowNow().toISOString();
    if (e.type === 'cancelled') {
      // Units already on the road arrive all the same: only a transfer that has not left stops here.
      if (status !== 'requested') continue;
      status = 'cancelled';
      record('cancelled', { reason: e.reason });
      return finish();
    }
    if (e.type === 'shipped') {
      const { applied } = await recordTransferShipped({ transferId: input.transferId, orderId: input.orderId, expectedArrival: e.expectedArrival, shippedAt: at, ...(e.trackingNo ? { trackingNo: e.trackingNo } : {}) });
      if (!applied) continue;
      status = 'shipped';
      trackingNo = e.trackingNo ?? trackingNo;
      expectedArrival = e.expectedArrival;
      record('shipped', { expectedArrival, ...(trackingNo ? { trackingNo } : {}) });
      show();
      await tell({ transferId: input.transferId, type: 'shipped', expectedArrival, at, ...(trackingNo ? { trackingNo } : {}) });
      continue;
    }
    const received = await receiveTransfer({ transferId: input.transferId, orderId: input.orderId, receivedAt: at });
    status = 'received';
    receivedAt = at;
    record('received', { quantity: input.quantity, reservedForOrder: received.reservedForOrder, applied: received.applied });
    await tell({ transferId: input.transferId, type: 'received', quantity: input.quantity, at });
    return finish();
  }
}
