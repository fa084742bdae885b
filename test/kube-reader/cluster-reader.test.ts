import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ClusterAccessError,
  createClusterReader,
  resourceKey,
  type ClusterReader,
  type KubeObject,
  type ResourceType,
} from '../../src/kube/cluster-reader.ts';
import type { ClusterConnection } from '../../src/kube/connect.ts';
import { KubeRetries, type KubeRetrySettings } from '../../src/kube/retry.ts';
import { raw } from '../kube/clients.ts';
import { startKubeServer, type KubeTestServer } from '../kube/server.ts';
import { connectTo } from '../support/kubeconfig.ts';

let server: KubeTestServer;
let reader: ClusterReader;
/** Every connection a test opens, closed after it. */
const connections: ClusterConnection[] = [];

/** The retries of the reader made last. */
let retries: KubeRetries;

/** A reader whose requests retry as `retry` says (short waits by default: tests do not wait on backoff). */
function readerOf(kubeconfig: string, timeoutMs?: number, retry: Partial<KubeRetrySettings> = {}): ClusterReader {
  retries = new KubeRetries({ baseDelayMs: 5, ...retry });
  const connection = connectTo(kubeconfig, undefined, { retries });
  connections.push(connection);
  return createClusterReader(connection, { timeoutMs });
}

beforeEach(async () => {
  server = await startKubeServer();
  reader = readerOf(server.kubeconfig, 5_000);
});

afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()));
  await server.close();
});

const configmaps: ResourceType = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };

async function all(iterable: AsyncIterable<KubeObject>): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for await (const object of iterable) objects.push(object);
  return objects;
}

function listRequests(path: string) {
  return server.requests.filter((r) => r.method === 'GET' && r.path === path).map((r) => new URLSearchParams(r.query));
}

async function accessError(promise: Promise<unknown>): Promise<ClusterAccessError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClusterAccessError);
  return error as ClusterAccessError;
}

describe('discover', () => {
  it('lists every listable resource of core and each group preferred version, CRDs included', async () => {
    server.seedStandard();
    server.registry.applyCrd('gadgets.example.org', {
      group: 'example.org',
      scope: 'Cluster',
      names: { plural: 'gadgets', kind: 'Gadget' },
      versions: [{ name: 'v1beta1' }, { name: 'v2', storage: true, subresources: { status: {} } }],
    });
    // A stand-in for the events.k8s.io group a real apiserver serves.
    server.registry.applyCrd('events.events.k8s.io', {
      group: 'events.k8s.io',
      scope: 'Namespaced',
      names: { plural: 'events', kind: 'Event' },
      versions: [{ name: 'v1' }],
    });

    const types = await reader.discover();
    const keys = types.map((t) => `${resourceKey(t)}@${t.version}`);

    expect(types).toContainEqual({ group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: true });
    expect(types).toContainEqual({ group: 'example.org', version: 'v2', resource: 'gadgets', kind: 'Gadget', namespaced: false });
    expect(types).toContainEqual({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false });
    expect(keys).toEqual(expect.arrayContaining(['pods@v1', 'secrets@v1', 'deployments.apps@v1', 'volumesnapshots.snapshot.storage.k8s.io@v1', 'customresourcedefinitions.apiextensions.k8s.io@v1']));
    // Only the preferred version, no subresources, no events, nothing unlistable (bindings: create only).
    expect(keys).not.toContain('gadgets.example.org@v1beta1');
    expect(types.filter((t) => t.resource.includes('/'))).toEqual([]);
    expect(types.filter((t) => t.resource === 'events')).toEqual([]);
    expect(types.filter((t) => t.resource === 'bindings')).toEqual([]);
    expect(new Set(keys).size).toBe(keys.length);

    // Everything the registry serves with a list verb is there.
    const expected = server.registry
      .all()
      .filter((d) => d.verbs.includes('list') && d.plural !== 'events')
      .map((d) => `${resourceKey({ group: d.group, resource: d.plural })}@${d.versions[0]}`);
    expect([...keys].sort()).toEqual([...expected].sort());
  });
});

describe('list', () => {
  it('pages with limit/continue, one page at a time, over 5000 objects', async () => {
    server.seedSynthetic(5000);
    server.seedStandard();
    const expected = server.store.count('configmaps');
    const iterator = reader.list(configmaps, { pageSize: 400 })[Symbol.asyncIterator]();

    const seen: KubeObject[] = [];
    const pull = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const next = await iterator.next();
        if (next.done) return;
        seen.push(next.value);
      }
    };
    await pull(400);
    // A full page consumed, the next one not fetched yet.
    expect(listRequests('/api/v1/configmaps')).toHaveLength(1);
    await pull(1);
    expect(listRequests('/api/v1/configmaps')).toHaveLength(2);
    await pull(Number.MAX_SAFE_INTEGER);

    expect(seen).toHaveLength(expected);
    const names = seen.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(new Set(names).size).toBe(expected);
    const requests = listRequests('/api/v1/configmaps');
    expect(requests).toHaveLength(Math.ceil(expected / 400));
    expect(requests.every((q) => q.get('limit') === '400')).toBe(true);
    expect(requests[0]!.has('continue')).toBe(false);
    expect(requests.slice(1).every((q) => Boolean(q.get('continue')))).toBe(true);
  });

  it('fills in apiVersion and kind and drops managedFields', async () => {
    server.seedStandard();
    const stored = await raw(server, '/apis/apps/v1/deployments');
    const items = stored.json<{ items: { apiVersion?: string; metadata: { managedFields?: unknown } }[] }>().items;
    // The server sends what a real one does: no apiVersion/kind on items, managedFields present.
    expect(items[0]!.apiVersion).toBeUndefined();
    expect(items[0]!.metadata.managedFields).toBeDefined();

    const types = await reader.discover();
    for (const type of types) {
      for (const object of await all(reader.list(type, { pageSize: 2 }))) {
        expect(object.apiVersion).toBe(type.group ? `${type.group}/${type.version}` : type.version);
        expect(object.kind).toBe(type.kind);
        expect(object.metadata).not.toHaveProperty('managedFields');
      }
    }
    const deployments = await all(reader.list(types.find((t) => t.resource === 'deployments')!, { pageSize: 10 }));
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['web', 'worker']);
    expect(deployments[0]).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { selector: expect.any(Object) } });
    const widgets = await all(reader.list(types.find((t) => t.resource === 'widgets')!, { pageSize: 10 }));
    expect(widgets).toHaveLength(3);
    expect(widgets[0]).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Widget' });
  });

  it('restarts a list whose continue token expired, giving each object exactly once', async () => {
    await server.close();
    server = await startKubeServer({ compactAfter: 50 });
    reader = readerOf(server.kubeconfig, 5_000);
    server.seedSynthetic(100);
    const iterator = reader.list(configmaps, { pageSize: 10 })[Symbol.asyncIterator]();
    const seen: KubeObject[] = [];
    for (let i = 0; i < 25; i++) seen.push((await iterator.next()).value as KubeObject);
    // 100 changes compact the list's resourceVersion away: the next page answers 410.
    server.seedSynthetic(100, 'churn');
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) seen.push(next.value);

    const names = seen.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
    // Everything there at the end: the first pages once, the rest (new objects included) from the restart.
    expect(names.length).toBe(server.store.count('configmaps'));
    const lists = listRequests('/api/v1/configmaps');
    const restart = lists.findIndex((q, index) => index > 0 && !q.has('continue'));
    expect(restart).toBe(4);
    expect(retries.summary()).toBe('1 Kubernetes request retried (410)');
  });

  it('restarts once per expiry and fails clearly when every start expires', async () => {
    server.seedSynthetic(60);
    server.faults.expireContinue = { resource: 'configmaps', afterPage: 2, times: 1 };
    const once = await all(reader.list(configmaps, { pageSize: 10 }));
    expect(once.map((o) => o.metadata.name)).toEqual([...new Set(once.map((o) => o.metadata.name))]);
    expect(once).toHaveLength(server.store.count('configmaps'));
    expect(server.requests.filter((r) => r.fault === '410')).toHaveLength(1);

    const stubborn = readerOf(server.kubeconfig, 5_000, { attempts: 3 });
    server.faults.expireContinue = { resource: 'configmaps', afterPage: 1, times: 100 };
    const error = await accessError(all(stubborn.list(configmaps, { pageSize: 10 })));
    expect(error).toMatchObject({ kind: 'failed', status: 410, resource: 'configmaps' });
    expect(error.message).toBe(
      `Kubernetes API "${server.url}": list of configmaps expired mid-way (continue token expired, 410 Gone) 3 times; the cluster changes faster than it can be read, try again`,
    );
  });

  it('counts a resource with one limit=1 request (remainingItemCount)', async () => {
    server.seedSynthetic(1234);
    server.requests.length = 0;
    expect(await reader.estimateCount(configmaps)).toBe(server.store.count('configmaps'));
    expect(listRequests('/api/v1/configmaps').map((q) => q.get('limit'))).toEqual(['1']);
    const secrets = { ...configmaps, resource: 'secrets', kind: 'Secret' };
    expect(await reader.estimateCount(secrets)).toBe(0);
  });
});

describe('errors', () => {
  it('a forbidden resource is a forbidden ClusterAccessError naming it', async () => {
    server.faults.forbidden.add('secrets');
    const secrets = { ...configmaps, resource: 'secrets', kind: 'Secret' };
    const error = await accessError(all(reader.list(secrets, { pageSize: 10 })));
    expect(error).toMatchObject({ kind: 'forbidden', resource: 'secrets', server: server.url, status: 403 });
    // Our words and the status: the Status message the server sent ("secrets is forbidden: User ...") is not repeated.
    expect(error.message).toBe(`Kubernetes API "${server.url}": forbidden: cannot list secrets (403 Forbidden)`);
    // Discovery still works; it is the list that is refused.
    expect((await reader.discover()).map((t) => t.resource)).toContain('secrets');
  });

  it('an unavailable API server is unreachable, once its retries are spent', async () => {
    reader = readerOf(server.kubeconfig, 5_000, { attempts: 3 });
    server.faults.unavailable = true;
    const started = Date.now();
    const error = await accessError(reader.discover());
    expect(server.requests.filter((r) => r.path === '/api/v1')).toHaveLength(3);
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(`Kubernetes API "${server.url}" unavailable (503) to discover /api/v1`);

    server.faults.unavailable = 'reset';
    const reset = await accessError(all(reader.list(configmaps, { pageSize: 10 })));
    expect(reset.kind).toBe('unreachable');
    expect(reset.message).toBe(`Kubernetes API "${server.url}" unreachable: connection closed by the server (list configmaps)`);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a closed port is unreachable, in our words', async () => {
    const port = await closedPort();
    const offline = readerOf(server.kubeconfig.replace(server.url, `https://127.0.0.1:${port}`), undefined, { attempts: 1 });
    const error = await accessError(offline.discover());
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(`Kubernetes API "https://127.0.0.1:${port}" unreachable: connection refused (discover /api/v1)`);
  });

  it('a certificate for another name is refused without repeating what the certificate says', async () => {
    // The test server's certificate is for 127.0.0.1 and localhost; tls-server-name asks for another name.
    const kubeconfig = server.kubeconfig.replace(`server: ${server.url}`, `server: ${server.url}\n    tls-server-name: internal.example.org`);
    const error = await accessError(readerOf(kubeconfig).discover());
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(`Kubernetes API "${server.url}" unreachable: the server's certificate is not valid for its host name (discover /api/v1)`);
    expect(error.message).not.toContain('DNS:localhost');
  });

  it('a wrong token is unauthorized', async () => {
    const error = await accessError(readerOf(server.kubeconfig.replace(server.token, 'not-the-token')).discover());
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(error.message).toBe(`Kubernetes API "${server.url}" rejected the credentials (401 Unauthorized) to discover /api/v1`);
  });

  it('a slow answer is a timeout after the configured time, per attempt', async () => {
    const impatient = readerOf(server.kubeconfig, 150, { attempts: 2 });
    server.faults.latencyMs = 2_000;
    try {
      const started = Date.now();
      const error = await accessError(impatient.estimateCount(configmaps));
      expect(error.kind).toBe('timeout');
      expect(error.message).toBe(`Kubernetes API "${server.url}" did not answer within 150 ms to list configmaps`);
      expect(listRequests('/api/v1/configmaps')).toHaveLength(2);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      server.faults.latencyMs = 0;
    }
  });

  it('an aborted list rejects with the abort reason, not an access error', async () => {
    server.faults.latencyMs = 2_000;
    const controller = new AbortController();
    const reason = new Error('stop');
    const pending = all(reader.list(configmaps, { pageSize: 10, signal: controller.signal }));
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
    server.faults.latencyMs = 0;
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}
