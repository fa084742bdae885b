/**
 * Volume planning against the Kubernetes API test server, for what the standard cluster does
 * not show: lists in no particular order and in pages, claims that name a volume before they
 * are Bound, a cluster without the snapshot CRDs, the choice of the default StorageClass; and
 * how every failure of a call is classified.
 */
import { ApiException } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClusterAccessError } from '../../src/kube/cluster-reader.ts';
import type { ClusterConnection } from '../../src/kube/connect.ts';
import { EgressRefusedError } from '../../src/kube/egress.ts';
import {
  DEFAULT_CLASS_ANNOTATION,
  DEFAULT_STORAGE_CLASS_ANNOTATION,
  kubeApiError,
  messageOf,
  planVolumeSnapshots,
  SNAPSHOT_GROUP,
  SNAPSHOT_VERSION,
  statusOf,
} from '../../src/kube/volume-plan.ts';
import { startKubeServer, type KubeServerOptions, type KubeTestServer } from '../kube/server.ts';
import { connectTo } from '../support/kubeconfig.ts';

const DRIVER = 'csi.example.com';
const open: { server: KubeTestServer; kc: ClusterConnection }[] = [];

/** A cluster with nothing but what the test adds. */
async function cluster(options: KubeServerOptions = {}): Promise<{ server: KubeTestServer; kc: ClusterConnection }> {
  const server = await startKubeServer(options);
  const kc = connectTo(server.kubeconfig);
  open.push({ server, kc });
  return { server, kc };
}
afterEach(async () => {
  for (const { server, kc } of open.splice(0)) {
    await kc.close();
    await server.close();
  }
});

function storageClass(server: KubeTestServer, name: string, provisioner = DRIVER, isDefault = false): void {
  server.store.add({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, ...(isDefault ? { annotations: { [DEFAULT_STORAGE_CLASS_ANNOTATION]: 'true' } } : {}) },
    provisioner,
  });
}

function snapshotClass(server: KubeTestServer, name: string, driver = DRIVER, annotations: Record<string, string> = {}): void {
  server.store.add({ apiVersion: `${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}`, kind: 'VolumeSnapshotClass', metadata: { name, annotations }, driver, deletionPolicy: 'Delete' });
}

function volume(server: KubeTestServer, name: string, driver = DRIVER): void {
  server.store.add({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { capacity: { storage: '1Gi' }, csi: { driver, volumeHandle: `h-${name}` } } });
}

function claim(server: KubeTestServer, namespace: string, name: string, spec: Record<string, unknown>, phase = 'Bound'): void {
  server.store.ensureNamespace(server.store.registry.require('persistentvolumeclaims'), namespace);
  server.store.add({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: { resources: { requests: { storage: '1Gi' } }, ...spec },
    status: { phase },
  });
}

/** A claim bound to a CSI volume of its own. */
function boundClaim(server: KubeTestServer, namespace: string, name: string): void {
  volume(server, `pv-${namespace}-${name}`);
  claim(server, namespace, name, { storageClassName: 'csi', volumeName: `pv-${namespace}-${name}` });
}

describe('order and pages', () => {
  it('sorts by namespace, then name, whatever order the API server answers in', async () => {
    const { server, kc } = await cluster({ listOrder: 'reversed' });
    storageClass(server, 'csi');
    snapshotClass(server, 'snap');
    for (const [namespace, name] of [['b', 'a'], ['a', 'z'], ['a', 'b'], ['c', 'a'], ['a-b', 'a']] as const) boundClaim(server, namespace, name);
    const plans = await planVolumeSnapshots(kc);
    expect(plans.map((p) => `${p.namespace}/${p.pvcName}`)).toEqual(['a/b', 'a/z', 'a-b/a', 'b/a', 'c/a']);
  });

  it('reads every page of claims, volumes and StorageClasses', async () => {
    const { server, kc } = await cluster({ pageLimitMax: 1 });
    storageClass(server, 'csi');
    storageClass(server, 'csi-2', 'second.csi.example.com');
    snapshotClass(server, 'snap');
    snapshotClass(server, 'snap-2', 'second.csi.example.com');
    for (const name of ['one', 'two', 'three']) boundClaim(server, 'apps', name);
    // Its volume is gone: the last StorageClass page names its driver.
    claim(server, 'apps', 'four', { storageClassName: 'csi-2', volumeName: 'pv-gone' });
    const plans = await planVolumeSnapshots(kc);
    expect(plans.map((p) => [p.pvcName, p.volumeSnapshotClass])).toEqual([
      ['four', 'snap-2'],
      ['one', 'snap'],
      ['three', 'snap'],
      ['two', 'snap'],
    ]);
    expect(plans.every((p) => p.skip === undefined && p.fail === undefined)).toBe(true);
    // Each list in pages of one: the first without a continue token, each next one with the token the last page gave.
    const pages = (path: string) => server.requests.filter((r) => r.path === path).map((r) => new URLSearchParams(r.query).has('continue'));
    expect(pages('/api/v1/persistentvolumeclaims')).toEqual([false, true, true, true]);
    expect(pages('/api/v1/persistentvolumes')).toEqual([false, true, true]);
    expect(pages('/apis/storage.k8s.io/v1/storageclasses')).toEqual([false, true]);
    expect(server.requests.filter((r) => r.path.endsWith('/persistentvolumes')).every((r) => new URLSearchParams(r.query).get('limit') === '500')).toBe(true);
  });
});

describe('claims', () => {
  it('a claim that names a volume but is not Bound yet, or is Bound without naming one, is not bound', async () => {
    const { server, kc } = await cluster();
    storageClass(server, 'csi');
    snapshotClass(server, 'snap');
    volume(server, 'pv-pending');
    claim(server, 'apps', 'pending', { storageClassName: 'csi', volumeName: 'pv-pending' }, 'Pending');
    claim(server, 'apps', 'lost', { storageClassName: 'csi', volumeName: 'pv-pending' }, 'Lost');
    claim(server, 'apps', 'nameless', { storageClassName: 'csi' }, 'Bound');
    expect(await planVolumeSnapshots(kc)).toEqual([
      { namespace: 'apps', pvcName: 'lost', skip: 'not bound' },
      { namespace: 'apps', pvcName: 'nameless', skip: 'not bound' },
      { namespace: 'apps', pvcName: 'pending', skip: 'not bound' },
    ]);
  });

  it('a volume that is not CSI is skipped, whatever its class says', async () => {
    const { server, kc } = await cluster();
    storageClass(server, 'csi');
    server.store.add({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-host' }, spec: { capacity: { storage: '1Gi' }, hostPath: { path: '/tmp' } } });
    claim(server, 'apps', 'host', { storageClassName: 'csi', volumeName: 'pv-host' });
    expect(await planVolumeSnapshots(kc)).toEqual([{ namespace: 'apps', pvcName: 'host', skip: 'not a CSI volume' }]);
  });
});

describe('the driver from the StorageClass', () => {
  it('a bound volume that is gone and StorageClasses that cannot be read fail the claim (a read failed), not skip it', async () => {
    const { server, kc } = await cluster();
    snapshotClass(server, 'snap');
    claim(server, 'apps', 'orphan', { storageClassName: 'csi', volumeName: 'pv-gone' });
    server.faults.forbidden.add('storage.k8s.io/storageclasses');
    expect(await planVolumeSnapshots(kc)).toEqual([
      {
        namespace: 'apps',
        pvcName: 'orphan',
        fail: 'cannot tell the CSI driver: bound PersistentVolume pv-gone not found; cannot list StorageClasses: forbidden (403)',
      },
    ]);
  });

  it('a bound volume that is gone and a StorageClass that does not exist skip the claim (a misconfiguration)', async () => {
    const { server, kc } = await cluster();
    snapshotClass(server, 'snap');
    claim(server, 'apps', 'orphan', { storageClassName: 'csi', volumeName: 'pv-gone' });
    expect(await planVolumeSnapshots(kc)).toEqual([
      { namespace: 'apps', pvcName: 'orphan', skip: 'cannot tell the CSI driver: bound PersistentVolume pv-gone not found; StorageClass csi not found' },
    ]);
  });
});

describe('answers that are not what the API promises', () => {
  it('a claim listed without metadata is planned under empty names, not dropped', async () => {
    const { server, kc } = await cluster();
    storageClass(server, 'csi');
    boundClaim(server, 'apps', 'data');
    server.faults.answer = (request, reply) => {
      if (request.resource !== 'persistentvolumeclaims') return undefined;
      const list = JSON.parse(reply.body) as { items: Record<string, unknown>[] };
      return { ...reply, body: JSON.stringify({ ...list, items: [...list.items, { spec: {}, status: { phase: 'Pending' } }] }) };
    };
    expect(await planVolumeSnapshots(kc)).toEqual([
      { namespace: '', pvcName: '', skip: 'not bound' },
      { namespace: 'apps', pvcName: 'data', driver: DRIVER, skip: `no VolumeSnapshotClass for driver ${DRIVER}` },
    ]);
  });

  it('a PersistentVolume list without items is a failed read: the driver comes from the StorageClass, saying why', async () => {
    const { server, kc } = await cluster();
    storageClass(server, 'csi');
    snapshotClass(server, 'snap');
    boundClaim(server, 'apps', 'data');
    server.faults.answer = (request, reply) => (request.resource === 'persistentvolumes' ? { ...reply, body: '{"kind":"PersistentVolumeList","apiVersion":"v1","metadata":{}}' } : undefined);
    expect(await planVolumeSnapshots(kc)).toEqual([
      {
        namespace: 'apps',
        pvcName: 'data',
        driver: DRIVER,
        driverNote: 'CSI driver from StorageClass csi (cannot plan volume snapshots: unexpected error (TypeError))',
        volumeSnapshotClass: 'snap',
      },
    ]);
  });
});

describe('snapshot classes', () => {
  it('a cluster without the snapshot CRDs has no classes: its CSI volumes are skipped, not failed', async () => {
    const { server, kc } = await cluster();
    storageClass(server, 'csi');
    boundClaim(server, 'apps', 'data');
    server.faults.notFound.add(`${SNAPSHOT_GROUP}/volumesnapshotclasses`);
    expect(await planVolumeSnapshots(kc)).toEqual([
      { namespace: 'apps', pvcName: 'data', driver: DRIVER, skip: `no VolumeSnapshotClass for driver ${DRIVER}` },
    ]);
  });

  it('the default is marked by external-snapshotter\'s own annotation', async () => {
    const { server, kc } = await cluster();
    storageClass(server, 'csi');
    boundClaim(server, 'apps', 'data');
    snapshotClass(server, 'a-plain');
    snapshotClass(server, 'b-default', DRIVER, { 'snapshot.storage.kubernetes.io/is-default-class': 'true' });
    expect(DEFAULT_CLASS_ANNOTATION).toBe('snapshot.storage.kubernetes.io/is-default-class');
    expect((await planVolumeSnapshots(kc))[0]?.volumeSnapshotClass).toBe('b-default');
  });

  it('a default is a class annotated "true", nothing else', async () => {
    const { server, kc } = await cluster();
    storageClass(server, 'csi');
    boundClaim(server, 'apps', 'data');
    snapshotClass(server, 'a-maybe', DRIVER, { [DEFAULT_CLASS_ANNOTATION]: 'yes' });
    snapshotClass(server, 'b-default', DRIVER, { [DEFAULT_CLASS_ANNOTATION]: 'true' });
    snapshotClass(server, 'c-not', DRIVER, { [DEFAULT_CLASS_ANNOTATION]: 'false' });
    expect((await planVolumeSnapshots(kc))[0]?.volumeSnapshotClass).toBe('b-default');
  });

  it('a class list that is not one fails the CSI volumes, and only them', async () => {
    const { server, kc } = await cluster();
    storageClass(server, 'csi');
    boundClaim(server, 'apps', 'data');
    claim(server, 'apps', 'unbound', { storageClassName: 'csi' }, 'Pending');
    server.store.add({ apiVersion: `${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}`, kind: 'VolumeSnapshotClass', metadata: { name: 'no-driver' }, deletionPolicy: 'Delete' });
    expect(await planVolumeSnapshots(kc)).toEqual([
      { namespace: 'apps', pvcName: 'data', driver: DRIVER, fail: 'malformed VolumeSnapshotClass list' },
      { namespace: 'apps', pvcName: 'unbound', skip: 'not bound' },
    ]);
  });
});

describe('the default StorageClass', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** StorageClasses created at the given instants (whole seconds, as Kubernetes keeps them). */
  function classesAt(server: KubeTestServer, classes: [name: string, provisioner: string, createdAt: string][]): void {
    for (const [name, provisioner, createdAt] of classes) {
      vi.useFakeTimers({ toFake: ['Date'], now: new Date(createdAt) });
      storageClass(server, name, provisioner, true);
      vi.useRealTimers();
    }
  }

  async function driverOfClassless(server: KubeTestServer, kc: ClusterConnection): Promise<string | undefined> {
    server.faults.forbidden.add('persistentvolumes');
    claim(server, 'apps', 'classless', { volumeName: 'pv-x' });
    return (await planVolumeSnapshots(kc))[0]?.driver;
  }

  it('is the newest of several, as Kubernetes picks it, whatever order they are listed in', async () => {
    for (const listOrder of ['name', 'reversed'] as const) {
      const { server, kc } = await cluster({ listOrder });
      classesAt(server, [
        ['a-old', 'old.csi', '2026-01-01T00:00:00Z'],
        ['b-new', 'new.csi', '2026-01-01T00:00:01Z'],
        ['c-older', 'older.csi', '2025-12-31T23:59:59Z'],
      ]);
      expect(await driverOfClassless(server, kc)).toBe('new.csi');
    }
  });

  it('of two created in the same second, is the first by name', async () => {
    for (const listOrder of ['name', 'reversed'] as const) {
      const { server, kc } = await cluster({ listOrder });
      classesAt(server, [
        ['b-twin', 'b.csi', '2026-01-01T00:00:00Z'],
        ['a-twin', 'a.csi', '2026-01-01T00:00:00Z'],
      ]);
      expect(await driverOfClassless(server, kc)).toBe('a.csi');
    }
  });

  it('is only a class annotated "true"', async () => {
    const { server, kc } = await cluster();
    server.store.add({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'maybe', annotations: { [DEFAULT_STORAGE_CLASS_ANNOTATION]: 'yes' } },
      provisioner: DRIVER,
    });
    server.faults.forbidden.add('persistentvolumes');
    claim(server, 'apps', 'classless', { volumeName: 'pv-x' });
    expect((await planVolumeSnapshots(kc))[0]?.fail).toBe(
      'cannot tell the CSI driver: cannot list PersistentVolumes: forbidden (403); the claim names no StorageClass and the cluster has no default',
    );
  });
});

describe('an abort', () => {
  it('ends planning with the abort, not with plans of failed reads', async () => {
    const { server, kc } = await cluster({});
    storageClass(server, 'csi');
    boundClaim(server, 'apps', 'data');
    const controller = new AbortController();
    server.faults.before = () => controller.abort(new Error('snapshot cancelled'));
    await expect(planVolumeSnapshots(kc, controller.signal)).rejects.toThrow('snapshot cancelled');
  });
});

describe('an abort in flight', () => {
  it('cancels the requests the API server has not answered: planning does not wait for them', async () => {
    const { server, kc } = await cluster({});
    storageClass(server, 'csi');
    boundClaim(server, 'apps', 'data');
    const controller = new AbortController();
    const allHeld = Promise.withResolvers<void>();
    const released = Promise.withResolvers<void>();
    let held = 0;
    // Every list is held until the test lets it go, which it does only after planning ended.
    server.faults.before = async () => {
      if (++held === 4) allHeld.resolve();
      await released.promise;
    };
    const planning = planVolumeSnapshots(kc, controller.signal);
    await allHeld.promise;
    controller.abort(new Error('snapshot cancelled'));
    try {
      await expect(planning).rejects.toThrow('snapshot cancelled');
    } finally {
      released.resolve();
    }
    expect(held).toBe(4);
  });
});

describe('failures of a call, classified', () => {
  let server: KubeTestServer;
  let kc: ClusterConnection;
  let label: string;
  beforeAll(async () => {
    server = await startKubeServer();
    kc = connectTo(server.kubeconfig);
    label = `Kubernetes API ${JSON.stringify(kc.server)}`;
  });
  afterAll(async () => {
    await kc?.close();
    await server?.close();
  });

  const withCode = (code: string, message = 'connect failed') => Object.assign(new Error(message), { code });
  const named = (name: string) => Object.assign(new Error(name), { name });

  it.each<[string, () => unknown, { kind: string; message: string; status?: number }]>([
    ['401', () => new ApiException(401, 'Unauthorized', '{}', {}), { kind: 'unauthorized', status: 401, message: `cannot list things: ${'LABEL'} rejected the credentials (401 Unauthorized)` }],
    ['403', () => new ApiException(403, 'Forbidden', '{}', {}), { kind: 'forbidden', status: 403, message: 'cannot list things: forbidden (403)' }],
    ['404', () => new ApiException(404, 'Not Found', '{}', {}), { kind: 'failed', status: 404, message: 'cannot list things: not found (404)' }],
    ['500', () => new ApiException(500, 'boom', '{}', {}), { kind: 'failed', status: 500, message: 'cannot list things: HTTP 500' }],
    ['a watch answered 410', () => Object.assign(new Error('Gone'), { statusCode: 410 }), { kind: 'failed', status: 410, message: 'cannot list things: HTTP 410' }],
    ['a refused egress', () => new TypeError('fetch failed', { cause: new EgressRefusedError('vc.example', '10.0.0.1', 'denied') }), {
      kind: 'refused',
      message: 'API server address not allowed: "vc.example" resolves to an address in a range the egress policy denies (list things)',
    }],
    ['a timeout', () => named('TimeoutError'), { kind: 'timeout', message: 'cannot list things: timed out' }],
    ['an abort', () => named('AbortError'), { kind: 'timeout', message: 'cannot list things: aborted' }],
    ['a body that is no JSON', () => new SyntaxError('Unexpected token <'), { kind: 'failed', message: `cannot list things: ${'LABEL'} sent invalid JSON` }],
    ['a connection refused', () => new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }), { kind: 'unreachable', message: `cannot list things: ${'LABEL'} is unreachable (connection refused)` }],
    ['a code three causes deep', () => new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: withCode('ENOTFOUND') }) }) }), {
      kind: 'unreachable',
      message: `cannot list things: ${'LABEL'} is unreachable (host name not found)`,
    }],
    ['an AggregateError (happy eyeballs)', () => new TypeError('fetch failed', { cause: new AggregateError([withCode('ECONNREFUSED')], 'all failed') }), {
      kind: 'unreachable',
      message: `cannot list things: ${'LABEL'} is unreachable (connection refused)`,
    }],
    ['a code four causes deep', () => new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: new Error('d', { cause: withCode('ENOTFOUND') }) }) }) }), {
      kind: 'failed',
      message: 'cannot list things: unexpected error (Error)',
    }],
    ['a numeric code', () => Object.assign(new Error('odd'), { code: 7 }), { kind: 'failed', message: 'cannot list things: unexpected error (Error)' }],
    ['a RangeError', () => new RangeError('bug'), { kind: 'failed', message: 'cannot list things: unexpected error (RangeError)' }],
    ['a string thrown', () => 'bug', { kind: 'failed', message: 'cannot list things: unexpected error (string)' }],
  ])('%s', (_what, thrown, expected) => {
    const cause = thrown();
    const error = kubeApiError(kc, cause, 'list things');
    expect(error).toBeInstanceOf(ClusterAccessError);
    expect({ kind: error.kind, message: error.message, status: error.status }).toEqual({ status: undefined, ...expected, message: expected.message.replace('LABEL', label) });
    expect(error.cause).toBe(cause);
    expect(error.server).toBe(kc.server);
  });

  it('passes a ClusterAccessError through as it is', () => {
    const own = new ClusterAccessError('forbidden', 'cannot list secrets: forbidden (403)', kc.server, 'secrets', 403);
    expect(kubeApiError(kc, own, 'list things')).toBe(own);
    expect(statusOf(own)).toBe(403);
  });

  it('reads the status of what the clients throw', () => {
    expect(statusOf(new ApiException(409, 'Conflict', '{}', {}))).toBe(409);
    expect(statusOf(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(410);
    expect(statusOf(Object.assign(new Error('odd'), { statusCode: '410' }))).toBeUndefined();
    expect(statusOf({ statusCode: 410 })).toBeUndefined();
    expect(statusOf(new Error('no status'))).toBeUndefined();
  });

  it('says what a thrown value was', () => {
    expect(messageOf(new Error('boom'))).toBe('boom');
    expect(messageOf('text')).toBe('text');
    expect(messageOf(42)).toBe('42');
  });

  it('a real 401: credentials the API server does not take', async () => {
    const wrong = connectTo(server.kubeconfig.replace(/token: .*/, 'token: not-the-token'));
    try {
      await expect(planVolumeSnapshots(wrong)).rejects.toMatchObject({
        kind: 'unauthorized',
        status: 401,
        message: `cannot list PersistentVolumeClaims in all namespaces: ${label} rejected the credentials (401 Unauthorized)`,
      });
    } finally {
      await wrong.close();
    }
  });
});
