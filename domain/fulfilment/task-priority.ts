/**
 * How an order's review priority becomes Temporal task priority. Kept free of SDK imports: the result has the
 * shape of `Priority` from `@temporalio/common`, so a workflow passes it straight to `proxyActivities` or a
 * workflow start.
 */

/** Temporal's priority keys run 1 (first) .. 5 (last); 3 is what a task without a key gets. */
export const TASK_PRIORITY_KEYS = { urgent: 1, vip: 2, normal: 3, low: 4 } as const;

/** The server rejects fairness keys longer than this many UTF-8 bytes. */
export const FAIRNESS_KEY_MAX_BYTES = 64;

export interface TaskPriority {
  priorityKey: number;
  fairnessKey: string;
}

/**
 * The Temporal task priority of an order's work. Review rules give higher numbers to more urgent orders
 * (0 normal, 10 VIP, 20+ urgent), Temporal runs lower keys first: 20 and above -> 1, 10..19 -> 2, 0..9 -> 3
 * (Temporal's default, so normal orders queue exactly as without priority), below 0 -> 4. A priority that is
 * not a number (NaN) is treated as normal. The fairness key is the shop, so one shop's flood of orders
 * shares the workers with the other shops instead of queueing them behind it; it is cut to 64 UTF-8 bytes
 * without splitting a character.
 *
 * @example taskPriorityOf(20, 'tmall:1001') // { priorityKey: 1, fairnessKey: 'tmall:1001' }
 * @example taskPriorityOf(0, 'jd:88')       // { priorityKey: 3, fairnessKey: 'jd:88' }
 */
export function taskPriorityOf(priority: number, shopId: string): TaskPriority {
  let priorityKey: number = TASK_PRIORITY_KEYS.normal;
  if (priority >= 20) priorityKey = TASK_PRIORITY_KEYS.urgent;
  else if (priority >= 10) priorityKey = TASK_PRIORITY_KEYS.vip;
  else if (priority < 0) priorityKey = TASK_PRIORITY_KEYS.low;
  return { priorityKey, fairnessKey: truncateUtf8(shopId, FAIRNESS_KEY_MAX_BYTES) };
}

/** The fairness key of Orderly's control work (exception SLA watches): a share of its own beside the shops'. */
export const CONTROL_FAIRNESS_KEY = 'orderly-control';

/**
 * The Temporal task priority of control work, the workflows that watch exceptions' SLAs: the first key
 * (ahead of any backlog of normal orders), under a fairness key of its own, so one shop's flood of urgent
 * orders does not hold an escalation back either.
 *
 * @example controlTaskPriority() // { priorityKey: 1, fairnessKey: 'orderly-control' }
 */
export function controlTaskPriority(): TaskPriority {
  return { priorityKey: TASK_PRIORITY_KEYS.urgent, fairnessKey: CONTROL_FAIRNESS_KEY };
}

/** The longest prefix of `s` whose UTF-8 encoding fits in `maxBytes`, cut between code points. */
function truncateUtf8(s: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  // for..of walks code points, so a surrogate pair (an emoji) is kept or dropped whole.
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    // A lone surrogate is sent as U+FFFD, three bytes, like TextEncoder does.
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += ch.length;
  }
  return s.slice(0, end);
}
