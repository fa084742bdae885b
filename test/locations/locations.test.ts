/**
 * The storage-location API over HTTP against real Postgres: what platform
 * admins create, change and delete, the rules every input meets, the one
 * default, and what a policy may name. (Who may call what is in
 * test/auth/auth-matrix.test.ts; attacks in test/security/storage.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageLocationSchema } from '../../src/locations/entity.ts';
import { SnapshotSchema } from '../../src/snapshots/entity.ts';
import { moveSnapshot } from '../../src/snapshots/transitions.ts';
import {
  CreateSnapshotDocument,
  CreateStorageLocationDocument,
  DeleteStorageLocationDocument,
  RegisterVirtualClusterDocument,
  SetAutoSnapshotPolicyDocument,
  StorageLocationsDocument,
  UpdateStorageLocationDocument,
  VirtualClusterDocument,
  type CreateStorageLocationInput,
  type StorageLocationFieldsFragment,
} from '../generated/graphql.ts';
import { errorCodes, startTestApp, tokens, type GraphQLResponse, type TestApp } from '../support/app.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokens.platformAdmin();
});
afterAll(() => app?.close());

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;
const anyString = expect.any(String) as unknown as string;

async function create(input: CreateStorageLocationInput): Promise<StorageLocationFieldsFragment> {
  const response = await app.request(CreateStorageLocationDocument, { input }, admin);
  expect(response.errors).toBeUndefined();
  return response.data!.createStorageLocation;
}

async function list(): Promise<StorageLocationFieldsFragment[]> {
  const response = await app.request(StorageLocationsDocument, {}, admin);
  expect(response.errors).toBeUndefined();
  return response.data!.storageLocations;
}

async function defaults(): Promise<string[]> {
  return (await list()).filter((location) => location.default).map((location) => location.name);
}

async function register(projectId: string, storageLocation?: string | null) {
  const response = await app.request(
    RegisterVirtualClusterDocument,
    { input: { projectId, name: unique('vc'), kubeconfig: { inline: STATIC_KUBECONFIG }, autoSnapshotPolicy: { enabled: false, storageLocation } } },
    admin,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.registerVirtualCluster;
}

const rows = () => app.orm.em.fork().find(StorageLocationSchema, {}, { orderBy: { name: 'asc' } });

function expectError(response: GraphQLResponse<unknown>, code: string, field: string, message: string | RegExp) {
  expect(errorCodes(response)).toEqual([code]);
  expect(response.errors?.[0]?.extensions?.field).toBe(field);
  if (typeof message === 'string') expect(response.errors?.[0]?.message).toBe(message);
  else expect(response.errors?.[0]?.message).toMatch(message);
}

describe('createStorageLocation', () => {
  it('stores an S3 location: prefix without outer slashes, endpoint as its origin, credentials from the environment', async () => {
    const name = unique('s3');
    const location = await create({
      name,
      kind: 'S3',
      bucket: 'vsnap-archives',
      prefix: '/team-a/daily/',
      endpoint: 'https://minio.example.test:9000/',
      region: 'eu-central-1',
      pathStyle: false,
      credentials: { fromEnvironment: 'S3_TEAM_A' },
      allowedProjectIds: ['team-b', 'team-a', 'team-a'],
    });
    expect(location).toEqual({
      id: anyString,
      name,
      kind: 'S3',
      default: false,
      bucket: 'vsnap-archives',
      prefix: 'team-a/daily',
      endpoint: 'https://minio.example.test:9000',
      region: 'eu-central-1',
      pathStyle: false,
      credentials: { source: 'ENVIRONMENT', environmentPrefix: 'S3_TEAM_A', secretName: null },
      directory: null,
      allowedProjectIds: ['team-a', 'team-b'],
      createdAt: anyString,
      updatedAt: anyString,
    });
    expect((await list()).find((l) => l.name === name)).toEqual(location);
  });

  it('stores an S3 location on the S3_* defaults, and one whose keys come from a mounted secret', async () => {
    const plain = await create({ name: unique('s3'), kind: 'S3', bucket: 'vsnap-archives' });
    expect(plain).toMatchObject({ prefix: '', endpoint: null, region: null, pathStyle: null, credentials: { source: 'DEFAULT', environmentPrefix: null, secretName: null } });
    const fromSecret = await create({ name: unique('s3'), kind: 'S3', bucket: 'vsnap-archives', credentials: { fromSecret: 'minio-team-a' } });
    expect(fromSecret.credentials).toEqual({ source: 'SECRET', environmentPrefix: null, secretName: 'minio-team-a' });
  });

  it('stores LOCAL locations: the root itself, or a directory under it', async () => {
    const root = await create({ name: unique('local'), kind: 'LOCAL', directory: '' });
    expect(root).toMatchObject({ kind: 'LOCAL', directory: '', bucket: null, prefix: null, credentials: null, allowedProjectIds: null });
    const nested = await create({ name: unique('local'), kind: 'LOCAL', directory: 'team-a/daily_v1.2', allowedProjectIds: [] });
    expect(nested).toMatchObject({ directory: 'team-a/daily_v1.2', allowedProjectIds: [] });
  });

  // One rule broken per input; every refusal writes nothing.
  it.each<[string, Partial<CreateStorageLocationInput>, string, string]>([
    ['an upper-case name', { name: 'Team_A' }, 'name', 'name: must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending alphanumeric'],
    ['a 64-character name', { name: 'a'.repeat(64) }, 'name', 'name: must be at most 63 characters'],
    ['a name with a newline', { name: 'team\na' }, 'name', 'name: must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending alphanumeric'],
    ['S3 without a bucket', { bucket: null }, 'bucket', 'bucket: is required for an S3 location'],
    ['S3 with a directory', { directory: 'x' }, 'directory', 'directory: is only for LOCAL locations'],
    ['a bucket S3 would refuse', { bucket: 'Vsnap_Archives' }, 'bucket', 'bucket: must be an S3 bucket name: 3-63 lower-case letters, digits, "." and "-"'],
    ['a prefix climbing up', { prefix: 'team-a/../team-b' }, 'prefix', 'prefix: must be "/"-separated components of letters, digits, ".", "_" and "-" (no empty, "." or ".." component)'],
    ['a prefix with an empty segment', { prefix: 'team-a//daily' }, 'prefix', 'prefix: must be "/"-separated components of letters, digits, ".", "_" and "-" (no empty, "." or ".." component)'],
    ['an ftp endpoint', { endpoint: 'ftp://minio.example.test' }, 'endpoint', 'endpoint: must be an http:// or https:// URL'],
    ['an endpoint with credentials in it', { endpoint: 'https://key:secret@minio.example.test' }, 'endpoint', 'endpoint: must not carry credentials (give them through credentials)'],
    ['an endpoint with a path', { endpoint: 'https://minio.example.test/bucket' }, 'endpoint', 'endpoint: must have no path, query or fragment (the bucket is a field of its own)'],
    ['a region with a space', { region: 'eu central' }, 'region', 'region: must be letters, digits, "-" and "_"'],
    ['both credential sources', { credentials: { fromEnvironment: 'S3_A', fromSecret: 'a' } }, 'credentials', 'credentials: give at most one of fromEnvironment and fromSecret'],
    [
      'a credentials prefix naming another variable',
      { credentials: { fromEnvironment: 'AUTH_JWT' } },
      'credentials.fromEnvironment',
      'credentials.fromEnvironment: must be S3 or S3_<NAME> (upper-case letters, digits and "_"): <prefix>_ACCESS_KEY and <prefix>_SECRET_KEY are read',
    ],
    [
      'a credentials prefix ending in "_"',
      { credentials: { fromEnvironment: 'S3_' } },
      'credentials.fromEnvironment',
      'credentials.fromEnvironment: must be S3 or S3_<NAME> (upper-case letters, digits and "_"): <prefix>_ACCESS_KEY and <prefix>_SECRET_KEY are read',
    ],
    ['a secret name with a slash', { credentials: { fromSecret: '../kubeconfigs' } }, 'credentials.fromSecret', 'credentials.fromSecret: must be a secret name: lower-case letters, digits, "-" and "."'],
    ['a project id that is no label', { allowedProjectIds: ['Team A'] }, 'allowedProjectIds.0', 'allowedProjectIds.0: must be a DNS-1123 label'],
  ])('refuses %s with VALIDATION on %s', async (_case, override, field, message) => {
    const before = await rows();
    const response = await app.request(CreateStorageLocationDocument, { input: { name: unique('bad'), kind: 'S3', bucket: 'vsnap-archives', ...override } }, admin);
    expectError(response, 'VALIDATION', field, message);
    expect(await rows()).toEqual(before);
  });

  it.each<[string, Partial<CreateStorageLocationInput>, string, string]>([
    ['LOCAL without a directory', {}, 'directory', 'directory: is required for a LOCAL location ("" for LOCAL_STORAGE_ROOT itself)'],
    ['LOCAL with a bucket', { directory: 'a', bucket: 'vsnap-archives' }, 'bucket', 'bucket: is only for S3 locations'],
    ['LOCAL with credentials', { directory: 'a', credentials: { fromSecret: 'a' } }, 'credentials', 'credentials: is only for S3 locations'],
    ['LOCAL with an absolute directory', { directory: '/var/lib/vsnap' }, 'directory', 'directory: must be relative to LOCAL_STORAGE_ROOT, not an absolute path'],
  ])('refuses %s with VALIDATION on %s', async (_case, override, field, message) => {
    const before = await rows();
    const response = await app.request(CreateStorageLocationDocument, { input: { name: unique('bad'), kind: 'LOCAL', ...override } }, admin);
    expectError(response, 'VALIDATION', field, message);
    expect(await rows()).toEqual(before);
  });

  it('refuses a second location of the same name with CONFLICT', async () => {
    const name = unique('twin');
    await create({ name, kind: 'LOCAL', directory: 'twin' });
    const before = await rows();
    const response = await app.request(CreateStorageLocationDocument, { input: { name, kind: 'S3', bucket: 'vsnap-archives' } }, admin);
    expectError(response, 'CONFLICT', 'name', `a storage location named "${name}" already exists`);
    expect(await rows()).toEqual(before);
  });
});

describe('the default location', () => {
  it('is the migration\'s LOCAL "default" at first, and stays the only one when another is made default', async () => {
    expect(await defaults()).toEqual(['default']);
    const name = unique('main');
    expect((await create({ name, kind: 'LOCAL', directory: 'main', default: true })).default).toBe(true);
    expect(await defaults()).toEqual([name]);
    const promoted = await app.request(UpdateStorageLocationDocument, { name: 'default', input: { default: true } }, admin);
    expect(promoted.errors).toBeUndefined();
    expect(await defaults()).toEqual(['default']);
  });

  it('a policy that names no location shows null and follows whichever location is default', async () => {
    const cluster = await register(unique('proj'));
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(read.data?.virtualCluster?.autoSnapshotPolicy.storageLocation).toBeNull();
  });

  it('cannot be unmarked or deleted while clusters rely on it; another is marked default instead', async () => {
    await register(unique('proj'));
    const before = await rows();
    const unmarked = await app.request(UpdateStorageLocationDocument, { name: 'default', input: { default: false } }, admin);
    expectError(unmarked, 'CONFLICT', 'default', /^\d+ virtual clusters? uses? the default storage location; mark another location default instead$/);
    const deleted = await app.request(DeleteStorageLocationDocument, { name: 'default' }, admin);
    expectError(deleted, 'CONFLICT', 'name', /^\d+ virtual clusters? uses? the default storage location; mark another location default first$/);
    expect(await rows()).toEqual(before);
  });
});

describe('updateStorageLocation', () => {
  it('changes what it is given, resets to the defaults on null, and keeps the rest', async () => {
    const name = unique('upd');
    const created = await create({
      name,
      kind: 'S3',
      bucket: 'vsnap-archives',
      prefix: 'a',
      endpoint: 'https://minio.example.test',
      region: 'eu-west-1',
      pathStyle: true,
      credentials: { fromSecret: 'minio' },
      allowedProjectIds: ['team-a'],
    });
    const response = await app.request(
      UpdateStorageLocationDocument,
      { name, input: { prefix: 'b/c', endpoint: null, region: null, credentials: null, allowedProjectIds: null } },
      admin,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.updateStorageLocation).toEqual({
      ...created,
      prefix: 'b/c',
      endpoint: null,
      region: null,
      credentials: { source: 'DEFAULT', environmentPrefix: null, secretName: null },
      allowedProjectIds: null,
      updatedAt: anyString,
    });
  });

  it('renames a location; the policies that name it follow', async () => {
    const name = unique('old');
    await create({ name, kind: 'LOCAL', directory: 'renamed' });
    const cluster = await register(unique('proj'), name);
    const renamed = unique('new');
    const response = await app.request(UpdateStorageLocationDocument, { name, input: { name: renamed } }, admin);
    expect(response.data?.updateStorageLocation.name).toBe(renamed);
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(read.data?.virtualCluster?.autoSnapshotPolicy.storageLocation).toBe(renamed);
  });

  it.each<[string, 'S3' | 'LOCAL', Record<string, unknown>, string, string, string]>([
    ['a bucket on a LOCAL location', 'LOCAL', { bucket: 'vsnap-archives' }, 'VALIDATION', 'bucket', 'bucket: is only for S3 locations'],
    ['a directory on an S3 location', 'S3', { directory: 'a' }, 'VALIDATION', 'directory', 'directory: is only for LOCAL locations'],
    ['a null bucket', 'S3', { bucket: null }, 'VALIDATION', 'bucket', 'bucket: cannot be null; leave it out to keep it'],
    ['a null directory', 'LOCAL', { directory: null }, 'VALIDATION', 'directory', 'directory: cannot be null; leave it out to keep it'],
    ['a directory leaving the root', 'LOCAL', { directory: 'a/../../etc' }, 'VALIDATION', 'directory', 'directory: must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)'],
    ['the name of another location', 'LOCAL', { name: 'default' }, 'CONFLICT', 'name', 'a storage location named "default" already exists'],
  ])('refuses %s and changes nothing', async (_case, kind, input, code, field, message) => {
    const name = unique('keep');
    await create(kind === 'S3' ? { name, kind, bucket: 'vsnap-archives' } : { name, kind, directory: 'keep' });
    const before = await rows();
    const response = await app.request(UpdateStorageLocationDocument, { name, input }, admin);
    expectError(response, code, field, message);
    expect(await rows()).toEqual(before);
  });

  it('answers NOT_FOUND for a name that does not exist', async () => {
    const response = await app.request(UpdateStorageLocationDocument, { name: 'no-such-location', input: { directory: 'x' } }, admin);
    expectError(response, 'NOT_FOUND', 'name', 'storage location "no-such-location" does not exist');
  });
});

describe('deleteStorageLocation', () => {
  it('deletes an unused location', async () => {
    const name = unique('gone');
    await create({ name, kind: 'LOCAL', directory: 'gone' });
    const response = await app.request(DeleteStorageLocationDocument, { name }, admin);
    expect(response.data).toEqual({ deleteStorageLocation: { deletedStorageLocationName: name } });
    expect((await list()).map((l) => l.name)).not.toContain(name);
  });

  it('is refused with CONFLICT while a policy names it', async () => {
    const name = unique('named');
    await create({ name, kind: 'LOCAL', directory: 'named' });
    await register(unique('proj'), name);
    const before = await rows();
    const response = await app.request(DeleteStorageLocationDocument, { name }, admin);
    expectError(response, 'CONFLICT', 'name', `storage location "${name}" is named by the auto-snapshot policy of 1 virtual cluster; point them at another location first`);
    expect(await rows()).toEqual(before);
  });

  it('is refused with CONFLICT while it holds a stored snapshot; a FAILED one (no archive) lets it go', async () => {
    const name = unique('holding');
    await create({ name, kind: 'LOCAL', directory: 'holding' });
    const cluster = await register(unique('proj'), name);
    const stored = await takenTo(cluster.id, name, 'COMPLETED');
    // The policy moves on; the archive stays where it was written.
    const moved = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy: { enabled: false } }, admin);
    expect(moved.errors).toBeUndefined();

    const refused = await app.request(DeleteStorageLocationDocument, { name }, admin);
    expectError(refused, 'CONFLICT', 'name', `storage location "${name}" holds 1 snapshot; delete them (or let retention remove them) first`);

    await app.orm.em.fork().transactional(async (em) => {
      const snapshot = await em.findOneOrFail(SnapshotSchema, { id: stored });
      await em.nativeDelete(SnapshotSchema, { id: snapshot.id });
    });
    const failed = await takenTo(cluster.id, name, 'FAILED');
    const deleted = await app.request(DeleteStorageLocationDocument, { name }, admin);
    expect(deleted.errors).toBeUndefined();
    expect((await app.orm.em.fork().findOneOrFail(SnapshotSchema, { id: failed })).storageLocation).toBeNull();
  });

  it('answers NOT_FOUND for a name that does not exist', async () => {
    const response = await app.request(DeleteStorageLocationDocument, { name: 'no-such-location' }, admin);
    expectError(response, 'NOT_FOUND', 'name', 'storage location "no-such-location" does not exist');
  });
});

describe('policies name a location their project may use', () => {
  it('accepts a location open to every project or to the cluster\'s, and shows its name', async () => {
    const open = unique('open');
    await create({ name: open, kind: 'LOCAL', directory: 'open' });
    const projectId = unique('proj');
    const mine = unique('mine');
    await create({ name: mine, kind: 'LOCAL', directory: 'mine', allowedProjectIds: [projectId] });
    const cluster = await register(projectId, open);
    const set = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy: { enabled: false, storageLocation: mine } }, admin);
    expect(set.errors).toBeUndefined();
    expect(set.data?.setAutoSnapshotPolicy.autoSnapshotPolicy.storageLocation).toBe(mine);
  });

  it('refuses, even for a platform admin, a location closed to the cluster\'s project exactly like one that does not exist', async () => {
    const closed = unique('closed');
    await create({ name: closed, kind: 'LOCAL', directory: 'closed', allowedProjectIds: ['somebody-else'] });
    const cluster = await register(unique('proj'));
    const answers = [];
    for (const storageLocation of [closed, 'no-such-location']) {
      const response = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy: { enabled: false, storageLocation } }, admin);
      expectError(response, 'VALIDATION', 'storageLocation', `storageLocation: "${storageLocation}" is not a storage location this project may use`);
      answers.push({ ...response, errors: response.errors?.map((error) => ({ ...error, message: error.message.replace(storageLocation, '<name>') })) });
    }
    expect(answers[0]).toEqual(answers[1]);
    const registered = await app.request(
      RegisterVirtualClusterDocument,
      { input: { projectId: unique('proj'), name: 'x', kubeconfig: { inline: STATIC_KUBECONFIG }, autoSnapshotPolicy: { enabled: false, storageLocation: closed } } },
      admin,
    );
    expectError(registered, 'VALIDATION', 'autoSnapshotPolicy.storageLocation', `autoSnapshotPolicy.storageLocation: "${closed}" is not a storage location this project may use`);
  });
});

describe('names that cannot be a location never reach the database', () => {
  it('update and delete answer NOT_FOUND, a policy VALIDATION, a listing nothing (a NUL byte would fail in Postgres)', async () => {
    const name = 'bad\u0000name';
    expectError(await app.request(UpdateStorageLocationDocument, { name, input: { directory: 'x' } }, admin), 'NOT_FOUND', 'name', 'storage location "bad\\u0000name" does not exist');
    expectError(await app.request(DeleteStorageLocationDocument, { name }, admin), 'NOT_FOUND', 'name', 'storage location "bad\\u0000name" does not exist');
    const cluster = await register(unique('proj'));
    const set = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy: { enabled: false, storageLocation: name } }, admin);
    expectError(set, 'VALIDATION', 'storageLocation', 'storageLocation: must not contain NUL characters');
    const listed = await app.request(StorageLocationsDocument, { projectId: 'p\u0000' }, admin);
    expect(listed.errors).toBeUndefined();
    expect(listed.data?.storageLocations).toEqual([]);
  });
});

/** A snapshot of the cluster written to `location`, through every move a worker makes; returns its id. */
async function takenTo(clusterId: string, location: string, status: 'COMPLETED' | 'FAILED'): Promise<string> {
  const scheduled = await app.request(CreateSnapshotDocument, { virtualClusterId: clusterId }, admin);
  expect(scheduled.errors).toBeUndefined();
  const id = scheduled.data!.createSnapshot.id;
  await app.orm.em.fork().transactional(async (em) => {
    const snapshot = await em.findOneOrFail(SnapshotSchema, { id });
    snapshot.startedAt = new Date();
    snapshot.storageLocation = await em.findOneOrFail(StorageLocationSchema, { name: location });
    await moveSnapshot(em, snapshot, 'IN_PROGRESS', 'taking the snapshot');
    snapshot.finishedAt = new Date();
    if (status === 'COMPLETED') snapshot.location = `/archives/${snapshot.name}`;
    await moveSnapshot(em, snapshot, status, status === 'COMPLETED' ? 'archive stored' : 'storage refused');
  });
  return id;
}
