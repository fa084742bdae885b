import { describe, expect, it } from 'vitest';
import { decideTick, dueTicks, nextTick } from '../../src/clusters/next-run.ts';

/** The ticks a due-finder fires from `from` on: each next tick computed from the one before, as it advances nextRunAt. */
function ticks(schedule: string, timeZone: string, from: string, count: number): string[] {
  const fired: string[] = [];
  let previous: Date | null = null;
  let after = new Date(from);
  while (fired.length < count) {
    const tick = nextTick(schedule, timeZone, after, previous);
    if (!tick) break;
    fired.push(tick.toISOString());
    previous = tick;
    after = tick;
  }
  return fired;
}

describe('next run across daylight-saving changes', () => {
  it.each([
    // Europe/Berlin, 29 March 2026: 02:00 CET jumps to 03:00 CEST. The skipped 02:30 fires once, at 03:00 (01:00Z).
    ['30 2 * * *', 'Europe/Berlin', '2026-03-27T12:00:00Z', ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']],
    // Europe/Berlin, 25 October 2026: 03:00 CEST falls back to 02:00 CET. 02:30 happens twice; it fires on the first pass only.
    ['30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z', ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']],
    // Every half hour through the repeated hour: 02:00 and 02:30 CEST fire, their CET repeats do not, 03:00 CET does.
    ['*/30 * * * *', 'Europe/Berlin', '2026-10-24T23:45:00Z', ['2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T02:30:00.000Z']],
    // Every half hour through the skipped hour: 01:30 CET, then 03:00 CEST (02:00 and 02:30 do not exist; the gap fires once).
    ['*/30 * * * *', 'Europe/Berlin', '2026-03-29T00:15:00Z', ['2026-03-29T00:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T01:30:00.000Z']],
    // America/New_York, 8 March 2026: 02:00 EST jumps to 03:00 EDT. 02:30 fires once, at 03:00 EDT (07:00Z).
    ['30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']],
    // America/New_York, 1 November 2026: 02:00 EDT falls back to 01:00 EST. 01:30 fires once, on the EDT pass.
    ['30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']],
    // Hourly through the repeated hour: 00:00 and 01:00 EDT, not 01:00 EST, then 02:00 EST.
    ['0 * * * *', 'America/New_York', '2026-11-01T03:30:00Z', ['2026-11-01T04:00:00.000Z', '2026-11-01T05:00:00.000Z', '2026-11-01T07:00:00.000Z']],
    // Hourly through the skipped hour: 01:00 EST, then 03:00 EDT: one tick an hour apart, none lost or doubled.
    ['0 * * * *', 'America/New_York', '2026-03-08T05:30:00Z', ['2026-03-08T06:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z']],
    // UTC knows no such thing.
    ['30 2 * * *', 'UTC', '2026-03-28T12:00:00Z', ['2026-03-29T02:30:00.000Z', '2026-03-30T02:30:00.000Z']],
  ])('%s in %s from %s', (schedule, timeZone, from, expected) => {
    expect(ticks(schedule, timeZone, from, expected.length)).toEqual(expected);
  });

  it('a leap-day schedule waits for the next leap year', () => {
    expect(nextTick('0 0 29 2 *', 'UTC', new Date('2028-02-28T00:00:00Z'))?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });
});

describe('due ticks after downtime', () => {
  const due = new Date('2026-06-01T10:00:00Z');

  it('counts every tick from the due one up to now, and gives the first after now', () => {
    expect(dueTicks('* * * * *', 'Europe/Berlin', due, new Date('2026-06-01T10:05:30Z'))).toEqual({
      count: 6,
      more: false,
      last: new Date('2026-06-01T10:05:00Z'),
      next: new Date('2026-06-01T10:06:00Z'),
    });
  });

  it('one tick due: count 1, the next one after it', () => {
    expect(dueTicks('*/15 * * * *', 'America/New_York', due, new Date('2026-06-01T10:00:00.400Z'))).toEqual({
      count: 1,
      more: false,
      last: due,
      next: new Date('2026-06-01T10:15:00Z'),
    });
  });

  it('stops counting at the limit and jumps to the first tick after now', () => {
    const counted = dueTicks('* * * * *', 'UTC', due, new Date('2026-06-03T10:00:30Z'), 100);
    expect(counted).toMatchObject({ count: 100, more: true, next: new Date('2026-06-03T10:01:00Z') });
  });
});

describe('what a due cluster gets', () => {
  const first = new Date('2026-06-01T10:00:00Z');
  const next = new Date('2026-06-01T10:06:00Z');
  const at = (iso: string) => new Date(iso);
  const ticks = (count: number, last: string, more = false) => ({ count, more, last: at(last), next });

  it.each([
    ['on time', ticks(1, '2026-06-01T10:00:00Z'), 'ONE', '2026-06-01T10:00:01Z', { message: 'scheduled by the auto-snapshot policy', catchUp: false }],
    ['on time, NONE', ticks(1, '2026-06-01T10:00:00Z'), 'NONE', '2026-06-01T10:00:59Z', { message: 'scheduled by the auto-snapshot policy', catchUp: false }],
    // 60 s late is still on time; 60.001 s is missed.
    ['60 s late', ticks(1, '2026-06-01T10:00:00Z'), 'NONE', '2026-06-01T10:01:00Z', { message: 'scheduled by the auto-snapshot policy', catchUp: false }],
    ['60.001 s late, ONE', ticks(1, '2026-06-01T10:00:00Z'), 'ONE', '2026-06-01T10:01:00.001Z', { message: 'catch-up run of the auto-snapshot policy: 1 tick missed since 2026-06-01T10:00:00.000Z', catchUp: true }],
    ['60.001 s late, NONE', ticks(1, '2026-06-01T10:00:00Z'), 'NONE', '2026-06-01T10:01:00.001Z', null],
    ['5 missed and one now, ONE', ticks(6, '2026-06-01T10:05:00Z'), 'ONE', '2026-06-01T10:05:01Z', { message: 'catch-up run of the auto-snapshot policy: 5 ticks missed since 2026-06-01T10:00:00.000Z', catchUp: true }],
    ['5 missed and one now, NONE', ticks(6, '2026-06-01T10:05:00Z'), 'NONE', '2026-06-01T10:05:01Z', { message: 'scheduled by the auto-snapshot policy; 5 ticks missed since 2026-06-01T10:00:00.000Z dropped (catchUp NONE)', catchUp: false }],
    ['6 missed, none now, ONE', ticks(6, '2026-06-01T10:05:00Z'), 'ONE', '2026-06-01T10:06:30Z', { message: 'catch-up run of the auto-snapshot policy: 6 ticks missed since 2026-06-01T10:00:00.000Z', catchUp: true }],
    ['too many to count, ONE', ticks(100, '2026-06-03T09:59:00Z', true), 'ONE', '2026-06-03T10:00:30Z', { message: 'catch-up run of the auto-snapshot policy: more than 100 ticks missed since 2026-06-01T10:00:00.000Z', catchUp: true }],
  ] as const)('%s', (_case, due, catchUp, now, snapshot) => {
    expect(decideTick(due, first, catchUp, at(now), 60_000)).toEqual({ snapshot, next });
  });
});
