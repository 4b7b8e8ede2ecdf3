/**
 * The workflow's notion of now. Inside the Temporal sandbox `Date` is replaced by the time of the current
 * workflow task, so this is deterministic on replay; keeping every read here makes that easy to audit.
 */
export function workflowNow(): Date {
  // eslint-disable-next-line no-restricted-properties
  return new Date(Date.now());
}
