// Calendar days in a place's own time zone. Warehouses count their daily load by the day on the wall clock
// where they are, which for a warehouse in China starts at 16:00 UTC, not at UTC midnight.

/** The zone a warehouse is in unless it says otherwise. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

// One formatter per zone: building an Intl.DateTimeFormat costs far more than formatting with it.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws a RangeError for a zone the runtime does not know.
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The calendar day (`YYYY-MM-DD`) that instant `at` falls on in IANA time zone `timeZone`, from the zone's
 * rules (offsets and their changes), never a fixed offset. Throws a RangeError for an unknown zone.
 *
 * @example
 * localDay(new Date('2026-03-01T15:59:59Z'), 'Asia/Shanghai') // '2026-03-01' (23:59:59 in Beijing)
 * localDay(new Date('2026-03-01T16:00:00Z'), 'Asia/Shanghai') // '2026-03-02' (00:00 in Beijing)
 */
export function localDay(at: Date, timeZone: string): string {
  const parts = formatter(timeZone).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

// IANA names are `Area/Location` (`Asia/Shanghai`, `America/Argentina/Salta`), `Etc/...` or `UTC`.
// Abbreviations (`EST`, `CST`) and bare offsets are not zones a warehouse can be in without ambiguity.
const IANA_SHAPE = /^(?:UTC|[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)+)$/;

/**
 * The canonical name of IANA time zone `name` (as the runtime's zone data spells it), or undefined when it
 * is not one. Case is forgiven; abbreviations and offsets are refused.
 *
 * @example
 * timeZoneName('asia/shanghai') // 'Asia/Shanghai'
 * timeZoneName('Asia/Beijing') // undefined (no such zone)
 * timeZoneName('+08:00') // undefined
 */
export function timeZoneName(name: string): string | undefined {
  if (!IANA_SHAPE.test(name)) return undefined;
  try {
    // Not cached: names come from requests, in any case.
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
