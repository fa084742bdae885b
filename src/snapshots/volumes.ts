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
import type { EngineDeps } from './engine-deps.ts';
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

/** What the volume half of a snapshot came to. */
export interface VolumeReport {
  outcomes: VolumeOutcome[];
  /** Why no volume could be planned (the PVCs could not be listed): the snapshot is PARTIALLY_FAILED with it. */
  planningFailure?: string;
}

export interface PlannedVolumes {
  /** `<namespace>/<name>` of each VolumeSnapshot this snapshot will create: the archive leaves them (and their contents) out. */
  volumeSnapshotNames: ReadonlySet<string>;
  /** Takes, follows and cleans up the planned volumes; never rejects for a Kubernetes failure (that is a FAILED volume). */
  take(): Promise<VolumeReport>;
}

/** The temporary VolumeSnapshot of one volume of one snapshot (DNS-1123, unique per volume row). */
export const temporaryVolumeSnapshotName = (snapshotId: string, volumeId: string): string => `vsnap-${snapshotId.slice(0, 8)}-${volumeId.slice(0, 8)}`;

/**
 * Plans every PVC's volume snapshot and records the plan: one row per PVC,
 * SKIPPED or FAILED with the reason where it cannot be snapshotted. A cluster
 * whose PVCs cannot be listed gets no rows and a planning failure instead.
 * Nothing here throws for a Kubernetes failure: volumes never cost the archive.
 */
export async function planSnapshotVolumes(
  deps: EngineDeps,
  em: EntityManager,
  snapshot: Snapshot,
  kc: ClusterConnection,
  signal: AbortSignal,
): Promise<PlannedVolumes> {
  let plans: VolumePlan[];
  try {
    plans = await planVolumeSnapshots(kc, signal);
  } catch (error) {
    signal.throwIfAborted();
    const planningFailure = `volume snapshots not taken: ${errorMessage(error)}`;
    deps.logger.warn({ snapshotId: snapshot.id, err: error }, planningFailure);
    return { volumeSnapshotNames: new Set(), take: () => Promise.resolve({ outcomes: [], planningFailure }) };
  }
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
      if (plan.skip !== undefined) await moveVolume(tx, created[index]!, 'SKIPPED', plan.skip);
      else if (plan.fail !== undefined) await moveVolume(tx, created[index]!, 'FAILED', plan.fail);
    }
    return created;
  });
  const work = plans
    .map((plan, index) => ({ plan, id: rows[index]!.id }))
    .filter(({ plan }) => plan.volumeSnapshotClass !== undefined)
    .map((item) => ({ ...item, name: temporaryVolumeSnapshotName(snapshot.id, item.id) }));
  return {
    volumeSnapshotNames: new Set(work.map(({ plan, name }) => `${plan.namespace}/${name}`)),
    take: async () => {
      try {
        await runWithLimit(work, deps.config.volumeSnapshotConcurrency, (item) => snapshotVolume(deps, em.fork(), kc, snapshot, item, signal));
      } catch (error) {
        // snapshotVolume records its own failures; whatever escaped it still ends every volume.
        deps.logger.warn({ snapshotId: snapshot.id, err: error }, 'volume snapshots stopped');
        await em.fork().transactional((tx) => failUnfinishedVolumes(tx, snapshot, `volume snapshots stopped: ${errorMessage(error)}`));
      }
      const final = await em.fork().find(VolumeSnapshotSchema, { snapshot: snapshot.id }, { orderBy: { namespace: 'asc', pvcName: 'asc' } });
      return { outcomes: final.map((volume) => ({ phase: volume.phase, record: recordOf(volume) })) };
    },
  };
}

async function snapshotVolume(
  deps: EngineDeps,
  em: EntityManager,
  kc: ClusterConnection,
  snapshot: Snapshot,
  { plan, id: volumeId, name: snapshotName }: { plan: VolumePlan; id: string; name: string },
  signal: AbortSignal,
): Promise<void> {
  const log = deps.logger.child({ snapshotId: snapshot.id, volume: `${plan.namespace}/${plan.pvcName}` });
  const move = (to: VolumeSnapshotPhase, message?: string, fields: Partial<VolumeSnapshot> = {}) =>
    em.transactional(async (tx) => {
      const volume = await tx.findOneOrFail(VolumeSnapshotSchema, { id: volumeId }, { populate: ['snapshot'] });
      Object.assign(volume, fields);
      await moveVolume(tx, volume, to, message);
    });
  try {
    await move('IN_PROGRESS', `creating VolumeSnapshot ${plan.namespace}/${snapshotName}${plan.driverNote ? `; ${plan.driverNote}` : ''}`);
    const result = await takeVolumeSnapshot(kc, plan, {
      snapshotName,
      timeoutMs: deps.config.volumeSnapshotTimeoutMs,
      signal,
      snapshotId: snapshot.id,
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
