import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { VirtualClusterSchema } from '../clusters/entity.ts';
import { StorageLocationSchema } from '../locations/entity.ts';
import type { SnapshotProgress } from './progress.ts';
import { INITIAL_SNAPSHOT_STATUS, INITIAL_VOLUME_PHASE, SNAPSHOT_STATUSES, VOLUME_SNAPSHOT_PHASES } from './lifecycle.ts';

/** One resource the archive could not hold: `{ group: '', resource: 'secrets', reason: 'forbidden (403)' }`. */
export interface SkippedResourceRecord {
  /** '' for the core group. */
  group: string;
  /** Plural resource name. */
  resource: string;
  reason: string;
}

export const SNAPSHOT_TRIGGERS = ['SCHEDULE', 'MANUAL'] as const;
export type SnapshotTrigger = (typeof SNAPSHOT_TRIGGERS)[number];

/**
 * What vsnap knows of a stored archive's bytes: not yet hashed (UNVERIFIED), hashed
 * and matching its recorded sha256 and size (VERIFIED), or not what was written
 * (MISMATCH: a hash or size that differs, or a listing that shows another size).
 */
export const SNAPSHOT_INTEGRITIES = ['UNVERIFIED', 'VERIFIED', 'MISMATCH'] as const;
export type SnapshotIntegrity = (typeof SNAPSHOT_INTEGRITIES)[number];

export const SnapshotSchema = defineEntity({
  name: 'Snapshot',
  tableName: 'snapshot',
  uniques: [
    { name: 'snapshot_cluster_name_unique', properties: ['virtualCluster', 'name'] },
    // The seed's rule: at most one SCHEDULED snapshot per virtual cluster.
    { name: 'snapshot_one_scheduled_per_cluster', properties: ['virtualCluster'], where: "status = 'SCHEDULED'" },
    // One snapshot at a time per cluster, whatever the number of workers.
    { name: 'snapshot_one_in_progress_per_cluster', properties: ['virtualCluster'], where: "status = 'IN_PROGRESS'" },
  ],
  indexes: [
    { name: 'snapshot_cluster_newest_idx', properties: ['virtualCluster', 'scheduledAt', 'id'] },
    // Project.snapshotSummary: a project's snapshots by status, and when they finished.
    { name: 'snapshot_project_status_idx', properties: ['projectId', 'status', 'finishedAt'] },
    // The verify job's order: never hashed first, then longest ago; stored archives only.
    { name: 'snapshot_verify_order_idx', properties: ['verifiedAt', 'finishedAt'], where: "status in ('COMPLETED', 'PARTIALLY_FAILED')" },
    // The take slots' queue (jobs/take-slots.ts): SCHEDULED snapshots, oldest first.
    { name: 'snapshot_scheduled_queue_idx', properties: ['scheduledAt'], where: "status = 'SCHEDULED'" },
  ],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    virtualCluster: () => p.manyToOne(VirtualClusterSchema).deleteRule('cascade'),
    /** Copied from the cluster (a cluster never changes project) so auth needs no join. */
    projectId: p.string().length(63),
    /** `<virtual-cluster-name>-<UTC timestamp>.tar.gz` */
    name: p.string().length(120),
    /** Assigned only through snapshots/transitions.ts. */
    status: p.enum(SNAPSHOT_STATUSES).default(INITIAL_SNAPSHOT_STATUS),
    trigger: p.enum(SNAPSHOT_TRIGGERS),
    volumeSnapshotsEnabled: p.boolean(),
    scheduledAt: p.datetime(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    /**
     * The location the worker writes to, fixed when taking starts. A location is not
     * deleted while it holds snapshots; a FAILED snapshot (no archive) lets it go.
     */
    storageLocation: () => p.manyToOne(StorageLocationSchema).nullable().deleteRule('set null').index('snapshot_storage_location_idx'),
    /** The open multipart upload (or temporary file) while the archive is written; aborted if the worker dies. */
    uploadId: p.text().nullable(),
    /** Renewed by the worker while it takes the snapshot: a stale one means the worker was lost. */
    heartbeatAt: p.datetime().nullable(),
    /** Where the archive is stored: `s3://bucket/key` or the file's absolute path. Platform admins only. */
    location: p.text().nullable(),
    /** Objects written per resource, `<group>/<version>/<resource>` → count. */
    resourceCounts: p.json<Record<string, number>>().nullable(),
    sizeBytes: p.bigint('number').nullable(),
    sha256: p.string().length(64).nullable(),
    objectCount: p.integer().nullable(),
    /** Why the snapshot failed, or what went wrong with part of it. */
    message: p.text().nullable(),
    /** Not a status: a COMPLETED snapshot whose archive no longer matches stays COMPLETED, with MISMATCH here. */
    integrity: p.enum(SNAPSHOT_INTEGRITIES).default('UNVERIFIED'),
    /**
     * When the stored bytes were last hashed (VERIFIED or MISMATCH by hashing); null until then,
     * and again when a listing shows the object was replaced. MISMATCH with a null verifiedAt
     * was found by the listing's size alone.
     */
    verifiedAt: p.datetime().nullable(),
    /** What differed, for MISMATCH: sizes and hashes only, never where the object lies. */
    integrityMessage: p.text().nullable(),
    /** Set while one process hashes the archive (renewed as it reads): a second verify of it is refused meanwhile. */
    verifyingSince: p.datetime().nullable(),
    /** Resources left out of the archive and why (forbidden, not served), as its manifest lists them. */
    skippedResources: p.json<SkippedResourceRecord[]>().defaultRaw("'[]'").onCreate(() => []),
    /** How far taking it has got (snapshots/progress.ts); written only through transitions.ts. */
    progress: p.json<SnapshotProgress>().nullable(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type Snapshot = InferEntity<typeof SnapshotSchema>;

export const VolumeSnapshotSchema = defineEntity({
  name: 'VolumeSnapshot',
  tableName: 'volume_snapshot',
  uniques: [{ name: 'volume_snapshot_pvc_unique', properties: ['snapshot', 'namespace', 'pvcName'] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    snapshot: () => p.manyToOne(SnapshotSchema).deleteRule('cascade'),
    namespace: p.string().length(63),
    pvcName: p.string().length(253),
    /** Assigned only through snapshots/transitions.ts. */
    phase: p.enum(VOLUME_SNAPSHOT_PHASES).default(INITIAL_VOLUME_PHASE),
    driver: p.string().length(253).nullable(),
    volumeSnapshotClass: p.string().length(253).nullable(),
    snapshotHandle: p.text().nullable(),
    restoreSizeBytes: p.bigint('number').nullable(),
    message: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type VolumeSnapshot = InferEntity<typeof VolumeSnapshotSchema>;
