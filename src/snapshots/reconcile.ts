/**
 * Keeping rows true to the world: stored snapshots whose object vanished
 * become NOT_FOUND (and return when it reappears), those whose object is
 * listed with another size than recorded get integrity MISMATCH, and snapshots stuck
 * SCHEDULED or IN_PROGRESS past their time are failed or recovered.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SnapshotEventSchema } from '../events/entity.ts';
import { StorageLocationSchema } from '../locations/entity.ts';
import { openLocationStore } from '../locations/store.ts';
import { SnapshotSchema } from './entity.ts';
import type { SnapshotStatus } from './lifecycle.ts';
import { isStale, recoverLostSnapshot, type EngineDeps } from './take.ts';
import { moveSnapshot } from './transitions.ts';
import { compareListedSize } from './verify.ts';

export interface ReconcileReport {
  missing: number;
  reappeared: number;
  /** Rows whose integrity the listing's sizes changed (MISMATCH, or back to UNVERIFIED). */
  integrityChanged: number;
}

/** Compares stored snapshots with their storage locations' listings. */
export async function reconcileStorage(deps: EngineDeps): Promise<ReconcileReport> {
  const em = deps.orm.em.fork();
  // Rows first, listing second: a snapshot finished after the listing is not misjudged missing.
  const stored = await em.find(SnapshotSchema, {
    status: { $in: ['COMPLETED', 'PARTIALLY_FAILED', 'NOT_FOUND'] },
    storageLocation: { $ne: null },
  });
  const report: ReconcileReport = { missing: 0, reappeared: 0, integrityChanged: 0 };
  const byLocation = Map.groupBy(stored, (snapshot) => snapshot.storageLocation!.id);
  const locations = await em.find(StorageLocationSchema, { id: { $in: [...byLocation.keys()] } });
  for (const location of locations) {
    const snapshots = byLocation.get(location.id) ?? [];
    // Name → size as listed: a size other than the recorded one is an integrity MISMATCH.
    const present = new Map<string, number>();
    try {
      for await (const object of (await openLocationStore(location, deps.config.storage)).list()) present.set(object.name, object.size);
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
      const listedSize = present.get(snapshot.name);
      if (listedSize !== undefined && (await compareListedSize(em, snapshot, listedSize, deps.logger))) report.integrityChanged += 1;
    }
  }
  if (report.missing || report.reappeared || report.integrityChanged) deps.logger.info(report, 'storage reconciled');
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

/**
 * No snapshot stays SCHEDULED or IN_PROGRESS past its time: a SCHEDULED one
 * that never started within the snapshot timeout fails, an IN_PROGRESS one
 * whose worker stopped renewing its heartbeat is recovered as lost.
 */
export async function sweepStuckSnapshots(deps: EngineDeps, now = new Date()): Promise<number> {
  const em = deps.orm.em.fork();
  const stuck = await em.find(SnapshotSchema, {
    $or: [
      { status: 'SCHEDULED', scheduledAt: { $lt: new Date(now.getTime() - deps.config.snapshotTimeoutMs) } },
      { status: 'IN_PROGRESS', heartbeatAt: { $lt: new Date(now.getTime() - deps.config.lockLifetimeMs) } },
    ],
  });
  for (const { id } of stuck) {
    await em.transactional(async (tx) => {
      const snapshot = await tx.findOne(SnapshotSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (snapshot?.status === 'SCHEDULED') {
        snapshot.finishedAt = now;
        snapshot.message = `never started within ${deps.config.snapshotTimeoutMs / 1000}s`;
        await moveSnapshot(tx, snapshot, 'FAILED', snapshot.message);
      } else if (snapshot?.status === 'IN_PROGRESS' && isStale(snapshot, deps.config.lockLifetimeMs, now.getTime())) {
        await recoverLostSnapshot(deps, tx, snapshot, deps.logger.child({ snapshotId: id }));
      }
    });
  }
  return stuck.length;
}
