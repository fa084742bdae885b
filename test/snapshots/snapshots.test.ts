/**
 * Snapshots over GraphQL (HTTP, real Postgres, as a platform admin): creating
 * and deleting them, listing them with keyset pagination, their volumes and
 * history, and the DataLoaders that keep a page's SQL constant.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getNamedType, isObjectType, parse, type GraphQLField, type GraphQLObjectType } from 'graphql';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/db/keyset.ts';
import { sqlStatements } from '../../src/db/orm.ts';
import { sqlQuiescent } from '../support/database.ts';
import { SnapshotEventSchema } from '../../src/events/entity.ts';
import { SnapshotSchema, VolumeSnapshotSchema } from '../../src/snapshots/entity.ts';
import { snapshotObjectName } from '../../src/snapshots/naming.ts';
import { snapshotView, volumeSnapshotView } from '../../src/snapshots/views.ts';
import { schema } from '../../src/graphql/schema.ts';
import {
  ClusterSnapshotHistoryDocument,
  ClusterSnapshotsDocument,
  CreateSnapshotDocument,
  DeleteSnapshotDocument,
  RegisterVirtualClusterDocument,
  SnapshotDocument,
  type ClusterSnapshotsQuery,
  type ClusterSnapshotsQueryVariables,
} from '../generated/graphql.ts';
import { errorCodes, startTestApp, tokens, type TestApp } from '../support/app.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';
import { addVolumes, move, moveVol, schedule, seedCompleted } from '../support/snapshots.ts';

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokens.platformAdmin();
});
afterAll(() => app?.close());

let counter = 0;
async function register(name = 'prod') {
  const response = await app.request(
    RegisterVirtualClusterDocument,
    { input: { projectId: `proj-${process.pid}-${++counter}`, name, kubeconfig: { inline: STATIC_KUBECONFIG } } },
    admin,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.registerVirtualCluster;
}

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

/** Rows in the three snapshot tables, to prove a refused request wrote nothing. */
async function rowCounts() {
  const em = app.orm.em.fork();
  return {
    snapshots: await em.count(SnapshotSchema, {}),
    volumes: await em.count(VolumeSnapshotSchema, {}),
    events: await em.count(SnapshotEventSchema, {}),
  };
}

async function listPage(variables: ClusterSnapshotsQueryVariables) {
  const response = await app.request(ClusterSnapshotsDocument, variables, admin);
  expect(response.errors).toBeUndefined();
  return response.data!.virtualCluster!.snapshots!;
}

describe('createSnapshot', () => {
  it('schedules a MANUAL snapshot named <cluster>-<UTC timestamp>.tar.gz with one birth event', async () => {
    const cluster = await register('billing');
    const before = Date.now();
    const response = await app.request(CreateSnapshotDocument, { virtualClusterId: cluster.id }, admin);
    const after = Date.now();
    expect(response.errors).toBeUndefined();
    const created = response.data!.createSnapshot;
    expect(created).toMatchObject({ status: 'SCHEDULED', trigger: 'MANUAL' });
    const scheduledAt = new Date(created.scheduledAt);
    expect(scheduledAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(scheduledAt.getTime()).toBeLessThanOrEqual(after);
    expect(created.name).toMatch(/^billing-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z\.tar\.gz$/);
    expect(created.name).toBe(snapshotObjectName('billing', scheduledAt));

    const read = await app.request(SnapshotDocument, { id: created.id }, admin);
    expect(read.errors).toBeUndefined();
    expect(read.data!.snapshot).toMatchObject({
      id: created.id,
      name: created.name,
      status: 'SCHEDULED',
      trigger: 'MANUAL',
      virtualCluster: { id: cluster.id, name: 'billing' },
      volumeSnapshots: [],
    });
    expect(read.data!.snapshot!.events).toEqual([
      expect.objectContaining({ subject: 'SNAPSHOT', from: null, to: 'SCHEDULED', message: 'requested through createSnapshot' }),
    ]);
    const em = app.orm.em.fork();
    expect(await em.count(SnapshotSchema, { virtualCluster: cluster.id })).toBe(1);
    expect(await em.count(SnapshotEventSchema, { snapshotId: created.id })).toBe(1);
  });

  it('answers CONFLICT while one is SCHEDULED and writes nothing; succeeds again once it has moved on', async () => {
    const cluster = await register();
    const first = await app.request(CreateSnapshotDocument, { virtualClusterId: cluster.id }, admin);
    expect(first.errors).toBeUndefined();
    const firstId = first.data!.createSnapshot.id;

    const before = await rowCounts();
    const second = await app.request(CreateSnapshotDocument, { virtualClusterId: cluster.id }, admin);
    expect(errorCodes(second)).toEqual(['CONFLICT']);
    expect(second.errors?.[0]?.extensions?.field).toBe('virtualClusterId');
    expect(second.errors?.[0]?.message).toContain('already has a SCHEDULED snapshot');
    expect(second.data).toBeNull();
    expect(await rowCounts()).toEqual(before);

    await move(app.orm, firstId, 'IN_PROGRESS', 'worker picked it up');
    const third = await app.request(CreateSnapshotDocument, { virtualClusterId: cluster.id }, admin);
    expect(third.errors).toBeUndefined();
    expect(third.data!.createSnapshot).toMatchObject({ status: 'SCHEDULED', trigger: 'MANUAL' });
    expect(third.data!.createSnapshot.id).not.toBe(firstId);

    const statuses = (await listPage({ id: cluster.id })).edges.map((edge) => [edge.node.id, edge.node.status]);
    expect(statuses).toEqual([
      [third.data!.createSnapshot.id, 'SCHEDULED'],
      [firstId, 'IN_PROGRESS'],
    ]);
  });

  it.each([
    ['an unknown cluster', MISSING_ID],
    // Ids that are not UUIDs are treated as ids of no cluster (as for every cluster mutation).
    ['a malformed id', 'not-a-uuid'],
  ])('answers NOT_FOUND for %s and writes nothing', async (_what, id) => {
    const before = await rowCounts();
    const response = await app.request(CreateSnapshotDocument, { virtualClusterId: id }, admin);
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    expect(response.errors?.[0]).toMatchObject({ message: 'virtual cluster not found', path: ['createSnapshot'], extensions: { field: 'virtualClusterId' } });
    expect(await rowCounts()).toEqual(before);
  });
});

describe('VirtualCluster.snapshots', () => {
  /** 25 COMPLETED snapshots, one minute apart; ids newest first. */
  let paged: { clusterId: string; newestFirst: string[] };

  beforeAll(async () => {
    const cluster = await register('paged');
    const ids = await seedCompleted(app.orm, cluster.id, 25, { start: new Date('2026-02-01T00:00:00Z') });
    paged = { clusterId: cluster.id, newestFirst: [...ids].reverse() };
  });

  it('lists newest first, each with a true history', async () => {
    const page = await listPage({ id: paged.clusterId, first: 100 });
    expect(page.edges.map((edge) => edge.node.id)).toEqual(paged.newestFirst);
    const times = page.edges.map((edge) => Date.parse(edge.node.scheduledAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(page.edges.every((edge) => edge.node.status === 'COMPLETED')).toBe(true);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

    const read = await app.request(SnapshotDocument, { id: paged.newestFirst[0]! }, admin);
    expect(read.data!.snapshot!.events.map((event) => [event.from, event.to])).toEqual([
      [null, 'SCHEDULED'],
      ['SCHEDULED', 'IN_PROGRESS'],
      ['IN_PROGRESS', 'COMPLETED'],
    ]);
  });

  it('pages forward with first/after: every snapshot exactly once, in order', async () => {
    const seen: string[] = [];
    const pages: { size: number; hasNextPage: boolean; hasPreviousPage: boolean }[] = [];
    let after: string | null = null;
    do {
      const page: NonNullable<NonNullable<ClusterSnapshotsQuery['virtualCluster']>['snapshots']> = await listPage({
        id: paged.clusterId,
        first: 7,
        after,
      });
      seen.push(...page.edges.map((edge) => edge.node.id));
      pages.push({ size: page.edges.length, hasNextPage: page.pageInfo.hasNextPage, hasPreviousPage: page.pageInfo.hasPreviousPage });
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(paged.newestFirst);
    expect(pages).toEqual([
      { size: 7, hasNextPage: true, hasPreviousPage: false },
      { size: 7, hasNextPage: true, hasPreviousPage: true },
      { size: 7, hasNextPage: true, hasPreviousPage: true },
      { size: 4, hasNextPage: false, hasPreviousPage: true },
    ]);
  });

  it('says hasNextPage false when the last page is exactly full', async () => {
    const firstPage = await listPage({ id: paged.clusterId, first: 20 });
    const rest = await listPage({ id: paged.clusterId, first: 5, after: firstPage.pageInfo.endCursor });
    expect(rest.edges.map((edge) => edge.node.id)).toEqual(paged.newestFirst.slice(20));
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('pages backward with last/before: every snapshot exactly once, in order', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let before: string | null = null;
    let hasPreviousPage = true;
    while (hasPreviousPage) {
      const page = await listPage({ id: paged.clusterId, last: 7, before });
      // Each page is itself newest first; earlier pages hold newer snapshots.
      seen.unshift(...page.edges.map((edge) => edge.node.id));
      sizes.push(page.edges.length);
      expect(page.pageInfo.hasNextPage).toBe(before !== null);
      hasPreviousPage = page.pageInfo.hasPreviousPage;
      before = page.pageInfo.startCursor;
    }
    expect(seen).toEqual(paged.newestFirst);
    expect(sizes).toEqual([7, 7, 7, 4]);
  });

  it('filters by status', async () => {
    const cluster = await register('mixed');
    const [oldest, middle, newest] = await seedCompleted(app.orm, cluster.id, 3, { start: new Date('2026-03-01T00:00:00Z') });
    const failed = await schedule(app.orm, cluster.id, new Date('2026-03-02T00:00:00Z'));
    await move(app.orm, failed.id, 'FAILED', 'cluster unreachable');
    const running = await schedule(app.orm, cluster.id, new Date('2026-03-03T00:00:00Z'));
    await move(app.orm, running.id, 'IN_PROGRESS');
    const waiting = await schedule(app.orm, cluster.id, new Date('2026-03-04T00:00:00Z'));
    await move(app.orm, middle!, 'NOT_FOUND', 'object missing from storage');

    const ids = async (status?: ClusterSnapshotsQueryVariables['status']) =>
      (await listPage({ id: cluster.id, status })).edges.map((edge) => edge.node.id);
    expect(await ids()).toEqual([waiting.id, running.id, failed.id, newest, middle, oldest]);
    expect(await ids('COMPLETED')).toEqual([newest, oldest]);
    expect(await ids('NOT_FOUND')).toEqual([middle]);
    expect(await ids('FAILED')).toEqual([failed.id]);
    expect(await ids('IN_PROGRESS')).toEqual([running.id]);
    expect(await ids('SCHEDULED')).toEqual([waiting.id]);
    expect(await ids('PARTIALLY_FAILED')).toEqual([]);

    // The filter and the cursor work together.
    const first = await listPage({ id: cluster.id, status: 'COMPLETED', first: 1 });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await listPage({ id: cluster.id, status: 'COMPLETED', first: 1, after: first.pageInfo.endCursor });
    expect(second.edges.map((edge) => edge.node.id)).toEqual([oldest]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['a cursor of another shape', encodeCursor(['prod', MISSING_ID, 3])],
    ['a cursor without a time', encodeCursor(['yesterday', MISSING_ID])],
    ['a cursor with an id that is no UUID', encodeCursor(['2026-02-01T00:00:00.000Z', 'not-a-uuid'])],
    ['a cursor with an impossible date', encodeCursor(['2026-02-30T00:00:00.000Z', MISSING_ID])],
    ['a cursor with a number for a time', encodeCursor([1767225600000, MISSING_ID])],
    // Found by the property test: both passed the old check and failed in Postgres' timestamptz cast.
    ['a cursor in the year 0', encodeCursor(['0000-01-01T00:00:00.000Z', MISSING_ID])],
    ['a cursor with a six-digit year', encodeCursor(['+275760-09-13T00:00:00.000Z', MISSING_ID])],
    ['a cursor of the cluster list', encodeCursor(['prod', MISSING_ID])],
  ])('answers VALIDATION for %s', async (_what, cursor) => {
    for (const variables of [
      { id: paged.clusterId, first: 5, after: cursor },
      { id: paged.clusterId, last: 5, before: cursor },
    ]) {
      const field = 'after' in variables ? 'after' : 'before';
      const response = await app.request(ClusterSnapshotsDocument, variables, admin);
      expect(errorCodes(response)).toEqual(['VALIDATION']);
      expect(response.errors?.[0]).toMatchObject({
        // Repeated JSON-quoted, the first 64 characters of it.
        message: `${field}: ${cursor.length <= 64 ? JSON.stringify(cursor) : `"${cursor.slice(0, 64)}"… (${cursor.length} characters)`} is not a cursor of this list`,
        path: ['virtualCluster', 'snapshots'],
        extensions: { field },
      });
    }
  });

  it('repeats at most 64 characters of a 5 MB cursor', async () => {
    const cursor = 'A'.repeat(5 * 1024 * 1024);
    const response = await app.request(ClusterSnapshotsDocument, { id: paged.clusterId, first: 5, after: cursor }, admin);
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]?.message).toBe(`after: "${'A'.repeat(64)}"… (${cursor.length} characters) is not a cursor of this list`);
  });

  it('answers VALIDATION on the argument for a negative page size', async () => {
    const response = await app.request(ClusterSnapshotsDocument, { id: paged.clusterId, first: -1 }, admin);
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]).toMatchObject({ message: 'first: must be a non-negative integer', extensions: { field: 'first' } });
  });
});

describe('a cluster with more snapshots than a page holds', () => {
  /** 105 COMPLETED snapshots with two (skipped) volume snapshots each. */
  let big: { clusterId: string; newestFirst: string[] };

  beforeAll(async () => {
    const cluster = await register('big');
    const ids = await seedCompleted(app.orm, cluster.id, 105, { start: new Date('2026-04-01T00:00:00Z'), volumes: 2 });
    big = { clusterId: cluster.id, newestFirst: [...ids].reverse() };
  }, 120_000);

  it('caps first at 100 (no error) and says there is more', async () => {
    const page = await listPage({ id: big.clusterId, first: 500 });
    expect(page.edges.map((edge) => edge.node.id)).toEqual(big.newestFirst.slice(0, 100));
    expect(page.pageInfo.hasNextPage).toBe(true);
    const rest = await listPage({ id: big.clusterId, first: 500, after: page.pageInfo.endCursor });
    expect(rest.edges.map((edge) => edge.node.id)).toEqual(big.newestFirst.slice(100));
    expect(rest.pageInfo.hasNextPage).toBe(false);
    // Without first or last, a page holds 20.
    expect((await listPage({ id: big.clusterId })).edges).toHaveLength(20);
  });

  it('loads a page with its volumes, events and clusters in a constant number of SQL statements', async () => {
    const statementsFor = async (first: number) => {
      await sqlQuiescent();
      const before = sqlStatements.count;
      const response = await app.request(ClusterSnapshotHistoryDocument, { id: big.clusterId, first }, admin);
      const used = sqlStatements.count - before;
      expect(response.errors).toBeUndefined();
      const edges = response.data!.virtualCluster!.snapshots!.edges;
      expect(edges).toHaveLength(first);
      for (const { node } of edges) {
        expect(node.virtualCluster.id).toBe(big.clusterId);
        expect(node.volumeSnapshots.map((volume) => [volume.pvcName, volume.phase])).toEqual([
          ['data-0', 'SKIPPED'],
          ['data-1', 'SKIPPED'],
        ]);
        expect(node.events.map((event) => event.to)).toEqual(['SCHEDULED', 'IN_PROGRESS', 'SKIPPED', 'SKIPPED', 'COMPLETED']);
      }
      return used;
    };
    const small = await statementsFor(5);
    const large = await statementsFor(50);
    const full = await statementsFor(100);
    expect(large).toBe(small);
    expect(full).toBe(small);
    // One each: the virtualCluster (loaded once for its auth scope; the resolver and the nodes'
    // clusters find it in the loader and the identity map), the page with its volumes, its events.
    expect(small).toBe(3);
  });
});

describe('Snapshot.volumeSnapshots and Snapshot.events', () => {
  it('show each volume in its phase and every transition in cursor order', async () => {
    const cluster = await register('volumes');
    const snapshot = await schedule(app.orm, cluster.id, new Date('2026-06-01T12:00:00Z'));
    await move(app.orm, snapshot.id, 'IN_PROGRESS', 'taking the snapshot');
    const [cache, data, logs] = await addVolumes(app.orm, snapshot.id, [
      { namespace: 'web', pvcName: 'cache' },
      { namespace: 'db', pvcName: 'data' },
      { namespace: 'db', pvcName: 'logs' },
    ]);
    await moveVol(app.orm, cache!, 'SKIPPED', 'no VolumeSnapshotClass for driver csi.test');
    await moveVol(app.orm, data!, 'IN_PROGRESS', 'creating VolumeSnapshot');
    await moveVol(app.orm, logs!, 'IN_PROGRESS', 'creating VolumeSnapshot');
    await moveVol(app.orm, data!, 'COMPLETED_CLEANING_UP', 'ready');
    await moveVol(app.orm, logs!, 'FAILED_CLEANING_UP', 'snapshot content failed');
    await moveVol(app.orm, data!, 'COMPLETED', 'temporary objects removed');

    const midway = await app.request(SnapshotDocument, { id: snapshot.id }, admin);
    expect(midway.data!.snapshot!.volumeSnapshots.map((volume) => [volume.namespace, volume.pvcName, volume.phase])).toEqual([
      ['db', 'data', 'COMPLETED'],
      ['db', 'logs', 'FAILED_CLEANING_UP'],
      ['web', 'cache', 'SKIPPED'],
    ]);

    await moveVol(app.orm, logs!, 'FAILED', 'snapshot content failed');
    await move(app.orm, snapshot.id, 'PARTIALLY_FAILED', 'volume db/logs failed');

    const read = await app.request(SnapshotDocument, { id: snapshot.id }, admin);
    expect(read.errors).toBeUndefined();
    const result = read.data!.snapshot!;
    expect(result.status).toBe('PARTIALLY_FAILED');
    expect(result.volumeSnapshots).toEqual([
      { id: data, namespace: 'db', pvcName: 'data', phase: 'COMPLETED', message: 'temporary objects removed' },
      { id: logs, namespace: 'db', pvcName: 'logs', phase: 'FAILED', message: 'snapshot content failed' },
      { id: cache, namespace: 'web', pvcName: 'cache', phase: 'SKIPPED', message: 'no VolumeSnapshotClass for driver csi.test' },
    ]);
    expect(result.events.map(({ kind, subject, from, to, message }) => ({ kind, subject, from, to, message }))).toEqual([
      { kind: 'CREATED', subject: 'SNAPSHOT', from: null, to: 'SCHEDULED', message: null },
      { kind: 'STATUS_CHANGED', subject: 'SNAPSHOT', from: 'SCHEDULED', to: 'IN_PROGRESS', message: 'taking the snapshot' },
      { kind: 'VOLUME_PHASE_CHANGED', subject: 'VOLUME_SNAPSHOT', from: 'NOT_STARTED', to: 'SKIPPED', message: 'no VolumeSnapshotClass for driver csi.test' },
      { kind: 'VOLUME_PHASE_CHANGED', subject: 'VOLUME_SNAPSHOT', from: 'NOT_STARTED', to: 'IN_PROGRESS', message: 'creating VolumeSnapshot' },
      { kind: 'VOLUME_PHASE_CHANGED', subject: 'VOLUME_SNAPSHOT', from: 'NOT_STARTED', to: 'IN_PROGRESS', message: 'creating VolumeSnapshot' },
      { kind: 'VOLUME_PHASE_CHANGED', subject: 'VOLUME_SNAPSHOT', from: 'IN_PROGRESS', to: 'COMPLETED_CLEANING_UP', message: 'ready' },
      { kind: 'VOLUME_PHASE_CHANGED', subject: 'VOLUME_SNAPSHOT', from: 'IN_PROGRESS', to: 'FAILED_CLEANING_UP', message: 'snapshot content failed' },
      { kind: 'VOLUME_PHASE_CHANGED', subject: 'VOLUME_SNAPSHOT', from: 'COMPLETED_CLEANING_UP', to: 'COMPLETED', message: 'temporary objects removed' },
      { kind: 'VOLUME_PHASE_CHANGED', subject: 'VOLUME_SNAPSHOT', from: 'FAILED_CLEANING_UP', to: 'FAILED', message: 'snapshot content failed' },
      { kind: 'STATUS_CHANGED', subject: 'SNAPSHOT', from: 'IN_PROGRESS', to: 'PARTIALLY_FAILED', message: 'volume db/logs failed' },
    ]);
    const cursors = result.events.map((event) => Number(event.cursor));
    for (let i = 1; i < cursors.length; i += 1) expect(cursors[i]).toBeGreaterThan(cursors[i - 1]!);
    const times = result.events.map((event) => Date.parse(event.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('come with a page that asks for them (through fragments too), field for field as snapshot(id) reads them', async () => {
    const cluster = await register('page-volumes');
    const snapshot = await schedule(app.orm, cluster.id, new Date('2026-06-02T12:00:00Z'));
    const [logs, data] = await addVolumes(app.orm, snapshot.id, [
      { namespace: 'db', pvcName: 'logs' },
      { namespace: 'db', pvcName: 'data' },
    ]);
    await app.orm.em.fork().nativeUpdate(VolumeSnapshotSchema, { id: logs! }, {
      driver: 'csi.test', volumeSnapshotClass: 'fast', snapshotHandle: 'snap-1', restoreSizeBytes: 10_737_418_240,
    });
    await moveVol(app.orm, logs!, 'IN_PROGRESS', 'creating VolumeSnapshot');
    const fields = 'id namespace pvcName phase driver volumeSnapshotClass snapshotHandle restoreSizeBytes message createdAt updatedAt';
    type Volumes = { volumeSnapshots: Record<string, unknown>[] };
    const alone = await app.request(
      parse(`query($id: ID!) { snapshot(id: $id) { volumeSnapshots { ${fields} } } }`) as TypedDocumentNode<{ snapshot: Volumes }, { id: string }>,
      { id: snapshot.id },
      admin,
    );
    expect(alone.errors).toBeUndefined();
    const expected = alone.data!.snapshot.volumeSnapshots;
    expect(expected.map((volume) => [volume.id, volume.restoreSizeBytes])).toEqual([[data, null], [logs, 10_737_418_240]]);

    await sqlQuiescent();
    const before = sqlStatements.count;
    const paged = await app.request(
      parse(`query($id: ID!) { virtualCluster(id: $id) { snapshots(first: 5) { ...page } } }
        fragment page on SnapshotConnection { edges { ... on SnapshotEdge { node { ...volumes } } } }
        fragment volumes on Snapshot { id volumeSnapshots { ${fields} } }`) as TypedDocumentNode<
        { virtualCluster: { snapshots: { edges: { node: Volumes }[] } } },
        { id: string }
      >,
      { id: cluster.id },
      admin,
    );
    const used = sqlStatements.count - before;
    expect(paged.errors).toBeUndefined();
    expect(paged.data!.virtualCluster.snapshots.edges.map((edge) => edge.node.volumeSnapshots)).toEqual([expected]);
    // The cluster, then the page with its volumes.
    expect(used).toBe(2);
  });

  it('read in a page, every field of a snapshot and of its volumes answers as snapshot(id) does, whatever else is asked', async () => {
    const cluster = await register('page-fields');
    const snapshot = await schedule(app.orm, cluster.id, new Date('2026-06-03T12:00:00Z'));
    const [volume] = await addVolumes(app.orm, snapshot.id, [{ namespace: 'db', pvcName: 'data' }]);
    await moveVol(app.orm, volume!, 'IN_PROGRESS', 'creating VolumeSnapshot');
    const connection = app.orm.em.getConnection();
    const locationId = randomUUID();
    await connection.execute(
      `insert into storage_location (id, name, kind, bucket, prefix, credentials_source, allowed_project_ids, created_at, updated_at)
       values (?, ?, 'S3', 'page-fields', 'p', 'DEFAULT', array[?]::text[], now(), now())`,
      [locationId, `page-fields-${process.pid}`, cluster.projectId],
    );
    // Every column a field reads holds a value (none left null by chance).
    await connection.execute(
      `update snapshot set started_at = ?, finished_at = ?, storage_location_id = ?, location = 's3://page-fields/p/a.tar.gz',
         size_bytes = 10737418240, sha256 = ?, object_count = 42, message = 'volume db/data failed', integrity = 'VERIFIED',
         verified_at = ?, integrity_message = 'sizes differ', skipped_resources = ?::jsonb, progress = ?::jsonb
       where id = ?`,
      [
        new Date('2026-06-03T12:00:01.5Z'), new Date('2026-06-03T12:05:00Z'), locationId, 'ab'.repeat(32), new Date('2026-06-04T00:00:00Z'),
        JSON.stringify([{ group: 'apps', resource: 'deployments', reason: 'forbidden (403)' }]),
        JSON.stringify({ resourceTypesDone: 3, resourceTypesTotal: 4, objectsWritten: 42, bytesWritten: 1024, volumesDone: 0, volumesTotal: 1 }),
        snapshot.id,
      ],
    );
    await connection.execute(
      `update volume_snapshot set driver = 'csi.test', volume_snapshot_class = 'fast', snapshot_handle = 'snap-1', restore_size_bytes = 1073741824 where id = ?`,
      [volume],
    );

    // A field, with its leaves one level down when it is an object.
    const selectionOf = (field: GraphQLField<unknown, unknown>): string => {
      const type = getNamedType(field.type);
      if (!isObjectType(type)) return field.name;
      const leaves = Object.values(type.getFields()).filter((sub) => !isObjectType(getNamedType(sub.type)) && sub.args.length === 0);
      return `${field.name} { ${leaves.map((sub) => sub.name).join(' ')} }`;
    };
    type Node = Record<string, unknown>;
    const single = (selection: string) =>
      app.request(parse(`query($id: ID!) { snapshot(id: $id) { ${selection} } }`) as TypedDocumentNode<{ snapshot: Node }, { id: string }>, { id: snapshot.id }, admin);
    const paged = (selection: string) =>
      app.request(
        parse(`query($id: ID!) { virtualCluster(id: $id) { snapshots(first: 5) { edges { node { ${selection} } } } } }`) as TypedDocumentNode<
          { virtualCluster: { snapshots: { edges: { node: Node }[] } } },
          { id: string }
        >,
        { id: cluster.id },
        admin,
      );
    const selections = [
      ...Object.values((schema.getType('Snapshot') as GraphQLObjectType).getFields()).filter((field) => field.args.length === 0).map(selectionOf),
      ...Object.values((schema.getType('VolumeSnapshot') as GraphQLObjectType).getFields()).map((field) => `volumeSnapshots { ${selectionOf(field)} }`),
    ];
    expect(selections.length).toBeGreaterThan(25);
    for (const selection of [...selections, selections.join(' ')]) {
      const expected = await single(selection);
      expect(expected.errors, selection).toBeUndefined();
      const page = await paged(selection);
      expect(page.errors, selection).toBeUndefined();
      expect(page.data!.virtualCluster.snapshots.edges.map((edge) => edge.node), selection).toEqual([expected.data!.snapshot]);
    }
    // Not a null by default: each field's value above was set.
    const all = (await single(selections.join(' '))).data!.snapshot;
    expect(Object.entries(all).filter(([, value]) => value === null)).toEqual([]);
  });

  it('a summary row refuses to read a column it does not hold, instead of answering null', () => {
    const row = { id: randomUUID(), virtual_cluster_id: randomUUID(), project_id: 'p', name: 'n', status: 'COMPLETED', trigger: 'MANUAL', volume_snapshots_enabled: true, scheduled_at: '2026-06-03 12:00:00+00' };
    const view = snapshotView(row);
    expect(view.name).toBe('n');
    expect(view.scheduledAt.toISOString()).toBe('2026-06-03T12:00:00.000Z');
    expect(() => view.location).toThrow('column location was not read');
    expect(() => view.progress).toThrow('column progress was not read');
    const volume = volumeSnapshotView({ id: randomUUID(), snapshot_id: row.id, namespace: 'db', pvc_name: 'data', phase: 'COMPLETED' });
    expect(volume.phase).toBe('COMPLETED');
    expect(() => volume.createdAt).toThrow('column created_at was not read');
  });
});

describe('deleteSnapshot', () => {
  it('removes the snapshot and its volume snapshots, keeps its events as the audit trail and adds a DELETED event', async () => {
    const cluster = await register('deleting');
    const snapshot = await schedule(app.orm, cluster.id);
    await move(app.orm, snapshot.id, 'IN_PROGRESS');
    const volumeIds = await addVolumes(app.orm, snapshot.id, [
      { namespace: 'db', pvcName: 'data' },
      { namespace: 'db', pvcName: 'logs' },
    ]);
    for (const id of volumeIds) await moveVol(app.orm, id, 'SKIPPED');
    await move(app.orm, snapshot.id, 'COMPLETED');
    const em = app.orm.em.fork();
    expect(await em.count(SnapshotEventSchema, { snapshotId: snapshot.id })).toBe(5);

    const response = await app.request(DeleteSnapshotDocument, { id: snapshot.id }, admin);
    expect(response.errors).toBeUndefined();
    expect(response.data!.deleteSnapshot.deletedSnapshotId).toBe(snapshot.id);

    expect(await em.count(SnapshotSchema, { id: snapshot.id })).toBe(0);
    expect(await em.count(VolumeSnapshotSchema, { id: { $in: volumeIds } })).toBe(0);
    const events = await em.find(SnapshotEventSchema, { snapshotId: snapshot.id }, { orderBy: { id: 'asc' } });
    expect(events.map((event) => event.kind)).toEqual(['CREATED', 'STATUS_CHANGED', 'VOLUME_PHASE_CHANGED', 'VOLUME_PHASE_CHANGED', 'STATUS_CHANGED', 'DELETED']);
    expect(events.at(-1)).toMatchObject({
      subject: 'SNAPSHOT',
      snapshotId: snapshot.id,
      volumeSnapshotId: null,
      virtualClusterId: cluster.id,
      projectId: snapshot.projectId,
      fromState: 'COMPLETED',
      toState: 'DELETED',
      message: 'deleted through deleteSnapshot',
    });
    const read = await app.request(SnapshotDocument, { id: snapshot.id }, admin);
    expect(errorCodes(read)).toEqual(['NOT_FOUND']);
    expect((await listPage({ id: cluster.id })).edges).toEqual([]);

    const again = await app.request(DeleteSnapshotDocument, { id: snapshot.id }, admin);
    expect(errorCodes(again)).toEqual(['NOT_FOUND']);
  });

  it('deletes a SCHEDULED snapshot, which frees the cluster for a new one', async () => {
    const cluster = await register();
    const created = await app.request(CreateSnapshotDocument, { virtualClusterId: cluster.id }, admin);
    const id = created.data!.createSnapshot.id;
    const response = await app.request(DeleteSnapshotDocument, { id }, admin);
    expect(response.data?.deleteSnapshot.deletedSnapshotId).toBe(id);
    const events = await app.orm.em.fork().find(SnapshotEventSchema, { snapshotId: id }, { orderBy: { id: 'asc' } });
    expect(events.map((event) => [event.kind, event.fromState, event.toState])).toEqual([
      ['CREATED', null, 'SCHEDULED'],
      ['DELETED', 'SCHEDULED', 'DELETED'],
    ]);
    const next = await app.request(CreateSnapshotDocument, { virtualClusterId: cluster.id }, admin);
    expect(next.errors).toBeUndefined();
  });

  it('answers CONFLICT for an IN_PROGRESS snapshot and removes nothing', async () => {
    const cluster = await register();
    const snapshot = await schedule(app.orm, cluster.id);
    await move(app.orm, snapshot.id, 'IN_PROGRESS');
    await addVolumes(app.orm, snapshot.id, [{ namespace: 'db', pvcName: 'data' }]);
    const before = await rowCounts();
    const response = await app.request(DeleteSnapshotDocument, { id: snapshot.id }, admin);
    expect(errorCodes(response)).toEqual(['CONFLICT']);
    expect(response.errors?.[0]?.extensions?.field).toBe('id');
    expect(await rowCounts()).toEqual(before);
    const read = await app.request(SnapshotDocument, { id: snapshot.id }, admin);
    expect(read.data!.snapshot).toMatchObject({ status: 'IN_PROGRESS', volumeSnapshots: [expect.objectContaining({ pvcName: 'data' })] });
  });

  it.each([
    ['an unknown id', MISSING_ID],
    ['a malformed id', 'not-a-uuid'],
  ])('answers NOT_FOUND for %s', async (_what, id) => {
    const before = await rowCounts();
    const response = await app.request(DeleteSnapshotDocument, { id }, admin);
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    expect(response.errors?.[0]).toMatchObject({ message: 'snapshot not found', path: ['deleteSnapshot'], extensions: { field: 'id' } });
    expect(await rowCounts()).toEqual(before);
  });
});
