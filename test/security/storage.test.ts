/**
 * Storage is the operator's: a project admin picks a storage location by name
 * and can pass no path or URL, use no location of another project, read no
 * bucket, endpoint, directory or credential source, and no caller ever sees a
 * credential. Even a platform admin's LOCAL directory stays inside
 * LOCAL_STORAGE_ROOT, archives are 0600 in 0700 directories, and a symbolic
 * link planted in the root leads nowhere. Attacks go through GraphQL over HTTP
 * against a running service with a real worker, Kubernetes API and S3 server.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSnapshotDocument,
  CreateStorageLocationDocument,
  RegisterVirtualClusterDocument,
  SetAutoSnapshotPolicyDocument,
  SnapshotDocument,
  StorageLocationsDocument,
  UpdateStorageLocationDocument,
  VirtualClusterDocument,
  type CreateStorageLocationInput,
} from '../generated/graphql.ts';
import { E2E_PROJECT, isFinished, tenantStorageMessage, type EngineRig, useEngineRig } from '../engine/harness.ts';
import { errorCodes, tokens, type GraphQLResponse } from '../support/app.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';

/** Everything of this test on disk: LOCAL_STORAGE_ROOT is `<base>/root`, and nothing may appear beside it. */
const base = path.join(os.tmpdir(), `vsnap-security-storage-${randomUUID()}`);
const root = path.join(base, 'root');
const outside = path.join(base, 'outside');
/** Credentials the worker holds; no answer may ever contain them. */
const SECRET_ACCESS = 'SECURITY-TEST-ACCESS-KEY-VALUE';
const SECRET_KEY = 'security-test-secret-key-value';
const OTHER_PROJECT = 'security-other-project';

let rig: EngineRig;
let tenant: string;

beforeAll(async () => {
  await fs.mkdir(outside, { recursive: true });
});
useEngineRig((started) => (rig = started), {}, {
  localRoot: root,
  credentialVariables: { S3_LEAKY_ACCESS_KEY: SECRET_ACCESS, S3_LEAKY_SECRET_KEY: SECRET_KEY },
});
beforeAll(async () => {
  tenant = await tokens.projectAdmin(E2E_PROJECT);
});
afterAll(() => fs.rm(base, { recursive: true, force: true }));

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

/** Every path under `base`: what a refused request must leave as it was. */
async function disk(): Promise<string[]> {
  return (await fs.readdir(base, { recursive: true })).sort();
}

async function createLocation(input: CreateStorageLocationInput): Promise<string> {
  const response = await rig.app.request(CreateStorageLocationDocument, { input }, rig.admin);
  expect(response.errors).toBeUndefined();
  return response.data!.createStorageLocation.name;
}

/** A cluster of the tenant's project, registered by the platform admin, naming no location yet. */
async function tenantCluster(): Promise<string> {
  return (await rig.registerCluster({ policy: { storageLocation: null } })).id;
}

/** Posts a document as text, so it may use fields the schema does not have. */
async function post(query: string, variables: Record<string, unknown>, token: string): Promise<GraphQLResponse<Record<string, unknown>>> {
  const response = await fetch(`${rig.app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { ...((await response.json()) as GraphQLResponse<Record<string, unknown>>), status: response.status };
}

describe('a project admin cannot pass a path or URL', () => {
  it('the old storageTarget field is a GraphQL validation error (400), and nothing is created', async () => {
    const id = await tenantCluster();
    const target = path.join(base, 'proof-of-write');
    const before = await disk();
    const response = await post(`mutation { setAutoSnapshotPolicy(virtualClusterId: "${id}", policy: { enabled: false, storageTarget: "${target}" }) { id } }`, {}, tenant);
    expect(response.status).toBe(400);
    expect(response.data).toBeUndefined();
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(response.errors?.[0]?.message).toContain('Field "storageTarget" is not defined by type "AutoSnapshotPolicyInput"');
    expect(await disk()).toEqual(before);
    const read = await rig.app.request(VirtualClusterDocument, { id }, rig.admin);
    expect(read.data?.virtualCluster?.autoSnapshotPolicy.storageLocation).toBeNull();
  });

  it('sent in a variable, it is refused before anything runs, and nothing is created', async () => {
    const id = await tenantCluster();
    const target = path.join(base, 'proof-of-write');
    const before = await disk();
    const response = await post(
      'mutation ($id: ID!, $policy: AutoSnapshotPolicyInput!) { setAutoSnapshotPolicy(virtualClusterId: $id, policy: $policy) { id } }',
      { id, policy: { enabled: false, storageTarget: target } },
      tenant,
    );
    // The error's code is the edge's business (client errors are never INTERNAL_SERVER_ERROR); here: refused, no data.
    expect(response.data ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(await disk()).toEqual(before);
    const read = await rig.app.request(VirtualClusterDocument, { id }, rig.admin);
    expect(read.data?.virtualCluster?.autoSnapshotPolicy.storageLocation).toBeNull();
  });

  it.each(['/etc', '/var/tmp/vsnap-proof-of-write', '../../etc', 's3://attacker-bucket/loot', 'file:///etc'])(
    'a path or URL given as a location name (%s) is an unknown name: VALIDATION, and nothing is created',
    async (storageLocation) => {
      const id = await tenantCluster();
      const before = await disk();
      const response = await rig.app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: id, policy: { enabled: false, storageLocation } }, tenant);
      expect(errorCodes(response)).toEqual(['VALIDATION']);
      expect(response.errors?.[0]?.extensions?.field).toBe('storageLocation');
      expect(response.errors?.[0]?.message).toBe(`storageLocation: ${JSON.stringify(storageLocation)} is not a storage location this project may use`);
      expect(await disk()).toEqual(before);
      await expect(fs.stat('/var/tmp/vsnap-proof-of-write')).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );

  it('a location name longer than any location is refused as too long, and nothing is created', async () => {
    const id = await tenantCluster();
    const response = await rig.app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: id, policy: { enabled: false, storageLocation: `${base}/proof-of-write` } }, tenant);
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]?.message).toBe('storageLocation: must be at most 63 characters');
    await expect(fs.stat(path.join(base, 'proof-of-write'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('a project admin cannot use a location restricted to another project', () => {
  it('gets exactly the answer an unknown name gets, on set and on register', async () => {
    const restricted = await createLocation({ name: unique('other-only'), kind: 'LOCAL', directory: 'other', allowedProjectIds: [OTHER_PROJECT] });
    const id = await tenantCluster();
    const answers: unknown[] = [];
    for (const name of [restricted, 'no-such-location-here']) {
      const set = await rig.app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: id, policy: { enabled: false, storageLocation: name } }, tenant);
      const registered = await rig.app.request(
        RegisterVirtualClusterDocument,
        { input: { projectId: E2E_PROJECT, name: unique('probe'), kubeconfig: { inline: STATIC_KUBECONFIG }, autoSnapshotPolicy: { enabled: false, storageLocation: name } } },
        tenant,
      );
      for (const response of [set, registered]) expect(errorCodes(response)).toEqual(['VALIDATION']);
      // Same status, codes, fields and words; only the echoed name differs.
      answers.push(JSON.parse(JSON.stringify([set, registered]).replaceAll(name, '<name>')));
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toMatchObject([
      { status: 200, data: null, errors: [{ message: 'storageLocation: "<name>" is not a storage location this project may use', extensions: { code: 'VALIDATION', field: 'storageLocation' } }] },
      {
        status: 200,
        data: null,
        errors: [
          {
            message: 'autoSnapshotPolicy.storageLocation: "<name>" is not a storage location this project may use',
            extensions: { code: 'VALIDATION', field: 'autoSnapshotPolicy.storageLocation' },
          },
        ],
      },
    ]);
  });

  it('does not see it listed', async () => {
    const restricted = await createLocation({ name: unique('unlisted'), kind: 'LOCAL', directory: 'unlisted', allowedProjectIds: [OTHER_PROJECT] });
    const response = await rig.app.request(StorageLocationsDocument, {}, tenant).catch(() => undefined);
    expect(JSON.stringify(response)).not.toContain(restricted);
  });
});

describe('a project admin reads name, kind and default of a location, nothing else', () => {
  it('gets FORBIDDEN on bucket, prefix, endpoint, credentials, directory (and the rest), and none of their values', async () => {
    const s3 = await createLocation({
      name: unique('tenant-visible'),
      kind: 'S3',
      bucket: 'operators-private-bucket',
      prefix: 'operators/private/prefix',
      endpoint: 'https://minio.operators-network.example:9000',
      credentials: { fromEnvironment: 'S3_LEAKY' },
    });
    const local = await createLocation({ name: unique('tenant-visible'), kind: 'LOCAL', directory: 'operators-private-dir' });
    const response = await rig.app.request(StorageLocationsDocument, { projectId: E2E_PROJECT }, tenant);
    expect(response.status).toBe(200);
    expect(new Set(errorCodes(response))).toEqual(new Set(['FORBIDDEN']));
    // The refused fields are nulled; the names stand.
    const listed = response.data?.storageLocations ?? [];
    expect(listed.map((location) => location.name)).toEqual(expect.arrayContaining([s3, local]));
    for (const location of listed) expect(location).toMatchObject({ bucket: null, prefix: null, endpoint: null, directory: null, credentials: null });
    const body = JSON.stringify(response);
    for (const value of ['operators-private-bucket', 'operators/private/prefix', 'minio.operators-network', 'S3_LEAKY', 'operators-private-dir', root, SECRET_ACCESS, SECRET_KEY]) {
      expect(body).not.toContain(value);
    }
    // What a tenant may read, it reads.
    const names = await post('query { storageLocations { name kind default } }', {}, tenant);
    expect(names.errors).toBeUndefined();
    expect(names.data?.storageLocations).toEqual(expect.arrayContaining([{ name: s3, kind: 'S3', default: false }, { name: local, kind: 'LOCAL', default: false }]));
    for (const field of ['bucket', 'prefix', 'endpoint', 'region', 'pathStyle', 'directory', 'allowedProjectIds', 'createdAt', 'updatedAt', 'credentials { source environmentPrefix secretName }']) {
      const one = await post(`query { storageLocations { name ${field} } }`, {}, tenant);
      const key = field.split(' ')[0]!;
      expect(new Set(errorCodes(one)), field).toEqual(new Set(['FORBIDDEN']));
      expect((one.data?.storageLocations as Record<string, unknown>[]).every((location) => location[key] === null), field).toBe(true);
      expect(JSON.stringify(one)).not.toContain('operators-private');
    }
  });
});

describe('no caller ever sees a credential', () => {
  it('neither in a platform admin\'s full view of the location nor in the message of a refused upload', async () => {
    const leaky = await rig.createLocation({ name: unique('leaky'), prefix: 'leaky', credentials: { fromEnvironment: 'S3_LEAKY' } });
    const full = await rig.app.request(StorageLocationsDocument, {}, rig.admin);
    expect(full.data?.storageLocations.find((location) => location.name === leaky)?.credentials).toEqual({ source: 'ENVIRONMENT', environmentPrefix: 'S3_LEAKY', secretName: null });
    const cluster = await rig.registerCluster({ policy: { storageLocation: leaky } });
    const taken = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    // s3rver knows none of these keys: the upload is refused; the tenant reads which location, the log says where the keys come from.
    expect(taken.status).toBe('FAILED');
    expect(taken.message).toBe(tenantStorageMessage('refused', leaky));
    expect(rig.failureDetail(taken.id)).toContain('check S3_LEAKY_ACCESS_KEY and S3_LEAKY_SECRET_KEY and the bucket policy (InvalidAccessKeyId');
    for (const line of rig.app.logs()) {
      expect(JSON.stringify(line)).not.toContain(SECRET_ACCESS);
      expect(JSON.stringify(line)).not.toContain(SECRET_KEY);
    }
    const asTenant = await rig.app.request(SnapshotDocument, { id: taken.id }, tenant);
    for (const body of [JSON.stringify(full), JSON.stringify(taken), JSON.stringify(asTenant)]) {
      expect(body).not.toContain(SECRET_ACCESS);
      expect(body).not.toContain(SECRET_KEY);
    }
  });
});

describe("a platform admin's LOCAL directory stays inside LOCAL_STORAGE_ROOT", () => {
  it.each([
    ['/etc', 'directory: must be relative to LOCAL_STORAGE_ROOT, not an absolute path'],
    ['../etc', 'directory: must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)'],
    ['a/../../etc', 'directory: must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)'],
    ['daily\nbackups', 'directory: must not contain control characters'],
    ['.hidden', 'directory: must not have a component starting with "." (".hidden"): vsnap keeps its temporaries in dot-files'],
  ])('%j is refused (%s) on create and on update, and no directory appears', async (directory, message) => {
    const existing = await createLocation({ name: unique('kept'), kind: 'LOCAL', directory: 'kept' });
    const before = { disk: await disk(), locations: (await rig.app.request(StorageLocationsDocument, {}, rig.admin)).data };
    const created = await rig.app.request(CreateStorageLocationDocument, { input: { name: unique('escape'), kind: 'LOCAL', directory } }, rig.admin);
    const updated = await rig.app.request(UpdateStorageLocationDocument, { name: existing, input: { directory } }, rig.admin);
    for (const response of [created, updated]) {
      expect(errorCodes(response)).toEqual(['VALIDATION']);
      expect(response.errors?.[0]?.extensions?.field).toBe('directory');
      expect(response.errors?.[0]?.message).toBe(message);
    }
    expect({ disk: await disk(), locations: (await rig.app.request(StorageLocationsDocument, {}, rig.admin)).data }).toEqual(before);
    await expect(fs.stat(path.join(base, 'etc'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('archives on a LOCAL location', () => {
  it('are written 0600 in directories (root included) that vsnap creates 0700; the tenant sees the location name, not the path', async () => {
    const location = await createLocation({ name: unique('local'), kind: 'LOCAL', directory: 'team-a/daily' });
    const id = await tenantCluster();
    const set = await rig.app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: id, policy: { enabled: false, storageLocation: location } }, tenant);
    expect(set.errors).toBeUndefined();
    const created = await rig.app.request(CreateSnapshotDocument, { virtualClusterId: id }, tenant);
    expect(created.errors).toBeUndefined();
    const snapshot = await rig.waitFor(created.data!.createSnapshot.id, isFinished);
    expect(snapshot.status).toBe('COMPLETED');
    const archive = path.join(root, 'team-a', 'daily', snapshot.name);
    expect(snapshot).toMatchObject({ storageLocation: location, location: archive });
    expect(((await fs.stat(archive)).mode & 0o777).toString(8)).toBe('600');
    for (const directory of [root, path.join(root, 'team-a'), path.join(root, 'team-a', 'daily')]) {
      expect(((await fs.stat(directory)).mode & 0o777).toString(8), directory).toBe('700');
    }
    const asTenant = await post(`query { snapshot(id: "${snapshot.id}") { storageLocation location } }`, {}, tenant);
    expect(asTenant.data).toEqual({ snapshot: { storageLocation: location, location: null } });
    expect(errorCodes(asTenant)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(asTenant)).not.toContain(root);
  });
});

describe('a symbolic link planted in the root leads nowhere', () => {
  it.each([
    ['as the location directory', 'planted', 'planted'],
    ['on the way to it', 'planted-deep/below/here', 'planted-deep'],
  ])('%s: the snapshot fails and nothing is written outside', async (_case, directory, link) => {
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    await fs.symlink(outside, path.join(root, link));
    const location = await createLocation({ name: unique('linked'), kind: 'LOCAL', directory });
    const cluster = await rig.registerCluster({ policy: { storageLocation: location } });
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(tenantStorageMessage('refused', location));
    expect(rig.failureDetail(snapshot.id)).toBe(
      `storage refused: ${root}/${link} is a symbolic link; vsnap writes only to real directories inside LOCAL_STORAGE_ROOT (${root}): remove the link or point the location elsewhere`,
    );
    expect(snapshot.location).toBeNull();
    expect(await fs.readdir(outside, { recursive: true })).toEqual([]);
  });

  it('a legacy location outside the root (as the migration carries them over) is refused at use, saying what to do', async () => {
    const name = unique('legacy');
    await rig.app.orm.em.fork().execute(
      `insert into storage_location (id, name, kind, directory, allowed_project_ids, is_default, created_at, updated_at)
       values (gen_random_uuid(), ?, 'LOCAL', ?, null, false, now(), now())`,
      [name, outside],
    );
    const cluster = await rig.registerCluster({ policy: { storageLocation: name } });
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(tenantStorageMessage('refused', name));
    expect(rig.failureDetail(snapshot.id)).toBe(
      `storage refused: legacy directory "${outside}" is outside LOCAL_STORAGE_ROOT (${root}); move its archives under ${root} and set the location's directory relative to it`,
    );
    expect(await fs.readdir(outside, { recursive: true })).toEqual([]);
  });
});
