/**
 * Chunked lists (limit/continue) against the test server with the real
 * client-node, on synthetic bulk data.
 */
import { CoreV1Api, type V1ConfigMapList } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, kubeConfigOf } from './clients.ts';
import { startKubeServer, type KubeTestServer } from './server.ts';

async function listAll(core: CoreV1Api, namespace: string | undefined, limit: number, extra: { labelSelector?: string } = {}) {
  const pages: V1ConfigMapList[] = [];
  let token: string | undefined;
  do {
    const page = namespace
      ? await core.listNamespacedConfigMap({ namespace, limit, _continue: token, ...extra })
      : await core.listConfigMapForAllNamespaces({ limit, _continue: token, ...extra });
    pages.push(page);
    token = page.metadata?._continue;
  } while (token);
  return pages;
}

describe('50,000 synthetic ConfigMaps', () => {
  let server: KubeTestServer;
  let core: CoreV1Api;
  beforeAll(async () => {
    server = await startKubeServer();
    server.seedSynthetic(50_000);
    core = kubeConfigOf(server).makeApiClient(CoreV1Api);
  });
  afterAll(() => server.close());

  it('pages through every object with limit and continue, in order, from one snapshot', async () => {
    server.requests.length = 0;
    const pages = await listAll(core, 'synthetic', 2_500);
    expect(pages).toHaveLength(20);
    const names = pages.flatMap((p) => p.items.map((i) => i.metadata?.name));
    expect(names).toHaveLength(50_000);
    expect(new Set(names).size).toBe(50_000);
    expect(names[0]).toBe('synthetic-000001');
    expect(names.at(-1)).toBe('synthetic-050000');
    expect(pages[0]?.metadata?.remainingItemCount).toBe(47_500);
    expect(pages.at(-1)?.metadata?._continue).toBeUndefined();
    expect(new Set(pages.map((p) => p.metadata?.resourceVersion)).size).toBe(1);

    expect(server.requests).toHaveLength(20);
    expect(server.requests[0]?.query).toBe('limit=2500');
    expect(server.requests.slice(1).every((r) => /^limit=2500&continue=/.test(r.query) || /continue=.*&limit=2500/.test(r.query))).toBe(true);
  });

  it('keeps a chunked list consistent while objects change', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: 'synthetic', limit: 10 });
    server.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'synthetic-000005a', namespace: 'synthetic' } });
    server.store.remove('configmaps', 'synthetic-000020', 'synthetic');
    const second = await core.listNamespacedConfigMap({ namespace: 'synthetic', limit: 10, _continue: first.metadata?._continue });
    expect(second.items.map((i) => i.metadata?.name)).toContain('synthetic-000020');
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    const fresh = await core.listNamespacedConfigMap({ namespace: 'synthetic', limit: 10 });
    expect(fresh.items.map((i) => i.metadata?.name)).toContain('synthetic-000005a');
  });
});

describe('chunked lists', () => {
  let server: KubeTestServer;
  let core: CoreV1Api;
  beforeAll(async () => {
    server = await startKubeServer({ compactAfter: 50, pageLimitMax: 40 });
    server.seedStandard();
    server.seedSynthetic(95, 'bulk');
    core = kubeConfigOf(server).makeApiClient(CoreV1Api);
  });
  afterAll(() => server.close());

  it('pages across all namespaces sorted by namespace then name', async () => {
    const pages = await listAll(core, undefined, 7);
    const keys = pages.flatMap((p) => p.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`));
    expect(keys).toHaveLength(95 + 6);
    expect(keys).toEqual([...keys].sort());
    expect(pages.slice(0, -1).every((p) => p.items.length === 7)).toBe(true);
  });

  it('caps limit at pageLimitMax and still hands out a continue token', async () => {
    const page = await core.listNamespacedConfigMap({ namespace: 'bulk', limit: 500 });
    expect(page.items).toHaveLength(40);
    expect(page.metadata?.remainingItemCount).toBe(55);
    expect((await listAll(core, 'bulk', 500)).flatMap((p) => p.items)).toHaveLength(95);
  });

  it('filters pages by label selector without remainingItemCount', async () => {
    server.store.modify('configmaps', 'synthetic-000003', 'bulk', (cm) => {
      cm.metadata.labels = { pick: 'me' };
    });
    const pages = await listAll(core, undefined, 5, { labelSelector: 'pick=me' });
    expect(pages.flatMap((p) => p.items.map((i) => i.metadata?.name))).toEqual(['synthetic-000003']);
    expect(pages.every((p) => p.metadata?.remainingItemCount === undefined)).toBe(true);
  });

  it('answers 410 Expired for a continue token older than compactAfter', async () => {
    const first = await core.listNamespacedConfigMap({ namespace: 'bulk', limit: 10 });
    for (let i = 0; i < 51; i++) server.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `churn-${i}`, namespace: 'team-b' } });
    const expired = await failure(core.listNamespacedConfigMap({ namespace: 'bulk', limit: 10, _continue: first.metadata?._continue }));
    expect(expired).toMatchObject({ httpCode: 410, code: 410, reason: 'Expired', kind: 'Status', status: 'Failure' });
    expect(expired.message).toContain('too old to display a consistent list result');
    expect(expired.metadata.continue).toBeTruthy();
  });

  it('rejects a malformed continue token with 400', async () => {
    const bad = await failure(core.listNamespacedConfigMap({ namespace: 'bulk', limit: 10, _continue: 'not-a-token' }));
    expect(bad).toMatchObject({ code: 400, reason: 'BadRequest' });
  });
});
