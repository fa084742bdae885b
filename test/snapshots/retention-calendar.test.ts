/**
 * Grandfather-father-son retention in the policy's time zone: each calendar
 * rule alone and together, across daylight-saving changes in Europe/Berlin and
 * America/New_York, in zones with half-hour offsets (Asia/Kolkata,
 * Australia/Adelaide), over year boundaries and ISO week 53. Every case is
 * built so that reading the same instants in UTC would give another answer.
 */
import { describe, expect, it } from 'vitest';
import { isoWeek, localTime, periodKey } from '../../src/snapshots/retention-calendar.ts';
import { planRetention, type RetentionPolicy } from '../../src/snapshots/retention-policy.ts';

/** A COMPLETED snapshot scheduled at `at` (UTC), named by its time. */
const at = (iso: string) => ({ id: `00000000-0000-4000-8000-${String(Date.parse(iso)).padStart(12, '0').slice(-12)}`, label: iso, status: 'COMPLETED' as const, scheduledAt: new Date(iso) });

function plan(instants: string[], policy: RetentionPolicy, now = new Date('2027-06-01T00:00:00Z')) {
  const decisions = planRetention(instants.map(at), policy, now);
  return {
    kept: decisions.filter((d) => d.keep).map((d) => d.snapshot.label),
    deleted: decisions.filter((d) => !d.keep).map((d) => d.snapshot.label),
    reasons: Object.fromEntries(decisions.map((d) => [d.snapshot.label, d.reason])),
  };
}

describe('local time', () => {
  it.each<[string, string, ReturnType<typeof localTime>]>([
    ['2026-03-29T00:59:59Z', 'Europe/Berlin', { year: 2026, month: 3, day: 29, hour: 1, offsetMinutes: 60 }],
    ['2026-03-29T01:00:00Z', 'Europe/Berlin', { year: 2026, month: 3, day: 29, hour: 3, offsetMinutes: 120 }],
    ['2026-10-25T00:30:00Z', 'Europe/Berlin', { year: 2026, month: 10, day: 25, hour: 2, offsetMinutes: 120 }],
    ['2026-10-25T01:30:00Z', 'Europe/Berlin', { year: 2026, month: 10, day: 25, hour: 2, offsetMinutes: 60 }],
    ['2026-11-01T05:30:00Z', 'America/New_York', { year: 2026, month: 11, day: 1, hour: 1, offsetMinutes: -240 }],
    ['2026-11-01T06:30:00Z', 'America/New_York', { year: 2026, month: 11, day: 1, hour: 1, offsetMinutes: -300 }],
    ['2026-06-01T18:29:59Z', 'Asia/Kolkata', { year: 2026, month: 6, day: 1, hour: 23, offsetMinutes: 330 }],
    ['2026-04-04T16:00:00Z', 'Australia/Adelaide', { year: 2026, month: 4, day: 5, hour: 2, offsetMinutes: 630 }],
    ['2026-04-04T17:00:00Z', 'Australia/Adelaide', { year: 2026, month: 4, day: 5, hour: 2, offsetMinutes: 570 }],
    ['2026-12-31T23:30:00.250Z', 'Europe/Berlin', { year: 2027, month: 1, day: 1, hour: 0, offsetMinutes: 60 }],
    // An offset with seconds (Monrovia, -0:44:30 until 1972, before 1970 too) reads alike in every millisecond of a second.
    ['1950-06-01T12:00:00.000Z', 'Africa/Monrovia', { year: 1950, month: 6, day: 1, hour: 11, offsetMinutes: -44 }],
    ['1950-06-01T12:00:00.001Z', 'Africa/Monrovia', { year: 1950, month: 6, day: 1, hour: 11, offsetMinutes: -44 }],
    ['1950-06-01T12:00:00.999Z', 'Africa/Monrovia', { year: 1950, month: 6, day: 1, hour: 11, offsetMinutes: -44 }],
    ['1971-06-01T12:00:00.500Z', 'Africa/Monrovia', { year: 1971, month: 6, day: 1, hour: 11, offsetMinutes: -44 }],
  ])('%s in %s', (instant, zone, expected) => {
    expect(localTime(new Date(instant), zone)).toEqual(expected);
  });

  it.each<[number, number, number, string]>([
    [2026, 1, 1, '2026-W01'], // a Thursday: week 1
    [2025, 12, 29, '2026-W01'], // the Monday of 2026's week 1
    [2026, 12, 28, '2026-W53'],
    [2026, 12, 31, '2026-W53'],
    [2027, 1, 3, '2026-W53'], // a Sunday: still week 53 of 2026
    [2027, 1, 4, '2027-W01'],
    [2020, 12, 31, '2020-W53'], // a leap year starting on a Wednesday
    [2021, 1, 1, '2020-W53'],
    [2024, 12, 30, '2025-W01'],
    [2023, 1, 1, '2022-W52'],
  ])('ISO week of %i-%i-%i is %s', (year, month, day, expected) => {
    const { weekYear, week } = isoWeek(year, month, day);
    expect(`${weekYear}-W${String(week).padStart(2, '0')}`).toBe(expected);
  });

  it('names each period as it reads in the zone', () => {
    const instant = new Date('2026-12-31T23:30:00Z');
    expect(['hour', 'day', 'week', 'month', 'year'].map((period) => periodKey(instant, period as 'hour', 'Europe/Berlin'))).toEqual([
      '2027-01-01 00:00 +01:00',
      '2027-01-01',
      '2026-W53',
      '2027-01',
      '2027',
    ]);
    expect(periodKey(new Date('2026-06-01T10:15:00Z'), 'hour', 'Asia/Kolkata')).toBe('2026-06-01 15:00 +05:30');
    expect(periodKey(new Date('2026-06-01T10:15:00Z'), 'hour', 'America/New_York')).toBe('2026-06-01 06:00 -04:00');
  });
});

describe('keepHourly', () => {
  it('UTC: the newest of each of the N most recent hours that have a snapshot', () => {
    const result = plan(['2026-06-01T08:10:00Z', '2026-06-01T08:50:00Z', '2026-06-01T10:05:00Z', '2026-06-01T10:40:00Z', '2026-06-01T11:00:00Z'], { timeZone: 'UTC', keepHourly: 2 });
    expect(result.kept).toEqual(['2026-06-01T11:00:00Z', '2026-06-01T10:40:00Z']);
    expect(result.reasons['2026-06-01T10:40:00Z']).toBe('keepHourly: the newest of hour 2026-06-01 10:00 +00:00 (2 of 2)');
    // An hour without a snapshot (09:00) is not counted: keepHourly 3 reaches back to 08:00.
    expect(plan(['2026-06-01T08:10:00Z', '2026-06-01T08:50:00Z', '2026-06-01T10:05:00Z', '2026-06-01T10:40:00Z', '2026-06-01T11:00:00Z'], { timeZone: 'UTC', keepHourly: 3 }).kept).toEqual([
      '2026-06-01T11:00:00Z',
      '2026-06-01T10:40:00Z',
      '2026-06-01T08:50:00Z',
    ]);
  });

  it("America/New_York, clocks back: the repeated 01:00 hour is two hours", () => {
    // 05:30Z = 01:30 EDT; 06:30Z and 06:50Z = 01:30 and 01:50 EST.
    const result = plan(['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', '2026-11-01T06:50:00Z'], { timeZone: 'America/New_York', keepHourly: 5 });
    expect(result.kept).toEqual(['2026-11-01T06:50:00Z', '2026-11-01T05:30:00Z']);
    expect(result.deleted).toEqual(['2026-11-01T06:30:00Z']);
    expect(result.reasons['2026-11-01T05:30:00Z']).toBe('keepHourly: the newest of hour 2026-11-01 01:00 -04:00 (2 of 5)');
  });

  it('Europe/Berlin, clocks forward: 01:59 CET and 03:00 CEST are neighbouring hours; a 23-hour day has 23 hours', () => {
    // Every UTC hour from 00:00 local on the 29th (23:00Z on the 28th) to 00:00 local on the 30th.
    const hourly = Array.from({ length: 24 }, (_, i) => new Date(Date.parse('2026-03-28T23:00:00Z') + i * 3_600_000).toISOString().replace('.000', ''));
    const result = plan(hourly, { timeZone: 'Europe/Berlin', keepHourly: 100 });
    expect(result.deleted).toEqual([]);
    const daily = plan(hourly, { timeZone: 'Europe/Berlin', keepDaily: 100 });
    // Two local days: the 29th (23 snapshots, one per hour) and the 30th (one).
    expect(daily.kept).toEqual(['2026-03-29T22:00:00Z', '2026-03-29T21:00:00Z']);
    expect(daily.deleted).toHaveLength(22);
    expect(plan(['2026-03-29T00:59:00Z', '2026-03-29T01:00:00Z'], { timeZone: 'Europe/Berlin', keepHourly: 2 }).reasons).toEqual({
      '2026-03-29T01:00:00Z': 'the newest good snapshot: never deleted; keepHourly: the newest of hour 2026-03-29 03:00 +02:00 (1 of 2)',
      '2026-03-29T00:59:00Z': 'keepHourly: the newest of hour 2026-03-29 01:00 +01:00 (2 of 2)',
    });
  });

  it('Asia/Kolkata (+05:30): hours start at :30 UTC', () => {
    // 10:15Z = 15:45 IST, 10:45Z = 16:15 IST: one UTC hour, two Kolkata hours.
    const instants = ['2026-06-01T09:40:00Z', '2026-06-01T10:15:00Z', '2026-06-01T10:45:00Z'];
    expect(plan(instants, { timeZone: 'Asia/Kolkata', keepHourly: 2 }).kept).toEqual(['2026-06-01T10:45:00Z', '2026-06-01T10:15:00Z']);
    expect(plan(instants, { timeZone: 'UTC', keepHourly: 2 }).kept).toEqual(['2026-06-01T10:45:00Z', '2026-06-01T09:40:00Z']);
  });

  it('Australia/Adelaide (+10:30 → +09:30), clocks back: the repeated 02:00 hour is two hours', () => {
    // 16:00Z = 02:30 ACDT, 16:45Z = 02:15 ACST, 17:00Z = 02:30 ACST.
    const result = plan(['2026-04-04T16:00:00Z', '2026-04-04T16:45:00Z', '2026-04-04T17:00:00Z'], { timeZone: 'Australia/Adelaide', keepHourly: 3 });
    expect(result.kept).toEqual(['2026-04-04T17:00:00Z', '2026-04-04T16:00:00Z']);
    expect(result.reasons['2026-04-04T16:00:00Z']).toBe('keepHourly: the newest of hour 2026-04-05 02:00 +10:30 (2 of 3)');
  });
});

describe('keepDaily', () => {
  it('Europe/Berlin, clocks forward (23-hour day): days are local dates', () => {
    const instants = [
      '2026-03-27T22:30:00Z', // 23:30 CET on the 27th
      '2026-03-28T22:30:00Z', // 23:30 CET on the 28th
      '2026-03-28T23:30:00Z', // 00:30 CET on the 29th
      '2026-03-29T21:30:00Z', // 23:30 CEST on the 29th
      '2026-03-29T22:30:00Z', // 00:30 CEST on the 30th
    ];
    const berlin = plan(instants, { timeZone: 'Europe/Berlin', keepDaily: 3 });
    expect(berlin.kept).toEqual(['2026-03-29T22:30:00Z', '2026-03-29T21:30:00Z', '2026-03-28T22:30:00Z']);
    expect(berlin.reasons['2026-03-29T21:30:00Z']).toBe('keepDaily: the newest of day 2026-03-29 (2 of 3)');
    expect(berlin.reasons['2026-03-28T23:30:00Z']).toBe('kept by no rule (keepDaily 3)');
    expect(plan(instants, { timeZone: 'UTC', keepDaily: 3 }).kept).toEqual(['2026-03-29T22:30:00Z', '2026-03-28T23:30:00Z', '2026-03-27T22:30:00Z']);
  });

  it('Europe/Berlin, clocks back (25-hour day): 00:00 CEST to 23:59:59 CET is one day', () => {
    const instants = ['2026-10-24T21:59:59Z', '2026-10-24T22:00:00Z', '2026-10-25T22:59:59Z', '2026-10-25T23:00:00Z'];
    const result = plan(instants, { timeZone: 'Europe/Berlin', keepDaily: 3 });
    expect(result.kept).toEqual(['2026-10-25T23:00:00Z', '2026-10-25T22:59:59Z', '2026-10-24T21:59:59Z']);
    expect(result.deleted).toEqual(['2026-10-24T22:00:00Z']);
  });

  it('America/New_York, clocks forward and back: 23- and 25-hour days are one day each', () => {
    // 8 March: 00:00 EST = 05:00Z to 23:59:59 EDT = 03:59:59Z on the 9th (23 hours).
    const spring = plan(['2026-03-08T04:59:59Z', '2026-03-08T05:00:00Z', '2026-03-09T03:59:59Z', '2026-03-09T04:00:00Z'], { timeZone: 'America/New_York', keepDaily: 3 });
    expect(spring.deleted).toEqual(['2026-03-08T05:00:00Z']);
    // 1 November: 00:00 EDT = 04:00Z to 23:59:59 EST = 04:59:59Z on the 2nd (25 hours).
    const autumn = plan(['2026-11-01T03:59:59Z', '2026-11-01T04:00:00Z', '2026-11-02T04:59:59Z', '2026-11-02T05:00:00Z'], { timeZone: 'America/New_York', keepDaily: 3 });
    expect(autumn.deleted).toEqual(['2026-11-01T04:00:00Z']);
    expect(autumn.reasons['2026-11-02T04:59:59Z']).toBe('keepDaily: the newest of day 2026-11-01 (2 of 3)');
  });

  it('Asia/Kolkata: the day turns at 18:30 UTC', () => {
    const instants = ['2026-06-01T18:29:59Z', '2026-06-01T18:30:00Z', '2026-06-01T20:00:00Z'];
    expect(plan(instants, { timeZone: 'Asia/Kolkata', keepDaily: 2 }).kept).toEqual(['2026-06-01T20:00:00Z', '2026-06-01T18:29:59Z']);
    expect(plan(instants, { timeZone: 'UTC', keepDaily: 2 }).kept).toEqual(['2026-06-01T20:00:00Z']);
  });
});

describe('keepWeekly: ISO weeks from Monday, in the zone', () => {
  it('Sunday 23:30 and Monday 00:30 in Berlin are different weeks (the same UTC day)', () => {
    // Sunday 2026-06-07 23:30 CEST = 21:30Z; Monday 00:30 CEST = 22:30Z.
    const instants = ['2026-06-07T20:00:00Z', '2026-06-07T21:30:00Z', '2026-06-07T22:30:00Z'];
    expect(plan(instants, { timeZone: 'Europe/Berlin', keepWeekly: 2 }).kept).toEqual(['2026-06-07T22:30:00Z', '2026-06-07T21:30:00Z']);
    expect(plan(instants, { timeZone: 'UTC', keepWeekly: 2 }).kept).toEqual(['2026-06-07T22:30:00Z']);
  });

  it('week 53: 28 December 2026 to 3 January 2027 is one week', () => {
    const instants = ['2026-12-21T12:00:00Z', '2026-12-28T12:00:00Z', '2027-01-03T12:00:00Z', '2027-01-04T12:00:00Z'];
    const result = plan(instants, { timeZone: 'UTC', keepWeekly: 3 });
    expect(result.kept).toEqual(['2027-01-04T12:00:00Z', '2027-01-03T12:00:00Z', '2026-12-21T12:00:00Z']);
    expect(result.deleted).toEqual(['2026-12-28T12:00:00Z']);
    expect(result.reasons['2027-01-03T12:00:00Z']).toBe('keepWeekly: the newest of week 2026-W53 (2 of 3)');
    expect(result.reasons['2026-12-21T12:00:00Z']).toBe('keepWeekly: the newest of week 2026-W52 (3 of 3)');
  });
});

describe('keepMonthly and keepYearly: boundaries in the zone', () => {
  it('New York: 31 January 23:30 EST is January (it is 1 February in UTC)', () => {
    const instants = ['2026-01-15T12:00:00Z', '2026-02-01T04:30:00Z', '2026-02-01T05:30:00Z'];
    expect(plan(instants, { timeZone: 'America/New_York', keepMonthly: 2 }).kept).toEqual(['2026-02-01T05:30:00Z', '2026-02-01T04:30:00Z']);
    expect(plan(instants, { timeZone: 'UTC', keepMonthly: 2 }).kept).toEqual(['2026-02-01T05:30:00Z', '2026-01-15T12:00:00Z']);
  });

  it('Berlin: 31 December 23:30 UTC is already next year', () => {
    const instants = ['2025-06-01T12:00:00Z', '2026-12-31T22:30:00Z', '2026-12-31T23:30:00Z'];
    const berlin = plan(instants, { timeZone: 'Europe/Berlin', keepYearly: 2 });
    expect(berlin.kept).toEqual(['2026-12-31T23:30:00Z', '2026-12-31T22:30:00Z']);
    expect(berlin.reasons['2026-12-31T23:30:00Z']).toBe('the newest good snapshot: never deleted; keepYearly: the newest of year 2027 (1 of 2)');
    expect(plan(instants, { timeZone: 'UTC', keepYearly: 2 }).kept).toEqual(['2026-12-31T23:30:00Z', '2025-06-01T12:00:00Z']);
  });
});

describe('rules together', () => {
  /** One snapshot a day at 03:00 Berlin time from 1 September to 25 November 2026. */
  const dailyAt3 = Array.from({ length: 86 }, (_, i) => {
    const day = new Date(Date.UTC(2026, 8, 1 + i));
    const offsetHours = day < new Date('2026-10-25T00:00:00Z') ? 2 : 1;
    return new Date(day.getTime() + (3 - offsetHours) * 3_600_000).toISOString().replace('.000', '');
  });

  it('keepDaily 3, keepWeekly 2, keepMonthly 3, keepYearly 1: a snapshot kept by any rule is kept, with every reason', () => {
    const result = plan(dailyAt3, { timeZone: 'Europe/Berlin', keepDaily: 3, keepWeekly: 2, keepMonthly: 3, keepYearly: 1 }, new Date('2026-11-25T12:00:00Z'));
    expect(result.kept).toEqual([
      '2026-11-25T02:00:00Z', // Wednesday of week 48
      '2026-11-24T02:00:00Z',
      '2026-11-23T02:00:00Z',
      '2026-11-22T02:00:00Z', // Sunday: the newest of week 47
      '2026-10-31T02:00:00Z', // after the change to CET
      '2026-09-30T01:00:00Z', // CEST
    ]);
    expect(result.deleted).toHaveLength(80);
    expect(result.reasons).toMatchObject({
      '2026-11-25T02:00:00Z':
        'the newest good snapshot: never deleted; keepDaily: the newest of day 2026-11-25 (1 of 3); keepWeekly: the newest of week 2026-W48 (1 of 2); keepMonthly: the newest of month 2026-11 (1 of 3); keepYearly: the newest of year 2026 (1 of 1)',
      '2026-11-23T02:00:00Z': 'keepDaily: the newest of day 2026-11-23 (3 of 3)',
      '2026-11-22T02:00:00Z': 'keepWeekly: the newest of week 2026-W47 (2 of 2)',
      '2026-10-31T02:00:00Z': 'keepMonthly: the newest of month 2026-10 (2 of 3)',
      '2026-09-30T01:00:00Z': 'keepMonthly: the newest of month 2026-09 (3 of 3)',
      '2026-11-21T02:00:00Z': 'kept by no rule (keepDaily 3, keepWeekly 2, keepMonthly 3, keepYearly 1)',
    });
  });

  it('keepLast adds to the calendar rules; maxAgeSeconds caps them all', () => {
    const rules = { timeZone: 'Europe/Berlin', keepLast: 5, keepMonthly: 3 };
    const now = new Date('2026-11-25T12:00:00Z');
    expect(plan(dailyAt3, rules, now).kept).toEqual([
      '2026-11-25T02:00:00Z',
      '2026-11-24T02:00:00Z',
      '2026-11-23T02:00:00Z',
      '2026-11-22T02:00:00Z',
      '2026-11-21T02:00:00Z',
      '2026-10-31T02:00:00Z',
      '2026-09-30T01:00:00Z',
    ]);
    expect(plan(dailyAt3, { ...rules, maxAgeSeconds: 30 * 86_400 }, now).kept).toEqual([
      '2026-11-25T02:00:00Z',
      '2026-11-24T02:00:00Z',
      '2026-11-23T02:00:00Z',
      '2026-11-22T02:00:00Z',
      '2026-11-21T02:00:00Z',
      '2026-10-31T02:00:00Z',
    ]);
  });
});
