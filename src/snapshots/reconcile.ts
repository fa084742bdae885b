/**
 * Keeping rows true to the world: stored snapshots whose object vanished
 * become NOT_FOUND (and return when it reappears), and snapshots stuck
 * SCHEDULED or IN_PROGRESS past their time are failed or recovered.
 * (Uploads left behind are aborted by orphaned-uploads.ts.)
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SnapshotEventSchema } from '../events/entity.ts';
import { StorageLocationSchema } from '../locations/entity.ts';
import { openLocationStore } from '../locations/store.ts';
import { SnapshotSchema } from './entity.ts';
import type { SnapshotStatus } from './lifecycle.ts';
import type { EngineDeps } from './engine-deps.ts';
import { recoverLostSnapshot } from './recovery.ts';
import { moveSnapshot } from './transitions.ts';

export interface ReconcileReport {
  missing: number;
  reappeared: number;
}

/** Compares stored snapshots with their storage locations' listings. */
export async function reconcileStorage(deps: EngineDeps): Promise<ReconcileReport> {
  const em = deps.orm.em.fork();
  // Rows first, listing second: a snapshot finished after the listing is not misjudged missing.
  const stored = await em.find(SnapshotSchema, {
    status: { $in: ['COMPLETED', 'PARTIALLY_FAILED', 'NOT_FOUND'] },
    storageLocation: { $ne: null },
  });
  const report: ReconcileReport = { missing: 0, reappeared: 0 };
  const byLocation = Map.groupBy(stored, (snapshot) => snapshot.storageLocation!.id);
  const locations = await em.find(StorageLocationSchema, { id: { $in: [...byLocation.keys()] } });
  for (const location of locations) {
    const snapshots = byLocation.get(location.id) ?? [];
    const present = new Set<string>();
    try {
      for await (const object of (await openLocationStore(location, deps.config.storage)).list()) present.add(object.name);
    } catch (error) {
      // An unreachable or refused store says nothing about its objects: leave the rows as they are.
      deps.logger.warn({ err: error, storageLocation: location.name }, 'storage could not be listed; reconcile skipped for it');
      continue;
    }
    for (const snapshot of snapshots) {
      const found = present.has(snapshot.name);
      if (!found && snapshot.status !== 'NOT_FOUND') {
        await move(em, snapshot.id, 'NOT_FOUND', `object ${snapshot.location ?? snapshot.name} is gone from storage`);
        report.missing += 1;
      } else if (found && snapshot.status === 'NOT_FOUND') {
        await move(em, snapshot.id, await statusBeforeNotFound(em, snapshot.id), 'object is back in storage');
        report.reappeared += 1;
      }
    }
  }
  if (report.missing || report.reappeared) deps.logger.info(report, 'storage reconciled');
  return report;
}

async function move(em: EntityManager, id: string, to: SnapshotStatus, message: string): Promise<void> {
  await em.transactional(async (tx) => {
    const snapshot = await tx.findOne(SnapshotSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    // Deleted or moved on meanwhile: nothing to do.
    if (!snapshot || snapshot.status === to) return;
    await moveSnapshot(tx, snapshot, to, message);
  });
}

/** NOT_FOUND returns to the status it left, as its last event records. */
async function statusBeforeNotFound(em: EntityManager, snapshotId: string): Promise<SnapshotStatus> {
  const event = await em.findOne(SnapshotEventSchema, { snapshotId, subject: 'SNAPSHOT', toState: 'NOT_FOUND' }, { orderBy: { id: 'desc' } });
  return event?.fromState === 'PARTIALLY_FAILED' ? 'PARTIALLY_FAILED' : 'COMPLETED';
}

export interface SweepReport {
  /** SCHEDULED snapshots failed for never starting. */
  neverStarted: number;
  /** IN_PROGRESS snapshots of lost workers finished (adopted or failed). */
  recovered: number;
  /** Clusters whose in-progress snapshot was finished here: a SCHEDULED one may now start. */
  freedClusterIds: string[];
}

/**
 * No snapshot stays SCHEDULED or IN_PROGRESS past its time: a SCHEDULED one
 * that never started within the snapshot timeout fails, an IN_PROGRESS one
 * whose worker stopped renewing its heartbeat is recovered as lost — unless
 * this process is taking it (a database outage stops a heartbeat, not the work).
 */
export async function sweepStuckSnapshots(deps: EngineDeps, now = new Date()): Promise<SweepReport> {
  const em = deps.orm.em.fork();
  const stuck = await em.find(SnapshotSchema, {
    $or: [
      { status: 'SCHEDULED', scheduledAt: { $lt: new Date(now.getTime() - deps.config.snapshotTimeoutMs) } },
      { status: 'IN_PROGRESS', heartbeatAt: { $lt: new Date(now.getTime() - deps.config.lockLifetimeMs) } },
    ],
  });
  const report: SweepReport = { neverStarted: 0, recovered: 0, freedClusterIds: [] };
  for (const { id, status, virtualCluster } of stuck) {
    if (status === 'IN_PROGRESS') {
      if (deps.running.has(id)) continue;
      if (await recoverLostSnapshot(deps, id, deps.logger.child({ snapshotId: id }))) {
        report.recovered += 1;
        report.freedClusterIds.push(virtualCluster.id);
      }
      continue;
    }
    const failed = await em.fork().transactional(async (tx) => {
      const snapshot = await tx.findOne(SnapshotSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (snapshot?.status !== 'SCHEDULED') return false;
      snapshot.finishedAt = now;
      snapshot.message = `never started within ${deps.config.snapshotTimeoutMs / 1000}s`;
      await moveSnapshot(tx, snapshot, 'FAILED', snapshot.message);
      return true;
    });
    if (failed) report.neverStarted += 1;
  }
  return report;
}
