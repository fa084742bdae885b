/**
 * planRetention, rule by rule: which snapshots it keeps, which it deletes, and
 * the words it gives for each. Calendar rules across time zones are in
 * retention-calendar.test.ts, properties over random histories in
 * retention-properties.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { SnapshotStatus } from '../../src/snapshots/lifecycle.ts';
import { planRetention, type RetentionCandidate, type RetentionPolicy } from '../../src/snapshots/retention-policy.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK_SECONDS = 7 * 86_400;

interface Snap extends RetentionCandidate {
  /** Written by the test to name the snapshot in expectations. */
  label: string;
}

/** `label`, `ms` milliseconds before NOW. */
const snap = (label: string, ms: number, status: SnapshotStatus = 'COMPLETED', extra: Partial<Snap> = {}): Snap => ({
  id: `00000000-0000-4000-8000-${label.padStart(12, '0')}`,
  label,
  status,
  scheduledAt: new Date(NOW.getTime() - ms),
  ...extra,
});

const utc = (rules: Omit<RetentionPolicy, 'timeZone'> = {}): RetentionPolicy => ({ timeZone: 'UTC', ...rules });

/** The plan as labels: what is kept and what deleted, each newest first. */
function outcome(snapshots: Snap[], policy: RetentionPolicy, now = NOW) {
  const plan = planRetention(snapshots, policy, now);
  return {
    kept: plan.filter((d) => d.keep).map((d) => d.snapshot.label),
    deleted: plan.filter((d) => !d.keep).map((d) => d.snapshot.label),
  };
}

/** label → reason. */
function reasons(snapshots: Snap[], policy: RetentionPolicy, now = NOW): Record<string, string> {
  return Object.fromEntries(planRetention(snapshots, policy, now).map((d) => [d.snapshot.label, `${d.keep ? 'KEEP' : 'DELETE'}: ${d.reason}`]));
}

describe('failures never cost a good archive', () => {
  it("the issue's scenario: 4 COMPLETED, keepLast 2, then two FAILED: the 2 newest good and both FAILED stay", () => {
    const history = [snap('c1', 6 * HOUR), snap('c2', 5 * HOUR), snap('c3', 4 * HOUR), snap('c4', 3 * HOUR), snap('f1', 2 * HOUR, 'FAILED'), snap('f2', 1 * HOUR, 'FAILED')];
    expect(reasons(history, utc({ keepLast: 2 }))).toEqual({
      f2: 'KEEP: FAILED, one of the 10 newest failed snapshots within keepFailed.maxAgeSeconds (604800)',
      f1: 'KEEP: FAILED, one of the 10 newest failed snapshots within keepFailed.maxAgeSeconds (604800)',
      c4: 'KEEP: the newest good snapshot: never deleted; keepLast: 1 of the 2 newest',
      c3: 'KEEP: keepLast: 2 of the 2 newest',
      c2: 'DELETE: kept by no rule (keepLast 2)',
      c1: 'DELETE: kept by no rule (keepLast 2)',
    });
  });

  it('an API server down for a day: 30 FAILED after 2 COMPLETED keep both archives; the 10 newest FAILED stay', () => {
    const failed = Array.from({ length: 30 }, (_, i) => snap(`f${i}`, (30 - i) * 10 * 60_000, 'FAILED'));
    const history = [snap('c1', 2 * DAY), snap('c2', DAY), ...failed];
    const { kept, deleted } = outcome(history, utc({ keepLast: 2 }));
    expect(kept).toEqual(['f29', 'f28', 'f27', 'f26', 'f25', 'f24', 'f23', 'f22', 'f21', 'f20', 'c2', 'c1']);
    expect(deleted).toEqual(Array.from({ length: 20 }, (_, i) => `f${19 - i}`));
    expect(reasons(history, utc({ keepLast: 2 })).f19).toBe('DELETE: FAILED, not among the 10 newest failed snapshots (keepFailed.last)');
  });

  it('a PARTIALLY_FAILED snapshot counts as good; FAILED and NOT_FOUND do not take a place', () => {
    const history = [snap('c1', 5 * HOUR), snap('p2', 4 * HOUR, 'PARTIALLY_FAILED'), snap('n3', 3 * HOUR, 'NOT_FOUND'), snap('f4', 2 * HOUR, 'FAILED'), snap('c5', HOUR)];
    expect(outcome(history, utc({ keepLast: 2 }))).toEqual({ kept: ['c5', 'f4', 'n3', 'p2'], deleted: ['c1'] });
  });
});

describe('snapshots being worked on', () => {
  it('are never touched, however old and whatever the rules', () => {
    const history = [snap('s1', 400 * DAY, 'SCHEDULED'), snap('i2', 300 * DAY, 'IN_PROGRESS'), snap('c3', 200 * DAY)];
    expect(reasons(history, utc({ keepLast: 0, maxAgeSeconds: 60, keepFailed: { last: 0, maxAgeSeconds: 60 } }))).toEqual({
      c3: 'KEEP: the newest good snapshot: never deleted, although older than maxAgeSeconds (60)',
      i2: 'KEEP: being taken: never touched by retention',
      s1: 'KEEP: waiting to be taken: never touched by retention',
    });
  });

  it('do not count toward the keep rules', () => {
    const history = [snap('c1', 3 * HOUR), snap('c2', 2 * HOUR), snap('i3', HOUR, 'IN_PROGRESS'), snap('s4', 0, 'SCHEDULED')];
    expect(outcome(history, utc({ keepLast: 1 }))).toEqual({ kept: ['s4', 'i3', 'c2'], deleted: ['c1'] });
  });
});

describe('the newest good snapshot is never deleted', () => {
  it.each<[string, Omit<RetentionPolicy, 'timeZone'>]>([
    ['keepLast 0', { keepLast: 0 }],
    ['every calendar rule 0', { keepHourly: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 }],
    ['maxAgeSeconds shorter than its age', { maxAgeSeconds: 60 }],
    ['keepLast 0 and maxAgeSeconds', { keepLast: 0, maxAgeSeconds: 60 }],
  ])('%s', (_name, rules) => {
    const history = [snap('c1', 3 * DAY), snap('p2', 2 * DAY, 'PARTIALLY_FAILED'), snap('f3', HOUR, 'FAILED'), snap('n4', 0, 'NOT_FOUND')];
    expect(outcome(history, utc(rules))).toEqual({ kept: ['n4', 'f3', 'p2'], deleted: ['c1'] });
  });

  it('is the newest by scheduledAt, not by position in the input', () => {
    const history = [snap('c2', HOUR), snap('c1', 2 * HOUR), snap('c3', 30 * 60_000)];
    expect(outcome(history, utc({ keepLast: 0 }))).toEqual({ kept: ['c3'], deleted: ['c2', 'c1'] });
  });

  it('with no good snapshot at all, FAILED and NOT_FOUND rows follow keepFailed alone', () => {
    const history = [snap('f1', 8 * DAY, 'FAILED'), snap('n2', 9 * DAY, 'NOT_FOUND'), snap('f3', HOUR, 'FAILED')];
    expect(outcome(history, utc({ keepLast: 3 }))).toEqual({ kept: ['f3'], deleted: ['f1', 'n2'] });
  });
});

describe('no keep rule set', () => {
  it('keeps every good snapshot', () => {
    const history = [snap('c1', 900 * DAY), snap('c2', 400 * DAY), snap('p3', DAY, 'PARTIALLY_FAILED')];
    expect(reasons(history, utc())).toEqual({
      p3: 'KEEP: the newest good snapshot: never deleted',
      c2: 'KEEP: no keep rule is set: every good snapshot is kept',
      c1: 'KEEP: no keep rule is set: every good snapshot is kept',
    });
  });

  it('keeps every good snapshot within maxAgeSeconds', () => {
    const history = [snap('c1', 3 * DAY), snap('c2', 2 * DAY), snap('c3', DAY)];
    expect(reasons(history, utc({ maxAgeSeconds: 2 * 86_400 }))).toEqual({
      c3: 'KEEP: the newest good snapshot: never deleted',
      c2: 'KEEP: no keep rule is set: every good snapshot is kept',
      c1: 'DELETE: older than maxAgeSeconds (172800)',
    });
  });
});

describe('maxAgeSeconds', () => {
  it('keeps a snapshot exactly maxAgeSeconds old and deletes one a millisecond older', () => {
    const history = [snap('older', 3_600_001), snap('exact', 3_600_000), snap('newest', 0)];
    expect(outcome(history, utc({ maxAgeSeconds: 3_600 }))).toEqual({ kept: ['newest', 'exact'], deleted: ['older'] });
    expect(outcome(history, utc({ keepLast: 10, maxAgeSeconds: 3_600 }))).toEqual({ kept: ['newest', 'exact'], deleted: ['older'] });
  });

  it('caps every keep rule: what a rule keeps beyond the age is deleted', () => {
    const history = [snap('y2024', 700 * DAY), snap('y2025', 330 * DAY), snap('recent', 10 * DAY), snap('now', 0)];
    expect(reasons(history, utc({ keepYearly: 5, keepLast: 4, maxAgeSeconds: 30 * 86_400 }))).toEqual({
      now: 'KEEP: the newest good snapshot: never deleted; keepLast: 1 of the 4 newest; keepYearly: the newest of year 2026 (1 of 5)',
      recent: 'KEEP: keepLast: 2 of the 4 newest',
      y2025: 'DELETE: older than maxAgeSeconds (2592000)',
      y2024: 'DELETE: older than maxAgeSeconds (2592000)',
    });
  });

  // The old policy's two fields (now keepLast and maxAgeSeconds): kept iff among the newest N and within the age.
  const goods = [snap('h1', HOUR), snap('h2', 2 * HOUR), snap('h5', 5 * HOUR), snap('h30', 30 * HOUR), snap('h48', 48 * HOUR)];
  it.each<[string, Omit<RetentionPolicy, 'timeZone'>, string[]]>([
    ['keepLast 3 keeps the three newest', { keepLast: 3 }, ['h30', 'h48']],
    ['keepLast 1', { keepLast: 1 }, ['h2', 'h5', 'h30', 'h48']],
    ['keepLast larger than the history', { keepLast: 10 }, []],
    ['maxAgeSeconds 24 h', { maxAgeSeconds: 24 * 3600 }, ['h30', 'h48']],
    ['maxAgeSeconds 3 h', { maxAgeSeconds: 3 * 3600 }, ['h5', 'h30', 'h48']],
    ['both: the age is stricter', { keepLast: 4, maxAgeSeconds: 40 * 3600 }, ['h48']],
    ['both: the count is stricter', { keepLast: 2, maxAgeSeconds: 40 * 3600 }, ['h5', 'h30', 'h48']],
  ])('as before for the old two limits: %s', (_name, rules, deleted) => {
    expect(outcome(goods, utc(rules)).deleted).toEqual(deleted);
  });
});

describe('equal times', () => {
  const a = { ...snap('a', HOUR), id: '00000000-0000-4000-8000-00000000000a' };
  const b = { ...snap('b', HOUR), id: '00000000-0000-4000-8000-00000000000b' };

  it('the greater id is the newer: keepLast 1 keeps b, whatever the input order', () => {
    expect(outcome([a, b], utc({ keepLast: 1 }))).toEqual({ kept: ['b'], deleted: ['a'] });
    expect(outcome([b, a], utc({ keepLast: 1 }))).toEqual({ kept: ['b'], deleted: ['a'] });
  });

  it('a calendar rule keeps the greater id as the newest of its period', () => {
    const plan = planRetention([a, b], utc({ keepDaily: 1 }), NOW);
    expect(plan.map((d) => [d.snapshot.label, d.keep, d.reason])).toEqual([
      ['b', true, 'the newest good snapshot: never deleted; keepDaily: the newest of day 2026-11-25 (1 of 1)'],
      ['a', false, 'kept by no rule (keepDaily 1)'],
    ]);
  });

  it('FAILED rows tie the same way', () => {
    const fa = { ...a, label: 'fa', status: 'FAILED' as const };
    const fb = { ...b, label: 'fb', status: 'FAILED' as const };
    expect(outcome([fb, fa], utc({ keepFailed: { last: 1, maxAgeSeconds: WEEK_SECONDS } }))).toEqual({ kept: ['fb'], deleted: ['fa'] });
  });
});

describe('keepFailed: FAILED rows', () => {
  it('defaults to the last 10 and at most 7 days: exactly 7 days old is kept, a millisecond older deleted', () => {
    const history = [snap('older', 7 * DAY + 1, 'FAILED'), snap('exact', 7 * DAY, 'FAILED'), snap('fresh', HOUR, 'FAILED')];
    expect(reasons(history, utc())).toEqual({
      fresh: 'KEEP: FAILED, one of the 10 newest failed snapshots within keepFailed.maxAgeSeconds (604800)',
      exact: 'KEEP: FAILED, one of the 10 newest failed snapshots within keepFailed.maxAgeSeconds (604800)',
      older: 'DELETE: FAILED, older than keepFailed.maxAgeSeconds (604800)',
    });
  });

  it('keeps the 10 newest by default: the eleventh goes', () => {
    const history = Array.from({ length: 11 }, (_, i) => snap(`f${i}`, (11 - i) * HOUR, 'FAILED'));
    expect(outcome(history, utc()).deleted).toEqual(['f0']);
  });

  it.each<[string, { last: number; maxAgeSeconds: number }, string[]]>([
    ['last 0 deletes every FAILED row', { last: 0, maxAgeSeconds: WEEK_SECONDS }, ['f1', 'f2', 'f3']],
    ['last 2', { last: 2, maxAgeSeconds: WEEK_SECONDS }, ['f3']],
    ['maxAgeSeconds 1 day (exactly a day old stays)', { last: 10, maxAgeSeconds: 86_400 }, ['f3']],
    ['maxAgeSeconds 60', { last: 10, maxAgeSeconds: 60 }, ['f1', 'f2', 'f3']],
    ['both: the stricter wins', { last: 1, maxAgeSeconds: 86_400 }, ['f2', 'f3']],
  ])('configured: %s', (_name, keepFailed, deleted) => {
    const history = [snap('f3', 2 * DAY, 'FAILED'), snap('f2', DAY, 'FAILED'), snap('f1', HOUR, 'FAILED'), snap('c0', 3 * DAY)];
    expect(outcome(history, utc({ keepFailed })).deleted).toEqual(deleted);
  });

  it('ranks a FAILED row among FAILED rows only: newer good snapshots take no place', () => {
    const history = [snap('f1', 2 * HOUR, 'FAILED'), snap('c1', HOUR), snap('c2', 0)];
    expect(outcome(history, utc({ keepFailed: { last: 1, maxAgeSeconds: WEEK_SECONDS } }))).toEqual({ kept: ['c2', 'c1', 'f1'], deleted: [] });
  });

  it('keeps a FAILED row whose upload is still to be aborted, and counts it', () => {
    const history = [snap('f1', 30 * DAY, 'FAILED', { uploadId: 'upload-1' }), snap('f2', HOUR, 'FAILED'), snap('f3', 2 * HOUR, 'FAILED', { uploadId: 'upload-3' })];
    expect(reasons(history, utc({ keepFailed: { last: 1, maxAgeSeconds: WEEK_SECONDS } }))).toEqual({
      f2: 'KEEP: FAILED, one of the 1 newest failed snapshots within keepFailed.maxAgeSeconds (604800)',
      f3: 'KEEP: FAILED with an upload still to be aborted: kept until the reconciler has aborted it',
      f1: 'KEEP: FAILED with an upload still to be aborted: kept until the reconciler has aborted it',
    });
  });
});

describe('keepFailed: NOT_FOUND rows age from when their object went missing', () => {
  const missing = (label: string, scheduledMsAgo: number, missingMsAgo: number | null) =>
    snap(label, scheduledMsAgo, 'NOT_FOUND', { missingSince: missingMsAgo === null ? null : new Date(NOW.getTime() - missingMsAgo) });

  it('an old archive missing for an hour is kept; missing exactly 7 days is kept; a millisecond longer is deleted', () => {
    const history = [missing('hour', 700 * DAY, HOUR), missing('exact', 700 * DAY, 7 * DAY), missing('longer', 700 * DAY, 7 * DAY + 1)];
    expect(reasons(history, utc())).toEqual({
      hour: 'KEEP: NOT_FOUND: its object has been missing since 2026-11-25T11:00:00.000Z; kept for keepFailed.maxAgeSeconds (604800) in case it reappears',
      exact: 'KEEP: NOT_FOUND: its object has been missing since 2026-11-18T12:00:00.000Z; kept for keepFailed.maxAgeSeconds (604800) in case it reappears',
      longer: 'DELETE: NOT_FOUND: its object has been missing since 2026-11-18T11:59:59.999Z, longer than keepFailed.maxAgeSeconds (604800)',
    });
  });

  it('are not counted: 50 archives gone at once (a bucket emptied) all stay for the grace period', () => {
    const history = Array.from({ length: 50 }, (_, i) => missing(`n${i}`, (i + 1) * DAY, 10 * 60_000));
    expect(outcome(history, utc({ keepFailed: { last: 2, maxAgeSeconds: WEEK_SECONDS } })).deleted).toEqual([]);
  });

  it('without a known time, age from scheduledAt', () => {
    expect(outcome([missing('old', 8 * DAY, null), missing('young', 6 * DAY, null)], utc())).toEqual({ kept: ['young'], deleted: ['old'] });
  });

  it('do not count toward the keep rules, nor as the newest good snapshot', () => {
    const history = [snap('c1', 3 * DAY), snap('c2', 2 * DAY), missing('n3', DAY, HOUR)];
    expect(outcome(history, utc({ keepLast: 1 }))).toEqual({ kept: ['n3', 'c2'], deleted: ['c1'] });
  });
});

describe('keepLast', () => {
  it('words a snapshot no rule keeps with every rule that is set', () => {
    const history = [snap('c1', 10 * DAY), snap('c2', DAY), snap('c3', 0)];
    expect(reasons(history, utc({ keepLast: 1, keepDaily: 1, keepMonthly: 1 })).c1).toBe('DELETE: kept by no rule (keepLast 1, keepDaily 1, keepMonthly 1)');
  });

  it('words a snapshot several rules keep with each of them', () => {
    const history = [snap('c1', 2 * DAY), snap('c2', DAY), snap('c3', 0)];
    expect(reasons(history, utc({ keepLast: 2, keepDaily: 3 }))).toEqual({
      c3: 'KEEP: the newest good snapshot: never deleted; keepLast: 1 of the 2 newest; keepDaily: the newest of day 2026-11-25 (1 of 3)',
      c2: 'KEEP: keepLast: 2 of the 2 newest; keepDaily: the newest of day 2026-11-24 (2 of 3)',
      c1: 'KEEP: keepDaily: the newest of day 2026-11-23 (3 of 3)',
    });
  });
});
