/**
 * Retention: which finished snapshots a policy no longer keeps, and removing
 * them — object first, then the row, so a crash in between leaves a row whose
 * object is gone (the reconciler marks it NOT_FOUND), never an orphan object.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { VirtualClusterSchema } from '../clusters/entity.ts';
import { openObjectStore } from '../storage/index.ts';
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
    for (const snapshot of expired) {
      await removeSnapshot(deps, em, snapshot);
      removed += 1;
    }
    if (expired.length) deps.logger.info({ cluster: cluster.name, removed: expired.map((s) => s.name) }, 'retention removed snapshots');
  }
  return removed;
}

/** Object first, then the row. */
export async function removeSnapshot(deps: EngineDeps, em: EntityManager, snapshot: Snapshot): Promise<void> {
  if (snapshot.storageTarget && snapshot.location) {
    await openObjectStore(snapshot.storageTarget, deps.config.s3).remove(snapshot.name);
  }
  await em.nativeDelete(SnapshotSchema, { id: snapshot.id });
}
