import { z } from 'zod';
import { DEFAULT_ALLOCATION_STRATEGY, type AllocationStrategy } from './allocation.js';

const unique = <T>(xs: readonly T[]) => new Set(xs).size === xs.length;

/** An allocation strategy as an admin writes it; the server assigns its version. */
export const allocationStrategyInput = z.object({
  id: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('allocation.configured'),
  filters: z.array(z.enum(['inactive', 'at-capacity', 'region-not-served'])).refine(unique, 'filters must not repeat'),
  rankBy: z.array(z.enum(['load-threshold', 'distance', 'priority', 'load'])).min(1).refine(unique, 'criteria must not repeat'),
  steps: z
    .array(z.enum(['single-warehouse', 'fewest-packages', 'nearest-per-line', 'split-line', 'transfer']))
    .min(1)
    .refine(unique, 'steps must not repeat'),
  loadThreshold: z.number().min(0).max(10),
  distanceBandKm: z.number().min(0).max(5000),
});
export type AllocationStrategyInput = z.infer<typeof allocationStrategyInput>;

/** The settings key the allocation strategy is stored under. */
export const ALLOCATION_STRATEGY_KEY = 'allocation-strategy';

/**
 * The strategy in force: the stored one with its stored version, or the default when none is stored or
 * the stored value no longer parses (a decision is never blocked by a bad setting; the default is logged
 * in the decision record by its own id).
 *
 * @example strategyFrom(undefined) === DEFAULT_ALLOCATION_STRATEGY
 */
export function strategyFrom(stored: { value: unknown; version: number } | undefined): AllocationStrategy {
  if (!stored) return DEFAULT_ALLOCATION_STRATEGY;
  const parsed = allocationStrategyInput.safeParse(stored.value);
  return parsed.success ? { ...parsed.data, version: stored.version } : DEFAULT_ALLOCATION_STRATEGY;
}
