const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `500ms`, `30s`, `15m`, `24h`, `3d` (or a bare number of milliseconds).
 *
 * @example parseDuration('15m') // 900000
 */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) throw new RangeError(`not a duration: ${JSON.stringify(text)} (use e.g. 500ms, 30s, 15m, 24h, 3d)`);
  return Number(m[1]) * UNITS[m[2] ?? 'ms']!;
}
