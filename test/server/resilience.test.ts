/** The running service when Postgres drops its connections (a restart, a failover, an idle-session timeout). */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/database.ts';
import { TEST_JWT_SECRET, tokens } from '../support/app.ts';
import { killIfRunning, postGraphQL, spawnMain, waitFor, type SpawnedMain } from './helpers.ts';

async function terminateConnections(databaseUrl: string): Promise<number> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
  await admin.connect();
  try {
    // Two steps: within one statement, Postgres may call pg_terminate_backend before filtering the rows.
    const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
    for (const { pid } of rows) await admin.query('select pg_terminate_backend($1)', [pid]);
    return rows.length;
  } finally {
    await admin.end();
  }
}

describe('the vsnap process when Postgres terminates its connections', () => {
  let main: SpawnedMain | undefined;
  let drop: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await killIfRunning(main);
    await drop?.();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    main = drop = dataDir = undefined;
  });

  it('keeps running, reconnects, becomes ready again and still shuts down cleanly', { timeout: 60_000 }, async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-resilience-'));
    main = spawnMain({ DATABASE_URL: database.url, PORT: '0', AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info', VSNAP_DATA_DIR: dataDir });
    await main.waitForOutput(/"msg":"vsnap is serving GraphQL"/);
    const url = String(main.logs().find((line) => line.msg === 'vsnap is serving GraphQL')?.url).replace(/\/graphql$/, '');
    const admin = await tokens.platformAdmin();
    expect((await postGraphQL(url, '{ virtualClusters { edges { node { id } } } }', { token: admin })).status).toBe(200);

    expect(await terminateConnections(database.url)).toBeGreaterThan(0);

    const died = main.exited.then((exit) => {
      throw new Error(`vsnap exited (${JSON.stringify(exit)}) after Postgres dropped its connections:\n${main!.stderr().slice(0, 3000)}`);
    });
    died.catch(() => undefined);
    await Promise.race([waitFor('/readyz to answer 200 again', async () => (await fetch(`${url}/readyz`)).status === 200), died]);
    const after = await postGraphQL(url, '{ virtualClusters { edges { node { id } } } }', { token: admin });
    expect(after.body.errors).toBeUndefined();
    expect(main.child.exitCode, `the process died:\n${main.stderr().slice(0, 3000)}`).toBeNull();

    main.child.kill('SIGTERM');
    expect(await main.exited, main.stderr().slice(0, 3000)).toEqual({ code: 0, signal: null });
  });
});
