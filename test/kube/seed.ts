/**
 * Fixtures: a small realistic cluster (seedStandard) with a description of
 * what it holds, so tests can assert archive contents and volume decisions,
 * and cheap synthetic bulk (seedSynthetic) for paging tests.
 */
import { ResourceRegistry, resourceType, type CrdSpec } from './resources.ts';
import type { KubeObject, KubeStore } from './store.ts';

export const CSI_DRIVER = 'csi.example.com';
/** A CSI driver with no VolumeSnapshotClass. */
export const CSI_DRIVER_WITHOUT_CLASS = 'other.csi.example.org';
export const SNAPSHOT_CLASS = 'csi-example-snapclass';

export interface SeededVolume {
  namespace: string;
  pvc: string;
  storageClass: string;
  /** PV name when bound. */
  volume?: string;
  driver?: string;
  /** What a snapshot engine should do with it. */
  expected: 'snapshot' | 'skip';
  /** Why it must be skipped. */
  reason?: string;
}

export interface StandardSeed {
  namespaces: string[];
  /** Object count per resource type ("configmaps", "apps/deployments", "example.com/widgets", ...). */
  counts: Record<string, number>;
  volumes: SeededVolume[];
  crd: { name: string; group: string; version: string; plural: string; kind: string; namespaced: true };
  snapshotClass: string;
  csiDriver: string;
}

const NAMESPACES = ['default', 'kube-system', 'team-a', 'team-b'];

const core = (kind: string, namespace: string | undefined, name: string, rest: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), ...((rest.metadata as object | undefined) ?? {}) },
  ...Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'metadata')),
});

const of = (apiVersion: string, kind: string, namespace: string | undefined, name: string, rest: Record<string, unknown> = {}): KubeObject => ({
  ...core(kind, namespace, name, rest),
  apiVersion,
});

function volumePair(v: SeededVolume, pv: Record<string, unknown> | undefined): KubeObject[] {
  const claim = core('PersistentVolumeClaim', v.namespace, v.pvc, {
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: v.storageClass, ...(v.volume ? { volumeName: v.volume } : {}) },
    status: v.volume ? { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } } : { phase: 'Pending' },
  });
  if (!v.volume || !pv) return [claim];
  const volume = core('PersistentVolume', undefined, v.volume, {
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: v.storageClass,
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: v.namespace, name: v.pvc },
      ...pv,
    },
    status: { phase: 'Bound' },
  });
  return [volume, claim];
}

export const STANDARD_VOLUMES: SeededVolume[] = [
  { namespace: 'team-a', pvc: 'data', storageClass: 'csi-fast', volume: 'pv-team-a-data', driver: CSI_DRIVER, expected: 'snapshot' },
  { namespace: 'team-a', pvc: 'logs', storageClass: 'csi-fast', volume: 'pv-team-a-logs', driver: CSI_DRIVER, expected: 'snapshot' },
  { namespace: 'team-b', pvc: 'cache', storageClass: 'local-storage', volume: 'pv-team-b-cache', expected: 'skip', reason: 'not a CSI volume' },
  {
    namespace: 'team-b',
    pvc: 'archive',
    storageClass: 'csi-other',
    volume: 'pv-team-b-archive',
    driver: CSI_DRIVER_WITHOUT_CLASS,
    expected: 'skip',
    reason: 'no VolumeSnapshotClass for the CSI driver',
  },
  { namespace: 'team-b', pvc: 'scratch', storageClass: 'csi-fast', expected: 'skip', reason: 'PVC is not bound' },
];

const WIDGET_CRD = of('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'widgets.example.com', {
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
});

/** The standard fixtures in creation order (namespaces and the CRD before what needs them). */
export function standardObjects(): KubeObject[] {
  const objects: KubeObject[] = NAMESPACES.map((ns) => core('Namespace', undefined, ns, { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }));
  for (const ns of NAMESPACES) {
    objects.push(core('ConfigMap', ns, 'kube-root-ca.crt', { data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n' } }));
    objects.push(core('ServiceAccount', ns, 'default'));
  }
  objects.push(
    core('ConfigMap', 'team-a', 'app-config', { metadata: { labels: { app: 'web' } }, data: { 'app.properties': 'mode=production\nreplicas=2\n' } }),
    core('ConfigMap', 'team-b', 'worker-settings', { data: { QUEUE: 'jobs' } }),
    core('Secret', 'team-a', 'db-credentials', { type: 'Opaque', data: { username: Buffer.from('app').toString('base64'), password: Buffer.from('s3cret').toString('base64') } }),
    core('Secret', 'team-b', 'api-token', { type: 'Opaque', data: { token: Buffer.from('t0ken').toString('base64') } }),
    core('Secret', 'kube-system', 'bootstrap-token-abcdef', { type: 'bootstrap.kubernetes.io/token', data: { 'token-id': Buffer.from('abcdef').toString('base64') } }),
    core('Service', 'default', 'kubernetes', { spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] } }),
    core('Service', 'team-a', 'web', { spec: { type: 'ClusterIP', clusterIP: '10.96.12.7', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] } }),
    core('ServiceAccount', 'team-a', 'builder'),
    deployment('team-a', 'web', 'nginx:1.27', 2),
    deployment('team-b', 'worker', 'busybox:1.36', 1),
    WIDGET_CRD,
    of('example.com/v1', 'Widget', 'team-a', 'alpha', { spec: { size: 1, color: 'red' } }),
    of('example.com/v1', 'Widget', 'team-a', 'beta', { spec: { size: 2, color: 'green' } }),
    of('example.com/v1', 'Widget', 'team-b', 'gamma', { spec: { size: 3, color: 'blue' } }),
    of('storage.k8s.io/v1', 'StorageClass', undefined, 'csi-fast', {
      metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: CSI_DRIVER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    }),
    of('storage.k8s.io/v1', 'StorageClass', undefined, 'local-storage', { provisioner: 'kubernetes.io/no-provisioner', reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' }),
    of('storage.k8s.io/v1', 'StorageClass', undefined, 'csi-other', { provisioner: CSI_DRIVER_WITHOUT_CLASS, reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' }),
    of('snapshot.storage.k8s.io/v1', 'VolumeSnapshotClass', undefined, SNAPSHOT_CLASS, {
      metadata: { annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } },
      driver: CSI_DRIVER,
      deletionPolicy: 'Delete',
    }),
  );
  for (const v of STANDARD_VOLUMES) {
    const pv = v.driver
      ? { csi: { driver: v.driver, volumeHandle: `vol-${v.namespace}-${v.pvc}`, fsType: 'ext4' } }
      : { local: { path: `/mnt/disks/${v.pvc}` }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }] }] } } };
    objects.push(...volumePair(v, pv));
  }
  objects.push(
    core('Pod', 'team-a', 'web-7d4b9c-x2k8p', {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] },
      status: { phase: 'Running' },
    }),
    event('team-a', 'web.17a1', 'Deployment', 'web', 'ScalingReplicaSet', 'Scaled up replica set web-7d4b9c to 2'),
    event('team-a', 'data.17a2', 'PersistentVolumeClaim', 'data', 'ProvisioningSucceeded', 'Successfully provisioned volume pv-team-a-data'),
    event('kube-system', 'node-1.17a3', 'Node', 'node-1', 'NodeReady', 'Node node-1 status is now: NodeReady'),
  );
  return objects;
}

function deployment(namespace: string, name: string, image: string, replicas: number): KubeObject {
  return of('apps/v1', 'Deployment', namespace, name, {
    metadata: { labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }] } },
    },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
  });
}

function event(namespace: string, name: string, kind: string, object: string, reason: string, message: string): KubeObject {
  return core('Event', namespace, name, {
    involvedObject: { kind, name: object, namespace },
    reason,
    message,
    type: 'Normal',
    count: 1,
    source: { component: 'vsnap-test' },
  });
}

function describe(): StandardSeed {
  const registry = new ResourceRegistry();
  registry.applyCrd(WIDGET_CRD.metadata?.name ?? '', WIDGET_CRD.spec as CrdSpec);
  const counts: Record<string, number> = {};
  for (const obj of standardObjects()) {
    const type = resourceType(registry.byKind(obj.apiVersion ?? '', obj.kind ?? '')!);
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return {
    namespaces: [...NAMESPACES],
    counts,
    volumes: STANDARD_VOLUMES.map((v) => ({ ...v })),
    crd: { name: 'widgets.example.com', group: 'example.com', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true },
    snapshotClass: SNAPSHOT_CLASS,
    csiDriver: CSI_DRIVER,
  };
}

/** What seedStandard() puts in the store (computed from the fixtures themselves). */
export const STANDARD_SEED: StandardSeed = describe();

export function seedStandard(store: KubeStore): StandardSeed {
  for (const obj of standardObjects()) store.add(obj);
  return describe();
}

/** `count` ConfigMaps named synthetic-000001... in `namespace` (created if missing); ~0.1 KB each. */
export function seedSynthetic(store: KubeStore, count: number, namespace = 'synthetic'): void {
  const configmaps = store.registry.require('configmaps');
  store.ensureNamespace(configmaps, namespace);
  const width = Math.max(6, String(count).length);
  const start = store.count('configmaps', namespace);
  for (let i = 1; i <= count; i++) {
    const index = start + i;
    // store.create, not store.add: no parsed copy of each object is wanted back.
    store.create(configmaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `synthetic-${String(index).padStart(width, '0')}`, namespace, labels: { synthetic: 'true' } },
      data: { index: String(index) },
    });
  }
}
