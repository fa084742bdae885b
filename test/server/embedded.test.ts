/** `npm start` with nothing configured: embedded Postgres, development auth, a printed admin token. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, killIfRunning, postGraphQL, ROOT, spawnMain, stopOrphanedPostgres, tryConnect, waitFor, type SpawnedMain } from './helpers.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';

const TOKEN_LINE = /send as "Authorization: Bearer <token>":\n\n(\S+)\n/;

describe('src/main.ts with no DATABASE_URL and no auth settings', () => {
  let main: SpawnedMain | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await killIfRunning(main);
    if (dataDir) {
      await stopOrphanedPostgres(path.join(dataDir, 'postgres'));
      await fs.rm(dataDir, { recursive: true, force: true });
    }
    main = dataDir = undefined;
  });

  it('starts embedded Postgres in VSNAP_DATA_DIR, prints a working admin token, keeps data across restarts and exits 0', { timeout: 180_000 }, async () => {
    await fs.mkdir(path.join(ROOT, '.vsnap'), { recursive: true });
    dataDir = await fs.mkdtemp(path.join(ROOT, '.vsnap', 'server-embedded-'));
    // As root, embedded Postgres runs as the postgres user, who must be able to reach its directory.
    await fs.chmod(dataDir, 0o755);
    const [port, postgresPort] = [await freePort(), await freePort()];
    const env = { VSNAP_DATA_DIR: dataDir, PORT: String(port), EMBEDDED_POSTGRES_PORT: String(postgresPort), LOG_LEVEL: 'info' };
    const url = `http://127.0.0.1:${port}`;

    main = spawnMain(env);
    const token = (await main.waitForOutput(TOKEN_LINE, 'stdout', 120_000))[1]!;
    expect(main.stdout()).toContain(`GraphiQL: ${url}/graphql`);
    expect(main.stdout()).toContain('vsnap development mode: no AUTH_JWT_SECRET or AUTH_JWKS_URL set.');
    expect(main.logs().find((line) => line.msg === 'database ready, migrations applied')).toMatchObject({
      database: `postgres://postgres:***@127.0.0.1:${postgresPort}/vsnap`,
    });
    await expect(fs.readFile(path.join(dataDir, 'postgres', 'PG_VERSION'), 'utf8')).resolves.toMatch(/^\d+/);

    const list = await postGraphQL(url, '{ virtualClusters { edges { node { id } } } }', { token });
    expect(list.body).toEqual({ data: { virtualClusters: { edges: [] } } });
    expect(list.status).toBe(200);

    const registered = await postGraphQL(
      url,
      `mutation { registerVirtualCluster(input: { projectId: "dev", name: "kept", kubeconfig: { inline: "${STATIC_KUBECONFIG}" } }) { id } }`,
      { token },
    );
    expect(registered.body.errors).toBeUndefined();
    const clusterId = (registered.body.data as { registerVirtualCluster: { id: string } }).registerVirtualCluster.id;

    const graphiql = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
    expect(await graphiql.text()).toContain('<title>vsnap</title>');

    main.child.kill('SIGTERM');
    expect(await main.exited, main.stderr()).toEqual({ code: 0, signal: null });
    expect(main.logs().at(-1)?.msg).toBe('stopped');
    // The embedded server went down with the service.
    expect(await waitFor('embedded Postgres to stop', async () => ((await tryConnect(`http://127.0.0.1:${postgresPort}`)) === 'ECONNREFUSED' ? true : undefined))).toBe(true);
    await expect(fs.access(path.join(dataDir, 'postgres', 'postmaster.pid'))).rejects.toThrow();

    // Second start: same data directory, so the same signing secret and the same data.
    main = spawnMain(env);
    const secondToken = (await main.waitForOutput(TOKEN_LINE, 'stdout', 120_000))[1]!;
    expect(main.logs().some((line) => line.msg === 'initialising embedded postgres')).toBe(false);
    const again = await postGraphQL(url, '{ virtualClusters { edges { node { id name } } } }', { token });
    expect(again.body).toEqual({ data: { virtualClusters: { edges: [{ node: { id: clusterId, name: 'kept' } }] } } });
    expect((await postGraphQL(url, '{ __typename }', { token: secondToken })).status).toBe(200);

    main.child.kill('SIGTERM');
    expect(await main.exited, main.stderr()).toEqual({ code: 0, signal: null });
  });
});
