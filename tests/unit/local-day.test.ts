import { describe, expect, it } from 'vitest';
import { loadOn } from '../../db/stock.repository.js';
import { DEFAULT_TIME_ZONE, localDay, timeZoneName } from '../../domain/local-day.js';

describe('local calendar day of a warehouse', () => {
  it('turns the day at midnight in Shanghai, which is 16:00 UTC', () => {
    expect(localDay(new Date('2026-03-01T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-03-01');
    expect(localDay(new Date('2026-03-01T16:00:00.000Z'), 'Asia/Shanghai')).toBe('2026-03-02');
    // The UTC day has not turned yet, nor does it at 16:00.
    expect(localDay(new Date('2026-03-01T16:00:00Z'), 'UTC')).toBe('2026-03-01');
    expect(localDay(new Date('2026-03-01T23:59:59Z'), 'Asia/Shanghai')).toBe('2026-03-02');
    expect(localDay(new Date('2026-03-02T00:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-02');
  });

  it('crosses months and years by the zone’s calendar', () => {
    expect(localDay(new Date('2026-12-31T15:59:59Z'), DEFAULT_TIME_ZONE)).toBe('2026-12-31');
    expect(localDay(new Date('2026-12-31T16:00:00Z'), DEFAULT_TIME_ZONE)).toBe('2027-01-01');
    expect(localDay(new Date('2028-02-28T16:00:00Z'), DEFAULT_TIME_ZONE)).toBe('2028-02-29');
  });

  it('follows a zone’s own rules, daylight saving included, not a fixed offset', () => {
    // Los Angeles: UTC-8 in winter, UTC-7 from 8 March 2026; midnight is 08:00Z, then 07:00Z.
    expect(localDay(new Date('2026-03-02T07:59:59Z'), 'America/Los_Angeles')).toBe('2026-03-01');
    expect(localDay(new Date('2026-03-02T08:00:00Z'), 'America/Los_Angeles')).toBe('2026-03-02');
    expect(localDay(new Date('2026-03-10T06:59:59Z'), 'America/Los_Angeles')).toBe('2026-03-09');
    expect(localDay(new Date('2026-03-10T07:00:00Z'), 'America/Los_Angeles')).toBe('2026-03-10');
  });

  it('reads a warehouse’s counted load only on the day it counted, in its zone', () => {
    const row = { current_load: 37, load_date: '2026-03-01', time_zone: 'Asia/Shanghai' };
    expect(loadOn(row, new Date('2026-02-28T16:00:00Z'))).toBe(37);
    expect(loadOn(row, new Date('2026-03-01T15:59:59Z'))).toBe(37);
    // Midnight in Shanghai: a new day, no load yet (under UTC days the old count would last until 08:00 there).
    expect(loadOn(row, new Date('2026-03-01T16:00:00Z'))).toBe(0);
    expect(loadOn({ ...row, time_zone: 'UTC' }, new Date('2026-03-01T16:00:00Z'))).toBe(37);
    expect(loadOn({ ...row, load_date: null }, new Date('2026-03-01T12:00:00Z'))).toBe(0);
    // node-postgres hands a `date` back as local midnight of that day.
    expect(loadOn({ ...row, load_date: new Date(2026, 2, 1) }, new Date('2026-03-01T10:00:00Z'))).toBe(37);
  });
});

describe('time zone names', () => {
  it('accepts IANA zones, in their canonical spelling', () => {
    expect(timeZoneName('Asia/Shanghai')).toBe('Asia/Shanghai');
    expect(timeZoneName('asia/shanghai')).toBe('Asia/Shanghai');
    expect(timeZoneName('Asia/Urumqi')).toBe('Asia/Urumqi');
    expect(timeZoneName('America/Argentina/Salta')).toBe('America/Argentina/Salta');
    expect(timeZoneName('UTC')).toBe('UTC');
    expect(timeZoneName('Etc/GMT-8')).toBe('Etc/GMT-8');
  });

  it('refuses what is not a zone, abbreviations and bare offsets', () => {
    for (const bad of ['Asia/Beijing', 'Beijing', 'CST', 'EST', '+08:00', 'UTC+8', '', 'Asia/', '/Asia', 'Asia Shanghai', 'Local']) {
      expect(timeZoneName(bad), bad).toBeUndefined();
    }
  });
});
