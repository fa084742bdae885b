/**
 * Ctrl-C in the terminal running `npm start`: SIGINT reaches the whole foreground process group.
 * The embedded Postgres must not be in it, so the requests in flight still reach their database.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  heldRequest,
  killIfRunning,
  postGraphQL,
  postgresProcessesOf,
  spawnMain,
  stopOrphanedPostgres,
  tryConnect,
  UNREACHABLE_KUBECONFIG,
  type SpawnedMain,
} from './helpers.ts';

const TOKEN_LINE = /send as "Authorization: Bearer <token>":\n\n(\S+)\n/;
const IN_FLIGHT = 50;
/** Reads clusters, their snapshots and their policies: several SQL statements per request. */
const LIST = '{ virtualClusters(first: 5) { edges { node { id name autoSnapshotPolicy { enabled } snapshots(first: 5) { edges { node { id status } } } } } } }';

describe('src/main.ts on embedded Postgres, on SIGINT to its process group', () => {
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

  it(`answers all ${IN_FLIGHT} requests in flight, then stops Postgres and exits 0`, { timeout: 180_000 }, async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-interrupt-'));
    // As root, embedded Postgres runs as the postgres user, who must be able to reach its directory.
    await fs.chmod(dataDir, 0o755);
    const postgresDir = path.join(dataDir, 'postgres');
    const [port, postgresPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    main = spawnMain(
      { VSNAP_DATA_DIR: dataDir, PORT: String(port), EMBEDDED_POSTGRES_PORT: String(postgresPort), LOG_LEVEL: 'info' },
      { detached: true },
    );
    const token = (await main.waitForOutput(TOKEN_LINE, 'stdout', 120_000))[1]!;
    const registered = await postGraphQL(
      url,
      'mutation ($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id } }',
      { token, variables: { input: { projectId: 'dev', name: 'busy', kubeconfig: { inline: UNREACHABLE_KUBECONFIG } } } },
    );
    expect(registered.body.errors).toBeUndefined();
    const clusterId = (registered.body.data as { registerVirtualCluster: { id: string } }).registerVirtualCluster.id;
    expect(await postgresProcessesOf(postgresDir)).not.toEqual([]);

    // Each request is being handled (its headers read, 100 Continue sent) but runs its SQL only
    // once its body arrives: after the signal has reached every process of the group.
    const held = Array.from({ length: IN_FLIGHT }, () => heldRequest(url, LIST, token));
    await Promise.all(held.map((request) => request.accepted));
    const signalledAt = Date.now();
    process.kill(-main.child.pid!, 'SIGINT');
    await main.waitForOutput(/"msg":"shutting down/);
    for (const request of held) request.finish();
    const responses = await Promise.all(held.map((request) => request.response));
    for (const request of held) request.destroy();

    const expected = { data: { virtualClusters: { edges: [{ node: { id: clusterId, name: 'busy', autoSnapshotPolicy: { enabled: false }, snapshots: { edges: [] } } }] } } };
    expect(responses.map((response) => response.status)).toEqual(Array(IN_FLIGHT).fill(200));
    for (const response of responses) expect(JSON.parse(response.body)).toEqual(expected);

    const exit = await main.exited;
    const exitMs = Date.now() - signalledAt;
    expect(exit, main.stderr()).toEqual({ code: 0, signal: null });
    console.info(`vsnap exited ${exitMs} ms after SIGINT to its process group`);
    expect(exitMs).toBeLessThan(5_000);
    expect(main.logs().find((line) => line.msg.startsWith('shutting down'))).toMatchObject({ signal: 'SIGINT' });
    expect(main.logs().at(-1)?.msg).toBe('stopped');
    expect(main.logs().filter((line) => line.level >= 50), 'no error or fatal logs').toEqual([]);
    // Postgres was stopped by vsnap, after the requests: none of its processes is left, nor its pid file.
    expect(await postgresProcessesOf(postgresDir)).toEqual([]);
    await expect(fs.access(path.join(postgresDir, 'postmaster.pid'))).rejects.toThrow();
    expect(await tryConnect(`http://127.0.0.1:${postgresPort}`)).toBe('ECONNREFUSED');
  });
});
