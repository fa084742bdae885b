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
 * A column of `row`. A page may read only the summary columns (service.ts): a column it did not
 * read is absent (undefined), never null, and reading one is a mistake that must not pass for a
 * null value.
 */
function column(row: Row, name: string): unknown {
  const value = row[name];
  if (value === undefined) throw new Error(`column ${name} was not read`);
  return value;
}

/**
 * A `snapshot` table row (snake_case columns) as a view. The summary columns are copied; the
 * others, dates, JSON and the location reference are made from the row when a field reads them:
 * a page of 50 asked for `id name status` makes no Date, and a field asked for reads its column once.
 */
class SnapshotRow implements SnapshotView {
  readonly id: string;
  readonly virtualCluster: { id: string };
  readonly projectId: string;
  readonly name: string;
  readonly status: SnapshotStatus;
  readonly trigger: SnapshotTrigger;
  readonly volumeSnapshotsEnabled: boolean;

  constructor(private readonly row: Row) {
    this.id = String(row.id);
    this.virtualCluster = { id: String(row.virtual_cluster_id) };
    this.projectId = String(row.project_id);
    this.name = String(row.name);
    this.status = row.status as SnapshotStatus;
    this.trigger = row.trigger as SnapshotTrigger;
    this.volumeSnapshotsEnabled = Boolean(row.volume_snapshots_enabled);
  }

  get scheduledAt(): Date {
    return time(this.row.scheduled_at)!;
  }

  get startedAt(): Date | null {
    return time(column(this.row, 'started_at'));
  }

  get finishedAt(): Date | null {
    return time(column(this.row, 'finished_at'));
  }

  get storageLocation(): { id: string } | null {
    const id = column(this.row, 'storage_location_id');
    return id == null ? null : { id: String(id) };
  }

  get location(): string | null {
    return text(column(this.row, 'location'));
  }

  get sizeBytes(): number | null {
    return count(column(this.row, 'size_bytes'));
  }

  get sha256(): string | null {
    return text(column(this.row, 'sha256'));
  }

  get objectCount(): number | null {
    return count(column(this.row, 'object_count'));
  }

  get message(): string | null {
    return text(column(this.row, 'message'));
  }

  get integrity(): SnapshotIntegrity {
    return column(this.row, 'integrity') as SnapshotIntegrity;
  }

  get verifiedAt(): Date | null {
    return time(column(this.row, 'verified_at'));
  }

  get integrityMessage(): string | null {
    return text(column(this.row, 'integrity_message'));
  }

  get skippedResources(): SkippedResourceRecord[] {
    return skippedList(column(this.row, 'skipped_resources'));
  }

  get progress(): SnapshotProgress | null {
    return progressOf(column(this.row, 'progress'));
  }

  get volumeSnapshots(): VolumeSnapshotView[] | undefined {
    const volumes = this.row.volumes;
    return Array.isArray(volumes) ? volumes.map((volume: Row) => new VolumeSnapshotRow(volume)) : undefined;
  }
}

export function snapshotView(row: Row): SnapshotView {
  return new SnapshotRow(row);
}

/** A `volume_snapshot` table row as a view: the summary columns copied, the others read when a field asks. */
class VolumeSnapshotRow implements VolumeSnapshotView {
  readonly id: string;
  readonly snapshot: { id: string };
  readonly namespace: string;
  readonly pvcName: string;
  readonly phase: VolumeSnapshotPhase;

  constructor(private readonly row: Row) {
    this.id = String(row.id);
    this.snapshot = { id: String(row.snapshot_id) };
    this.namespace = String(row.namespace);
    this.pvcName = String(row.pvc_name);
    this.phase = row.phase as VolumeSnapshotPhase;
  }

  get driver(): string | null {
    return text(column(this.row, 'driver'));
  }

  get volumeSnapshotClass(): string | null {
    return text(column(this.row, 'volume_snapshot_class'));
  }

  get snapshotHandle(): string | null {
    return text(column(this.row, 'snapshot_handle'));
  }

  get restoreSizeBytes(): number | null {
    return count(column(this.row, 'restore_size_bytes'));
  }

  get message(): string | null {
    return text(column(this.row, 'message'));
  }

  get createdAt(): Date {
    return time(column(this.row, 'created_at'))!;
  }

  get updatedAt(): Date {
    return time(column(this.row, 'updated_at'))!;
  }
}

export function volumeSnapshotView(row: Row): VolumeSnapshotView {
  return new VolumeSnapshotRow(row);
}
