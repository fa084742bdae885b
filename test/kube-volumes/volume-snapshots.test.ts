/**
 * CSI volume snapshots against the Kubernetes API test server and its
 * simulated snapshot controller, through the real @kubernetes/client-node.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterAccessError } from '../../src/kube/cluster-reader.ts';
import {
  cleanupVolumeSnapshot,
  MANAGED_BY_LABEL,
  planVolumeSnapshots,
  runWithLimit,
  SNAPSHOT_ID_LABEL,
  takeVolumeSnapshot,
  volumeSnapshotObjectName,
  type VolumePlan,
  type VolumeSnapshotResult,
} from '../../src/kube/volume-snapshots.ts';
import type { ClusterConnection } from '../../src/kube/connect.ts';
import { KubeRetries } from '../../src/kube/retry.ts';
import { startKubeServer, STANDARD_SEED, type KubeObject, type KubeServerOptions, type KubeTestServer } from '../kube/server.ts';
import { connectTo } from '../support/kubeconfig.ts';

const VS = 'snapshot.storage.k8s.io/volumesnapshots';
const VSC = 'snapshot.storage.k8s.io/volumesnapshotcontents';
const VSCLASS = 'snapshot.storage.k8s.io/volumesnapshotclasses';
const GI = 1024 ** 3;
const SNAPSHOT_ID = '3f2a9c1e-7b44-4d0e-9a55-0c1d2e3f4a5b';

let server: KubeTestServer;
let kc: ClusterConnection;

async function start(options: KubeServerOptions = {}): Promise<void> {
  await server?.close();
  await kc?.close();
  server = await startKubeServer(options);
  server.seedStandard();
  // Retries as configured by default, with short waits: the tests do not wait on backoff.
  kc = connectTo(server.kubeconfig, undefined, { retries: new KubeRetries({ baseDelayMs: 5 }) });
}

beforeEach(() => start());
afterEach(async () => {
  await kc.close();
  await server.close();
});

const planned = (pvcName: string, namespace = 'team-a'): VolumePlan => ({
  namespace,
  pvcName,
  driver: STANDARD_SEED.csiDriver,
  volumeSnapshotClass: STANDARD_SEED.snapshotClass,
});

function take(plan: VolumePlan, options: { timeoutMs?: number; signal?: AbortSignal; snapshotId?: string } = {}) {
  const snapshotId = options.snapshotId ?? SNAPSHOT_ID;
  return takeVolumeSnapshot(kc, plan, {
    snapshotName: volumeSnapshotObjectName(snapshotId, plan.pvcName),
    snapshotId,
    timeoutMs: options.timeoutMs ?? 5_000,
    signal: options.signal,
  });
}

const nameFor = (pvc: string) => volumeSnapshotObjectName(SNAPSHOT_ID, pvc);

function expectOk(result: VolumeSnapshotResult): Extract<VolumeSnapshotResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected success, got: ${result.reason}`);
  return result;
}

function expectFailure(result: VolumeSnapshotResult): string {
  if (result.ok) throw new Error(`expected failure, got ${JSON.stringify(result)}`);
  return result.reason;
}

/** Requests to the VolumeSnapshot collection of a namespace (and its objects), split into watches and plain GETs. */
function snapshotRequests(namespace = 'team-a') {
  const prefix = `/apis/snapshot.storage.k8s.io/v1/namespaces/${namespace}/volumesnapshots`;
  const ours = server.requests.filter((r) => r.path.startsWith(prefix));
  const watches = ours.filter((r) => new URLSearchParams(r.query).get('watch') === 'true');
  const gets = ours.filter((r) => r.method === 'GET' && !watches.includes(r));
  return { all: ours, watches, gets };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function addCsiVolume(namespace: string, pvc: string): void {
  const volume = `pv-${namespace}-${pvc}`;
  if (!server.store.get('namespaces', namespace)) {
    server.store.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace }, status: { phase: 'Active' } });
  }
  server.store.add({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: volume },
    spec: { capacity: { storage: '2Gi' }, csi: { driver: STANDARD_SEED.csiDriver, volumeHandle: `vol-${pvc}` } },
    status: { phase: 'Bound' },
  });
  server.store.add({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: pvc, namespace },
    spec: { storageClassName: 'csi-fast', volumeName: volume, resources: { requests: { storage: '2Gi' } } },
    status: { phase: 'Bound' },
  });
}

describe('planVolumeSnapshots', () => {
  it('plans CSI volumes with a class and skips the others with the reason', async () => {
    const plans = await planVolumeSnapshots(kc);
    expect(plans.map((p) => `${p.namespace}/${p.pvcName}`)).toEqual(
      STANDARD_SEED.volumes.map((v) => `${v.namespace}/${v.pvc}`).sort(),
    );
    const byPvc = new Map(plans.map((p) => [p.pvcName, p]));
    for (const volume of STANDARD_SEED.volumes.filter((v) => v.expected === 'snapshot')) {
      expect(byPvc.get(volume.pvc)).toEqual({
        namespace: volume.namespace,
        pvcName: volume.pvc,
        driver: volume.driver,
        volumeSnapshotClass: STANDARD_SEED.snapshotClass,
      });
    }
    expect(byPvc.get('cache')).toEqual({ namespace: 'team-b', pvcName: 'cache', skip: 'not a CSI volume' });
    expect(byPvc.get('archive')).toEqual({
      namespace: 'team-b',
      pvcName: 'archive',
      driver: 'other.csi.example.org',
      skip: 'no VolumeSnapshotClass for driver other.csi.example.org',
    });
    expect(byPvc.get('scratch')).toEqual({ namespace: 'team-b', pvcName: 'scratch', skip: 'not bound' });
  });

  it('prefers the default class when a driver has several, and reads every page', async () => {
    await start({ pageLimitMax: 2 });
    server.store.add({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: 'aaa-not-default' },
      driver: STANDARD_SEED.csiDriver,
      deletionPolicy: 'Delete',
    });
    for (const pvc of ['p1', 'p2', 'p3']) addCsiVolume('team-c', pvc);
    const plans = await planVolumeSnapshots(kc);
    expect(plans).toHaveLength(STANDARD_SEED.volumes.length + 3);
    expect(plans.filter((p) => p.volumeSnapshotClass).map((p) => p.volumeSnapshotClass)).toEqual(
      Array(5).fill(STANDARD_SEED.snapshotClass),
    );
    const pages = server.requests.filter((r) => r.path === '/api/v1/persistentvolumeclaims');
    expect(pages.length).toBeGreaterThanOrEqual(4);
    expect(pages.slice(1).every((r) => new URLSearchParams(r.query).has('continue'))).toBe(true);
  });

  it('skips every CSI volume when no VolumeSnapshotClass exists', async () => {
    for (const klass of server.store.list(VSCLASS)) server.store.remove(VSCLASS, klass.metadata?.name ?? '');
    const plans = await planVolumeSnapshots(kc);
    expect(plans.filter((p) => !p.skip)).toEqual([]);
    expect(plans.find((p) => p.pvcName === 'data')?.skip).toBe('no VolumeSnapshotClass for driver csi.example.com');
  });

  it('fails with a clear error when listing is forbidden or the server is unreachable', async () => {
    server.faults.forbidden.add('persistentvolumeclaims');
    const forbidden = await planVolumeSnapshots(kc).catch((error: unknown) => error);
    expect(forbidden).toBeInstanceOf(ClusterAccessError);
    expect(forbidden).toMatchObject({ kind: 'forbidden', status: 403 });
    // Our words and the status; the Status message the server sent ("... is forbidden: User ...") is not repeated.
    expect((forbidden as Error).message).toBe('cannot list PersistentVolumeClaims in all namespaces: forbidden (403)');

    await server.close();
    const unreachable = await planVolumeSnapshots(kc).catch((error: unknown) => error);
    expect(unreachable).toMatchObject({ kind: 'unreachable' });
    expect((unreachable as Error).message).toMatch(/^cannot list (PersistentVolumeClaims in all namespaces|PersistentVolumes|VolumeSnapshotClasses): Kubernetes API "https:\/\/127\.0\.0\.1:\d+" is unreachable \((connection refused|connection closed by the server)\)$/);
  });

  it('reports rejected credentials as unauthorized', async () => {
    const wrong = connectTo(server.kubeconfig.replace(server.token, 'not-the-token'));
    try {
      await expect(planVolumeSnapshots(wrong)).rejects.toMatchObject({ kind: 'unauthorized', status: 401 });
    } finally {
      await wrong.close();
    }
  });
});

describe('takeVolumeSnapshot', () => {
  it('creates a labelled VolumeSnapshot and returns the handle and size once ready', async () => {
    const result = expectOk(await take(planned('data')));
    const snapshot = server.store.get(VS, nameFor('data'), 'team-a') as KubeObject & { spec: unknown };
    expect(snapshot.metadata?.labels).toEqual({ [MANAGED_BY_LABEL]: 'vsnap', [SNAPSHOT_ID_LABEL]: SNAPSHOT_ID });
    expect(snapshot.spec).toEqual({
      volumeSnapshotClassName: STANDARD_SEED.snapshotClass,
      source: { persistentVolumeClaimName: 'data' },
    });
    const content = server.store.get(VSC, result.contentName) as KubeObject & { status: { snapshotHandle: string } };
    expect(result).toEqual({ ok: true, snapshotHandle: content.status.snapshotHandle, restoreSizeBytes: GI, contentName: result.contentName });
    expect(result.snapshotHandle).toMatch(/^snap-/);
  });

  it('follows a slow snapshot with one watch and no polling', async () => {
    server.faults.csi = { mode: 'slow', delayMs: 700 };
    const started = Date.now();
    expectOk(await take(planned('data')));
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    const { watches, gets } = snapshotRequests();
    expect(watches).toHaveLength(1);
    const query = new URLSearchParams(watches[0]?.query);
    expect(query.get('fieldSelector')).toBe(`metadata.name=${nameFor('data')}`);
    expect(Number(query.get('resourceVersion'))).toBeGreaterThan(0);
    expect(gets).toHaveLength(0);
  });

  it('reports the controller error of a failed snapshot', async () => {
    server.faults.csi = { mode: 'ready', perPvc: { 'team-a/logs': { mode: 'fail' } } };
    const [data, logs] = await Promise.all([take(planned('data')), take(planned('logs'))]);
    expectOk(data);
    expect(expectFailure(logs)).toMatch(/^Failed to create snapshot: .*simulated CSI driver failure$/);
  });

  it('gives up after the timeout when the snapshot never becomes ready', async () => {
    server.faults.csi = { mode: 'never' };
    const started = Date.now();
    expect(expectFailure(await take(planned('data'), { timeoutMs: 300 }))).toBe('timed out after 0.3s waiting for readyToUse');
    expect(Date.now() - started).toBeLessThan(2_000);
    await until(() => server.openWatches === 0, 'the watch to close');
  });

  it('stops when its signal aborts', async () => {
    server.faults.csi = { mode: 'never' };
    const controller = new AbortController();
    const result = take(planned('data'), { signal: controller.signal });
    await until(() => server.openWatches > 0, 'the watch to open');
    controller.abort(new Error('worker shutting down'));
    expect(expectFailure(await result)).toBe('aborted while waiting for readyToUse: worker shutting down');
    await until(() => server.openWatches === 0, 'the watch to close');
  });

  it('fails when the VolumeSnapshot is deleted while it waits', async () => {
    server.faults.csi = { mode: 'never' };
    const result = take(planned('data'));
    await until(() => server.openWatches > 0, 'the watch to open');
    server.store.remove(VS, nameFor('data'), 'team-a');
    expect(expectFailure(await result)).toBe(`VolumeSnapshot team-a/${nameFor('data')} was deleted before it became ready`);
  });

  it('re-reads and re-watches when the server ends the watch', async () => {
    server.faults.csi = { mode: 'slow', delayMs: 600 };
    const result = take(planned('data'));
    await until(() => server.openWatches > 0, 'the watch to open');
    server.endWatches();
    expectOk(await result);
    const { watches, gets } = snapshotRequests();
    expect(watches).toHaveLength(2);
    expect(gets).toHaveLength(1);
  });

  it('recovers from 410 Gone when its resourceVersion was compacted', async () => {
    await start({ compactAfter: 5 });
    server.faults.csi = { mode: 'slow', delayMs: 800 };
    server.faults.latencyMs = 100;
    const result = take(planned('data'));
    // While the watch request waits out the latency, enough changes happen to compact its resourceVersion.
    await until(() => snapshotRequests().watches.length > 0, 'the first watch request');
    server.seedSynthetic(20);
    expectOk(await result);
    const { watches, gets } = snapshotRequests();
    expect(watches).toHaveLength(2);
    expect(gets).toHaveLength(1);
    expect(Number(new URLSearchParams(watches[1]?.query).get('resourceVersion'))).toBeGreaterThan(
      Number(new URLSearchParams(watches[0]?.query).get('resourceVersion')),
    );
  });

  it('adopts its own VolumeSnapshot on a retry and refuses someone else’s', async () => {
    server.faults.csi = { mode: 'never' };
    expectFailure(await take(planned('data'), { timeoutMs: 100 }));
    const retry = take(planned('data'));
    await until(() => server.openWatches > 0, 'the retry to watch');
    // The simulated controller acts only on creation: finish the adopted snapshot by hand.
    server.store.add({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotContent',
      metadata: { name: 'snapcontent-by-hand' },
      spec: { deletionPolicy: 'Delete', driver: STANDARD_SEED.csiDriver, volumeSnapshotRef: { name: nameFor('data'), namespace: 'team-a' } },
      status: { readyToUse: true, snapshotHandle: 'handle-by-hand', restoreSize: 12345 },
    });
    server.store.modify(VS, nameFor('data'), 'team-a', (vs) => {
      vs.status = { readyToUse: true, boundVolumeSnapshotContentName: 'snapcontent-by-hand', restoreSize: '1.5k' };
    });
    expect(await retry).toEqual({ ok: true, snapshotHandle: 'handle-by-hand', restoreSizeBytes: 1500, contentName: 'snapcontent-by-hand' });
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(2);

    const other = await takeVolumeSnapshot(kc, planned('data'), {
      snapshotName: nameFor('data'),
      snapshotId: 'another-snapshot',
      timeoutMs: 1_000,
    });
    expect(expectFailure(other)).toBe(`VolumeSnapshot team-a/${nameFor('data')} already exists and is not this snapshot's`);
  });

  it('turns API errors into failure reasons', async () => {
    server.faults.forbidden.add('snapshot.storage.k8s.io/volumesnapshots');
    expect(expectFailure(await take(planned('data')))).toBe(`cannot create VolumeSnapshot team-a/${nameFor('data')}: forbidden (403)`);
    await server.close();
    expect(expectFailure(await take(planned('data')))).toMatch(/is unreachable \((connection refused|connection closed by the server)\)$/);
  });

  it('snapshots several volumes with at most `limit` in flight', async () => {
    server.faults.csi = { mode: 'ready', delayMs: 150 };
    for (let i = 0; i < 6; i++) addCsiVolume('team-c', `vol-${i}`);
    let inFlight = 0;
    let peak = 0;
    const ready = new Set<string>();
    server.store.on((event) => {
      if (event.resource.plural !== 'volumesnapshots') return;
      const status = event.object.object().status as { readyToUse?: boolean } | undefined;
      if (event.type === 'ADDED') peak = Math.max(peak, ++inFlight);
      else if (event.type === 'MODIFIED' && status?.readyToUse && !ready.has(event.object.name)) {
        ready.add(event.object.name);
        inFlight--;
      }
    });
    const plans = (await planVolumeSnapshots(kc)).filter((p) => p.namespace === 'team-c');
    expect(plans).toHaveLength(6);
    const started = Date.now();
    const results = await runWithLimit(plans, 2, (plan) => take(plan));
    expect(results.map((r) => (r.ok ? true : r.reason))).toEqual(Array(6).fill(true));
    expect(new Set(results.map((r) => expectOk(r).snapshotHandle)).size).toBe(6);
    expect(results.map((r) => expectOk(r).restoreSizeBytes)).toEqual(Array(6).fill(2 * GI));
    expect(peak).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 150);
  });
});

describe('cleanupVolumeSnapshot', () => {
  /** The deletionPolicy each VolumeSnapshotContent had when it was deleted. */
  function recordContentDeletions(): Map<string, unknown> {
    const deleted = new Map<string, unknown>();
    server.store.on((event) => {
      if (event.type === 'DELETED' && event.resource.plural === 'volumesnapshotcontents') {
        deleted.set(event.object.name, (event.object.object().spec as { deletionPolicy?: string }).deletionPolicy);
      }
    });
    return deleted;
  }

  it('after success retains the backend snapshot, then removes both objects', async () => {
    const deleted = recordContentDeletions();
    const result = expectOk(await take(planned('data')));
    await cleanupVolumeSnapshot(kc, planned('data'), nameFor('data'), { keepBackendSnapshot: true, timeoutMs: 2_000 });
    expect(server.store.get(VS, nameFor('data'), 'team-a')).toBeUndefined();
    expect(server.store.get(VSC, result.contentName)).toBeUndefined();
    // Deleted by vsnap with Retain (the driver keeps the snapshot), not by the controller with Delete.
    expect(deleted.get(result.contentName)).toBe('Retain');
    const order = server.requests
      .filter((r) => r.method === 'PATCH' || r.method === 'DELETE')
      .map((r) => `${r.method} ${r.path.split('/').at(-2)}`);
    expect(order).toEqual(['PATCH volumesnapshotcontents', 'DELETE volumesnapshots', 'DELETE volumesnapshotcontents']);
  });

  it('after failure makes sure the backend snapshot goes too', async () => {
    server.store.modify(VSCLASS, STANDARD_SEED.snapshotClass, undefined, (klass) => {
      klass.deletionPolicy = 'Retain';
    });
    const deleted = recordContentDeletions();
    const result = expectOk(await take(planned('data')));
    expect((server.store.get(VSC, result.contentName) as { spec: { deletionPolicy: string } }).spec.deletionPolicy).toBe('Retain');
    await cleanupVolumeSnapshot(kc, planned('data'), nameFor('data'), { keepBackendSnapshot: false });
    expect(server.store.get(VS, nameFor('data'), 'team-a')).toBeUndefined();
    expect(deleted.get(result.contentName)).toBe('Delete');
  });

  it('without an outcome keeps a ready snapshot and removes one that is not', async () => {
    const deleted = recordContentDeletions();
    server.faults.csi = { mode: 'ready', perPvc: { 'team-a/logs': { mode: 'slow', delayMs: 5_000 } } };
    const data = expectOk(await take(planned('data')));
    expectFailure(await take(planned('logs'), { timeoutMs: 200 }));
    const logsContent = (server.store.get(VS, nameFor('logs'), 'team-a') as { status: { boundVolumeSnapshotContentName: string } }).status
      .boundVolumeSnapshotContentName;
    await cleanupVolumeSnapshot(kc, planned('data'), nameFor('data'));
    await cleanupVolumeSnapshot(kc, planned('logs'), nameFor('logs'));
    expect(Object.fromEntries(deleted)).toEqual({ [data.contentName]: 'Retain', [logsContent]: 'Delete' });
    expect(server.store.count(VS, 'team-a')).toBe(0);
  });

  it('takes the call shape with only labels and the three-argument cleanup', async () => {
    const snapshotName = 'vsnap-3f2a9c1e-0a1b2c3d';
    const result = await takeVolumeSnapshot(kc, planned('data'), {
      snapshotName,
      timeoutMs: 5_000,
      labels: { [SNAPSHOT_ID_LABEL]: SNAPSHOT_ID },
    });
    expectOk(result);
    expect(server.store.get(VS, snapshotName, 'team-a')?.metadata?.labels).toEqual({ [MANAGED_BY_LABEL]: 'vsnap', [SNAPSHOT_ID_LABEL]: SNAPSHOT_ID });
    await cleanupVolumeSnapshot(kc, planned('data'), snapshotName);
    expect(server.store.count(VSC)).toBe(0);
  });

  it('removes a failed VolumeSnapshot that has no content, and is idempotent', async () => {
    server.faults.csi = { mode: 'fail' };
    expectFailure(await take(planned('data')));
    const options = { keepBackendSnapshot: false, timeoutMs: 2_000 };
    await cleanupVolumeSnapshot(kc, planned('data'), nameFor('data'), options);
    expect(server.store.count(VS, 'team-a')).toBe(0);
    await cleanupVolumeSnapshot(kc, planned('data'), nameFor('data'), options);
  });

  it('finishes a cleanup interrupted between the two deletions', async () => {
    const result = expectOk(await take(planned('data')));
    server.store.modify(VSC, result.contentName, undefined, (content) => {
      (content.spec as { deletionPolicy: string }).deletionPolicy = 'Retain';
    });
    server.store.remove(VS, nameFor('data'), 'team-a');
    await cleanupVolumeSnapshot(kc, planned('data'), nameFor('data'), { keepBackendSnapshot: true, contentName: result.contentName });
    expect(server.store.get(VSC, result.contentName)).toBeUndefined();
  });

  it('deletes nothing when the content cannot be set to Retain', async () => {
    const result = expectOk(await take(planned('data')));
    server.faults.forbidden.add('snapshot.storage.k8s.io/volumesnapshotcontents');
    const failure = await cleanupVolumeSnapshot(kc, planned('data'), nameFor('data'), { keepBackendSnapshot: true }).catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ kind: 'forbidden' });
    expect((failure as Error).message).toMatch(/^cannot get VolumeSnapshotContent snapcontent-[-a-z0-9]+: forbidden \(403\)$/);
    expect(server.store.get(VS, nameFor('data'), 'team-a')).toBeDefined();
    server.faults.forbidden.clear();
    expect(server.store.get(VSC, result.contentName)).toBeDefined();
  });

  it('times out when the API does not answer', async () => {
    expectOk(await take(planned('data')));
    server.faults.latencyMs = 2_000;
    const failure = cleanupVolumeSnapshot(kc, planned('data'), nameFor('data'), { keepBackendSnapshot: true, timeoutMs: 300 });
    await expect(failure).rejects.toMatchObject({ kind: 'timeout' });
    await expect(failure).rejects.toThrow(`timed out after 0.3s trying to clean up VolumeSnapshot team-a/${nameFor('data')}`);
  });
});
