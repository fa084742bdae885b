/**
 * Storage locations end to end: the worker writes through a location's own
 * endpoint and credentials (from the environment or a mounted secret), says
 * what to fix when they are missing or wrong, and checks the location again
 * when taking starts. Everything is observed through GraphQL over HTTP.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateStorageLocationDocument } from '../generated/graphql.ts';
import { BUCKET, DEFAULT_LOCATION, E2E_PROJECT, isFinished, tenantStorageMessage, type EngineRig, useEngineRig } from './harness.ts';

let rig: EngineRig;
/** STORAGE_SECRETS_DIR of the rig's engine. */
const secretsDir = path.join(os.tmpdir(), `vsnap-storage-secrets-${randomUUID()}`);

beforeAll(() => fs.mkdir(secretsDir, { recursive: true }));
useEngineRig((started) => (rig = started), {}, { secretsDir });
afterAll(() => fs.rm(secretsDir, { recursive: true, force: true }));

async function mountSecret(name: string, accessKey: string, secretKey: string): Promise<void> {
  await fs.mkdir(path.join(secretsDir, name), { recursive: true });
  // As Kubernetes mounts them: values may end in a newline.
  await fs.writeFile(path.join(secretsDir, name, 'access-key'), `${accessKey}\n`);
  await fs.writeFile(path.join(secretsDir, name, 'secret-key'), `${secretKey}\n`);
}

async function takeWith(storageLocation: string) {
  const cluster = await rig.registerCluster({ policy: { storageLocation } });
  return { cluster, snapshot: await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished) };
}

describe('S3 locations bring their own endpoint and credentials', () => {
  it('writes with keys read from a mounted secret, under the location\'s prefix', async () => {
    await mountSecret('team-a', rig.s3.accessKey, rig.s3.secretKey);
    const location = await rig.createLocation({ prefix: 'team-a/daily', credentials: { fromSecret: 'team-a' } });
    const { snapshot } = await takeWith(location);
    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.storageLocation).toBe(location);
    expect(snapshot.location).toBe(`s3://${BUCKET}/team-a/daily/${snapshot.name}`);
    expect((await rig.store('team-a/daily').stat(snapshot.name))?.size).toBe(snapshot.sizeBytes);
  });

  it('fails naming the secret when S3 refuses its keys, and never shows them', async () => {
    await mountSecret('wrong-keys', 'NOT-THE-ACCESS-KEY', 'not-the-secret-key-value');
    const location = await rig.createLocation({ prefix: 'wrong', credentials: { fromSecret: 'wrong-keys' } });
    const { snapshot } = await takeWith(location);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(tenantStorageMessage('refused', location));
    expect(rig.failureDetail(snapshot.id)).toMatch(
      new RegExp(`^storage refused: access to s3://${BUCKET}/wrong/${snapshot.name.replaceAll('.', '\\.')} denied; check the secret at ${secretsDir}/wrong-keys and the bucket policy \\(InvalidAccessKeyId: `),
    );
    expect(JSON.stringify(snapshot)).not.toContain('NOT-THE-ACCESS-KEY');
    expect(JSON.stringify(snapshot)).not.toContain('not-the-secret-key-value');
  });

  it('fails saying which file is missing when the secret is not mounted', async () => {
    const location = await rig.createLocation({ prefix: 'unmounted', credentials: { fromSecret: 'not-mounted' } });
    const { snapshot } = await takeWith(location);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(tenantStorageMessage('refused', location));
    expect(rig.failureDetail(snapshot.id)).toMatch(
      new RegExp(`^storage refused: storage location "${location}" takes its credentials from the secret mounted at ${secretsDir}/not-mounted, but ${secretsDir}/not-mounted/access-key cannot be read \\(ENOENT`),
    );
  });

  it('fails naming the variables when they are not set in the environment', async () => {
    const location = await rig.createLocation({ prefix: 'no-env', credentials: { fromEnvironment: 'S3_NOT_SET' } });
    const { snapshot } = await takeWith(location);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(tenantStorageMessage('refused', location));
    expect(rig.failureDetail(snapshot.id)).toBe(
      `storage refused: storage location "${location}" takes its credentials from S3_NOT_SET_ACCESS_KEY and S3_NOT_SET_SECRET_KEY, which are not both set in this process's environment`,
    );
  });

  it('falls back to the S3_* defaults for what it leaves out (here an endpoint nothing listens on)', async () => {
    const location = await rig.createLocation({ prefix: 'defaults', endpoint: null });
    const { snapshot } = await takeWith(location);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(tenantStorageMessage('unreachable', location));
    expect(rig.failureDetail(snapshot.id)).toMatch(/^storage unreachable: cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED/);
  });
});

describe('the location is checked again when taking starts', () => {
  it('a location closed to the project since the policy named it fails the snapshot before anything is read', async () => {
    const location = await rig.createLocation({ prefix: 'closing' });
    const cluster = await rig.registerCluster({ policy: { storageLocation: location } });
    const closed = await rig.app.request(UpdateStorageLocationDocument, { name: location, input: { allowedProjectIds: ['somebody-else'] } }, rig.admin);
    expect(closed.errors).toBeUndefined();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    const reason = `storage location "${location}" is no longer open to project ${E2E_PROJECT}; choose another in the auto-snapshot policy`;
    expect(snapshot).toMatchObject({ status: 'FAILED', message: reason, storageLocation: null, location: null, startedAt: null });
    expect(snapshot.events.map((e) => [e.from, e.to, e.message])).toEqual([
      [null, 'SCHEDULED', 'requested through createSnapshot'],
      ['SCHEDULED', 'FAILED', reason],
    ]);
  });

  it('so is the default location of a policy that names none', async () => {
    const cluster = await rig.registerCluster({ policy: { storageLocation: null } });
    const closed = await rig.app.request(UpdateStorageLocationDocument, { name: DEFAULT_LOCATION, input: { allowedProjectIds: ['somebody-else'] } }, rig.admin);
    expect(closed.errors).toBeUndefined();
    try {
      const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
      expect(snapshot).toMatchObject({
        status: 'FAILED',
        message: `storage location "${DEFAULT_LOCATION}" is no longer open to project ${E2E_PROJECT}; choose another in the auto-snapshot policy`,
      });
    } finally {
      await rig.app.request(UpdateStorageLocationDocument, { name: DEFAULT_LOCATION, input: { allowedProjectIds: null } }, rig.admin);
    }
  });

  it('and a policy that names none fails when there is no default (the API never leaves clusters so; the database may)', async () => {
    const cluster = await rig.registerCluster({ policy: { storageLocation: null } });
    await rig.app.orm.em.fork().execute('update storage_location set is_default = false');
    try {
      const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
      expect(snapshot).toMatchObject({
        status: 'FAILED',
        message: 'the policy names no storage location and there is no default one; a platform admin marks one default',
      });
    } finally {
      await rig.app.orm.em.fork().execute(`update storage_location set is_default = true where name = '${DEFAULT_LOCATION}'`);
    }
  });

  it('a policy naming no location writes to the default one', async () => {
    const cluster = await rig.registerCluster({ policy: { storageLocation: null } });
    const taken = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    expect(taken).toMatchObject({ status: 'COMPLETED', storageLocation: DEFAULT_LOCATION, location: `s3://${BUCKET}/default/${taken.name}` });
  });
});
