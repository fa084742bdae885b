/**
 * The simulated CSI snapshot controller, driven through client-node:
 * VolumeSnapshots created with CustomObjectsApi and followed with Watch.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectWatch, kubeConfigOf, type CollectedWatch } from './clients.ts';
import { CSI_DRIVER, SNAPSHOT_CLASS } from './seed.ts';
import { startKubeServer, type KubeObject, type KubeTestServer } from './server.ts';

const GROUP = { group: 'snapshot.storage.k8s.io', version: 'v1' };
const VS = 'snapshot.storage.k8s.io/volumesnapshots';
const VSC = 'snapshot.storage.k8s.io/volumesnapshotcontents';

interface Snapshot extends KubeObject {
  status?: {
    readyToUse?: boolean;
    boundVolumeSnapshotContentName?: string;
    restoreSize?: string;
    creationTime?: string;
    error?: { message: string; time: string };
  };
}

let server: KubeTestServer;
let kc: KubeConfig;
let custom: CustomObjectsApi;
let open: CollectedWatch[] = [];

beforeEach(async () => {
  server = await startKubeServer();
  server.seedStandard();
  kc = kubeConfigOf(server);
  custom = kc.makeApiClient(CustomObjectsApi);
});
afterEach(async () => {
  for (const w of open) w.abort();
  open = [];
  await server.close();
});

/** Creates a VolumeSnapshot of `pvc` and watches it by name from the creation's resourceVersion. */
async function snapshot(namespace: string, pvc: string, className: string | undefined = SNAPSHOT_CLASS) {
  const name = `snap-${pvc}`;
  const created = (await custom.createNamespacedCustomObject({
    ...GROUP,
    namespace,
    plural: 'volumesnapshots',
    body: {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name },
      spec: { ...(className ? { volumeSnapshotClassName: className } : {}), source: { persistentVolumeClaimName: pvc } },
    },
  })) as Snapshot;
  const w = await collectWatch(kc, `/apis/snapshot.storage.k8s.io/v1/namespaces/${namespace}/volumesnapshots`, {
    fieldSelector: `metadata.name=${name}`,
    resourceVersion: created.metadata?.resourceVersion,
  });
  open.push(w);
  return { name, created, watch: w };
}

const statusOfEvents = (w: CollectedWatch) => w.events.map((e) => (e.object as Snapshot).status);

describe('csi controller', () => {
  it("'ready': binds a content and reports readyToUse, seen through Watch", async () => {
    const { name, created, watch } = await snapshot('team-a', 'data');
    expect(created.status).toBeUndefined();
    const ready = (await watch.until((e) => e.object.status?.readyToUse === true)).object as Snapshot;
    expect(ready.status).toMatchObject({ readyToUse: true, restoreSize: '1Gi', creationTime: expect.stringMatching(/Z$/) });
    expect(watch.events.map((e) => e.type)).toEqual(['MODIFIED']);

    const content = server.store.get(VSC, ready.status?.boundVolumeSnapshotContentName ?? '') as KubeObject & { spec: unknown; status: unknown };
    expect(content.spec).toMatchObject({
      driver: CSI_DRIVER,
      deletionPolicy: 'Delete',
      volumeSnapshotClassName: SNAPSHOT_CLASS,
      source: { volumeHandle: 'vol-team-a-data' },
      volumeSnapshotRef: { kind: 'VolumeSnapshot', name, namespace: 'team-a', uid: created.metadata?.uid },
    });
    expect(content.status).toMatchObject({ readyToUse: true, restoreSize: 1024 ** 3, snapshotHandle: expect.stringMatching(/^snap-/) });
    const listed = (await custom.listClusterCustomObject({ ...GROUP, plural: 'volumesnapshotcontents' })) as { items: unknown[] };
    expect(listed.items).toHaveLength(1);
  });

  it("'slow': binds first with readyToUse false, ready only after delayMs", async () => {
    server.faults.csi = { mode: 'slow', delayMs: 300 };
    const started = Date.now();
    const { watch } = await snapshot('team-a', 'data');
    await watch.until((e) => e.object.status?.readyToUse === true, 3_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(statusOfEvents(watch).map((s) => s?.readyToUse)).toEqual([false, true]);
    expect(statusOfEvents(watch)[0]?.boundVolumeSnapshotContentName).toMatch(/^snapcontent-/);
  });

  it("'fail': reports an error with readyToUse false", async () => {
    server.faults.csi = { mode: 'fail' };
    const { watch } = await snapshot('team-a', 'data');
    const failed = (await watch.until((e) => e.object.status?.error !== undefined)).object as Snapshot;
    expect(failed.status).toMatchObject({ readyToUse: false, error: { message: expect.stringContaining('simulated CSI driver failure'), time: expect.any(String) } });
    expect(server.store.count(VSC)).toBe(0);
  });

  it("'never': leaves the status alone", async () => {
    server.faults.csi = { mode: 'never' };
    const { name, watch } = await snapshot('team-a', 'data');
    await server.csi.idle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(watch.events).toEqual([]);
    expect((server.store.get(VS, name, 'team-a') as Snapshot).status).toBeUndefined();
    expect(server.csi.pending).toBe(0);
  });

  it('applies per-PVC behaviour over the default', async () => {
    server.faults.csi = { mode: 'ready', perPvc: { 'team-a/logs': { mode: 'fail', delayMs: 5 } } };
    const data = await snapshot('team-a', 'data');
    const logs = await snapshot('team-a', 'logs');
    await data.watch.until((e) => e.object.status?.readyToUse === true);
    await logs.watch.until((e) => e.object.status?.error !== undefined);
  });

  it('fails snapshots the driver cannot take: non-CSI, class for another driver, unbound, missing class', async () => {
    const cases = [
      await snapshot('team-b', 'cache'),
      await snapshot('team-b', 'archive'),
      await snapshot('team-b', 'scratch'),
      await snapshot('team-a', 'logs', 'no-such-class'),
    ];
    const messages = await Promise.all(cases.map(async (c) => (await c.watch.until((e) => e.object.status?.error)).object.status.error.message as string));
    expect(messages[0]).toMatch(/is not a CSI volume/);
    expect(messages[1]).toMatch(/does not match driver csi\.example\.com/);
    expect(messages[2]).toMatch(/not yet bound/);
    expect(messages[3]).toMatch(/"no-such-class" not found/);
  });

  it('uses the default class of the driver when none is named', async () => {
    const { watch } = await snapshot('team-a', 'data', undefined);
    const ready = (await watch.until((e) => e.object.status?.readyToUse === true)).object as Snapshot;
    const content = server.store.get(VSC, ready.status?.boundVolumeSnapshotContentName ?? '') as { spec: { volumeSnapshotClassName: string } };
    expect(content.spec.volumeSnapshotClassName).toBe(SNAPSHOT_CLASS);
  });

  it('deletes the content with the VolumeSnapshot when the policy is Delete, keeps it with Retain', async () => {
    const a = await snapshot('team-a', 'data');
    const ready = await a.watch.until((e) => e.object.status?.readyToUse === true);
    await custom.deleteNamespacedCustomObject({ ...GROUP, namespace: 'team-a', plural: 'volumesnapshots', name: a.name });
    await a.watch.until((e) => e.type === 'DELETED');
    expect(server.store.get(VSC, ready.object.status.boundVolumeSnapshotContentName)).toBeUndefined();

    server.store.modify('snapshot.storage.k8s.io/volumesnapshotclasses', SNAPSHOT_CLASS, undefined, (klass) => {
      klass.deletionPolicy = 'Retain';
    });
    const b = await snapshot('team-a', 'logs');
    const bReady = await b.watch.until((e) => e.object.status?.readyToUse === true);
    server.store.remove(VS, b.name, 'team-a');
    expect(server.store.get(VSC, bReady.object.status.boundVolumeSnapshotContentName)).toMatchObject({ spec: { deletionPolicy: 'Retain' } });
  });

  it('drops scheduled work for a VolumeSnapshot deleted before it was cut', async () => {
    server.faults.csi = { mode: 'ready', delayMs: 100 };
    const { name } = await snapshot('team-a', 'data');
    server.store.remove(VS, name, 'team-a');
    await server.csi.idle();
    expect(server.store.count(VSC)).toBe(0);
  });
});
