import { describe, expect, it } from 'vitest';
import * as bundleEntry from '../../workflows/index.js';
import { exceptionWatchWorkflowType } from '../../workflows/exception-watch.messages.js';
import { orderWorkflowType } from '../../workflows/order.messages.js';
import { packageWorkflowType } from '../../workflows/package.messages.js';
import { pullSyncWorkflowType } from '../../workflows/pull-sync.messages.js';
import { transferWorkflowType } from '../../workflows/transfer.messages.js';

// Callers start workflows by the typed names in the message modules; the worker registers the bundle
// entry's exports. The two must agree, or a start would name a workflow no worker runs.
describe('workflow type names', () => {
  it('names every workflow the bundle exports by its typed name', () => {
    expect(Object.keys(bundleEntry).sort()).toEqual([exceptionWatchWorkflowType, orderWorkflowType, packageWorkflowType, pullSyncWorkflowType, transferWorkflowType].sort());
    expect(bundleEntry.orderWorkflow.name).toBe(orderWorkflowType);
    expect(bundleEntry.packageWorkflow.name).toBe(packageWorkflowType);
    expect(bundleEntry.pullSyncWorkflow.name).toBe(pullSyncWorkflowType);
    expect(bundleEntry.transferWorkflow.name).toBe(transferWorkflowType);
    expect(bundleEntry.exceptionWatchWorkflow.name).toBe(exceptionWatchWorkflowType);
  });
});
