import { describe, expect, it } from 'vitest';
import { DeleteSnapshotDocument, EngineClusterSnapshotsDocument, EnginePolicyOutcomeDocument, SetAutoSnapshotPolicyDocument, SnapshotDocument } from '../generated/graphql.ts';
import { errorCodes } from '../support/app.ts';
import { STANDARD_SEED } from '../kube/server.ts';
import { BUCKET, isFinished, readArchive, tenantStorageMessage, type EngineRig, useEngineRig } from './harness.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started));

describe('createSnapshot', () => {
  it('takes the snapshot at once: SCHEDULED → IN_PROGRESS → COMPLETED, archive of every object in S3', async () => {
    const cluster = await rig.registerCluster();
    const id = await rig.createSnapshot(cluster.id);
    const snapshot = await rig.waitFor(id, isFinished);

    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.events.map((e) => [e.from, e.to])).toEqual([
      [null, 'SCHEDULED'],
      ['SCHEDULED', 'IN_PROGRESS'],
      ['IN_PROGRESS', 'COMPLETED'],
    ]);
    expect(snapshot.storageLocation).toBe(cluster.storageLocation);
    expect(snapshot.location).toBe(`s3://${BUCKET}/${cluster.name}/${snapshot.name}`);
    expect(snapshot.name).toMatch(new RegExp(`^${cluster.name}-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3}Z\\.tar\\.gz$`));

    const archive = await readArchive(rig.store(cluster.name), snapshot.name);
    expect(archive.sha256).toBe(snapshot.sha256);
    expect(archive.size).toBe(snapshot.sizeBytes);
    expect(archive.entries[0]?.name).toBe('manifest.json');
    expect(archive.entries.at(-1)?.name).toBe('volumes.json');
    const manifest = JSON.parse(archive.entries[0]!.body) as { cluster: string };
    expect(manifest.cluster).toBe(cluster.name);

    // Every seeded object but events, each at resources/<group>/<version>/<resource>/<ns>/<name>.json.
    const resources = archive.entries.filter((entry) => entry.name.startsWith('resources/'));
    expect(resources).toHaveLength(snapshot.objectCount!);
    for (const [type, count] of Object.entries(STANDARD_SEED.counts)) {
      const plural = type.split('/').at(-1)!;
      const written = resources.filter((entry) => entry.name.split('/')[3] === plural && (type.includes('/') ? entry.name.split('/')[1] === type.split('/')[0] : entry.name.split('/')[1] === 'core'));
      if (plural === 'events') expect(written).toHaveLength(0);
      else expect(written.length, type).toBeGreaterThanOrEqual(count);
    }
    const widget = resources.find((entry) => entry.name.startsWith('resources/example.com/v1/widgets/'));
    expect(widget).toBeDefined();
    const object = JSON.parse(widget!.body) as { apiVersion: string; kind: string; metadata: Record<string, unknown> };
    expect(object).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Widget' });
    expect(object.metadata.managedFields).toBeUndefined();
  });

  it('deleteSnapshot removes the archive from storage, then the row', async () => {
    const cluster = await rig.registerCluster();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    const store = rig.store(cluster.name);
    expect(await store.stat(snapshot.name)).not.toBeNull();

    const deleted = await rig.app.request(DeleteSnapshotDocument, { id: snapshot.id }, rig.admin);
    expect(deleted.data?.deleteSnapshot.deletedSnapshotId).toBe(snapshot.id);
    expect(await store.stat(snapshot.name)).toBeNull();
    const read = await rig.app.request(SnapshotDocument, { id: snapshot.id }, rig.admin);
    expect(errorCodes(read)).toEqual(['NOT_FOUND']);
  });

  it('snapshots volumes through every phase; a failed volume makes it PARTIALLY_FAILED', async () => {
    rig.kube.faults.csi = { mode: 'ready', perPvc: { 'team-a/logs': { mode: 'fail' } } };
    const cluster = await rig.registerCluster({ policy: { volumeSnapshotsEnabled: true } });
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);

    expect(snapshot.status).toBe('PARTIALLY_FAILED');
    const byPvc = Object.fromEntries(snapshot.volumeSnapshots.map((v) => [`${v.namespace}/${v.pvcName}`, v]));
    expect(byPvc['team-a/data']).toMatchObject({ phase: 'COMPLETED', driver: 'csi.example.com', volumeSnapshotClass: 'csi-example-snapclass' });
    expect(byPvc['team-a/data']!.snapshotHandle).toBeTruthy();
    expect(byPvc['team-a/data']!.restoreSizeBytes).toBeGreaterThan(0);
    expect(byPvc['team-a/logs']).toMatchObject({ phase: 'FAILED' });
    for (const skipped of STANDARD_SEED.volumes.filter((v) => v.expected === 'skip')) {
      expect(byPvc[`${skipped.namespace}/${skipped.pvc}`]?.phase, skipped.pvc).toBe('SKIPPED');
    }
    const phases = snapshot.events.filter((e) => e.subject === 'VOLUME_SNAPSHOT').map((e) => `${e.from}>${e.to}`);
    expect(new Set(phases)).toEqual(
      new Set([
        'NOT_STARTED>SKIPPED',
        'NOT_STARTED>IN_PROGRESS',
        'IN_PROGRESS>COMPLETED_CLEANING_UP',
        'COMPLETED_CLEANING_UP>COMPLETED',
        'IN_PROGRESS>FAILED_CLEANING_UP',
        'FAILED_CLEANING_UP>FAILED',
      ]),
    );
    expect(snapshot.message).toContain('team-a/logs');

    // volumes.json, last in the archive, says the same.
    const archive = await readArchive(rig.store(cluster.name), snapshot.name);
    const volumes = JSON.parse(archive.entries.at(-1)!.body) as { pvcName: string; phase: string }[];
    expect(volumes.find((v) => v.pvcName === 'data')?.phase).toBe('COMPLETED');
    expect(volumes.find((v) => v.pvcName === 'logs')?.phase).toBe('FAILED');
  });

  it('fails with the reason when the Kubernetes API is unreachable', async () => {
    rig.kube.faults.unavailable = true;
    const cluster = await rig.registerCluster();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toMatch(/unreachable|503|unavailable/i);
    expect(snapshot.location).toBeNull();
    expect(await rig.s3.pendingUploads(BUCKET)).toEqual([]);
  });

  it('fails with the reason when S3 refuses the upload, leaving no object', async () => {
    const location = await rig.createLocation({ bucket: 'no-such-bucket', prefix: 'x' });
    const cluster = await rig.registerCluster({ policy: { storageLocation: location } });
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    expect(snapshot.status).toBe('FAILED');
    // The project admin reads which location and what kind of failure; the bucket is in the log only.
    expect(snapshot.message).toBe(tenantStorageMessage('refused', location));
    expect(rig.failureDetail(snapshot.id)).toMatch(/^storage refused: bucket "no-such-bucket" does not exist at /);
  });

  it('fails with the reason when listing is forbidden', async () => {
    rig.kube.faults.forbidden.add('namespaces');
    const cluster = await rig.registerCluster();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    // A cluster whose namespaces cannot be read is still archived, with the gap named.
    expect(['COMPLETED', 'FAILED']).toContain(snapshot.status);
    expect(snapshot.message).toMatch(/forbidden/i);
  });
});

describe('auto-snapshot policy', () => {
  it('takes a snapshot on its own on the cron tick', { timeout: 90_000 }, async () => {
    const cluster = await rig.registerCluster();
    const set = await rig.app.request(
      SetAutoSnapshotPolicyDocument,
      { virtualClusterId: cluster.id, policy: { enabled: true, schedule: '* * * * *', timeZone: 'Europe/Berlin', storageLocation: cluster.storageLocation } },
      rig.admin,
    );
    expect(set.errors).toBeUndefined();
    const policy = async () => (await rig.app.request(EnginePolicyOutcomeDocument, { id: cluster.id }, rig.admin)).data!.virtualCluster!.autoSnapshotPolicy;
    const next = new Date((await policy()).nextRunAt!);
    expect(next.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
    const deadline = Date.now() + 80_000;
    let found: { id: string; status: string; trigger: string; scheduledAt: string } | undefined;
    while (!found && Date.now() < deadline) {
      const page = await rig.app.request(EngineClusterSnapshotsDocument, { id: cluster.id }, rig.admin);
      found = page.data?.virtualCluster?.snapshots?.edges.map((e) => e.node).find((s) => s.trigger === 'SCHEDULE');
      if (!found) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(found, 'no scheduled snapshot within 80s').toBeDefined();
    const snapshot = await rig.waitFor(found!.id, isFinished);
    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.events.map((e) => e.to)).toEqual(['SCHEDULED', 'IN_PROGRESS', 'COMPLETED']);
    // It fired on its tick (the worker's due-finder woke for it), and the policy says so.
    expect(new Date(found!.scheduledAt).getTime()).toBeGreaterThanOrEqual(next.getTime());
    expect(await policy()).toMatchObject({ lastRun: { status: 'COMPLETED', snapshot: { id: snapshot.id } }, consecutiveFailures: 0 });
    expect(new Date((await policy()).nextRunAt!).getTime()).toBeGreaterThan(next.getTime());
    // Its wait for a worker is in the start-lateness histogram.
    const metrics = await (await fetch(`${rig.app.url}/metrics`)).text();
    expect(Number(metrics.match(/^vsnap_snapshot_start_lateness_seconds_count (\d+)$/m)?.[1])).toBeGreaterThanOrEqual(1);
    // Switching the policy off: no next run.
    await rig.app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy: { enabled: false } }, rig.admin);
    expect((await policy()).nextRunAt).toBeNull();
  });
});
