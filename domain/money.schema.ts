import { z } from 'zod';

/**
 * The largest amount Orderly takes, in fen (¥10,000,000,000.00): beyond any order, and small enough that the sums
 * over one order (its lines, discounts and shipping) stay exact integers, where amounts near 2^53 would not.
 */
export const MAX_FEN = 1_000_000_000_000;

/** zod schema for a non-negative amount in integer fen (see money.ts). */
export const fen = z
  .number()
  .int('money is integer fen')
  .nonnegative('money cannot be negative')
  .max(MAX_FEN, 'money is at most 1000000000000 fen (¥10,000,000,000.00)');
