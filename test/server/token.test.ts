/** `npm run token`: role tokens for development, used against a running service. */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/app.ts';
import { postGraphQL, ROOT, UNREACHABLE_KUBECONFIG, useMainOnTestDatabase } from './helpers.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs scripts/token.ts (what `npm run -s token -- …` runs) with exactly `env` plus PATH and HOME. */
function token(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/token.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The one line the script prints on stdout, checked to be a JWT. */
function printed(run: Run): string {
  expect(run, run.stderr).toMatchObject({ code: 0 });
  expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  return run.stdout.trim();
}

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

let dataDir: string;
beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-token-'));
});
afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

describe('npm run token with AUTH_JWT_SECRET', () => {
  let app: TestApp;
  const env = () => ({ AUTH_JWT_SECRET: TEST_JWT_SECRET, VSNAP_DATA_DIR: dataDir });
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const project = `token-${process.pid}`;
  const CLUSTER_SNAPSHOTS = 'query ($id: ID!) { virtualCluster(id: $id) { id name snapshots { edges { node { id status } } } } }';

  it('mints admin and member tokens: the member gets FORBIDDEN on snapshot fields, the admin does not', { timeout: 60_000 }, async () => {
    const [admin, member] = [
      printed(await token(['--project', project, '--role', 'admin'], env())),
      printed(await token(['--project', project, '--role', 'member'], env())),
    ];
    expect(claims(admin)).toMatchObject({ sub: 'dev-admin', vsnap: { platformAdmin: false, projects: { [project]: 'admin' } } });
    expect(claims(member)).toMatchObject({ sub: 'dev-member', vsnap: { platformAdmin: false, projects: { [project]: 'member' } } });

    const registered = await postGraphQL(
      app.url,
      'mutation ($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id } }',
      { token: admin, variables: { input: { projectId: project, name: 'tok', kubeconfig: { inline: UNREACHABLE_KUBECONFIG } } } },
    );
    expect(registered.body.errors).toBeUndefined();
    const id = (registered.body.data as { registerVirtualCluster: { id: string } }).registerVirtualCluster.id;
    const created = await postGraphQL(app.url, 'mutation ($id: ID!) { createSnapshot(virtualClusterId: $id) { id } }', { token: admin, variables: { id } });
    expect(created.body.errors).toBeUndefined();
    const snapshotId = (created.body.data as { createSnapshot: { id: string } }).createSnapshot.id;

    const asAdmin = await postGraphQL(app.url, CLUSTER_SNAPSHOTS, { token: admin, variables: { id } });
    expect(asAdmin.body).toEqual({ data: { virtualCluster: { id, name: 'tok', snapshots: { edges: [{ node: { id: snapshotId, status: 'SCHEDULED' } }] } } } });

    const asMember = await postGraphQL(app.url, CLUSTER_SNAPSHOTS, { token: member, variables: { id } });
    expect(asMember.status).toBe(200);
    expect(asMember.body.data).toEqual({ virtualCluster: { id, name: 'tok', snapshots: null } });
    expect(asMember.body.errors).toEqual([expect.objectContaining({ path: ['virtualCluster', 'snapshots'], extensions: { code: 'FORBIDDEN' } })]);
    // The member cannot take one either.
    const refused = await postGraphQL(app.url, 'mutation ($id: ID!) { createSnapshot(virtualClusterId: $id) { id } }', { token: member, variables: { id } });
    expect(refused.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('mints a platform admin, several projects, a subject and a lifetime', { timeout: 30_000 }, async () => {
    const platform = printed(await token(['--platform-admin'], env()));
    expect(claims(platform)).toMatchObject({ sub: 'dev-platform-admin', vsnap: { platformAdmin: true, projects: {} } });
    const list = await postGraphQL(app.url, '{ virtualClusters(first: 1) { edges { node { id } } } }', { token: platform });
    expect(list.status).toBe(200);
    expect(list.body.errors).toBeUndefined();

    const many = printed(await token(['--project', 'p1', '--project', 'p2', '--role', 'member', '--subject', 'alice', '--expires', '2h'], env()));
    const payload = claims(many);
    expect(payload).toMatchObject({ sub: 'alice', vsnap: { platformAdmin: false, projects: { p1: 'member', p2: 'member' } } });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(7200);
    // Without --expires: 30 days.
    const lasting = claims(printed(await token(['--project', 'p1'], env())));
    expect(Number(lasting.exp) - Number(lasting.iat)).toBe(30 * 24 * 3600);
    expect(lasting).toMatchObject({ vsnap: { projects: { p1: 'admin' } } });
  });

  it.each<[string, string[], RegExp]>([
    ['an unknown role', ['--project', 'p1', '--role', 'owner'], /^vsnap token: --role must be admin or member, not "owner"\n/],
    ['an unknown option', ['--projet', 'p1'], /^vsnap token: Unknown option '--projet'/],
    ['a project without an id', ['--project'], /^vsnap token: Option '--project <value>' argument missing/],
    ['a blank project id', ['--project', ' '], /^vsnap token: --project needs a project id\n/],
    ['a lifetime that is no span', ['--project', 'p1', '--expires', 'soon'], /^vsnap token: --expires takes a span such as 30m, 12h or 7d, not "soon"\n/],
  ])('refuses %s with exit 1, the usage, and nothing on stdout', { timeout: 30_000 }, async (_name, args, message) => {
    const run = await token(args, env());
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('usage: npm run -s token --');
  });

  it('refuses a JWKS setup: only the identity provider can issue those tokens', { timeout: 30_000 }, async () => {
    const run = await token(['--project', 'p1'], { AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json', VSNAP_DATA_DIR: dataDir });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(/^vsnap token: vsnap verifies tokens against AUTH_JWKS_URL here: only that identity provider can issue them\./);
  });
});

describe('npm run token in development (no auth settings)', () => {
  const start = useMainOnTestDatabase('token');

  it('signs with the development secret of the data directory, which the running service accepts', { timeout: 60_000 }, async () => {
    const serviceDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-token-service-'));
    try {
      // No AUTH_JWT_SECRET: development auth, with its secret in serviceDir.
      const { main } = await start({ AUTH_JWT_SECRET: '', VSNAP_DATA_DIR: serviceDir });
      await main.waitForOutput(/"msg":"vsnap is serving GraphQL"/);
      const url = String(main.logs().find((line) => line.msg === 'vsnap is serving GraphQL')?.url).replace(/\/graphql$/, '');

      const member = printed(await token(['--project', 'dev', '--role', 'member'], { VSNAP_DATA_DIR: serviceDir }));
      const response = await postGraphQL(url, '{ virtualClusters(projectId: "dev") { edges { node { id } } } }', { token: member });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ data: { virtualClusters: { edges: [] } } });

      // Another data directory holds another secret: its token is refused.
      const stranger = printed(await token(['--project', 'dev', '--role', 'member'], { VSNAP_DATA_DIR: dataDir }));
      const refused = await postGraphQL(url, '{ __typename }', { token: stranger });
      expect(refused.status).toBe(401);
    } finally {
      await fs.rm(serviceDir, { recursive: true, force: true });
    }
  });
});
