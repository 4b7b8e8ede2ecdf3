import { describe, expect, it } from 'vitest';
import { reportCsv } from '../../api/routes/reports.js';
import { localDay } from '../../domain/local-day.js';
import { addDays, dayCount, isCalendarDay, localDayStart, reportDays } from '../../domain/report-period.js';

describe("a report's days in the seller's time zone", () => {
  it('starts a Shanghai day at 16:00 UTC the evening before, and a UTC day at midnight', () => {
    expect(localDayStart('2026-03-02', 'Asia/Shanghai').toISOString()).toBe('2026-03-01T16:00:00.000Z');
    expect(localDayStart('2026-03-02', 'UTC').toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(localDayStart('2026-03-02', 'America/Los_Angeles').toISOString()).toBe('2026-03-02T08:00:00.000Z');
  });

  it('follows the zone’s offset changes: a daylight-saving day is 23 or 25 hours long', () => {
    const [spring] = reportDays('2026-03-08', '2026-03-08', 'America/New_York');
    expect(spring!.start.toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect((spring!.end.getTime() - spring!.start.getTime()) / 3_600_000).toBe(23);
    const [autumn] = reportDays('2026-11-01', '2026-11-01', 'America/New_York');
    expect((autumn!.end.getTime() - autumn!.start.getTime()) / 3_600_000).toBe(25);
    // Samoa skipped 30 December 2011 when it moved across the date line: an empty day.
    const samoa = reportDays('2011-12-29', '2011-12-31', 'Pacific/Apia');
    expect(samoa.map((d) => (d.end.getTime() - d.start.getTime()) / 3_600_000)).toEqual([24, 0, 24]);
  });

  it('gives consecutive days without gaps, each day the one localDay names for its instants', () => {
    const days = reportDays('2026-12-30', '2027-01-02', 'Asia/Shanghai');
    expect(days.map((d) => d.day)).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    for (let i = 0; i < days.length; i += 1) {
      const d = days[i]!;
      if (i > 0) expect(d.start).toEqual(days[i - 1]!.end);
      expect(localDay(d.start, 'Asia/Shanghai')).toBe(d.day);
      expect(localDay(new Date(d.end.getTime() - 1), 'Asia/Shanghai')).toBe(d.day);
      expect(localDay(d.end, 'Asia/Shanghai')).toBe(addDays(d.day, 1));
    }
  });

  it('checks calendar days and counts them inclusively', () => {
    expect(isCalendarDay('2026-02-28')).toBe(true);
    expect(isCalendarDay('2026-02-29')).toBe(false);
    expect(isCalendarDay('2028-02-29')).toBe(true);
    expect(isCalendarDay('2026-1-01')).toBe(false);
    expect(isCalendarDay('2026-13-01')).toBe(false);
    expect(dayCount('2026-11-01', '2026-11-30')).toBe(30);
    expect(dayCount('2028-01-01', '2028-12-31')).toBe(366);
    expect(dayCount('2026-11-02', '2026-11-01')).toBe(0);
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});

describe('report CSV', () => {
  it('writes a header row, empty cells for nulls, true/false, quoting where needed and no live formulas', () => {
    const csv = reportCsv(['actor', 'n', 'p50', 'over'], [
      { actor: '李, 运营', n: 3, p50: null, over: true },
      { actor: '=HYPERLINK("x")', n: 0, p50: 1.25, over: false },
    ]);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.slice(1).split('\n')).toEqual(['actor,n,p50,over', '"李, 运营",3,,true', `"'=HYPERLINK(""x"")",0,1.25,false`, '']);
  });
});
