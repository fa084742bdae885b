import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

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
