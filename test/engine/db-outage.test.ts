/**
 * A database outage never throws a stored archive away. The app runs on a
 * Postgres of this file's own, which the tests stop and start while a
 * snapshot is being taken (the Kubernetes API's latency paces the listing):
 * in the middle of it, and at its end (the archive stored while the database
 * is away). Each time the snapshot ends COMPLETED with its archive, never
 * "worker lost", its object never removed. And a process never judges its own
 * running snapshot lost, however stale its heartbeat. All observed through
 * GraphQL over HTTP, S3 and the logs.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startKubeServer } from '../kube/server.ts';
import { waitFor } from '../server/helpers.ts';
import { startTestApp } from '../support/app.ts';
import { startS3Server } from '../support/s3.ts';
import { startStoppablePostgres, type StoppablePostgres } from '../support/stoppable-postgres.ts';
import { BUCKET, isFinished, readArchive, rigOf, rigStorage, runToCompletion, type EngineRig } from './harness.ts';

let postgres: StoppablePostgres;
let rig: EngineRig;
/** The engine's lock lifetime: a heartbeat older than this is stale. */
const LOCK_LIFETIME_MS = 2_000;

beforeAll(async () => {
  postgres = await startStoppablePostgres();
  const [kube, s3] = await Promise.all([startKubeServer(), startS3Server()]);
  await s3.createBucket(BUCKET);
  kube.seedStandard();
  // Enough pages (5 objects each) that the listing's pace is the API's latency.
  for (let i = 0; i < 250; i++) {
    kube.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' }, data: { value: randomBytes(256).toString('base64') } });
  }
  const app = await startTestApp({
    engine: { storage: rigStorage(s3), listPageSize: 5, lockLifetimeMs: LOCK_LIFETIME_MS },
    postgresAdminUrl: postgres.adminUrl,
  });
  rig = await rigOf(app, kube, s3);
}, 180_000);

afterAll(async () => {
  await postgres?.start();
  await rig?.close();
  await postgres?.close();
}, 180_000);

beforeEach(() => {
  rig.kube.faults.latencyMs = 0;
  rig.kube.requests.length = 0;
});

/** The worker is reading objects: its upload is begun and recorded, its kubeconfig loaded. */
const listingUnderway = () => waitFor('the ConfigMaps listing', () => rig.kube.requests.some((r) => r.path === '/api/v1/configmaps' && r.query.includes('continue=')), 30_000);

/** The snapshot over GraphQL, once the API answers again (right after an outage its pool reconnects). */
async function settled(id: string, done: (s: Awaited<ReturnType<EngineRig['snapshot']>>) => boolean, timeoutMs = 60_000) {
  return waitFor(`snapshot ${id} to settle`, async () => {
    const snapshot = await rig.snapshot(id);
    return done(snapshot) ? snapshot : undefined;
  }, timeoutMs, 100);
}

const snapshotTransitions = (s: { events: readonly { subject: string; to: string }[] }) => s.events.filter((e) => e.subject === 'SNAPSHOT').map((e) => e.to);

/** Lines the app logged about one snapshot. */
const logsOf = (id: string) => rig.app.logs().filter((line) => line.snapshotId === id);

async function expectArchiveKept(clusterName: string, snapshot: Awaited<ReturnType<EngineRig['snapshot']>>) {
  expect(snapshot.status).toBe('COMPLETED');
  expect(snapshot.message).toBeNull();
  expect(snapshotTransitions(snapshot)).toEqual(['SCHEDULED', 'IN_PROGRESS', 'COMPLETED']);
  const archive = await readArchive(rig.store(clusterName), snapshot.name);
  expect(archive.sha256).toBe(snapshot.sha256);
  expect(archive.size).toBe(snapshot.sizeBytes);
  expect(archive.entries.filter((entry) => entry.name.startsWith('resources/'))).toHaveLength(snapshot.objectCount!);
  expect(rig.app.logs().filter((line) => /worker lost/.test(line.msg))).toEqual([]);
}

describe('a Postgres outage while a snapshot is taken', () => {
  it('in the middle: the heartbeat fails, the listing goes on, the snapshot ends COMPLETED with its archive', { timeout: 120_000 }, async () => {
    rig.kube.faults.latencyMs = 150;
    const cluster = await rig.registerCluster();
    const id = await rig.createSnapshot(cluster.id);
    const started = await rig.waitFor(id, (s) => s.status === 'IN_PROGRESS', 20_000);
    await listingUnderway();

    await postgres.stop();
    // Twice the lock lifetime: the heartbeat is stale by any other process's judgement.
    await sleep(2 * LOCK_LIFETIME_MS + 500);
    expect(await rig.store(cluster.name).stat(started.name)).toBeNull();
    await postgres.start();
    rig.kube.faults.latencyMs = 0;

    const snapshot = await settled(id, isFinished);
    await expectArchiveKept(cluster.name, snapshot);
    const lines = logsOf(id).map((line) => line.msg);
    expect(lines).toContain('heartbeat failed; retrying with backoff');
    // Progress could not be recorded during the outage: said once, and the snapshot went on.
    expect(lines.filter((line) => line === "could not record the snapshot's progress; the snapshot goes on and reporting is retried")).toHaveLength(1);
    // Whether the heartbeat's next beat or the finishing write reaches the database first is a
    // race (each retries on its own); either way the result was recorded, and the heartbeat
    // resumes unless the snapshot finished before its next beat.
    expect(lines).toContain('snapshot stored');
  });

  it('at the end: the archive is stored while the database is away, recorded once it is back, never removed', { timeout: 120_000 }, async () => {
    rig.kube.faults.latencyMs = 100;
    const cluster = await rig.registerCluster();
    const id = await rig.createSnapshot(cluster.id);
    const started = await rig.waitFor(id, (s) => s.status === 'IN_PROGRESS', 20_000);
    const store = rig.store(cluster.name);
    await listingUnderway();

    await postgres.stop();
    rig.kube.faults.latencyMs = 0;
    // The rest of the listing, the upload and its completion need no database.
    // The upload completed (an object under its name), and the result waits for the database.
    await waitFor('the result to wait', () => logsOf(id).some((line) => line.msg === 'recording the stored archive: database unavailable; retrying with backoff'), 60_000, 100);
    const stored = await store.stat(started.name);
    expect(stored).not.toBeNull();
    // The result waits; the heartbeat goes stale meanwhile.
    await sleep(2 * LOCK_LIFETIME_MS + 500);
    await postgres.start();
    // This process's own sweep, at once: it must not judge the snapshot lost.
    await waitFor('a reconcile run', () => runToCompletion(rig, 'reconcile-storage').then(() => true), 30_000, 500);

    const snapshot = await settled(id, isFinished);
    await expectArchiveKept(cluster.name, snapshot);
    expect(snapshot.sizeBytes).toBe(stored!.size);
    const lines = logsOf(id).map((line) => line.msg);
    expect(lines).toContain('recording the stored archive: database unavailable; retrying with backoff');
    expect(lines).toContain('recording the stored archive: done once the database answered again');
    expect(lines.indexOf('heartbeat resumed')).toBeLessThan(lines.indexOf('snapshot stored'));
  });
});

describe('a process never judges its own running snapshot lost', () => {
  it('leaves it alone in its sweep and its claims, whatever its heartbeat says; it ends COMPLETED', { timeout: 60_000 }, async () => {
    rig.kube.faults.latencyMs = 100;
    const cluster = await rig.registerCluster();
    const id = await rig.createSnapshot(cluster.id);
    await rig.waitFor(id, (s) => s.status === 'IN_PROGRESS', 20_000);
    const em = rig.app.orm.em.fork();
    // As when the heartbeat cannot be written: once stale, it stays stale (every write of it is lost).
    await em.execute(`create or replace function test_lose_heartbeats() returns trigger language plpgsql as $$
      begin if old.heartbeat_at < now() - interval '1 minute' then new.heartbeat_at := old.heartbeat_at; end if; return new; end $$`);
    await em.execute('create trigger test_lose_heartbeats before update on snapshot for each row execute function test_lose_heartbeats()');
    try {
      await em.execute(`update snapshot set heartbeat_at = now() - interval '1 hour' where id = '${id}'`);
      await rig.app.engine!.scheduler.enqueueTake(id);
      await waitFor('the second claim', () => logsOf(id).some((line) => line.msg === 'snapshot is being taken by this process'));
      await runToCompletion(rig, 'reconcile-storage');
      const during = await rig.snapshot(id);
      expect(during.status).toBe('IN_PROGRESS');
      expect((await em.fork().execute<{ stale: boolean }[]>(`select heartbeat_at < now() - interval '1 minute' as stale from snapshot where id = '${id}'`))[0]?.stale).toBe(true);

      rig.kube.faults.latencyMs = 0;
      const snapshot = await settled(id, isFinished);
      await expectArchiveKept(cluster.name, snapshot);
    } finally {
      await em.execute('drop trigger if exists test_lose_heartbeats on snapshot');
    }
  });
});
