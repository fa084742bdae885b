/**
 * Watch streams of the test server through client-node's Watch and
 * makeInformer: live events, resumption, 410 for compacted resourceVersions,
 * selectors, bookmarks, timeouts and the server ending streams.
 */
import { CoreV1Api, makeInformer, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectWatch, kubeConfigOf, raw, type CollectedWatch } from './clients.ts';
import { startKubeServer, type KubeTestServer } from './server.ts';

const CM = '/api/v1/namespaces/team-a/configmaps';
const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'team-a' }, ...extra });

let server: KubeTestServer;
let kc: KubeConfig;
let core: CoreV1Api;
const watches: CollectedWatch[] = [];
const watch = async (path: string, query: Record<string, string | number | boolean | undefined> = {}) => {
  const w = await collectWatch(kc, path, query);
  watches.push(w);
  return w;
};

beforeAll(async () => {
  server = await startKubeServer({ compactAfter: 30, bookmarkIntervalMs: 50 });
  server.seedStandard();
  kc = kubeConfigOf(server);
  core = kc.makeApiClient(CoreV1Api);
});
afterEach(() => {
  for (const w of watches.splice(0)) w.abort();
});
afterAll(() => server.close());

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED after the list resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'team-a' });
    const w = await watch(CM, { resourceVersion: list.metadata?.resourceVersion });
    await core.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: 'live' }, data: { v: '1' } } });
    server.store.modify('configmaps', 'live', 'team-a', (o) => {
      o.data = { v: '2' };
    });
    server.store.add(cm('elsewhere', { metadata: { name: 'elsewhere', namespace: 'team-b' } }));
    await core.deleteNamespacedConfigMap({ name: 'live', namespace: 'team-a' });
    await w.until((e) => e.type === 'DELETED');
    expect(w.events.map((e) => [e.type, e.object.metadata.name, e.object.data?.v])).toEqual([
      ['ADDED', 'live', '1'],
      ['MODIFIED', 'live', '2'],
      ['DELETED', 'live', '2'],
    ]);
    expect(w.events[0]?.object).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
  });

  it('sends ADDED for every existing object without a resourceVersion', async () => {
    const w = await watch(CM);
    await w.until((e) => e.object.metadata.name === 'kube-root-ca.crt');
    expect(w.events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'app-config'],
      ['ADDED', 'kube-root-ca.crt'],
    ]);
  });

  it('resumes from an older resourceVersion by replaying what it missed', async () => {
    const from = server.store.resourceVersion;
    server.store.add(cm('missed-1'));
    server.store.add(cm('missed-2'));
    const w = await watch(CM, { resourceVersion: String(from) });
    await w.until((e) => e.object.metadata.name === 'missed-2');
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED missed-1', 'ADDED missed-2']);
  });

  it('answers a compacted resourceVersion with an ERROR event carrying a 410 Status, then ends', async () => {
    const old = server.store.resourceVersion;
    for (let i = 0; i < 40; i++) server.store.add(cm(`churn-${i}`));
    const w = await watch(CM, { resourceVersion: String(old) });
    expect(await w.done).toBeNull();
    expect(w.events).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', status: 'Failure', code: 410, reason: 'Expired' }) },
    ]);
    expect(w.events[0]?.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('filters by fieldSelector and labelSelector, turning a label change into DELETED', async () => {
    const rv = String(server.store.resourceVersion);
    const byName = await watch(CM, { resourceVersion: rv, fieldSelector: 'metadata.name=target' });
    const byLabel = await watch(CM, { resourceVersion: rv, labelSelector: 'tier in (gold,silver),!legacy' });
    server.store.add(cm('noise', { metadata: { name: 'noise', namespace: 'team-a', labels: { tier: 'gold' } } }));
    server.store.add(cm('target', { metadata: { name: 'target', namespace: 'team-a', labels: { tier: 'bronze' } } }));
    server.store.modify('configmaps', 'noise', 'team-a', (o) => {
      o.metadata.labels = { tier: 'gold', legacy: 'true' };
    });
    await byName.until((e) => e.object.metadata.name === 'target');
    await byLabel.until((e) => e.type === 'DELETED');
    expect(byName.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED target']);
    expect(byLabel.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED noise', 'DELETED noise']);
  });

  it('sends BOOKMARK events when asked to', async () => {
    const w = await watch(CM, { resourceVersion: String(server.store.resourceVersion), allowWatchBookmarks: true });
    const bookmark = await w.until((e) => e.type === 'BOOKMARK', 2_000);
    expect(bookmark.object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: String(server.store.resourceVersion) } });
  });

  it('ends the stream after timeoutSeconds', async () => {
    const started = Date.now();
    const w = await watch(CM, { resourceVersion: String(server.store.resourceVersion), timeoutSeconds: 1 });
    expect(await w.done).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('refuses a watch of a forbidden resource with 403', async () => {
    server.faults.forbidden.add('configmaps');
    try {
      const w = await watch(CM, {});
      expect(await w.done).toMatchObject({ statusCode: 403 });
      expect((await raw(server, `${CM}?watch=true`)).json()).toMatchObject({ code: 403, reason: 'Forbidden' });
    } finally {
      server.faults.forbidden.clear();
    }
  });
});

describe('informer', () => {
  it('lists then watches, and re-lists/re-watches when the server drops the stream', async () => {
    const informer = makeInformer<V1ConfigMap>(kc, CM, () => core.listNamespacedConfigMap({ namespace: 'team-a' }));
    const seen: string[] = [];
    let connects = 0;
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    informer.on('connect', () => connects++);
    await informer.start();
    try {
      expect(informer.get('app-config', 'team-a')).toBeDefined();
      server.store.add(cm('informed'));
      await expect.poll(() => seen).toContain('add informed');

      server.endWatches();
      await expect.poll(() => connects).toBeGreaterThanOrEqual(2);
      await expect.poll(() => server.openWatches).toBeGreaterThanOrEqual(1);
      server.store.modify('configmaps', 'informed', 'team-a', (o) => {
        o.data = { x: 'y' };
      });
      server.store.remove('configmaps', 'informed', 'team-a');
      await expect.poll(() => seen.slice(-2)).toEqual(['update informed', 'delete informed']);
      expect(informer.get('informed', 'team-a')).toBeUndefined();
    } finally {
      await informer.stop();
    }
  });
});

describe('close()', () => {
  it('ends every open watch stream', async () => {
    const own = await startKubeServer();
    const ownKc = kubeConfigOf(own);
    const a = await collectWatch(ownKc, '/api/v1/namespaces', {});
    const b = await collectWatch(ownKc, '/apis/snapshot.storage.k8s.io/v1/volumesnapshots', { resourceVersion: '1' });
    await expect.poll(() => own.openWatches).toBe(2);
    await own.close();
    expect(await a.done).toBeNull();
    expect(await b.done).toBeNull();
    expect(own.openWatches).toBe(0);
  });
});
