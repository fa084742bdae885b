/**
 * Reports a snapshot's progress while it is taken: at most once per PROGRESS_INTERVAL_MS,
 * and only when a figure has changed, so a snapshot that takes under a second writes no
 * PROGRESS event at all and a long one about one a second. Each report is one transaction
 * (the row locked, its progress and a PROGRESS event through transitions.ts). A report that
 * fails (the database away) is logged once and skipped: progress never fails a snapshot.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ArchiveProgress } from './archive.ts';
import { SnapshotSchema } from './entity.ts';
import { isTerminalVolumePhase, VOLUME_SNAPSHOT_PHASES } from './lifecycle.ts';
import { sameProgress, type SnapshotProgress } from './progress.ts';
import { reportProgress } from './transitions.ts';

/** The least time between two PROGRESS events of one snapshot (measured between their commits). */
export const PROGRESS_INTERVAL_MS = 1_000;

export interface ProgressReporter {
  /**
   * Stops reporting. A report under way is not awaited (it may hang while the database is
   * away, and the result must not wait for it): it locks the row and writes only while the
   * snapshot is IN_PROGRESS, so it commits before the final status or not at all.
   */
  stop(): void;
}

/** A Postgres array literal of the final volume phases (plain enum names). */
const FINAL_PHASES = `{${VOLUME_SNAPSHOT_PHASES.filter(isTerminalVolumePhase).join(',')}}`;

/** The volume figures, from the rows (the plan is recorded before the archive starts). */
async function volumeFigures(tx: EntityManager, snapshotId: string): Promise<Pick<SnapshotProgress, 'volumesDone' | 'volumesTotal'>> {
  const [row] = await tx.execute<{ total: number; done: number }[]>(
    `select count(*)::int as total, count(*) filter (where phase = any(?::text[]))::int as done
     from volume_snapshot where snapshot_id = ?`,
    [FINAL_PHASES, snapshotId],
  );
  return { volumesDone: row?.done ?? 0, volumesTotal: row?.total ?? 0 };
}

/**
 * Writes the snapshot's progress if it is still IN_PROGRESS and a figure changed; whether
 * it wrote. The archive figures are read inside the transaction, after the row's lock.
 */
export async function writeProgress(em: EntityManager, snapshotId: string, archive: () => ArchiveProgress | undefined): Promise<boolean> {
  return em.transactional(async (tx) => {
    const snapshot = await tx.findOne(SnapshotSchema, { id: snapshotId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const figures = archive();
    if (!snapshot || snapshot.status !== 'IN_PROGRESS' || !figures) return false;
    const progress: SnapshotProgress = { ...figures, ...(await volumeFigures(tx, snapshotId)) };
    if (sameProgress(snapshot.progress, progress)) return false;
    await reportProgress(tx, snapshot, progress);
    return true;
  });
}

/**
 * Starts reporting the snapshot's progress every PROGRESS_INTERVAL_MS from `archive()`
 * (undefined while there is no archive yet) and its volume rows.
 */
export function startProgressReporter(
  em: EntityManager,
  snapshotId: string,
  archive: () => ArchiveProgress | undefined,
  log: Logger,
  intervalMs = PROGRESS_INTERVAL_MS,
): ProgressReporter {
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      await writeProgress(em.fork(), snapshotId, archive);
      if (failures > 0) log.info({ failedReports: failures }, 'progress reporting resumed');
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures === 1) {
        log.warn({ error: errorMessage(error), code: (error as { code?: unknown }).code }, 'could not record the snapshot\'s progress; the snapshot goes on and reporting is retried');
      }
    }
    // Counted from the commit: the next event is at least intervalMs after this one.
    if (!stopped) schedule();
  };
  const schedule = () => {
    timer = setTimeout(() => void tick(), intervalMs);
    timer.unref();
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
