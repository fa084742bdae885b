/** The running service when Postgres drops its connections (a restart, a failover, an idle-session timeout). */
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { tokens } from '../support/app.ts';
import { postGraphQL, useMainOnTestDatabase, waitFor } from './helpers.ts';

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
  const start = useMainOnTestDatabase('resilience');

  it('keeps running, reconnects, becomes ready again and still shuts down cleanly', { timeout: 60_000 }, async () => {
    const { main, database } = await start();
    await main.waitForOutput(/"msg":"vsnap is serving GraphQL"/);
    const url = String(main.logs().find((line) => line.msg === 'vsnap is serving GraphQL')?.url).replace(/\/graphql$/, '');
    const admin = await tokens.platformAdmin();
    expect((await postGraphQL(url, '{ virtualClusters { edges { node { id } } } }', { token: admin })).status).toBe(200);

    expect(await terminateConnections(database.url)).toBeGreaterThan(0);

    const died = main.exited.then((exit) => {
      throw new Error(`vsnap exited (${JSON.stringify(exit)}) after Postgres dropped its connections:\n${main.stderr().slice(0, 3000)}`);
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
