/**
 * A worker killed with SIGKILL. Before its upload completed: the snapshot ends
 * FAILED ("worker lost"), its multipart upload is aborted and no object stands
 * under its name. After its upload completed but before the result was
 * recorded (its database was away): the archive is adopted, COMPLETED
 * "recovered after worker loss" with the object's own size and sha256. The
 * database is a Postgres of this file's own, so the test can stop it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startEngine, type Engine } from '../../src/jobs/engine.ts';
import { createLogger } from '../../src/logger.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { startKubeServer, type KubeTestServer } from '../kube/server.ts';
import { ROOT, killIfRunning, spawnMain, waitFor, type SpawnedMain } from '../server/helpers.ts';
import { startTestApp, testEngineConfig, TEST_JWT_SECRET, type TestApp } from '../support/app.ts';
import { startS3Server, type S3TestServer } from '../support/s3.ts';
import { startStoppablePostgres, type StoppablePostgres } from '../support/stoppable-postgres.ts';
import { SnapshotSchema } from '../../src/snapshots/entity.ts';
import { BUCKET, CREDENTIALS_PREFIX, isFinished, readArchive, rigOf, rigStorage } from './harness.ts';

let kube: KubeTestServer;
let s3: S3TestServer;
let app: TestApp;
let worker: SpawnedMain | undefined;
let rescuer: Engine | undefined;
let dataDir: string;
let postgres: StoppablePostgres;
/** The worker process opens the inline kubeconfigs this process seals: both hold the key. */
const sealingKey = { id: 'crash', key: randomBytes(32) };

beforeAll(async () => {
  postgres = await startStoppablePostgres();
  [kube, s3] = await Promise.all([startKubeServer(), startS3Server()]);
  await s3.createBucket(BUCKET);
  kube.seedStandard();
  // ~40 MB of incompressible ConfigMaps, listed slowly: several 5 MiB parts over several seconds.
  for (let i = 0; i < 300; i++) {
    kube.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `blob-${i}`, namespace: 'default' }, data: { blob: randomBytes(96 * 1024).toString('base64') } });
  }
  kube.faults.latencyMs = 100;
  // This process only enqueues; the worker is a separate process we can kill.
  app = await startTestApp({ engine: { storage: rigStorage(s3) }, worker: false, inlineBox: new SecretBox([sealingKey]), postgresAdminUrl: postgres.adminUrl });
  dataDir = await fs.mkdtemp(path.join(ROOT, '.vsnap', 'crash-worker-'));
}, 120_000);

beforeEach(() => {
  kube.faults.latencyMs = 100;
});

afterAll(async () => {
  await killIfRunning(worker);
  await rescuer?.stop(1_000);
  await postgres?.start();
  await app?.close();
  await Promise.all([kube?.close(), s3?.close()]);
  await postgres?.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}, 60_000);

/** A worker process of its own (the test process only enqueues), with a 2 s lock lifetime. */
async function spawnWorker(): Promise<SpawnedMain> {
  const spawned = spawnMain({
    VSNAP_ROLES: 'worker',
    DATABASE_URL: app.databaseUrl,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    VSNAP_DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    // The cluster's location brings the endpoint; its keys come from these.
    [`${CREDENTIALS_PREFIX}_ACCESS_KEY`]: s3.accessKey,
    [`${CREDENTIALS_PREFIX}_SECRET_KEY`]: s3.secretKey,
    KUBE_LIST_PAGE_SIZE: '5',
    WORKER_LOCK_LIFETIME_SECONDS: '2',
    SECRETS_KEY: `${sealingKey.id}:${sealingKey.key.toString('base64')}`,
  });
  await spawned.waitForOutput(/snapshot worker started/, 'stdout', 30_000);
  return spawned;
}

/** Another worker, in this process, taking over once the dead one's lock has expired. */
async function startRescuer(): Promise<Engine> {
  return startEngine({
    orm: app.orm,
    postgresUrl: app.databaseUrl,
    config: testEngineConfig({ storage: rigStorage(s3), lockLifetimeMs: 2_000 }),
    logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
    worker: true,
    processEveryMs: 250,
  });
}

it('fails a snapshot whose worker was killed mid-upload, aborting the upload', { timeout: 90_000 }, async () => {
  worker = await spawnWorker();
  const engineRig = await rigOf(app, kube, s3);
  const cluster = await engineRig.registerCluster();
  const snapshotId = await engineRig.createSnapshot(cluster.id);

  // Killed once the worker has stored at least one part of the archive.
  const pending = await waitFor('an upload with stored parts', async () => {
    const uploads = await s3.pendingUploads(BUCKET);
    return uploads.find((upload) => upload.parts.length > 0);
  }, 30_000, 50);
  expect((await engineRig.snapshot(snapshotId)).status).toBe('IN_PROGRESS');
  worker.child.kill('SIGKILL');
  await worker.exited;

  rescuer = await startRescuer();
  try {
    const snapshot = await engineRig.waitFor(snapshotId, isFinished, 30_000);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toMatch(/^worker lost: no heartbeat since \d{4}-\d{2}-\d{2}T[\d:.]+Z$/);
    expect(snapshot.events.map((e) => e.to)).toEqual(['SCHEDULED', 'IN_PROGRESS', 'FAILED']);

    // The upload is aborted (its parts are gone), its id cleared, and nothing stands under the final name.
    expect((await s3.pendingUploads(BUCKET)).filter((upload) => upload.uploadId === pending.uploadId)).toEqual([]);
    expect((await app.orm.em.fork().findOneOrFail(SnapshotSchema, { id: snapshotId })).uploadId).toBeNull();
    const store = engineRig.store(cluster.name);
    expect(await store.stat(snapshot.name)).toBeNull();
    expect([...(await collect(store.list()))]).toEqual([]);
  } finally {
    await rescuer.stop(1_000);
    rescuer = undefined;
  }
});

it('adopts the archive of a worker killed after its upload completed, before it could record it', { timeout: 120_000 }, async () => {
  worker = await spawnWorker();
  const engineRig = await rigOf(app, kube, s3);
  const cluster = await engineRig.registerCluster();
  const snapshotId = await engineRig.createSnapshot(cluster.id);
  const { name } = await engineRig.waitFor(snapshotId, (s) => s.status === 'IN_PROGRESS', 30_000);
  const store = engineRig.store(cluster.name);
  await waitFor('an upload with stored parts', async () => (await s3.pendingUploads(BUCKET)).some((upload) => upload.parts.length > 0), 30_000, 50);

  // The database goes away; the rest of the listing and the upload need none of it.
  await postgres.stop();
  kube.faults.latencyMs = 0;
  // The upload completed (an object under its name), and the result waits for the database.
  await worker.waitForOutput(/recording the stored archive: database unavailable; retrying with backoff/, 'stdout', 60_000);
  const stored = await store.stat(name);
  expect(stored).not.toBeNull();
  worker.child.kill('SIGKILL');
  await worker.exited;
  await postgres.start();

  rescuer = await startRescuer();
  try {
    const snapshot = await waitFor('the snapshot to be recovered', async () => {
      const current = await engineRig.snapshot(snapshotId).catch(() => undefined);
      return current && isFinished(current) ? current : undefined;
    }, 60_000, 200);
    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.message).toBe('recovered after worker loss');
    expect(snapshot.events.map((e) => [e.to, e.message])).toEqual([
      ['SCHEDULED', 'requested through createSnapshot'],
      ['IN_PROGRESS', 'taking the snapshot'],
      ['COMPLETED', 'recovered after worker loss'],
    ]);
    expect(snapshot.location).toBe(`s3://${BUCKET}/${cluster.name}/${name}`);

    // The row describes the object as it is: streamed once for its size and sha256, its objects counted.
    const archive = await readArchive(store, name);
    expect(snapshot.sizeBytes).toBe(stored!.size);
    expect(archive.size).toBe(snapshot.sizeBytes);
    expect(archive.sha256).toBe(snapshot.sha256);
    expect(archive.entries.filter((entry) => entry.name.startsWith('resources/'))).toHaveLength(snapshot.objectCount!);
    expect(archive.entries.filter((entry) => entry.name.startsWith('resources/core/v1/configmaps/'))).toHaveLength(
      ((await app.orm.em.fork().findOneOrFail(SnapshotSchema, { id: snapshotId })).resourceCounts ?? {}).configmaps!,
    );
    expect((JSON.parse(archive.entries[0]!.body) as { snapshotId: string }).snapshotId).toBe(snapshotId);
    // Nothing was aborted or removed, and nothing is left pending.
    expect(await s3.pendingUploads(BUCKET)).toEqual([]);
    expect((await app.orm.em.fork().findOneOrFail(SnapshotSchema, { id: snapshotId })).uploadId).toBeNull();
  } finally {
    await rescuer.stop(1_000);
    rescuer = undefined;
  }
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
