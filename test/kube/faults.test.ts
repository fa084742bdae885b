/**
 * The test server's injected faults, seen from a plain HTTPS client and from
 * client-node (which does not retry): per-resource 404, intermittent
 * statuses (every Nth or by a seeded chance) with Retry-After, connection
 * resets, and continue tokens that expire after page K.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, kubeConfigOf, raw } from './clients.ts';
import { startKubeServer, type FaultRequest, type KubeTestServer } from './server.ts';

let server: KubeTestServer;
let kc: KubeConfig;
let core: CoreV1Api;

beforeEach(async () => {
  server = await startKubeServer();
  server.seedStandard();
  kc = kubeConfigOf(server);
  core = kc.makeApiClient(CoreV1Api);
});
afterEach(() => server.close());

const isList = (request: FaultRequest) => request.verb === 'list';

describe('per-resource 404', () => {
  it('answers 404 NotFound for every verb of the resource while discovery still lists it', async () => {
    server.faults.notFound.add('persistentvolumes');
    const listed = await failure(core.listPersistentVolume());
    expect(listed).toMatchObject({ httpCode: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
    expect((await raw(server, '/api/v1/persistentvolumes/pv-team-a-data')).status).toBe(404);
    const discovery = await core.getAPIResources();
    expect(discovery.resources.map((r) => r.name)).toContain('persistentvolumes');
    // Other resources answer as always.
    expect((await core.listPersistentVolumeClaimForAllNamespaces()).items).toHaveLength(5);
    server.faults.notFound.clear();
    expect((await core.listPersistentVolume()).items).toHaveLength(4);
  });
});

describe('intermittent faults', () => {
  it('hits exactly every Nth matching request with the status, recording each hit', async () => {
    server.faults.intermittent.push({ answer: 500, every: 3, match: isList });
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await raw(server, '/api/v1/configmaps')).status);
    // A GET of one object is not a list: it neither counts nor fails.
    expect((await raw(server, '/api/v1/namespaces/team-a/configmaps/app-config')).status).toBe(200);
    expect(codes).toEqual([200, 200, 500, 200, 200, 500, 200]);
    const failed = await raw(server, '/api/v1/configmaps').then(() => raw(server, '/api/v1/configmaps'));
    expect(failed.status).toBe(500);
    expect(failed.json()).toMatchObject({ kind: 'Status', code: 500, reason: 'InternalError' });
    expect(server.requests.filter((r) => r.fault === '500')).toHaveLength(3);
    expect(server.faults.intermittent[0]!.hits).toBe(3);
  });

  it('draws hits from a seeded chance: the same seed, the same requests', async () => {
    const run = async (seed: number) => {
      const fault = { answer: 503, probability: 0.3, seed, match: isList };
      server.faults.intermittent = [fault];
      const codes: number[] = [];
      for (let i = 0; i < 40; i++) codes.push((await raw(server, '/api/v1/secrets')).status);
      return codes;
    };
    const first = await run(7);
    const again = await run(7);
    const other = await run(8);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const hits = first.filter((code) => code === 503).length;
    expect(hits).toBeGreaterThan(3);
    expect(hits).toBeLessThan(25);
    expect(first.every((code) => code === 200 || code === 503)).toBe(true);
  });

  it('sends Retry-After in seconds or as an HTTP date, and stops after `limit` hits', async () => {
    server.faults.intermittent.push({ answer: 429, every: 1, retryAfter: 2, limit: 2 });
    const first = await raw(server, '/api/v1/namespaces');
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('2');
    expect(first.json()).toMatchObject({ code: 429, reason: 'TooManyRequests' });
    expect((await raw(server, '/api/v1/namespaces')).status).toBe(429);
    expect((await raw(server, '/api/v1/namespaces')).status).toBe(200);

    const at = new Date(Date.now() + 5_000);
    server.faults.intermittent = [{ answer: 429, every: 1, retryAfter: at, limit: 1 }];
    const dated = await raw(server, '/api/v1/namespaces');
    expect(dated.headers['retry-after']).toBe(at.toUTCString());
  });

  it('hits discovery requests too (verb "discover")', async () => {
    server.faults.intermittent.push({ answer: 502, every: 1, match: (r) => r.verb === 'discover', limit: 1 });
    expect((await raw(server, '/apis')).status).toBe(502);
    expect((await raw(server, '/apis')).status).toBe(200);
  });

  it('resets the connection without an answer', async () => {
    server.faults.intermittent.push({ answer: 'reset', every: 2, match: isList });
    await core.listNamespace();
    const reset = await core.listNamespace().then(
      () => undefined,
      (error: unknown) => error as Error & { cause?: { code?: string } },
    );
    expect(reset?.cause?.code).toBe('UND_ERR_SOCKET');
    expect(server.requests.at(-1)?.fault).toBe('reset');
    expect((await core.listNamespace()).items.length).toBe(4);
  });
});

describe('held requests', () => {
  it('awaits `before` for each resource request: a test holds one until the cluster is as it wants', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    server.faults.before = async (request) => {
      seen.push(`${request.verb} ${request.resource}`);
      if (request.resource === 'configmaps') await held;
    };
    let answered = false;
    const pending = core.listConfigMapForAllNamespaces().then((list) => ((answered = true), list));
    await expect.poll(() => seen).toContain('list configmaps');
    expect((await core.listNamespace()).items).toHaveLength(4);
    expect(answered).toBe(false);
    server.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'added-while-held', namespace: 'default' } });
    release();
    expect((await pending).items.map((c) => c.metadata?.name)).toContain('added-while-held');
    expect(seen).toEqual(['list configmaps', 'list namespaces']);
  });
});

describe('expired continue tokens', () => {
  it('answers 410 Expired to the Kth continue token of the resource, `times` times', async () => {
    server.seedSynthetic(50, 'bulk');
    server.faults.expireContinue = { resource: 'configmaps', afterPage: 2, times: 2 };
    const page1 = await core.listConfigMapForAllNamespaces({ limit: 10 });
    const page2 = await core.listConfigMapForAllNamespaces({ limit: 10, _continue: page1.metadata?._continue });
    const expired = await failure(core.listConfigMapForAllNamespaces({ limit: 10, _continue: page2.metadata?._continue }));
    expect(expired).toMatchObject({ httpCode: 410, reason: 'Expired' });
    expect(server.requests.at(-1)?.fault).toBe('410');
    // Other resources' lists are untouched.
    const secrets = await core.listSecretForAllNamespaces({ limit: 1 });
    expect((await core.listSecretForAllNamespaces({ limit: 1, _continue: secrets.metadata?._continue })).items).toHaveLength(1);

    // The second expiry: again at the second continue token of a fresh list.
    const again1 = await core.listConfigMapForAllNamespaces({ limit: 10 });
    const again2 = await core.listConfigMapForAllNamespaces({ limit: 10, _continue: again1.metadata?._continue });
    expect((await failure(core.listConfigMapForAllNamespaces({ limit: 10, _continue: again2.metadata?._continue }))).httpCode).toBe(410);

    // After `times`, lists run to their end.
    let token: string | undefined;
    let count = 0;
    do {
      const page = await core.listConfigMapForAllNamespaces({ limit: 10, _continue: token });
      count += page.items.length;
      token = page.metadata?._continue || undefined;
    } while (token);
    expect(count).toBe(server.store.count('configmaps'));
    expect(server.requests.filter((r) => r.fault === '410')).toHaveLength(2);
  });
});
