import type { VirtualCluster } from '../clusters/entity.ts';
import type { Logger } from '../logger.ts';

/**
 * How the API side asks the scheduler for work, after its own transaction has
 * committed. A lost request heals itself: the worker re-enqueues SCHEDULED
 * snapshots without a job and re-syncs every cluster's schedule periodically.
 */
export interface SnapshotJobs {
  enqueueTake(snapshotId: string, delayMs?: number): Promise<void>;
  syncCluster(cluster: VirtualCluster): Promise<void>;
  removeCluster(clusterId: string): Promise<void>;
}

/** Runs a job request, logging instead of failing the committed change it follows. */
export async function requestJob(logger: Logger, what: string, request: () => Promise<void>): Promise<void> {
  try {
    await request();
  } catch (error) {
    logger.error({ err: error }, `${what} failed; the worker's periodic reconcile will retry`);
  }
}
