/**
 * Which PersistentVolumeClaims of a cluster can get a CSI VolumeSnapshot, and
 * with which VolumeSnapshotClass. Read-only: planning creates nothing.
 */
import { ApiException, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { z } from 'zod';
import { ClusterAccessError, egressRefusal, serverLabel, transportReason, type ClusterAccessErrorKind } from './cluster-reader.ts';
import type { ClusterConnection } from './connect.ts';

export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
export const SNAPSHOT_VERSION = 'v1';
/** The annotation external-snapshotter itself uses to pick a class for a VolumeSnapshot that names none. */
export const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';

/** One PVC and how to snapshot it; exactly one of `volumeSnapshotClass` and `skip` is set. */
export interface VolumePlan {
  namespace: string;
  pvcName: string;
  /** CSI driver of the bound PersistentVolume. */
  driver?: string;
  volumeSnapshotClass?: string;
  /** Why the volume cannot be snapshotted: the message of its SKIPPED phase. */
  skip?: string;
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

/** Every PVC of the cluster, sorted by namespace and name, each planned or skipped with a reason. */
export async function planVolumeSnapshots(kc: ClusterConnection): Promise<VolumePlan[]> {
  // Settle all three before failing, so no request outlives the call.
  const [claimsRead, driversRead, classesRead] = await Promise.allSettled([listClaims(kc), listCsiDrivers(kc), listSnapshotClasses(kc)]);
  const claims = fulfilled(claimsRead);
  const drivers = fulfilled(driversRead);
  const classes = fulfilled(classesRead);
  const plans = claims.map((claim): VolumePlan => {
    const base = { namespace: claim.namespace, pvcName: claim.name };
    if (!claim.volumeName) return { ...base, skip: 'not bound' };
    const driver = drivers.get(claim.volumeName);
    if (driver === undefined) return { ...base, skip: `bound PersistentVolume ${claim.volumeName} not found` };
    if (driver === null) return { ...base, skip: 'not a CSI volume' };
    const choice = chooseSnapshotClass(driver, classes);
    return 'skip' in choice ? { ...base, driver, skip: choice.skip } : { ...base, driver, volumeSnapshotClass: choice.name };
  });
  return plans.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.pvcName.localeCompare(b.pvcName));
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
  const names = (defaults.length > 1 ? defaults : matching).map((c) => c.name).sort().join(', ');
  return defaults.length > 1
    ? { skip: `several default VolumeSnapshotClasses for driver ${driver}: ${names}` }
    : { skip: `several VolumeSnapshotClasses for driver ${driver} and none is the default: ${names}` };
}

function fulfilled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

interface Claim {
  namespace: string;
  name: string;
  /** The bound PersistentVolume; undefined unless the claim is Bound. */
  volumeName?: string;
}

async function listClaims(kc: ClusterConnection): Promise<Claim[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const claims: Claim[] = [];
  let token: string | undefined;
  do {
    const page = await call(kc, 'list PersistentVolumeClaims in all namespaces', () =>
      core.listPersistentVolumeClaimForAllNamespaces({ limit: PAGE_SIZE, _continue: token }),
    );
    for (const pvc of page.items) {
      const bound = pvc.status?.phase === 'Bound' && pvc.spec?.volumeName;
      claims.push({
        namespace: pvc.metadata?.namespace ?? '',
        name: pvc.metadata?.name ?? '',
        volumeName: bound ? pvc.spec?.volumeName : undefined,
      });
    }
    token = page.metadata?._continue || undefined;
  } while (token);
  return claims;
}

/** PersistentVolume name → its CSI driver, or null for a volume that is not CSI. */
async function listCsiDrivers(kc: ClusterConnection): Promise<Map<string, string | null>> {
  const core = kc.makeApiClient(CoreV1Api);
  const drivers = new Map<string, string | null>();
  let token: string | undefined;
  do {
    const page = await call(kc, 'list PersistentVolumes', () =>
      core.listPersistentVolume({ limit: PAGE_SIZE, _continue: token }),
    );
    for (const pv of page.items) {
      if (pv.metadata?.name) drivers.set(pv.metadata.name, pv.spec?.csi?.driver ?? null);
    }
    token = page.metadata?._continue || undefined;
  } while (token);
  return drivers;
}

/** A cluster without the snapshot CRDs (404) has no classes: its CSI volumes are skipped, not an error. */
async function listSnapshotClasses(kc: ClusterConnection): Promise<SnapshotClass[]> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  let body: unknown;
  try {
    body = await custom.listClusterCustomObject({ group: SNAPSHOT_GROUP, version: SNAPSHOT_VERSION, plural: 'volumesnapshotclasses' });
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
