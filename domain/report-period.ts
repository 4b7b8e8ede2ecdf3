// The period of a report: a run of the seller's calendar days in a time zone, each as the UTC instants it
// spans. Days are found with `localDay` (the zone's own rules), so a report's day is the day on the seller's
// wall clock: in Shanghai a day starts at 16:00 UTC the evening before.
import { localDay } from './local-day.js';

/** The longest period a report covers, in days (a leap year). */
export const MAX_REPORT_DAYS = 366;

/** One calendar day of a report: `YYYY-MM-DD` and the UTC instants [start, end) it spans in its zone. */
export interface ReportDay {
  readonly day: string;
  readonly start: Date;
  readonly end: Date;
}

const DAY_SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Whether `day` is a real calendar date written `YYYY-MM-DD`.
 *
 * @example isCalendarDay('2026-02-29') // false
 * @example isCalendarDay('2028-02-29') // true
 */
export function isCalendarDay(day: string): boolean {
  const m = DAY_SHAPE.exec(day);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === day;
}

/**
 * The calendar day `n` days after `day` (before, when negative); plain calendar arithmetic, no zone.
 *
 * @example addDays('2026-12-31', 1) // '2027-01-01'
 */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/**
 * How many days from `from` to `to`, both included (0 when `to` is before `from`).
 *
 * @example dayCount('2026-11-01', '2026-11-30') // 30
 */
export function dayCount(from: string, to: string): number {
  return Math.max(0, Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1);
}

/**
 * The first instant of calendar day `day` in IANA zone `timeZone`: the earliest instant `localDay` puts on
 * that day or later (a day a zone skipped starts where the next one does). Found by bisection over whole
 * seconds within ±15 hours of UTC midnight, wider than any zone's offset.
 *
 * @example localDayStart('2026-03-02', 'Asia/Shanghai').toISOString() // '2026-03-01T16:00:00.000Z'
 */
export function localDayStart(day: string, timeZone: string): Date {
  const midnight = Date.parse(`${day}T00:00:00Z`) / 1000;
  let lo = midnight - 15 * 3600; // still the day before everywhere
  let hi = midnight + 15 * 3600; // already this day (or later) everywhere
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDay(new Date(mid * 1000), timeZone) >= day) hi = mid;
    else lo = mid;
  }
  return new Date(hi * 1000);
}

/**
 * Every day from `from` to `to` (both included) in `timeZone`, with the UTC instants each spans.
 *
 * @example reportDays('2026-11-11', '2026-11-11', 'Asia/Shanghai')
 * // [{ day: '2026-11-11', start: 2026-11-10T16:00:00Z, end: 2026-11-11T16:00:00Z }]
 */
export function reportDays(from: string, to: string, timeZone: string): ReportDay[] {
  const n = dayCount(from, to);
  const starts: Date[] = [localDayStart(from, timeZone)];
  for (let i = 1; i <= n; i += 1) {
    // Most days are 24 hours long: a day later is the next start when the second before it is still the day
    // before (two look-ups instead of a bisection); a day with an offset change is searched for.
    const day = addDays(from, i);
    const guess = new Date(starts[i - 1]!.getTime() + 86_400_000);
    const fits = localDay(guess, timeZone) === day && localDay(new Date(guess.getTime() - 1000), timeZone) < day;
    starts.push(fits ? guess : localDayStart(day, timeZone));
  }
  return Array.from({ length: n }, (_, i) => ({ day: addDays(from, i), start: starts[i]!, end: starts[i + 1]! }));
}
