/**
 * What the snapshot engine's work (taking, recovering, reconciling, retention)
 * is given by the process that runs it.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { EgressPolicy } from '../kube/egress.ts';
import type { KubeRetrySettings } from '../kube/retry.ts';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { StorageSettings } from '../storage/config.ts';
import type { RunningSnapshots } from './running.ts';

/** What the snapshot worker and its scheduler need (read from the environment by config.ts). */
export interface EngineConfig {
  mongodbUrl?: string;
  snapshotConcurrency: number;
  /** The due-finder's periodic pass (jobs/due-finder.ts). */
  dueFinderIntervalMs: number;
  volumeSnapshotConcurrency: number;
  snapshotTimeoutMs: number;
  volumeSnapshotTimeoutMs: number;
  lockLifetimeMs: number;
  reconcileIntervalMs: number;
  retentionIntervalMs: number;
  /** Archive integrity: how often the verify-archives job runs, and how many archives it reads back per run. */
  verifyIntervalMs: number;
  verifyBatchSize: number;
  /** How long the event log keeps an event; pruned by the prune-event-log job every retention interval. */
  eventRetentionMs: number;
  listPageSize: number;
  kubeRequestTimeoutMs: number;
  /** Retries of Kubernetes requests: per request (attempts, time) and per snapshot (budget). */
  kubeRetry: KubeRetrySettings;
  kubeconfigSecretsDir: string;
  /** Where tenants' Kubernetes API servers may be. */
  kubeEgress: EgressPolicy;
  /** How storage locations are opened: S3 defaults, the local root, credential sources. */
  storage: StorageSettings;
}

export interface EngineDeps {
  orm: MikroORM;
  config: EngineConfig;
  logger: Logger;
  version: string;
  /** Opens sealed inline kubeconfigs; absent where inline kubeconfigs are refused. */
  inlineBox?: SecretBox;
  /** The snapshots this engine is taking: its own sweep and claims never judge them lost. */
  running: RunningSnapshots;
  /** Told of every retried Kubernetes request (metrics). */
  onKubeRetry?: (reason: string) => void;
  /** Told when a snapshot moved to IN_PROGRESS, with how long it waited SCHEDULED (metrics). */
  onSnapshotStarted?: (waitedSeconds: number) => void;
}

/** What the job running a snapshot gives it (the scheduler keeps the job's own lock alive). */
export interface JobControl {
  /** Aborted when the worker stops or the job is cancelled. */
  signal: AbortSignal;
  /**
   * Picked from the SCHEDULED rows by a take slot, not asked for by a job: a slot of another
   * worker may have picked and claimed it a moment before, which is no news (the slot moves on;
   * nothing is retried later).
   */
  picked?: boolean;
}
