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
  /** Its volume snapshots when they were read with it (a page that asks for them); else undefined. */
  volumeSnapshots?: VolumeSnapshotView[];
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

/**
 * A `snapshot` table row (snake_case columns) as a view. Text columns are copied; dates, JSON and
 * the location reference are made from the row when a field reads them: a page of 50 asked for
 * `id name status` makes no Date, and a field asked for reads its column once.
 */
class SnapshotRow implements SnapshotView {
  readonly id: string;
  readonly virtualCluster: { id: string };
  readonly projectId: string;
  readonly name: string;
  readonly status: SnapshotStatus;
  readonly trigger: SnapshotTrigger;
  readonly volumeSnapshotsEnabled: boolean;
  readonly location: string | null;
  readonly sizeBytes: number | null;
  readonly sha256: string | null;
  readonly objectCount: number | null;
  readonly message: string | null;
  readonly integrity: SnapshotIntegrity;
  readonly integrityMessage: string | null;

  constructor(private readonly row: Row) {
    this.id = String(row.id);
    this.virtualCluster = { id: String(row.virtual_cluster_id) };
    this.projectId = String(row.project_id);
    this.name = String(row.name);
    this.status = row.status as SnapshotStatus;
    this.trigger = row.trigger as SnapshotTrigger;
    this.volumeSnapshotsEnabled = Boolean(row.volume_snapshots_enabled);
    this.location = text(row.location);
    this.sizeBytes = count(row.size_bytes);
    this.sha256 = text(row.sha256);
    this.objectCount = count(row.object_count);
    this.message = text(row.message);
    this.integrity = row.integrity as SnapshotIntegrity;
    this.integrityMessage = text(row.integrity_message);
  }

  get scheduledAt(): Date {
    return time(this.row.scheduled_at)!;
  }

  get startedAt(): Date | null {
    return time(this.row.started_at);
  }

  get finishedAt(): Date | null {
    return time(this.row.finished_at);
  }

  get verifiedAt(): Date | null {
    return time(this.row.verified_at);
  }

  get storageLocation(): { id: string } | null {
    return this.row.storage_location_id == null ? null : { id: String(this.row.storage_location_id) };
  }

  get skippedResources(): SkippedResourceRecord[] {
    return skippedList(this.row.skipped_resources);
  }

  get progress(): SnapshotProgress | null {
    return progressOf(this.row.progress);
  }

  get volumeSnapshots(): VolumeSnapshotView[] | undefined {
    const volumes = this.row.volumes;
    return Array.isArray(volumes) ? volumes.map((volume: Row) => new VolumeSnapshotRow(volume)) : undefined;
  }
}

export function snapshotView(row: Row): SnapshotView {
  return new SnapshotRow(row);
}

/** A `volume_snapshot` table row as a view; its dates are made when a field reads them. */
class VolumeSnapshotRow implements VolumeSnapshotView {
  readonly id: string;
  readonly snapshot: { id: string };
  readonly namespace: string;
  readonly pvcName: string;
  readonly phase: VolumeSnapshotPhase;
  readonly driver: string | null;
  readonly volumeSnapshotClass: string | null;
  readonly snapshotHandle: string | null;
  readonly restoreSizeBytes: number | null;
  readonly message: string | null;

  constructor(private readonly row: Row) {
    this.id = String(row.id);
    this.snapshot = { id: String(row.snapshot_id) };
    this.namespace = String(row.namespace);
    this.pvcName = String(row.pvc_name);
    this.phase = row.phase as VolumeSnapshotPhase;
    this.driver = text(row.driver);
    this.volumeSnapshotClass = text(row.volume_snapshot_class);
    this.snapshotHandle = text(row.snapshot_handle);
    this.restoreSizeBytes = count(row.restore_size_bytes);
    this.message = text(row.message);
  }

  get createdAt(): Date {
    return time(this.row.created_at)!;
  }

  get updatedAt(): Date {
    return time(this.row.updated_at)!;
  }
}

export function volumeSnapshotView(row: Row): VolumeSnapshotView {
  return new VolumeSnapshotRow(row);
}
