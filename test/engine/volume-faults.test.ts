/**
 * Volumes never cost the archive, through GraphQL over HTTP with the engine
 * rig: volume planning runs before the listing starts; a Kubernetes API that
 * answers 404 or 403 to persistentvolumes (or to the PVCs themselves) gives a
 * PARTIALLY_FAILED snapshot whose archive is stored and complete; the CSI
 * driver of a PVC whose PV is unreadable comes from its StorageClass; vsnap's
 * own VolumeSnapshots never enter an archive.
 */
import { describe, expect, it } from 'vitest';
import { isFinished, readArchive, type EngineRig, useEngineRig } from './harness.ts';
import { expectComplete, expectedEntries } from './archive-contents.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started));

const MANAGED_BY = 'app.kubernetes.io/managed-by';
const VS = 'snapshot.storage.k8s.io/volumesnapshots';
const VSC = 'snapshot.storage.k8s.io/volumesnapshotcontents';

/** A bound PVC whose StorageClass was deleted: with its PV unreadable, nothing can tell its CSI driver. */
function addOrphanClaim(): () => void {
  rig.kube.store.add({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'orphan', namespace: 'team-b' },
    spec: { storageClassName: 'deleted-class', volumeName: 'pv-team-b-orphan', resources: { requests: { storage: '1Gi' } } },
    status: { phase: 'Bound' },
  });
  return () => void rig.kube.store.remove('persistentvolumeclaims', 'orphan', 'team-b');
}

/** Index of the first request the test server logged that matches. */
const firstRequest = (match: (request: { method: string; path: string; query: string }) => boolean) => rig.kube.requests.findIndex(match);

describe.each([
  { status: 403, refuse: () => rig.kube.faults.forbidden.add('persistentvolumes'), reason: 'forbidden (403)' },
  { status: 404, refuse: () => rig.kube.faults.notFound.add('persistentvolumes'), reason: 'not found (404)' },
])('the API answers $status to persistentvolumes', ({ refuse, reason }) => {
  it('PARTIALLY_FAILED with the archive stored and complete; each volume planned, skipped or failed with its reason', async () => {
    refuse();
    const removeOrphan = addOrphanClaim();
    try {
      rig.kube.requests.length = 0;
      const cluster = await rig.registerCluster({ policy: { volumeSnapshotsEnabled: true } });
      const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);

      expect(snapshot.status).toBe('PARTIALLY_FAILED');
      const problem = `cannot list PersistentVolumes: ${reason}`;
      const volumes = Object.fromEntries(snapshot.volumeSnapshots.map((v) => [`${v.namespace}/${v.pvcName}`, v]));
      // The driver of the CSI volumes comes from their StorageClass: they are taken as usual.
      expect(volumes['team-a/data']).toMatchObject({ phase: 'COMPLETED', driver: 'csi.example.com', volumeSnapshotClass: 'csi-example-snapclass' });
      expect(volumes['team-a/logs']).toMatchObject({ phase: 'COMPLETED', driver: 'csi.example.com' });
      expect(volumes['team-b/cache']).toMatchObject({ phase: 'SKIPPED', message: 'not a CSI volume (StorageClass local-storage provisioner kubernetes.io/no-provisioner)' });
      expect(volumes['team-b/archive']).toMatchObject({ phase: 'SKIPPED', message: 'no VolumeSnapshotClass for driver other.csi.example.org' });
      expect(volumes['team-b/scratch']).toMatchObject({ phase: 'SKIPPED', message: 'not bound' });
      expect(volumes['team-b/orphan']).toMatchObject({ phase: 'FAILED', driver: null, message: `cannot tell the CSI driver: ${problem}; StorageClass deleted-class not found` });
      expect(Object.keys(volumes)).toHaveLength(6);
      const creating = snapshot.events.find((e) => e.subject === 'VOLUME_SNAPSHOT' && e.to === 'IN_PROGRESS' && e.message?.includes('team-a/'));
      expect(creating?.message).toContain(`; CSI driver from StorageClass csi-fast (${problem})`);
      expect(snapshot.message).toBe(
        `1 of 6 volume snapshots failed: team-b/orphan: cannot tell the CSI driver: ${problem}; StorageClass deleted-class not found. ` +
          `not archived: persistentvolumes: ${reason}`,
      );
      expect(snapshot.skippedResources).toEqual([{ group: '', resource: 'persistentvolumes', reason }]);

      const archive = await readArchive(rig.store(cluster.name), snapshot.name);
      expect(archive.sha256).toBe(snapshot.sha256);
      expectComplete(archive, expectedEntries(rig.kube, { except: ['persistentvolumes'] }));
      const manifest = JSON.parse(archive.entries[0]!.body) as { skipped: unknown[] };
      expect(manifest.skipped).toEqual([{ group: '', resource: 'persistentvolumes', reason }]);
      const recorded = JSON.parse(archive.entries.at(-1)!.body) as { pvcName: string; phase: string }[];
      expect(recorded.map((v) => `${v.pvcName}:${v.phase}`)).toEqual(['data:COMPLETED', 'logs:COMPLETED', 'archive:SKIPPED', 'cache:SKIPPED', 'orphan:FAILED', 'scratch:SKIPPED']);

      // Planning came first: its PVC list before the listing's discovery.
      const planning = firstRequest((r) => r.path === '/api/v1/persistentvolumeclaims');
      const listing = firstRequest((r) => r.path === '/api/v1');
      expect(planning).toBeGreaterThanOrEqual(0);
      expect(planning).toBeLessThan(listing);
    } finally {
      removeOrphan();
    }
  });
});

describe('PVCs that cannot be listed', () => {
  it('PARTIALLY_FAILED with no volume rows and a message naming the planning failure; the archive is stored', async () => {
    rig.kube.faults.forbidden.add('persistentvolumeclaims');
    const cluster = await rig.registerCluster({ policy: { volumeSnapshotsEnabled: true } });
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);

    expect(snapshot.status).toBe('PARTIALLY_FAILED');
    expect(snapshot.volumeSnapshots).toEqual([]);
    expect(snapshot.message).toBe(
      'volume snapshots not taken: cannot list PersistentVolumeClaims in all namespaces: forbidden (403). not archived: persistentvolumeclaims: forbidden (403)',
    );
    expect(snapshot.events.filter((e) => e.subject === 'SNAPSHOT').map((e) => [e.to, e.message])).toEqual([
      ['SCHEDULED', expect.anything()],
      ['IN_PROGRESS', 'taking the snapshot'],
      ['PARTIALLY_FAILED', 'volume snapshots not taken: cannot list PersistentVolumeClaims in all namespaces: forbidden (403)'],
    ]);
    const archive = await readArchive(rig.store(cluster.name), snapshot.name);
    expect(archive.size).toBe(snapshot.sizeBytes);
    expectComplete(archive, expectedEntries(rig.kube, { except: ['persistentvolumeclaims'] }));
  });

  it('without volume snapshots asked for, the same cluster is COMPLETED: planning is not even tried', async () => {
    rig.kube.faults.forbidden.add('persistentvolumeclaims');
    rig.kube.requests.length = 0;
    const cluster = await rig.registerCluster();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.skippedResources).toEqual([{ group: '', resource: 'persistentvolumeclaims', reason: 'forbidden (403)' }]);
    expect(snapshot.message).toBe('not archived: persistentvolumeclaims: forbidden (403)');
    // Only the listing's own requests (pages of 50, probes of 1): none of planning's pages of 500.
    expect(rig.kube.requests.filter((r) => r.query.includes('limit=500'))).toEqual([]);
  });
});

describe("vsnap's own objects", () => {
  it('its VolumeSnapshots and their contents, present during the listing, are not in the archive; the tenant’s are', async () => {
    // Slow snapshots: vsnap's VolumeSnapshots exist all through the listing.
    rig.kube.faults.csi = { mode: 'slow', delayMs: 2_500 };
    rig.kube.store.add({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'tenant-nightly', namespace: 'team-a' },
      spec: { volumeSnapshotClassName: 'csi-example-snapclass', source: { persistentVolumeClaimName: 'data' } },
    });
    const vsnaps = () => rig.kube.store.list(VS).filter((vs) => vs.metadata?.labels?.[MANAGED_BY] === 'vsnap');
    const contentsOf = (names: string[]) => rig.kube.store.list(VSC).filter((c) => names.includes((c.spec as { volumeSnapshotRef: { name: string } }).volumeSnapshotRef.name));
    // The listings of VolumeSnapshots and of their contents wait until vsnap's two exist, with their contents:
    // they are in the cluster while it lists.
    const presentAtListing: Record<string, number> = {};
    rig.kube.faults.before = async (request) => {
      const main = request.verb === 'list' && request.query.get('labelSelector') === `${MANAGED_BY}!=vsnap` && request.query.get('limit') === '50';
      if (!main || (request.resource !== VS && request.resource !== VSC)) return;
      const deadline = Date.now() + 10_000;
      while ((vsnaps().length < 2 || contentsOf(vsnaps().map((vs) => vs.metadata!.name!)).length < 2) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      presentAtListing[request.resource] = vsnaps().length + contentsOf(vsnaps().map((vs) => vs.metadata!.name!)).length;
    };
    try {
      const cluster = await rig.registerCluster({ policy: { volumeSnapshotsEnabled: true } });
      const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
      expect(presentAtListing).toEqual({ [VS]: 4, [VSC]: 4 });
      expect(snapshot.status).toBe('COMPLETED');
      // Cleaned up since.
      expect(vsnaps()).toEqual([]);

      const archive = await readArchive(rig.store(cluster.name), snapshot.name);
      const names = archive.entries.map((e) => e.name);
      const snapshots = names.filter((name) => name.startsWith('resources/snapshot.storage.k8s.io/v1/volumesnapshots/'));
      expect(snapshots).toEqual(['resources/snapshot.storage.k8s.io/v1/volumesnapshots/team-a/tenant-nightly.json']);
      // The tenant's content (the controller made it) is archived; none bound to vsnap's.
      const contents = archive.entries.filter((e) => e.name.startsWith('resources/snapshot.storage.k8s.io/v1/volumesnapshotcontents/'));
      expect(contents.map((e) => (JSON.parse(e.body) as { spec: { volumeSnapshotRef: { name: string } } }).spec.volumeSnapshotRef.name)).toEqual(['tenant-nightly']);
      expect(names.filter((name) => name.includes('vsnap-'))).toEqual([]);
      const manifest = JSON.parse(archive.entries[0]!.body) as { excluded: { resource: string; labelSelector: string }[] };
      expect(manifest.excluded.map((rule) => `${rule.resource} ${rule.labelSelector}`)).toEqual([
        'volumesnapshots app.kubernetes.io/managed-by!=vsnap',
        'volumesnapshotcontents app.kubernetes.io/managed-by!=vsnap',
      ]);
    } finally {
      rig.kube.store.remove(VS, 'tenant-nightly', 'team-a');
      for (const content of rig.kube.store.list(VSC)) rig.kube.store.remove(VSC, content.metadata?.name ?? '');
    }
  });
});
