/** Which finished snapshots a retention policy no longer keeps. Pure; retention.ts applies it. */
import type { Snapshot } from './entity.ts';
import { isActiveSnapshotStatus } from './lifecycle.ts';

export interface RetentionPolicy {
  maxSnapshots?: number | null;
  maxAgeSeconds?: number | null;
}

type Candidate = Pick<Snapshot, 'id' | 'status' | 'scheduledAt'>;

/**
 * The snapshots to remove: beyond the newest `maxSnapshots` finished ones, or
 * scheduled longer ago than `maxAgeSeconds`. Snapshots still being worked on
 * are never removed and do not count.
 */
export function expiredSnapshots<T extends Candidate>(snapshots: readonly T[], policy: RetentionPolicy, now: Date): T[] {
  const finished = snapshots
    .filter((snapshot) => !isActiveSnapshotStatus(snapshot.status))
    .sort((a, b) => b.scheduledAt.getTime() - a.scheduledAt.getTime() || (a.id < b.id ? 1 : -1));
  const oldestKept = policy.maxAgeSeconds ? now.getTime() - policy.maxAgeSeconds * 1000 : -Infinity;
  return finished.filter(
    (snapshot, index) => (policy.maxSnapshots != null && index >= policy.maxSnapshots) || snapshot.scheduledAt.getTime() < oldestKept,
  );
}
