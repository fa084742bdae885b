/**
 * How far a snapshot being taken has got: what `Snapshot.progress` shows and each PROGRESS
 * event carries. Every figure only grows while the snapshot is IN_PROGRESS. Once it has
 * finished, a stored archive's snapshot (COMPLETED, PARTIALLY_FAILED) keeps its totals, a
 * FAILED one the last figures reported before it failed (null if none were).
 */
export interface SnapshotProgress {
  /** Resource types listed so far (those the archive lists: readable at discovery). */
  resourceTypesDone: number;
  /** Resource types to list; 0 until discovery has answered. */
  resourceTypesTotal: number;
  /** Objects written into the archive so far. */
  objectsWritten: number;
  /** Compressed archive bytes produced so far (the stored size, once finished). */
  bytesWritten: number;
  /** Volume snapshots in a final phase (COMPLETED, FAILED, SKIPPED). */
  volumesDone: number;
  /** Volume snapshots planned; 0 without volume snapshots. */
  volumesTotal: number;
}

export const PROGRESS_FIELDS = ['resourceTypesDone', 'resourceTypesTotal', 'objectsWritten', 'bytesWritten', 'volumesDone', 'volumesTotal'] as const;

export const sameProgress = (a: SnapshotProgress | null | undefined, b: SnapshotProgress): boolean =>
  a != null && PROGRESS_FIELDS.every((field) => a[field] === b[field]);

/** The jsonb column as written by transitions.ts; anything else reads as no progress. */
export function progressOf(value: unknown): SnapshotProgress | null {
  if (typeof value !== 'object' || value === null) return null;
  const fields = value as Record<string, unknown>;
  if (!PROGRESS_FIELDS.every((field) => typeof fields[field] === 'number')) return null;
  return Object.fromEntries(PROGRESS_FIELDS.map((field) => [field, fields[field]])) as unknown as SnapshotProgress;
}
