import { describe, expect, it } from 'vitest';
import { PlatformSimulator } from '../../channels/simulator/server.js';
import { pullSyncWorkflowType, type PullSyncResult, type PullSyncWorkflow } from '../../workflows/pull-sync.messages.js';
import type { TestStack } from '../helpers/stack.js';
import { connectShop, withSimulatorStack } from './channels-helpers.js';

// Platforms whose increment list names orders only: each order's detail is a call of its own, rate-limited
// per app. A re-read of an order the inbox already holds at the same modified time makes no such call.
let stack: TestStack;
const sim = new PlatformSimulator({ seed: 23, presaleRate: 0, unpaidRate: 0 });

withSimulatorStack(sim, (s) => (stack = s));

async function runPull(shopId: string): Promise<PullSyncResult> {
  return stack.client.workflow.execute<PullSyncWorkflow>(pullSyncWorkflowType, {
    taskQueue: stack.taskQueue,
    workflowId: `pull-sync:${shopId}-detail-${Date.now()}`,
    args: [{ shopId }],
  });
}

const DETAIL_METHOD = { taobao: 'taobao.trade.fullinfo.get', pdd: 'pdd.order.information.get' } as const;

describe.each(['taobao', 'pdd'] as const)('pull from %s over an overlapping window', (platform) => {
  it('reads the detail of new and changed orders only', async () => {
    // Overlap 60 s: the second run re-reads every order of the first.
    const shop = await connectShop(stack.app, sim, platform, { syncMode: 'pull', pullLagSeconds: 2, pullOverlapSeconds: 60, pullIntervalSeconds: 3600 });
    const t0 = Date.now();
    const orders = Array.from({ length: 30 }, (_, i) => sim.createOrder(shop, new Date(t0 - 45_000 + i * 500)));
    const details = () => sim.calls.get(DETAIL_METHOD[platform]) ?? 0;

    const before = details();
    const r1 = await runPull(shop.shopId);
    expect(r1.status, r1.error).toBe('done');
    expect(r1.ingested).toBe(30);
    expect(details() - before).toBe(30);

    // Unchanged: the same 30 orders in the next window, no detail call.
    const mid = details();
    const r2 = await runPull(shop.shopId);
    expect(r2.status, r2.error).toBe('done');
    expect(r2.orders).toBeGreaterThanOrEqual(30);
    expect(r2.ingested).toBe(0);
    expect(details() - mid).toBe(0);

    // One order changes: one detail call, and its new version reaches the inbox as a snapshot.
    sim.modifyOrder(orders[7]!, new Date(Date.now() - 2500));
    await new Promise((res) => setTimeout(res, 600));
    const last = details();
    const r3 = await runPull(shop.shopId);
    expect(r3.status, r3.error).toBe('done');
    expect(r3.orders).toBeGreaterThanOrEqual(30);
    expect(r3.ingested).toBe(1);
    expect(details() - last).toBe(1);
    const snapshots = await stack.db.selectFrom('channel_events').select('order_id').where('shop_id', '=', shop.shopId).where('event_type', '=', 'snapshot').execute();
    expect(snapshots.map((s) => s.order_id)).toEqual([`order:${platform}:${shop.shopId}:${orders[7]!.id}`]);
  });
});
