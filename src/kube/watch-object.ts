/**
 * Follows one snapshot.storage.k8s.io object until a verdict on its state
 * (ready, failed, gone) by watching it rather than polling: the API server
 * pushes each change as it happens. A watch that ends early (410 Gone, a closed
 * or dropped connection) is followed by a fresh list by name and a new watch
 * from that list's resourceVersion, so no change in between is missed. Also
 * the small helpers to address, read and delete such an object.
 */
import { CustomObjectsApi, Watch } from '@kubernetes/client-node';
import { z } from 'zod';
import { ClusterAccessError } from './cluster-reader.ts';
import type { ClusterConnection } from './connect.ts';
import { sleep, statusRetryReason, transportRetryReason, type RetryReason } from './retry.ts';
import { accessError, kubeApiError, signalOptions, SNAPSHOT_GROUP, SNAPSHOT_VERSION, statusOf } from './volume-plan.ts';

export { signalOptions } from './volume-plan.ts';

// ---- addressing, reading and deleting one object ----

export interface ObjectRef {
  kind: 'VolumeSnapshot' | 'VolumeSnapshotContent';
  plural: 'volumesnapshots' | 'volumesnapshotcontents';
  namespace?: string;
  name: string;
}

export const describe = (ref: ObjectRef): string => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

const collectionPath = (ref: ObjectRef): string =>
  `/apis/${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}/${ref.namespace ? `namespaces/${ref.namespace}/` : ''}${ref.plural}`;

export const metadataSchema = z.object({
  name: z.string(),
  resourceVersion: z.string().nullish(),
  labels: z.record(z.string(), z.string()).nullish(),
  deletionTimestamp: z.string().nullish(),
});
export const versionedSchema = z.object({ metadata: metadataSchema });
type Versioned = z.infer<typeof versionedSchema>;

export function parseObject<T>(kc: ClusterConnection, ref: ObjectRef, schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw accessError(kc, 'failed', `malformed ${describe(ref)}`, parsed.error);
}

export async function getObject<T>(kc: ClusterConnection, ref: ObjectRef, schema: z.ZodType<T>, signal: AbortSignal): Promise<T | undefined> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const params = { group: SNAPSHOT_GROUP, version: SNAPSHOT_VERSION, plural: ref.plural, name: ref.name };
  try {
    const body: unknown = ref.namespace
      ? await api.getNamespacedCustomObject({ ...params, namespace: ref.namespace }, signalOptions(signal))
      : await api.getClusterCustomObject(params, signalOptions(signal));
    return parseObject(kc, ref, schema, body);
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw kubeApiError(kc, error, `get ${describe(ref)}`);
  }
}

/** Deletes in the background: the controllers' finalizers decide when it is gone, which `follow` waits for. */
export async function deleteObject(kc: ClusterConnection, ref: ObjectRef, signal: AbortSignal): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const params = { group: SNAPSHOT_GROUP, version: SNAPSHOT_VERSION, plural: ref.plural, name: ref.name };
  try {
    if (ref.namespace) await api.deleteNamespacedCustomObject({ ...params, namespace: ref.namespace }, signalOptions(signal));
    else await api.deleteClusterCustomObject(params, signalOptions(signal));
  } catch (error) {
    if (statusOf(error) !== 404) throw kubeApiError(kc, error, `delete ${describe(ref)}`);
  }
}

// ---- following one object with a watch ----

interface Verdicts<T, R> {
  /** A decision on the object's current state, or undefined to keep watching. */
  judge: (object: T) => R | undefined;
  /** The decision when the object does not exist (any more). */
  gone: () => R;
}

const QUIET_SESSION_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;

/** What a read showed: the object (undefined when absent) and the resourceVersion to watch from. */
interface Sighting<T> {
  object: T | undefined;
  resourceVersion: string | undefined;
}

/**
 * Watches one object (fieldSelector on its name) from `start`'s resourceVersion
 * until a verdict. A watch that ends early — the server closed it, its history
 * expired (410 Gone), the connection dropped, client-node's 30 s idle timer
 * fired — is followed by a fresh read and a new watch from that read's
 * resourceVersion, so nothing between the two is missed. The read is a list
 * by name, not a GET: a list's resourceVersion is the store's current one,
 * while an object's own may be as old as its last change and already
 * compacted. Watches that end at once back off; refusals (401, 403, 404) end
 * the follow with an error. Without `start` it reads first.
 */
export async function follow<T extends Versioned, R>(
  kc: ClusterConnection,
  ref: ObjectRef,
  schema: z.ZodType<T>,
  start: T | undefined,
  signal: AbortSignal,
  verdicts: Verdicts<T, R>,
): Promise<R> {
  let sighting: Sighting<T> | undefined = start
    ? { object: start, resourceVersion: start.metadata.resourceVersion ?? undefined }
    : await readFresh(kc, ref, schema, signal);
  let setbacks = 0;
  for (;;) {
    if (sighting) {
      if (!sighting.object) return verdicts.gone();
      const verdict = verdicts.judge(sighting.object);
      if (verdict !== undefined) return verdict;
      const startedAt = Date.now();
      const session = await watchSession(kc, ref, schema, sighting.resourceVersion, signal, verdicts);
      if ('verdict' in session) return session.verdict;
      signal.throwIfAborted();
      if (!isRetriable(session.error)) throw kubeApiError(kc, session.error, `watch ${describe(ref)}`);
      // A watch that closed or expired is routine; one that failed spends the snapshot's retry budget.
      const fault = faultOf(session.error);
      if (fault !== undefined && !kc.retries.take(fault, ref)) throw kubeApiError(kc, session.error, `watch ${describe(ref)}`);
      const productive = session.events > 0 || Date.now() - startedAt >= QUIET_SESSION_MS;
      setbacks = productive ? 0 : setbacks + 1;
    }
    // Full jitter: many volumes' watches ending together must not come back together.
    if (setbacks > 0) await sleep(Math.floor(Math.random() * Math.min(MAX_BACKOFF_MS, 100 * 2 ** (setbacks - 1))), signal);
    try {
      sighting = await readFresh(kc, ref, schema, signal);
    } catch (error) {
      signal.throwIfAborted();
      // The read has had its own retries; another round only while the budget lasts.
      if (!isRetriable(error) || !kc.retries.take(faultOf(error) ?? 'watch', ref)) throw error;
      sighting = undefined;
      setbacks++;
    }
  }
}

const listSchema = z.object({
  metadata: z.object({ resourceVersion: z.string().nullish() }).nullish(),
  items: z.array(z.unknown()),
});

async function readFresh<T extends Versioned>(
  kc: ClusterConnection,
  ref: ObjectRef,
  schema: z.ZodType<T>,
  signal: AbortSignal,
): Promise<Sighting<T>> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const params = { group: SNAPSHOT_GROUP, version: SNAPSHOT_VERSION, plural: ref.plural, fieldSelector: `metadata.name=${ref.name}` };
  let body: unknown;
  try {
    body = ref.namespace
      ? await api.listNamespacedCustomObject({ ...params, namespace: ref.namespace }, signalOptions(signal))
      : await api.listClusterCustomObject(params, signalOptions(signal));
  } catch (error) {
    throw kubeApiError(kc, error, `read ${describe(ref)}`);
  }
  const list = listSchema.safeParse(body);
  if (!list.success) throw accessError(kc, 'failed', `malformed list of ${ref.plural}`, list.error);
  const objects = list.data.items.map((item) => parseObject(kc, ref, schema, item));
  const object = objects.find((candidate) => candidate.metadata.name === ref.name);
  return { object, resourceVersion: list.data.metadata?.resourceVersion ?? object?.metadata.resourceVersion ?? undefined };
}

type SessionEnd<R> = { verdict: R; events: number } | { error: unknown; events: number };

/** The Status object of a watch ERROR event, as an error carrying its HTTP code (its message is the server's, so dropped). */
class WatchStatusError extends Error {
  constructor(readonly statusCode: number | undefined) {
    super(`watch ended with an error event${statusCode === undefined ? '' : ` (${statusCode})`}`);
    this.name = 'WatchStatusError';
  }
}

const watchStatusSchema = z.object({ code: z.number().int().nullish() });

function watchSession<T extends Versioned, R>(
  kc: ClusterConnection,
  ref: ObjectRef,
  schema: z.ZodType<T>,
  resourceVersion: string | undefined,
  signal: AbortSignal,
  verdicts: Verdicts<T, R>,
): Promise<SessionEnd<R>> {
  return new Promise((resolve) => {
    let controller: AbortController | undefined;
    let settled = false;
    let events = 0;
    const finish = (end: { verdict: R } | { error: unknown }): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      resolve({ ...end, events });
    };
    const onAbort = (): void => finish({ error: signal.reason });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const onEvent = (type: string, raw: unknown): void => {
      if (settled) return;
      events++;
      if (type === 'BOOKMARK') return;
      if (type === 'ERROR') {
        const status = watchStatusSchema.safeParse(raw);
        return finish({ error: new WatchStatusError(status.success ? (status.data.code ?? undefined) : undefined) });
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success) return finish({ error: accessError(kc, 'failed', `malformed ${describe(ref)} in a watch event`) });
      if (parsed.data.metadata.name !== ref.name) return;
      const verdict = type === 'DELETED' ? verdicts.gone() : verdicts.judge(parsed.data);
      if (verdict !== undefined) finish({ verdict });
    };
    const query = { fieldSelector: `metadata.name=${ref.name}`, allowWatchBookmarks: true, resourceVersion };
    new Watch(kc).watch(collectionPath(ref), query, onEvent, (error: unknown) => finish({ error: error ?? undefined })).then(
      (started) => {
        controller = started;
        if (settled) started.abort();
      },
      (error: unknown) => finish({ error }),
    );
  });
}

/** Why a watch or read failed, as a retry reason; undefined for a clean close or an expired resourceVersion (routine). */
function faultOf(error: unknown): RetryReason | undefined {
  // client-node ends a watch that has been silent for 30 s: routine too.
  if (error === undefined || (error instanceof Error && error.name === 'TimeoutError')) return undefined;
  const status = statusOf(error);
  if (status !== undefined) return status === 410 ? undefined : (statusRetryReason(status) ?? String(status));
  return transportRetryReason(error) ?? 'watch';
}

/** Worth a fresh read and a new watch: a clean close, expiry, throttling, server or transport trouble. */
function isRetriable(error: unknown): boolean {
  if (error === undefined) return true;
  const status = statusOf(error);
  if (status !== undefined) return status === 410 || status === 429 || status >= 500;
  if (error instanceof ClusterAccessError) return error.kind === 'unreachable' || error.kind === 'timeout';
  return true;
}
