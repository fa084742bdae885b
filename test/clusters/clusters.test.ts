import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import {
  CreateStorageLocationDocument,
  RegisterVirtualClusterDocument,
  RemoveVirtualClusterDocument,
  SetAutoSnapshotPolicyDocument,
  UpdateVirtualClusterDocument,
  VirtualClusterDocument,
  VirtualClustersDocument,
  type RegisterVirtualClusterInput,
  type VirtualClustersQuery,
} from '../generated/graphql.ts';
import { errorCodes, startTestApp, tokens, type GraphQLResponse, type TestApp } from '../support/app.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokens.platformAdmin();
});
afterAll(() => app.close());

let counter = 0;
const uniqueProject = () => `proj-${process.pid}-${++counter}`;

async function register(input: Partial<RegisterVirtualClusterInput> = {}) {
  const response = await app.request(
    RegisterVirtualClusterDocument,
    { input: { projectId: uniqueProject(), name: 'prod', kubeconfig: { inline: STATIC_KUBECONFIG }, ...input } },
    admin,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.registerVirtualCluster;
}

const countClusters = () => app.orm.em.fork().count(VirtualClusterSchema, {});

describe('registerVirtualCluster', () => {
  it('stores the cluster with auto snapshots off by default', async () => {
    const cluster = await register({ name: 'staging' });
    expect(cluster).toMatchObject({ name: 'staging', kubeconfigSource: 'INLINE', autoSnapshotPolicy: { enabled: false, schedule: null, timeZone: 'UTC' } });
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(read.data?.virtualCluster).toMatchObject({ id: cluster.id, project: { id: cluster.projectId } });
  });

  it('accepts a policy at registration', async () => {
    const cluster = await register({
      kubeconfig: { secretRef: 'vcluster-prod/config' },
      autoSnapshotPolicy: { enabled: true, schedule: '0 3 * * *', timeZone: 'Europe/Berlin' },
    });
    expect(cluster).toMatchObject({ kubeconfigSource: 'SECRET_REF', autoSnapshotPolicy: { enabled: true, schedule: '0 3 * * *', timeZone: 'Europe/Berlin' } });
  });

  it.each([
    [{ name: 'Prod_1' }, 'name'],
    [{ name: 'x'.repeat(64) }, 'name'],
    [{ name: '-prod' }, 'name'],
    [{ projectId: '' }, 'projectId'],
    [{ kubeconfig: {} }, 'kubeconfig'],
    [{ kubeconfig: { inline: 'a', secretRef: 'b/c' } }, 'kubeconfig'],
    [{ kubeconfig: { secretRef: 'no-key' } }, 'kubeconfig.secretRef'],
    [{ autoSnapshotPolicy: { enabled: true } }, 'autoSnapshotPolicy.schedule'],
    [{ autoSnapshotPolicy: { enabled: true, schedule: '61 * * * *' } }, 'autoSnapshotPolicy.schedule'],
    [{ autoSnapshotPolicy: { enabled: false, timeZone: 'Mars/Olympus' } }, 'autoSnapshotPolicy.timeZone'],
    [{ autoSnapshotPolicy: { enabled: false, storageLocation: 'no-such-location' } }, 'autoSnapshotPolicy.storageLocation'],
  ] as const)('rejects %j with VALIDATION on %s and writes nothing', async (override, field) => {
    const before = await countClusters();
    const response = await app.request(
      RegisterVirtualClusterDocument,
      { input: { projectId: uniqueProject(), name: 'prod', kubeconfig: { inline: STATIC_KUBECONFIG }, ...override } },
      admin,
    );
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
    expect(response.errors?.[0]?.message).toContain(field);
    expect(await countClusters()).toBe(before);
  });

  it('refuses a second cluster of the same name in a project with CONFLICT', async () => {
    const first = await register({ name: 'twin' });
    const before = await countClusters();
    const response = await app.request(
      RegisterVirtualClusterDocument,
      { input: { projectId: first.projectId, name: 'twin', kubeconfig: { inline: STATIC_KUBECONFIG } } },
      admin,
    );
    expect(errorCodes(response)).toEqual(['CONFLICT']);
    expect(response.errors?.[0]?.extensions?.field).toBe('name');
    expect(await countClusters()).toBe(before);
    // The same name in another project is fine.
    await register({ name: 'twin' });
  });
});

describe('updateVirtualCluster and removeVirtualCluster', () => {
  it('renames and switches the kubeconfig to a secret', async () => {
    const cluster = await register();
    const response = await app.request(
      UpdateVirtualClusterDocument,
      { id: cluster.id, input: { name: 'renamed', kubeconfig: { secretRef: 'kc/value' } } },
      admin,
    );
    expect(response.data?.updateVirtualCluster).toEqual({ id: cluster.id, name: 'renamed', kubeconfigSource: 'SECRET_REF', kubeconfigSecretRef: 'kc/value' });
  });

  it('answers NOT_FOUND for an unknown id and VALIDATION for a bad name', async () => {
    const missing = await app.request(UpdateVirtualClusterDocument, { id: '00000000-0000-4000-8000-000000000000', input: { name: 'x' } }, admin);
    expect(errorCodes(missing)).toEqual(['NOT_FOUND']);
    const cluster = await register();
    const bad = await app.request(UpdateVirtualClusterDocument, { id: cluster.id, input: { name: 'NO' } }, admin);
    expect(errorCodes(bad)).toEqual(['VALIDATION']);
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(read.data?.virtualCluster?.name).toBe('prod');
  });

  it('removes a cluster', async () => {
    const cluster = await register();
    const removed = await app.request(RemoveVirtualClusterDocument, { id: cluster.id }, admin);
    expect(removed.data?.removeVirtualCluster.removedVirtualClusterId).toBe(cluster.id);
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(errorCodes(read)).toEqual(['NOT_FOUND']);
  });
});

describe('setAutoSnapshotPolicy', () => {
  beforeAll(async () => {
    const created = await app.request(
      CreateStorageLocationDocument,
      { input: { name: 'backups-prod', kind: 'S3', bucket: 'vsnap-backups', prefix: 'prod' } },
      admin,
    );
    expect(created.errors).toBeUndefined();
  });

  it('stores a validated policy', async () => {
    const cluster = await register();
    const policy = {
      enabled: true,
      schedule: '*/15 * * * *',
      timeZone: 'America/New_York',
      retentionMaxSnapshots: 10,
      retentionMaxAgeSeconds: 7 * 86400,
      storageLocation: 'backups-prod',
      volumeSnapshotsEnabled: true,
    };
    const response = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy }, admin);
    expect(response.errors).toBeUndefined();
    expect(response.data?.setAutoSnapshotPolicy.autoSnapshotPolicy).toEqual(policy);
  });

  it.each([
    [{ enabled: true, schedule: 'every day' }, 'schedule'],
    [{ enabled: true, schedule: '0 0 31 2 *' }, 'schedule'],
    [{ enabled: true, schedule: '0 3 * * *', timeZone: 'Not/AZone' }, 'timeZone'],
    [{ enabled: false, retentionMaxSnapshots: 0 }, 'retentionMaxSnapshots'],
    [{ enabled: false, retentionMaxAgeSeconds: 5 }, 'retentionMaxAgeSeconds'],
    [{ enabled: false, storageLocation: 'no-such-location' }, 'storageLocation'],
    [{ enabled: false, storageLocation: 's3://vsnap-backups/prod' }, 'storageLocation'],
    [{ enabled: false, storageLocation: 'x'.repeat(64) }, 'storageLocation'],
  ])('rejects %j with VALIDATION on %s and keeps the old policy', async (policy, field) => {
    const cluster = await register({ autoSnapshotPolicy: { enabled: true, schedule: '0 1 * * *' } });
    const response = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy }, admin);
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(read.data?.virtualCluster?.autoSnapshotPolicy).toMatchObject({ enabled: true, schedule: '0 1 * * *' });
  });
});

describe('virtualClusters', () => {
  it('pages through a project by name with cursors', async () => {
    const projectId = uniqueProject();
    const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
    for (const name of names) await register({ projectId, name });
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const response: GraphQLResponse<VirtualClustersQuery> = await app.request(VirtualClustersDocument, { projectId, first: 2, after }, admin);
      const connection = response.data!.virtualClusters;
      seen.push(...connection.edges.map((edge) => edge.node.name));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(seen).toEqual([...names].sort());
    expect(pages).toBe(3);
  });

  it('rejects a cursor it did not make', async () => {
    const response = await app.request(VirtualClustersDocument, { first: 2, after: 'not-a-cursor' }, admin);
    expect(errorCodes(response)).toEqual(['VALIDATION']);
  });
});
