/**
 * What GraphQL reads of snapshots and volume snapshots: plain rows, not
 * entities. Pages of snapshots are read-only, and mapping their rows into
 * managed entities cost more CPU than the rest of the request together
 * (bench/query.ts); entities stay for writes, and satisfy these shapes too.
 */
import type { SkippedResourceRecord, SnapshotIntegrity, SnapshotTrigger } from './entity.ts';
import type { SnapshotStatus, VolumeSnapshotPhase } from './lifecycle.ts';
import { progressOf, type SnapshotProgress } from './progress.ts';

export interface SnapshotView {
  id: string;
  virtualCluster: { id: string };
  projectId: string;
  name: string;
  status: SnapshotStatus;
  trigger: SnapshotTrigger;
  volumeSnapshotsEnabled: boolean;
  scheduledAt: Date;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  /** The location it was written to (a reference on entities, the id on rows). */
  storageLocation?: { id: string } | null;
  location?: string | null;
  sizeBytes?: number | null;
  sha256?: string | null;
  objectCount?: number | null;
  message?: string | null;
  integrity: SnapshotIntegrity;
  verifiedAt?: Date | null;
  integrityMessage?: string | null;
  /** Resources the archive could not hold. */
  skippedResources?: SkippedResourceRecord[] | null;
  progress?: SnapshotProgress | null;
}

export interface VolumeSnapshotView {
  id: string;
  snapshot: { id: string };
  namespace: string;
  pvcName: string;
  phase: VolumeSnapshotPhase;
  driver?: string | null;
  volumeSnapshotClass?: string | null;
  snapshotHandle?: string | null;
  restoreSizeBytes?: number | null;
  message?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

type Row = Record<string, unknown>;

const text = (value: unknown): string | null => (value == null ? null : String(value));
const count = (value: unknown): number | null => (value == null ? null : Number(value));
/** The jsonb column as written by take.ts; anything else reads as nothing skipped. */
const skippedList = (value: unknown): SkippedResourceRecord[] =>
  (Array.isArray(value) ? (value as unknown[]) : []).flatMap((item) => {
    if (typeof item !== 'object' || item === null) return [];
    const { group, resource, reason } = item as Record<string, unknown>;
    return [{ group: text(group) ?? '', resource: text(resource) ?? '', reason: text(reason) ?? '' }];
  });
const time = (value: unknown): Date | null => (value == null ? null : value instanceof Date ? value : new Date(String(value)));

/** A `snapshot` table row (snake_case columns) as a view. */
export function snapshotView(row: Row): SnapshotView {
  return {
    id: String(row.id),
    virtualCluster: { id: String(row.virtual_cluster_id) },
    projectId: String(row.project_id),
    name: String(row.name),
    status: row.status as SnapshotStatus,
    trigger: row.trigger as SnapshotTrigger,
    volumeSnapshotsEnabled: Boolean(row.volume_snapshots_enabled),
    scheduledAt: time(row.scheduled_at)!,
    startedAt: time(row.started_at),
    finishedAt: time(row.finished_at),
    storageLocation: row.storage_location_id == null ? null : { id: String(row.storage_location_id) },
    location: text(row.location),
    sizeBytes: count(row.size_bytes),
    sha256: text(row.sha256),
    objectCount: count(row.object_count),
    message: text(row.message),
    integrity: row.integrity as SnapshotIntegrity,
    verifiedAt: time(row.verified_at),
    integrityMessage: text(row.integrity_message),
    skippedResources: skippedList(row.skipped_resources),
    progress: progressOf(row.progress),
  };
}

/** A `volume_snapshot` table row as a view. */
export function volumeSnapshotView(row: Row): VolumeSnapshotView {
  return {
    id: String(row.id),
    snapshot: { id: String(row.snapshot_id) },
    namespace: String(row.namespace),
    pvcName: String(row.pvc_name),
    phase: row.phase as VolumeSnapshotPhase,
    driver: text(row.driver),
    volumeSnapshotClass: text(row.volume_snapshot_class),
    snapshotHandle: text(row.snapshot_handle),
    restoreSizeBytes: count(row.restore_size_bytes),
    message: text(row.message),
    createdAt: time(row.created_at)!,
    updatedAt: time(row.updated_at)!,
  };
}
