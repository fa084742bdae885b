import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ClusterAccessError,
  createClusterReader,
  resourceKey,
  type ClusterReader,
  type KubeObject,
  type ListOptions,
  type ResourceType,
} from '../../src/kube/cluster-reader.ts';
import type { ClusterConnection } from '../../src/kube/connect.ts';
import { KubeRetries } from '../../src/kube/retry.ts';
import { EXCLUDED_OBJECTS, writeClusterArchive, type ArchiveManifest, type ArchiveOptions } from '../../src/snapshots/archive.ts';
import { startKubeServer, type KubeTestServer } from '../kube/server.ts';
import { connectTo } from '../support/kubeconfig.ts';

interface Entry {
  name: string;
  body: string;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function untar(gz: Buffer): Promise<Entry[]> {
  const entries: Entry[] = [];
  const tar = extract();
  Readable.from([gz]).pipe(createGunzip()).pipe(tar);
  for await (const entry of tar) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.push({ name: entry.header.name, body: Buffer.concat(chunks).toString('utf8') });
  }
  return entries;
}

const configmaps: ResourceType = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
const secrets: ResourceType = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true };
const classes: ResourceType = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', namespaced: false };

/** An in-memory reader: `objects` per resource key, optional per-resource failures. */
class FakeReader implements ClusterReader {
  readonly server = 'https://fake.invalid';
  pulled = 0;
  listsClosed = 0;
  constructor(
    private readonly types: ResourceType[],
    private readonly objects: (type: ResourceType) => Iterable<KubeObject>,
    private readonly failures: { probe?: Record<string, Error>; list?: Record<string, { after: number; error: Error }> } = {},
  ) {}

  async discover(): Promise<ResourceType[]> {
    return this.types;
  }

  async estimateCount(type: ResourceType): Promise<number | null> {
    const failure = this.failures.probe?.[resourceKey(type)];
    if (failure) throw failure;
    let count = 0;
    for (const _ of this.objects(type)) if (++count > 1_000) return null;
    return count;
  }

  async *list(type: ResourceType, options: ListOptions): AsyncIterable<KubeObject> {
    const failure = this.failures.list?.[resourceKey(type)];
    let n = 0;
    try {
      for (const object of this.objects(type)) {
        options.signal?.throwIfAborted();
        if (failure && n === failure.after) throw failure.error;
        this.pulled += 1;
        n += 1;
        yield object;
      }
      if (failure && n === failure.after) throw failure.error;
    } finally {
      this.listsClosed += 1;
    }
  }
}

function object(type: ResourceType, name: string, namespace?: string, data = 'x'): KubeObject {
  const apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
  return { apiVersion, kind: type.kind, metadata: { name, ...(namespace ? { namespace } : {}) }, data: { value: data } };
}

function options(reader: ClusterReader, extra: Partial<ArchiveOptions> = {}): ArchiveOptions {
  return {
    reader,
    snapshotId: '0b7c7e2e-5d0a-4f57-9f0e-6a1d8c3b2a10',
    clusterName: 'team-a',
    takenAt: new Date('2026-01-02T03:04:05.678Z'),
    vsnapVersion: '0.1.0-test',
    pageSize: 50,
    ...extra,
  };
}

const forbidden = (resource: string) =>
  new ClusterAccessError('forbidden', `Kubernetes API https://fake.invalid: forbidden: cannot list ${resource}`, 'https://fake.invalid', resource, 403);

describe('writeClusterArchive with an in-memory reader', () => {
  it('writes manifest first, one entry per object at its path, volumes last; summary matches the bytes', async () => {
    const reader = new FakeReader([configmaps, classes], (type) =>
      type === configmaps
        ? [object(configmaps, 'a', 'ns1'), object(configmaps, 'b', 'ns2')]
        : [object(classes, 'fast')],
    );
    const archive = writeClusterArchive(options(reader, { volumes: async () => [{ pvc: 'data', phase: 'COMPLETED' }] }));
    const bytes = await collect(archive.stream);
    const summary = await archive.done;

    expect(summary.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(summary.sizeBytes).toBe(bytes.byteLength);
    expect(summary).toMatchObject({ objectCount: 3, countsByResource: { configmaps: 2, 'storageclasses.storage.k8s.io': 1 }, skipped: [] });

    const entries = await untar(bytes);
    expect(entries.map((e) => e.name)).toEqual([
      'manifest.json',
      'resources/core/v1/configmaps/ns1/a.json',
      'resources/core/v1/configmaps/ns2/b.json',
      'resources/storage.k8s.io/v1/storageclasses/_cluster/fast.json',
      'volumes.json',
    ]);
    const manifest = JSON.parse(entries[0]!.body) as ArchiveManifest;
    expect(manifest).toMatchObject({
      formatVersion: 1,
      snapshotId: '0b7c7e2e-5d0a-4f57-9f0e-6a1d8c3b2a10',
      cluster: 'team-a',
      takenAt: '2026-01-02T03:04:05.678Z',
      vsnapVersion: '0.1.0-test',
      skipped: [],
    });
    expect(manifest.resources.map((r) => [r.resource, r.countAtDiscovery, r.path])).toEqual([
      ['configmaps', 2, 'resources/core/v1/configmaps'],
      ['storageclasses', 1, 'resources/storage.k8s.io/v1/storageclasses'],
    ]);
    expect(JSON.parse(entries[1]!.body)).toEqual(object(configmaps, 'a', 'ns1'));
    expect(JSON.parse(entries.at(-1)!.body)).toEqual([{ pvc: 'data', phase: 'COMPLETED' }]);
  });

  it('writes an empty volumes.json when no volumes are asked for', async () => {
    const archive = writeClusterArchive(options(new FakeReader([configmaps], () => [])));
    const entries = await untar(await collect(archive.stream));
    expect(entries.map((e) => [e.name, e.body])).toEqual([
      ['manifest.json', expect.any(String)],
      ['volumes.json', '[]'],
    ]);
    await expect(archive.done).resolves.toMatchObject({ objectCount: 0, countsByResource: { configmaps: 0 } });
  });

  it('skips a resource it may not list, records why in the manifest and the summary, and goes on', async () => {
    const reader = new FakeReader([configmaps, secrets], (type) => [object(type, 'one', 'ns')], {
      probe: { secrets: forbidden('secrets') },
    });
    const archive = writeClusterArchive(options(reader));
    const entries = await untar(await collect(archive.stream));
    const summary = await archive.done;
    const skipped = [{ group: '', resource: 'secrets', reason: 'forbidden (403)' }];
    expect(summary.skipped).toEqual(skipped);
    expect(summary.countsByResource).toEqual({ configmaps: 1 });
    const manifest = JSON.parse(entries[0]!.body) as ArchiveManifest;
    expect(manifest.skipped).toEqual(skipped);
    expect(manifest.resources.map((r) => r.resource)).toEqual(['configmaps']);
    expect(entries.some((e) => e.name.includes('/secrets/'))).toBe(false);
  });

  it('skips a resource whose list is forbidden before any object, but fails one forbidden half-way', async () => {
    const early = new FakeReader([configmaps, secrets], (type) => [object(type, 'one', 'ns'), object(type, 'two', 'ns')], {
      list: { secrets: { after: 0, error: forbidden('secrets') } },
    });
    const ok = writeClusterArchive(options(early));
    await collect(ok.stream);
    await expect(ok.done).resolves.toMatchObject({ countsByResource: { configmaps: 2 }, skipped: [{ resource: 'secrets' }] });

    const late = new FakeReader([configmaps, secrets], (type) => [object(type, 'one', 'ns'), object(type, 'two', 'ns')], {
      list: { secrets: { after: 1, error: forbidden('secrets') } },
    });
    const bad = writeClusterArchive(options(late));
    await expect(collect(bad.stream)).rejects.toThrow('forbidden: cannot list secrets');
    await expect(bad.done).rejects.toBeInstanceOf(ClusterAccessError);
  });

  it('fails when every resource is forbidden', async () => {
    const reader = new FakeReader([configmaps, secrets], () => [], {
      probe: { configmaps: forbidden('configmaps'), secrets: forbidden('secrets') },
    });
    const archive = writeClusterArchive(options(reader));
    await expect(collect(archive.stream)).rejects.toMatchObject({ kind: 'forbidden', message: expect.stringContaining('cannot list any resource') });
    await expect(archive.done).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it('destroys the stream with the reader error', async () => {
    const boom = new ClusterAccessError('unreachable', 'Kubernetes API https://fake.invalid unreachable: boom', 'https://fake.invalid');
    const reader = new FakeReader([configmaps], () => Array.from({ length: 10 }, (_, i) => object(configmaps, `c${i}`, 'ns')), {
      list: { configmaps: { after: 5, error: boom } },
    });
    const archive = writeClusterArchive(options(reader));
    await expect(collect(archive.stream)).rejects.toBe(boom);
    await expect(archive.done).rejects.toBe(boom);
  });

  it('stops on the abort signal with its reason', async () => {
    const controller = new AbortController();
    const reader = new FakeReader([configmaps], function* () {
      for (let i = 0; ; i++) yield object(configmaps, `c${i}`, 'ns', randomBytes(64).toString('hex'));
    });
    const archive = writeClusterArchive(options(reader, { signal: controller.signal }));
    const reason = new Error('job cancelled');
    let read = 0;
    const consumed = (async () => {
      for await (const chunk of archive.stream) {
        read += (chunk as Buffer).byteLength;
        if (read > 200_000) controller.abort(reason);
      }
    })();
    await expect(consumed).rejects.toBe(reason);
    await expect(archive.done).rejects.toBe(reason);
    expect(reader.listsClosed).toBe(1);
  });

  it('reads no further than the consumer: backpressure holds the listing, and an early close stops it', async () => {
    const reader = new FakeReader([configmaps], function* () {
      for (let i = 0; i < 1_000_000; i++) yield object(configmaps, `c${i}`, 'ns', randomBytes(256).toString('hex'));
    });
    const archive = writeClusterArchive(options(reader));
    // Nobody reads yet: the pipeline fills its buffers and stalls. However slow the machine,
    // it stalls: wait until two samples 200 ms apart agree, then it stays put.
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    let stalledAt = -1;
    for (let tries = 0; tries < 50 && reader.pulled !== stalledAt; tries++) {
      stalledAt = reader.pulled;
      await sleep(200);
    }
    expect(reader.pulled).toBe(stalledAt);
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt).toBeLessThan(2_000);
    await sleep(200);
    expect(reader.pulled).toBe(stalledAt);

    archive.stream.destroy();
    await expect(archive.done).rejects.toThrow();
    await expect.poll(() => reader.listsClosed).toBe(1);
  });
});

describe('writeClusterArchive against the Kubernetes API test server', () => {
  let server: KubeTestServer;
  let connection: ClusterConnection;
  let reader: ClusterReader;

  beforeEach(async () => {
    server = await startKubeServer();
    // Retries as by default, with short waits.
    connection = connectTo(server.kubeconfig, undefined, { retries: new KubeRetries({ baseDelayMs: 5 }) });
    reader = createClusterReader(connection, { timeoutMs: 5_000 });
  });

  afterEach(async () => {
    await connection.close();
    await server.close();
  });

  /** The test server's name for a resource: "configmaps", "apps/deployments". */
  const storeType = (type: ResourceType) => (type.group ? `${type.group}/${type.resource}` : type.resource);

  it('round-trips every object of the cluster, CRs included, with exact counts and checksum', async () => {
    server.seedStandard();
    server.seedSynthetic(1500);
    const volumes = [{ namespace: 'team-a', pvc: 'data', phase: 'COMPLETED' }];
    const archive = writeClusterArchive(options(reader, { pageSize: 100, volumes: () => volumes }));
    const bytes = await collect(archive.stream);
    const summary = await archive.done;
    expect(summary.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(summary.sizeBytes).toBe(bytes.byteLength);
    expect(summary.skipped).toEqual([]);

    const entries = await untar(bytes);
    expect(entries[0]!.name).toBe('manifest.json');
    expect(entries.at(-1)).toEqual({ name: 'volumes.json', body: JSON.stringify(volumes) });
    const manifest = JSON.parse(entries[0]!.body) as ArchiveManifest;
    const byName = new Map(entries.map((e) => [e.name, e.body]));
    expect(byName.size).toBe(entries.length);

    const types = await reader.discover();
    expect(manifest.resources.map((r) => resourceKey(r))).toEqual(types.map((t) => resourceKey(t)));
    let total = 0;
    for (const type of types) {
      const stored = server.store.list(storeType(type));
      total += stored.length;
      expect(summary.countsByResource[resourceKey(type)], resourceKey(type)).toBe(stored.length);
      expect(manifest.resources.find((r) => resourceKey(r) === resourceKey(type))?.countAtDiscovery).toBe(stored.length);
      for (const object of stored) {
        const { managedFields: _, ...metadata } = object.metadata ?? {};
        const path = `resources/${type.group || 'core'}/${type.version}/${type.resource}/${metadata.namespace ?? '_cluster'}/${metadata.name}.json`;
        expect(byName.has(path), path).toBe(true);
        expect(JSON.parse(byName.get(path)!)).toEqual({ ...object, metadata });
      }
    }
    expect(summary.objectCount).toBe(total);
    expect(entries).toHaveLength(total + 2);
    expect(summary.countsByResource['widgets.example.com']).toBe(3);
    expect(entries.some((e) => e.name.includes('/events/'))).toBe(false);
  });

  it('skips a forbidden resource, lists it in the manifest and the summary, and archives the rest', async () => {
    server.seedStandard();
    server.faults.forbidden.add('secrets');
    const archive = writeClusterArchive(options(reader));
    const entries = await untar(await collect(archive.stream));
    const summary = await archive.done;
    const skipped = [{ group: '', resource: 'secrets', reason: 'forbidden (403)' }];
    expect(summary.skipped).toEqual(skipped);
    expect((JSON.parse(entries[0]!.body) as ArchiveManifest).skipped).toEqual(skipped);
    expect(entries.some((e) => e.name.startsWith('resources/core/v1/secrets/'))).toBe(false);
    expect(summary.countsByResource.configmaps).toBe(server.store.count('configmaps'));
  });

  it('skips a resource the server answers 404 (gone since discovery) as not found', async () => {
    server.seedStandard();
    server.faults.notFound.add('persistentvolumes');
    const archive = writeClusterArchive(options(reader));
    const entries = await untar(await collect(archive.stream));
    const summary = await archive.done;
    expect(summary.skipped).toEqual([{ group: '', resource: 'persistentvolumes', reason: 'not found (404)' }]);
    expect(entries.some((e) => e.name.startsWith('resources/core/v1/persistentvolumes/'))).toBe(false);
    expect(summary.countsByResource.persistentvolumeclaims).toBe(5);
  });

  it("leaves vsnap's own VolumeSnapshots and their contents out, and the manifest says so", async () => {
    server.seedStandard();
    // The contents are made here, by hand: the simulated controller stays out of it.
    server.faults.csi = { mode: 'never' };
    const snapshot = (namespace: string, name: string, labels: Record<string, string> = {}) =>
      server.store.add({
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name, namespace, labels },
        spec: { source: { persistentVolumeClaimName: 'data' } },
      });
    const content = (name: string, ref: { namespace: string; name: string }, labels: Record<string, string> = {}) =>
      server.store.add({
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshotContent',
        metadata: { name, labels },
        spec: { deletionPolicy: 'Retain', driver: 'csi.example.com', volumeSnapshotRef: ref, source: { snapshotHandle: name } },
      });
    // The tenant's own snapshot and content are archived.
    snapshot('team-a', 'nightly');
    content('snapcontent-nightly', { namespace: 'team-a', name: 'nightly' });
    // vsnap's from an earlier run: labelled snapshot, unlabelled content (the controller copies no labels).
    snapshot('team-a', 'vsnap-earlier', { 'app.kubernetes.io/managed-by': 'vsnap' });
    content('snapcontent-earlier', { namespace: 'team-a', name: 'vsnap-earlier' });
    // A labelled content, and a content of a snapshot this run creates (its VolumeSnapshot not listed yet).
    content('snapcontent-labelled', { namespace: 'team-b', name: 'whatever' }, { 'app.kubernetes.io/managed-by': 'vsnap' });
    content('snapcontent-this-run', { namespace: 'team-a', name: 'vsnap-this-run' });

    const archive = writeClusterArchive(options(reader, { ownVolumeSnapshots: new Set(['team-a/vsnap-this-run']) }));
    const entries = await untar(await collect(archive.stream));
    const summary = await archive.done;
    const snapshotEntries = entries.map((e) => e.name).filter((name) => /^resources\/snapshot\.storage\.k8s\.io\/v1\/volumesnapshot(s|contents)\//.test(name));
    expect(snapshotEntries).toEqual([
      'resources/snapshot.storage.k8s.io/v1/volumesnapshots/team-a/nightly.json',
      'resources/snapshot.storage.k8s.io/v1/volumesnapshotcontents/_cluster/snapcontent-nightly.json',
    ]);
    expect(summary.countsByResource['volumesnapshots.snapshot.storage.k8s.io']).toBe(1);
    expect(summary.countsByResource['volumesnapshotcontents.snapshot.storage.k8s.io']).toBe(1);
    const manifest = JSON.parse(entries[0]!.body) as ArchiveManifest;
    expect(manifest.excluded).toEqual([...EXCLUDED_OBJECTS]);
    expect(manifest.excluded.map((rule) => [rule.resource, rule.labelSelector])).toEqual([
      ['volumesnapshots', 'app.kubernetes.io/managed-by!=vsnap'],
      ['volumesnapshotcontents', 'app.kubernetes.io/managed-by!=vsnap'],
    ]);
    // The API server does the label filtering: vsnap's objects are never even sent.
    const lists = server.requests.filter((r) => r.path === '/apis/snapshot.storage.k8s.io/v1/volumesnapshots').map((r) => new URLSearchParams(r.query).get('labelSelector'));
    expect(lists).toEqual(expect.arrayContaining(['app.kubernetes.io/managed-by!=vsnap', 'app.kubernetes.io/managed-by=vsnap']));
    expect(lists.every((selector) => selector !== null)).toBe(true);
  });

  it('lists resource types concurrently, at most four at a time, and gives the same archive whatever the answers\' timing', async () => {
    server.seedStandard();
    server.seedSynthetic(60);
    const archiveOf = async () => {
      const archive = writeClusterArchive(options(reader, { pageSize: 7 }));
      const bytes = await collect(archive.stream);
      return { entries: (await untar(bytes)).map((e) => e.name), summary: await archive.done };
    };
    const reference = await archiveOf();
    expect(reference.entries.filter((name) => name.startsWith('resources/core/v1/configmaps/')).length).toBeGreaterThan(60);

    for (const seed of [1, 2, 3]) {
      // Each list answer waits 0–19 ms, drawn from a seeded generator: pages and types arrive out of order.
      let state = seed;
      const delay = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) % 20;
      let inFlight = 0;
      let most = 0;
      server.faults.before = async (request) => {
        // Count the listing's requests only: discovery-time probes ask for one object.
        if (request.verb !== 'list' || request.query.get('limit') === '1') return;
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, delay()));
        inFlight -= 1;
      };
      const run = await archiveOf();
      expect(run.entries, `seed ${seed}`).toEqual(reference.entries);
      expect(run.summary.sha256, `seed ${seed}`).toBe(reference.summary.sha256);
      expect(most, `seed ${seed}`).toBeGreaterThanOrEqual(2);
      expect(most, `seed ${seed}`).toBeLessThanOrEqual(4);
    }
  });

  it('fails with unreachable, quickly, when the API server is unavailable', async () => {
    server.faults.unavailable = true;
    const started = Date.now();
    const archive = writeClusterArchive(options(reader));
    await expect(collect(archive.stream)).rejects.toMatchObject({ kind: 'unreachable' });
    await expect(archive.done).rejects.toBeInstanceOf(ClusterAccessError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails with unauthorized on a wrong token', async () => {
    const strangerConnection = connectTo(server.kubeconfig.replace(server.token, 'wrong'));
    const stranger = createClusterReader(strangerConnection);
    try {
      const archive = writeClusterArchive(options(stranger));
      await expect(collect(archive.stream)).rejects.toMatchObject({ kind: 'unauthorized' });
      await expect(archive.done).rejects.toMatchObject({ kind: 'unauthorized' });
    } finally {
      await strangerConnection.close();
    }
  });
});
