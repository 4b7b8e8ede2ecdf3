// No zod here: workflows import this module, and every module a workflow imports is initialised again for
// each workflow run. The schema is in money.schema.ts.

/** An amount of money in integer fen (1 yuan = 100 fen). Never a float. */
export type Fen = number;

const YUAN_PATTERN = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

/**
 * Converts a platform's yuan decimal string to integer fen without going through floating point.
 *
 * @example yuanToFen('179.00') // 17900
 * @example yuanToFen('0.5')    // 50
 */
export function yuanToFen(yuan: string): Fen {
  const m = YUAN_PATTERN.exec(yuan.trim());
  if (!m) throw new RangeError(`not a yuan amount: ${JSON.stringify(yuan)}`);
  const [, sign, whole = '0', frac = ''] = m;
  const value = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (!Number.isSafeInteger(value)) throw new RangeError(`yuan amount out of range: ${yuan}`);
  return sign ? -value : value;
}

/**
 * Formats integer fen as a yuan string with two decimals.
 *
 * @example fenToYuan(17900) // '179.00'
 */
export function fenToYuan(amount: Fen): string {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`not integer fen: ${amount}`);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Sums amounts in fen, refusing anything that is not a safe integer.
 *
 * @example sumFen([100, 250]) // 350
 */
export function sumFen(amounts: readonly Fen[]): Fen {
  let total = 0;
  for (const a of amounts) {
    if (!Number.isSafeInteger(a)) throw new RangeError(`not integer fen: ${a}`);
    total += a;
  }
  if (!Number.isSafeInteger(total)) throw new RangeError('sum out of range');
  return total;
}
