/**
 * Which PersistentVolumeClaims of a cluster can get a CSI VolumeSnapshot, and
 * with which VolumeSnapshotClass. Read-only: planning creates nothing. What
 * cannot be read costs only the volumes that needed it: each PVC is planned,
 * skipped (misconfigured) or failed (the cluster could not tell) on its own.
 */
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  Observable,
  StorageV1Api,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { z } from 'zod';
import { ClusterAccessError, egressRefusal, serverLabel, transportReason, type ClusterAccessErrorKind } from './cluster-reader.ts';
import type { ClusterConnection } from './connect.ts';

export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
export const SNAPSHOT_VERSION = 'v1';
/** The annotation external-snapshotter itself uses to pick a class for a VolumeSnapshot that names none. */
export const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';
/** The annotation that makes a StorageClass the cluster's default. */
export const DEFAULT_STORAGE_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

/** One PVC and how to snapshot it; exactly one of `volumeSnapshotClass`, `skip` and `fail` is set. */
export interface VolumePlan {
  namespace: string;
  pvcName: string;
  /** CSI driver: of the bound PersistentVolume, or (that unreadable or missing) its StorageClass's provisioner. */
  driver?: string;
  /** Set when the driver is the StorageClass's provisioner: where it came from and why. */
  driverNote?: string;
  volumeSnapshotClass?: string;
  /** Why the volume cannot be snapshotted as configured: the message of its SKIPPED phase. */
  skip?: string;
  /** Why the cluster could not tell how to snapshot it (a read failed): the message of its FAILED phase. */
  fail?: string;
}

export interface SnapshotClass {
  name: string;
  driver: string;
  isDefault: boolean;
}

const PAGE_SIZE = 500;

const snapshotClassList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string(), annotations: z.record(z.string(), z.string()).nullish() }),
      driver: z.string(),
    }),
  ),
});

/** What a read gave, or the error that stopped it: a failed read costs only the volumes that need it. */
type Read<T> = { value: T } | { error: ClusterAccessError };

/**
 * Every PVC of the cluster, sorted by namespace and name, each planned, skipped
 * or failed with a reason. Throws (ClusterAccessError) only when the PVCs
 * themselves cannot be listed.
 */
export async function planVolumeSnapshots(kc: ClusterConnection, signal?: AbortSignal): Promise<VolumePlan[]> {
  // Settle all four before failing, so no request outlives the call.
  const [claims, volumes, storageClasses, snapshotClasses] = await Promise.all([
    read(kc, listClaims(kc, signal)),
    read(kc, listVolumes(kc, signal)),
    read(kc, listStorageClasses(kc, signal)),
    read(kc, listSnapshotClasses(kc, signal)),
  ]);
  signal?.throwIfAborted();
  if ('error' in claims) throw claims.error;
  const plans = claims.value.map((claim) => planClaim(claim, volumes, storageClasses, snapshotClasses));
  return plans.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.pvcName.localeCompare(b.pvcName));
}

function planClaim(
  claim: Claim,
  volumes: Read<Map<string, PersistentVolume>>,
  storageClasses: Read<StorageClasses>,
  snapshotClasses: Read<SnapshotClass[]>,
): VolumePlan {
  const base = { namespace: claim.namespace, pvcName: claim.name };
  if (!claim.volumeName) return { ...base, skip: 'not bound' };
  const volume = 'value' in volumes ? volumes.value.get(claim.volumeName) : undefined;
  let driver: string;
  let driverNote: string | undefined;
  if (volume) {
    if (volume.driver === null) return { ...base, skip: 'not a CSI volume' };
    driver = volume.driver;
  } else {
    // The PV would say; without it, the provisioner of the claim's StorageClass made the volume.
    const pvProblem = 'error' in volumes ? volumes.error.message : `bound PersistentVolume ${claim.volumeName} not found`;
    const fromClass = provisionerOf(claim, storageClasses);
    if ('problem' in fromClass) {
      const reason = `cannot tell the CSI driver: ${pvProblem}; ${fromClass.problem}`;
      // A read that failed is a failure; a PV and a class that do not exist are a misconfiguration.
      return 'error' in volumes || 'error' in storageClasses ? { ...base, fail: reason } : { ...base, skip: reason };
    }
    if (fromClass.provisioner.startsWith('kubernetes.io/')) {
      return { ...base, skip: `not a CSI volume (StorageClass ${fromClass.className} provisioner ${fromClass.provisioner})` };
    }
    driver = fromClass.provisioner;
    driverNote = `CSI driver from StorageClass ${fromClass.className} (${pvProblem})`;
  }
  const withDriver = { ...base, driver, ...(driverNote ? { driverNote } : {}) };
  if ('error' in snapshotClasses) return { ...withDriver, fail: snapshotClasses.error.message };
  const choice = chooseSnapshotClass(driver, snapshotClasses.value);
  return 'skip' in choice ? { ...withDriver, skip: choice.skip } : { ...withDriver, volumeSnapshotClass: choice.name };
}

/** The provisioner of the claim's StorageClass: the one it names, or the cluster's default when it names none. */
function provisionerOf(claim: Claim, storageClasses: Read<StorageClasses>): { className: string; provisioner: string } | { problem: string } {
  if (claim.storageClassName === '') return { problem: 'the claim has no StorageClass' };
  if ('error' in storageClasses) return { problem: storageClasses.error.message };
  const className = claim.storageClassName ?? storageClasses.value.defaultClass;
  if (className === undefined) return { problem: 'the claim names no StorageClass and the cluster has no default' };
  const provisioner = storageClasses.value.provisioners.get(className);
  if (provisioner === undefined) return { problem: `StorageClass ${className} not found` };
  return { className, provisioner };
}

/**
 * The class for a driver, chosen as external-snapshotter chooses a default:
 * the only one, else the only one annotated default. Anything else is a
 * misconfiguration the admin must resolve, so the volume is skipped, not guessed.
 */
export function chooseSnapshotClass(driver: string, classes: readonly SnapshotClass[]): { name: string } | { skip: string } {
  const matching = classes.filter((c) => c.driver === driver);
  const [only] = matching;
  if (!only) return { skip: `no VolumeSnapshotClass for driver ${driver}` };
  if (matching.length === 1) return { name: only.name };
  const defaults = matching.filter((c) => c.isDefault);
  const [chosen] = defaults;
  if (chosen && defaults.length === 1) return { name: chosen.name };
  // Several classes, and defaults is empty or has several.
  const names = (classes: readonly SnapshotClass[]) => classes.map((c) => c.name).sort().join(', ');
  return chosen
    ? { skip: `several default VolumeSnapshotClasses for driver ${driver}: ${names(defaults)}` }
    : { skip: `several VolumeSnapshotClasses for driver ${driver} and none is the default: ${names(matching)}` };
}

async function read<T>(kc: ClusterConnection, pending: Promise<T>): Promise<Read<T>> {
  try {
    return { value: await pending };
  } catch (error) {
    // kubeApiError passes the ClusterAccessError of a failed call through as it is.
    return { error: kubeApiError(kc, error, 'plan volume snapshots') };
  }
}

interface Claim {
  namespace: string;
  name: string;
  /** The bound PersistentVolume; undefined unless the claim is Bound. */
  volumeName?: string;
  /** undefined: the claim names none (the default class applies); '': explicitly none. */
  storageClassName?: string;
}

interface PersistentVolume {
  /** null for a volume that is not CSI. */
  driver: string | null;
}

interface StorageClasses {
  provisioners: Map<string, string>;
  /** The class annotated default (the newest, as Kubernetes picks, when several are). */
  defaultClass?: string;
}

interface Page<T> {
  items: T[];
  metadata?: { _continue?: string };
}

/** Every page of a list, `limit` at a time. */
async function allPages<T>(kc: ClusterConnection, action: string, fetchPage: (token: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await call(kc, action, () => fetchPage(token));
    items.push(...page.items);
    token = page.metadata?._continue || undefined;
  } while (token);
  return items;
}

async function listClaims(kc: ClusterConnection, signal?: AbortSignal): Promise<Claim[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const pvcs = await allPages(kc, 'list PersistentVolumeClaims in all namespaces', (token) =>
    core.listPersistentVolumeClaimForAllNamespaces({ limit: PAGE_SIZE, _continue: token }, signalOptions(signal)),
  );
  return pvcs.map((pvc) => {
    const bound = pvc.status?.phase === 'Bound' && pvc.spec?.volumeName;
    return {
      namespace: pvc.metadata?.namespace ?? '',
      name: pvc.metadata?.name ?? '',
      volumeName: bound ? pvc.spec?.volumeName : undefined,
      storageClassName: pvc.spec?.storageClassName ?? undefined,
    };
  });
}

/** PersistentVolume name → its CSI driver (null for a volume that is not CSI). */
async function listVolumes(kc: ClusterConnection, signal?: AbortSignal): Promise<Map<string, PersistentVolume>> {
  const core = kc.makeApiClient(CoreV1Api);
  const pvs = await allPages(kc, 'list PersistentVolumes', (token) => core.listPersistentVolume({ limit: PAGE_SIZE, _continue: token }, signalOptions(signal)));
  const volumes = new Map<string, PersistentVolume>();
  for (const pv of pvs) if (pv.metadata?.name) volumes.set(pv.metadata.name, { driver: pv.spec?.csi?.driver ?? null });
  return volumes;
}

async function listStorageClasses(kc: ClusterConnection, signal?: AbortSignal): Promise<StorageClasses> {
  const storage = kc.makeApiClient(StorageV1Api);
  const classes = await allPages(kc, 'list StorageClasses', (token) => storage.listStorageClass({ limit: PAGE_SIZE, _continue: token }, signalOptions(signal)));
  const provisioners = new Map<string, string>();
  const defaults: { name: string; created: number }[] = [];
  for (const klass of classes) {
    const name = klass.metadata?.name;
    if (!name) continue;
    provisioners.set(name, klass.provisioner);
    if (klass.metadata?.annotations?.[DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true') {
      defaults.push({ name, created: klass.metadata.creationTimestamp ? new Date(klass.metadata.creationTimestamp).getTime() : 0 });
    }
  }
  defaults.sort((a, b) => b.created - a.created || a.name.localeCompare(b.name));
  return { provisioners, defaultClass: defaults[0]?.name };
}

/** A cluster without the snapshot CRDs (404) has no classes: its CSI volumes are skipped, not an error. */
async function listSnapshotClasses(kc: ClusterConnection, signal?: AbortSignal): Promise<SnapshotClass[]> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  let body: unknown;
  try {
    body = await custom.listClusterCustomObject(
      { group: SNAPSHOT_GROUP, version: SNAPSHOT_VERSION, plural: 'volumesnapshotclasses' },
      signalOptions(signal),
    );
  } catch (error) {
    const mapped = kubeApiError(kc, error, 'list VolumeSnapshotClasses');
    if (mapped.status === 404) return [];
    throw mapped;
  }
  const parsed = snapshotClassList.safeParse(body);
  if (!parsed.success) throw accessError(kc, 'failed', 'malformed VolumeSnapshotClass list', parsed.error);
  return parsed.data.items.map((item) => ({
    name: item.metadata.name,
    driver: item.driver,
    isDefault: item.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true',
  }));
}

async function call<T>(kc: ClusterConnection, action: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw kubeApiError(kc, error, action);
  }
}

/** Lets an AbortSignal cancel a generated client's request (no signal: no options). */
export function signalOptions(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware>;
export function signalOptions(signal: AbortSignal | undefined): ConfigurationOptions<ObservableMiddleware> | undefined;
export function signalOptions(signal: AbortSignal | undefined): ConfigurationOptions<ObservableMiddleware> | undefined {
  if (!signal) return undefined;
  const middleware: ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

// ---- errors of calls to the Kubernetes API, shared with volume-snapshots.ts ----

/** The HTTP status behind an error from a generated client (ApiException) or a Watch. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof ClusterAccessError) return error.status;
  if (error instanceof ApiException) return error.code;
  if (error instanceof Error && 'statusCode' in error && typeof error.statusCode === 'number') return error.statusCode;
  return undefined;
}

/**
 * Turns whatever a client-node call threw into a ClusterAccessError that says
 * what failed and why in our own words: the status code, never the body or the
 * Status message the server sent with it.
 */
export function kubeApiError(kc: ClusterConnection, error: unknown, action: string): ClusterAccessError {
  if (error instanceof ClusterAccessError) return error;
  const status = statusOf(error);
  if (status !== undefined) {
    const [kind, text]: [ClusterAccessErrorKind, string] =
      status === 401
        ? ['unauthorized', `${serverLabel(kc.server)} rejected the credentials (401 Unauthorized)`]
        : status === 403
          ? ['forbidden', 'forbidden (403)']
          : status === 404
            ? ['failed', 'not found (404)']
            : ['failed', `HTTP ${status}`];
    return accessError(kc, kind, `cannot ${action}: ${text}`, error, status);
  }
  const refused = egressRefusal(error);
  if (refused) return accessError(kc, 'refused', `${refused.message} (${action})`, error);
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return accessError(kc, 'timeout', `cannot ${action}: ${error.name === 'TimeoutError' ? 'timed out' : 'aborted'}`, error);
  }
  if (error instanceof SyntaxError) return accessError(kc, 'failed', `cannot ${action}: ${serverLabel(kc.server)} sent invalid JSON`, error);
  if (hasCode(error)) {
    return accessError(kc, 'unreachable', `cannot ${action}: ${serverLabel(kc.server)} is unreachable (${transportReason(error)})`, error);
  }
  // Anything else is vsnap's own failure (its message is for the log, which has the cause).
  return accessError(kc, 'failed', `cannot ${action}: unexpected error (${error instanceof Error ? error.name : typeof error})`, error);
}

export function accessError(
  kc: ClusterConnection,
  kind: ClusterAccessErrorKind,
  message: string,
  cause?: unknown,
  status?: number,
): ClusterAccessError {
  return new ClusterAccessError(kind, message, kc.server, undefined, status, { cause });
}

/** A system or TLS error under undici's "fetch failed": ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED... */
function hasCode(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if ('code' in current && typeof current.code === 'string') return true;
    if (current instanceof AggregateError) return true;
  }
  return false;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
