/**
 * planRetention over random histories and policies: the guarantees hold for
 * every one, not just the hand-written tables.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_STATUSES } from '../../src/snapshots/lifecycle.ts';
import { GFS_RULES, planRetention, type RetentionCandidate, type RetentionPolicy } from '../../src/snapshots/retention-policy.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const THREE_YEARS = 3 * 365 * 86_400_000;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Adelaide', 'Pacific/Chatham'];

/** Snapshots with unique ids, some sharing an instant, within three years before NOW. */
const history = fc
  .array(
    fc.record({
      status: fc.constantFrom(...SNAPSHOT_STATUSES, 'COMPLETED', 'COMPLETED', 'FAILED'),
      // Whole hours now and then, so that ties and period boundaries happen.
      ago: fc.oneof(fc.integer({ min: 0, max: THREE_YEARS }), fc.integer({ min: 0, max: 2000 }).map((hours) => hours * 3_600_000)),
      missingAgo: fc.option(fc.integer({ min: 0, max: 30 * 86_400_000 }), { nil: undefined }),
      uploadId: fc.option(fc.constant('upload'), { nil: null, freq: 5 }),
    }),
    { maxLength: 60 },
  )
  .map((rows) =>
    rows.map(
      (row, index): RetentionCandidate => ({
        id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
        status: row.status,
        scheduledAt: new Date(NOW.getTime() - row.ago),
        missingSince: row.missingAgo === undefined ? null : new Date(NOW.getTime() - row.missingAgo),
        uploadId: row.status === 'FAILED' ? row.uploadId : null,
      }),
    ),
  );

const count = fc.option(fc.integer({ min: 0, max: 12 }), { nil: null });
const policy: fc.Arbitrary<RetentionPolicy> = fc.record({
  timeZone: fc.constantFrom(...ZONES),
  keepLast: count,
  keepHourly: count,
  keepDaily: count,
  keepWeekly: count,
  keepMonthly: count,
  keepYearly: count,
  maxAgeSeconds: fc.option(fc.integer({ min: 60, max: 4 * 365 * 86_400 }), { nil: null }),
  keepFailed: fc.record({ last: fc.integer({ min: 0, max: 12 }), maxAgeSeconds: fc.integer({ min: 60, max: 30 * 86_400 }) }),
});

const isGood = (s: RetentionCandidate) => s.status === 'COMPLETED' || s.status === 'PARTIALLY_FAILED';
const deletedIds = (snapshots: RetentionCandidate[], p: RetentionPolicy) =>
  new Set(planRetention(snapshots, p, NOW).filter((d) => !d.keep).map((d) => d.snapshot.id));
const hasKeepRule = (p: RetentionPolicy) => GFS_RULES.some((rule) => p[rule] != null);

describe('planRetention, for every history and policy', () => {
  it('decides every snapshot exactly once, newest first, with a reason', () => {
    fc.assert(
      fc.property(history, policy, (snapshots, p) => {
        const plan = planRetention(snapshots, p, NOW);
        expect(plan.map((d) => d.snapshot.id).sort()).toEqual(snapshots.map((s) => s.id).sort());
        for (let i = 1; i < plan.length; i++) {
          const [newer, older] = [plan[i - 1]!.snapshot, plan[i]!.snapshot];
          expect(newer.scheduledAt.getTime() > older.scheduledAt.getTime() || (newer.scheduledAt.getTime() === older.scheduledAt.getTime() && newer.id > older.id)).toBe(true);
        }
        for (const decision of plan) expect(decision.reason).not.toBe('');
      }),
    );
  });

  it('never deletes the newest good snapshot', () => {
    fc.assert(
      fc.property(history, policy, (snapshots, p) => {
        const good = snapshots.filter(isGood).sort((a, b) => b.scheduledAt.getTime() - a.scheduledAt.getTime() || (a.id < b.id ? 1 : -1));
        if (good.length) expect(deletedIds(snapshots, p).has(good[0]!.id)).toBe(false);
      }),
    );
  });

  it('never deletes a SCHEDULED or IN_PROGRESS snapshot, nor a FAILED one with an upload to abort', () => {
    fc.assert(
      fc.property(history, policy, (snapshots, p) => {
        const deleted = deletedIds(snapshots, p);
        for (const s of snapshots) {
          if (s.status === 'SCHEDULED' || s.status === 'IN_PROGRESS' || s.uploadId) expect(deleted.has(s.id)).toBe(false);
        }
      }),
    );
  });

  it('FAILED and NOT_FOUND rows do not change what happens to good ones', () => {
    fc.assert(
      fc.property(history, policy, (snapshots, p) => {
        const good = snapshots.filter(isGood);
        const goodDeleted = [...deletedIds(snapshots, p)].filter((id) => good.some((s) => s.id === id)).sort();
        expect(goodDeleted).toEqual([...deletedIds(good, p)].sort());
      }),
    );
  });

  it('adding a keep rule, or raising a count, never deletes more', () => {
    fc.assert(
      fc.property(history, policy, fc.constantFrom(...GFS_RULES), fc.integer({ min: 0, max: 12 }), (snapshots, p, rule, more) => {
        fc.pre(hasKeepRule(p));
        const wider = { ...p, [rule]: (p[rule] ?? 0) + more };
        const before = deletedIds(snapshots, p);
        for (const id of deletedIds(snapshots, wider)) expect(before.has(id)).toBe(true);
      }),
    );
  });

  it('deletes no good snapshot within maxAgeSeconds while no keep rule is set', () => {
    fc.assert(
      fc.property(history, policy, (snapshots, p) => {
        const open = { ...p, ...Object.fromEntries(GFS_RULES.map((rule) => [rule, null])) };
        for (const decision of planRetention(snapshots, open, NOW)) {
          if (!isGood(decision.snapshot)) continue;
          const within = open.maxAgeSeconds == null || NOW.getTime() - decision.snapshot.scheduledAt.getTime() <= open.maxAgeSeconds * 1000;
          if (within) expect(decision.keep).toBe(true);
        }
      }),
    );
  });

  it('keeps at most 1 + the sum of the counts of good snapshots when a keep rule is set', () => {
    fc.assert(
      fc.property(history, policy, (snapshots, p) => {
        fc.pre(hasKeepRule(p));
        const keptGood = planRetention(snapshots, p, NOW).filter((d) => d.keep && isGood(d.snapshot)).length;
        expect(keptGood).toBeLessThanOrEqual(1 + GFS_RULES.reduce((sum, rule) => sum + (p[rule] ?? 0), 0));
      }),
    );
  });

  it('is settled: after its deletions, planning again deletes nothing', () => {
    fc.assert(
      fc.property(history, policy, (snapshots, p) => {
        const deleted = deletedIds(snapshots, p);
        expect(deletedIds(snapshots.filter((s) => !deleted.has(s.id)), p).size).toBe(0);
      }),
    );
  });

  it('does not depend on the order of its input', () => {
    fc.assert(
      fc.property(history, policy, fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), (snapshots, p, random) => {
        const shuffled = snapshots.map((s) => ({ s, key: random.next().value })).sort((a, b) => a.key - b.key).map(({ s }) => s);
        expect(planRetention(shuffled, p, NOW)).toEqual(planRetention(snapshots, p, NOW));
      }),
    );
  });
});
