/**
 * Kubernetes faults a snapshot survives, or fails on in bounded time, through
 * GraphQL over HTTP with the engine rig: intermittent 500s and 429s with
 * Retry-After, a continue token expiring mid-list, an API server that always
 * answers 500; skipped resources as a field; retries counted in /metrics.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { isFinished, readArchive, type EngineRig, useEngineRig } from './harness.ts';
import { entryCounts, expectComplete, expectedEntries } from './archive-contents.ts';
import type { FaultRequest } from '../kube/server.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started));
beforeEach(() => {
  rig.kube.requests.length = 0;
});

const isList = (request: FaultRequest) => request.verb === 'list';

/** The value of one series of vsnap_kube_request_retries_total at /metrics (0 when absent). */
async function retriesCounted(reason: string): Promise<number> {
  const text = await (await fetch(`${rig.app.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`vsnap_kube_request_retries_total{reason="${reason}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('transient faults', () => {
  it('one 500 in every 7 list requests and 429s with Retry-After: COMPLETED, every object once, the retries in the message and in metrics', async () => {
    rig.kube.seedSynthetic(600, 'bulk');
    const [before500, before429] = [await retriesCounted('500'), await retriesCounted('429')];
    rig.kube.faults.intermittent = [
      { answer: 500, every: 7, match: isList },
      { answer: 429, every: 11, retryAfter: 1, limit: 2, match: isList },
    ];
    try {
      const cluster = await rig.registerCluster();
      const started = Date.now();
      const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished, 60_000);

      expect(snapshot.status).toBe('COMPLETED');
      const faults = rig.kube.requests.filter((r) => r.fault !== undefined);
      const fives = faults.filter((r) => r.fault === '500').length;
      expect(fives).toBeGreaterThanOrEqual(3);
      expect(faults.filter((r) => r.fault === '429')).toHaveLength(2);
      // Two Retry-After waits of a second each were honoured.
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
      expect(snapshot.message).toMatch(/^\d+ Kubernetes requests retried( \d+ times)? \((500, 429|429, 500)\)$/);
      const archive = await readArchive(rig.store(cluster.name), snapshot.name);
      expectComplete(archive, expectedEntries(rig.kube));
      expect(snapshot.objectCount).toBe(expectedEntries(rig.kube).length);
      expect((await retriesCounted('500')) - before500).toBe(fives);
      expect((await retriesCounted('429')) - before429).toBe(2);
    } finally {
      for (const configmap of rig.kube.store.list('configmaps', 'bulk')) rig.kube.store.remove('configmaps', configmap.metadata?.name ?? '', 'bulk');
    }
  });

  it('a continue token that expires mid-list: COMPLETED, every object exactly once', async () => {
    rig.kube.seedSynthetic(300, 'bulk');
    // The 3rd continue token of the ConfigMaps list answers 410: pages 1-3 (150 objects) are written, then the list restarts.
    rig.kube.faults.expireContinue = { resource: 'configmaps', afterPage: 3 };
    // Meanwhile the cluster changes (at the first continue token): one written object is deleted, a new one created.
    let changed = false;
    const change = (request: FaultRequest) => {
      if (!changed && request.resource === 'configmaps' && request.query.get('continue')) {
        changed = true;
        rig.kube.store.remove('configmaps', 'synthetic-000010', 'bulk');
        rig.kube.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'synthetic-new', namespace: 'bulk' }, data: { late: 'yes' } });
      }
      return false;
    };
    rig.kube.faults.intermittent = [{ answer: 500, match: change }];
    try {
      const cluster = await rig.registerCluster();
      const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished, 60_000);

      expect(snapshot.status).toBe('COMPLETED');
      expect(changed).toBe(true);
      expect(rig.kube.requests.filter((r) => r.fault === '410')).toHaveLength(1);
      expect(snapshot.message).toBe('1 Kubernetes request retried (410)');
      const archive = await readArchive(rig.store(cluster.name), snapshot.name);
      const configmaps = [...entryCounts(archive)].filter(([name]) => name.startsWith('resources/core/v1/configmaps/'));
      expect(configmaps.filter(([, count]) => count !== 1)).toEqual([]);
      // What is there now, plus the object deleted after it was written (the archive holds it as it was read).
      const deleted = 'resources/core/v1/configmaps/bulk/synthetic-000010.json';
      expectComplete(archive, [...expectedEntries(rig.kube), deleted].sort());
      expect(configmaps.map(([name]) => name)).toContain('resources/core/v1/configmaps/bulk/synthetic-new.json');
      expect(snapshot.objectCount).toBe(expectedEntries(rig.kube).length + 1);
    } finally {
      for (const configmap of rig.kube.store.list('configmaps', 'bulk')) rig.kube.store.remove('configmaps', configmap.metadata?.name ?? '', 'bulk');
    }
  });
});

describe('an API server that keeps failing', () => {
  it('always 500: FAILED in bounded time, the message naming the request, the status and the retries', async () => {
    rig.kube.faults.intermittent = [{ answer: 500, every: 1 }];
    const cluster = await rig.registerCluster();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished, 20_000);

    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(`Kubernetes API "${rig.kube.url}" answered 500 to discover /api/v1. 1 Kubernetes request retried 4 times (500)`);
    // The rig's settings: 5 attempts, waits below 20, 40, 80, 160 ms.
    expect(rig.kube.requests.filter((r) => r.path === '/api/v1')).toHaveLength(5);
    expect(new Date(snapshot.finishedAt!).getTime() - new Date(snapshot.startedAt!).getTime()).toBeLessThan(5_000);
  });

  it('with volumes: planning is retried too, then fails the volumes, and the listing fails the snapshot', async () => {
    rig.kube.faults.intermittent = [{ answer: 503, every: 1 }];
    const cluster = await rig.registerCluster({ policy: { volumeSnapshotsEnabled: true } });
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished, 20_000);

    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toMatch(new RegExp(`^Kubernetes API "${rig.kube.url.replaceAll('.', '\\.')}" unavailable \\(503\\) to discover /api/v1\\. \\d+ Kubernetes requests retried \\d+ times \\(503\\)$`));
    expect(snapshot.volumeSnapshots).toEqual([]);
    expect(new Date(snapshot.finishedAt!).getTime() - new Date(snapshot.startedAt!).getTime()).toBeLessThan(5_000);
  });
});

describe('Snapshot.skippedResources', () => {
  it('names a forbidden resource in a field, not only in the message', async () => {
    rig.kube.faults.forbidden.add('secrets');
    rig.kube.faults.forbidden.add('apps/deployments');
    const cluster = await rig.registerCluster();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);

    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.skippedResources).toEqual([
      { group: '', resource: 'secrets', reason: 'forbidden (403)' },
      { group: 'apps', resource: 'deployments', reason: 'forbidden (403)' },
    ]);
    expect(snapshot.message).toBe('not archived: secrets: forbidden (403); deployments.apps: forbidden (403)');
    const archive = await readArchive(rig.store(cluster.name), snapshot.name);
    expectComplete(archive, expectedEntries(rig.kube, { except: ['secrets', 'apps/deployments'] }));
  });

  it('is empty when everything was archived', async () => {
    const cluster = await rig.registerCluster();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.skippedResources).toEqual([]);
    expect(snapshot.message).toBeNull();
  });
});
