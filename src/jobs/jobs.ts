import type { Logger } from '../logger.ts';

/**
 * How the API side asks the scheduler for work, after its own transaction has
 * committed. A lost request heals itself: the worker re-enqueues SCHEDULED
 * snapshots without a job periodically. (Policies need no request: each stores its next
 * run, which the workers' due-finder reads.)
 */
export interface SnapshotJobs {
  enqueueTake(snapshotId: string, delayMs?: number): Promise<void>;
}

/** Runs a job request, logging instead of failing the committed change it follows. */
export async function requestJob(logger: Logger, what: string, request: () => Promise<void>): Promise<void> {
  try {
    await request();
  } catch (error) {
    logger.error({ err: error }, `${what} failed; the worker's periodic reconcile will retry`);
  }
}
