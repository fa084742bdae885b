/**
 * Taking one snapshot: IN_PROGRESS, the cluster's resources streamed as a
 * tar.gz straight into storage, its volumes snapshotted through CSI, then the
 * final status the lifecycle grants. Every status change goes through
 * transitions.ts; everything else here is bookkeeping on the row.
 */
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { loadClusterKubeconfig } from '../clusters/kubeconfig.ts';
import type { EngineConfig } from '../config.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { ClusterAccessError, createClusterReader, egressRefusal } from '../kube/cluster-reader.ts';
import { connectCluster, type ClusterConnection } from '../kube/connect.ts';
import { KubeRetries } from '../kube/retry.ts';
import { locationForSnapshot } from '../locations/service.ts';
import { openLocationStore } from '../locations/store.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { StorageError, storageFailureForTenant, type Upload } from '../storage/index.ts';
import { skippedResourceNote, writeClusterArchive, type SkippedResource } from './archive.ts';
import { SnapshotSchema, type Snapshot } from './entity.ts';
import { deriveFinalStatus } from './lifecycle.ts';
import { failUnfinishedVolumes, planSnapshotVolumes, type VolumeOutcome, type VolumeReport } from './volumes.ts';
import { moveSnapshot } from './transitions.ts';

export interface EngineDeps {
  orm: MikroORM;
  config: EngineConfig;
  logger: Logger;
  version: string;
  /** Opens sealed inline kubeconfigs; absent where inline kubeconfigs are refused. */
  inlineBox?: SecretBox;
  /** Told of every retried Kubernetes request (metrics). */
  onKubeRetry?: (reason: string) => void;
}

export interface JobControl {
  /** Aborted when the worker stops or the job is cancelled. */
  signal: AbortSignal;
  /** Keeps the job's lock alive (Agenda `touch`). */
  touch(): Promise<void>;
}

/** refused: its storage location could not be used, so it FAILED without starting. */
export type TakeOutcome = 'taken' | 'deferred' | 'recovered' | 'skipped' | 'refused';

/** Takes the snapshot `snapshotId` if it is still SCHEDULED. */
export async function takeSnapshot(deps: EngineDeps, snapshotId: string, job: JobControl): Promise<TakeOutcome> {
  const em = deps.orm.em.fork();
  const log = deps.logger.child({ snapshotId });
  const start = await claim(deps, em, snapshotId, log);
  if (start !== 'claimed') return start;
  const snapshot = await em.findOneOrFail(SnapshotSchema, { id: snapshotId }, { populate: ['virtualCluster', 'storageLocation'] });
  const cluster = snapshot.virtualCluster;
  // Claimed snapshots always have one; the type cannot say so.
  const location = snapshot.storageLocation!;
  log.info({ cluster: cluster.name, storageLocation: location.name }, 'taking snapshot');

  const timeout = AbortSignal.timeout(deps.config.snapshotTimeoutMs);
  // Aborted on the first failure too: volume work is pointless once the snapshot has failed.
  const giveUp = new AbortController();
  const signal = AbortSignal.any([job.signal, timeout, giveUp.signal]);
  const heartbeat = startHeartbeat(deps, snapshotId, job, log);
  let upload: Upload | undefined;
  let kc: ClusterConnection | undefined;
  let volumes: Promise<VolumeReport> = Promise.resolve({ outcomes: [] });
  // One retry budget for every Kubernetes request of this snapshot.
  const retries = new KubeRetries(deps.config.kubeRetry, deps.onKubeRetry);
  try {
    const sources = { secretsDir: deps.config.kubeconfigSecretsDir, egress: deps.config.kubeEgress, inlineBox: deps.inlineBox };
    kc = connectCluster(await loadClusterKubeconfig(em, cluster, sources), deps.config.kubeEgress, { retries, requestTimeoutMs: deps.config.kubeRequestTimeoutMs });
    const store = await openLocationStore(location, deps.config.storage);
    upload = await store.beginUpload(snapshot.name);
    await em.nativeUpdate(SnapshotSchema, { id: snapshotId }, { uploadId: upload.uploadId });

    let ownVolumeSnapshots: ReadonlySet<string> = new Set();
    if (snapshot.volumeSnapshotsEnabled) {
      // Planned before the listing starts: what cannot be planned is recorded at once, never at the archive's cost.
      const planned = await planSnapshotVolumes(deps, em.fork(), snapshot, kc, signal);
      ownVolumeSnapshots = planned.volumeSnapshotNames;
      volumes = planned.take();
      // Settled below; a rejection here must not go unhandled while the archive streams.
      volumes.catch(() => undefined);
    }
    const archive = writeClusterArchive({
      reader: createClusterReader(kc, { timeoutMs: deps.config.kubeRequestTimeoutMs }),
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
    const stored = await upload.write(archive.stream, signal);
    const summary = await archive.done;
    const { outcomes, planningFailure } = await volumes;
    await finish(em, snapshotId, {
      archive: { location: stored.location, sizeBytes: stored.size, sha256: summary.sha256, objectCount: summary.objectCount, resourceCounts: summary.countsByResource },
      outcomes,
      volumePlanningFailure: planningFailure,
      skippedResources: summary.skipped,
      kubeRetries: retries.summary(),
    });
    log.info({ location: stored.location, sizeBytes: stored.size, objects: summary.objectCount }, 'snapshot stored');
    return 'taken';
  } catch (error) {
    const { reason, detail } = timeout.aborted ? { reason: `timed out after ${deps.config.snapshotTimeoutMs / 1000}s` } : failureReason(error, location.name);
    const refused = egressRefusal(error);
    // The tenant's message names only their host; the log has the address it resolved to.
    if (refused) log.warn({ host: refused.host, address: refused.address, refusal: refused.refusal }, 'egress policy refused the API server address');
    log.warn({ reason, detail, errorClass: (error as object | undefined)?.constructor.name, errorCode: (error as { code?: unknown } | undefined)?.code }, 'snapshot failed');
    giveUp.abort(error);
    await upload?.abort().catch((abortError: unknown) => log.error({ err: abortError }, 'could not abort the upload'));
    await volumes.catch(() => undefined);
    const retried = retries.summary();
    await fail(em, snapshotId, retried ? `${reason}. ${retried}` : reason);
    return 'taken';
  } finally {
    heartbeat.stop();
    await kc?.close();
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
 * abandoned by a dead worker (recovered here), or its cluster is busy (deferred).
 */
async function claim(deps: EngineDeps, em: EntityManager, snapshotId: string, log: Logger): Promise<'claimed' | Exclude<TakeOutcome, 'taken'>> {
  try {
    return await em.transactional(async (tx) => {
      const snapshot = await tx.findOne(SnapshotSchema, { id: snapshotId }, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['virtualCluster', 'storageLocation'] });
      if (!snapshot) {
        log.info('snapshot was deleted before it was taken');
        return 'skipped';
      }
      if (snapshot.status === 'IN_PROGRESS') {
        if (!isStale(snapshot, deps.config.lockLifetimeMs)) {
          log.info('snapshot is being taken by a live worker');
          return 'skipped';
        }
        await recoverLostSnapshot(deps, tx, snapshot, log);
        return 'recovered';
      }
      if (snapshot.status !== 'SCHEDULED') return 'skipped';
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
      return 'claimed';
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException && error.message.includes('snapshot_one_in_progress_per_cluster')) {
      log.info('the cluster has a snapshot in progress: deferred');
      return 'deferred';
    }
    throw error;
  }
}

export function isStale(snapshot: Pick<Snapshot, 'heartbeatAt' | 'startedAt'>, lockLifetimeMs: number, now = Date.now()): boolean {
  const last = snapshot.heartbeatAt ?? snapshot.startedAt;
  return !last || now - last.getTime() > lockLifetimeMs;
}

/** A worker died mid-snapshot: abort its upload and fail what it left behind. */
export async function recoverLostSnapshot(deps: EngineDeps, tx: EntityManager, snapshot: Snapshot, log: Logger): Promise<void> {
  const lastSeen = (snapshot.heartbeatAt ?? snapshot.startedAt)?.toISOString() ?? 'never';
  if (snapshot.uploadId && snapshot.storageLocation) {
    await tx.populate(snapshot, ['storageLocation']);
    const store = await openLocationStore(snapshot.storageLocation, deps.config.storage);
    await store.abortUpload(snapshot.name, snapshot.uploadId);
    // The worker may have died between completing the upload and recording it: a FAILED
    // snapshot has no archive, so a complete object under its name goes too.
    await store.remove(snapshot.name);
    log.info({ uploadId: snapshot.uploadId }, 'aborted the lost worker\'s upload');
  }
  const reason = `worker lost: no heartbeat since ${lastSeen}`;
  await failUnfinishedVolumes(tx, snapshot, reason);
  snapshot.uploadId = null;
  snapshot.finishedAt = new Date();
  snapshot.message = reason;
  await moveSnapshot(tx, snapshot, 'FAILED', reason);
  log.warn(reason);
}

interface StoredArchive {
  location: string;
  sizeBytes: number;
  sha256: string;
  objectCount: number;
  resourceCounts: Record<string, number>;
}

async function finish(
  em: EntityManager,
  snapshotId: string,
  result: { archive: StoredArchive; outcomes: VolumeOutcome[]; volumePlanningFailure?: string; skippedResources: SkippedResource[]; kubeRetries?: string },
): Promise<void> {
  await em.transactional(async (tx) => {
    const snapshot = await tx.findOneOrFail(SnapshotSchema, { id: snapshotId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
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
    ];
    Object.assign(snapshot, result.archive, {
      uploadId: null,
      finishedAt: new Date(),
      message: notes.join('. ') || null,
      skippedResources: result.skippedResources,
    });
    await moveSnapshot(tx, snapshot, status, status === 'COMPLETED' ? 'archive stored' : notes[0]);
  });
}

async function fail(em: EntityManager, snapshotId: string, reason: string): Promise<void> {
  await em.transactional(async (tx) => {
    const snapshot = await tx.findOneOrFail(SnapshotSchema, { id: snapshotId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (snapshot.status !== 'IN_PROGRESS') return;
    await failUnfinishedVolumes(tx, snapshot, `snapshot failed: ${reason}`);
    Object.assign(snapshot, { uploadId: null, finishedAt: new Date(), message: reason });
    await moveSnapshot(tx, snapshot, 'FAILED', reason);
  });
}

function startHeartbeat(deps: EngineDeps, snapshotId: string, job: JobControl, log: Logger): { stop(): void } {
  const em = deps.orm.em.fork();
  const timer = setInterval(() => {
    Promise.all([em.nativeUpdate(SnapshotSchema, { id: snapshotId }, { heartbeatAt: new Date() }), job.touch()]).catch((error: unknown) =>
      log.warn({ err: error }, 'heartbeat failed'),
    );
  }, Math.max(250, deps.config.lockLifetimeMs / 4));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
