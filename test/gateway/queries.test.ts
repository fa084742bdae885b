/**
 * vsnap behind Hive Gateway, over real HTTP on 127.0.0.1: the supergraph of vsnap and a
 * projects subgraph composes without an error, queries spanning both resolve, and the
 * caller's token reaches every subgraph, so vsnap's scopes hold through the gateway.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterVirtualClusterDocument } from '../generated/graphql.ts';
import { errorCodes, startTestApp, tokens, type TestApp } from '../support/app.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';
import { move, schedule } from '../support/snapshots.ts';
import { postGraphQL } from './client.ts';
import { startGateway, type Gateway } from './gateway.ts';
import { PROJECTS_SUBGRAPH_SDL, startProjectsSubgraph, type ProjectsSubgraph } from './projects-subgraph.ts';
import { composeSupergraph, vsnapWithProjects } from './supergraph.ts';
import { printSchemaFile } from '../../src/graphql/sdl.ts';

const P1 = 'gw-payments';
const P2 = 'gw-search';

let app: TestApp;
let projects: ProjectsSubgraph;
let gateway: Gateway;
let supergraph: string;
let admin: string;
const seed = { payments: '', ledger: '', search: '', snapshots: [] as { id: string; name: string }[] };

async function register(projectId: string, name: string): Promise<string> {
  const response = await app.request(RegisterVirtualClusterDocument, { input: { projectId, name, kubeconfig: { inline: STATIC_KUBECONFIG } } }, admin);
  expect(response.errors).toBeUndefined();
  return response.data!.registerVirtualCluster.id;
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokens.platformAdmin();
  projects = await startProjectsSubgraph([
    { id: P1, displayName: 'Payments' },
    { id: P2, displayName: 'Search' },
  ]);
  supergraph = vsnapWithProjects({ vsnap: `${app.url}/graphql`, projects: projects.url });
  gateway = await startGateway({ supergraph, subscriptions: 'sse' });
  seed.payments = await register(P1, 'payments');
  seed.ledger = await register(P1, 'ledger');
  seed.search = await register(P2, 'search');
  for (const at of [new Date('2026-05-01T00:00:00Z'), new Date('2026-05-02T00:00:00Z')]) {
    const snapshot = await schedule(app.orm, seed.payments, at);
    await move(app.orm, snapshot.id, 'IN_PROGRESS');
    await move(app.orm, snapshot.id, 'COMPLETED');
    // When it finished (the engine records it; these are made by the transitions alone).
    await app.orm.em.fork().getConnection().execute('update snapshot set finished_at = ? where id = ?', [new Date(at.getTime() + 60_000).toISOString(), snapshot.id]);
    seed.snapshots.unshift({ id: snapshot.id, name: snapshot.name });
  }
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await projects?.close();
  await app?.close();
});

const CLUSTER_ACROSS = /* GraphQL */ `
  query ClusterAcross($id: ID!) {
    virtualCluster(id: $id) {
      name
      project { id displayName }
      snapshots(first: 5) { edges { node { id name status } } }
    }
  }
`;
interface ClusterAcross {
  virtualCluster: {
    name: string;
    project: { id: string; displayName: string };
    snapshots: { edges: { node: { id: string; name: string; status: string } }[] } | null;
  } | null;
}

const PROJECTS_ACROSS = /* GraphQL */ `
  query ProjectsAcross {
    projects {
      id
      displayName
      virtualClusters(first: 10) { edges { node { name } } }
      snapshotSummary { total lastCompletedAt failedLast24h }
    }
  }
`;
interface ProjectsAcross {
  projects: {
    id: string;
    displayName: string;
    virtualClusters: { edges: { node: { name: string } }[] } | null;
    snapshotSummary: { total: number; lastCompletedAt: string | null; failedLast24h: number } | null;
  }[];
}

describe('composition', () => {
  it('composes vsnap and the projects subgraph without an error, Project joined from both by its key', () => {
    expect(supergraph).toMatch(/type Project\s+@join__type\(graph: PROJECTS, key: "id"\)\s+@join__type\(graph: VSNAP, key: "id"\)/);
    expect(supergraph).toMatch(/snapshotSummary: SnapshotSummary @join__field\(graph: VSNAP\)/);
    expect(supergraph).toMatch(/displayName: String! @join__field\(graph: PROJECTS\)/);
  });

  it('is what `npm run compose` prints for the subgraphs\' endpoints', () => {
    const printed = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/compose.ts', '--vsnap', `${app.url}/graphql`, '--projects', projects.url], { encoding: 'utf8' });
    expect(printed).toBe(`${supergraph.trimEnd()}\n`);
    expect(printed).toContain(`@join__graph(name: "vsnap", url: "${app.url}/graphql")`);
  });

  it('needs a token for vsnap\'s _service { sdl }, as for every request: any role will do', async () => {
    const anonymous = await postGraphQL<{ _service: { sdl: string } }>(app.url, '{ _service { sdl } }', {}, undefined);
    expect(anonymous.status).toBe(401);
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    const member = await postGraphQL<{ _service: { sdl: string } }>(app.url, '{ _service { sdl } }', {}, await tokens.member('gw-anywhere'));
    expect(member.errors).toBeUndefined();
    expect(member.data!._service.sdl).toContain('type Project');
    expect(composeSupergraph([
      { name: 'vsnap', url: `${app.url}/graphql`, sdl: member.data!._service.sdl },
      { name: 'projects', url: projects.url, sdl: PROJECTS_SUBGRAPH_SDL },
    ])).toBe(supergraph);
  });

  it('fails on a composition error, naming it', () => {
    // Two subgraphs disagreeing on a shared field's type: a composition error, not a hint.
    const broken = `${printSchemaFile()}\n`.replace(/type Project\s+@key\(fields: "id"\)\s+\{\s+id: ID!/, 'type Project @key(fields: "id") {\n  id: ID!\n  displayName: Int');
    expect(broken).toContain('displayName: Int');
    expect(() =>
      composeSupergraph([
        { name: 'vsnap', url: 'http://127.0.0.1:1/graphql', sdl: broken },
        { name: 'projects', url: projects.url, sdl: /* GraphQL */ `
          extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
          type Project @key(fields: "id") { id: ID! displayName: String! }
          type Query { projects: [Project!]! }
        ` },
      ]),
    ).toThrow(/the subgraphs do not compose:\n- .*displayName/);
  });
});

describe('queries spanning both subgraphs', () => {
  it('resolves a cluster with its project\'s display name and its snapshots, for an admin of the project', async () => {
    const token = await tokens.projectAdmin(P1);
    const before = projects.authorizations.length;
    const response = await postGraphQL<ClusterAcross>(gateway.url, CLUSTER_ACROSS, { id: seed.payments }, token);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      virtualCluster: {
        name: 'payments',
        project: { id: P1, displayName: 'Payments' },
        snapshots: { edges: seed.snapshots.map(({ id, name }) => ({ node: { id, name, status: 'COMPLETED' } })) },
      },
    });
    // The projects subgraph was asked with the caller's token (vsnap answers nothing without it).
    expect(projects.authorizations.slice(before)).toEqual([`Bearer ${token}`]);
  });

  it('resolves projects with their clusters and snapshot summary; a project the caller is outside of has vsnap\'s fields null', async () => {
    const response = await postGraphQL<ProjectsAcross>(gateway.url, PROJECTS_ACROSS, {}, await tokens.projectAdmin(P1));
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      projects: [
        {
          id: P1,
          displayName: 'Payments',
          virtualClusters: { edges: [{ node: { name: 'ledger' } }, { node: { name: 'payments' } }] },
          snapshotSummary: { total: 2, lastCompletedAt: '2026-05-02T00:01:00.000Z', failedLast24h: 0 },
        },
        { id: P2, displayName: 'Search', virtualClusters: null, snapshotSummary: null },
      ],
    });
  });

  it('gives a platform admin every project\'s part', async () => {
    const response = await postGraphQL<ProjectsAcross>(gateway.url, PROJECTS_ACROSS, {}, admin);
    expect(response.errors).toBeUndefined();
    expect(response.data!.projects.map((project) => [project.id, project.virtualClusters!.edges.map((edge) => edge.node.name), project.snapshotSummary!.total])).toEqual([
      [P1, ['ledger', 'payments'], 2],
      [P2, ['search'], 0],
    ]);
  });

  it('gives a member FORBIDDEN on the snapshot fields, the rest of the response intact', async () => {
    const token = await tokens.member(P1);
    const cluster = await postGraphQL<ClusterAcross>(gateway.url, CLUSTER_ACROSS, { id: seed.payments }, token);
    expect(errorCodes(cluster)).toEqual(['FORBIDDEN']);
    expect(cluster.errors![0]).toMatchObject({ message: 'not allowed to read VirtualCluster.snapshots', path: ['virtualCluster', 'snapshots'] });
    expect(cluster.data).toEqual({ virtualCluster: { name: 'payments', project: { id: P1, displayName: 'Payments' }, snapshots: null } });

    const list = await postGraphQL<ProjectsAcross>(gateway.url, PROJECTS_ACROSS, {}, token);
    expect(errorCodes(list)).toEqual(['FORBIDDEN']);
    expect(list.errors![0]!.message).toBe('not allowed to read Project.snapshotSummary');
    // The gateway names the field, not the list index (it merges the entity's errors into the list's).
    expect([list.errors![0]!.path![0], list.errors![0]!.path!.at(-1)]).toEqual(['projects', 'snapshotSummary']);
    expect(list.data).toEqual({
      projects: [
        { id: P1, displayName: 'Payments', virtualClusters: { edges: [{ node: { name: 'ledger' } }, { node: { name: 'payments' } }] }, snapshotSummary: null },
        { id: P2, displayName: 'Search', virtualClusters: null, snapshotSummary: null },
      ],
    });
    expect(JSON.stringify([cluster, list])).not.toContain(seed.snapshots[0]!.id);
  });

  it('gives an outsider nothing of vsnap\'s: the cluster is NOT_FOUND, the projects carry only the other subgraph\'s fields', async () => {
    const token = await tokens.projectAdmin('gw-elsewhere');
    const cluster = await postGraphQL<ClusterAcross>(gateway.url, CLUSTER_ACROSS, { id: seed.payments }, token);
    expect(errorCodes(cluster)).toEqual(['NOT_FOUND']);
    expect(cluster.data).toEqual({ virtualCluster: null });
    const list = await postGraphQL<ProjectsAcross>(gateway.url, PROJECTS_ACROSS, {}, token);
    expect(list.errors).toBeUndefined();
    expect(list.data).toEqual({
      projects: [
        { id: P1, displayName: 'Payments', virtualClusters: null, snapshotSummary: null },
        { id: P2, displayName: 'Search', virtualClusters: null, snapshotSummary: null },
      ],
    });
    for (const secret of [seed.payments, seed.ledger, seed.search, 'ledger', seed.snapshots[0]!.name]) expect(JSON.stringify([cluster, list])).not.toContain(secret);
  });

  it('passes vsnap\'s UNAUTHENTICATED through when the caller sends no token', async () => {
    const response = await postGraphQL<ClusterAcross>(gateway.url, CLUSTER_ACROSS, { id: seed.payments }, undefined);
    // vsnap answered 401; the gateway turns it into the field's error (HTTP 200), naming the subgraph.
    expect(response.status).toBe(200);
    expect(response.errors).toEqual([
      { message: 'an Authorization: Bearer <token> header is required', path: ['virtualCluster'], extensions: { code: 'UNAUTHENTICATED', serviceName: 'vsnap' } },
    ]);
    expect(response.data).toEqual({ virtualCluster: null });
  });
});
