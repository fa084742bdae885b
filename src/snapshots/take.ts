/**
 * Taking one snapshot: IN_PROGRESS, the cluster's resources streamed as a
 * tar.gz straight into storage, its volumes snapshotted through CSI, then the
 * final status the lifecycle grants. Every status change goes through
 * transitions.ts; everything else here is bookkeeping on the row.
 */
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadClusterKubeconfig } from '../clusters/kubeconfig.ts';
import { backoffDelay, retryWhileDatabaseUnavailable } from '../db/outage.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { ClusterAccessError, createClusterReader, egressRefusal } from '../kube/cluster-reader.ts';
import { connectCluster, type ClusterConnection } from '../kube/connect.ts';
import { KubeRetries } from '../kube/retry.ts';
import { locationForSnapshot } from '../locations/service.ts';
import { openLocationStore } from '../locations/store.ts';
import { describeRetries, StorageError, storageFailureForTenant, type RetryCounts, type Upload, type WrittenObject } from '../storage/index.ts';
import { skippedResourceNote, writeClusterArchive, type ClusterArchive, type SkippedResource } from './archive.ts';
import type { EngineDeps, JobControl } from './engine-deps.ts';
import { SnapshotSchema } from './entity.ts';
import { deriveFinalStatus, isTerminalVolumePhase } from './lifecycle.ts';
import type { SnapshotProgress } from './progress.ts';
import { startProgressReporter } from './progress-reporter.ts';
import { isStale, recoverLostSnapshot } from './recovery.ts';
import { moveSnapshot } from './transitions.ts';
import { failUnfinishedVolumes, planSnapshotVolumes, type VolumeOutcome, type VolumeReport } from './volumes.ts';

export type { EngineDeps, JobControl } from './engine-deps.ts';

/**
 * deferred: not now (its cluster is busy, or its worker still beats); refused: its storage
 * location could not be used, so it FAILED without starting.
 */
export type TakeOutcome = 'taken' | 'deferred' | 'recovered' | 'skipped' | 'refused';

/** Takes the snapshot `snapshotId` if it is still SCHEDULED (or recovers it, if its worker was lost). */
export async function takeSnapshot(deps: EngineDeps, snapshotId: string, job: JobControl): Promise<TakeOutcome> {
  const log = deps.logger.child({ snapshotId });
  const start = await claim(deps, deps.orm.em.fork(), snapshotId, log, job.picked === true);
  if (start === 'lost') return (await recoverLostSnapshot(deps, snapshotId, log)) ? 'recovered' : 'skipped';
  if (start !== 'claimed') return start;
  deps.running.add(snapshotId);
  const heartbeat = startHeartbeat(deps, snapshotId, log);
  try {
    await takeClaimed(deps, snapshotId, job, heartbeat, log);
    return 'taken';
  } finally {
    heartbeat.stop();
    deps.running.delete(snapshotId);
  }
}

async function takeClaimed(deps: EngineDeps, snapshotId: string, job: JobControl, heartbeat: Heartbeat, log: Logger): Promise<void> {
  const em = deps.orm.em.fork();
  const snapshot = await em.findOneOrFail(SnapshotSchema, { id: snapshotId }, { populate: ['virtualCluster', 'storageLocation'] });
  const cluster = snapshot.virtualCluster;
  // Claimed snapshots always have one; the type cannot say so.
  const location = snapshot.storageLocation!;
  log.info({ cluster: cluster.name, storageLocation: location.name }, 'taking snapshot');

  const timeout = AbortSignal.timeout(deps.config.snapshotTimeoutMs);
  // Aborted on the first failure too: volume work is pointless once the snapshot has failed.
  const giveUp = new AbortController();
  const signal = AbortSignal.any([job.signal, timeout, giveUp.signal]);
  let upload: Upload | undefined;
  let kc: ClusterConnection | undefined;
  let volumes: Promise<VolumeReport> = Promise.resolve({ outcomes: [] });
  // One retry budget for every Kubernetes request of this snapshot.
  const retries = new KubeRetries(deps.config.kubeRetry, deps.onKubeRetry);
  let stored: WrittenObject | undefined;
  let result: Parameters<typeof finish>[2];
  let archive: ClusterArchive | undefined;
  // Stopped before the final status is recorded: no PROGRESS event follows it.
  const reporter = startProgressReporter(deps.orm.em, snapshotId, () => archive?.progress(), log);
  try {
    // The store first, so an unusable one fails the snapshot before the cluster is read:
    // S3 initiates the multipart upload, LOCAL creates the directory and a file in it.
    const store = await openLocationStore(location, deps.config.storage);
    upload = await store.beginUpload(snapshot.name);
    const { uploadId } = upload;
    // A database outage here delays the snapshot; it does not fail it.
    const patiently = <T>(what: string, operation: () => Promise<T>) => retryWhileDatabaseUnavailable(operation, { what, logger: log, signal });
    await patiently('recording the upload id', () => em.nativeUpdate(SnapshotSchema, { id: snapshotId }, { uploadId }));

    const sources = { secretsDir: deps.config.kubeconfigSecretsDir, egress: deps.config.kubeEgress, inlineBox: deps.inlineBox };
    const admitted = await patiently('loading the kubeconfig', () => loadClusterKubeconfig(em, cluster, sources));
    kc = connectCluster(admitted, deps.config.kubeEgress, { retries, requestTimeoutMs: deps.config.kubeRequestTimeoutMs });
    let ownVolumeSnapshots: ReadonlySet<string> = new Set();
    if (snapshot.volumeSnapshotsEnabled) {
      // Planned before the listing starts: what cannot be planned is recorded at once, never at the archive's cost.
      const planned = await planSnapshotVolumes(deps, em.fork(), snapshot, kc, signal);
      ownVolumeSnapshots = planned.volumeSnapshotNames;
      volumes = planned.take();
      // Settled below; a rejection here must not go unhandled while the archive streams.
      volumes.catch(() => undefined);
    }
    archive = writeClusterArchive({
      reader: createClusterReader(kc, { timeoutMs: deps.config.kubeRequestTimeoutMs }),
      snapshotId,
      clusterName: cluster.name,
      takenAt: snapshot.startedAt ?? new Date(),
      vsnapVersion: deps.version,
      pageSize: deps.config.listPageSize,
      volumes: async () => (await volumes).outcomes.map(({ record }) => record),
      ownVolumeSnapshots,
      signal,
      logger: log,
    });
    // A failed write destroys the stream; its rejection is reported by write() itself.
    archive.done.catch(() => undefined);
    stored = await upload.write(archive.stream, signal);
    const summary = await archive.done;
    const { outcomes, planningFailure } = await volumes;
    const { resourceTypesTotal } = archive.progress();
    result = {
      archive: { location: stored.location, sizeBytes: stored.size, sha256: summary.sha256, objectCount: summary.objectCount, resourceCounts: summary.countsByResource },
      // The totals, kept once finished: every figure as the snapshot records it.
      progress: {
        resourceTypesDone: resourceTypesTotal,
        resourceTypesTotal,
        objectsWritten: summary.objectCount,
        bytesWritten: stored.size,
        volumesDone: outcomes.filter((outcome) => isTerminalVolumePhase(outcome.phase)).length,
        volumesTotal: outcomes.length,
      },
      outcomes,
      volumePlanningFailure: planningFailure,
      skippedResources: summary.skipped,
      kubeRetries: retries.summary(),
      storageRetries: stored.retries,
    };
  } catch (error) {
    reporter.stop();
    if (stored) {
      // Never throw a stored archive away: recovery adopts it once this snapshot is judged lost.
      log.error({ error: errorMessage(error), location: stored.location }, 'the archive is stored but its summary failed; left IN_PROGRESS for recovery');
      return;
    }
    const { reason, detail } = timeout.aborted
      ? { reason: `timed out after ${deps.config.snapshotTimeoutMs / 1000}s` }
      : // Its worker stopped: said so, not as the storage write the cancellation broke.
        job.signal.aborted
        ? { reason: 'cancelled: its worker shut down before the snapshot was stored', detail: errorMessage(error) }
        : failureReason(error, location.name);
    const refused = egressRefusal(error);
    // The tenant's message names only their host; the log has the address it resolved to.
    if (refused) log.warn({ host: refused.host, address: refused.address, refusal: refused.refusal }, 'egress policy refused the API server address');
    log.warn({ reason, detail, errorClass: (error as object | undefined)?.constructor.name, errorCode: (error as { code?: unknown } | undefined)?.code }, 'snapshot failed');
    giveUp.abort(error);
    const pendingUpload = upload && !(await abortUpload(upload, log)) ? upload.uploadId : null;
    await volumes.catch(() => undefined);
    const retried = retries.summary();
    const message = retried ? `${reason}. ${retried}` : reason;
    await record(deps, job, heartbeat, log, 'recording the failure', () => fail(deps.orm.em.fork(), snapshotId, message, pendingUpload));
    return;
  } finally {
    await kc?.close();
  }
  reporter.stop();
  // The archive is stored: a database outage delays recording it, never discards it.
  const moved = await record(deps, job, heartbeat, log, 'recording the stored archive', () => finish(deps.orm.em.fork(), snapshotId, result));
  if (moved) log.info({ location: stored.location, sizeBytes: stored.size, objects: result.archive.objectCount }, 'snapshot stored');
}

/** true once the upload is gone; false leaves its id on the snapshot for the reconciler to abort. */
async function abortUpload(upload: Upload, log: Logger): Promise<boolean> {
  try {
    await upload.abort();
    return true;
  } catch (error) {
    log.error({ uploadId: upload.uploadId, error: errorMessage(error) }, 'could not abort the upload; the reconciler retries');
    return false;
  }
}

/**
 * Writes a result, retrying while the database is away for as long as this
 * process runs the job; the heartbeat is renewed before each retry. Giving up
 * (at shutdown, or on an error that is not an outage) leaves the snapshot
 * IN_PROGRESS for recovery, which adopts a stored archive.
 */
async function record(deps: EngineDeps, job: JobControl, heartbeat: Heartbeat, log: Logger, what: string, write: () => Promise<boolean>): Promise<boolean> {
  try {
    const moved = await retryWhileDatabaseUnavailable(write, { what, logger: log, signal: job.signal, beforeRetry: () => heartbeat.beat() });
    if (!moved) log.info(`${what}: the snapshot was already finished elsewhere (recovered as lost); nothing written`);
    return moved;
  } catch (error) {
    log.error({ error: errorMessage(error), code: (error as { code?: unknown }).code }, `${what} failed; the snapshot stays IN_PROGRESS until it is recovered`);
    return false;
  }
}

/**
 * The FAILED message: a cluster that could not be read is reported in the
 * reader's words ("API server address not allowed: ...", "Kubernetes API ...
 * answered 500 ..."), not as the storage write its archive stream broke.
 */
function failureReason(error: unknown, locationName: string): { reason: string; detail?: string } {
  if (error instanceof StorageError && error.reason === 'source' && error.cause instanceof ClusterAccessError) return { reason: error.cause.message };
  // The snapshot's message is read by project admins: where the storage is (bucket, endpoint,
  // directory, credential source) is the operator's detail, for the log only.
  if (error instanceof StorageError) return { reason: storageFailureForTenant(error, locationName), detail: error.message };
  return { reason: errorMessage(error) };
}

/**
 * SCHEDULED → IN_PROGRESS, unless the snapshot is gone, already handled,
 * abandoned by a dead worker (lost: to be recovered), or its cluster is busy (deferred).
 */
async function claim(deps: EngineDeps, em: EntityManager, snapshotId: string, log: Logger, picked: boolean): Promise<'claimed' | 'lost' | Exclude<TakeOutcome, 'taken' | 'recovered'>> {
  let waitedSeconds = 0;
  try {
    const outcome = await em.transactional(async (tx) => {
      const snapshot = await tx.findOne(SnapshotSchema, { id: snapshotId }, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['virtualCluster', 'storageLocation'] });
      if (!snapshot) {
        log.info('snapshot was deleted before it was taken');
        return 'skipped';
      }
      if (snapshot.status === 'IN_PROGRESS') {
        // This process never judges its own snapshot lost, whatever a database outage did to its heartbeat.
        if (deps.running.has(snapshotId)) {
          log.info('snapshot is being taken by this process');
          return 'skipped';
        }
        if (!isStale(snapshot, deps.config.lockLifetimeMs)) {
          if (picked) {
            log.debug('picked by a take slot, claimed first by another worker: left to it');
            return 'skipped';
          }
          // Its job's lock expired, so its worker stopped touching it: look again once the heartbeat would be stale too.
          log.info('snapshot is being taken by a live worker; checked again later');
          return 'deferred';
        }
        // Recovered outside this transaction: it reads the store, which may take a while.
        return 'lost';
      }
      if (snapshot.status !== 'SCHEDULED') {
        if (picked) log.debug({ status: snapshot.status }, 'picked by a take slot, taken first by another worker: nothing to take');
        else log.info({ status: snapshot.status }, 'snapshot already handled: nothing to take');
        return 'skipped';
      }
      const now = new Date();
      // Checked now, not when the policy was set: the location may have gone or been closed to the project since.
      const location = await locationForSnapshot(tx, snapshot.virtualCluster.policy.storageLocation, snapshot.projectId);
      if (typeof location === 'string') {
        Object.assign(snapshot, { finishedAt: now, message: location });
        await moveSnapshot(tx, snapshot, 'FAILED', location);
        log.warn(`snapshot refused: ${location}`);
        return 'refused';
      }
      snapshot.startedAt = now;
      snapshot.heartbeatAt = now;
      snapshot.storageLocation = location;
      await moveSnapshot(tx, snapshot, 'IN_PROGRESS', 'taking the snapshot');
      waitedSeconds = (now.getTime() - snapshot.scheduledAt.getTime()) / 1000;
      return 'claimed' as const;
    });
    // Counted once committed: start lateness (metrics).
    if (outcome === 'claimed') deps.onSnapshotStarted?.(waitedSeconds);
    return outcome;
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException && error.message.includes('snapshot_one_in_progress_per_cluster')) {
      log.info('the cluster has a snapshot in progress: deferred');
      return 'deferred';
    }
    throw error;
  }
}

interface StoredArchive {
  location: string;
  sizeBytes: number;
  sha256: string;
  objectCount: number;
  resourceCounts: Record<string, number>;
}

/** IN_PROGRESS → COMPLETED / PARTIALLY_FAILED; false when the snapshot was no longer IN_PROGRESS (recovered elsewhere). */
async function finish(
  em: EntityManager,
  snapshotId: string,
  result: {
    archive: StoredArchive;
    progress: SnapshotProgress;
    outcomes: VolumeOutcome[];
    volumePlanningFailure?: string;
    skippedResources: SkippedResource[];
    kubeRetries?: string;
    storageRetries?: RetryCounts;
  },
): Promise<boolean> {
  return em.transactional(async (tx) => {
    const snapshot = await tx.findOneOrFail(SnapshotSchema, { id: snapshotId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (snapshot.status !== 'IN_PROGRESS') return false;
    const failed = result.outcomes.filter((outcome) => outcome.phase === 'FAILED');
    const status = deriveFinalStatus({
      archiveStored: true,
      volumePhases: result.outcomes.map((outcome) => outcome.phase),
      volumePlanningFailed: result.volumePlanningFailure !== undefined,
    });
    const notes = [
      ...(result.volumePlanningFailure ? [result.volumePlanningFailure] : []),
      ...(failed.length ? [`${failed.length} of ${result.outcomes.length} volume snapshots failed: ${failed.map((f) => `${f.record.namespace}/${f.record.pvcName}: ${f.record.message}`).join('; ')}`] : []),
      ...(result.skippedResources.length ? [`not archived: ${result.skippedResources.map(skippedResourceNote).join('; ')}`] : []),
      ...(result.kubeRetries ? [result.kubeRetries] : []),
      ...storageRetriesNote(result.storageRetries),
    ];
    Object.assign(snapshot, result.archive, {
      uploadId: null,
      finishedAt: new Date(),
      message: notes.join('. ') || null,
      skippedResources: result.skippedResources,
      progress: result.progress,
    });
    await moveSnapshot(tx, snapshot, status, status === 'COMPLETED' ? 'archive stored' : notes[0]);
    return true;
  });
}

/** The archive is stored, but only because storage requests were retried: worth a line (the reasons name no bucket or endpoint). */
function storageRetriesNote(counts: RetryCounts | undefined): string[] {
  const retries = describeRetries(counts);
  return retries ? [`storage: ${retries.total} ${retries.total === 1 ? 'request' : 'requests'} retried after transient failures (${retries.text})`] : [];
}

/** IN_PROGRESS → FAILED; `pendingUploadId` is an upload whose abort failed, kept for the reconciler. */
async function fail(em: EntityManager, snapshotId: string, reason: string, pendingUploadId: string | null): Promise<boolean> {
  return em.transactional(async (tx) => {
    const snapshot = await tx.findOneOrFail(SnapshotSchema, { id: snapshotId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (snapshot.status !== 'IN_PROGRESS') return false;
    await failUnfinishedVolumes(tx, snapshot, `snapshot failed: ${reason}`);
    Object.assign(snapshot, { uploadId: pendingUploadId, finishedAt: new Date(), message: reason });
    await moveSnapshot(tx, snapshot, 'FAILED', reason);
    return true;
  });
}

interface Heartbeat {
  /** Renews the heartbeat now. */
  beat(): Promise<void>;
  stop(): void;
}

/**
 * Renews the snapshot's heartbeat every quarter of the lock lifetime. While the
 * database is away a beat fails; it is retried with a backoff capped at a
 * second, so the heartbeat is back within a second of the database (the
 * finishing write, retried on its own, beats it before each retry).
 */
function startHeartbeat(deps: EngineDeps, snapshotId: string, log: Logger): Heartbeat {
  const em = deps.orm.em.fork();
  const intervalMs = Math.max(250, deps.config.lockLifetimeMs / 4);
  const retry = { initialMs: 100, maxMs: Math.min(1_000, intervalMs) };
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const beat = async () => {
    await em.nativeUpdate(SnapshotSchema, { id: snapshotId }, { heartbeatAt: new Date() });
  };
  const tick = async () => {
    try {
      await beat();
      if (failures > 0) log.info({ failedBeats: failures }, 'heartbeat resumed');
      failures = 0;
    } catch (error) {
      failures += 1;
      if (failures === 1) log.warn({ error: errorMessage(error), code: (error as { code?: unknown }).code }, 'heartbeat failed; retrying with backoff');
    }
    if (!stopped) schedule(failures ? backoffDelay(failures, retry) : intervalMs);
  };
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => void tick(), delayMs);
    timer.unref();
  };
  schedule(intervalMs);
  return {
    beat,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
