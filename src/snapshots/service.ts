import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ClusterService } from '../clusters/service.ts';
import { requestJob, type SnapshotJobs } from '../jobs/jobs.ts';
import type { Logger } from '../logger.ts';
import { cursorKey, encodeCursor, type PageRequest } from '../db/keyset.ts';
import { preparedRows } from '../db/prepared.ts';
import { ConflictError, NotFoundError, quoted, StorageUnavailableError } from '../errors.ts';
import type { LocationStoreOpener } from '../locations/store.ts';
import { StorageError, storageFailureForTenant } from '../storage/index.ts';
import { SnapshotEventSchema, type SnapshotEvent } from '../events/entity.ts';
import type { StorageLocation } from '../locations/entity.ts';
import { SnapshotSchema, type Snapshot, type SnapshotTrigger } from './entity.ts';
import type { SnapshotStatus } from './lifecycle.ts';
import { snapshotObjectName } from './naming.ts';
import { verifyArchiveForCaller } from './verify.ts';
import { snapshotView, volumeSnapshotView, type SnapshotView, type VolumeSnapshotView } from './views.ts';

/**
 * The columns that name, place and order a snapshot: what a page reads when its nodes ask for
 * nothing else (SUMMARY_FIELDS in schema.ts). Two column lists, not one per selection, so that
 * the prepared statements per connection stay few whatever clients ask.
 */
const SNAPSHOT_SUMMARY_COLUMNS = [
  'id', 'virtual_cluster_id', 'project_id', 'name', 'status', 'trigger', 'volume_snapshots_enabled', 'scheduled_at',
].map((column) => `s.${column}`).join(', ');
/** A volume snapshot's summary columns (VOLUME_SUMMARY_FIELDS in schema.ts). */
const VOLUME_SUMMARY_COLUMNS = ['id', 'snapshot_id', 'namespace', 'pvc_name', 'phase'].join(', ');
/** The columns a snapshot view needs (not the archive's per-resource counts). */
const SNAPSHOT_VIEW_COLUMNS = [
  'id', 'virtual_cluster_id', 'project_id', 'name', 'status', 'trigger', 'volume_snapshots_enabled', 'scheduled_at',
  'started_at', 'finished_at', 'storage_location_id', 'location', 'size_bytes', 'sha256', 'object_count', 'message',
  'integrity', 'verified_at', 'integrity_message', 'skipped_resources', 'progress',
].map((column) => `s.${column}`).join(', ');
/**
 * What volumeSnapshotView reads, by name: the statement is prepared per connection, and a
 * prepared `select *` fails (0A000, cached plan must not change result type) once a migration
 * adds a column, until the connection is gone.
 */
const VOLUME_VIEW_COLUMNS = [
  'id', 'snapshot_id', 'namespace', 'pvc_name', 'phase', 'driver', 'volume_snapshot_class', 'snapshot_handle',
  'restore_size_bytes', 'message', 'created_at', 'updated_at',
].join(', ');
import { recordSnapshotDeleted, scheduleSnapshot } from './transitions.ts';

/** Newest first: the order of every snapshot list. */
export function snapshotCursor(snapshot: Pick<Snapshot, 'scheduledAt' | 'id'>): string {
  return encodeCursor([snapshot.scheduledAt.toISOString(), snapshot.id]);
}
/**
 * Exactly what snapshotCursor makes: an instant as toISOString() prints it (years 1 to 9999,
 * which Postgres reads too), and a UUID.
 */
const snapshotCursorKey = z.tuple([
  z.string().regex(/^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/).refine((time) => !Number.isNaN(Date.parse(time)) && new Date(time).toISOString() === time),
  z.uuid(),
]);

/** For an id that names no snapshot the caller may see: the same answer whether it exists elsewhere or not at all. */
export function snapshotNotFound(field = 'id'): NotFoundError {
  return new NotFoundError('snapshot not found', field);
}

export interface SnapshotPageQuery extends PageRequest {
  status?: SnapshotStatus | null;
  /** The snapshots' columns to read: every one (default), or the summary's. */
  columns?: 'all' | 'summary';
  /** Read each snapshot's volume snapshots in the same statement (every column, or the summary's), or not. */
  volumes?: 'all' | 'summary' | 'none';
}

/** A project's snapshots in three figures (Project.snapshotSummary). */
export interface SnapshotSummary {
  total: number;
  lastCompletedAt: Date | null;
  failedLast24h: number;
}

/** What an auto-snapshot policy has done last (AutoSnapshotPolicy.lastRun, consecutiveFailures). */
export interface PolicyOutcome {
  /** The newest snapshot its ticks made; null before the first. */
  lastRun: SnapshotView | null;
  /** Its newest finished runs that FAILED, counted back to the last one that stored an archive. */
  consecutiveFailures: number;
}

export class SnapshotService {
  constructor(
    private readonly em: EntityManager,
    /** Absent in an API-only process without a scheduler: a worker's reconcile picks SCHEDULED snapshots up. */
    private readonly jobs?: { scheduler: SnapshotJobs; logger: Logger },
    /** Opens the store behind a storage location, to delete archives. */
    private readonly storage?: LocationStoreOpener,
  ) {}

  async get(id: string): Promise<Snapshot> {
    const snapshot = z.uuid().safeParse(id).success ? await this.em.findOne(SnapshotSchema, { id }) : null;
    if (!snapshot) throw snapshotNotFound();
    return snapshot;
  }

  /**
   * One page of snapshots for each cluster, newest first, in one statement
   * whatever the number of clusters: a lateral subquery per cluster reads just
   * its page from the (cluster, scheduled_at, id) index.
   */
  async pagesForClusters(clusterIds: readonly string[], query: SnapshotPageQuery): Promise<Map<string, SnapshotView[]>> {
    // A Postgres array literal: one parameter whatever the number of clusters.
    const params: unknown[] = [`{${clusterIds.join(',')}}`];
    const filters = ['s.virtual_cluster_id = c.id'];
    if (query.status) {
      params.push(query.status);
      filters.push(`s.status = $${params.length}`);
    }
    const key = cursorKey(query, snapshotCursorKey);
    if (key) {
      params.push(key[0], key[1]);
      // `after` reads older snapshots, `before` newer ones.
      filters.push(`(s.scheduled_at, s.id) ${query.after ? '<' : '>'} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    const order = query.inverted ? 'asc' : 'desc';
    params.push(query.limit);
    // Each page row's volumes as one JSON array, in volumesFor's order: one statement less, and
    // the subquery runs for the rows of the page only.
    const volumes = query.volumes && query.volumes !== 'none'
      ? `, (select coalesce(json_agg(v order by v.namespace, v.pvc_name), '[]') from (
           select ${query.volumes === 'summary' ? VOLUME_SUMMARY_COLUMNS : VOLUME_VIEW_COLUMNS} from volume_snapshot where snapshot_id = page.id
         ) v) as volumes`
      : '';
    const rows = await preparedRows(
      this.em,
      `select page.*${volumes} from unnest($1::uuid[]) as c(id)
       cross join lateral (
         select ${query.columns === 'summary' ? SNAPSHOT_SUMMARY_COLUMNS : SNAPSHOT_VIEW_COLUMNS} from snapshot s where ${filters.join(' and ')}
         order by s.scheduled_at ${order}, s.id ${order} limit $${params.length}
       ) page
       order by page.virtual_cluster_id, page.scheduled_at ${order}, page.id ${order}`,
      params,
    );
    const pages = new Map<string, SnapshotView[]>(clusterIds.map((id) => [id, []]));
    for (const row of rows) {
      const snapshot = snapshotView(row);
      pages.get(snapshot.virtualCluster.id)?.push(snapshot);
    }
    return pages;
  }

  /**
   * Each project's snapshot figures, in one statement whatever the number of projects: every
   * snapshot, when the newest COMPLETED one finished, and how many FAILED in the 24 hours before `now`.
   */
  async summariesFor(projectIds: readonly string[], now = new Date()): Promise<Map<string, SnapshotSummary>> {
    const rows = await this.em.execute<{ project_id: string; total: number; last_completed_at: Date | null; failed_last_24h: number }[]>(
      `select p.id as project_id, count(s.id)::int as total,
              max(s.finished_at) filter (where s.status = 'COMPLETED') as last_completed_at,
              count(s.id) filter (where s.status = 'FAILED' and coalesce(s.finished_at, s.scheduled_at) > ?::timestamptz - interval '24 hours')::int as failed_last_24h
       from json_array_elements_text(?::json) as p(id)
       left join snapshot s on s.project_id = p.id
       group by p.id`,
      [now.toISOString(), JSON.stringify(projectIds)],
    );
    return new Map(
      rows.map((row) => [
        row.project_id,
        {
          total: Number(row.total),
          lastCompletedAt: row.last_completed_at == null ? null : new Date(row.last_completed_at),
          failedLast24h: Number(row.failed_last_24h),
        },
      ]),
    );
  }

  async volumesFor(snapshotIds: readonly string[]): Promise<VolumeSnapshotView[]> {
    const rows = await preparedRows(
      this.em,
      `select ${VOLUME_VIEW_COLUMNS} from volume_snapshot where snapshot_id = any($1::uuid[]) order by namespace, pvc_name`,
      [`{${snapshotIds.join(',')}}`],
    );
    return rows.map(volumeSnapshotView);
  }

  /** The snapshots' events in cursor order: their history (every kind but PROGRESS), or their PROGRESS events. */
  async eventsFor(snapshotIds: readonly string[], which: 'history' | 'progress'): Promise<SnapshotEvent[]> {
    const kind = which === 'progress' ? 'PROGRESS' : { $ne: 'PROGRESS' as const };
    return this.em.find(SnapshotEventSchema, { snapshotId: { $in: [...snapshotIds] }, kind }, { orderBy: { id: 'asc' } });
  }

  /**
   * Each cluster's policy outcome, in one statement whatever the number of clusters: its
   * newest SCHEDULE snapshot, and the FAILED ones since its newest that stored an archive.
   */
  async policyOutcomes(clusterIds: readonly string[]): Promise<Map<string, PolicyOutcome>> {
    const rows = await this.em.execute<Record<string, unknown>[]>(
      `select c.id as outcome_cluster_id, fails.n as outcome_failures, last.*
       from unnest(?::uuid[]) as c(id)
       left join lateral (
         select ${SNAPSHOT_VIEW_COLUMNS} from snapshot s where s.virtual_cluster_id = c.id and s.trigger = 'SCHEDULE'
         order by s.scheduled_at desc, s.id desc limit 1
       ) last on true
       cross join lateral (
         select count(*)::int as n from snapshot f
         where f.virtual_cluster_id = c.id and f.trigger = 'SCHEDULE' and f.status = 'FAILED'
           and f.scheduled_at > coalesce((
             select max(g.scheduled_at) from snapshot g
             where g.virtual_cluster_id = c.id and g.trigger = 'SCHEDULE' and g.status in ('COMPLETED', 'PARTIALLY_FAILED', 'NOT_FOUND')
           ), '-infinity')
       ) fails`,
      [`{${clusterIds.join(',')}}`],
    );
    return new Map(
      rows.map(({ outcome_cluster_id: clusterId, outcome_failures: failures, ...row }) => [
        String(clusterId),
        { lastRun: row.id ? snapshotView(row) : null, consecutiveFailures: Number(failures) },
      ]),
    );
  }

  /** Inserts a SCHEDULED snapshot; CONFLICT when the cluster already has one. */
  async schedule(clusterId: string, trigger: SnapshotTrigger, at = new Date()): Promise<Snapshot> {
    const snapshot = await this.insertScheduled(clusterId, trigger, at);
    if (this.jobs) {
      const { scheduler, logger } = this.jobs;
      await requestJob(logger, `enqueueing snapshot ${snapshot.name}`, () => scheduler.enqueueTake(snapshot.id));
    }
    return snapshot;
  }

  private async insertScheduled(clusterId: string, trigger: SnapshotTrigger, at: Date): Promise<Snapshot> {
    const cluster = await new ClusterService(this.em).get(clusterId, 'virtualClusterId');
    try {
      return await this.em.transactional((em) =>
        scheduleSnapshot(
          em,
          {
            virtualCluster: cluster,
            projectId: cluster.projectId,
            name: snapshotObjectName(cluster.name, at),
            trigger,
            volumeSnapshotsEnabled: cluster.policy.volumeSnapshotsEnabled,
            scheduledAt: at,
          },
          trigger === 'MANUAL' ? 'requested through createSnapshot' : 'scheduled by the auto-snapshot policy',
        ),
      );
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        this.em.clear();
        throw new ConflictError(
          error.message.includes('snapshot_one_scheduled_per_cluster')
            ? `virtual cluster ${quoted(cluster.name)} already has a SCHEDULED snapshot; only one may wait at a time`
            : `virtual cluster ${quoted(cluster.name)} already has a snapshot taken at ${at.toISOString()}`,
          'virtualClusterId',
        );
      }
      throw error;
    }
  }

  /**
   * Deletes the snapshot: its archive first, then the row (under the row's lock), so a
   * storage failure leaves both in place. Refused while it is being taken.
   */
  async delete(id: string): Promise<Snapshot> {
    return this.em.transactional(async (em) => {
      const snapshot = z.uuid().safeParse(id).success
        ? await em.findOne(SnapshotSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['storageLocation'] })
        : null;
      if (!snapshot) throw snapshotNotFound();
      if (snapshot.status === 'IN_PROGRESS') {
        throw new ConflictError(`snapshot ${quoted(snapshot.name)} is being taken; delete it once it has finished`, 'id');
      }
      if (snapshot.location && snapshot.storageLocation) await this.removeArchive(snapshot.storageLocation, snapshot.name);
      await recordSnapshotDeleted(em, snapshot, 'deleted through deleteSnapshot');
      em.remove(snapshot);
      return snapshot;
    });
  }

  /**
   * Reads the archive back and records its integrity (see verify.ts). CONFLICT without a
   * stored archive, or while another verify of it runs.
   */
  async verify(id: string, logger: Logger): Promise<Snapshot> {
    const snapshot = await this.get(id);
    const verified = await verifyArchiveForCaller({ em: this.em, openStore: this.storage, logger }, snapshot);
    if (!verified) throw snapshotNotFound();
    return verified;
  }

  private async removeArchive(location: StorageLocation, name: string): Promise<void> {
    const where = `storage location ${quoted(location.name)}`;
    if (!this.storage) throw new StorageUnavailableError(`no storage is configured to delete ${name} from ${where}`);
    try {
      await (await this.storage(location)).remove(name);
    } catch (error) {
      // The caller may be a project admin: the kind of failure, not the bucket or path (those are logged).
      this.jobs?.logger.warn({ err: error, snapshot: name, storageLocation: location.name }, 'could not delete an archive');
      const why = error instanceof StorageError ? storageFailureForTenant(error, location.name) : `${where} failed`;
      throw new StorageUnavailableError(`could not delete ${name}: ${why}`);
    }
  }
}
