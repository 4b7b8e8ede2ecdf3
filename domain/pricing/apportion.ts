import type { Fen } from '../money.js';

function requireFen(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} is not a non-negative integer fen: ${value}`);
}

/**
 * Splits `totalFen` over the weights in proportion, in whole fen, so that the parts add up to `totalFen`
 * exactly (largest remainder method).
 *
 * Each part starts as floor(total x weight / sum of weights), computed in BigInt so that no product is
 * rounded. The fen left over (fewer than the number of weights) go one each to the parts with the largest
 * remainders of that division; equal remainders go to the lower index first. So the result depends only on
 * the inputs, a zero weight always gets 0, and when `totalFen` is at most the sum of the weights no part
 * exceeds its weight.
 *
 * Throws RangeError (a programmer error) on a negative or non-integer amount, or on a non-zero total with
 * nothing to spread it over.
 *
 * @example apportion(100, [3333, 3333, 3334]) // [33, 33, 34]
 * @example apportion(2, [1, 1, 1])            // [1, 1, 0]: equal remainders, lower index first
 */
export function apportion(totalFen: Fen, weights: readonly Fen[]): Fen[] {
  requireFen(totalFen, 'total');
  let sum = 0n;
  for (const [i, w] of weights.entries()) {
    requireFen(w, `weight ${i}`);
    sum += BigInt(w);
  }
  if (sum === 0n) {
    if (totalFen === 0) return weights.map(() => 0);
    throw new RangeError(`cannot apportion ${totalFen} fen over weights that sum to 0`);
  }
  const total = BigInt(totalFen);
  const parts: bigint[] = [];
  const remainders: { index: number; remainder: bigint }[] = [];
  let left = total;
  for (const [index, w] of weights.entries()) {
    const product = total * BigInt(w);
    const part = product / sum;
    parts.push(part);
    left -= part;
    remainders.push({ index, remainder: product % sum });
  }
  // Every remainder is a fraction of the same denominator (sum), so comparing numerators is exact.
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (let k = 0; left > 0n; k++, left--) {
    const at = remainders[k]!.index;
    parts[at] = parts[at]! + 1n;
  }
  return parts.map((p) => Number(p));
}
