/**
 * No upload outlives its snapshot. An upload id stays on a FAILED snapshot
 * until its abort has succeeded, and each reconcile run retries those aborts;
 * then every storage location is listed for incomplete uploads that no live
 * snapshot owns (a worker that died before it could record the id leaves such
 * an upload), which are aborted once older than the snapshot timeout.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { errorMessage } from '../errors.ts';
import { StorageLocationSchema, type StorageLocation } from '../locations/entity.ts';
import { openLocationStore } from '../locations/store.ts';
import type { ObjectStore } from '../storage/index.ts';
import type { EngineDeps } from './engine-deps.ts';
import { SnapshotSchema } from './entity.ts';
import { isSnapshotObjectName } from './naming.ts';

export interface UploadCleanupReport {
  /** Pending aborts of FAILED snapshots that succeeded this run (their ids cleared). */
  pendingAborted: number;
  /** Pending aborts that failed again; their ids are kept for the next run. */
  stillPending: number;
  /** Incomplete uploads no snapshot owned, aborted. */
  orphansAborted: number;
}

export async function cleanUpUploads(deps: EngineDeps, now = new Date()): Promise<UploadCleanupReport> {
  const { aborted: pendingAborted, failed: stillPending } = await abortPendingUploads(deps);
  const orphansAborted = await abortOrphanedUploads(deps, now);
  const report = { pendingAborted, stillPending, orphansAborted };
  if (pendingAborted || stillPending || orphansAborted) deps.logger.info(report, 'uploads cleaned up');
  return report;
}

/** FAILED snapshots whose upload could not be aborted when they failed. */
async function abortPendingUploads(deps: EngineDeps): Promise<{ aborted: number; failed: number }> {
  const em = deps.orm.em.fork();
  const pending = await em.find(SnapshotSchema, { status: 'FAILED', uploadId: { $ne: null }, storageLocation: { $ne: null } }, { populate: ['storageLocation'] });
  const result = { aborted: 0, failed: 0 };
  for (const snapshots of Map.groupBy(pending, (snapshot) => snapshot.storageLocation!.id).values()) {
    const store = await openStore(deps, snapshots[0]!.storageLocation!);
    for (const { id, name, uploadId } of snapshots) {
      try {
        if (!store) throw new Error('its storage location cannot be opened');
        await store.abortUpload(name, uploadId!);
        await clearUploadId(em, uploadId!, id);
        result.aborted += 1;
      } catch (error) {
        deps.logger.warn({ snapshotId: id, uploadId, error: errorMessage(error) }, 'pending upload abort failed again; the next reconcile retries');
        result.failed += 1;
      }
    }
  }
  return result;
}

/** Incomplete uploads older than the snapshot timeout that no IN_PROGRESS snapshot owns. */
async function abortOrphanedUploads(deps: EngineDeps, now: Date): Promise<number> {
  const em = deps.orm.em.fork();
  // No snapshot runs longer than the timeout, so an older upload is nobody's work in progress.
  const cutoff = now.getTime() - deps.config.snapshotTimeoutMs;
  const live = new Set((await em.find(SnapshotSchema, { status: 'IN_PROGRESS', uploadId: { $ne: null } })).map((snapshot) => snapshot.uploadId));
  const seen = new Set<string>();
  let aborted = 0;
  for (const location of await em.find(StorageLocationSchema, {}, { orderBy: { name: 'asc' } })) {
    const store = await openStore(deps, location);
    if (!store) continue;
    // Several locations may share a bucket prefix (or directory): each is listed once.
    const where = `${location.endpoint ?? ''} ${store.location}`;
    if (seen.has(where)) continue;
    seen.add(where);
    try {
      for await (const upload of store.listIncompleteUploads()) {
        if (upload.initiated.getTime() >= cutoff || live.has(upload.uploadId) || !isSnapshotObjectName(upload.name)) continue;
        await store.abortUpload(upload.name, upload.uploadId);
        await clearUploadId(em, upload.uploadId);
        deps.logger.info({ storageLocation: location.name, name: upload.name, uploadId: upload.uploadId, initiated: upload.initiated }, 'aborted an orphaned upload');
        aborted += 1;
      }
    } catch (error) {
      deps.logger.warn({ storageLocation: location.name, error: errorMessage(error) }, 'incomplete uploads could not be listed or aborted; the next reconcile retries');
    }
  }
  return aborted;
}

/** The id is cleared only from a FAILED snapshot that still holds exactly this upload. */
async function clearUploadId(em: EntityManager, uploadId: string, snapshotId?: string): Promise<void> {
  await em.nativeUpdate(SnapshotSchema, { status: 'FAILED', uploadId, ...(snapshotId ? { id: snapshotId } : {}) }, { uploadId: null });
}

async function openStore(deps: EngineDeps, location: StorageLocation): Promise<ObjectStore | undefined> {
  try {
    return await openLocationStore(location, deps.config.storage);
  } catch (error) {
    deps.logger.warn({ storageLocation: location.name, error: errorMessage(error) }, 'storage location cannot be opened; its uploads are cleaned up later');
    return undefined;
  }
}
