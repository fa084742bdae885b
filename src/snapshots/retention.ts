/**
 * Retention: which finished snapshots a policy no longer keeps, and removing
 * them — object first, then the row, so a crash in between leaves a row whose
 * object is gone (the reconciler marks it NOT_FOUND), never an orphan object.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { VirtualClusterSchema } from '../clusters/entity.ts';
import { openLocationStore } from '../locations/store.ts';
import { SnapshotSchema, type Snapshot } from './entity.ts';
import { expiredSnapshots } from './retention-policy.ts';
import type { EngineDeps } from './take.ts';

/** Applies every cluster's retention policy; returns how many snapshots were removed. */
export async function enforceRetention(deps: EngineDeps, now = new Date()): Promise<number> {
  const em = deps.orm.em.fork();
  const clusters = await em.find(VirtualClusterSchema, {
    $or: [{ policy: { retentionMaxSnapshots: { $ne: null } } }, { policy: { retentionMaxAgeSeconds: { $ne: null } } }],
  });
  let removed = 0;
  for (const cluster of clusters) {
    const snapshots = await em.find(SnapshotSchema, { virtualCluster: cluster.id });
    const expired = expiredSnapshots(
      snapshots,
      { maxSnapshots: cluster.policy.retentionMaxSnapshots, maxAgeSeconds: cluster.policy.retentionMaxAgeSeconds },
      now,
    );
    const gone: string[] = [];
    for (const snapshot of expired) {
      try {
        await removeSnapshot(deps, em, snapshot);
      } catch (error) {
        // One unreachable store must not stop retention for the rest: the row stays (object
        // first) and the next run tries again.
        deps.logger.warn({ err: error, cluster: cluster.name, snapshot: snapshot.name }, 'retention could not remove a snapshot; kept for the next run');
        continue;
      }
      gone.push(snapshot.name);
    }
    removed += gone.length;
    if (gone.length) deps.logger.info({ cluster: cluster.name, removed: gone }, 'retention removed snapshots');
  }
  return removed;
}

/** Object first, then the row. */
export async function removeSnapshot(deps: EngineDeps, em: EntityManager, snapshot: Snapshot): Promise<void> {
  if (snapshot.storageLocation && snapshot.location) {
    await em.populate(snapshot, ['storageLocation']);
    await (await openLocationStore(snapshot.storageLocation, deps.config.storage)).remove(snapshot.name);
  }
  await em.nativeDelete(SnapshotSchema, { id: snapshot.id });
}
