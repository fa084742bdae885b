import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { encodeCursor } from '../../src/db/keyset.ts';
import { SnapshotEventSchema } from '../../src/events/entity.ts';
import { SnapshotSchema } from '../../src/snapshots/entity.ts';
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
import { move, schedule } from '../support/snapshots.ts';

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

/** Caller input as messages repeat it: JSON-quoted, the first 64 characters. */
const shown = (input: string) => (input.length <= 64 ? JSON.stringify(input) : `"${input.slice(0, 64)}"… (${input.length} characters)`);
const DNS_LABEL = 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending alphanumeric';

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

  // Each input breaks exactly one rule; the base input (a secret reference) breaks none.
  it.each([
    [{ name: 'Prod' }, 'name', DNS_LABEL],
    [{ name: '-prod' }, 'name', DNS_LABEL],
    [{ name: 'x'.repeat(64) }, 'name', 'must be at most 63 characters'],
    [{ projectId: 'Proj' }, 'projectId', 'must be a DNS-1123 label'],
    [{ projectId: 'p'.repeat(64) }, 'projectId', 'must be at most 63 characters'],
    [{ kubeconfig: {} }, 'kubeconfig', 'give exactly one of inline or secretRef'],
    [{ kubeconfig: { inline: 'apiVersion: v1', secretRef: 'b/c' } }, 'kubeconfig', 'give exactly one of inline or secretRef'],
    [{ kubeconfig: { secretRef: 'no-key' } }, 'kubeconfig.secretRef', 'must be "<secret-name>/<key>", the secret name a lower-case DNS name'],
    // Found by the property test: Postgres refuses NUL in text (it was an internal error).
    [{ kubeconfig: { inline: 'apiVersion: v1\u0000' } }, 'kubeconfig.inline', 'must not contain NUL characters'],
    // ...and a lone surrogate would have been stored as U+FFFD.
    [{ kubeconfig: { inline: 'apiVersion: v1 # \ud800' } }, 'kubeconfig.inline', 'must be well-formed Unicode (it has a lone surrogate)'],
    [{ autoSnapshotPolicy: { enabled: true } }, 'autoSnapshotPolicy.schedule', 'is required when auto snapshots are enabled'],
    [
      { autoSnapshotPolicy: { enabled: true, schedule: '61 * * * *' } },
      'autoSnapshotPolicy.schedule',
      '"61 * * * *" is not a valid cron expression (Invalid value for minute: 61)',
    ],
    [{ autoSnapshotPolicy: { enabled: false, timeZone: 'Mars/Olympus' } }, 'autoSnapshotPolicy.timeZone', '"Mars/Olympus" is not an IANA time zone'],
    [
      { autoSnapshotPolicy: { enabled: false, storageLocation: 'no-such-location' } },
      'autoSnapshotPolicy.storageLocation',
      '"no-such-location" is not a storage location this project may use',
    ],
    [{ autoSnapshotPolicy: { enabled: false, retention: { keepDaily: -1 } } }, 'autoSnapshotPolicy.retention.keepDaily', 'must be at least 0'],
    [
      { autoSnapshotPolicy: { enabled: false, retention: { keepFailed: { maxAgeSeconds: 59 } } } },
      'autoSnapshotPolicy.retention.keepFailed.maxAgeSeconds',
      'must be at least 60 seconds',
    ],
  ] as const)('rejects %j with VALIDATION on %s and writes nothing', async (override, field, problem) => {
    const before = await countClusters();
    const response = await app.request(
      RegisterVirtualClusterDocument,
      { input: { projectId: uniqueProject(), name: 'prod', kubeconfig: { secretRef: 'vc/config' }, ...override } },
      admin,
    );
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]).toMatchObject({ message: `${field}: ${problem}`, path: ['registerVirtualCluster'], extensions: { field } });
    expect(response.data).toBeNull();
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
    expect(response.errors?.[0]).toMatchObject({
      message: `project "${first.projectId}" already has a virtual cluster named "twin"`,
      extensions: { field: 'name' },
    });
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
    expect(missing.errors?.[0]).toMatchObject({ message: 'virtual cluster not found', path: ['updateVirtualCluster'], extensions: { field: 'id' } });
    const cluster = await register();
    const bad = await app.request(UpdateVirtualClusterDocument, { id: cluster.id, input: { name: 'NO' } }, admin);
    expect(errorCodes(bad)).toEqual(['VALIDATION']);
    expect(bad.errors?.[0]).toMatchObject({ message: `name: ${DNS_LABEL}`, extensions: { field: 'name' } });
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(read.data?.virtualCluster?.name).toBe('prod');
  });

  // Found by the property test: an id that is no UUID reached Postgres' uuid cast (INTERNAL_SERVER_ERROR).
  it.each([
    ['garbage', 'garbage'],
    ['an id of nothing', '00000000-0000-4000-8000-000000000000'],
    ['an id of 5 MB', 'f'.repeat(5 * 1024 * 1024)],
  ])('removeVirtualCluster(%s) answers NOT_FOUND on id and writes nothing', async (_what, id) => {
    await register();
    const before = await countClusters();
    const response = await app.request(RemoveVirtualClusterDocument, { id }, admin);
    expect(response.status).toBe(200);
    expect(response.errors).toEqual([
      { message: 'virtual cluster not found', locations: [expect.anything()], path: ['removeVirtualCluster'], extensions: { code: 'NOT_FOUND', field: 'id' } },
    ]);
    expect(response.data).toBeNull();
    expect(await countClusters()).toBe(before);
  });

  it('removes a cluster', async () => {
    const cluster = await register();
    const removed = await app.request(RemoveVirtualClusterDocument, { id: cluster.id }, admin);
    expect(removed.data?.removeVirtualCluster.removedVirtualClusterId).toBe(cluster.id);
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(errorCodes(read)).toEqual(['NOT_FOUND']);
  });

  it('removes its snapshot rows with one DELETED event each, in the same transaction', async () => {
    const cluster = await register({ name: 'doomed' });
    const older = await schedule(app.orm, cluster.id, new Date('2026-05-01T00:00:00Z'));
    await move(app.orm, older.id, 'IN_PROGRESS');
    await move(app.orm, older.id, 'FAILED', 'api server unreachable');
    const newer = await schedule(app.orm, cluster.id, new Date('2026-05-02T00:00:00Z'));
    const removed = await app.request(RemoveVirtualClusterDocument, { id: cluster.id }, admin);
    expect(removed.errors).toBeUndefined();

    const em = app.orm.em.fork();
    expect(await em.count(SnapshotSchema, { id: { $in: [older.id, newer.id] } })).toBe(0);
    const deleted = await em.find(SnapshotEventSchema, { virtualClusterId: cluster.id, kind: 'DELETED' }, { orderBy: { id: 'asc' } });
    expect(deleted.map((event) => [event.snapshotId, event.fromState, event.toState, event.message])).toEqual([
      [older.id, 'FAILED', 'DELETED', 'its virtual cluster "doomed" was removed'],
      [newer.id, 'SCHEDULED', 'DELETED', 'its virtual cluster "doomed" was removed'],
    ]);
  });

  it('writes no DELETED event when the removal is refused', async () => {
    const cluster = await register({ name: 'busy' });
    const running = await schedule(app.orm, cluster.id);
    await move(app.orm, running.id, 'IN_PROGRESS');
    const refused = await app.request(RemoveVirtualClusterDocument, { id: cluster.id }, admin);
    expect(errorCodes(refused)).toEqual(['CONFLICT']);
    expect(await app.orm.em.fork().count(SnapshotEventSchema, { virtualClusterId: cluster.id, kind: 'DELETED' })).toBe(0);
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
      retention: {
        keepLast: 10,
        keepHourly: 24,
        keepDaily: 7,
        keepWeekly: 4,
        keepMonthly: 12,
        keepYearly: 3,
        maxAgeSeconds: 4 * 365 * 86400,
        keepFailed: { last: 5, maxAgeSeconds: 86400 },
      },
      storageLocation: 'backups-prod',
      volumeSnapshotsEnabled: true,
    };
    const response = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy }, admin);
    expect(response.errors).toBeUndefined();
    expect(response.data?.setAutoSnapshotPolicy.autoSnapshotPolicy).toEqual(policy);
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(read.data?.virtualCluster?.autoSnapshotPolicy).toEqual(policy);
  });

  const NO_RULES = { keepLast: null, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, maxAgeSeconds: null };
  it.each([
    ['left out: no keep rule, failed snapshots by the defaults', undefined, { ...NO_RULES, keepFailed: { last: 10, maxAgeSeconds: 604800 } }],
    ['empty: the same', {}, { ...NO_RULES, keepFailed: { last: 10, maxAgeSeconds: 604800 } }],
    ['rules given as null are not set', { keepLast: null, keepDaily: null, keepFailed: null }, { ...NO_RULES, keepFailed: { last: 10, maxAgeSeconds: 604800 } }],
    ['keepFailed in part: the other part defaults', { keepDaily: 7, keepFailed: { last: 3 } }, { ...NO_RULES, keepDaily: 7, keepFailed: { last: 3, maxAgeSeconds: 604800 } }],
    [
      'the smallest values',
      { keepLast: 0, keepHourly: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0, maxAgeSeconds: 60, keepFailed: { last: 0, maxAgeSeconds: 60 } },
      { keepLast: 0, keepHourly: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0, maxAgeSeconds: 60, keepFailed: { last: 0, maxAgeSeconds: 60 } },
    ],
    [
      'the largest values',
      {
        keepLast: 10000, keepHourly: 10000, keepDaily: 10000, keepWeekly: 10000, keepMonthly: 10000, keepYearly: 10000, maxAgeSeconds: 1577880000,
        keepFailed: { last: 10000, maxAgeSeconds: 1577880000 },
      },
      {
        keepLast: 10000, keepHourly: 10000, keepDaily: 10000, keepWeekly: 10000, keepMonthly: 10000, keepYearly: 10000, maxAgeSeconds: 1577880000,
        keepFailed: { last: 10000, maxAgeSeconds: 1577880000 },
      },
    ],
  ])('retention %s', async (_name, retention, stored) => {
    const cluster = await register();
    const response = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy: { enabled: false, retention } }, admin);
    expect(response.errors).toBeUndefined();
    expect(response.data?.setAutoSnapshotPolicy.autoSnapshotPolicy.retention).toEqual(stored);
  });

  // Each retention input breaks exactly one rule, at the boundary.
  it.each([
    [{ keepLast: -1 }, 'retention.keepLast', 'must be at least 0'],
    [{ keepLast: 10001 }, 'retention.keepLast', 'must be at most 10000'],
    [{ keepHourly: -1 }, 'retention.keepHourly', 'must be at least 0'],
    [{ keepHourly: 10001 }, 'retention.keepHourly', 'must be at most 10000'],
    [{ keepDaily: -1 }, 'retention.keepDaily', 'must be at least 0'],
    [{ keepDaily: 10001 }, 'retention.keepDaily', 'must be at most 10000'],
    [{ keepWeekly: -1 }, 'retention.keepWeekly', 'must be at least 0'],
    [{ keepWeekly: 10001 }, 'retention.keepWeekly', 'must be at most 10000'],
    [{ keepMonthly: -1 }, 'retention.keepMonthly', 'must be at least 0'],
    [{ keepMonthly: 10001 }, 'retention.keepMonthly', 'must be at most 10000'],
    [{ keepYearly: -1 }, 'retention.keepYearly', 'must be at least 0'],
    [{ keepYearly: 10001 }, 'retention.keepYearly', 'must be at most 10000'],
    [{ maxAgeSeconds: 59 }, 'retention.maxAgeSeconds', 'must be at least 60 seconds'],
    [{ maxAgeSeconds: 1577880001 }, 'retention.maxAgeSeconds', 'must be at most 1577880000 seconds (50 years)'],
    [{ keepFailed: { last: -1 } }, 'retention.keepFailed.last', 'must be at least 0'],
    [{ keepFailed: { last: 10001 } }, 'retention.keepFailed.last', 'must be at most 10000'],
    [{ keepFailed: { maxAgeSeconds: 59 } }, 'retention.keepFailed.maxAgeSeconds', 'must be at least 60 seconds'],
    [{ keepFailed: { maxAgeSeconds: 1577880001 } }, 'retention.keepFailed.maxAgeSeconds', 'must be at most 1577880000 seconds (50 years)'],
  ])('rejects retention %j with VALIDATION on %s and keeps the old policy', async (retention, field, problem) => {
    const cluster = await register({ autoSnapshotPolicy: { enabled: true, schedule: '0 1 * * *', retention: { keepLast: 3 } } });
    const response = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy: { enabled: false, retention } }, admin);
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]).toMatchObject({ message: `${field}: ${problem}`, path: ['setAutoSnapshotPolicy'], extensions: { field } });
    expect(response.data).toBeNull();
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(read.data?.virtualCluster?.autoSnapshotPolicy).toMatchObject({
      enabled: true,
      schedule: '0 1 * * *',
      retention: { ...NO_RULES, keepLast: 3, keepFailed: { last: 10, maxAgeSeconds: 604800 } },
    });
  });

  // Each policy breaks exactly one rule; the message is exact, caller input in it JSON-quoted and cut at 64 characters.
  it.each([
    [{ enabled: true, schedule: 'every day' }, 'schedule', '"every day" must have five fields: minute hour day-of-month month day-of-week'],
    [{ enabled: true, schedule: '0 0 31 2 *' }, 'schedule', '"0 0 31 2 *" never fires'],
    [{ enabled: true, schedule: '*/0 * * * *' }, 'schedule', '"*/0 * * * *" is not a valid cron expression (Syntax error, illegal stepping: 0)'],
    [
      { enabled: true, schedule: `${'9'.repeat(70)} * * * *` },
      'schedule',
      `"${'9'.repeat(64)}"… (78 characters) is not a valid cron expression (Invalid value for minute: 1e+70)`,
    ],
    // A valid schedule padded to 121 characters: only the length is wrong.
    [{ enabled: true, schedule: '0 3 * * *'.padEnd(121) }, 'schedule', 'must be at most 120 characters'],
    // croner repeats the offending entry raw: a control character in it comes back escaped, never as is.
    [
      { enabled: true, schedule: '0 3 * * \u0007' },
      'schedule',
      '"0 3 * * \\u0007" is not a valid cron expression (configuration entry 5 (\\u0007) contains illegal characters.)',
    ],
    [{ enabled: true, schedule: '0 3 * * *', timeZone: 'Not/AZone' }, 'timeZone', '"Not/AZone" is not an IANA time zone'],
    [{ enabled: false, timeZone: 'Z'.repeat(5 * 1024 * 1024) }, 'timeZone', 'must be at most 64 characters'],
  ])('rejects %j with VALIDATION on %s and keeps the old policy', async (policy, field, problem) => {
    const cluster = await register({ autoSnapshotPolicy: { enabled: true, schedule: '0 1 * * *' } });
    const response = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy }, admin);
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]).toMatchObject({ message: `${field}: ${problem}`, path: ['setAutoSnapshotPolicy'], extensions: { field } });
    const read = await app.request(VirtualClusterDocument, { id: cluster.id }, admin);
    expect(read.data?.virtualCluster?.autoSnapshotPolicy).toMatchObject({ enabled: true, schedule: '0 1 * * *' });
  });

  it.each([
    [{ enabled: false, storageLocation: 'no-such-location' }, '"no-such-location" is not a storage location this project may use'],
    // A path or URL is only a name no location has: tenants never choose where archives go.
    [{ enabled: false, storageLocation: 's3://vsnap-backups/prod' }, '"s3://vsnap-backups/prod" is not a storage location this project may use'],
    [{ enabled: false, storageLocation: 'x'.repeat(64) }, 'must be at most 63 characters'],
  ])('rejects storageLocation %j with VALIDATION and keeps the old policy', async (policy, problem) => {
    const cluster = await register({ autoSnapshotPolicy: { enabled: true, schedule: '0 1 * * *' } });
    const response = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy }, admin);
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]).toMatchObject({ message: `storageLocation: ${problem}`, extensions: { field: 'storageLocation' } });
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

  it.each([
    ['garbage', 'not-a-cursor'],
    ['a cursor of the snapshot list', encodeCursor(['2026-02-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])],
    ['a cursor of three values', encodeCursor(['prod', '00000000-0000-4000-8000-000000000000', 3])],
    // Found by the property test: both reached Postgres (a uuid cast, a NUL in text) as internal errors.
    ['a cursor whose id is no UUID', encodeCursor(['prod', 'zz'])],
    ['a cursor with NUL in its name', encodeCursor(['prod\u0000', '00000000-0000-4000-8000-000000000000'])],
  ])('rejects %s with VALIDATION on after / before', async (_what, cursor) => {
    for (const variables of [{ first: 2, after: cursor }, { last: 2, before: cursor }]) {
      const field = 'after' in variables ? 'after' : 'before';
      const response = await app.request(VirtualClustersDocument, variables, admin);
      expect(errorCodes(response)).toEqual(['VALIDATION']);
      expect(response.errors?.[0]).toMatchObject({ message: `${field}: ${shown(cursor)} is not a cursor of this list`, extensions: { field } });
    }
  });

  // Found by the property test: a NUL in projectId reached Postgres as an internal error.
  it.each([
    ['proj\u0000', 'must not contain NUL characters'],
    ['Bad_Project', 'must be a DNS-1123 label'],
  ])('answers VALIDATION on projectId for %j', async (projectId, problem) => {
    const response = await app.request(VirtualClustersDocument, { projectId }, admin);
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]).toMatchObject({ message: `projectId: ${problem}`, path: ['virtualClusters'], extensions: { field: 'projectId' } });
  });
});
