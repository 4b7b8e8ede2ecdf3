/**
 * The empty-workflow baseline of `npm run bench`: a workflow that does nothing but wait for one signal and
 * end. Started with signal-with-start, it costs Temporal what an order's start costs (one call, a first
 * workflow task, completion) and nothing of Orderly's own, so its rate on this machine is what order
 * throughput is compared with.
 */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const emptyGo = defineSignal<[string]>('bench.go');

export async function emptyWorkflow(): Promise<void> {
  let go = false;
  setHandler(emptyGo, () => {
    go = true;
  });
  await condition(() => go);
}
