/**
 * An end-to-end rig for the snapshot engine: the API and an Agenda worker on a
 * test database, a Kubernetes API test server and an S3 server, all real.
 * Clusters write to S3 storage locations on that server, each with the server's
 * endpoint and credentials of its own: the engine's S3_* defaults lead nowhere.
 */
import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { EngineConfig } from '../../src/config.ts';
import { S3ObjectStore, type ObjectStore, type StorageSettings } from '../../src/storage/index.ts';
import {
  CreateSnapshotDocument,
  CreateStorageLocationDocument,
  EngineSnapshotDocument,
  RegisterVirtualClusterDocument,
  type AutoSnapshotPolicyInput,
  type CreateStorageLocationInput,
  type EngineSnapshotQuery,
} from '../generated/graphql.ts';
import { startKubeServer, type KubeTestServer } from '../kube/server.ts';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { startS3Server, type S3TestServer } from '../support/s3.ts';

export const BUCKET = 'vsnap-e2e';
/** The rig's S3 locations read their keys from S3_E2E_ACCESS_KEY / S3_E2E_SECRET_KEY. */
export const CREDENTIALS_PREFIX = 'S3_E2E';
/** The default location: where clusters whose policy names none write. */
export const DEFAULT_LOCATION = 'e2e-default';

export interface EngineRig {
  app: TestApp;
  kube: KubeTestServer;
  s3: S3TestServer;
  admin: string;
  /** How the engine opens storage locations (set by startEngineRig). */
  storage?: StorageSettings;
  /**
   * A cluster with a location of its own (`<name>` prefix in BUCKET) unless the
   * policy names one (or null for the default); `storageLocation` is the location it writes to.
   */
  registerCluster(options?: { name?: string; policy?: Partial<AutoSnapshotPolicyInput>; kubeconfig?: string }): Promise<{ id: string; name: string; storageLocation: string }>;
  /** An S3 location on the rig's server (bucket BUCKET unless given), created by a platform admin; returns its name. */
  createLocation(options: { name?: string; prefix?: string } & Partial<CreateStorageLocationInput>): Promise<string>;
  /** The rig's S3 server as a store at `prefix` of `bucket`, to look at archives directly. */
  store(prefix: string, bucket?: string): ObjectStore;
  createSnapshot(clusterId: string): Promise<string>;
  snapshot(id: string): Promise<NonNullable<EngineSnapshotQuery['snapshot']>>;
  /** Polls the snapshot over GraphQL until `done` holds (or fails after `timeoutMs`). */
  waitFor(id: string, done: (s: NonNullable<EngineSnapshotQuery['snapshot']>) => boolean, timeoutMs?: number): Promise<NonNullable<EngineSnapshotQuery['snapshot']>>;
  /** What the worker logged for the operator when the snapshot failed: the error behind the tenant's message. */
  failureDetail(id: string): string | undefined;
  close(): Promise<void>;
}

/** The message a project admin reads when storage failed: the location's name and the kind of failure only. */
export const tenantStorageMessage = (kind: 'refused' | 'unreachable', location: string) =>
  `storage ${kind} at storage location "${location}"; the operator's log has the details`;

let counter = 0;
export const E2E_PROJECT = `e2e-${process.pid}`;

/** `storage` overrides parts of rigStorage (a local root, a secrets directory, credential variables). */
export async function startEngineRig(engine: Partial<EngineConfig> = {}, storage: Partial<StorageSettings> = {}): Promise<EngineRig> {
  const [kube, s3] = await Promise.all([startKubeServer(), startS3Server()]);
  await s3.createBucket(BUCKET);
  kube.seedStandard();
  const settings = engine.storage ?? rigStorage(s3, storage);
  const app = await startTestApp({ engine: { storage: settings, ...engine } });
  const rig = await rigOf(app, kube, s3);
  rig.storage = settings;
  await rig.createLocation({ name: DEFAULT_LOCATION, prefix: 'default', default: true });
  return rig;
}

/**
 * Storage settings of a rig engine: S3 defaults that reach nothing (a closed
 * port), so an archive lands in s3rver only through a location's own endpoint and
 * credentials; the rig's credentials under CREDENTIALS_PREFIX.
 */
export function rigStorage(s3: S3TestServer, overrides: Partial<StorageSettings> = {}): StorageSettings {
  return {
    s3: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', pathStyle: true, partSizeBytes: 5 * 1024 * 1024 },
    localRoot: path.join(os.tmpdir(), `vsnap-rig-storage-${randomUUID()}`),
    secretsDir: '/nonexistent-storage-secrets',
    ...overrides,
    credentialVariables: {
      [`${CREDENTIALS_PREFIX}_ACCESS_KEY`]: s3.accessKey,
      [`${CREDENTIALS_PREFIX}_SECRET_KEY`]: s3.secretKey,
      ...overrides.credentialVariables,
    },
  };
}

/**
 * One rig for a test file: started before its tests, closed after them, with the
 * Kubernetes faults reset before each test. `ready` receives the rig.
 */
export function useEngineRig(ready: (rig: EngineRig) => void, engine: Partial<EngineConfig> = {}, storage: Partial<StorageSettings> = {}): void {
  let rig: EngineRig | undefined;
  beforeAll(async () => {
    rig = await startEngineRig(engine, storage);
    ready(rig);
  });
  afterAll(() => rig?.close());
  beforeEach(() => {
    if (!rig) return;
    rig.kube.faults.unavailable = false;
    rig.kube.faults.forbidden.clear();
    rig.kube.faults.notFound.clear();
    rig.kube.faults.intermittent = [];
    rig.kube.faults.expireContinue = undefined;
    rig.kube.faults.before = undefined;
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
      // A policy may name a location, or none (null: the default one).
      const storageLocation = policy && 'storageLocation' in policy ? (policy.storageLocation ?? null) : await rig.createLocation({ name: `loc-${name}`, prefix: name });
      const response = await app.request(
        RegisterVirtualClusterDocument,
        {
          input: {
            projectId: E2E_PROJECT,
            name,
            kubeconfig: { inline: kubeconfig },
            autoSnapshotPolicy: { enabled: false, ...policy, storageLocation },
          },
        },
        admin,
      );
      expect(response.errors).toBeUndefined();
      return { ...response.data!.registerVirtualCluster, storageLocation: storageLocation ?? DEFAULT_LOCATION };
    },
    async createLocation({ name = `loc${++counter}`, prefix = name, ...input }) {
      const response = await app.request(
        CreateStorageLocationDocument,
        {
          input: {
            name,
            kind: 'S3',
            bucket: BUCKET,
            prefix,
            endpoint: s3.endpoint,
            region: s3.region,
            pathStyle: true,
            credentials: { fromEnvironment: CREDENTIALS_PREFIX },
            ...input,
          },
        },
        admin,
      );
      expect(response.errors).toBeUndefined();
      return response.data!.createStorageLocation.name;
    },
    store: (prefix, bucket = BUCKET) => new S3ObjectStore({ ...s3.settings(), bucket, prefix }),
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
    failureDetail(id) {
      const line = app.logs().find((entry) => entry.msg === 'snapshot failed' && entry.snapshotId === id);
      return typeof line?.detail === 'string' ? line.detail : undefined;
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
export async function runToCompletion(rig: EngineRig, name: 'reconcile-storage' | 'enforce-retention' | 'verify-archives' | 'prune-event-log', timeoutMs = 20_000): Promise<void> {
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
export async function readArchive(store: ObjectStore, name: string): Promise<ReadArchive> {
  const source = await store.read(name);
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
