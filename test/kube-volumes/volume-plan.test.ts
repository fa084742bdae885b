/**
 * Volume planning when parts of the cluster cannot be read: each PVC is
 * planned, skipped or failed on its own; the CSI driver comes from the bound
 * PersistentVolume or, that unreadable or missing, from the StorageClass's
 * provisioner. Also watches that fail, within the retry budget.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClusterConnection } from '../../src/kube/connect.ts';
import { KubeRetries } from '../../src/kube/retry.ts';
import { planVolumeSnapshots, takeVolumeSnapshot, type VolumePlan } from '../../src/kube/volume-snapshots.ts';
import { startKubeServer, STANDARD_SEED, type KubeTestServer } from '../kube/server.ts';
import { connectTo } from '../support/kubeconfig.ts';

const SC = 'storage.k8s.io/storageclasses';
const VSCLASS = 'snapshot.storage.k8s.io/volumesnapshotclasses';
const DRIVER = STANDARD_SEED.csiDriver;
const CLASS = STANDARD_SEED.snapshotClass;

let server: KubeTestServer;
let kc: ClusterConnection;
let retries: KubeRetries;

beforeEach(async () => {
  server = await startKubeServer();
  server.seedStandard();
  retries = new KubeRetries({ baseDelayMs: 5, attempts: 3 });
  kc = connectTo(server.kubeconfig, undefined, { retries });
});
afterEach(async () => {
  await kc.close();
  await server.close();
});

async function plansByPvc(): Promise<Record<string, VolumePlan>> {
  const plans = await planVolumeSnapshots(kc);
  return Object.fromEntries(plans.map((plan) => [`${plan.namespace}/${plan.pvcName}`, plan]));
}

function addClaim(namespace: string, name: string, spec: Record<string, unknown>, volume?: { name: string; driver?: string }): void {
  if (volume) {
    server.store.add({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: volume.name },
      spec: { capacity: { storage: '1Gi' }, ...(volume.driver ? { csi: { driver: volume.driver, volumeHandle: `h-${name}` } } : { hostPath: { path: '/tmp' } }) },
      status: { phase: 'Bound' },
    });
  }
  server.store.add({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: { resources: { requests: { storage: '1Gi' } }, ...spec },
    status: { phase: 'Bound' },
  });
}

describe.each([
  ['forbidden', 403, (s: KubeTestServer) => s.faults.forbidden.add('persistentvolumes'), 'cannot list PersistentVolumes: forbidden (403)'],
  ['not served', 404, (s: KubeTestServer) => s.faults.notFound.add('persistentvolumes'), 'cannot list PersistentVolumes: not found (404)'],
])('PersistentVolumes %s (%i)', (_what, _status, refuse, problem) => {
  it('takes the driver from the StorageClass provisioner, and says so', async () => {
    refuse(server);
    const plans = await plansByPvc();
    const fromClass = `CSI driver from StorageClass csi-fast (${problem})`;
    expect(plans['team-a/data']).toEqual({ namespace: 'team-a', pvcName: 'data', driver: DRIVER, driverNote: fromClass, volumeSnapshotClass: CLASS });
    expect(plans['team-a/logs']).toEqual({ namespace: 'team-a', pvcName: 'logs', driver: DRIVER, driverNote: fromClass, volumeSnapshotClass: CLASS });
    // The StorageClass tells a volume that is not CSI, and a driver without a snapshot class, too.
    expect(plans['team-b/cache']).toEqual({
      namespace: 'team-b',
      pvcName: 'cache',
      skip: 'not a CSI volume (StorageClass local-storage provisioner kubernetes.io/no-provisioner)',
    });
    expect(plans['team-b/archive']).toMatchObject({ driver: 'other.csi.example.org', skip: 'no VolumeSnapshotClass for driver other.csi.example.org' });
    expect(plans['team-b/scratch']).toEqual({ namespace: 'team-b', pvcName: 'scratch', skip: 'not bound' });
    // Not retried: a refusal is an answer.
    expect(server.requests.filter((r) => r.path === '/api/v1/persistentvolumes')).toHaveLength(1);
  });

  it('fails the volumes whose StorageClass cannot tell either, and only those', async () => {
    refuse(server);
    addClaim('team-b', 'orphan', { storageClassName: 'deleted-class', volumeName: 'pv-orphan' });
    const plans = await plansByPvc();
    expect(plans['team-b/orphan']).toEqual({
      namespace: 'team-b',
      pvcName: 'orphan',
      fail: `cannot tell the CSI driver: ${problem}; StorageClass deleted-class not found`,
    });
    expect(plans['team-a/data']?.volumeSnapshotClass).toBe(CLASS);
  });
});

describe('the StorageClass fallback', () => {
  it('is used for a bound PersistentVolume that does not exist', async () => {
    addClaim('team-c', 'lost-pv', { storageClassName: 'csi-fast', volumeName: 'pv-that-is-gone' });
    const plans = await plansByPvc();
    expect(plans['team-c/lost-pv']).toEqual({
      namespace: 'team-c',
      pvcName: 'lost-pv',
      driver: DRIVER,
      driverNote: 'CSI driver from StorageClass csi-fast (bound PersistentVolume pv-that-is-gone not found)',
      volumeSnapshotClass: CLASS,
    });
    // The PV, when it is there, decides.
    expect(plans['team-a/data']).toEqual({ namespace: 'team-a', pvcName: 'data', driver: DRIVER, volumeSnapshotClass: CLASS });
  });

  it('takes the default StorageClass for a claim that names none; the newest default when several are', async () => {
    server.faults.forbidden.add('persistentvolumes');
    addClaim('team-c', 'classless', { volumeName: 'pv-classless' });
    addClaim('team-c', 'no-class', { storageClassName: '', volumeName: 'pv-no-class' });
    let plans = await plansByPvc();
    expect(plans['team-c/classless']).toMatchObject({ driver: DRIVER, driverNote: expect.stringContaining('StorageClass csi-fast (') });
    expect(plans['team-c/no-class']).toEqual({
      namespace: 'team-c',
      pvcName: 'no-class',
      fail: 'cannot tell the CSI driver: cannot list PersistentVolumes: forbidden (403); the claim has no StorageClass',
    });

    // creationTimestamp has whole seconds: the second default is created (by the server's clock) two seconds later.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2_000 });
    server.store.add({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'newer-default', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'other.csi.example.org',
    });
    vi.useRealTimers();
    plans = await plansByPvc();
    expect(plans['team-c/classless']).toMatchObject({ driver: 'other.csi.example.org', skip: 'no VolumeSnapshotClass for driver other.csi.example.org' });

    for (const name of ['newer-default', 'csi-fast']) server.store.remove(SC, name);
    plans = await plansByPvc();
    expect(plans['team-c/classless']?.fail).toBe(
      'cannot tell the CSI driver: cannot list PersistentVolumes: forbidden (403); the claim names no StorageClass and the cluster has no default',
    );
  });

  it('a missing PV and a missing class are a misconfiguration: SKIPPED, not FAILED', async () => {
    addClaim('team-c', 'nowhere', { storageClassName: 'no-such-class', volumeName: 'no-such-pv' });
    expect((await plansByPvc())['team-c/nowhere']).toEqual({
      namespace: 'team-c',
      pvcName: 'nowhere',
      skip: 'cannot tell the CSI driver: bound PersistentVolume no-such-pv not found; StorageClass no-such-class not found',
    });
  });
});

describe('reads that fail', () => {
  it('PersistentVolumes and StorageClasses both unreadable: every bound claim FAILED with both reasons', async () => {
    server.faults.forbidden.add('persistentvolumes');
    server.faults.forbidden.add('storage.k8s.io/storageclasses');
    const plans = await plansByPvc();
    const reason = 'cannot tell the CSI driver: cannot list PersistentVolumes: forbidden (403); cannot list StorageClasses: forbidden (403)';
    for (const pvc of ['team-a/data', 'team-a/logs', 'team-b/cache', 'team-b/archive']) expect(plans[pvc]?.fail, pvc).toBe(reason);
    expect(plans['team-b/scratch']?.skip).toBe('not bound');
  });

  it('VolumeSnapshotClasses unreadable: CSI volumes FAILED, the others still SKIPPED with their reason', async () => {
    server.faults.forbidden.add(VSCLASS);
    const plans = await plansByPvc();
    expect(plans['team-a/data']).toEqual({ namespace: 'team-a', pvcName: 'data', driver: DRIVER, fail: 'cannot list VolumeSnapshotClasses: forbidden (403)' });
    expect(plans['team-b/archive']?.fail).toBe('cannot list VolumeSnapshotClasses: forbidden (403)');
    expect(plans['team-b/cache']?.skip).toBe('not a CSI volume');
  });

  it('a server error after every retry is a failure of the volumes that needed the read', async () => {
    server.faults.intermittent.push({ answer: 500, every: 1, match: (r) => r.resource === 'persistentvolumes' });
    const plans = await plansByPvc();
    expect(plans['team-a/data']?.driverNote).toBe('CSI driver from StorageClass csi-fast (cannot list PersistentVolumes: HTTP 500)');
    expect(server.requests.filter((r) => r.path === '/api/v1/persistentvolumes')).toHaveLength(3);
    expect(retries.summary()).toBe('1 Kubernetes request retried 2 times (500)');
  });

  it('throws only when the claims themselves cannot be listed', async () => {
    server.faults.notFound.add('persistentvolumeclaims');
    await expect(planVolumeSnapshots(kc)).rejects.toMatchObject({ status: 404, message: 'cannot list PersistentVolumeClaims in all namespaces: not found (404)' });
  });
});

describe('watches that fail', () => {
  const plan: VolumePlan = { namespace: 'team-a', pvcName: 'data', driver: DRIVER, volumeSnapshotClass: CLASS };

  it('a watch answered 500 is read and watched again, each time from the budget', async () => {
    server.faults.csi = { mode: 'slow', delayMs: 400 };
    server.faults.intermittent.push({ answer: 500, every: 1, limit: 2, match: (r) => r.verb === 'watch' });
    const result = await takeVolumeSnapshot(kc, plan, { snapshotName: 'vsnap-watch-500', timeoutMs: 5_000 });
    expect(result.ok).toBe(true);
    expect(server.requests.filter((r) => r.fault === '500')).toHaveLength(2);
    expect(retries.summary()).toBe('1 Kubernetes request retried 2 times (500)');
  });

  it('a spent budget ends the follow with the error', async () => {
    // Never ready while the test runs: on a loaded machine a snapshot ready in 400 ms was read as ready before the third watch.
    server.faults.csi = { mode: 'slow', delayMs: 60_000 };
    server.faults.intermittent.push({ answer: 503, every: 1, match: (r) => r.verb === 'watch' });
    const spent = new KubeRetries({ baseDelayMs: 5, budget: 2 });
    const limited = connectTo(server.kubeconfig, undefined, { retries: spent });
    try {
      const result = await takeVolumeSnapshot(limited, plan, { snapshotName: 'vsnap-watch-503', timeoutMs: 5_000 });
      expect(result).toEqual({ ok: false, reason: 'cannot watch VolumeSnapshot team-a/vsnap-watch-503: HTTP 503' });
      expect(server.requests.filter((r) => r.fault === '503')).toHaveLength(3);
      expect(spent.exhausted).toBe(true);
    } finally {
      await limited.close();
    }
  });
});
