/**
 * What the snapshot engine's work (taking, recovering, reconciling, retention)
 * is given by the process that runs it.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { EngineConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { RunningSnapshots } from './running.ts';

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
}

/** What the job running a snapshot gives it (the scheduler keeps the job's own lock alive). */
export interface JobControl {
  /** Aborted when the worker stops or the job is cancelled. */
  signal: AbortSignal;
}
