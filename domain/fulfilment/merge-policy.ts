import { z } from 'zod';
import { DEFAULT_MERGE_POLICY, HOLD_MODES, type MergePolicy } from './merge.js';

/**
 * The merge policy as an admin writes it; the server assigns its version. Strict: an unknown field is a
 * mistake (a typo of `hold` would otherwise silently keep the default), answered 400.
 */
export const mergePolicyInput = z.strictObject({
  id: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('merge.configured'),
  hold: z.enum(HOLD_MODES).describe('always | when_buyer_has_open_orders | never'),
  /** Absent: the deployment's `PACKAGE_HOLD_WINDOW`. */
  holdWindowSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .optional()
    .describe("Seconds a held package waits for more orders; absent: the deployment's PACKAGE_HOLD_WINDOW"),
});
export type MergePolicyInput = z.infer<typeof mergePolicyInput>;

/** The settings key the merge policy is stored under. */
export const MERGE_POLICY_KEY = 'merge-policy';

/**
 * The merge policy in force: the stored one with its stored version, or the default when none is stored or
 * the stored value no longer parses (a merge is never blocked by a bad setting). `defaultWindowMs` (the
 * deployment's `PACKAGE_HOLD_WINDOW`) is the window of the default policy and of a stored one without its own.
 *
 * @example mergePolicyFrom(undefined, 60_000) // { ...DEFAULT_MERGE_POLICY, holdWindowMs: 60_000 }
 */
export function mergePolicyFrom(stored: { value: unknown; version: number } | undefined, defaultWindowMs: number): MergePolicy {
  const fallback = { ...DEFAULT_MERGE_POLICY, holdWindowMs: defaultWindowMs };
  if (!stored) return fallback;
  const parsed = mergePolicyInput.safeParse(stored.value);
  if (!parsed.success) return fallback;
  const { id, hold, holdWindowSeconds } = parsed.data;
  return { id, version: stored.version, hold, holdWindowMs: holdWindowSeconds !== undefined ? holdWindowSeconds * 1000 : defaultWindowMs, requireSameWarehouse: true };
}
