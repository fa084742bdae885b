/**
 * The volume half of a snapshot: one VolumeSnapshot row per PVC, moved through
 * its phases (transitions.ts) as the CSI objects in the cluster progress.
 */
import type { ClusterConnection } from '../kube/connect.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  cleanupVolumeSnapshot,
  planVolumeSnapshots,
  runWithLimit,
  takeVolumeSnapshot,
  type VolumePlan,
} from '../kube/volume-snapshots.ts';
import { VolumeSnapshotSchema, type Snapshot, type VolumeSnapshot } from './entity.ts';
import { isTerminalVolumePhase, type VolumeSnapshotPhase } from './lifecycle.ts';
import type { EngineDeps } from './take.ts';
import { moveVolume } from './transitions.ts';
import { errorMessage } from '../errors.ts';

/** What volumes.json in the archive says about one volume. */
export interface VolumeRecord {
  namespace: string;
  pvcName: string;
  phase: VolumeSnapshotPhase;
  driver: string | null;
  volumeSnapshotClass: string | null;
  snapshotHandle: string | null;
  restoreSizeBytes: number | null;
  message: string | null;
}

export interface VolumeOutcome {
  phase: VolumeSnapshotPhase;
  record: VolumeRecord;
}

const recordOf = (volume: VolumeSnapshot): VolumeRecord => ({
  namespace: volume.namespace,
  pvcName: volume.pvcName,
  phase: volume.phase,
  driver: volume.driver ?? null,
  volumeSnapshotClass: volume.volumeSnapshotClass ?? null,
  snapshotHandle: volume.snapshotHandle ?? null,
  restoreSizeBytes: volume.restoreSizeBytes ?? null,
  message: volume.message ?? null,
});

/** Plans, takes and cleans up every PVC's volume snapshot; resolves when each has a terminal phase. */
export async function snapshotVolumes(
  deps: EngineDeps,
  em: EntityManager,
  snapshot: Snapshot,
  kc: ClusterConnection,
  signal: AbortSignal,
): Promise<VolumeOutcome[]> {
  const plans = await planVolumeSnapshots(kc);
  const rows = await em.transactional(async (tx) => {
    const created = plans.map((plan) =>
      tx.create(VolumeSnapshotSchema, {
        snapshot: snapshot.id,
        namespace: plan.namespace,
        pvcName: plan.pvcName,
        driver: plan.driver ?? null,
        volumeSnapshotClass: plan.volumeSnapshotClass ?? null,
      }),
    );
    await tx.flush();
    for (const [index, plan] of plans.entries()) {
      if (plan.skip) await moveVolume(tx, created[index]!, 'SKIPPED', plan.skip);
    }
    return created;
  });
  const work = plans.map((plan, index) => ({ plan, id: rows[index]!.id })).filter(({ plan }) => !plan.skip);
  await runWithLimit(work, deps.config.volumeSnapshotConcurrency, ({ plan, id }) => snapshotVolume(deps, em.fork(), kc, snapshot, plan, id, signal));
  const final = await em.fork().find(VolumeSnapshotSchema, { snapshot: snapshot.id }, { orderBy: { namespace: 'asc', pvcName: 'asc' } });
  return final.map((volume) => ({ phase: volume.phase, record: recordOf(volume) }));
}

async function snapshotVolume(
  deps: EngineDeps,
  em: EntityManager,
  kc: ClusterConnection,
  snapshot: Snapshot,
  plan: VolumePlan,
  volumeId: string,
  signal: AbortSignal,
): Promise<void> {
  const log = deps.logger.child({ snapshotId: snapshot.id, volume: `${plan.namespace}/${plan.pvcName}` });
  const move = (to: VolumeSnapshotPhase, message?: string, fields: Partial<VolumeSnapshot> = {}) =>
    em.transactional(async (tx) => {
      const volume = await tx.findOneOrFail(VolumeSnapshotSchema, { id: volumeId }, { populate: ['snapshot'] });
      Object.assign(volume, fields);
      await moveVolume(tx, volume, to, message);
    });
  const snapshotName = `vsnap-${snapshot.id.slice(0, 8)}-${volumeId.slice(0, 8)}`;
  try {
    await move('IN_PROGRESS', `creating VolumeSnapshot ${plan.namespace}/${snapshotName}`);
    const result = await takeVolumeSnapshot(kc, plan, {
      snapshotName,
      timeoutMs: deps.config.volumeSnapshotTimeoutMs,
      signal,
      labels: { 'vsnap.io/snapshot-id': snapshot.id },
    });
    if (result.ok) {
      await move('COMPLETED_CLEANING_UP', `ready: ${result.snapshotHandle}`, {
        snapshotHandle: result.snapshotHandle,
        restoreSizeBytes: result.restoreSizeBytes,
      });
    } else {
      await move('FAILED_CLEANING_UP', result.reason);
    }
    try {
      await cleanupVolumeSnapshot(kc, plan, snapshotName, {
        keepBackendSnapshot: result.ok,
        contentName: result.ok ? result.contentName : undefined,
      });
      await (result.ok ? move('COMPLETED', 'temporary objects removed') : move('FAILED', result.reason));
    } catch (error) {
      await move('FAILED', `${result.ok ? '' : `${result.reason}; `}cleanup failed: ${errorMessage(error)}`);
    }
    log.info({ ok: result.ok }, 'volume snapshot finished');
  } catch (error) {
    log.warn({ err: error }, 'volume snapshot failed');
    await failVolume(em, volumeId, errorMessage(error));
  }
}

async function failVolume(em: EntityManager, volumeId: string, reason: string): Promise<void> {
  await em.transactional(async (tx) => {
    const volume = await tx.findOneOrFail(VolumeSnapshotSchema, { id: volumeId }, { populate: ['snapshot'] });
    if (!isTerminalVolumePhase(volume.phase)) await moveVolume(tx, volume, 'FAILED', reason);
  });
}

/** Every volume not yet in a terminal phase becomes FAILED with `reason` (inside the caller's transaction). */
export async function failUnfinishedVolumes(tx: EntityManager, snapshot: Snapshot, reason: string): Promise<void> {
  const volumes = await tx.find(VolumeSnapshotSchema, { snapshot: snapshot.id }, { populate: ['snapshot'] });
  for (const volume of volumes) {
    if (!isTerminalVolumePhase(volume.phase)) await moveVolume(tx, volume, 'FAILED', reason);
  }
}
