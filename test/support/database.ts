import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { sqlStatements } from '../../src/db/orm.ts';

/** A fresh, empty database on the run's Postgres (or on `serverUrl`'s); dropped by the returned function. */
export async function createTestDatabase(serverUrl?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = new URL(serverUrl ?? inject('postgresAdminUrl'));
  const name = `vsnap_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl.toString() });
      await client.connect();
      // Pools end their connections asynchronously: give them a moment before forcing, or a
      // closing client gets "terminating connection" as an uncaught error.
      const deadline = Date.now() + 3_000;
      while (Date.now() < deadline) {
        const { rows } = await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
        if (rows[0]?.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/**
 * Waits until no SQL statement has been sent for `quietMs`: background readers (the event
 * listener woken by a NOTIFY of the seeding, the engine's jobs) done, so a count of a
 * request's statements counts only the request's.
 */
export async function sqlQuiescent(quietMs = 300, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const seen = sqlStatements.count;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    if (sqlStatements.count === seen) return;
    if (Date.now() > deadline) throw new Error(`SQL statements kept coming for ${deadlineMs} ms`);
  }
}
