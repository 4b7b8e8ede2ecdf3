// The worker's workflow bundle entry: every workflow type Orderly runs.
export { exceptionWatchWorkflow } from './exception-watch.workflow.js';
export { orderWorkflow } from './order.workflow.js';
export { packageWorkflow } from './package.workflow.js';
export { pullSyncWorkflow } from './pull-sync.workflow.js';
export { transferWorkflow } from './transfer.workflow.js';
