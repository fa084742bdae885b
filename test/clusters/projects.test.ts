/**
 * Project, owned by another subgraph, gets vsnap's fields for federation's `_entities`:
 * its virtual clusters (a page each) and a summary of their snapshots, read in one SQL
 * statement per batch of representations whatever the batch's size, with the scopes of the
 * rest of the schema (HTTP, real Postgres).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlStatements } from '../../src/db/orm.ts';
import { errorCodes, startTestApp, tokens, type TestApp } from '../support/app.ts';
import { sqlQuiescent } from '../support/database.ts';
import { insertCluster, move, schedule } from '../support/snapshots.ts';

interface ProjectEntity {
  __typename: 'Project';
  id: string;
  virtualClusters: { edges: { cursor: string; node: { id: string; name: string; projectId: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } | null;
  snapshotSummary: { total: number; lastCompletedAt: string | null; failedLast24h: number } | null;
}
type Representation = { __typename: string; id: string };

const ProjectEntitiesDocument = parse(/* GraphQL */ `
  query ProjectEntities($representations: [_Any!]!, $first: Int, $after: String) {
    _entities(representations: $representations) {
      __typename
      ... on Project {
        id
        virtualClusters(first: $first, after: $after) {
          edges { cursor node { id name projectId } }
          pageInfo { hasNextPage endCursor }
        }
        snapshotSummary { total lastCompletedAt failedLast24h }
      }
    }
  }
`) as TypedDocumentNode<{ _entities: (ProjectEntity | null)[] }, { representations: Representation[]; first?: number; after?: string }>;

const ClustersOfProjectsDocument = parse(/* GraphQL */ `
  query ProjectClusters($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Project { id virtualClusters(first: 2) { edges { node { name } } } }
    }
  }
`) as TypedDocumentNode<{ _entities: ({ id: string; virtualClusters: { edges: { node: { name: string } }[] } | null } | null)[] }, { representations: Representation[] }>;

const ClusterProjectDocument = parse(/* GraphQL */ `
  query ClusterProject($id: ID!) {
    virtualCluster(id: $id) { name project { id virtualClusters { edges { node { name } } } snapshotSummary { total } } }
  }
`) as TypedDocumentNode<
  { virtualCluster: { name: string; project: { id: string; virtualClusters: { edges: { node: { name: string } }[] } | null; snapshotSummary: { total: number } | null } } | null },
  { id: string }
>;

const A = `proj-a-${process.pid}`;
const B = `proj-b-${process.pid}`;
/** A project vsnap has no cluster of. */
const EMPTY = `proj-empty-${process.pid}`;
const HOUR = 3_600_000;

let app: TestApp;
let admin: string;
const clusters: Record<string, { id: string; name: string; projectId: string }> = {};
let newestCompletedAt: Date;

const project = (id: string): Representation => ({ __typename: 'Project', id });

async function entities(representations: Representation[], token: string, page: { first?: number; after?: string } = {}) {
  return app.request(ProjectEntitiesDocument, { representations, ...page }, token);
}

/** A snapshot of `clusterId` moved through the state machine to `to`, its finishedAt then set to `finishedAt`. */
async function snapshotEnding(clusterId: string, to: 'COMPLETED' | 'FAILED' | 'PARTIALLY_FAILED' | 'SCHEDULED', finishedAt?: Date, at = new Date()) {
  const snapshot = await schedule(app.orm, clusterId, at);
  if (to === 'SCHEDULED') return;
  await move(app.orm, snapshot.id, 'IN_PROGRESS');
  await move(app.orm, snapshot.id, to);
  // The fixture's clock: when it finished (a status is only ever set by the transitions above).
  if (finishedAt) await app.orm.em.fork().getConnection().execute('update snapshot set finished_at = ? where id = ?', [finishedAt.toISOString(), snapshot.id]);
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokens.platformAdmin();
  for (const [name, projectId] of [['gamma', A], ['alpha', A], ['beta', A], ['solo', B]] as const) {
    const cluster = await insertCluster(app.orm, name, projectId);
    clusters[name] = { id: cluster.id, name, projectId };
  }
  const now = Date.now();
  newestCompletedAt = new Date(now - 2 * HOUR);
  // A: two COMPLETED (the newest 2 h ago), a PARTIALLY_FAILED more recent (not COMPLETED), FAILED
  // just inside and just outside the last 24 h, and one still SCHEDULED: 6 in all.
  await snapshotEnding(clusters.alpha!.id, 'COMPLETED', new Date(now - 30 * HOUR), new Date(now - 31 * HOUR));
  await snapshotEnding(clusters.alpha!.id, 'COMPLETED', newestCompletedAt, new Date(now - 3 * HOUR));
  await snapshotEnding(clusters.beta!.id, 'PARTIALLY_FAILED', new Date(now - HOUR), new Date(now - 90 * 60_000));
  await snapshotEnding(clusters.beta!.id, 'FAILED', new Date(now - 24 * HOUR + 10 * 60_000), new Date(now - 25 * HOUR));
  await snapshotEnding(clusters.gamma!.id, 'FAILED', new Date(now - 24 * HOUR - 10 * 60_000), new Date(now - 26 * HOUR));
  await snapshotEnding(clusters.gamma!.id, 'SCHEDULED');
  // B: one FAILED an hour ago.
  await snapshotEnding(clusters.solo!.id, 'FAILED', new Date(now - HOUR), new Date(now - 2 * HOUR));
}, 60_000);
afterAll(() => app?.close());

const node = (name: string) => ({ cursor: expect.any(String), node: clusters[name] });

describe('Project for _entities', () => {
  it('gives a platform admin each project\'s clusters by name and its snapshot figures, in the order of the representations', async () => {
    const response = await entities([project(B), project(A), project(EMPTY)], admin);
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([
      {
        __typename: 'Project',
        id: B,
        virtualClusters: { edges: [node('solo')], pageInfo: { hasNextPage: false, endCursor: expect.any(String) } },
        snapshotSummary: { total: 1, lastCompletedAt: null, failedLast24h: 1 },
      },
      {
        __typename: 'Project',
        id: A,
        virtualClusters: { edges: [node('alpha'), node('beta'), node('gamma')], pageInfo: { hasNextPage: false, endCursor: expect.any(String) } },
        // The PARTIALLY_FAILED one finished later but is no COMPLETED one; FAILED 23 h 50 min ago counts, 24 h 10 min ago does not.
        snapshotSummary: { total: 6, lastCompletedAt: newestCompletedAt.toISOString(), failedLast24h: 1 },
      },
      {
        __typename: 'Project',
        id: EMPTY,
        virtualClusters: { edges: [], pageInfo: { hasNextPage: false, endCursor: '' } },
        snapshotSummary: { total: 0, lastCompletedAt: null, failedLast24h: 0 },
      },
    ]);
  });

  it('pages each project\'s clusters with first and after, the cursors those of Query.virtualClusters', async () => {
    const first = await entities([project(A), project(B)], admin, { first: 2 });
    expect(first.errors).toBeUndefined();
    const [a, b] = first.data!._entities as ProjectEntity[];
    expect(a!.virtualClusters).toEqual({ edges: [node('alpha'), node('beta')], pageInfo: { hasNextPage: true, endCursor: expect.any(String) } });
    expect(b!.virtualClusters!.edges.map((edge) => edge.node.name)).toEqual(['solo']);
    const rest = await entities([project(A)], admin, { first: 2, after: a!.virtualClusters!.pageInfo.endCursor! });
    expect(rest.errors).toBeUndefined();
    expect((rest.data!._entities[0] as ProjectEntity).virtualClusters).toEqual({ edges: [node('gamma')], pageInfo: { hasNextPage: false, endCursor: expect.any(String) } });
    // first: 0 is an empty page; beyond 100 is capped, as for every list.
    const none = await entities([project(A)], admin, { first: 0 });
    expect((none.data!._entities[0] as ProjectEntity).virtualClusters!.edges).toEqual([]);
  });

  it('refuses a cursor this list did not make and a negative first: VALIDATION on that argument, per project', async () => {
    const badCursor = await entities([project(A)], admin, { after: 'bm90LWEtY3Vyc29y' });
    expect(errorCodes(badCursor)).toEqual(['VALIDATION']);
    expect(badCursor.errors![0]).toMatchObject({ message: 'after: "bm90LWEtY3Vyc29y" is not a cursor of this list', extensions: { field: 'after' }, path: ['_entities', 0, 'virtualClusters'] });
    expect((badCursor.data!._entities[0] as ProjectEntity).virtualClusters).toBeNull();
    const negative = await entities([project(A)], admin, { first: -1 });
    expect(negative.errors![0]).toMatchObject({ message: 'first: must be a non-negative integer', extensions: { code: 'VALIDATION', field: 'first' } });
  });

  it('gives a member the clusters and FORBIDDEN on the snapshot summary, the rest of the response intact; another project is nothing', async () => {
    const member = await tokens.member(A);
    const response = await entities([project(A), project(B)], member);
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(response.errors![0]).toMatchObject({ message: 'not allowed to read Project.snapshotSummary', path: ['_entities', 0, 'snapshotSummary'] });
    expect(response.data!._entities).toEqual([
      {
        __typename: 'Project',
        id: A,
        virtualClusters: { edges: [node('alpha'), node('beta'), node('gamma')], pageInfo: { hasNextPage: false, endCursor: expect.any(String) } },
        snapshotSummary: null,
      },
      null,
    ]);
  });

  it('gives a project admin its own project whole, and null without an error for another project (as for a project of nothing)', async () => {
    const response = await entities([project(B), project(A)], await tokens.projectAdmin(B));
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([
      expect.objectContaining({ id: B, snapshotSummary: { total: 1, lastCompletedAt: null, failedLast24h: 1 } }),
      null,
    ]);
    expect(JSON.stringify(response)).not.toContain(clusters.alpha!.id);
  });

  it('answers null for an id no project can have (not a DNS-1123 label), even to a platform admin', async () => {
    const response = await entities([project('Not A Label'), project(''), project('a'.repeat(64)), project('a'.repeat(63))], admin);
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([null, null, null, expect.objectContaining({ id: 'a'.repeat(63), snapshotSummary: { total: 0, lastCompletedAt: null, failedLast24h: 0 } })]);
  });

  it('refuses a representation without an id: VALIDATION on representations.<index>.id, nothing resolved', async () => {
    const response = await app.request(ProjectEntitiesDocument, { representations: [project(A), { __typename: 'Project' } as Representation] }, admin);
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors![0]).toMatchObject({ extensions: { field: 'representations.1.id' } });
    // _entities is non-null: the whole response's data is null.
    expect(response.data).toBeNull();
  });

  it('is reached from a cluster too, with the same scopes', async () => {
    const asAdmin = await app.request(ClusterProjectDocument, { id: clusters.solo!.id }, await tokens.projectAdmin(B));
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data!.virtualCluster).toEqual({ name: 'solo', project: { id: B, virtualClusters: { edges: [{ node: { name: 'solo' } }] }, snapshotSummary: { total: 1 } } });
    const asMember = await app.request(ClusterProjectDocument, { id: clusters.solo!.id }, await tokens.member(B));
    expect(errorCodes(asMember)).toEqual(['FORBIDDEN']);
    expect(asMember.data!.virtualCluster!.project).toEqual({ id: B, virtualClusters: { edges: [{ node: { name: 'solo' } }] }, snapshotSummary: null });
  });
});

describe('batches', () => {
  it('reads a batch of representations in one SQL statement per field, whatever its size', async () => {
    const statementsFor = async (representations: Representation[]) => {
      await sqlQuiescent();
      const before = sqlStatements.count;
      const response = await entities(representations, admin);
      const used = sqlStatements.count - before;
      expect(response.errors).toBeUndefined();
      expect(response.data!._entities).toHaveLength(representations.length);
      expect((response.data!._entities as ProjectEntity[]).find((entity) => entity.id === A)!.virtualClusters!.edges).toHaveLength(3);
      return used;
    };
    const many = Array.from({ length: 60 }, (_, i) => project(`proj-many-${i}`));
    const one = await statementsFor([project(A)]);
    const three = await statementsFor([project(A), project(B), project(EMPTY)]);
    const sixty = await statementsFor([project(A), ...many]);
    // One for the clusters' pages, one for the summaries.
    expect(one).toBe(2);
    expect(three).toBe(2);
    expect(sixty).toBe(2);
  });

  it('shares one statement among projects asking for the same page; a different page is a statement of its own', async () => {
    await sqlQuiescent();
    const before = sqlStatements.count;
    const response = await app.request(ClustersOfProjectsDocument, { representations: [project(A), project(B), project(EMPTY)] }, admin);
    expect(sqlStatements.count - before).toBe(1);
    expect(response.data!._entities.map((entity) => entity?.virtualClusters?.edges.map((edge) => edge.node.name))).toEqual([['alpha', 'beta'], ['solo'], []]);
  });
});
