/**
 * The snapshot lifecycle: every status and volume phase vsnap knows, the moves
 * allowed between them, and the final status a finished snapshot earns. Pure
 * rules; `transitions.ts` is the only code that applies them to rows.
 */

export const SNAPSHOT_STATUSES = [
  'SCHEDULED',
  'IN_PROGRESS',
  'COMPLETED',
  'PARTIALLY_FAILED',
  'FAILED',
  'NOT_FOUND',
] as const;
export type SnapshotStatus = (typeof SNAPSHOT_STATUSES)[number];

export const VOLUME_SNAPSHOT_PHASES = [
  'NOT_STARTED',
  'SKIPPED',
  'IN_PROGRESS',
  'COMPLETED_CLEANING_UP',
  'FAILED_CLEANING_UP',
  'COMPLETED',
  'FAILED',
] as const;
export type VolumeSnapshotPhase = (typeof VOLUME_SNAPSHOT_PHASES)[number];

/** Where each status may go next. A snapshot is born SCHEDULED (from no status). */
const SNAPSHOT_MOVES: Record<SnapshotStatus, readonly SnapshotStatus[]> = {
  // FAILED: it timed out waiting, or its cluster's policy made it impossible.
  SCHEDULED: ['IN_PROGRESS', 'FAILED'],
  IN_PROGRESS: ['COMPLETED', 'PARTIALLY_FAILED', 'FAILED'],
  // The stored object went missing from the storage backend.
  COMPLETED: ['NOT_FOUND'],
  PARTIALLY_FAILED: ['NOT_FOUND'],
  // The object reappeared: back to the status the archive and volumes earn.
  NOT_FOUND: ['COMPLETED', 'PARTIALLY_FAILED'],
  FAILED: [],
};

const VOLUME_MOVES: Record<VolumeSnapshotPhase, readonly VolumeSnapshotPhase[]> = {
  // FAILED straight from NOT_STARTED/IN_PROGRESS: the snapshot itself failed
  // (worker lost, cluster unreachable) before the volume could be cleaned up.
  NOT_STARTED: ['IN_PROGRESS', 'SKIPPED', 'FAILED'],
  IN_PROGRESS: ['COMPLETED_CLEANING_UP', 'FAILED_CLEANING_UP', 'FAILED'],
  // A volume whose snapshot was taken but whose cleanup was lost is FAILED.
  COMPLETED_CLEANING_UP: ['COMPLETED', 'FAILED'],
  FAILED_CLEANING_UP: ['FAILED'],
  SKIPPED: [],
  COMPLETED: [],
  FAILED: [],
};

export const INITIAL_SNAPSHOT_STATUS: SnapshotStatus = 'SCHEDULED';
export const INITIAL_VOLUME_PHASE: VolumeSnapshotPhase = 'NOT_STARTED';

export function canMoveSnapshot(from: SnapshotStatus, to: SnapshotStatus): boolean {
  return SNAPSHOT_MOVES[from].includes(to);
}

export function canMoveVolume(from: VolumeSnapshotPhase, to: VolumeSnapshotPhase): boolean {
  return VOLUME_MOVES[from].includes(to);
}

export function isTerminalVolumePhase(phase: VolumeSnapshotPhase): boolean {
  return VOLUME_MOVES[phase].length === 0;
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly subject: 'snapshot' | 'volume snapshot',
    readonly from: string,
    readonly to: string,
  ) {
    super(`illegal ${subject} transition ${from} -> ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertSnapshotMove(from: SnapshotStatus, to: SnapshotStatus): void {
  if (!canMoveSnapshot(from, to)) throw new IllegalTransitionError('snapshot', from, to);
}

export function assertVolumeMove(from: VolumeSnapshotPhase, to: VolumeSnapshotPhase): void {
  if (!canMoveVolume(from, to)) throw new IllegalTransitionError('volume snapshot', from, to);
}

/**
 * The status a snapshot ends in once its work is over: FAILED without a stored
 * archive, PARTIALLY_FAILED when any volume failed (or the volumes could not
 * be planned at all), else COMPLETED. Every volume must have reached a
 * terminal phase first.
 */
export function deriveFinalStatus(input: {
  archiveStored: boolean;
  volumePhases: readonly VolumeSnapshotPhase[];
  /** Volume snapshots were asked for, but the PVCs could not even be listed: no volume rows say so. */
  volumePlanningFailed?: boolean;
}): Extract<SnapshotStatus, 'COMPLETED' | 'PARTIALLY_FAILED' | 'FAILED'> {
  const unfinished = input.volumePhases.find((phase) => !isTerminalVolumePhase(phase));
  if (unfinished) throw new Error(`cannot finish a snapshot while a volume is ${unfinished}`);
  if (!input.archiveStored) return 'FAILED';
  return input.volumePlanningFailed || input.volumePhases.includes('FAILED') ? 'PARTIALLY_FAILED' : 'COMPLETED';
}
