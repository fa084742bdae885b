/**
 * A worker killed with SIGKILL mid-upload: the snapshot ends FAILED ("worker
 * lost"), its multipart upload is aborted and no object stands under its name.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEngine, type Engine } from '../../src/jobs/engine.ts';
import { createLogger } from '../../src/logger.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { startKubeServer, type KubeTestServer } from '../kube/server.ts';
import { ROOT, killIfRunning, spawnMain, waitFor, type SpawnedMain } from '../server/helpers.ts';
import { startTestApp, testEngineConfig, TEST_JWT_SECRET, type TestApp } from '../support/app.ts';
import { startS3Server, type S3TestServer } from '../support/s3.ts';
import { BUCKET, CREDENTIALS_PREFIX, isFinished, rigOf, rigStorage } from './harness.ts';

let kube: KubeTestServer;
let s3: S3TestServer;
let app: TestApp;
let worker: SpawnedMain | undefined;
let rescuer: Engine | undefined;
let dataDir: string;
/** The worker process opens the inline kubeconfigs this process seals: both hold the key. */
const sealingKey = { id: 'crash', key: randomBytes(32) };

beforeAll(async () => {
  [kube, s3] = await Promise.all([startKubeServer(), startS3Server()]);
  await s3.createBucket(BUCKET);
  kube.seedStandard();
  // ~40 MB of incompressible ConfigMaps, listed slowly: several 5 MiB parts over several seconds.
  for (let i = 0; i < 300; i++) {
    kube.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `blob-${i}`, namespace: 'default' }, data: { blob: randomBytes(96 * 1024).toString('base64') } });
  }
  kube.faults.latencyMs = 100;
  // This process only enqueues; the worker is a separate process we can kill.
  app = await startTestApp({ engine: { storage: rigStorage(s3) }, worker: false, inlineBox: new SecretBox([sealingKey]) });
  dataDir = await fs.mkdtemp(path.join(ROOT, '.vsnap', 'crash-worker-'));
});

afterAll(async () => {
  await killIfRunning(worker);
  await rescuer?.stop(1_000);
  await app.close();
  await Promise.all([kube.close(), s3.close()]);
  await fs.rm(dataDir, { recursive: true, force: true });
});

it('recovers a snapshot whose worker was killed mid-upload', { timeout: 90_000 }, async () => {
  worker = spawnMain({
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
  await worker.waitForOutput(/snapshot worker started/, 'stdout', 30_000);

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

  // Another worker takes over once the dead one's lock has expired.
  rescuer = await startEngine({
    orm: app.orm,
    postgresUrl: app.databaseUrl,
    config: testEngineConfig({ storage: rigStorage(s3), lockLifetimeMs: 2_000 }),
    logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
    worker: true,
    processEveryMs: 250,
  });
  const snapshot = await engineRig.waitFor(snapshotId, isFinished, 30_000);
  expect(snapshot.status).toBe('FAILED');
  expect(snapshot.message).toMatch(/^worker lost/);
  expect(snapshot.events.map((e) => e.to)).toEqual(['SCHEDULED', 'IN_PROGRESS', 'FAILED']);

  // The upload is aborted (its parts are gone) and nothing stands under the final name.
  expect((await s3.pendingUploads(BUCKET)).filter((upload) => upload.uploadId === pending.uploadId)).toEqual([]);
  const store = engineRig.store(cluster.name);
  expect(await store.stat(snapshot.name)).toBeNull();
  expect([...(await collect(store.list()))]).toEqual([]);
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
