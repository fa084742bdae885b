/**
 * An end-to-end rig for the snapshot engine: the API and an Agenda worker on a
 * test database, a Kubernetes API test server and an S3 server, all real.
 */
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { EngineConfig } from '../../src/config.ts';
import { openObjectStore } from '../../src/storage/index.ts';
import {
  CreateSnapshotDocument,
  EngineSnapshotDocument,
  RegisterVirtualClusterDocument,
  type AutoSnapshotPolicyInput,
  type EngineSnapshotQuery,
} from '../generated/graphql.ts';
import { startKubeServer, type KubeTestServer } from '../kube/server.ts';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { startS3Server, type S3TestServer } from '../support/s3.ts';

export const BUCKET = 'vsnap-e2e';

export interface EngineRig {
  app: TestApp;
  kube: KubeTestServer;
  s3: S3TestServer;
  admin: string;
  registerCluster(options?: { name?: string; policy?: Partial<AutoSnapshotPolicyInput>; kubeconfig?: string }): Promise<{ id: string; name: string }>;
  createSnapshot(clusterId: string): Promise<string>;
  snapshot(id: string): Promise<NonNullable<EngineSnapshotQuery['snapshot']>>;
  /** Polls the snapshot over GraphQL until `done` holds (or fails after `timeoutMs`). */
  waitFor(id: string, done: (s: NonNullable<EngineSnapshotQuery['snapshot']>) => boolean, timeoutMs?: number): Promise<NonNullable<EngineSnapshotQuery['snapshot']>>;
  close(): Promise<void>;
}

let counter = 0;

export async function startEngineRig(engine: Partial<EngineConfig> = {}): Promise<EngineRig> {
  const [kube, s3] = await Promise.all([startKubeServer(), startS3Server()]);
  await s3.createBucket(BUCKET);
  kube.seedStandard();
  const app = await startTestApp({ engine: { s3: s3.settings({ partSizeBytes: 5 * 1024 * 1024 }), defaultStorageTarget: `s3://${BUCKET}/default`, ...engine } });
  return rigOf(app, kube, s3);
}

/**
 * One rig for a test file: started before its tests, closed after them, with the
 * Kubernetes faults reset before each test. `ready` receives the rig.
 */
export function useEngineRig(ready: (rig: EngineRig) => void, engine: Partial<EngineConfig> = {}): void {
  let rig: EngineRig | undefined;
  beforeAll(async () => {
    rig = await startEngineRig(engine);
    ready(rig);
  });
  afterAll(() => rig?.close());
  beforeEach(() => {
    if (!rig) return;
    rig.kube.faults.unavailable = false;
    rig.kube.faults.forbidden.clear();
    rig.kube.faults.csi = { mode: 'ready' };
  });
}

/** The rig's GraphQL helpers over servers already started; `close` closes them all. */
export async function rigOf(app: TestApp, kube: KubeTestServer, s3: S3TestServer): Promise<EngineRig> {
  const admin = await tokens.platformAdmin();
  const rig: EngineRig = {
    app,
    kube,
    s3,
    admin,
    async registerCluster({ name = `vc${++counter}`, policy, kubeconfig = kube.kubeconfig } = {}) {
      const response = await app.request(
        RegisterVirtualClusterDocument,
        {
          input: {
            projectId: `e2e-${process.pid}`,
            name,
            kubeconfig: { inline: kubeconfig },
            autoSnapshotPolicy: { enabled: false, storageTarget: `s3://${BUCKET}/${name}`, ...policy },
          },
        },
        admin,
      );
      expect(response.errors).toBeUndefined();
      return response.data!.registerVirtualCluster;
    },
    async createSnapshot(clusterId) {
      const response = await app.request(CreateSnapshotDocument, { virtualClusterId: clusterId }, admin);
      expect(response.errors).toBeUndefined();
      return response.data!.createSnapshot.id;
    },
    async snapshot(id) {
      const response = await app.request(EngineSnapshotDocument, { id }, admin);
      expect(response.errors).toBeUndefined();
      if (!response.data?.snapshot) throw new Error(`snapshot ${id} not found`);
      return response.data.snapshot;
    },
    async waitFor(id, done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const snapshot = await rig.snapshot(id);
        if (done(snapshot)) return snapshot;
        if (Date.now() > deadline) throw new Error(`snapshot ${id} still ${snapshot.status} after ${timeoutMs}ms: ${JSON.stringify(snapshot)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close() {
      await app.close();
      await Promise.all([kube.close(), s3.close()]);
    },
  };
  return rig;
}

/**
 * Runs a periodic job out of turn and waits until that run has finished, so that
 * "nothing changed" afterwards means the run saw it and left it alone.
 */
export async function runToCompletion(rig: EngineRig, name: 'reconcile-storage' | 'enforce-retention', timeoutMs = 20_000): Promise<void> {
  const scheduler = rig.app.engine!.scheduler;
  const id = await scheduler.runNow(name);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await scheduler.jobState(id);
    if (run?.state === 'failed') throw new Error(`${name} failed: ${run.failReason}`);
    if (run?.state === 'completed') return;
    if (Date.now() > deadline) throw new Error(`${name} did not finish within ${timeoutMs}ms: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const isFinished = (s: { status: string }) => !['SCHEDULED', 'IN_PROGRESS'].includes(s.status);

export interface ReadArchive {
  entries: { name: string; body: string }[];
  sha256: string;
  size: number;
}

/** Fetches an archive back from storage and unpacks it in memory (test archives are small). */
export async function readArchive(storageTarget: string, name: string, s3: S3TestServer): Promise<ReadArchive> {
  const source = await openObjectStore(storageTarget, s3.settings()).read(name);
  const hash = createHash('sha256');
  let size = 0;
  const entries: { name: string; body: string }[] = [];
  const unpack = extract();
  unpack.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    stream.on('end', () => {
      entries.push({ name: header.name, body: Buffer.concat(chunks).toString('utf8') });
      next();
    });
  });
  const tap = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback();
    },
  });
  const gunzip = createGunzip();
  source.on('data', (chunk: Buffer) => {
    tap.write(chunk);
  });
  await pipeline(source, gunzip, unpack);
  return { entries, sha256: hash.digest('hex'), size };
}
