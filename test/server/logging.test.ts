/** What `src/main.ts` writes to its log: pretty in development, JSON otherwise, one line per failed snapshot. */
import { describe, expect, it } from 'vitest';
import { tokens } from '../support/app.ts';
import { postGraphQL, UNREACHABLE_KUBECONFIG, useMainOnTestDatabase, waitFor, type SpawnedMain } from './helpers.ts';

function servingUrl(main: SpawnedMain): string {
  return String(main.logs().find((line) => line.msg === 'vsnap is serving GraphQL')?.url).replace(/\/graphql$/, '');
}

describe('the log of src/main.ts', () => {
  const start = useMainOnTestDatabase('logging');

  it('is pretty by default in development, down to its last line', { timeout: 60_000 }, async () => {
    // NODE_ENV unset is development; LOG_FORMAT unset (spawnMain would ask for JSON).
    const { main } = await start({ LOG_FORMAT: '' });
    await main.waitForOutput(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(vsnap\): vsnap is serving GraphQL$/m);
    main.child.kill('SIGTERM');
    expect(await main.exited, main.stderr()).toEqual({ code: 0, signal: null });
    const lines = main.stdout().split('\n').filter((line) => line.trim() !== '');
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
    // Fields follow their line, indented; written synchronously, so the line logged just before exit is there.
    expect(main.stdout()).toMatch(/INFO \(vsnap\): vsnap is serving GraphQL\n {4}url: "http:\/\/127\.0\.0\.1:\d+\/graphql"\n/);
    expect(lines.at(-1)).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(vsnap\): stopped$/);
  });

  it('has one line per failed snapshot: its reason once, the error class, no stack', { timeout: 60_000 }, async () => {
    const { main } = await start({ LOG_FORMAT: 'json' });
    await main.waitForOutput(/"msg":"vsnap is serving GraphQL"/);
    const url = servingUrl(main);
    const admin = await tokens.platformAdmin();
    const registered = await postGraphQL(
      url,
      'mutation ($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id } }',
      { token: admin, variables: { input: { projectId: 'logging', name: 'gone', kubeconfig: { inline: UNREACHABLE_KUBECONFIG } } } },
    );
    expect(registered.body.errors).toBeUndefined();
    const clusterId = (registered.body.data as { registerVirtualCluster: { id: string } }).registerVirtualCluster.id;
    const created = await postGraphQL(url, 'mutation ($id: ID!) { createSnapshot(virtualClusterId: $id) { id } }', { token: admin, variables: { id: clusterId } });
    expect(created.body.errors).toBeUndefined();
    const snapshotId = (created.body.data as { createSnapshot: { id: string } }).createSnapshot.id;

    const failed = await waitFor(
      'the snapshot to fail',
      async () => {
        const response = await postGraphQL(url, 'query ($id: ID!) { snapshot(id: $id) { status message } }', { token: admin, variables: { id: snapshotId } });
        const snapshot = (response.body.data as { snapshot: { status: string; message: string } } | undefined)?.snapshot;
        return snapshot?.status === 'FAILED' ? snapshot : undefined;
      },
      30_000,
      200,
    );
    expect(failed.message.length).toBeGreaterThan(0);

    const rawLines = main.stdout().split('\n').filter((line) => line.includes(snapshotId) && line.includes('"msg":"snapshot failed"'));
    expect(rawLines).toHaveLength(1);
    const line = JSON.parse(rawLines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, msg: 'snapshot failed', snapshotId, reason: failed.message, errorClass: expect.any(String) });
    expect(line).not.toHaveProperty('err');
    expect(rawLines[0]).not.toContain('"stack"');
    expect(rawLines[0]).not.toMatch(/\\n\s+at /);
    // The reason is said once, not again in the message.
    expect(rawLines[0]!.split(JSON.stringify(failed.message).slice(1, -1)).length - 1).toBe(1);
  });
});
