/**
 * Retention: every cluster's snapshots planned by retention-policy.ts, and the
 * deletions carried out — object first, then the row, so a crash in between
 * leaves a row whose object is gone (the reconciler marks it NOT_FOUND), never
 * an orphan object. Each deletion is checked again under the row's lock, and
 * commits its DELETED event with the row's removal.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AutoSnapshotPolicy } from '../clusters/entity.ts';
import { VirtualClusterSchema } from '../clusters/entity.ts';
import { errorMessage } from '../errors.ts';
import { openLocationStore } from '../locations/store.ts';
import { SnapshotSchema, type Snapshot } from './entity.ts';
import type { SnapshotStatus } from './lifecycle.ts';
import { isGoodSnapshot, planRetention, type RetentionCandidate, type RetentionDecision, type RetentionPolicy } from './retention-policy.ts';
import type { EngineDeps } from './take.ts';
import { recordSnapshotDeleted } from './transitions.ts';

/** What retention reads of a snapshot row. */
export interface RetentionRow extends RetentionCandidate {
  virtualClusterId: string;
  projectId: string;
  name: string;
}

/** Clusters per statement, as the request loaders batch them. */
const CLUSTERS_PER_STATEMENT = 500;

/**
 * Every snapshot of the clusters, in one statement. A NOT_FOUND row's `missingSince`
 * is its last move to NOT_FOUND (the event log), or its last update once that event
 * has been pruned: never earlier than the object went missing.
 */
export async function retentionRows(em: EntityManager, clusterIds: readonly string[]): Promise<RetentionRow[]> {
  if (!clusterIds.length) return [];
  const rows = await em.execute<Record<string, unknown>[]>(
    `select s.id, s.virtual_cluster_id, s.project_id, s.name, s.status, s.scheduled_at, s.upload_id,
       case when s.status = 'NOT_FOUND' then coalesce(
         (select max(e.at) from snapshot_event e where e.snapshot_id = s.id and e.subject = 'SNAPSHOT' and e.to_state = 'NOT_FOUND'),
         s.updated_at) end as missing_since
     from snapshot s where s.virtual_cluster_id = any(?::uuid[])`,
    // A Postgres array literal: the driver would spread a JS array into a list.
    [`{${clusterIds.join(',')}}`],
  );
  const time = (value: unknown) => (value instanceof Date ? value : new Date(String(value)));
  return rows.map((row) => ({
    id: String(row.id),
    virtualClusterId: String(row.virtual_cluster_id),
    projectId: String(row.project_id),
    name: String(row.name),
    status: row.status as SnapshotStatus,
    scheduledAt: time(row.scheduled_at),
    missingSince: row.missing_since == null ? null : time(row.missing_since),
    uploadId: row.upload_id == null ? null : String(row.upload_id),
  }));
}

/** A cluster's policy as the planner reads it. */
export function retentionPolicyOf(policy: AutoSnapshotPolicy): RetentionPolicy {
  const { keepFailed, ...rules } = policy.retention;
  return { ...rules, keepFailed: { last: keepFailed.last, maxAgeSeconds: keepFailed.maxAgeSeconds }, timeZone: policy.timeZone };
}

/** The snapshots the next run would delete, with why: what `retentionPreview` shows. */
export function plannedDeletions<T extends RetentionCandidate>(rows: readonly T[], policy: AutoSnapshotPolicy, now: Date): RetentionDecision<T>[] {
  return planRetention(rows, retentionPolicyOf(policy), now).filter((decision) => !decision.keep);
}

/** Applies every cluster's retention policy; returns how many snapshots were removed. */
export async function enforceRetention(deps: EngineDeps, now = new Date()): Promise<number> {
  const em = deps.orm.em.fork();
  // Every cluster: FAILED and NOT_FOUND rows age out by keepFailed even without keep rules.
  const clusters = await em.find(VirtualClusterSchema, {}, { orderBy: { id: 'asc' } });
  let removed = 0;
  for (let start = 0; start < clusters.length; start += CLUSTERS_PER_STATEMENT) {
    const batch = clusters.slice(start, start + CLUSTERS_PER_STATEMENT);
    const rows = Map.groupBy(await retentionRows(em, batch.map((cluster) => cluster.id)), (row) => row.virtualClusterId);
    for (const cluster of batch) {
      const deletions = plannedDeletions(rows.get(cluster.id) ?? [], cluster.policy, now);
      if (deletions.length) removed += await applyRetentionPlan(deps, cluster.name, deletions);
    }
  }
  return removed;
}

/**
 * Carries out one cluster's planned deletions and logs one line for it: what went and
 * why, what stayed because its row changed since the plan, what could not be removed.
 */
export async function applyRetentionPlan(deps: EngineDeps, clusterName: string, deletions: readonly RetentionDecision<RetentionRow>[]): Promise<number> {
  const removed: { snapshot: string; reason: string }[] = [];
  const kept: { snapshot: string; why: string }[] = [];
  const failed: { snapshot: string; error: string }[] = [];
  for (const { snapshot, reason } of deletions) {
    try {
      const why = await removePlanned(deps, deps.orm.em.fork(), snapshot, reason);
      if (why) kept.push({ snapshot: snapshot.name, why });
      else removed.push({ snapshot: snapshot.name, reason });
    } catch (error) {
      // One unreachable store must not stop retention: the row stays (object first) and the next run tries again.
      failed.push({ snapshot: snapshot.name, error: errorMessage(error) });
    }
  }
  const line = { cluster: clusterName, removed, ...(kept.length ? { kept } : {}), ...(failed.length ? { failed } : {}) };
  if (failed.length) deps.logger.warn(line, 'retention could not remove every snapshot it planned to; the rest is kept for the next run');
  else deps.logger.info(line, `retention removed ${removed.length} snapshot${removed.length === 1 ? '' : 's'}`);
  return removed.length;
}

/**
 * Removes one planned snapshot under its row's lock, unless the row has changed
 * since the plan: returns why it was kept then, undefined once it is gone.
 */
async function removePlanned(deps: EngineDeps, em: EntityManager, planned: RetentionRow, reason: string): Promise<string | undefined> {
  return em.transactional(async (tx) => {
    const snapshot = await tx.findOne(SnapshotSchema, { id: planned.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!snapshot) return 'deleted meanwhile';
    if (snapshot.status !== planned.status) return `now ${snapshot.status}; the next run decides again`;
    if (snapshot.uploadId) return 'its upload is still to be aborted';
    if (isGoodSnapshot(snapshot.status) && !(await newerGoodSnapshot(tx, snapshot))) return 'it is now the newest good snapshot';
    if (snapshot.status === 'NOT_FOUND') {
      // Its object may be back since the plan: that is a good archive again, for reconcile to restore.
      if (await objectIsStored(deps, tx, snapshot)) return 'its object is back in storage';
    } else if (snapshot.location && snapshot.storageLocation) {
      await tx.populate(snapshot, ['storageLocation']);
      await (await openLocationStore(snapshot.storageLocation, deps.config.storage)).remove(snapshot.name);
    }
    await recordSnapshotDeleted(tx, snapshot, `removed by retention: ${reason}`);
    await tx.nativeDelete(SnapshotSchema, { id: snapshot.id });
    return undefined;
  });
}

/**
 * A good snapshot of the same cluster newer than `snapshot`, locked FOR SHARE so that
 * it cannot be deleted or go NOT_FOUND before this transaction ends: the newest good
 * snapshot survives even a deletion racing the plan.
 */
async function newerGoodSnapshot(tx: EntityManager, snapshot: Snapshot): Promise<Snapshot | null> {
  return tx.findOne(
    SnapshotSchema,
    {
      virtualCluster: snapshot.virtualCluster,
      status: { $in: ['COMPLETED', 'PARTIALLY_FAILED'] },
      $or: [{ scheduledAt: { $gt: snapshot.scheduledAt } }, { scheduledAt: snapshot.scheduledAt, id: { $gt: snapshot.id } }],
    },
    { lockMode: LockMode.PESSIMISTIC_READ, orderBy: { scheduledAt: 'desc', id: 'desc' } },
  );
}

/** Whether a NOT_FOUND snapshot's object is in its store again (a store that cannot say throws: the row stays). */
async function objectIsStored(deps: EngineDeps, tx: EntityManager, snapshot: Snapshot): Promise<boolean> {
  if (!snapshot.storageLocation) return false;
  await tx.populate(snapshot, ['storageLocation']);
  return (await (await openLocationStore(snapshot.storageLocation, deps.config.storage)).stat(snapshot.name)) !== null;
}
