// An order whose plan relies on a transfer (the nearest warehouse is short, another has the units), on the
// time-skipping test server: the real transfer workflow `transfer:<id>` is started, the order shows its status
// and expected arrival, and joins its package at the target only once the units are received there.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PlanResult } from '../../activities/fulfilment.types.js';
import type { CanonicalOrder } from '../../domain/order.js';
import { orderEventSignal } from '../../workflows/order.messages.js';
import { transferEventSignal, transferStateQuery, transferWorkflowId, transferWorkflowType, type TransferWorkflow } from '../../workflows/transfer.messages.js';
import { DAY, HOUR, MINUTE, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import { CARRIER, dispatcher, joinedAlone, orderState, paidNow, readModelMocks, statusesOn, type ActivityInput, type ActivityOutput } from './mocks.js';

const TARGET = 'WH-BJ';
const SOURCE = 'WH-TJ';
const TRANSFER_ID = 41;

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

/** Beijing ships the order; the first line's units come from Tianjin by transfer. */
function plannedWithTransfer(orderId: string, order: CanonicalOrder): Extract<PlanResult, { status: 'planned' }> {
  const line = order.lines[0]!;
  const lineRef = line.lineId ?? '1';
  return {
    status: 'planned',
    destinationRegionCode: '110105',
    assignments: [{ lineRef, skuCode: line.skuCode, warehouseCode: TARGET, quantity: line.quantity, transferredIn: line.quantity }],
    transfers: [{ lineRef, skuCode: line.skuCode, quantity: line.quantity, fromWarehouseCode: SOURCE, toWarehouseCode: TARGET }],
    parcels: [
      {
        key: `${orderId}:${TARGET}:express`,
        warehouseCode: TARGET,
        logisticsClass: 'express',
        lines: [{ lineRef, skuCode: line.skuCode, quantity: line.quantity }],
        weightG: 500,
        valueFen: order.amounts.paidFen,
        carrierCode: CARRIER,
      },
    ],
    decisions: [{ step: 'plan:1:allocation', kind: 'allocation', ruleId: 'test-allocation', ruleVersion: 1, outcome: `${TARGET} with a transfer from ${SOURCE}` }],
  };
}

/** Planning with a transfer; `startTransfers` starts the real transfer workflow, as the activity does. */
function transferMocks(queue: { taskQueue?: string }) {
  return {
    planFulfilment: vi.fn(async ({ orderId, order }: ActivityInput<'planFulfilment'>) => plannedWithTransfer(orderId, order)),
    reserveStock: vi.fn(async (_input: ActivityInput<'reserveStock'>): Promise<ActivityOutput<'reserveStock'>> => ({ ok: true, reserved: 1, alreadyReserved: 0 })),
    startTransfers: vi.fn(async ({ orderId, transfers }: ActivityInput<'startTransfers'>): Promise<ActivityOutput<'startTransfers'>> => {
      const t = transfers[0]!;
      const input = { transferId: TRANSFER_ID, orderId, lineRef: t.lineRef, skuCode: t.skuCode, fromWarehouseCode: t.fromWarehouseCode, toWarehouseCode: t.toWarehouseCode, quantity: t.quantity };
      await env.client.workflow.start<TransferWorkflow>(transferWorkflowType, { workflowId: transferWorkflowId(TRANSFER_ID), taskQueue: queue.taskQueue!, args: [input] });
      return {
        transfers: [{ transferId: TRANSFER_ID, lineRef: t.lineRef, skuCode: t.skuCode, quantity: t.quantity, fromWarehouseCode: t.fromWarehouseCode, toWarehouseCode: t.toWarehouseCode, status: 'requested' }],
        decisions: [{ step: `transfer:${TRANSFER_ID}`, kind: 'allocation', ruleId: 'transfer', ruleVersion: 1, outcome: `transfer ${TRANSFER_ID} requested` }],
      };
    }),
    recordTransferShipped: vi.fn(async (_input: ActivityInput<'recordTransferShipped'>): Promise<ActivityOutput<'recordTransferShipped'>> => ({ applied: true })),
    receiveTransfer: vi.fn(async (_input: ActivityInput<'receiveTransfer'>): Promise<ActivityOutput<'receiveTransfer'>> => ({ applied: true, reservedForOrder: 1 })),
    joinPackage: vi.fn(async (input: ActivityInput<'joinPackage'>) => joinedAlone(input, `pkg-${input.orderId}`, new Date(await env.currentTimeMs()).toISOString())),
    releaseStock: vi.fn(async (_input: ActivityInput<'releaseStock'>): Promise<ActivityOutput<'releaseStock'>> => ({ released: 1 })),
  };
}

describe('an order relying on a transfer', () => {
  it('waits for the transfer, shows it shipped with its expected arrival, and joins its package at the target once received', async () => {
    const rm = readModelMocks();
    const queue: { taskQueue?: string } = {};
    const f = transferMocks(queue);
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      queue.taskQueue = taskQueue;
      const { order, orderId } = await paidNow(env);
      await dispatcher(env, taskQueue, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      const waiting = await waitFor(() => orderState(env, orderId), (s) => s.fulfilment?.outcome === 'awaiting_transfer', 'awaiting the transfer');
      expect(f.reserveStock).toHaveBeenCalledWith(expect.objectContaining({ transfers: [expect.objectContaining({ fromWarehouseCode: SOURCE, toWarehouseCode: TARGET })] }));
      expect(waiting.fulfilment?.transfers).toEqual([expect.objectContaining({ transferId: TRANSFER_ID, status: 'requested', fromWarehouseCode: SOURCE, toWarehouseCode: TARGET })]);
      expect(waiting.fulfilment?.decisions.map((d) => d.step)).toContain(`transfer:${TRANSFER_ID}`);
      expect(waiting.timeline.map((e) => e.type)).toContain('awaiting_transfers');
      expect(f.joinPackage).not.toHaveBeenCalled();

      const transfer = env.client.workflow.getHandle<TransferWorkflow>(transferWorkflowId(TRANSFER_ID));
      const expectedArrival = new Date((await env.currentTimeMs()) + 2 * DAY).toISOString();
      await transfer.signal(transferEventSignal, { eventId: 'ship-1', type: 'shipped', trackingNo: 'TJ-0001', expectedArrival });
      const shipped = await waitFor(() => orderState(env, orderId), (s) => s.fulfilment?.transfers?.[0]?.status === 'shipped', 'the transfer shipped');
      expect(shipped.fulfilment?.transfers?.[0]).toMatchObject({ status: 'shipped', expectedArrival, trackingNo: 'TJ-0001' });
      expect(f.recordTransferShipped).toHaveBeenCalledWith(expect.objectContaining({ transferId: TRANSFER_ID, orderId, expectedArrival, trackingNo: 'TJ-0001' }));
      expect((await transfer.query(transferStateQuery)).status).toBe('shipped');

      // Days pass on the road: the order keeps waiting, with nothing joined.
      await env.sleep(DAY + HOUR);
      expect((await orderState(env, orderId)).fulfilment?.outcome).toBe('awaiting_transfer');
      expect(f.joinPackage).not.toHaveBeenCalled();

      await transfer.signal(transferEventSignal, { eventId: 'recv-1', type: 'received', quantity: order.lines[0]!.quantity });
      const allocated = await waitFor(() => orderState(env, orderId), (s) => s.status === 'allocated', 'allocated');
      expect(f.receiveTransfer).toHaveBeenCalledTimes(1);
      expect(f.receiveTransfer).toHaveBeenCalledWith(expect.objectContaining({ transferId: TRANSFER_ID, orderId }));
      expect(f.joinPackage).toHaveBeenCalledTimes(1);
      expect(f.joinPackage.mock.calls[0]![0].parcel.warehouseCode).toBe(TARGET);
      expect(allocated.fulfilment).toMatchObject({ outcome: 'released', transfers: [expect.objectContaining({ status: 'received', expectedArrival })] });
      expect(allocated.fulfilment?.packages.map((p) => p.warehouseCode)).toEqual([TARGET]);
      expect(statusesOn(allocated)).toEqual(['paid', 'allocated']);
      expect(allocated.timeline.map((e) => e.type)).toContain('transfers_received');
      expect(await transfer.result()).toEqual({ transferId: TRANSFER_ID, status: 'received' });
    });
  });

  it('gives its stock back and joins nothing when cancelled while the transfer is on its way', async () => {
    const rm = readModelMocks();
    const queue: { taskQueue?: string } = {};
    const f = transferMocks(queue);
    await withWorker(env, { ...rm.activities, ...f }, async (taskQueue) => {
      queue.taskQueue = taskQueue;
      const { order, orderId } = await paidNow(env);
      await dispatcher(env, taskQueue, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#created`, type: 'created', order });
      await waitFor(() => orderState(env, orderId), (s) => s.fulfilment?.outcome === 'awaiting_transfer', 'awaiting the transfer');
      await env.client.workflow.getHandle(orderId).signal(orderEventSignal, { eventId: `${orderId}#cancelled`, type: 'cancelled', reason: 'buyer cancelled' });
      const cancelled = await waitFor(() => orderState(env, orderId), (s) => s.status === 'cancelled', 'cancelled');
      expect(f.releaseStock).toHaveBeenCalledWith(expect.objectContaining({ orderId }));
      expect(f.joinPackage).not.toHaveBeenCalled();
      expect(cancelled.fulfilment?.cancelled).toMatchObject({ releasedReservations: 1 });
    });
  });
});
