import type { Logger } from '../logger.ts';

/**
 * How the API side asks the scheduler for work, after its own transaction has
 * committed: a doorbell that starts the snapshot at once on a worker with a free slot. A lost
 * request loses nothing: the workers' slots take every SCHEDULED snapshot, oldest first
 * (jobs/take-slots.ts). (Policies need no request: each stores its next run, which the
 * workers' due-finder reads.)
 */
export interface SnapshotJobs {
  enqueueTake(snapshotId: string, delayMs?: number): Promise<void>;
}

/** Runs a job request, logging instead of failing the committed change it follows. */
export async function requestJob(logger: Logger, what: string, request: () => Promise<void>): Promise<void> {
  try {
    await request();
  } catch (error) {
    logger.error({ err: error }, `${what} failed; a worker's take slots come to it all the same`);
  }
}
