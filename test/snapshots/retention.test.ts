import { describe, expect, it } from 'vitest';
import type { SnapshotStatus } from '../../src/snapshots/lifecycle.ts';
import { expiredSnapshots, type RetentionPolicy } from '../../src/snapshots/retention-policy.ts';

const now = new Date('2026-11-25T12:00:00Z');
const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3600_000);

/** s<n>: n hours old; status defaults to COMPLETED. */
const snap = (hours: number, status: SnapshotStatus = 'COMPLETED') => ({ id: `s${hours}`, status, scheduledAt: hoursAgo(hours) });

const ids = (snapshots: { id: string }[]) => snapshots.map((s) => s.id).sort();

describe('expiredSnapshots', () => {
  const history = [snap(1), snap(5, 'FAILED'), snap(2, 'PARTIALLY_FAILED'), snap(30, 'NOT_FOUND'), snap(48), snap(0, 'IN_PROGRESS'), snap(0.5, 'SCHEDULED')];

  it.each<[string, RetentionPolicy, string[]]>([
    ['no limits keeps everything', {}, []],
    ['maxSnapshots 3 keeps the three newest finished', { maxSnapshots: 3 }, ['s30', 's48']],
    ['maxSnapshots 1', { maxSnapshots: 1 }, ['s2', 's30', 's48', 's5']],
    ['maxSnapshots larger than the history', { maxSnapshots: 10 }, []],
    ['maxAge 24h removes older ones', { maxAgeSeconds: 24 * 3600 }, ['s30', 's48']],
    ['maxAge 3h', { maxAgeSeconds: 3 * 3600 }, ['s30', 's48', 's5']],
    ['both: either rule removes', { maxSnapshots: 4, maxAgeSeconds: 40 * 3600 }, ['s48']],
    ['both: count is stricter', { maxSnapshots: 2, maxAgeSeconds: 40 * 3600 }, ['s30', 's48', 's5']],
  ])('%s', (_name, policy, expected) => {
    expect(ids(expiredSnapshots(history, policy, now))).toEqual(expected.sort());
  });

  it('never removes a snapshot still being worked on, however old', () => {
    const old = [snap(100, 'SCHEDULED'), snap(90, 'IN_PROGRESS'), snap(80)];
    expect(ids(expiredSnapshots(old, { maxSnapshots: 0, maxAgeSeconds: 60 }, now))).toEqual(['s80']);
  });

  it('breaks ties on time by id so the choice is stable', () => {
    const same = [
      { id: 'a', status: 'COMPLETED' as const, scheduledAt: hoursAgo(1) },
      { id: 'b', status: 'COMPLETED' as const, scheduledAt: hoursAgo(1) },
    ];
    expect(ids(expiredSnapshots(same, { maxSnapshots: 1 }, now))).toEqual(ids(expiredSnapshots([...same].reverse(), { maxSnapshots: 1 }, now)));
  });
});
