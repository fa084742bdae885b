/** The HTTP surface around GraphQL: probes, metrics, authentication and the federation entry points. */
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { startTestApp, TEST_JWT_SECRET, tokens, type TestApp } from '../support/app.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';
import { postGraphQL, waitFor } from './helpers.ts';

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokens.platformAdmin();
});
afterAll(() => app.close());

let counter = 0;
const uniqueProject = () => `server-http-${process.pid}-${++counter}`;

async function registerCluster(projectId = uniqueProject(), name = 'prod'): Promise<{ id: string; projectId: string }> {
  const response = await postGraphQL(
    app.url,
    `mutation ($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id projectId } }`,
    { token: admin, variables: { input: { projectId, name, kubeconfig: { inline: STATIC_KUBECONFIG } } } },
  );
  expect(response.body.errors).toBeUndefined();
  return (response.body.data as { registerVirtualCluster: { id: string; projectId: string } }).registerVirtualCluster;
}

const countClusters = () => app.orm.em.fork().count(VirtualClusterSchema, {});

describe('probes', () => {
  it('/healthz answers 200 without a token', async () => {
    const response = await fetch(`${app.url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('ok');
  });

  it('/readyz answers 200 while the database answers', async () => {
    const response = await fetch(`${app.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ready');
  });

  it('ignores the query string when routing probes', async () => {
    expect((await fetch(`${app.url}/healthz?verbose=1`)).status).toBe(200);
    expect((await fetch(`${app.url}/readyz?x=y`)).status).toBe(200);
  });
});

describe('/readyz when the database is gone', () => {
  it('answers 503 once the database it points at is dropped, while /healthz stays 200', async () => {
    const doomed = await startTestApp();
    try {
      expect((await fetch(`${doomed.url}/readyz`)).status).toBe(200);
      // Terminates the pool's connections and removes the database: reconnecting fails.
      const name = new URL(doomed.orm.config.get('clientUrl')!).pathname.slice(1);
      const client = new pg.Client({ connectionString: inject('postgresAdminUrl') });
      await client.connect();
      await client.query(`drop database ${name} with (force)`);
      await client.end();

      const response = await waitFor('/readyz to answer 503', async () => {
        const probe = await fetch(`${doomed.url}/readyz`);
        return probe.status === 503 ? probe : undefined;
      });
      expect(await response.text()).toBe('not ready');
      expect((await fetch(`${doomed.url}/healthz`)).status).toBe(200);
    } finally {
      await doomed.close();
    }
  });

  it('answers 503 once the ORM is closed', async () => {
    const closing = await startTestApp();
    try {
      expect((await fetch(`${closing.url}/readyz`)).status).toBe(200);
      await closing.orm.close();
      const response = await fetch(`${closing.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.text()).toBe('not ready');
    } finally {
      await closing.close();
    }
  });
});

/** The value of one sample of the Prometheus text exposition, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(): Promise<string> {
  const response = await fetch(`${app.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe('/metrics', () => {
  it('serves Prometheus text with process metrics, without a token', async () => {
    const response = await fetch(`${app.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('# TYPE vsnap_http_request_duration_seconds histogram');
    expect(text).toContain('# TYPE vsnap_graphql_operations_total counter');
    expect(text).toContain('# TYPE vsnap_sql_statements gauge');
    expect(sample(text, 'vsnap_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'vsnap_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts HTTP requests by route and status, and GraphQL operations by type and outcome', async () => {
    const projectId = uniqueProject();
    const before = await scrape();
    const okQueries = () => sample(before, 'vsnap_graphql_operations_total', { type: 'query', outcome: 'ok' }) ?? 0;
    const graphql200 = sample(before, 'vsnap_http_request_duration_seconds_count', { route: '/graphql', status: '200' }) ?? 0;
    const graphql401 = sample(before, 'vsnap_http_request_duration_seconds_count', { route: '/graphql', status: '401' }) ?? 0;
    const other200 = sample(before, 'vsnap_http_request_duration_seconds_count', { route: 'other', status: '200' }) ?? 0;
    const statements = sample(before, 'vsnap_sql_statements') ?? 0;

    await registerCluster(projectId);
    for (let i = 0; i < 3; i++) {
      const ok = await postGraphQL(app.url, `{ virtualClusters(projectId: "${projectId}") { edges { node { id } } } }`, { token: admin });
      expect(ok.status).toBe(200);
    }
    const member = await tokens.member(projectId);
    const forbidden = await postGraphQL(app.url, `{ virtualClusters(projectId: "someone-else") { edges { node { id } } } }`, { token: member });
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await postGraphQL(app.url, '{ __typename }')).status).toBe(401);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);

    const after = await scrape();
    expect(sample(after, 'vsnap_graphql_operations_total', { type: 'query', outcome: 'ok' })).toBe(okQueries() + 3);
    expect(sample(after, 'vsnap_graphql_operations_total', { type: 'mutation', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'vsnap_graphql_operations_total', { type: 'query', outcome: 'error' })).toBeGreaterThanOrEqual(1);
    // register + 3 queries + the forbidden one.
    expect(sample(after, 'vsnap_http_request_duration_seconds_count', { route: '/graphql', status: '200' })).toBe(graphql200 + 5);
    expect(sample(after, 'vsnap_http_request_duration_seconds_count', { route: '/graphql', status: '401' })).toBe(graphql401 + 1);
    // /healthz, plus the first /metrics scrape (recorded once its response finished).
    expect(sample(after, 'vsnap_http_request_duration_seconds_count', { route: 'other', status: '200' })).toBe(other200 + 2);
    expect(sample(after, 'vsnap_http_request_duration_seconds_bucket', { route: '/graphql', status: '200', le: '+Inf' })).toBe(graphql200 + 5);
    expect(sample(after, 'vsnap_sql_statements')).toBeGreaterThan(statements);
  });
});

describe('authentication', () => {
  const otherSecret = new TextEncoder().encode('some-other-secret-that-is-long-enough-for-hs256');
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  const unsigned = (payload: Record<string, unknown>) =>
    [Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url'), Buffer.from(JSON.stringify(payload)).toString('base64url'), ''].join('.');
  const now = () => Math.floor(Date.now() / 1000);

  const cases: [string, () => Promise<string | undefined>, RegExp][] = [
    ['no Authorization header', async () => undefined, /Authorization: Bearer <token> header is required/],
    ['an empty Authorization header', async () => '', /Authorization: Bearer <token> header is required/],
    ['a Basic scheme', async () => `Basic ${Buffer.from('admin:admin').toString('base64')}`, /header is required/],
    ['Bearer without a token', async () => 'Bearer', /header is required/],
    ['Bearer with two tokens', async () => `Bearer ${await tokens.platformAdmin()} extra`, /header is required/],
    ['a bearer that is not a JWT', async () => 'Bearer not-a-jwt', /invalid token: ERR_JWS_INVALID/],
    [
      'a token signed with another secret',
      async () => `Bearer ${await new SignJWT({ vsnap: { platformAdmin: true } }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setExpirationTime('1h').sign(otherSecret)}`,
      /invalid token: ERR_JWS_SIGNATURE_VERIFICATION_FAILED/,
    ],
    ['an unsigned (alg: none) token', async () => `Bearer ${unsigned({ sub: 'mallory', vsnap: { platformAdmin: true } })}`, /invalid token: ERR_JOSE_ALG_NOT_ALLOWED/],
    [
      'an expired token',
      async () => `Bearer ${await new SignJWT({ vsnap: { platformAdmin: true } }).setProtectedHeader({ alg: 'HS256' }).setSubject('late').setIssuedAt(now() - 7200).setExpirationTime(now() - 3600).sign(secret)}`,
      /invalid token: ERR_JWT_EXPIRED/,
    ],
    [
      'a token without a subject',
      async () => `Bearer ${await new SignJWT({ vsnap: { platformAdmin: true } }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(secret)}`,
      /token has no subject/,
    ],
    [
      'a token with a malformed vsnap claim',
      async () => `Bearer ${await new SignJWT({ vsnap: { platformAdmin: 'yes' } }).setProtectedHeader({ alg: 'HS256' }).setSubject('odd').setExpirationTime('1h').sign(secret)}`,
      /token has a malformed vsnap claim/,
    ],
  ];

  it.each(cases)('refuses %s with 401, WWW-Authenticate: Bearer and UNAUTHENTICATED, writing nothing', async (_name, header, message) => {
    const before = await countClusters();
    const authorization = await header();
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: JSON.stringify({
        query: 'mutation ($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id } }',
        variables: { input: { projectId: uniqueProject(), name: 'sneaky', kubeconfig: { inline: STATIC_KUBECONFIG } } },
      }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(body.errors?.[0]?.message).toMatch(message);
    expect(await countClusters()).toBe(before);
  });

  it('accepts the scheme case-insensitively', async () => {
    const response = await postGraphQL(app.url, '{ __typename }', { authorization: `bearer ${admin}` });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a GET without a token the same way', async () => {
    const response = await fetch(`${app.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/graphql-response+json' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('federation', () => {
  it('publishes the subgraph SDL with VirtualCluster, Snapshot and Project (with vsnap\'s fields) as entities', async () => {
    const response = await postGraphQL(app.url, '{ _service { sdl } }', { token: admin });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const sdl = (response.body.data as { _service: { sdl: string } })._service.sdl;
    expect(sdl).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
    expect(sdl).toMatch(/type VirtualCluster\s+@key\(fields: "id"\)\s*\{/);
    expect(sdl).toMatch(/type Snapshot\s+@key\(fields: "id"\)\s*\{/);
    expect(sdl).toMatch(/type Project\s+@key\(fields: "id"\)\s*\{/);
    expect(sdl).toMatch(/virtualClusters\(before: String, after: String, first: Int, last: Int\): VirtualClusterConnection\n/);
    expect(sdl).toMatch(/snapshotSummary: SnapshotSummary\n/);
    expect(sdl).not.toContain('_entities');
  });

  it('resolves VirtualCluster and Snapshot entities by id for a platform admin, null for unknown ids', async () => {
    const cluster = await registerCluster();
    const scheduled = await postGraphQL(app.url, 'mutation ($id: ID!) { createSnapshot(virtualClusterId: $id) { id } }', {
      token: admin,
      variables: { id: cluster.id },
    });
    expect(scheduled.body.errors).toBeUndefined();
    const snapshotId = (scheduled.body.data as { createSnapshot: { id: string } }).createSnapshot.id;

    const response = await postGraphQL(
      app.url,
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) {
          __typename
          ... on VirtualCluster { id name projectId project { id } }
          ... on Snapshot { id status virtualCluster { id } }
        }
      }`,
      {
        token: admin,
        variables: {
          representations: [
            { __typename: 'VirtualCluster', id: cluster.id },
            { __typename: 'Snapshot', id: snapshotId },
            { __typename: 'VirtualCluster', id: '00000000-0000-4000-8000-000000000000' },
          ],
        },
      },
    );
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({
      _entities: [
        { __typename: 'VirtualCluster', id: cluster.id, name: 'prod', projectId: cluster.projectId, project: { id: cluster.projectId } },
        { __typename: 'Snapshot', id: snapshotId, status: 'SCHEDULED', virtualCluster: { id: cluster.id } },
        null,
      ],
    });
  });

  it('does not hand a VirtualCluster entity to a caller outside its project', async () => {
    const cluster = await registerCluster();
    const outsider = await tokens.member(uniqueProject());
    const response = await postGraphQL(
      app.url,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on VirtualCluster { id name } } }',
      { token: outsider, variables: { r: [{ __typename: 'VirtualCluster', id: cluster.id }] } },
    );
    expect(JSON.stringify(response.body.data ?? null)).not.toContain(cluster.id);
    // Null without an error, as for an id of nothing: the outsider cannot tell it exists.
    expect(response.body).toEqual({ data: { _entities: [null] } });
  });
});
