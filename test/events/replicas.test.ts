/**
 * Two service processes on one database: this test's vsnap and a spawned `src/main.ts` (API role
 * only). An event committed through either reaches SSE subscribers of both, each process with
 * its one LISTEN connection.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LISTENER_APPLICATION_NAME } from '../../src/events/listener.ts';
import { CreateSnapshotDocument, LiveEventsDocument } from '../generated/graphql.ts';
import { killIfRunning, postGraphQL, spawnMain, type SpawnedMain } from '../server/helpers.ts';
import { startTestApp, TEST_JWT_SECRET, tokens, type TestApp } from '../support/app.ts';
import { insertCluster } from '../support/snapshots.ts';
import { subscribeSse } from './sse.ts';

let app: TestApp;
let other: SpawnedMain;
let otherUrl: string;
let dataDir: string;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokens.platformAdmin();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-replica-'));
  other = spawnMain({ DATABASE_URL: app.databaseUrl, PORT: '0', AUTH_JWT_SECRET: TEST_JWT_SECRET, VSNAP_ROLES: 'api', LOG_LEVEL: 'info', VSNAP_DATA_DIR: dataDir });
  await other.waitForOutput(/vsnap is serving GraphQL/, 'stdout', 60_000);
  otherUrl = String(other.logs().find((line) => line.msg === 'vsnap is serving GraphQL')!.url).replace(/\/graphql$/, '');
}, 90_000);

afterAll(async () => {
  other?.child.kill('SIGTERM');
  await Promise.race([other?.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  await killIfRunning(other);
  await app?.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

it('delivers an event committed through one process to subscribers of the other, both ways', async () => {
  const [here, there] = [await insertCluster(app.orm, 'here'), await insertCluster(app.orm, 'there')];
  const subscribers = await Promise.all([app.url, otherUrl].map((url) => subscribeSse(url, LiveEventsDocument, {}, admin)));

  // Through this process's API, then through the other's.
  const first = await app.request(CreateSnapshotDocument, { virtualClusterId: here.id }, admin);
  expect(first.errors).toBeUndefined();
  const second = await postGraphQL(otherUrl, 'mutation($id: ID!) { createSnapshot(virtualClusterId: $id) { id } }', { token: admin, variables: { id: there.id } });
  expect(second.body.errors).toBeUndefined();
  const created = [first.data!.createSnapshot.id, (second.body.data!.createSnapshot as { id: string }).id];

  for (const subscriber of subscribers) {
    await subscriber.until('both snapshots created', (results) => results.length === 2);
    subscriber.abort();
    expect(subscriber.results.map((result) => [result.data?.snapshotEvents.kind, result.data?.snapshotEvents.snapshotId])).toEqual([
      ['CREATED', created[0]],
      ['CREATED', created[1]],
    ]);
  }

  // One LISTEN connection per process.
  const client = new pg.Client({ connectionString: app.databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1 and datname = current_database()', [LISTENER_APPLICATION_NAME]);
  await client.end();
  expect(rows[0]!.n).toBe(2);
});
