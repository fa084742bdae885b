/**
 * A snapshot whose worker was lost (its heartbeat went stale, and this process
 * is not the one taking it). The store is asked first: a worker may have died
 * — or lost its database — after its archive was stored. A complete object
 * under the snapshot's name whose manifest names this snapshot is adopted;
 * otherwise the snapshot fails, its incomplete upload aborted, and any object
 * that is not its archive left where it is.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { openLocationStore } from '../locations/store.ts';
import type { ObjectStore } from '../storage/index.ts';
import { readArchiveManifest, scanArchive, UnreadableArchiveError, type ScannedArchive } from './archive-reader.ts';
import { SnapshotSchema, VolumeSnapshotSchema, type SkippedResourceRecord, type Snapshot, type VolumeSnapshot } from './entity.ts';
import { deriveFinalStatus, isTerminalVolumePhase } from './lifecycle.ts';
import type { SnapshotProgress } from './progress.ts';
import type { EngineDeps } from './engine-deps.ts';
import { moveSnapshot } from './transitions.ts';
import { failUnfinishedVolumes } from './volumes.ts';

export const RECOVERED_MESSAGE = 'recovered after worker loss';

/** What the store holds under a lost snapshot's name. */
type StoredVerdict =
  | { kind: 'archive'; scanned: ScannedArchive; location: string; skipped: SkippedResourceRecord[] }
  | { kind: 'absent' }
  /** An object that is not this snapshot's archive: left alone. */
  | { kind: 'foreign'; why: string };

export function isStale(snapshot: Pick<Snapshot, 'heartbeatAt' | 'startedAt'>, lockLifetimeMs: number, now = Date.now()): boolean {
  const last = snapshot.heartbeatAt ?? snapshot.startedAt;
  return !last || now - last.getTime() > lockLifetimeMs;
}

/** Lost by its worker: IN_PROGRESS, heartbeat stale, and not being taken by this process. */
function isLost(deps: EngineDeps, snapshot: Snapshot | null): snapshot is Snapshot {
  return snapshot?.status === 'IN_PROGRESS' && !deps.running.has(snapshot.id) && isStale(snapshot, deps.config.lockLifetimeMs);
}

/**
 * Finishes a lost snapshot from what the store holds. Returns true when it
 * finished it; false when it left it IN_PROGRESS (not lost after all, or the
 * store could not be asked: a later sweep tries again).
 */
export async function recoverLostSnapshot(deps: EngineDeps, snapshotId: string, log: Logger): Promise<boolean> {
  const em = deps.orm.em.fork();
  const snapshot = await em.findOne(SnapshotSchema, { id: snapshotId }, { populate: ['storageLocation'] });
  if (!isLost(deps, snapshot)) return false;
  const lastSeen = (snapshot.heartbeatAt ?? snapshot.startedAt)?.toISOString() ?? 'never';
  const lost = `worker lost: no heartbeat since ${lastSeen}`;

  let verdict: StoredVerdict = { kind: 'absent' };
  let uploadSettled = snapshot.uploadId === null;
  if (snapshot.storageLocation) {
    let store: ObjectStore;
    try {
      store = await openLocationStore(snapshot.storageLocation, deps.config.storage);
      verdict = await inspectStore(store, snapshot);
    } catch (error) {
      log.warn({ error: errorMessage(error), storageLocation: snapshot.storageLocation.name }, 'lost snapshot left IN_PROGRESS: its storage cannot be checked now');
      return false;
    }
    // Not before the verdict: abortUpload never removes a completed object, but an
    // adopted archive's upload is simply done.
    if (verdict.kind === 'archive') uploadSettled = true;
    else if (snapshot.uploadId) uploadSettled = await abortLostUpload(store, snapshot.name, snapshot.uploadId, log);
  }

  return deps.orm.em.fork().transactional(async (tx) => {
    const current = await tx.findOne(SnapshotSchema, { id: snapshotId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    // Its worker beat again, or someone else finished it, while the store was being asked.
    if (!isLost(deps, current)) return false;
    if (uploadSettled) current.uploadId = null;
    current.finishedAt = new Date();
    if (verdict.kind === 'archive') await adopt(tx, current, verdict, lost, log);
    else {
      const reason = verdict.kind === 'foreign' ? `${lost}; the object under its name is not its archive (${verdict.why}) and was left alone` : lost;
      await failUnfinishedVolumes(tx, current, reason);
      current.message = reason;
      await moveSnapshot(tx, current, 'FAILED', reason);
      log.warn({ uploadAborted: uploadSettled }, reason);
    }
    return true;
  });
}

async function adopt(tx: EntityManager, snapshot: Snapshot, archive: Extract<StoredVerdict, { kind: 'archive' }>, lost: string, log: Logger): Promise<void> {
  await failUnfinishedVolumes(tx, snapshot, lost);
  const volumes = await tx.find(VolumeSnapshotSchema, { snapshot: snapshot.id });
  const status = deriveFinalStatus({ archiveStored: true, volumePhases: volumes.map((volume) => volume.phase) });
  const failed = volumes.filter((volume) => volume.phase === 'FAILED');
  const note = failed.length ? `; ${failed.length} of ${volumes.length} volume snapshots failed: ${failed.map((v) => `${v.namespace}/${v.pvcName}: ${v.message}`).join('; ')}` : '';
  const { scanned } = archive;
  Object.assign(snapshot, {
    location: archive.location,
    sizeBytes: scanned.sizeBytes,
    sha256: scanned.sha256,
    objectCount: scanned.objectCount,
    resourceCounts: scanned.countsByResource,
    skippedResources: archive.skipped,
    message: `${RECOVERED_MESSAGE}${note}`,
    progress: adoptedProgress(snapshot, scanned, volumes),
  });
  await moveSnapshot(tx, snapshot, status, `${RECOVERED_MESSAGE}${note}`);
  log.warn({ status, sizeBytes: scanned.sizeBytes, sha256: scanned.sha256 }, `${lost}; its stored archive was adopted`);
}

/**
 * The totals of an adopted archive, as a finished snapshot keeps them: objects and bytes as
 * scanned, volumes from the rows; resource types as the lost worker last reported them,
 * else those the archive holds objects of.
 */
function adoptedProgress(snapshot: Snapshot, scanned: ScannedArchive, volumes: readonly VolumeSnapshot[]): SnapshotProgress {
  const resourceTypes = snapshot.progress?.resourceTypesTotal || Object.keys(scanned.countsByResource).length;
  return {
    resourceTypesDone: resourceTypes,
    resourceTypesTotal: resourceTypes,
    objectsWritten: scanned.objectCount,
    bytesWritten: scanned.sizeBytes,
    volumesDone: volumes.filter((volume) => isTerminalVolumePhase(volume.phase)).length,
    volumesTotal: volumes.length,
  };
}

/** Reads what stands under the snapshot's name; throws only when the store itself fails. */
async function inspectStore(store: ObjectStore, snapshot: Snapshot): Promise<StoredVerdict> {
  if ((await store.stat(snapshot.name)) === null) return { kind: 'absent' };
  try {
    const manifest = await readArchiveManifest(await store.read(snapshot.name));
    if (manifest.snapshotId !== snapshot.id) {
      return { kind: 'foreign', why: manifest.snapshotId ? `its manifest names snapshot ${manifest.snapshotId}` : 'its manifest names no snapshot' };
    }
    return { kind: 'archive', scanned: await scanArchive(await store.read(snapshot.name), manifest), location: store.locationOf(snapshot.name), skipped: manifest.skipped };
  } catch (error) {
    if (error instanceof UnreadableArchiveError) return { kind: 'foreign', why: `unreadable: ${error.message}` };
    throw error;
  }
}

/** true once the upload is gone; false keeps its id for the reconciler to abort later. */
async function abortLostUpload(store: ObjectStore, name: string, uploadId: string, log: Logger): Promise<boolean> {
  try {
    await store.abortUpload(name, uploadId);
    log.info({ uploadId }, "aborted the lost worker's upload");
    return true;
  } catch (error) {
    log.warn({ uploadId, error: errorMessage(error) }, "could not abort the lost worker's upload; the reconciler retries");
    return false;
  }
}
