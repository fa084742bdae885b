/**
 * The Kubernetes API test server, driven by the real @kubernetes/client-node:
 * TLS with the kubeconfig's CA, auth, discovery, CRUD and Status errors,
 * CRDs, faults, and the fixtures.
 */
import https from 'node:https';
import {
  ApiextensionsV1Api,
  ApisApi,
  AppsV1Api,
  CoreApi,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  StorageV1Api,
  VersionApi,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, kubeConfigOf, raw } from './clients.ts';
import { STANDARD_SEED, startKubeServer, type KubeTestServer } from './server.ts';

let server: KubeTestServer;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  server = await startKubeServer();
  server.seedStandard();
  kc = kubeConfigOf(server);
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(() => server.close());

describe('connection', () => {
  it('serves HTTPS on 127.0.0.1 with a kubeconfig whose CA client-node verifies', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.kubeconfig).toContain('certificate-authority-data:');
    expect(server.kubeconfig).not.toContain('insecure-skip-tls-verify');
    const cluster = kc.getCurrentCluster();
    expect(cluster?.server).toBe(server.url);
    expect(cluster?.skipTLSVerify).toBeFalsy();
    expect(Buffer.from(cluster?.caData ?? '', 'base64').toString()).toBe(server.ca);
    expect(kc.getCurrentUser()?.token).toBe(server.token);

    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(['default', 'kube-system', 'team-a', 'team-b']);
  });

  it('is real TLS: a client without the CA refuses the certificate', async () => {
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      https.get(`${server.url}/version`, (res) => res.resume()).on('error', resolve);
    });
    expect(error.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  });

  it('answers 401 with a Status for a wrong or missing token', async () => {
    const bad = new KubeConfig();
    bad.loadFromString(server.kubeconfig.replace(server.token, 'wrong-token'));
    const status = await failure(bad.makeApiClient(CoreV1Api).listNamespace());
    expect(status.httpCode).toBe(401);

    const res = await raw(server, '/api/v1/namespaces', { token: null });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 });
  });
});

describe('discovery', () => {
  it('serves /version, /api and /api/v1 with subresources and verbs', async () => {
    expect((await kc.makeApiClient(VersionApi).getCode()).gitVersion).toMatch(/^v1\./);
    expect((await kc.makeApiClient(CoreApi).getAPIVersions()).versions).toEqual(['v1']);

    const v1 = await core.getAPIResources();
    expect(v1.groupVersion).toBe('v1');
    const byName = new Map(v1.resources.map((r) => [r.name, r]));
    expect(byName.get('configmaps')).toMatchObject({ kind: 'ConfigMap', namespaced: true });
    expect(byName.get('configmaps')?.verbs).toEqual(expect.arrayContaining(['list', 'watch', 'get', 'create', 'delete']));
    expect(byName.get('persistentvolumes')).toMatchObject({ namespaced: false });
    expect(byName.get('pods/status')).toMatchObject({ kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    expect(byName.get('events')?.verbs).toContain('list');
    expect(byName.get('bindings')?.verbs).toEqual(['create']);
  });

  it('serves /apis with preferred versions and each group version', async () => {
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    const names = groups.groups.map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(['apps', 'storage.k8s.io', 'snapshot.storage.k8s.io', 'apiextensions.k8s.io', 'example.com']));
    expect(groups.groups.find((g) => g.name === 'apps')?.preferredVersion).toEqual({ groupVersion: 'apps/v1', version: 'v1' });

    const apps = await kc.makeApiClient(AppsV1Api).getAPIResources();
    expect(apps.resources.map((r) => r.name)).toEqual(expect.arrayContaining(['deployments', 'deployments/status', 'deployments/scale', 'statefulsets']));
    const snapshots = (await raw(server, '/apis/snapshot.storage.k8s.io/v1')).json<{ resources: { name: string; namespaced: boolean }[] }>();
    expect(snapshots.resources.filter((r) => !r.name.includes('/')).map((r) => [r.name, r.namespaced])).toEqual([
      ['volumesnapshots', true],
      ['volumesnapshotcontents', false],
      ['volumesnapshotclasses', false],
    ]);
    expect((await raw(server, '/apis/nope.example.com/v1')).status).toBe(404);
  });

  it('makes a created CRD servable and drops it (with its objects) on delete', async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'gadgets.tools.example.org' },
        spec: {
          group: 'tools.example.org',
          scope: 'Cluster',
          names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
          versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        },
      },
    });
    const crd = await ext.readCustomResourceDefinition({ name: 'gadgets.tools.example.org' });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    const discovered = (await raw(server, '/apis/tools.example.org/v1alpha1')).json<{ resources: { name: string; kind: string; namespaced: boolean }[] }>();
    expect(discovered.resources).toEqual([expect.objectContaining({ name: 'gadgets', kind: 'Gadget', namespaced: false })]);

    const custom = kc.makeApiClient(CustomObjectsApi);
    const gadget = { group: 'tools.example.org', version: 'v1alpha1', plural: 'gadgets' };
    await custom.createClusterCustomObject({ ...gadget, body: { apiVersion: 'tools.example.org/v1alpha1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { on: true } } });
    const list = (await custom.listClusterCustomObject(gadget)) as { kind: string; items: { apiVersion: string; kind: string }[] };
    expect(list.kind).toBe('GadgetList');
    expect(list.items).toEqual([expect.objectContaining({ apiVersion: 'tools.example.org/v1alpha1', kind: 'Gadget' })]);

    await ext.deleteCustomResourceDefinition({ name: 'gadgets.tools.example.org' });
    expect((await raw(server, '/apis/tools.example.org/v1alpha1')).status).toBe(404);
    expect((await raw(server, '/apis/tools.example.org/v1alpha1/gadgets')).status).toBe(404);
    expect(server.registry.byType('tools.example.org/gadgets')).toBeUndefined();
  });
});

describe('objects', () => {
  it('lists like a real apiserver: kind on the list, items without kind, managedFields present', async () => {
    const res = await raw(server, '/api/v1/namespaces/team-a/configmaps');
    const list = res.json<{ kind: string; apiVersion: string; metadata: { resourceVersion: string }; items: Record<string, unknown>[] }>();
    expect(list).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1' });
    expect(Number(list.metadata.resourceVersion)).toBe(server.store.resourceVersion);
    expect(list.items.map((i) => (i.metadata as { name: string }).name)).toEqual(['app-config', 'kube-root-ca.crt']);
    for (const item of list.items) {
      expect(item).not.toHaveProperty('kind');
      expect(item).not.toHaveProperty('apiVersion');
      expect((item.metadata as { managedFields: unknown[] }).managedFields.length).toBeGreaterThan(0);
    }
    const one = (await raw(server, '/api/v1/namespaces/team-a/configmaps/app-config')).json<Record<string, unknown>>();
    expect(one).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { 'app.properties': expect.any(String) } });
  });

  it('lists across namespaces, sorted by namespace then name', async () => {
    const all = await core.listConfigMapForAllNamespaces();
    const keys = all.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toHaveLength(STANDARD_SEED.counts.configmaps!);
    const storage = await kc.makeApiClient(StorageV1Api).listStorageClass();
    expect(storage.items.map((s) => [s.metadata?.name, s.provisioner])).toEqual([
      ['csi-fast', 'csi.example.com'],
      ['csi-other', 'other.csi.example.org'],
      ['local-storage', 'kubernetes.io/no-provisioner'],
    ]);
  });

  it('creates, conflicts, replaces, patches and deletes with Status errors', async () => {
    const body = { metadata: { name: 'crud', namespace: 'team-b' }, data: { a: '1' } };
    const created = await core.createNamespacedConfigMap({ namespace: 'team-b', body });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const exists = await failure(core.createNamespacedConfigMap({ namespace: 'team-b', body }));
    expect(exists).toMatchObject({ httpCode: 409, code: 409, reason: 'AlreadyExists', message: 'configmaps "crud" already exists' });
    const noNamespace = await failure(core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }));
    expect(noNamespace).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "nowhere" not found' });

    const replaced = await core.replaceNamespacedConfigMap({ name: 'crud', namespace: 'team-b', body: { ...created, data: { a: '2' } } });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    const stale = await failure(core.replaceNamespacedConfigMap({ name: 'crud', namespace: 'team-b', body: { ...created, data: { a: '3' } } }));
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });

    const merged = await core.patchNamespacedConfigMap(
      { name: 'crud', namespace: 'team-b', body: { data: { b: 'x' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ a: '2', b: 'x' });
    const jsonPatched = await core.patchNamespacedConfigMap({ name: 'crud', namespace: 'team-b', body: [{ op: 'remove', path: '/data/a' }] });
    expect(jsonPatched.data).toEqual({ b: 'x' });

    await core.deleteNamespacedConfigMap({ name: 'crud', namespace: 'team-b' });
    expect(await failure(core.readNamespacedConfigMap({ name: 'crud', namespace: 'team-b' }))).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'configmaps "crud" not found',
      details: { name: 'crud', kind: 'configmaps' },
    });
    expect(await failure(core.deleteNamespacedConfigMap({ name: 'crud', namespace: 'team-b' }))).toMatchObject({ code: 404 });
    const apps = await failure(kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'nope', namespace: 'team-a' }));
    expect(apps.message).toBe('deployments.apps "nope" not found');
  });

  it('writes status only through the status subresource', async () => {
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: 'team-a' });
    const replaced = await core.replaceNamespacedPersistentVolumeClaim({
      name: 'data',
      namespace: 'team-a',
      body: { ...pvc, metadata: { ...pvc.metadata, labels: { touched: 'yes' } }, status: { phase: 'Lost' } },
    });
    expect(replaced.status?.phase).toBe('Bound');
    expect(replaced.metadata?.labels).toEqual({ touched: 'yes' });
    const status = await core.replaceNamespacedPersistentVolumeClaimStatus({ name: 'data', namespace: 'team-a', body: { ...replaced, status: { phase: 'Bound', capacity: { storage: '2Gi' } } } });
    expect(status.status?.capacity).toEqual({ storage: '2Gi' });
  });

  it('refuses verbs a resource lacks and unknown paths', async () => {
    expect((await raw(server, '/api/v1/namespaces/default/bindings')).status).toBe(405);
    const bound = await raw(server, '/api/v1/namespaces/default/bindings', { method: 'POST', body: { metadata: { name: 'p' }, target: { kind: 'Node', name: 'n' } } });
    expect(bound.status).toBe(201);
    expect((await raw(server, '/api/v1/frobnicators')).json()).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
    expect((await raw(server, '/api/v1/namespaces/team-a/persistentvolumes')).status).toBe(404);
  });

  it('deleting a namespace deletes what is in it', async () => {
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedSecret({ namespace: 'doomed', body: { metadata: { name: 's' }, stringData: { a: 'b' } } });
    expect(server.store.count('secrets', 'doomed')).toBe(1);
    const deleted = await core.deleteNamespace({ name: 'doomed' });
    expect(deleted).toBeTruthy();
    expect(server.store.count('secrets', 'doomed')).toBe(0);
  });

  it('gives direct store access for seeding and assertions', async () => {
    const added = server.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'direct', namespace: 'default' }, data: { k: 'v' } });
    expect(added.metadata?.resourceVersion).toBe(String(server.store.resourceVersion));
    expect((await core.readNamespacedConfigMap({ name: 'direct', namespace: 'default' })).data).toEqual({ k: 'v' });
    server.store.modify('configmaps', 'direct', 'default', (cm) => {
      cm.data = { k: 'w' };
    });
    expect(server.store.get('configmaps', 'direct', 'default')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { k: 'w' } });
    expect(server.store.remove('configmaps', 'direct', 'default')?.metadata?.name).toBe('direct');
    expect(server.store.get('configmaps', 'direct', 'default')).toBeUndefined();
    expect(() => server.store.list('nonsense')).toThrow(/unknown resource type/);
  });
});

describe('custom objects', () => {
  it('lists, gets and creates CRD objects through CustomObjectsApi', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const widgets = { group: 'example.com', version: 'v1', plural: 'widgets' };
    const all = (await custom.listClusterCustomObject(widgets)) as { items: { metadata: { namespace: string; name: string } }[] };
    expect(all.items.map((w) => `${w.metadata.namespace}/${w.metadata.name}`)).toEqual(['team-a/alpha', 'team-a/beta', 'team-b/gamma']);
    await custom.createNamespacedCustomObject({ ...widgets, namespace: 'team-b', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'delta' }, spec: { size: 4 } } });
    const delta = (await custom.getNamespacedCustomObject({ ...widgets, namespace: 'team-b', name: 'delta' })) as { spec: unknown; metadata: { generation: number } };
    expect(delta).toMatchObject({ spec: { size: 4 }, metadata: { generation: 1 } });
    const wrongKind = await failure(custom.createNamespacedCustomObject({ ...widgets, namespace: 'team-b', body: { apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'x' } } }));
    expect(wrongKind).toMatchObject({ code: 400, reason: 'BadRequest' });
    await custom.deleteNamespacedCustomObject({ ...widgets, namespace: 'team-b', name: 'delta' });
  });

  it('works with the discovery-driven KubernetesObjectApi', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const page = await objects.list('example.com/v1', 'Widget', 'team-a', undefined, undefined, undefined, undefined, undefined, 1);
    expect(page.items.map((w) => w.metadata?.name)).toEqual(['alpha']);
    // client-node quirk: lists of non-built-in groups are deserialized with ObjectMeta as list
    // metadata, which drops `continue` (the server sent it) — page CRDs with CustomObjectsApi.
    expect(page.metadata?._continue).toBeUndefined();
    const custom = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'team-a',
      plural: 'widgets',
      limit: 1,
    })) as { metadata: { continue?: string; remainingItemCount?: number } };
    expect(custom.metadata).toMatchObject({ continue: expect.any(String), remainingItemCount: 1 });
    const apps = await objects.list('apps/v1', 'Deployment', undefined, undefined, undefined, undefined, undefined, undefined, 1);
    expect(apps.items.map((d) => d.metadata?.name)).toEqual(['web']);
    expect(apps.metadata?._continue).toBeTruthy();
    const widget = await objects.read({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'gamma', namespace: 'team-b' } });
    expect(widget).toMatchObject({ kind: 'Widget', spec: { color: 'blue' } });
  });
});

describe('faults', () => {
  it('answers 403 Forbidden Status for forbidden resources only', async () => {
    server.faults.forbidden.add('secrets');
    server.faults.forbidden.add('apps/deployments');
    try {
      const secrets = await failure(core.listSecretForAllNamespaces());
      expect(secrets).toMatchObject({ httpCode: 403, reason: 'Forbidden', details: { kind: 'secrets' } });
      expect(secrets.message).toContain('cannot list resource "secrets" in API group "" at the cluster scope');
      const deployments = await failure(kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: 'team-a' }));
      expect(deployments.message).toContain('cannot list resource "deployments" in API group "apps" in the namespace "team-a"');
      expect((await raw(server, '/api/v1/namespaces/team-a/secrets/db-credentials')).status).toBe(403);
      expect((await core.listConfigMapForAllNamespaces()).items.length).toBeGreaterThan(0);
    } finally {
      server.faults.forbidden.clear();
    }
    expect((await core.listSecretForAllNamespaces()).items.length).toBe(STANDARD_SEED.counts.secrets);
  });

  it('answers 503 while unavailable, or drops connections with "reset"', async () => {
    server.faults.unavailable = true;
    try {
      expect(await failure(core.listNamespace())).toMatchObject({ httpCode: 503, reason: 'ServiceUnavailable' });
      server.faults.unavailable = 'reset';
      await expect(core.listNamespace()).rejects.toThrow();
    } finally {
      server.faults.unavailable = false;
    }
    expect((await core.listNamespace()).items.length).toBeGreaterThan(0);
  });

  it('logs every request', async () => {
    server.requests.length = 0;
    await core.listNamespacedPod({ namespace: 'team-a', limit: 7 });
    expect(server.requests).toEqual([{ method: 'GET', path: '/api/v1/namespaces/team-a/pods', query: 'limit=7' }]);
  });
});

describe('fixtures', () => {
  it('seedStandard holds exactly what STANDARD_SEED describes', () => {
    for (const [type, count] of Object.entries(STANDARD_SEED.counts)) {
      if (type === 'namespaces' || type === 'configmaps' || type === 'secrets' || type === 'persistentvolumeclaims') continue; // touched by other tests
      expect([type, server.store.count(type)]).toEqual([type, count]);
    }
    expect(STANDARD_SEED.counts).toMatchObject({ events: 3, 'apps/deployments': 2, 'example.com/widgets': 3, 'storage.k8s.io/storageclasses': 3 });
    expect(STANDARD_SEED.volumes.filter((v) => v.expected === 'snapshot').map((v) => `${v.namespace}/${v.pvc}`)).toEqual(['team-a/data', 'team-a/logs']);
  });
});
