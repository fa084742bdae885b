/**
 * Retention end to end: policies set through GraphQL, snapshots taken through
 * createSnapshot against the Kubernetes API test server (down when a test says
 * so), `retentionPreview` read over GraphQL, `enforce-retention` run out of
 * turn; what is gone and what stays is read back over GraphQL and from the
 * real S3 server, and the run removes exactly what the preview announced.
 */
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { readEventsAfter } from '../../src/events/log.ts';
import { snapshotObjectName } from '../../src/snapshots/naming.ts';
import { RunningSnapshots } from '../../src/snapshots/running.ts';
import { applyRetentionPlan, plannedDeletions, retentionRows } from '../../src/snapshots/retention.ts';
import { scheduleSnapshot } from '../../src/snapshots/transitions.ts';
import type { ObjectStore } from '../../src/storage/index.ts';
import {
  DeleteSnapshotDocument,
  EngineClusterSnapshotsDocument,
  EngineRetentionPreviewDocument,
  EngineRetentionPreviewsDocument,
  EngineSnapshotDocument,
  SetAutoSnapshotPolicyDocument,
  type AutoSnapshotPolicyInput,
} from '../generated/graphql.ts';
import { errorCodes, testEngineConfig, type LogLine } from '../support/app.ts';
import { BUCKET, E2E_PROJECT, isFinished, runToCompletion, type EngineRig, useEngineRig } from './harness.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started));

type Taken = Awaited<ReturnType<typeof takeFinished>>;

async function setPolicy(clusterId: string, policy: AutoSnapshotPolicyInput) {
  return rig.app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: clusterId, policy }, rig.admin);
}

async function takeFinished(clusterId: string) {
  return rig.waitFor(await rig.createSnapshot(clusterId), isFinished);
}

/** Snapshots taken while the cluster's API server answers 503 to everything: FAILED, no archive. */
async function takeWhileApiDown(clusterId: string, count: number): Promise<Taken[]> {
  rig.kube.faults.unavailable = true;
  const taken: Taken[] = [];
  try {
    for (let i = 0; i < count; i++) taken.push(await takeFinished(clusterId));
  } finally {
    rig.kube.faults.unavailable = false;
  }
  expect(taken.map((s) => [s.status, s.location])).toEqual(taken.map(() => ['FAILED', null]));
  return taken;
}

/** The cluster's snapshots as VirtualCluster.snapshots lists them, newest first. */
async function listed(clusterId: string): Promise<string[]> {
  const response = await rig.app.request(EngineClusterSnapshotsDocument, { id: clusterId }, rig.admin);
  expect(response.errors).toBeUndefined();
  return response.data!.virtualCluster!.snapshots!.edges.map((edge) => edge.node.id);
}

/** retentionPreview over GraphQL: [id, status, reason], newest first. */
async function preview(clusterId: string): Promise<[string, string, string][]> {
  const response = await rig.app.request(EngineRetentionPreviewDocument, { id: clusterId }, rig.admin);
  expect(response.errors).toBeUndefined();
  return response.data!.virtualCluster!.autoSnapshotPolicy.retentionPreview!.map((entry) => [entry.snapshotId, entry.status, entry.reason]);
}

/**
 * Reads the preview, runs retention, and checks that the run removed exactly the
 * previewed snapshots from the list; returns the preview.
 */
async function previewThenRun(clusterId: string): Promise<[string, string, string][]> {
  const announced = await preview(clusterId);
  const before = await listed(clusterId);
  await runToCompletion(rig, 'enforce-retention');
  const after = await listed(clusterId);
  expect(before.filter((id) => !after.includes(id))).toEqual(announced.map(([id]) => id));
  return announced;
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

/** The archive is in the store with the size the snapshot recorded. */
async function expectStored(store: ObjectStore, snapshot: Taken): Promise<void> {
  expect(await store.stat(snapshot.name), snapshot.name).toMatchObject({ size: snapshot.sizeBytes });
}

/** Moves a snapshot back in time. scheduledAt is bookkeeping, not a status: a plain UPDATE is fair. */
async function age(id: string, seconds: number): Promise<void> {
  const at = new Date(Date.now() - seconds * 1000);
  const updated = await rig.app.orm.em.fork().execute<{ affectedRows?: number }>('update snapshot set scheduled_at = ? where id = ?', [at, id], 'run');
  expect(updated.affectedRows).toBe(1);
}

/** Dates the snapshot's move to NOT_FOUND `seconds` ago (the audit trail's time, nothing else); returns that time. */
async function missingFor(id: string, seconds: number): Promise<Date> {
  const at = new Date(Date.now() - seconds * 1000);
  const updated = await rig.app.orm.em
    .fork()
    .execute<{ affectedRows?: number }>("update snapshot_event set at = ? where snapshot_id = ? and to_state = 'NOT_FOUND'", [at, id], 'run');
  expect(updated.affectedRows).toBe(1);
  return at;
}

async function readObject(store: ObjectStore, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.read(name)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The retention log line of a cluster from the last run. */
function retentionLine(clusterName: string) {
  return rig.app.logs().findLast((line) => line.cluster === clusterName && typeof line.msg === 'string' && line.msg.startsWith('retention '));
}

describe('enforce-retention: good snapshots count, failures never cost one', () => {
  it("the issue's case: 4 COMPLETED, keepLast 2, the API server goes down, 2 FAILED: the 2 newest archives and both FAILED stay", { timeout: 90_000 }, async () => {
    const cluster = await rig.registerCluster({ policy: { retention: { keepLast: 2 } } });
    const good: Taken[] = [];
    for (let i = 0; i < 4; i++) good.push(await takeFinished(cluster.id));
    expect(good.map((s) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    const failed = await takeWhileApiDown(cluster.id, 2);
    const [c1, c2, c3, c4] = good as [Taken, Taken, Taken, Taken];
    const [f1, f2] = failed as [Taken, Taken];

    expect(await previewThenRun(cluster.id)).toEqual([
      [c2.id, 'COMPLETED', 'kept by no rule (keepLast 2)'],
      [c1.id, 'COMPLETED', 'kept by no rule (keepLast 2)'],
    ]);
    expect(await listed(cluster.id)).toEqual([f2.id, f1.id, c4.id, c3.id]);
    const store = storeOf(cluster.name);
    for (const kept of [c3, c4]) {
      await expectStored(store, kept);
      expect(await rig.snapshot(kept.id)).toEqual(kept);
    }
    for (const removed of [c1, c2]) {
      await expectGone(removed.id);
      expect(await store.stat(removed.name), removed.name).toBeNull();
    }
    expect(retentionLine(cluster.name)).toMatchObject({
      level: 30,
      msg: 'retention removed 2 snapshots',
      removed: [
        { snapshot: c2.name, reason: 'kept by no rule (keepLast 2)' },
        { snapshot: c1.name, reason: 'kept by no rule (keepLast 2)' },
      ],
    });
    // Settled: nothing more to remove.
    expect(await previewThenRun(cluster.id)).toEqual([]);
  });

  it('an outage longer than keepFailed allows: every good archive stays stored and listed; only the oldest FAILED go', { timeout: 90_000 }, async () => {
    const cluster = await rig.registerCluster({ policy: { retention: { keepLast: 3, keepFailed: { last: 2 } } } });
    const good = [await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id)];
    const failed = await takeWhileApiDown(cluster.id, 4);

    expect(await previewThenRun(cluster.id)).toEqual([
      [failed[1]!.id, 'FAILED', 'FAILED, not among the 2 newest failed snapshots (keepFailed.last)'],
      [failed[0]!.id, 'FAILED', 'FAILED, not among the 2 newest failed snapshots (keepFailed.last)'],
    ]);
    expect(await listed(cluster.id)).toEqual([failed[3]!.id, failed[2]!.id, ...good.map((s) => s.id).reverse()]);
    const store = storeOf(cluster.name);
    for (const snapshot of good) await expectStored(store, snapshot);
  });

  it('the newest good snapshot stays however old, while keepLast 0 and maxAgeSeconds would take it', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster({ policy: { retention: { keepLast: 0, maxAgeSeconds: 60 } } });
    const [older, newest] = [await takeFinished(cluster.id), await takeFinished(cluster.id)] as [Taken, Taken];
    await age(older.id, 86_400 * 2);
    await age(newest.id, 86_400);

    expect(await previewThenRun(cluster.id)).toEqual([[older.id, 'COMPLETED', 'older than maxAgeSeconds (60)']]);
    expect(await listed(cluster.id)).toEqual([newest.id]);
    await expectStored(storeOf(cluster.name), newest);
  });

  it('never removes nor counts a snapshot still waiting to be taken', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster({ policy: { retention: { keepLast: 1 } } });
    const older = await takeFinished(cluster.id);
    const newer = await takeFinished(cluster.id);
    // A SCHEDULED snapshot older than both (its take job lost), through the transitions module.
    const em = rig.app.orm.em.fork();
    const entity = await em.findOneOrFail(VirtualClusterSchema, { id: cluster.id });
    const at = new Date(Date.now() - 86_400_000);
    const waiting = await em.transactional((tx) =>
      scheduleSnapshot(tx, { virtualCluster: entity, projectId: entity.projectId, name: snapshotObjectName(entity.name, at), trigger: 'MANUAL', volumeSnapshotsEnabled: false, scheduledAt: at }),
    );

    expect(await previewThenRun(cluster.id)).toEqual([[older.id, 'COMPLETED', 'kept by no rule (keepLast 1)']]);
    expect(await listed(cluster.id)).toEqual([newer.id, waiting.id]);
    await expectGone(older.id);
    expect((await rig.snapshot(waiting.id)).status).toBe('SCHEDULED');
  });
});

describe('enforce-retention: keepLast', () => {
  it('removes exactly the oldest good snapshots beyond the count, object first; a cluster without rules keeps all', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster();
    const set = await setPolicy(cluster.id, { enabled: false, retention: { keepLast: 2 }, storageLocation: cluster.storageLocation });
    expect(set.errors).toBeUndefined();
    expect(set.data!.setAutoSnapshotPolicy.autoSnapshotPolicy.retention.keepLast).toBe(2);
    const bystander = await rig.registerCluster();
    const bystanderSnapshots = [await takeFinished(bystander.id), await takeFinished(bystander.id), await takeFinished(bystander.id)];

    const taken: Taken[] = [];
    for (let i = 0; i < 4; i++) taken.push(await takeFinished(cluster.id));
    const store = storeOf(cluster.name);
    for (const snapshot of taken) await expectStored(store, snapshot);

    const [oldest, second, third, newest] = taken as [Taken, Taken, Taken, Taken];
    const announced = await previewThenRun(cluster.id);
    expect(announced.map(([id]) => id)).toEqual([second.id, oldest.id]);
    for (const removed of [oldest, second]) expect(await store.stat(removed.name), removed.name).toBeNull();
    // Each removal committed a DELETED event with the row's deletion; the kept ones have none.
    const deleted = await readEventsAfter(rig.app.orm.em.fork(), 0n, 1000, { virtualClusterId: cluster.id });
    expect(deleted.filter((event) => event.kind === 'DELETED').map((event) => [event.snapshotId, event.fromState, event.toState, event.message])).toEqual(
      announced.map(([id, status, reason]) => [id, status, 'DELETED', `removed by retention: ${reason}`]),
    );
    expect(await listed(cluster.id)).toEqual([newest.id, third.id]);
    for (const kept of [third, newest]) {
      expect(await rig.snapshot(kept.id)).toEqual(kept);
      await expectStored(store, kept);
    }
    expect(await preview(bystander.id)).toEqual([]);
    expect(await listed(bystander.id)).toEqual(bystanderSnapshots.map((s) => s.id).reverse());
  });
});

describe('enforce-retention: maxAgeSeconds', () => {
  it('removes the good snapshots scheduled longer ago than the maximum age, and only those', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster();
    const taken = [await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id)];
    const [dayOld, twoMinutesOld, almostOld, fresh] = taken as [Taken, Taken, Taken, Taken];
    await age(dayOld.id, 86_400);
    await age(twoMinutesOld.id, 120);
    // 30 s inside the limit: kept.
    await age(almostOld.id, 30);
    const set = await setPolicy(cluster.id, { enabled: false, retention: { maxAgeSeconds: 60 }, storageLocation: cluster.storageLocation });
    expect(set.errors).toBeUndefined();

    expect(await previewThenRun(cluster.id)).toEqual([
      [twoMinutesOld.id, 'COMPLETED', 'older than maxAgeSeconds (60)'],
      [dayOld.id, 'COMPLETED', 'older than maxAgeSeconds (60)'],
    ]);
    expect(await listed(cluster.id)).toEqual([fresh.id, almostOld.id]);
    const store = storeOf(cluster.name);
    expect(await store.stat(dayOld.name)).toBeNull();
    expect(await store.stat(twoMinutesOld.name)).toBeNull();
    await expectStored(store, almostOld);
    await expectStored(store, fresh);
  });

  it('caps keepLast: beyond the count or beyond the age', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster({ policy: { retention: { keepLast: 2, maxAgeSeconds: 3_600 } } });
    const taken = [await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id)];
    const [oldest, middle, newest] = taken as [Taken, Taken, Taken];
    // `middle` is one of the newest two but older than an hour; `oldest` is beyond both.
    await age(oldest.id, 7_200);
    await age(middle.id, 3_700);

    expect(await previewThenRun(cluster.id)).toEqual([
      [middle.id, 'COMPLETED', 'older than maxAgeSeconds (3600)'],
      [oldest.id, 'COMPLETED', 'older than maxAgeSeconds (3600)'],
    ]);
    expect(await listed(cluster.id)).toEqual([newest.id]);
  });
});

describe('enforce-retention: NOT_FOUND', () => {
  it('keeps a row while its object has been missing less than keepFailed.maxAgeSeconds, removes it after, and never one whose object came back', { timeout: 90_000 }, async () => {
    const cluster = await rig.registerCluster({ policy: { retention: { keepFailed: { maxAgeSeconds: 3_600 } } } });
    const [back, gone, recent, newest] = [await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id)] as [Taken, Taken, Taken, Taken];
    const store = storeOf(cluster.name);
    const backBytes = await readObject(store, back.name);
    for (const snapshot of [back, gone, recent]) await store.remove(snapshot.name);
    await runToCompletion(rig, 'reconcile-storage');
    for (const snapshot of [back, gone, recent]) expect((await rig.snapshot(snapshot.id)).status).toBe('NOT_FOUND');
    // `back` and `gone` went missing two hours ago; `recent` was taken 30 days ago but went missing just now.
    const since = await missingFor(back.id, 7_200);
    const goneSince = await missingFor(gone.id, 7_200);
    await age(recent.id, 30 * 86_400);
    // The object of `back` reappears after the reconcile: the rows still say NOT_FOUND.
    await (await store.beginUpload(back.name)).write(Readable.from([backBytes]));

    const announced = await preview(cluster.id);
    expect(announced).toEqual([
      [gone.id, 'NOT_FOUND', `NOT_FOUND: its object has been missing since ${goneSince.toISOString()}, longer than keepFailed.maxAgeSeconds (3600)`],
      [back.id, 'NOT_FOUND', `NOT_FOUND: its object has been missing since ${since.toISOString()}, longer than keepFailed.maxAgeSeconds (3600)`],
    ]);
    await runToCompletion(rig, 'enforce-retention');
    // `back` stays: its row is checked against the store before it is removed, and the object is not touched.
    expect(await listed(cluster.id)).toEqual([newest.id, back.id, recent.id]);
    await expectGone(gone.id);
    expect(await store.stat(back.name)).toMatchObject({ size: back.sizeBytes });
    expect(retentionLine(cluster.name)).toMatchObject({
      msg: 'retention removed 1 snapshot',
      removed: [{ snapshot: gone.name, reason: announced[0]![2] }],
      kept: [{ snapshot: back.name, why: 'its object is back in storage' }],
    });
    // The reconciler brings it back; it is a good snapshot again, and nothing keeps it from staying.
    await runToCompletion(rig, 'reconcile-storage');
    expect((await rig.snapshot(back.id)).status).toBe('COMPLETED');
    expect(await preview(cluster.id)).toEqual([]);
  });
});

describe('a plan gone stale', () => {
  it('is checked again under each row\'s lock: a snapshot that became the newest good one, was deleted or went NOT_FOUND stays', { timeout: 90_000 }, async () => {
    const cluster = await rig.registerCluster({ policy: { retention: { keepLast: 1 } } });
    const [a, b, c, d, e] = [
      await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id), await takeFinished(cluster.id),
    ] as [Taken, Taken, Taken, Taken, Taken];
    const em = rig.app.orm.em.fork();
    const entity = await em.findOneOrFail(VirtualClusterSchema, { id: cluster.id });
    const plan = plannedDeletions(await retentionRows(em, [cluster.id]), entity.policy, new Date());
    expect(plan.map((decision) => decision.snapshot.id)).toEqual([d.id, c.id, b.id, a.id]);

    // Between the plan and its deletions: the newest is deleted by hand (d is now the newest
    // good snapshot), c is deleted too, and a's object vanishes (NOT_FOUND).
    for (const id of [e.id, c.id]) expect((await rig.app.request(DeleteSnapshotDocument, { id }, rig.admin)).errors).toBeUndefined();
    const store = storeOf(cluster.name);
    await store.remove(a.name);
    await runToCompletion(rig, 'reconcile-storage');
    expect((await rig.snapshot(a.id)).status).toBe('NOT_FOUND');

    const lines: LogLine[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    const deps = { orm: rig.app.orm, config: testEngineConfig({ storage: rig.storage }), logger, version: 'test', running: new RunningSnapshots() };
    expect(await applyRetentionPlan(deps, cluster.name, plan)).toBe(1);
    expect(await listed(cluster.id)).toEqual([d.id, a.id]);
    await expectStored(store, d);
    expect(await store.stat(b.name)).toBeNull();
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'retention removed 1 snapshot',
        cluster: cluster.name,
        removed: [{ snapshot: b.name, reason: 'kept by no rule (keepLast 1)' }],
        kept: [
          { snapshot: d.name, why: 'it is now the newest good snapshot' },
          { snapshot: c.name, why: 'deleted meanwhile' },
          { snapshot: a.name, why: 'now NOT_FOUND; the next run decides again' },
        ],
      }),
    ]);
  });
});

describe('retentionPreview in a list', () => {
  it('answers for every cluster of a page', { timeout: 60_000 }, async () => {
    const keeping = await rig.registerCluster({ policy: { retention: { keepLast: 1 } } });
    const [older] = [await takeFinished(keeping.id), await takeFinished(keeping.id)];
    const open = await rig.registerCluster();
    await takeFinished(open.id);
    const response = await rig.app.request(EngineRetentionPreviewsDocument, { projectId: E2E_PROJECT }, rig.admin);
    expect(response.errors).toBeUndefined();
    const byCluster = new Map(response.data!.virtualClusters.edges.map(({ node }) => [node.id, node.autoSnapshotPolicy.retentionPreview]));
    expect(byCluster.get(keeping.id)).toEqual([{ snapshotId: older!.id, reason: 'kept by no rule (keepLast 1)' }]);
    expect(byCluster.get(open.id)).toEqual([]);
  });
});

describe('enforce-retention: storage failures', () => {
  it('a cluster whose storage is gone does not stop retention for the others', { timeout: 60_000 }, async () => {
    // Registered first, so it comes first when the clusters are read back.
    const goneBucket = `vsnap-retention-gone-${process.pid}`;
    await rig.s3.createBucket(goneBucket);
    const broken = await rig.registerCluster({
      policy: { retention: { keepLast: 1 }, storageLocation: await rig.createLocation({ bucket: goneBucket, prefix: 'archives' }) },
    });
    const brokenTaken = [await takeFinished(broken.id), await takeFinished(broken.id)];
    const healthy = await rig.registerCluster({ policy: { retention: { keepLast: 1 } } });
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
    expect(retentionLine(broken.name)).toMatchObject({
      level: 40,
      msg: 'retention could not remove every snapshot it planned to; the rest is kept for the next run',
      removed: [],
      failed: [{ snapshot: brokenTaken[0]!.name, error: expect.any(String) }],
    });
    // The next run tries again: the preview still names it.
    expect((await preview(broken.id)).map(([id]) => id)).toEqual([brokenTaken[0]!.id]);
  });
});
