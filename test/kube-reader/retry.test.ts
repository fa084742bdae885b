/**
 * Retries of Kubernetes requests: the rules (which answers, how long to wait,
 * the bounds) as tables, then through the real paths against the Kubernetes
 * API test server's injected faults: the reader, the generated clients of a
 * ClusterConnection, mutations.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterAccessError, createClusterReader, type KubeObject, type ResourceType } from '../../src/kube/cluster-reader.ts';
import type { ClusterConnection } from '../../src/kube/connect.ts';
import { KubeRequestTimeout, KubeRetries, statusRetryReason, transportRetryReason, type KubeRetrySettings } from '../../src/kube/retry.ts';
import { kubeApiError } from '../../src/kube/volume-plan.ts';
import { startKubeServer, type FaultRequest, type KubeTestServer } from '../kube/server.ts';
import { connectTo } from '../support/kubeconfig.ts';

const configmaps: ResourceType = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
const isList = (request: FaultRequest) => request.verb === 'list';

describe('the rules', () => {
  it.each([
    [429, '429'],
    [500, '500'],
    [502, '502'],
    [503, '503'],
    [504, '504'],
    [599, '599'],
    [400, undefined],
    [401, undefined],
    [403, undefined],
    [404, undefined],
    [409, undefined],
    [410, undefined],
    [422, undefined],
    [200, undefined],
  ])('status %i is retried as %s', (status, reason) => {
    expect(statusRetryReason(status)).toBe(reason);
  });

  const coded = (code: string) => Object.assign(new Error(code), { code });
  it.each([
    ['ECONNRESET', 'connection_reset'],
    ['EPIPE', 'connection_reset'],
    ['UND_ERR_SOCKET', 'connection_reset'],
    ['ECONNREFUSED', 'connection_refused'],
    ['ETIMEDOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['EHOSTUNREACH', 'unreachable'],
    ['EAI_AGAIN', 'unreachable'],
    ['ENOTFOUND', undefined],
    ['CERT_HAS_EXPIRED', undefined],
    ['ERR_TLS_CERT_ALTNAME_INVALID', undefined],
    ['VSNAP_EGRESS_REFUSED', undefined],
  ])('a connection failing with %s is retried as %s (also under fetch failed)', (code, reason) => {
    expect(transportRetryReason(coded(code))).toBe(reason);
    expect(transportRetryReason(new TypeError('fetch failed', { cause: coded(code) }))).toBe(reason);
  });

  it('retries an attempt that timed out, and nothing it cannot name', () => {
    expect(transportRetryReason(new KubeRequestTimeout(100))).toBe('timeout');
    expect(transportRetryReason(new Error('something else'))).toBeUndefined();
    expect(transportRetryReason(new SyntaxError('bad json'))).toBeUndefined();
    expect(transportRetryReason('not an error')).toBeUndefined();
  });

  it('waits with full jitter below a ceiling that doubles per retry, capped', () => {
    const retries = new KubeRetries({ baseDelayMs: 100, maxDelayMs: 1_000 });
    for (const [n, ceiling] of [[1, 100], [2, 200], [3, 400], [4, 800], [5, 1_000], [12, 1_000]] as const) {
      const waits = Array.from({ length: 400 }, () => retries.backoff(n));
      expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...waits)).toBeLessThan(ceiling);
      // Spread over the whole range, not clustered at the ceiling.
      expect(Math.min(...waits)).toBeLessThan(ceiling * 0.2);
      expect(Math.max(...waits)).toBeGreaterThan(ceiling * 0.8);
    }
  });

  it('reads Retry-After as seconds or an HTTP date, capped at the longest wait', () => {
    const retries = new KubeRetries({ maxDelayMs: 10_000 });
    const now = Date.parse('2026-03-01T12:00:00Z');
    expect(retries.retryAfter('3', now)).toBe(3_000);
    expect(retries.retryAfter(' 0 ', now)).toBe(0);
    expect(retries.retryAfter('3600', now)).toBe(10_000);
    expect(retries.retryAfter('Sun, 01 Mar 2026 12:00:04 GMT', now)).toBe(4_000);
    expect(retries.retryAfter('Sun, 01 Mar 2026 11:59:00 GMT', now)).toBe(0);
    expect(retries.retryAfter('Sun, 01 Mar 2026 13:00:00 GMT', now)).toBe(10_000);
    expect(retries.retryAfter(undefined, now)).toBeUndefined();
    expect(retries.retryAfter('soon', now)).toBeUndefined();
    expect(retries.retryAfter('-5', now)).toBeUndefined();
    expect(retries.retryAfter('1.5', now)).toBeUndefined();
  });

  it('spends one budget across requests, counts requests and reasons, and tells the observer each retry', () => {
    const seen: string[] = [];
    const retries = new KubeRetries({ budget: 3 }, (reason) => seen.push(reason));
    const [a, b] = [{}, {}];
    expect(retries.summary()).toBeUndefined();
    expect(retries.take('500', a)).toBe(true);
    expect(retries.summary()).toBe('1 Kubernetes request retried (500)');
    expect(retries.take('500', a)).toBe(true);
    expect(retries.summary()).toBe('1 Kubernetes request retried 2 times (500)');
    expect(retries.take('connection_reset', b)).toBe(true);
    expect(retries.summary()).toBe('2 Kubernetes requests retried 3 times (500, connection reset)');
    expect(retries.exhausted).toBe(false);
    expect(retries.take('429', b)).toBe(false);
    expect(retries.exhausted).toBe(true);
    expect(retries.count).toBe(3);
    expect(retries.summary()).toBe('2 Kubernetes requests retried 3 times (500, connection reset); the retry budget of 3 is spent');
    expect(seen).toEqual(['500', '500', 'connection_reset']);
  });
});

describe('through the test server', () => {
  let server: KubeTestServer;
  const connections: ClusterConnection[] = [];
  let retries: KubeRetries;
  let reasons: string[];

  function connect(settings: Partial<KubeRetrySettings> = {}, requestTimeoutMs = 5_000): ClusterConnection {
    reasons = [];
    retries = new KubeRetries({ baseDelayMs: 5, ...settings }, (reason) => reasons.push(reason));
    const connection = connectTo(server.kubeconfig, undefined, { retries, requestTimeoutMs });
    connections.push(connection);
    return connection;
  }

  async function all(iterable: AsyncIterable<KubeObject>): Promise<KubeObject[]> {
    const objects: KubeObject[] = [];
    for await (const object of iterable) objects.push(object);
    return objects;
  }

  const listsOf = (path: string) => server.requests.filter((r) => r.method === 'GET' && r.path === path);

  beforeEach(async () => {
    server = await startKubeServer();
    server.seedStandard();
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.close()));
    await server.close();
  });

  it('a list with a 500 in every 3rd request reads every object once', async () => {
    server.seedSynthetic(300);
    server.faults.intermittent.push({ answer: 500, every: 3, match: isList });
    const objects = await all(createClusterReader(connect()).list(configmaps, { pageSize: 20 }));

    const names = objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(names).toHaveLength(server.store.count('configmaps'));
    expect(new Set(names).size).toBe(names.length);
    const faults = listsOf('/api/v1/configmaps').filter((r) => r.fault === '500').length;
    expect(faults).toBeGreaterThanOrEqual(5);
    expect(retries.count).toBe(faults);
    expect(reasons).toEqual(Array(faults).fill('500'));
    expect(retries.summary()).toBe(`${faults} Kubernetes requests retried (500)`);
  });

  it('honours Retry-After in seconds', async () => {
    server.faults.intermittent.push({ answer: 429, every: 1, retryAfter: 1, limit: 1 });
    const started = Date.now();
    expect(await createClusterReader(connect()).estimateCount(configmaps)).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(reasons).toEqual(['429']);
  });

  it('honours Retry-After as an HTTP date, capped at the longest wait', async () => {
    // An HTTP date has whole seconds: 4 s ahead is at least 3 s, far above the 300 ms cap.
    server.faults.intermittent.push({ answer: 503, every: 1, retryAfter: new Date(Date.now() + 4_000), limit: 2 });
    const started = Date.now();
    expect(await createClusterReader(connect({ maxDelayMs: 300 })).estimateCount(configmaps)).toBeGreaterThan(0);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(2_000);
    expect(reasons).toEqual(['503', '503']);
  });

  it('retries a reset connection', async () => {
    server.faults.intermittent.push({ answer: 'reset', every: 2, match: isList });
    server.seedSynthetic(40);
    const objects = await all(createClusterReader(connect()).list(configmaps, { pageSize: 10 }));
    expect(objects).toHaveLength(server.store.count('configmaps'));
    expect(new Set(reasons)).toEqual(new Set(['connection_reset']));
    expect(reasons.length).toBe(listsOf('/api/v1/configmaps').filter((r) => r.fault === 'reset').length);
  });

  it('retries an attempt that timed out', async () => {
    const reader = createClusterReader(connect(), { timeoutMs: 200 });
    server.faults.latencyMs = 1_000;
    setTimeout(() => (server.faults.latencyMs = 0), 300);
    expect(await reader.estimateCount(configmaps)).toBeGreaterThan(0);
    expect(reasons[0]).toBe('timeout');
  });

  it('does not retry 403, 404 or 401', async () => {
    const reader = createClusterReader(connect());
    server.faults.forbidden.add('secrets');
    server.faults.notFound.add('configmaps');
    await expect(reader.estimateCount({ ...configmaps, resource: 'secrets', kind: 'Secret' })).rejects.toMatchObject({ status: 403 });
    await expect(reader.estimateCount(configmaps)).rejects.toMatchObject({ status: 404 });
    expect(listsOf('/api/v1/secrets')).toHaveLength(1);
    expect(listsOf('/api/v1/configmaps')).toHaveLength(1);
    expect(retries.count).toBe(0);
  });

  it('gives up after its attempts, naming the request and the status', async () => {
    server.faults.intermittent.push({ answer: 500, every: 1 });
    const error = await createClusterReader(connect({ attempts: 4 }))
      .discover()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClusterAccessError);
    expect((error as ClusterAccessError).message).toBe(`Kubernetes API "${server.url}" answered 500 to discover /api/v1`);
    expect(listsOf('/api/v1')).toHaveLength(4);
    expect(retries.summary()).toBe('1 Kubernetes request retried 3 times (500)');
  });

  it('starts no retry past the request deadline', async () => {
    server.faults.intermittent.push({ answer: 429, every: 1, retryAfter: 2 });
    const started = Date.now();
    await expect(createClusterReader(connect({ requestDeadlineMs: 1_000 })).estimateCount(configmaps)).rejects.toMatchObject({ status: 429 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(listsOf('/api/v1/configmaps')).toHaveLength(1);
  });

  it('spends one budget over every request of the connection', async () => {
    server.faults.intermittent.push({ answer: 502, every: 1 });
    const reader = createClusterReader(connect({ budget: 3, attempts: 5 }));
    await expect(reader.estimateCount(configmaps)).rejects.toMatchObject({ status: 502 });
    await expect(reader.estimateCount(configmaps)).rejects.toMatchObject({ status: 502 });
    // 4 attempts (3 retries) for the first, 1 for the second: the budget is spent.
    expect(listsOf('/api/v1/configmaps')).toHaveLength(5);
    expect(retries.exhausted).toBe(true);
    expect(retries.summary()).toBe('1 Kubernetes request retried 3 times (502); the retry budget of 3 is spent');
  });

  it('retries the generated clients of a connection: reads and mutations', async () => {
    const kc = connect();
    const core = kc.makeApiClient(CoreV1Api);
    server.faults.intermittent.push({ answer: 503, every: 2 });
    expect((await core.listNamespace()).items.length).toBe(4);
    const created = await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'made-once' }, data: { a: '1' } } });
    expect(created.metadata?.name).toBe('made-once');
    await core.deleteNamespacedConfigMap({ namespace: 'team-a', name: 'made-once' });
    expect(server.store.get('configmaps', 'made-once', 'team-a')).toBeUndefined();
    // Every 2nd request failed: the list passed, the create and the delete each failed once and were sent again.
    expect(server.requests.map((r) => `${r.method} ${r.fault ?? 'ok'}`)).toEqual(['GET ok', 'POST 503', 'POST ok', 'DELETE 503', 'DELETE ok']);
    expect(reasons).toEqual(['503', '503']);

    server.faults.intermittent = [{ answer: 500, every: 1 }];
    const error = await core.listNamespace().catch((caught: unknown) => caught);
    expect(kubeApiError(kc, error, 'list namespaces').message).toBe('cannot list namespaces: HTTP 500');
  });
});
