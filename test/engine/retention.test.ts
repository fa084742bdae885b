/**
 * Retention end to end: policies set through GraphQL, snapshots taken through
 * createSnapshot, `enforce-retention` run out of turn; what is gone and what
 * stays is read back over GraphQL and from the real S3 server.
 */
import { Client } from 'minio';
import { describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { snapshotObjectName } from '../../src/snapshots/naming.ts';
import { scheduleSnapshot } from '../../src/snapshots/transitions.ts';
import type { ObjectStore } from '../../src/storage/index.ts';
import { EngineClusterSnapshotsDocument, EngineSnapshotDocument, SetAutoSnapshotPolicyDocument, type AutoSnapshotPolicyInput } from '../generated/graphql.ts';
import { errorCodes } from '../support/app.ts';
import { BUCKET, isFinished, runToCompletion, type EngineRig, useEngineRig } from './harness.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started));

async function setPolicy(clusterId: string, policy: AutoSnapshotPolicyInput) {
  return rig.app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: clusterId, policy }, rig.admin);
}

async function takeFinished(clusterId: string) {
  return rig.waitFor(await rig.createSnapshot(clusterId), isFinished);
}

/** The cluster's snapshots as VirtualCluster.snapshots lists them, newest first. */
async function listed(clusterId: string): Promise<string[]> {
  const response = await rig.app.request(EngineClusterSnapshotsDocument, { id: clusterId }, rig.admin);
  expect(response.errors).toBeUndefined();
  return response.data!.virtualCluster!.snapshots!.edges.map((edge) => edge.node.id);
}

/** snapshot(id) of a removed snapshot: no data, a NOT_FOUND error. */
async function expectGone(id: string): Promise<void> {
  const response = await rig.app.request(EngineSnapshotDocument, { id }, rig.admin);
  expect(response.data?.snapshot ?? null).toBeNull();
  expect(errorCodes(response)).toEqual(['NOT_FOUND']);
}

function storeOf(clusterName: string, bucket = BUCKET): ObjectStore {
  return rig.store(clusterName, bucket);
}

/** Moves a snapshot back in time. scheduledAt is bookkeeping, not a status: a plain UPDATE is fair. */
async function age(id: string, seconds: number): Promise<void> {
  const at = new Date(Date.now() - seconds * 1000);
  const updated = await rig.app.orm.em.fork().execute<{ affectedRows?: number }>('update snapshot set scheduled_at = ? where id = ?', [at, id], 'run');
  expect(updated.affectedRows).toBe(1);
}

describe('enforce-retention: retentionMaxSnapshots', () => {
  it('removes exactly the oldest finished snapshots beyond the maximum, object first', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster();
    const set = await setPolicy(cluster.id, { enabled: false, retentionMaxSnapshots: 2, storageLocation: cluster.storageLocation });
    expect(set.errors).toBeUndefined();
    expect(set.data!.setAutoSnapshotPolicy.autoSnapshotPolicy.retentionMaxSnapshots).toBe(2);
    // A bystander without retention keeps everything.
    const bystander = await rig.registerCluster();
    const bystanderSnapshots = [await takeFinished(bystander.id), await takeFinished(bystander.id), await takeFinished(bystander.id)];

    const taken = [];
    for (let i = 0; i < 4; i++) taken.push(await takeFinished(cluster.id));
    expect(taken.map((s) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    const store = storeOf(cluster.name);
    for (const snapshot of taken) expect(await store.stat(snapshot.name), snapshot.name).not.toBeNull();

    await runToCompletion(rig, 'enforce-retention');
    const [oldest, second, third, newest] = taken as [(typeof taken)[0], (typeof taken)[0], (typeof taken)[0], (typeof taken)[0]];
    for (const removed of [oldest, second]) {
      await expectGone(removed.id);
      expect(await store.stat(removed.name), removed.name).toBeNull();
    }
    expect(await listed(cluster.id)).toEqual([newest.id, third.id]);
    for (const kept of [third, newest]) {
      const after = await rig.snapshot(kept.id);
      expect(after.status).toBe('COMPLETED');
      expect(after.events).toEqual(kept.events);
      expect(await store.stat(kept.name), kept.name).toMatchObject({ size: kept.sizeBytes });
    }
    expect(await listed(bystander.id)).toEqual(bystanderSnapshots.map((s) => s.id).reverse());

    // Nothing more to remove: a second run keeps the two.
    await runToCompletion(rig, 'enforce-retention');
    expect(await listed(cluster.id)).toEqual([newest.id, third.id]);
  });

  it('counts a FAILED snapshot as finished: it takes one of the kept places', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster({ policy: { retentionMaxSnapshots: 2 } });
    const first = await takeFinished(cluster.id);
    const second = await takeFinished(cluster.id);
    rig.kube.faults.unavailable = true;
    const failed = await takeFinished(cluster.id);
    rig.kube.faults.unavailable = false;
    const newest = await takeFinished(cluster.id);
    expect([first.status, second.status, failed.status, newest.status]).toEqual(['COMPLETED', 'COMPLETED', 'FAILED', 'COMPLETED']);
    expect(failed.location).toBeNull();

    await runToCompletion(rig, 'enforce-retention');
    // retention-policy.ts: every snapshot not SCHEDULED / IN_PROGRESS is "finished" and counts,
    // so the FAILED one is kept as one of the newest two and the COMPLETED `second` goes.
    expect(await listed(cluster.id)).toEqual([newest.id, failed.id]);
    await expectGone(first.id);
    await expectGone(second.id);
    const store = storeOf(cluster.name);
    expect(await store.stat(first.name)).toBeNull();
    expect(await store.stat(second.name)).toBeNull();
    expect(await store.stat(newest.name)).not.toBeNull();

    // Once older than the newest two, a FAILED snapshot (no object) is removed like any other.
    const latest = await takeFinished(cluster.id);
    await runToCompletion(rig, 'enforce-retention');
    expect(await listed(cluster.id)).toEqual([latest.id, newest.id]);
    await expectGone(failed.id);
  });

  it('never removes nor counts a snapshot still waiting to be taken', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster({ policy: { retentionMaxSnapshots: 1 } });
    const older = await takeFinished(cluster.id);
    const newer = await takeFinished(cluster.id);
    // A SCHEDULED snapshot older than both (its take job lost), through the transitions module.
    const em = rig.app.orm.em.fork();
    const entity = await em.findOneOrFail(VirtualClusterSchema, { id: cluster.id });
    const at = new Date(Date.now() - 86_400_000);
    const waiting = await em.transactional((tx) =>
      scheduleSnapshot(tx, { virtualCluster: entity, projectId: entity.projectId, name: snapshotObjectName(entity.name, at), trigger: 'MANUAL', volumeSnapshotsEnabled: false, scheduledAt: at }),
    );

    await runToCompletion(rig, 'enforce-retention');
    expect(await listed(cluster.id)).toEqual([newer.id, waiting.id]);
    await expectGone(older.id);
    expect((await rig.snapshot(waiting.id)).status).toBe('SCHEDULED');
  });
});

describe('enforce-retention: retentionMaxAgeSeconds', () => {
  it('accepts 60 seconds as the shortest maximum age', async () => {
    const cluster = await rig.registerCluster();
    const tooShort = await setPolicy(cluster.id, { enabled: false, retentionMaxAgeSeconds: 59 });
    expect(errorCodes(tooShort)).toEqual(['VALIDATION']);
    expect(tooShort.errors![0]!.message).toMatch(/retentionMaxAgeSeconds: must be at least 60 seconds/);
    const shortest = await setPolicy(cluster.id, { enabled: false, retentionMaxAgeSeconds: 60 });
    expect(shortest.errors).toBeUndefined();
    expect(shortest.data!.setAutoSnapshotPolicy.autoSnapshotPolicy.retentionMaxAgeSeconds).toBe(60);
  });

  it('removes the snapshots scheduled longer ago than the maximum age, and only those', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster();
    const taken = [await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id)];
    const [dayOld, twoMinutesOld, almostOld, fresh] = taken as [(typeof taken)[0], (typeof taken)[0], (typeof taken)[0], (typeof taken)[0]];
    await age(dayOld.id, 86_400);
    await age(twoMinutesOld.id, 120);
    // 30 s inside the limit: kept.
    await age(almostOld.id, 30);
    const set = await setPolicy(cluster.id, { enabled: false, retentionMaxAgeSeconds: 60, storageLocation: cluster.storageLocation });
    expect(set.errors).toBeUndefined();

    await runToCompletion(rig, 'enforce-retention');
    await expectGone(dayOld.id);
    await expectGone(twoMinutesOld.id);
    expect(await listed(cluster.id)).toEqual([fresh.id, almostOld.id]);
    const store = storeOf(cluster.name);
    expect(await store.stat(dayOld.name)).toBeNull();
    expect(await store.stat(twoMinutesOld.name)).toBeNull();
    expect(await store.stat(almostOld.name)).not.toBeNull();
    expect(await store.stat(fresh.name)).not.toBeNull();
  });

  it('applies both limits together: beyond the count or beyond the age', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster({ policy: { retentionMaxSnapshots: 2, retentionMaxAgeSeconds: 3_600 } });
    const taken = [await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id)];
    const [oldest, middle, newest] = taken as [(typeof taken)[0], (typeof taken)[0], (typeof taken)[0]];
    // `middle` is one of the newest two but older than an hour; `oldest` is beyond the count anyway.
    await age(oldest.id, 7_200);
    await age(middle.id, 3_700);

    await runToCompletion(rig, 'enforce-retention');
    expect(await listed(cluster.id)).toEqual([newest.id]);
    await expectGone(oldest.id);
    await expectGone(middle.id);
  });
});

describe('enforce-retention: storage failures', () => {
  it('a cluster whose storage is gone does not stop retention for the others', { timeout: 60_000 }, async () => {
    // Registered first, so it comes first when the clusters are read back.
    const goneBucket = `vsnap-retention-gone-${process.pid}`;
    await rig.s3.createBucket(goneBucket);
    const broken = await rig.registerCluster({
      policy: { retentionMaxSnapshots: 1, storageLocation: await rig.createLocation({ bucket: goneBucket, prefix: 'archives' }) },
    });
    const brokenTaken = [await takeFinished(broken.id), await takeFinished(broken.id)];
    const healthy = await rig.registerCluster({ policy: { retentionMaxSnapshots: 1 } });
    const healthyTaken = [await takeFinished(healthy.id), await takeFinished(healthy.id)];
    expect([...brokenTaken, ...healthyTaken].map((s) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);

    // The broken cluster's bucket goes away (emptied first: S3 deletes only empty buckets).
    const brokenStore = rig.store('archives', goneBucket);
    for (const snapshot of brokenTaken) await brokenStore.remove(snapshot.name);
    const { port } = new URL(rig.s3.endpoint);
    const client = new Client({ endPoint: '127.0.0.1', port: Number(port), useSSL: false, accessKey: rig.s3.accessKey, secretKey: rig.s3.secretKey, region: rig.s3.region, pathStyle: true });
    await client.removeBucket(goneBucket);

    await runToCompletion(rig, 'enforce-retention');
    expect(await listed(healthy.id)).toEqual([healthyTaken[1]!.id]);
    expect(await storeOf(healthy.name).stat(healthyTaken[0]!.name)).toBeNull();
    // The broken cluster's rows stay: object first, and the object could not be removed.
    expect(await listed(broken.id)).toEqual(brokenTaken.map((s) => s.id).reverse());
  });
});
