/**
 * The snapshot engine of one process: Agenda plus vsnap's jobs. Every process
 * can enqueue (the API role); only the worker role processes jobs.
 */
import { hostname } from 'node:os';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { EngineConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ProcessMetrics } from '../metrics.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { RunningSnapshots } from '../snapshots/running.ts';
import { VSNAP_VERSION } from '../version.ts';
import { createAgenda } from './agenda.ts';
import { DueFinder } from './due-finder.ts';
import { scheduledQueue } from './queue.ts';
import { SnapshotScheduler } from './scheduler.ts';

export interface Engine {
  scheduler: SnapshotScheduler;
  stop(timeoutMs: number): Promise<void>;
}

export async function startEngine(options: {
  orm: MikroORM;
  postgresUrl: string;
  config: EngineConfig;
  logger: Logger;
  worker: boolean;
  processEveryMs?: number;
  /** Opens sealed inline kubeconfigs; absent where inline kubeconfigs are refused. */
  inlineBox?: SecretBox;
  /** The process's counters (storage retries); absent, nothing is counted. */
  metrics?: ProcessMetrics;
}): Promise<Engine> {
  const logger = options.logger.child({ component: 'engine' });
  // Every store the engine opens reports its retries to the process's metrics.
  const config: EngineConfig = options.metrics ? { ...options.config, storage: { ...options.config.storage, retryObserver: options.metrics.storageRetries } } : options.config;
  const queue = await createAgenda(
    {
      postgresUrl: options.postgresUrl,
      mongodbUrl: options.config.mongodbUrl,
      instanceName: `${hostname()}:${process.pid}`,
      // Every take slot, plus the periodic jobs (the due-finder's among them).
      maxConcurrency: options.config.snapshotConcurrency + 5,
      lockLifetimeMs: options.config.lockLifetimeMs,
      processEveryMs: options.processEveryMs,
    },
    logger,
  );
  const { agenda } = queue;
  const dueFinder: DueFinder = new DueFinder(
    {
      orm: options.orm,
      postgresUrl: options.postgresUrl,
      logger: logger.child({ component: 'due-finder' }),
      // No job per snapshot: the slots claim SCHEDULED rows (take-slots.ts).
      requestTakes: async () => scheduler.takeScheduled(),
      scheduledElsewhere: () => scheduler.takeScheduled(),
    },
    { maxSleepMs: options.config.dueFinderIntervalMs },
  );
  const scheduler: SnapshotScheduler = new SnapshotScheduler(
    agenda,
    {
      orm: options.orm,
      config,
      logger,
      version: VSNAP_VERSION,
      inlineBox: options.inlineBox,
      running: new RunningSnapshots(),
      onKubeRetry: options.metrics?.kubeRetries,
      onSnapshotStarted: options.metrics?.snapshotStarted,
    },
    dueFinder,
  );
  options.metrics?.scheduledQueueFrom(() => scheduledQueue(options.orm));
  // An API-only process starts Agenda without job definitions: it only enqueues.
  if (options.worker) scheduler.defineJobs();
  await scheduler.start({ worker: options.worker });
  return {
    scheduler,
    stop: async (timeoutMs) => {
      await scheduler.stop(timeoutMs);
      await queue.close();
    },
  };
}
