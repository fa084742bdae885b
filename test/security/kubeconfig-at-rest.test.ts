/**
 * Inline kubeconfigs at rest: sealed with AES-256-GCM (the database holds no
 * credential), never returned by the API, refused in production unless
 * allowed, and re-sealed under the new key at start-up after a rotation.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { isFinished, useEngineRig, type EngineRig } from '../engine/harness.ts';
import {
  CreateSnapshotDocument,
  EngineSnapshotDocument,
  RegisterVirtualClusterDocument,
  UpdateVirtualClusterDocument,
  VirtualClusterDocument,
} from '../generated/graphql.ts';
import { killIfRunning, postGraphQL, spawnMain, type SpawnedMain } from '../server/helpers.ts';
import { errorCodes, startTestApp, TEST_JWT_SECRET, tokens, type TestApp } from '../support/app.ts';
import { createTestDatabase } from '../support/database.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';
import { insertCluster } from '../support/snapshots.ts';

const PROJECT = `at-rest-${process.pid}`;
const INLINE_REFUSED =
  'kubeconfig.inline: inline kubeconfigs are for development; give secretRef (a mounted secret), or set ALLOW_INLINE_KUBECONFIG=true to allow them';

let counter = 0;
const uniqueName = () => `vc-${++counter}`;

async function storedKubeconfig(app: TestApp, id: string): Promise<string> {
  const rows = await app.orm.em.fork().getConnection().execute<{ kubeconfig_inline: string }[]>('select kubeconfig_inline from virtual_cluster where id = ?', [id]);
  return rows[0]!.kubeconfig_inline;
}

describe('sealed inline kubeconfigs', () => {
  let rig: EngineRig;
  let tenant: string;
  useEngineRig((started) => (rig = started));
  beforeAll(async () => {
    tenant = await tokens.projectAdmin(PROJECT);
  });

  it('the database column holds ciphertext of the admitted kubeconfig, the API never returns it, and a snapshot still works', async () => {
    const registered = await rig.app.request(
      RegisterVirtualClusterDocument,
      { input: { projectId: PROJECT, name: uniqueName(), kubeconfig: { inline: rig.kube.kubeconfig } } },
      tenant,
    );
    expect(registered.errors).toBeUndefined();
    const { id } = registered.data!.registerVirtualCluster;

    const stored = await storedKubeconfig(rig.app, id);
    expect(stored).toMatch(/^vsnap:v1:test:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    for (const plaintext of [rig.kube.token, rig.kube.url, 'apiVersion', 'current-context', Buffer.from(rig.kube.ca).toString('base64').slice(0, 40)]) {
      expect(stored).not.toContain(plaintext);
    }
    // What is sealed is the admitted form, not the tenant's text.
    expect(JSON.parse(rig.app.inlineBox!.open(stored))).toMatchObject({ 'current-context': 'vsnap-test', users: [{ name: 'vsnap-test', user: { token: rig.kube.token } }] });

    const read = await rig.app.request(VirtualClusterDocument, { id }, tenant);
    expect(read.data?.virtualCluster).toMatchObject({ id, kubeconfigSource: 'INLINE', kubeconfigSecretRef: null });
    expect(JSON.stringify(read)).not.toContain(rig.kube.token);

    const created = await rig.app.request(CreateSnapshotDocument, { virtualClusterId: id }, tenant);
    expect((await rig.waitFor(created.data!.createSnapshot.id, isFinished)).status).toBe('COMPLETED');
  });

  it('a row still in plaintext (written before sealing) is read as it is until start-up re-seals it', async () => {
    const cluster = await insertCluster(rig.app.orm, uniqueName());
    await rig.app.orm.em.fork().nativeUpdate(VirtualClusterSchema, { id: cluster.id }, { kubeconfigInline: rig.kube.kubeconfig });
    const created = await rig.app.request(CreateSnapshotDocument, { virtualClusterId: cluster.id }, rig.admin);
    expect((await rig.waitFor(created.data!.createSnapshot.id, isFinished)).status).toBe('COMPLETED');
  });

  it('a value sealed under a key the service does not hold fails the snapshot with a message saying so', async () => {
    const cluster = await insertCluster(rig.app.orm, uniqueName());
    const foreign = new SecretBox([{ id: 'gone', key: randomBytes(32) }]).seal(rig.kube.kubeconfig);
    await rig.app.orm.em.fork().nativeUpdate(VirtualClusterSchema, { id: cluster.id }, { kubeconfigInline: foreign });
    const created = await rig.app.request(CreateSnapshotDocument, { virtualClusterId: cluster.id }, rig.admin);
    const snapshot = await rig.waitFor(created.data!.createSnapshot.id, isFinished);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe('the stored inline kubeconfig cannot be decrypted with the configured SECRETS_KEY; register it again');
  });
});

describe('production without ALLOW_INLINE_KUBECONFIG', () => {
  let app: TestApp;
  let tenant: string;
  beforeAll(async () => {
    app = await startTestApp({ inlineBox: null, engine: {} });
    tenant = await tokens.projectAdmin(PROJECT);
  });
  afterAll(() => app?.close());

  it('refuses an inline kubeconfig at registration and update, writing nothing; a secretRef is fine', async () => {
    const before = await app.orm.em.fork().count(VirtualClusterSchema, {});
    const refused = await app.request(RegisterVirtualClusterDocument, { input: { projectId: PROJECT, name: uniqueName(), kubeconfig: { inline: STATIC_KUBECONFIG } } }, tenant);
    expect(errorCodes(refused)).toEqual(['VALIDATION']);
    expect(refused.errors?.[0]?.extensions?.field).toBe('kubeconfig.inline');
    expect(refused.errors?.[0]?.message).toBe(INLINE_REFUSED);
    expect(await app.orm.em.fork().count(VirtualClusterSchema, {})).toBe(before);

    const mounted = await app.request(RegisterVirtualClusterDocument, { input: { projectId: PROJECT, name: uniqueName(), kubeconfig: { secretRef: 'kc/config' } } }, tenant);
    expect(mounted.errors).toBeUndefined();
    const update = await app.request(
      UpdateVirtualClusterDocument,
      { id: mounted.data!.registerVirtualCluster.id, input: { kubeconfig: { inline: STATIC_KUBECONFIG } } },
      tenant,
    );
    expect(errorCodes(update)).toEqual(['VALIDATION']);
    expect(update.errors?.[0]?.message).toBe(INLINE_REFUSED);
    expect((await app.orm.em.fork().findOneOrFail(VirtualClusterSchema, { id: mounted.data!.registerVirtualCluster.id })).kubeconfigSecretRef).toBe('kc/config');
  });

  it('a snapshot of a cluster stored with an inline kubeconfig fails, saying why', async () => {
    const cluster = await insertCluster(app.orm, uniqueName());
    const admin = await tokens.platformAdmin();
    const created = await app.request(CreateSnapshotDocument, { virtualClusterId: cluster.id }, admin);
    const id = created.data!.createSnapshot.id;
    const deadline = Date.now() + 30_000;
    let snapshot = (await app.request(EngineSnapshotDocument, { id }, admin)).data!.snapshot!;
    while (!isFinished(snapshot) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      snapshot = (await app.request(EngineSnapshotDocument, { id }, admin)).data!.snapshot!;
    }
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe('inline kubeconfigs are for development; give secretRef (a mounted secret), or set ALLOW_INLINE_KUBECONFIG=true to allow them');
  });
});

describe('configuration', () => {
  const production = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) };
  const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    return [];
  };

  it('production refuses inline kubeconfigs by default; ALLOW_INLINE_KUBECONFIG=true needs SECRETS_KEY', () => {
    expect(loadConfig(production).kubeconfigs.inline).toEqual({ kind: 'refused' });
    expect(problems({ ...production, ALLOW_INLINE_KUBECONFIG: 'true' })).toEqual([
      'SECRETS_KEY: production with ALLOW_INLINE_KUBECONFIG=true needs SECRETS_KEY (inline kubeconfigs are stored encrypted)',
    ]);
    const allowed = loadConfig({ ...production, ALLOW_INLINE_KUBECONFIG: 'true', SECRETS_KEY: `${key('k2')},${key('k1')}` }).kubeconfigs.inline;
    expect(allowed.kind === 'keys' && allowed.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
  });

  it('development uses SECRETS_KEY when set, else a key made in the data directory', () => {
    expect(loadConfig({}).kubeconfigs.inline).toEqual({ kind: 'development' });
    expect(loadConfig({ SECRETS_KEY: key('k1') }).kubeconfigs.inline.kind).toBe('keys');
  });

  it('a malformed SECRETS_KEY stops start-up naming it, without repeating the key', () => {
    const bad = 'k1:c2hvcnQ=';
    expect(problems({ SECRETS_KEY: bad })).toEqual(['SECRETS_KEY: key 1 (k1): must be the base64 of exactly 32 bytes (openssl rand -base64 32)']);
  });
});

describe('key rotation at start-up', () => {
  let main: SpawnedMain | undefined;
  let database: { url: string; drop: () => Promise<void> } | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await killIfRunning(main);
    await database?.drop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function serve(env: Record<string, string>): Promise<{ main: SpawnedMain; url: string }> {
    const started = spawnMain({ DATABASE_URL: database!.url, PORT: '0', AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info', VSNAP_DATA_DIR: dataDir!, VSNAP_ROLES: 'api', ...env });
    main = started;
    await started.waitForOutput(/"msg":"vsnap is serving GraphQL"/);
    const url = String(started.logs().find((line) => line.msg === 'vsnap is serving GraphQL')?.url).replace(/\/graphql$/, '');
    return { main: started, url };
  }

  async function stop(running: SpawnedMain): Promise<void> {
    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
  }

  async function column(): Promise<string[]> {
    const client = new pg.Client({ connectionString: database!.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ kubeconfig_inline: string }>('select kubeconfig_inline from virtual_cluster order by name');
      return rows.map((row) => row.kubeconfig_inline);
    } finally {
      await client.end();
    }
  }

  it('re-seals values under a key that no longer seals, and rows still in plaintext, and says how many', { timeout: 120_000 }, async () => {
    database = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-rotation-'));
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    const ring = (...keys: [string, Buffer][]) => keys.map(([id, bytes]) => `${id}:${bytes.toString('base64')}`).join(',');

    const first = await serve({ SECRETS_KEY: ring(['k1', k1]) });
    const registered = await postGraphQL(first.url, 'mutation ($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id } }', {
      token: await tokens.platformAdmin(),
      variables: { input: { projectId: PROJECT, name: 'a-sealed', kubeconfig: { inline: STATIC_KUBECONFIG } } },
    });
    expect(registered.body.errors).toBeUndefined();
    expect(first.main.logs().some((line) => String(line.msg).startsWith('sealed'))).toBe(false);
    await stop(first.main);

    // A row from before sealing existed: plaintext in the column.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(
      `insert into virtual_cluster (id, name, project_id, kubeconfig_inline, policy_enabled, policy_time_zone, policy_volume_snapshots_enabled, created_at, updated_at)
       values (gen_random_uuid(), 'b-legacy', $1, $2, false, 'UTC', false, now(), now())`,
      [PROJECT, STATIC_KUBECONFIG],
    );
    await client.end();
    const [sealedUnderK1, plaintext] = await column();
    expect(sealedUnderK1).toMatch(/^vsnap:v1:k1:/);
    expect(plaintext).toBe(STATIC_KUBECONFIG);

    // k2 now seals; k1 still opens what it sealed.
    const second = await serve({ SECRETS_KEY: ring(['k2', k2], ['k1', k1]) });
    expect(second.main.logs().find((line) => String(line.msg).startsWith('sealed'))).toMatchObject({
      msg: 'sealed 2 inline kubeconfig(s) under key k2',
      resealed: 2,
      keyId: 'k2',
    });
    await stop(second.main);

    const resealed = await column();
    expect(resealed.every((value) => value.startsWith('vsnap:v1:k2:'))).toBe(true);
    const box = new SecretBox([{ id: 'k2', key: k2 }]);
    expect(resealed.map((value) => JSON.parse(box.open(value)) as { users: { user: { token: string } }[] }).map((kc) => kc.users[0]!.user.token)).toEqual(['t0ken', 't0ken']);

    // Nothing left to re-seal: a third start says nothing about sealing.
    const third = await serve({ SECRETS_KEY: ring(['k2', k2]) });
    expect(third.main.logs().some((line) => String(line.msg).startsWith('sealed'))).toBe(false);
    await stop(third.main);
  });
});
