/**
 * The storage reconciler end to end: objects removed from and put back into a
 * real S3 server move COMPLETED / PARTIALLY_FAILED rows to NOT_FOUND and back;
 * untouched rows and unlistable targets are left alone; snapshots stuck
 * SCHEDULED or IN_PROGRESS are failed or taken. Everything is observed through
 * GraphQL over HTTP.
 */
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { admitKubeconfig } from '../../src/kube/admission.ts';
import { createClusterReader } from '../../src/kube/cluster-reader.ts';
import { connectCluster } from '../../src/kube/connect.ts';
import { EgressPolicy } from '../../src/kube/egress.ts';
import { writeClusterArchive } from '../../src/snapshots/archive.ts';
import { SnapshotSchema, VolumeSnapshotSchema } from '../../src/snapshots/entity.ts';
import type { VolumeSnapshotPhase } from '../../src/snapshots/lifecycle.ts';
import { snapshotObjectName } from '../../src/snapshots/naming.ts';
import { moveSnapshot, moveVolume, scheduleSnapshot } from '../../src/snapshots/transitions.ts';
import { StorageLocationSchema } from '../../src/locations/entity.ts';
import { S3ObjectStore, type ObjectStore } from '../../src/storage/index.ts';
import { BUCKET, isFinished, readArchive, runToCompletion, type EngineRig, useEngineRig } from './harness.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started));


function storeOf(clusterName: string, bucket = BUCKET): ObjectStore {
  return rig.store(clusterName, bucket);
}

async function readObject(store: ObjectStore, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.read(name)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Puts the bytes back under the same name through a real multipart upload. */
async function putObject(store: ObjectStore, name: string, bytes: Buffer): Promise<void> {
  const upload = await store.beginUpload(name);
  await upload.write(Readable.from([bytes]));
}

const transitions = (s: { events: readonly { subject: string; from: string | null; to: string }[] }) =>
  s.events.filter((e) => e.subject === 'SNAPSHOT').map((e) => `${e.from ?? ''}>${e.to}`);

async function takeFinished(clusterId: string) {
  return rig.waitFor(await rig.createSnapshot(clusterId), isFinished);
}

describe('reconcile-storage: stored objects', () => {
  it('marks a vanished object NOT_FOUND and returns it to the status it left when the object reappears', { timeout: 60_000 }, async () => {
    const plain = await rig.registerCluster();
    const gone = await takeFinished(plain.id);
    const untouchedSameTarget = await takeFinished(plain.id);
    rig.kube.faults.csi = { mode: 'ready', perPvc: { 'team-a/logs': { mode: 'fail' } } };
    const withVolumes = await rig.registerCluster({ policy: { volumeSnapshotsEnabled: true } });
    const partial = await takeFinished(withVolumes.id);
    rig.kube.faults.csi = { mode: 'ready' };
    const other = await rig.registerCluster();
    const untouchedOtherTarget = await takeFinished(other.id);

    expect(gone.status).toBe('COMPLETED');
    expect(untouchedSameTarget.status).toBe('COMPLETED');
    expect(partial.status).toBe('PARTIALLY_FAILED');
    expect(untouchedOtherTarget.status).toBe('COMPLETED');

    // Remove two objects from S3, keeping their bytes.
    const plainStore = storeOf(plain.name);
    const volumesStore = storeOf(withVolumes.name);
    const goneBytes = await readObject(plainStore, gone.name);
    const partialBytes = await readObject(volumesStore, partial.name);
    await plainStore.remove(gone.name);
    await volumesStore.remove(partial.name);
    expect(await plainStore.stat(gone.name)).toBeNull();

    await runToCompletion(rig, 'reconcile-storage');
    const missing = await rig.waitFor(gone.id, (s) => s.status === 'NOT_FOUND', 10_000);
    const partialMissing = await rig.waitFor(partial.id, (s) => s.status === 'NOT_FOUND', 10_000);
    expect(transitions(missing)).toEqual(['>SCHEDULED', 'SCHEDULED>IN_PROGRESS', 'IN_PROGRESS>COMPLETED', 'COMPLETED>NOT_FOUND']);
    const missingEvent = missing.events.at(-1)!;
    expect(missingEvent.message).toContain(gone.name);
    expect(missingEvent.message).toContain(gone.location!);
    expect(transitions(partialMissing).slice(-2)).toEqual(['IN_PROGRESS>PARTIALLY_FAILED', 'PARTIALLY_FAILED>NOT_FOUND']);
    expect(partialMissing.events.at(-1)!.message).toContain(partial.name);
    // The rest of the row is untouched: where it was, its size and checksum.
    expect(missing).toMatchObject({ location: gone.location, sizeBytes: gone.sizeBytes, sha256: gone.sha256 });

    // The snapshots whose objects are still there did not move.
    for (const before of [untouchedSameTarget, untouchedOtherTarget]) {
      const after = await rig.snapshot(before.id);
      expect(after.status).toBe('COMPLETED');
      expect(after.events).toEqual(before.events);
    }

    // The same bytes back under the same names.
    await putObject(plainStore, gone.name, goneBytes);
    await putObject(volumesStore, partial.name, partialBytes);
    await runToCompletion(rig, 'reconcile-storage');
    const back = await rig.waitFor(gone.id, (s) => s.status !== 'NOT_FOUND', 10_000);
    const partialBack = await rig.waitFor(partial.id, (s) => s.status !== 'NOT_FOUND', 10_000);
    expect(back.status).toBe('COMPLETED');
    expect(transitions(back).slice(-2)).toEqual(['COMPLETED>NOT_FOUND', 'NOT_FOUND>COMPLETED']);
    expect(back.events.at(-1)!.message).toMatch(/back in storage/);
    // PARTIALLY_FAILED returns to PARTIALLY_FAILED: a failed volume is still failed.
    expect(partialBack.status).toBe('PARTIALLY_FAILED');
    expect(transitions(partialBack).slice(-2)).toEqual(['PARTIALLY_FAILED>NOT_FOUND', 'NOT_FOUND>PARTIALLY_FAILED']);
    expect(partialBack.volumeSnapshots.find((v) => v.pvcName === 'logs')?.phase).toBe('FAILED');

    // A further run with everything in place moves nothing.
    await runToCompletion(rig, 'reconcile-storage');
    for (const before of [back, partialBack, untouchedSameTarget, untouchedOtherTarget]) {
      expect((await rig.snapshot(before.id)).events).toEqual(before.events);
    }
  });

  it('leaves the rows of a storage target that cannot be listed alone', { timeout: 60_000 }, async () => {
    const goneBucket = `vsnap-gone-${process.pid}`;
    await rig.s3.createBucket(goneBucket);
    const unlistable = await rig.registerCluster({ policy: { storageLocation: await rig.createLocation({ bucket: goneBucket, prefix: 'archives' }) } });
    const stranded = await takeFinished(unlistable.id);
    expect(stranded.status).toBe('COMPLETED');
    expect(stranded.location).toBe(`s3://${goneBucket}/archives/${stranded.name}`);
    // A marker in a listable target shows the run did happen.
    const marker = await rig.registerCluster();
    const markerSnapshot = await takeFinished(marker.id);

    // The whole bucket goes (S3 deletes only empty buckets): its listing now fails with NoSuchBucket.
    await rig.store('archives', goneBucket).remove(stranded.name);
    const { port } = new URL(rig.s3.endpoint);
    const client = new Client({
      endPoint: '127.0.0.1',
      port: Number(port),
      useSSL: false,
      accessKey: rig.s3.accessKey,
      secretKey: rig.s3.secretKey,
      region: rig.s3.region,
      pathStyle: true,
    });
    await client.removeBucket(goneBucket);
    expect(await client.bucketExists(goneBucket)).toBe(false);
    await storeOf(marker.name).remove(markerSnapshot.name);

    await runToCompletion(rig, 'reconcile-storage');
    await rig.waitFor(markerSnapshot.id, (s) => s.status === 'NOT_FOUND', 10_000);
    const after = await rig.snapshot(stranded.id);
    // An unlistable store says nothing about its objects: no NOT_FOUND, no event.
    expect(after.status).toBe('COMPLETED');
    expect(after.events).toEqual(stranded.events);
  });
});

describe('reconcile-storage: stuck snapshots', () => {
  /** A SCHEDULED row written through the transitions module, as a crashed API would leave it: no take job. */
  async function leftScheduled(clusterId: string, scheduledAt: Date) {
    const em = rig.app.orm.em.fork();
    const cluster = await em.findOneOrFail(VirtualClusterSchema, { id: clusterId });
    const snapshot = await em.transactional((tx) =>
      scheduleSnapshot(
        tx,
        {
          virtualCluster: cluster,
          projectId: cluster.projectId,
          name: snapshotObjectName(cluster.name, scheduledAt),
          trigger: 'MANUAL',
          volumeSnapshotsEnabled: false,
          scheduledAt,
        },
        'requested through createSnapshot',
      ),
    );
    return { id: snapshot.id, name: snapshot.name };
  }

  it('fails a snapshot that stayed SCHEDULED past the snapshot timeout', async () => {
    const cluster = await rig.registerCluster();
    const stuck = await leftScheduled(cluster.id, new Date(Date.now() - 2 * 3_600_000));
    expect((await rig.snapshot(stuck.id)).status).toBe('SCHEDULED');

    await runToCompletion(rig, 'reconcile-storage');
    const failed = await rig.waitFor(stuck.id, isFinished, 10_000);
    expect(failed.status).toBe('FAILED');
    // testEngineConfig's snapshot timeout is 60 s.
    expect(failed.message).toBe('never started within 60s');
    expect(failed.finishedAt).not.toBeNull();
    expect(failed.startedAt).toBeNull();
    expect(transitions(failed)).toEqual(['>SCHEDULED', 'SCHEDULED>FAILED']);
    expect(failed.events.at(-1)!.message).toBe('never started within 60s');
    // The cluster is free again: a new snapshot is taken normally.
    expect((await takeFinished(cluster.id)).status).toBe('COMPLETED');
  });

  it('gives a SCHEDULED snapshot whose take job was lost a job again, and it is taken', async () => {
    const cluster = await rig.registerCluster();
    // Older than the lock lifetime (4 s), well within the snapshot timeout (60 s).
    const orphan = await leftScheduled(cluster.id, new Date(Date.now() - 10_000));

    await runToCompletion(rig, 'reconcile-storage');
    const taken = await rig.waitFor(orphan.id, isFinished);
    expect(taken.status).toBe('COMPLETED');
    expect(transitions(taken)).toEqual(['>SCHEDULED', 'SCHEDULED>IN_PROGRESS', 'IN_PROGRESS>COMPLETED']);
    expect(await storeOf(cluster.name).stat(orphan.name)).not.toBeNull();
  });

  it('recovers an IN_PROGRESS snapshot whose worker stopped beating: FAILED, its multipart upload aborted', async () => {
    const cluster = await rig.registerCluster();
    const stuck = await leftScheduled(cluster.id, new Date(Date.now() - 120_000));
    // What a worker that died mid-upload leaves: an open multipart upload with a part in it.
    const store = new S3ObjectStore({ ...rig.s3.settings(), bucket: BUCKET, prefix: cluster.name });
    const upload = await store.beginUpload(stuck.name);
    await store.uploadPart(stuck.name, upload.uploadId, 1, Buffer.alloc(64 * 1024, 1));
    const em = rig.app.orm.em.fork();
    await em.transactional(async (tx) => {
      const snapshot = await tx.findOneOrFail(SnapshotSchema, { id: stuck.id });
      const lastBeat = new Date(Date.now() - 60_000);
      const storageLocation = await tx.findOneOrFail(StorageLocationSchema, { name: cluster.storageLocation });
      Object.assign(snapshot, { startedAt: lastBeat, heartbeatAt: lastBeat, storageLocation, uploadId: upload.uploadId });
      await moveSnapshot(tx, snapshot, 'IN_PROGRESS', 'taking the snapshot');
    });
    expect((await rig.s3.pendingUploads(BUCKET)).find((u) => u.uploadId === upload.uploadId)?.parts).toHaveLength(1);

    await runToCompletion(rig, 'reconcile-storage');
    const failed = await rig.waitFor(stuck.id, isFinished, 10_000);
    expect(failed.status).toBe('FAILED');
    expect(failed.message).toMatch(/^worker lost: no heartbeat since /);
    expect(transitions(failed)).toEqual(['>SCHEDULED', 'SCHEDULED>IN_PROGRESS', 'IN_PROGRESS>FAILED']);
    expect((await rig.s3.pendingUploads(BUCKET)).map((u) => u.uploadId)).not.toContain(upload.uploadId);
    expect(await store.stat(stuck.name)).toBeNull();
  });
});

describe('reconcile-storage: lost workers, the store asked first', () => {
  /** An IN_PROGRESS snapshot whose worker stopped beating a minute ago, with volume rows in the given phases. */
  async function lostSnapshot(cluster: { id: string; storageLocation: string }, volumes: Record<string, VolumeSnapshotPhase[]> = {}) {
    const em = rig.app.orm.em.fork();
    return em.transactional(async (tx) => {
      const vc = await tx.findOneOrFail(VirtualClusterSchema, { id: cluster.id });
      const startedAt = new Date(Date.now() - 120_000);
      const snapshot = await scheduleSnapshot(tx, { virtualCluster: vc, projectId: vc.projectId, name: snapshotObjectName(vc.name, startedAt), trigger: 'MANUAL', volumeSnapshotsEnabled: true, scheduledAt: startedAt });
      const lastBeat = new Date(Date.now() - 60_000);
      Object.assign(snapshot, { startedAt, heartbeatAt: lastBeat, storageLocation: await tx.findOneOrFail(StorageLocationSchema, { name: cluster.storageLocation }) });
      await moveSnapshot(tx, snapshot, 'IN_PROGRESS', 'taking the snapshot');
      for (const [pvc, phases] of Object.entries(volumes)) {
        const [namespace, pvcName] = pvc.split('/') as [string, string];
        const volume = tx.create(VolumeSnapshotSchema, { snapshot: snapshot.id, namespace, pvcName, driver: 'csi.example.com' });
        await tx.flush();
        for (const phase of phases) await moveVolume(tx, volume, phase, phase === 'COMPLETED' ? 'temporary objects removed' : undefined);
      }
      return { id: snapshot.id, name: snapshot.name, lastBeat };
    });
  }

  /** A genuine archive of the rig's cluster whose manifest names `snapshotId`, stored under `name`. */
  async function storeArchive(store: ObjectStore, name: string, snapshotId: string): Promise<void> {
    const connection = connectCluster(admitKubeconfig(rig.kube.kubeconfig), EgressPolicy.defaults('test'));
    try {
      const archive = writeClusterArchive({ reader: createClusterReader(connection), snapshotId, clusterName: 'whatever', takenAt: new Date(), vsnapVersion: 'test', pageSize: 50 });
      await (await store.beginUpload(name)).write(archive.stream);
      await archive.done;
    } finally {
      await connection.close();
    }
  }

  it('adopts a complete archive naming the snapshot: unfinished volumes FAILED, PARTIALLY_FAILED "recovered after worker loss", size and sha256 of the object', async () => {
    const cluster = await rig.registerCluster();
    const lost = await lostSnapshot(cluster, {
      'team-a/data': ['IN_PROGRESS', 'COMPLETED_CLEANING_UP', 'COMPLETED'],
      'team-a/logs': ['IN_PROGRESS'],
    });
    const store = storeOf(cluster.name);
    // An archive that could not hold the Secrets: the adopted snapshot says so, as its manifest does.
    rig.kube.faults.forbidden.add('secrets');
    await storeArchive(store, lost.name, lost.id);
    rig.kube.faults.forbidden.clear();

    await runToCompletion(rig, 'reconcile-storage');
    const recovered = await rig.waitFor(lost.id, isFinished, 10_000);
    expect(recovered.skippedResources).toEqual([{ group: '', resource: 'secrets', reason: 'forbidden (403)' }]);
    const lostReason = `worker lost: no heartbeat since ${lost.lastBeat.toISOString()}`;
    expect(recovered.status).toBe('PARTIALLY_FAILED');
    expect(recovered.message).toBe(`recovered after worker loss; 1 of 2 volume snapshots failed: team-a/logs: ${lostReason}`);
    expect(transitions(recovered)).toEqual(['>SCHEDULED', 'SCHEDULED>IN_PROGRESS', 'IN_PROGRESS>PARTIALLY_FAILED']);
    expect(recovered.volumeSnapshots.map((v) => [v.pvcName, v.phase, v.message])).toEqual([
      ['data', 'COMPLETED', 'temporary objects removed'],
      ['logs', 'FAILED', lostReason],
    ]);
    const archive = await readArchive(store, lost.name);
    expect(recovered).toMatchObject({ sizeBytes: archive.size, sha256: archive.sha256, location: `s3://${BUCKET}/${cluster.name}/${lost.name}` });
    expect(recovered.objectCount).toBe(archive.entries.filter((entry) => entry.name.startsWith('resources/')).length);
    expect(recovered.finishedAt).not.toBeNull();
  });

  it('leaves an object that is another snapshot\'s archive alone, aborts the incomplete upload, and FAILS with the reason', async () => {
    const cluster = await rig.registerCluster();
    const lost = await lostSnapshot(cluster);
    const store = storeOf(cluster.name);
    const other = '11111111-2222-4333-8444-555555555555';
    await storeArchive(store, lost.name, other);
    const before = await store.stat(lost.name);
    // And the lost worker's own upload, never completed.
    const s3Store = new S3ObjectStore({ ...rig.s3.settings(), bucket: BUCKET, prefix: cluster.name });
    const upload = await s3Store.beginUpload(lost.name);
    await s3Store.uploadPart(lost.name, upload.uploadId, 1, Buffer.alloc(1024, 1));
    await rig.app.orm.em.fork().nativeUpdate(SnapshotSchema, { id: lost.id }, { uploadId: upload.uploadId });

    await runToCompletion(rig, 'reconcile-storage');
    const failed = await rig.waitFor(lost.id, isFinished, 10_000);
    expect(failed.status).toBe('FAILED');
    expect(failed.message).toBe(
      `worker lost: no heartbeat since ${lost.lastBeat.toISOString()}; the object under its name is not its archive (its manifest names snapshot ${other}) and was left alone`,
    );
    expect(await store.stat(lost.name)).toEqual(before);
    expect((await rig.s3.pendingUploads(BUCKET)).map((u) => u.uploadId)).not.toContain(upload.uploadId);
    expect((await rig.app.orm.em.fork().findOneOrFail(SnapshotSchema, { id: lost.id })).uploadId).toBeNull();
  });

  it('leaves an unreadable object alone and FAILS with the reason', async () => {
    const cluster = await rig.registerCluster();
    const lost = await lostSnapshot(cluster);
    const store = storeOf(cluster.name);
    await putObject(store, lost.name, Buffer.from('not a tar.gz at all'));

    await runToCompletion(rig, 'reconcile-storage');
    const failed = await rig.waitFor(lost.id, isFinished, 10_000);
    expect(failed.status).toBe('FAILED');
    expect(failed.message).toMatch(
      new RegExp(`^worker lost: no heartbeat since ${lost.lastBeat.toISOString().replaceAll('.', '\\.')}; the object under its name is not its archive \\(unreadable: not a tar\\.gz \\(.+\\)\\) and was left alone$`),
    );
    expect((await readObject(store, lost.name)).toString()).toBe('not a tar.gz at all');
  });

  it('leaves the snapshot IN_PROGRESS while its storage cannot be asked, and recovers it once it can', async () => {
    const cluster = await rig.registerCluster();
    const lost = await lostSnapshot(cluster);
    await rig.s3.stop();
    try {
      await runToCompletion(rig, 'reconcile-storage');
      expect((await rig.snapshot(lost.id)).status).toBe('IN_PROGRESS');
      expect(rig.app.logs().some((line) => line.snapshotId === lost.id && line.msg === 'lost snapshot left IN_PROGRESS: its storage cannot be checked now')).toBe(true);
    } finally {
      await rig.s3.start();
    }
    await runToCompletion(rig, 'reconcile-storage');
    const failed = await rig.waitFor(lost.id, isFinished, 10_000);
    expect(failed).toMatchObject({ status: 'FAILED', message: `worker lost: no heartbeat since ${lost.lastBeat.toISOString()}` });
  });
});

describe('reconcile-storage: auto-snapshot schedules', () => {
  it('gives a next run to an enabled policy that has none (written before the due-finder, or by hand)', async () => {
    const cluster = await rig.registerCluster({ policy: { enabled: true, schedule: '0 3 * * *', timeZone: 'Asia/Tokyo' } });
    const nextRunAt = async () =>
      (await rig.app.orm.em.fork().execute<{ next: string | null }[]>('select policy_next_run_at as next from virtual_cluster where id = ?', [cluster.id]))[0]!.next;
    expect(await nextRunAt()).not.toBeNull();
    await rig.app.orm.em.fork().execute('update virtual_cluster set policy_next_run_at = null where id = ?', [cluster.id]);

    await runToCompletion(rig, 'reconcile-storage');
    // 03:00 in Tokyo is 18:00 UTC.
    const next = new Date((await nextRunAt())!);
    expect(next.getUTCHours()).toBe(18);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime()).toBeLessThanOrEqual(Date.now() + 86_400_000);
  });
});
