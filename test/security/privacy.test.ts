/**
 * Existence privacy, over HTTP against real Postgres: to a caller outside every project
 * of a virtual cluster, the cluster and its snapshots do not exist. Every way in that
 * takes a cluster or snapshot id answers an id of P's exactly as it answers an id of
 * nothing — the same HTTP status and the same response body, byte for byte (message,
 * code, path, `extensions.field`, locations) — and writes nothing. Federation's
 * `_entities` resolves both to null. Inside the project nothing changes: a member gets
 * FORBIDDEN on snapshot data and on changes, a platform admin reads everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { tableState } from './table-state.ts';

/** P holds the rows; the callers under test belong to Q, or to nothing. */
const P = 'privacy-p';
const Q = 'privacy-q';
const MISSING = '4f1e2d3c-0000-4000-8000-00000000abcd';

let app: TestApp;
const token = {} as Record<'platformAdmin' | 'adminOfQ' | 'memberOfQ' | 'noRoles' | 'memberOfP', string>;
let rows: { clusterId: string; clusterName: string; snapshotId: string; snapshotName: string };

async function post(query: string, variables: Record<string, unknown>, bearer: string) {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.text() };
}

async function asAdmin<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const { body } = await post(query, variables, token.platformAdmin);
  const parsed = JSON.parse(body) as { data: T; errors?: unknown };
  expect(parsed.errors).toBeUndefined();
  return parsed.data;
}

beforeAll(async () => {
  app = await startTestApp();
  token.platformAdmin = await tokens.platformAdmin();
  token.adminOfQ = await tokens.projectAdmin(Q);
  token.memberOfQ = await tokens.member(Q);
  token.noRoles = await tokens.as('nobody', {});
  token.memberOfP = await tokens.member(P);
  const { registerVirtualCluster: cluster } = await asAdmin<{ registerVirtualCluster: { id: string; name: string } }>(
    'mutation($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id name } }',
    { input: { projectId: P, name: 'secret-payments', kubeconfig: { secretRef: 'payments/config' } } },
  );
  const { createSnapshot: snapshot } = await asAdmin<{ createSnapshot: { id: string; name: string } }>(
    'mutation($id: ID!) { createSnapshot(virtualClusterId: $id) { id name } }',
    { id: cluster.id },
  );
  rows = { clusterId: cluster.id, clusterName: cluster.name, snapshotId: snapshot.id, snapshotName: snapshot.name };
  // Q has a cluster of its own: its admin is a real tenant, not a caller without projects.
  await asAdmin('mutation($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id } }', {
    input: { projectId: Q, name: 'own', kubeconfig: { secretRef: 'own/config' } },
  });
});
afterAll(() => app?.close());

interface Entry {
  name: string;
  query: string;
  /** The variables naming P's row, or a missing one. */
  variables: (id: string) => Record<string, unknown>;
  kind: 'cluster' | 'snapshot';
  /** What the outsider gets: the error's field, or null entities without an error. */
  expected: { path: string; field: string; message: string } | { entities: null[] };
}

const ENTRIES: Entry[] = [
  {
    name: 'virtualCluster(id)',
    query: 'query Read($id: ID!) { virtualCluster(id: $id) { id name projectId } }',
    variables: (id) => ({ id }),
    kind: 'cluster',
    expected: { path: 'virtualCluster', field: 'id', message: 'virtual cluster not found' },
  },
  {
    name: 'virtualCluster(id) { snapshots }',
    query: 'query Read($id: ID!) { virtualCluster(id: $id) { id snapshots(first: 5) { edges { node { id name } } } } }',
    variables: (id) => ({ id }),
    kind: 'cluster',
    expected: { path: 'virtualCluster', field: 'id', message: 'virtual cluster not found' },
  },
  {
    name: 'snapshot(id)',
    query: 'query Read($id: ID!) { snapshot(id: $id) { id name status virtualCluster { id name } } }',
    variables: (id) => ({ id }),
    kind: 'snapshot',
    expected: { path: 'snapshot', field: 'id', message: 'snapshot not found' },
  },
  {
    name: 'updateVirtualCluster',
    query: 'mutation Change($id: ID!) { updateVirtualCluster(id: $id, input: { name: "stolen" }) { id name } }',
    variables: (id) => ({ id }),
    kind: 'cluster',
    expected: { path: 'updateVirtualCluster', field: 'id', message: 'virtual cluster not found' },
  },
  {
    name: 'removeVirtualCluster',
    query: 'mutation Change($id: ID!) { removeVirtualCluster(id: $id) { removedVirtualClusterId } }',
    variables: (id) => ({ id }),
    kind: 'cluster',
    expected: { path: 'removeVirtualCluster', field: 'id', message: 'virtual cluster not found' },
  },
  {
    name: 'setAutoSnapshotPolicy',
    query:
      'mutation Change($id: ID!) { setAutoSnapshotPolicy(virtualClusterId: $id, policy: { enabled: true, schedule: "* * * * *" }) { id } }',
    variables: (id) => ({ id }),
    kind: 'cluster',
    expected: { path: 'setAutoSnapshotPolicy', field: 'virtualClusterId', message: 'virtual cluster not found' },
  },
  {
    name: 'createSnapshot',
    query: 'mutation Change($id: ID!) { createSnapshot(virtualClusterId: $id) { id name } }',
    variables: (id) => ({ id }),
    kind: 'cluster',
    expected: { path: 'createSnapshot', field: 'virtualClusterId', message: 'virtual cluster not found' },
  },
  {
    name: 'deleteSnapshot',
    query: 'mutation Change($id: ID!) { deleteSnapshot(id: $id) { deletedSnapshotId } }',
    variables: (id) => ({ id }),
    kind: 'snapshot',
    expected: { path: 'deleteSnapshot', field: 'id', message: 'snapshot not found' },
  },
  {
    name: '_entities: VirtualCluster',
    query: 'query Entities($r: [_Any!]!) { _entities(representations: $r) { __typename ... on VirtualCluster { id name projectId } } }',
    variables: (id) => ({ r: [{ __typename: 'VirtualCluster', id }] }),
    kind: 'cluster',
    expected: { entities: [null] },
  },
  {
    name: '_entities: Snapshot',
    query: 'query Entities($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Snapshot { id name status } } }',
    variables: (id) => ({ r: [{ __typename: 'Snapshot', id }] }),
    kind: 'snapshot',
    expected: { entities: [null] },
  },
];

const idOf = (kind: Entry['kind']) => (kind === 'cluster' ? rows.clusterId : rows.snapshotId);
const OUTSIDERS = ['adminOfQ', 'memberOfQ', 'noRoles'] as const;

describe.each(ENTRIES)('$name', (entry) => {
  it.each(OUTSIDERS)('answers %s the same for an id of P as for an id of nothing, and writes nothing', async (caller) => {
    const before = await tableState(app.orm);
    const someoneElses = await post(entry.query, entry.variables(idOf(entry.kind)), token[caller]);
    const missing = await post(entry.query, entry.variables(MISSING), token[caller]);
    const malformed = await post(entry.query, entry.variables('not-a-uuid'), token[caller]);
    expect(await tableState(app.orm)).toEqual(before);

    // Byte for byte: status and the whole body.
    expect(someoneElses).toEqual(missing);
    expect(someoneElses).toEqual(malformed);

    const body = JSON.parse(someoneElses.body) as { data: Record<string, unknown> | null; errors?: Record<string, unknown>[] };
    expect(someoneElses.status).toBe(200);
    if ('entities' in entry.expected) {
      expect(body).toEqual({ data: { _entities: entry.expected.entities } });
    } else {
      expect(body.errors).toEqual([
        {
          message: entry.expected.message,
          locations: [expect.objectContaining({ line: 1 })],
          path: [entry.expected.path],
          extensions: { code: 'NOT_FOUND', field: entry.expected.field },
        },
      ]);
    }
    // Nothing only an insider knows: not the project, not the names.
    for (const secret of [P, rows.clusterName, rows.snapshotName]) expect(someoneElses.body).not.toContain(secret);
  });
});

describe('inside the project nothing changes', () => {
  it('a member of P reads the cluster and gets FORBIDDEN (not NOT_FOUND) on its snapshots and on snapshot(id)', async () => {
    const cluster = await post(ENTRIES[1]!.query, { id: rows.clusterId }, token.memberOfP);
    expect(JSON.parse(cluster.body)).toEqual({
      data: { virtualCluster: { id: rows.clusterId, snapshots: null } },
      errors: [expect.objectContaining({ path: ['virtualCluster', 'snapshots'], extensions: { code: 'FORBIDDEN' } })],
    });
    const snapshot = await post(ENTRIES[2]!.query, { id: rows.snapshotId }, token.memberOfP);
    expect(JSON.parse(snapshot.body)).toMatchObject({ data: { snapshot: null }, errors: [{ path: ['snapshot'], extensions: { code: 'FORBIDDEN' } }] });
  });

  it.each(ENTRIES.filter((entry) => entry.query.startsWith('mutation')).map((entry) => ({ ...entry, label: entry.name })))(
    'a member of P gets FORBIDDEN from $label and nothing is written',
    async (entry) => {
      const before = await tableState(app.orm);
      const response = await post(entry.query, entry.variables(idOf(entry.kind)), token.memberOfP);
      expect(JSON.parse(response.body)).toMatchObject({ data: null, errors: [{ extensions: { code: 'FORBIDDEN' } }] });
      expect(await tableState(app.orm)).toEqual(before);
    },
  );

  it('a member of P still gets NOT_FOUND for an id of nothing', async () => {
    const response = await post(ENTRIES[0]!.query, { id: MISSING }, token.memberOfP);
    expect(JSON.parse(response.body)).toMatchObject({ errors: [{ message: 'virtual cluster not found', extensions: { code: 'NOT_FOUND', field: 'id' } }] });
  });

  it('a platform admin reads P\'s cluster and snapshot', async () => {
    const cluster = await post(ENTRIES[0]!.query, { id: rows.clusterId }, token.platformAdmin);
    expect(JSON.parse(cluster.body)).toEqual({ data: { virtualCluster: { id: rows.clusterId, name: rows.clusterName, projectId: P } } });
    const snapshot = await post(ENTRIES[2]!.query, { id: rows.snapshotId }, token.platformAdmin);
    expect(JSON.parse(snapshot.body)).toEqual({
      data: { snapshot: { id: rows.snapshotId, name: rows.snapshotName, status: 'SCHEDULED', virtualCluster: { id: rows.clusterId, name: rows.clusterName } } },
    });
  });
});
