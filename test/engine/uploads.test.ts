/**
 * Storage first, and no orphans. An unusable store fails the snapshot within a
 * second, before the Kubernetes API hears a single request (S3 stopped: the
 * multipart upload cannot be initiated; LOCAL: the directory cannot be made).
 * An upload whose abort failed keeps its id until the reconciler has aborted
 * it, and uploads nobody recorded (a worker died before it could) are found
 * by listing the locations' incomplete uploads and aborted once older than the
 * snapshot timeout. Observed through GraphQL over HTTP, the S3 server's own
 * directory and the snapshot rows.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { StorageLocationSchema } from '../../src/locations/entity.ts';
import { SnapshotSchema } from '../../src/snapshots/entity.ts';
import { snapshotObjectName } from '../../src/snapshots/naming.ts';
import { moveSnapshot, scheduleSnapshot } from '../../src/snapshots/transitions.ts';
import { S3ObjectStore } from '../../src/storage/index.ts';
import { CreateStorageLocationDocument } from '../generated/graphql.ts';
import { waitFor } from '../server/helpers.ts';
import { BUCKET, isFinished, runToCompletion, tenantStorageMessage, type EngineRig, useEngineRig } from './harness.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started));

type Snapshot = Awaited<ReturnType<EngineRig['snapshot']>>;

/** Milliseconds from the snapshot's move to IN_PROGRESS to its move to `to`, by the events' own times. */
function msInProgress(snapshot: Snapshot, to: string): number {
  const started = snapshot.events.find((e) => e.subject === 'SNAPSHOT' && e.to === 'IN_PROGRESS');
  const ended = snapshot.events.find((e) => e.subject === 'SNAPSHOT' && e.to === to);
  return Date.parse(ended!.at as string) - Date.parse(started!.at as string);
}

const uploadIdOf = async (id: string) => (await rig.app.orm.em.fork().findOneOrFail(SnapshotSchema, { id })).uploadId;

describe('fail fast: the store is checked before the cluster is read', () => {
  it('S3 stopped (connection refused): FAILED within a second, no Kubernetes request made', async () => {
    const cluster = await rig.registerCluster();
    await rig.s3.stop();
    try {
      rig.kube.requests.length = 0;
      const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished, 10_000);
      expect(snapshot.status).toBe('FAILED');
      expect(snapshot.message).toBe(tenantStorageMessage('unreachable', cluster.storageLocation));
      expect(rig.failureDetail(snapshot.id)).toMatch(/^storage unreachable: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED/);
      const ms = msInProgress(snapshot, 'FAILED');
      console.log(`S3 stopped: IN_PROGRESS → FAILED in ${ms} ms`);
      expect(ms).toBeLessThan(1_000);
      expect(rig.kube.requests).toEqual([]);
      expect(await uploadIdOf(snapshot.id)).toBeNull();
    } finally {
      await rig.s3.start();
    }
  });

  it('LOCAL directory that cannot be made (a file stands in its place): FAILED within a second, no Kubernetes request made', async () => {
    const root = rig.storage!.localRoot;
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    await fs.writeFile(path.join(root, 'blocked'), 'not a directory');
    const created = await rig.app.request(CreateStorageLocationDocument, { input: { name: 'local-blocked', kind: 'LOCAL', directory: 'blocked' } }, rig.admin);
    expect(created.errors).toBeUndefined();
    const cluster = await rig.registerCluster({ policy: { storageLocation: 'local-blocked' } });

    rig.kube.requests.length = 0;
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished, 10_000);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(tenantStorageMessage('refused', 'local-blocked'));
    expect(rig.failureDetail(snapshot.id)).toBe(
      `storage refused: ${path.join(root, 'blocked')} is not a directory; vsnap writes only to real directories inside LOCAL_STORAGE_ROOT (${root}): remove the link or point the location elsewhere`,
    );
    const ms = msInProgress(snapshot, 'FAILED');
    console.log(`LOCAL unusable: IN_PROGRESS → FAILED in ${ms} ms`);
    expect(ms).toBeLessThan(1_000);
    expect(rig.kube.requests).toEqual([]);
  });
});

describe('no orphaned uploads', () => {
  it('S3 killed mid-snapshot: the abort fails too, the upload id is kept, and the reconciler aborts it once S3 is back', { timeout: 120_000 }, async () => {
    // ~20 MB of incompressible ConfigMaps in a namespace of their own, listed slowly: several 5 MiB parts.
    for (let i = 0; i < 200; i++) {
      rig.kube.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `blob-${i}`, namespace: 'bulk' }, data: { blob: randomBytes(96 * 1024).toString('base64') } });
    }
    rig.kube.faults.latencyMs = 50;
    const cluster = await rig.registerCluster();
    let id: string | undefined;
    try {
      id = await rig.createSnapshot(cluster.id);
      const pending = await waitFor('an upload with stored parts', async () => (await rig.s3.pendingUploads(BUCKET)).find((upload) => upload.key?.startsWith(`${cluster.name}/`) && upload.parts.length > 0), 60_000, 50);

      await rig.s3.stop();
      const failed = await rig.waitFor(id, isFinished, 90_000);
      expect(failed.status).toBe('FAILED');
      expect(failed.message).toBe(tenantStorageMessage('unreachable', cluster.storageLocation));
      // The abort could not reach S3 either: the id stays for the reconciler, the parts stay on the server.
      expect(await uploadIdOf(id)).toBe(pending.uploadId);
      expect(rig.app.logs().some((line) => line.snapshotId === id && line.msg === 'could not abort the upload; the reconciler retries')).toBe(true);
    } finally {
      await rig.s3.start();
      rig.kube.faults.latencyMs = 0;
      for (let i = 0; i < 200; i++) rig.kube.store.remove('configmaps', `blob-${i}`, 'bulk');
    }
    expect((await rig.s3.pendingUploads(BUCKET)).filter((upload) => upload.key?.startsWith(`${cluster.name}/`))).toHaveLength(1);

    await runToCompletion(rig, 'reconcile-storage');
    expect((await rig.s3.pendingUploads(BUCKET)).filter((upload) => upload.key?.startsWith(`${cluster.name}/`))).toEqual([]);
    expect(await uploadIdOf(id)).toBeNull();
    expect(rig.app.logs().find((line) => line.msg === 'uploads cleaned up')).toMatchObject({ pendingAborted: 1, stillPending: 0 });
    expect((await rig.snapshot(id)).status).toBe('FAILED');
  });

  it('finds uploads nobody recorded by listing the locations, and aborts those older than the snapshot timeout that no live snapshot owns', async () => {
    const cluster = await rig.registerCluster();
    const store = new S3ObjectStore({ ...rig.s3.settings(), bucket: BUCKET, prefix: cluster.name });
    const hoursAgo = new Date(Date.now() - 2 * 3_600_000);
    const begin = async (target: S3ObjectStore, name: string, initiated?: Date) => {
      const upload = await target.beginUpload(name);
      await target.uploadPart(name, upload.uploadId, 1, Buffer.alloc(1024, 7));
      if (initiated) await rig.s3.backdateUpload(BUCKET, upload.uploadId, initiated);
      return upload.uploadId;
    };
    // What a worker that died between initiating and recording leaves behind.
    const orphan = await begin(store, snapshotObjectName(cluster.name, new Date('2026-01-01T00:00:00Z')), hoursAgo);
    // Younger than the snapshot timeout (60 s here): perhaps a worker about to record it.
    const young = await begin(store, snapshotObjectName(cluster.name, new Date('2026-01-01T00:01:00Z')));
    // Not a name vsnap gives an archive, under a prefix it uses.
    const stranger = await begin(store, 'notes.txt', hoursAgo);
    // Under a prefix no location uses.
    const elsewhere = await begin(new S3ObjectStore({ ...rig.s3.settings(), bucket: BUCKET, prefix: 'not-vsnap' }), snapshotObjectName(cluster.name, new Date('2026-01-01T00:02:00Z')), hoursAgo);
    // Owned by a snapshot IN_PROGRESS, however old its upload.
    const liveName = snapshotObjectName(cluster.name, new Date());
    const live = await begin(store, liveName, hoursAgo);
    const em = rig.app.orm.em.fork();
    const liveId = await em.transactional(async (tx) => {
      const vc = await tx.findOneOrFail(VirtualClusterSchema, { id: cluster.id });
      const snapshot = await scheduleSnapshot(tx, { virtualCluster: vc, projectId: vc.projectId, name: liveName, trigger: 'MANUAL', volumeSnapshotsEnabled: false, scheduledAt: new Date() });
      const now = new Date();
      Object.assign(snapshot, { startedAt: now, heartbeatAt: now, uploadId: live, storageLocation: await tx.findOneOrFail(StorageLocationSchema, { name: cluster.storageLocation }) });
      await moveSnapshot(tx, snapshot, 'IN_PROGRESS', 'taking the snapshot');
      return snapshot.id;
    });

    try {
      await runToCompletion(rig, 'reconcile-storage');
      const left = (await rig.s3.pendingUploads(BUCKET)).map((upload) => upload.uploadId);
      expect(left).not.toContain(orphan);
      expect(left).toEqual(expect.arrayContaining([young, stranger, elsewhere, live]));
      expect(rig.app.logs().filter((line) => line.msg === 'aborted an orphaned upload').map((line) => line.uploadId)).toEqual([orphan]);
    } finally {
      await em.fork().transactional(async (tx) => {
        const snapshot = await tx.findOneOrFail(SnapshotSchema, { id: liveId });
        await moveSnapshot(tx, snapshot, 'FAILED', 'test over');
      });
    }
  });
});
