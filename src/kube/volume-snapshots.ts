/**
 * CSI VolumeSnapshots of a cluster's PVCs: create one, follow it with a watch
 * until the snapshot controller makes it ready or gives up, then remove the
 * temporary API objects. Kubernetes only: the caller records the volume phases.
 */
import { createHash } from 'node:crypto';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { z } from 'zod';
import type { ClusterConnection } from './connect.ts';
import { parseQuantity } from './quantity.ts';
import {
  accessError,
  kubeApiError,
  messageOf,
  SNAPSHOT_GROUP,
  SNAPSHOT_VERSION,
  statusOf,
  type VolumePlan,
} from './volume-plan.ts';
import {
  deleteObject,
  describe,
  follow,
  getObject,
  metadataSchema,
  parseObject,
  signalOptions,
  versionedSchema,
  type ObjectRef,
} from './watch-object.ts';

export { parseQuantity } from './quantity.ts';
export { chooseSnapshotClass, kubeApiError, planVolumeSnapshots, type VolumePlan } from './volume-plan.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const SNAPSHOT_ID_LABEL = 'vsnap.io/snapshot-id';

export interface TakeVolumeSnapshotOptions {
  /** The VolumeSnapshot's name: unique per PVC and vsnap snapshot, see `volumeSnapshotObjectName`. */
  snapshotName: string;
  /** The vsnap snapshot the volume belongs to, recorded as the SNAPSHOT_ID_LABEL label. */
  snapshotId?: string;
  /** For the whole take: create, wait for readyToUse, read the content. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Extra labels; managed-by and (with snapshotId) the snapshot id label always win. */
  labels?: Record<string, string>;
}

export type VolumeSnapshotResult =
  | {
      ok: true;
      /** The storage backend's id of the snapshot: what a restore needs, together with the driver. */
      snapshotHandle: string;
      /** null when neither the VolumeSnapshot nor its content reports a size. */
      restoreSizeBytes: number | null;
      contentName: string;
    }
  | { ok: false; reason: string };

export interface CleanupVolumeSnapshotOptions {
  /**
   * true after success (the backend snapshot must survive), false after
   * failure (remove it too): pass the take's `ok`. When omitted, readyToUse
   * decides, which would also keep a snapshot that became ready only after the
   * take gave up: a backend snapshot no record points to.
   */
  keepBackendSnapshot?: boolean;
  /** From the take's result: lets a repeated cleanup find a content whose VolumeSnapshot is already gone. */
  contentName?: string;
  /** Default 60 s, for the whole cleanup. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_CLEANUP_TIMEOUT_MS = 60_000;

/** `vsnap-<8 chars of the snapshot id>-<pvc>`, a DNS-1123 label (≤ 63), hashed when the PVC name is long. */
export function volumeSnapshotObjectName(snapshotId: string, pvcName: string): string {
  const shortId = snapshotId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8);
  if (!shortId) throw new Error(`snapshot id ${JSON.stringify(snapshotId)} has no usable characters`);
  const pvc = pvcName.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const full = `vsnap-${shortId}-${pvc}`;
  if (full.length <= 63 && pvc === pvcName) return full;
  const hash = createHash('sha256').update(pvcName).digest('hex').slice(0, 8);
  const head = full.slice(0, 63 - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/** Creates the VolumeSnapshot (or adopts the one a previous attempt created) and waits for the CSI outcome. */
export async function takeVolumeSnapshot(
  kc: ClusterConnection,
  plan: VolumePlan,
  options: TakeVolumeSnapshotOptions,
): Promise<VolumeSnapshotResult> {
  const className = plan.volumeSnapshotClass;
  if (plan.skip !== undefined || !className) {
    throw new Error(`volume ${plan.namespace}/${plan.pvcName} is not planned for a snapshot: ${plan.skip ?? 'no class'}`);
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const snapshot = volumeSnapshotRef(plan.namespace, options.snapshotName);
  try {
    const created = await createOrAdopt(kc, snapshot, plan, className, options, signal);
    const readiness = await follow(kc, snapshot, volumeSnapshotSchema, created, signal, {
      judge: judgeReadiness,
      gone: (): Readiness => ({ ready: false, reason: `${describe(snapshot)} was deleted before it became ready` }),
    });
    if (!readiness.ready) return { ok: false, reason: readiness.reason };
    return await readContent(kc, readiness, signal);
  } catch (error) {
    if (timeout.aborted) return { ok: false, reason: `timed out after ${seconds(options.timeoutMs)}s waiting for readyToUse` };
    if (options.signal?.aborted) return { ok: false, reason: `aborted while waiting for readyToUse: ${messageOf(options.signal.reason)}` };
    return { ok: false, reason: kubeApiError(kc, error, `snapshot ${plan.namespace}/${plan.pvcName}`).message };
  }
}

/**
 * Removes the temporary VolumeSnapshot and VolumeSnapshotContent and waits
 * until both are gone. What vsnap keeps is the snapshotHandle (with the driver)
 * in its own record, as Velero does; the API objects are only the means.
 * Deleting a VolumeSnapshot whose content has deletionPolicy Delete makes the
 * CSI driver delete the backend snapshot, so after success the content is
 * first patched to Retain: deleting both objects then leaves the backend
 * snapshot alone. After failure the content is patched to Delete instead, so a
 * broken or partial backend snapshot does not linger, whatever the class said.
 * Without `keepBackendSnapshot` the cluster decides: ready means success.
 * A patch that fails stops the cleanup before anything is deleted. Throws
 * ClusterAccessError when the cleanup fails or times out.
 */
export async function cleanupVolumeSnapshot(
  kc: ClusterConnection,
  plan: Pick<VolumePlan, 'namespace' | 'pvcName'>,
  snapshotName: string,
  options: CleanupVolumeSnapshotOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLEANUP_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const snapshot = volumeSnapshotRef(plan.namespace, snapshotName);
  let step = `clean up ${describe(snapshot)}`;
  try {
    const existing = await getObject(kc, snapshot, volumeSnapshotSchema, signal);
    const contentName = existing?.status?.boundVolumeSnapshotContentName ?? options.contentName;
    const content = contentName ? contentRef(contentName) : undefined;
    if (content) {
      step = `set the deletionPolicy of ${describe(content)}`;
      const keep = options.keepBackendSnapshot ?? (existing ? existing.status?.readyToUse === true : undefined);
      await settleDeletionPolicy(kc, content, snapshot, keep, signal);
    }
    for (const ref of content ? [snapshot, content] : [snapshot]) {
      step = `delete ${describe(ref)}`;
      await deleteObject(kc, ref, signal);
      step = `wait for ${describe(ref)} to be deleted`;
      await follow(kc, ref, versionedSchema, undefined, signal, { judge: () => undefined, gone: () => true });
    }
  } catch (error) {
    if (timeout.aborted) {
      throw accessError(kc, 'timeout', `timed out after ${seconds(timeoutMs)}s trying to ${step}`, error);
    }
    if (options.signal?.aborted) throw accessError(kc, 'failed', `aborted while trying to ${step}`, error);
    throw kubeApiError(kc, error, step);
  }
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results keep the
 * items' order. The first failure rejects and no new calls start after it.
 */
export async function runWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---- the snapshot.storage.k8s.io objects ----

const volumeSnapshotRef = (namespace: string, name: string): ObjectRef => ({
  kind: 'VolumeSnapshot',
  plural: 'volumesnapshots',
  namespace,
  name,
});
const contentRef = (name: string): ObjectRef => ({ kind: 'VolumeSnapshotContent', plural: 'volumesnapshotcontents', name });

const volumeSnapshotSchema = z.object({
  metadata: metadataSchema,
  spec: z.object({ source: z.object({ persistentVolumeClaimName: z.string().nullish() }).nullish() }).nullish(),
  status: z
    .object({
      readyToUse: z.boolean().nullish(),
      boundVolumeSnapshotContentName: z.string().nullish(),
      restoreSize: z.union([z.string(), z.number()]).nullish(),
      error: z.object({ message: z.string().nullish() }).nullish(),
    })
    .nullish(),
});
type VolumeSnapshotObject = z.infer<typeof volumeSnapshotSchema>;

const contentSchema = z.object({
  metadata: metadataSchema,
  spec: z.object({
    deletionPolicy: z.string().nullish(),
    volumeSnapshotRef: z.object({ name: z.string().nullish(), namespace: z.string().nullish() }).nullish(),
  }),
  status: z
    .object({ readyToUse: z.boolean().nullish(), snapshotHandle: z.string().nullish(), restoreSize: z.number().nullish() })
    .nullish(),
});

const MAX_CONTROLLER_MESSAGE = 300;

type Readiness =
  | { ready: true; contentName: string; restoreSize: string | number | null | undefined }
  | { ready: false; reason: string };

function judgeReadiness(snapshot: VolumeSnapshotObject): Readiness | undefined {
  const status = snapshot.status;
  if (status?.readyToUse === true) {
    const contentName = status.boundVolumeSnapshotContentName;
    if (!contentName) return { ready: false, reason: 'readyToUse without a boundVolumeSnapshotContentName' };
    return { ready: true, contentName, restoreSize: status.restoreSize };
  }
  if (status?.error) {
    // The snapshot controller's words, from an object of the tenant's own cluster: shown, but capped.
    const said = status.error.message?.replace(/\p{Cc}+/gu, ' ');
    if (!said) return { ready: false, reason: 'the snapshot controller reported an error' };
    return { ready: false, reason: said.length <= MAX_CONTROLLER_MESSAGE ? said : `${said.slice(0, MAX_CONTROLLER_MESSAGE)}… (cut)` };
  }
  if (snapshot.metadata.deletionTimestamp) return { ready: false, reason: 'the VolumeSnapshot is being deleted' };
  return undefined;
}

async function createOrAdopt(
  kc: ClusterConnection,
  ref: ObjectRef,
  plan: VolumePlan,
  className: string,
  options: TakeVolumeSnapshotOptions,
  signal: AbortSignal,
): Promise<VolumeSnapshotObject> {
  const labels: Record<string, string> = { ...options.labels, [MANAGED_BY_LABEL]: 'vsnap' };
  if (options.snapshotId !== undefined) labels[SNAPSHOT_ID_LABEL] = options.snapshotId;
  const body = {
    apiVersion: `${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}`,
    kind: 'VolumeSnapshot',
    metadata: { name: ref.name, namespace: ref.namespace, labels },
    spec: { volumeSnapshotClassName: className, source: { persistentVolumeClaimName: plan.pvcName } },
  };
  const api = kc.makeApiClient(CustomObjectsApi);
  try {
    const created: unknown = await api.createNamespacedCustomObject(
      { group: SNAPSHOT_GROUP, version: SNAPSHOT_VERSION, namespace: plan.namespace, plural: ref.plural, body },
      signalOptions(signal),
    );
    return parseObject(kc, ref, volumeSnapshotSchema, created);
  } catch (error) {
    if (statusOf(error) !== 409) throw kubeApiError(kc, error, `create ${describe(ref)}`);
  }
  // A retried take finds its own VolumeSnapshot; anything else of that name is not ours to follow.
  const existing = await getObject(kc, ref, volumeSnapshotSchema, signal);
  const ours =
    existing?.spec?.source?.persistentVolumeClaimName === plan.pvcName &&
    Object.entries(labels).every(([key, value]) => existing.metadata.labels?.[key] === value);
  if (!existing || !ours) throw accessError(kc, 'failed', `${describe(ref)} already exists and is not this snapshot's`, undefined, 409);
  return existing;
}

async function readContent(
  kc: ClusterConnection,
  readiness: Extract<Readiness, { ready: true }>,
  signal: AbortSignal,
): Promise<VolumeSnapshotResult> {
  const ref = contentRef(readiness.contentName);
  const content = await getObject(kc, ref, contentSchema, signal);
  if (!content) return { ok: false, reason: `${describe(ref)} not found` };
  const snapshotHandle = content.status?.snapshotHandle;
  if (!snapshotHandle) return { ok: false, reason: `${describe(ref)} has no status.snapshotHandle` };
  const fromSnapshot = typeof readiness.restoreSize === 'number' ? readiness.restoreSize : parseQuantity(readiness.restoreSize);
  const restoreSizeBytes = fromSnapshot ?? content.status?.restoreSize ?? null;
  return { ok: true, snapshotHandle, restoreSizeBytes, contentName: readiness.contentName };
}

/** Retain to keep the backend snapshot, Delete to remove it; `keep` undefined follows the content's readyToUse. */
async function settleDeletionPolicy(
  kc: ClusterConnection,
  ref: ObjectRef,
  snapshot: ObjectRef,
  keep: boolean | undefined,
  signal: AbortSignal,
): Promise<void> {
  const content = await getObject(kc, ref, contentSchema, signal);
  if (!content) return;
  const policy = (keep ?? content.status?.readyToUse === true) ? 'Retain' : 'Delete';
  const bound = content.spec.volumeSnapshotRef;
  if (bound?.name !== snapshot.name || bound.namespace !== snapshot.namespace) {
    throw accessError(kc, 'failed', `${describe(ref)} is not bound to ${describe(snapshot)}`);
  }
  if (content.spec.deletionPolicy === policy) return;
  const api = kc.makeApiClient(CustomObjectsApi);
  await api.patchClusterCustomObject(
    { group: SNAPSHOT_GROUP, version: SNAPSHOT_VERSION, plural: ref.plural, name: ref.name, body: { spec: { deletionPolicy: policy } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch, signalOptions(signal)),
  );
}

function seconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(3)));
}
