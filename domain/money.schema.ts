import { z } from 'zod';

/** zod schema for a non-negative amount in integer fen (see money.ts). */
export const fen = z
  .number()
  .int('money is integer fen')
  .nonnegative('money cannot be negative')
  .max(Number.MAX_SAFE_INTEGER);
