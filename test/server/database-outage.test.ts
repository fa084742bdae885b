/**
 * A running vsnap (src/main.ts, spawned) whose Postgres goes away and comes back:
 * while it is down, every query and mutation answers HTTP 503 with
 * SERVICE_UNAVAILABLE and Retry-After (never INTERNAL_SERVER_ERROR), the log
 * stays short (repeated lines collapsed, no serialized driver objects), and once
 * it is back requests succeed again without a restart. The Postgres is this
 * file's own embedded server, so the test can stop and start it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_JWT_SECRET, tokens } from '../support/app.ts';
import { freePort, killIfRunning, postGraphQL, ROOT, spawnMain, waitFor, type RawResponse, type SpawnedMain } from './helpers.ts';

const dataDir = path.join(ROOT, '.vsnap', `outage-postgres-${process.pid}`);
const vsnapDir = path.join(ROOT, '.vsnap', `outage-vsnap-${process.pid}`);
let postgres: EmbeddedDatabase | undefined;
let main: SpawnedMain | undefined;

afterAll(async () => {
  await killIfRunning(main);
  await postgres?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
  await fs.rm(vsnapDir, { recursive: true, force: true });
});

/** What a client of the API sends during the outage: reads, a read through a scope check, and a write. */
const REQUESTS = {
  virtualClusters: { query: '{ virtualClusters(first: 5) { edges { node { id } } } }' },
  snapshot: { query: 'query ($id: ID!) { snapshot(id: $id) { id status } }', variables: { id: '00000000-0000-4000-8000-000000000001' } },
  registerVirtualCluster: {
    query: 'mutation ($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id } }',
    variables: { input: { projectId: 'outage', name: 'during-outage', kubeconfig: { secretRef: 'vc/config' } } },
  },
};

function expectServiceUnavailable(response: RawResponse, what: string) {
  const unexpected = main?.stdout().split('\n').filter((line) => line.includes('unexpected error')).slice(0, 2).join('\n') ?? '';
  const context = `${what}: HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 500)}\n${unexpected.slice(0, 3_000)}`;
  expect(response.status, context).toBe(503);
  expect(response.headers.get('retry-after'), context).toBe('5');
  expect(response.body.errors?.map((error) => error.extensions?.code), context).toEqual(['SERVICE_UNAVAILABLE']);
  expect(response.body.errors?.[0]?.message, context).toBe('the database is unreachable; try again shortly');
  // yoga's own transport details stay internal.
  expect(response.body.errors?.[0]?.extensions, context).not.toHaveProperty('http');
}

describe('a database outage at the API', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After, logs a few short lines, and recovers when Postgres is back', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
    postgres = await startEmbeddedPostgres({ dataDir, port, database: 'vsnap', logger });
    await fs.mkdir(vsnapDir, { recursive: true });
    main = spawnMain({ DATABASE_URL: postgres.url, PORT: '0', AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info', VSNAP_DATA_DIR: vsnapDir, NODE_ENV: 'test' });
    await main.waitForOutput(/"msg":"vsnap is serving GraphQL"/);
    const url = String(main.logs().find((line) => line.msg === 'vsnap is serving GraphQL')?.url).replace(/\/graphql$/, '');
    const admin = await tokens.platformAdmin();
    const send = (name: keyof typeof REQUESTS) => {
      const request: { query: string; variables?: Record<string, unknown> } = REQUESTS[name];
      return postGraphQL(url, request.query, { token: admin, variables: request.variables ?? {} });
    };
    const healthy = await send('virtualClusters');
    expect(healthy.status).toBe(200);
    expect(healthy.body.errors).toBeUndefined();

    // The outage: Postgres stops (a fast shutdown terminates every connection).
    const linesBefore = main.stdout().split('\n').length - 1;
    const outageStarted = Date.now();
    await postgres.stop();
    postgres = undefined;

    // At least 6 s of traffic and 45 requests (a loaded machine answers more slowly).
    let requests = 0;
    while (Date.now() - outageStarted < 6_000 || requests < 45) {
      for (const name of Object.keys(REQUESTS) as (keyof typeof REQUESTS)[]) {
        expectServiceUnavailable(await send(name), name);
        requests += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect((await fetch(`${url}/readyz`)).status).toBe(503);

    // Postgres is back (same data, same port).
    postgres = await startEmbeddedPostgres({ dataDir, port, database: 'vsnap', logger });
    const recovered = await waitFor(
      'a request to succeed again',
      async () => {
        const response = await send('virtualClusters');
        return response.status === 200 && !response.body.errors ? response : undefined;
      },
      30_000,
      200,
    );
    expect(recovered.body.data).toEqual({ virtualClusters: { edges: [] } });
    const registered = await send('registerVirtualCluster');
    expect(registered.body.errors).toBeUndefined();
    await waitFor('/readyz to answer 200', async () => (await fetch(`${url}/readyz`)).status === 200);
    expect(main.child.exitCode, main.stderr().slice(0, 3000)).toBeNull();

    // Every failed request is in the log: the first as a line, the others counted in a line at the end of each interval.
    const outageLog = () =>
      main!.stdout().split('\n').slice(linesBefore).filter((line) => line.startsWith('{')).map((line) => ({ line, parsed: JSON.parse(line) as { level: number; msg: string; repeated?: number } }));
    const counted = () =>
      outageLog()
        .filter(({ parsed }) => parsed.msg.startsWith('database unreachable: requests are answered 503'))
        .reduce((sum, { parsed }) => sum + (parsed.repeated ?? 1), 0);
    await waitFor(`all ${requests} failed requests to be counted in the log`, () => counted() >= requests, 30_000, 250);

    // The log of the outage: a few lines, each short, none carrying a driver's objects.
    const secondsSinceOutage = (Date.now() - outageStarted) / 1000;
    const outageLines = outageLog().map(({ line }) => line);
    const parsed = outageLog().map(({ parsed }) => parsed);
    const kinds = new Map<string, number>();
    for (const line of parsed) {
      const kind = line.msg.replace(/ \(\d+ times? in the last [\d.]+ s\)$/, '');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    const context = `${outageLines.length} lines for ${requests} failed requests:\n${parsed.map((line) => `${line.level} ${line.msg}`).join('\n')}`;
    if (process.env.LOG_LEVEL) console.log(context);
    // One line per kind when it starts, then at most one per 10 s interval since.
    const perKind = 1 + Math.ceil(secondsSinceOutage / 10);
    for (const [kind, count] of kinds) expect(count, `${kind}\n${context}`).toBeLessThanOrEqual(perKind);
    expect(outageLines.length, context).toBeLessThanOrEqual(kinds.size * perKind);
    expect(outageLines.length, context).toBeLessThan(requests / 4);
    expect(kinds.get('database unreachable: requests are answered 503 SERVICE_UNAVAILABLE'), context).toBeGreaterThanOrEqual(1);
    for (const line of outageLines) {
      expect(line.length, line.slice(0, 500)).toBeLessThan(6_000);
      for (const fragment of ['_types', 'connectionParameters', 'secretKey', '"client":{']) expect(line, line.slice(0, 500)).not.toContain(fragment);
    }
    expect(parsed.some((line) => line.msg === 'unexpected error while resolving'), context).toBe(false);

    main.child.kill('SIGTERM');
    expect(await main.exited, main.stderr().slice(0, 3000)).toEqual({ code: 0, signal: null });
  });
});
