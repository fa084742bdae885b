/** Graceful shutdown: in-flight requests finish, new connections are refused, the process exits 0. */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { heldRequest, postGraphQL, tryConnect, useMainOnTestDatabase, waitFor } from './helpers.ts';

const LIST = '{ virtualClusters { edges { node { id } } } }';

describe('server.close()', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('lets an in-flight request finish with 200, refuses new connections, and returns without waiting for the timeout', async () => {
    app = await startTestApp();
    const admin = await tokens.platformAdmin();
    // An idle keep-alive connection, open before the shutdown: it must not keep close() waiting.
    const idle = await postGraphQL(app.url, '{ __typename }', { token: admin });
    expect(idle.status).toBe(200);

    const held = heldRequest(app.url, LIST, admin);
    await held.accepted;

    const started = Date.now();
    let closedAt: number | undefined;
    const closing = app.server.close().then(() => (closedAt = Date.now()));

    expect(await waitFor('the listener to close', async () => ((await tryConnect(app!.url)) === 'ECONNREFUSED' ? true : undefined))).toBe(true);
    expect(closedAt, 'close() must wait for the in-flight request').toBeUndefined();

    held.finish();
    const response = await held.response;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ data: { virtualClusters: { edges: [] } } });
    await closing;
    held.destroy();
    // shutdownTimeoutMs is 2000 in startTestApp: close() returned because the work was done, not because time ran out.
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await tryConnect(app.url)).toBe('ECONNREFUSED');
  });

  it('drops a request still unfinished when the shutdown timeout runs out', async () => {
    app = await startTestApp();
    const held = heldRequest(app.url, LIST, await tokens.platformAdmin());
    await held.accepted;
    const started = Date.now();
    await app.server.close();
    const elapsed = Date.now() - started;
    // startTestApp's shutdownTimeoutMs.
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(5000);
    await expect(held.response).rejects.toThrow(/socket hang up|ECONNRESET/);
    held.destroy();
  });
});

describe('the vsnap process on SIGTERM', () => {
  const start = useMainOnTestDatabase('shutdown');

  it('finishes the in-flight request, logs its shutdown and exits 0', { timeout: 60_000 }, async () => {
    const { main } = await start({ GRAPHIQL: 'false' });
    await main.waitForOutput(/"msg":"vsnap is serving GraphQL"/);
    const serving = main.logs().find((line) => line.msg === 'vsnap is serving GraphQL');
    const url = String(serving?.url).replace(/\/graphql$/, '');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const held = heldRequest(url, LIST, await tokens.platformAdmin());
    await held.accepted;
    main.child.kill('SIGTERM');
    await main.waitForOutput(/"msg":"shutting down/);
    expect(await waitFor('the listener to close', async () => ((await tryConnect(url)) === 'ECONNREFUSED' ? true : undefined))).toBe(true);

    held.finish();
    const response = await held.response;
    held.destroy();
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ data: { virtualClusters: { edges: [] } } });

    const exit = await main.exited;
    expect(exit, main.stderr()).toEqual({ code: 0, signal: null });
    const messages = main.logs().map((line) => line.msg);
    expect(messages).toContainEqual(expect.stringMatching(/^shutting down/));
    expect(messages.at(-1)).toBe('stopped');
    expect(main.logs().find((line) => line.msg.startsWith('shutting down'))).toMatchObject({ signal: 'SIGTERM' });
    expect(main.logs().filter((line) => line.level >= 50), 'no error or fatal logs').toEqual([]);
  });

  it('exits 0 on SIGINT too', { timeout: 60_000 }, async () => {
    const { main } = await start();
    await main.waitForOutput(/"msg":"vsnap is serving GraphQL"/);
    main.child.kill('SIGINT');
    expect(await main.exited).toEqual({ code: 0, signal: null });
    expect(main.logs().find((line) => line.msg.startsWith('shutting down'))).toMatchObject({ signal: 'SIGINT' });
    expect(main.logs().at(-1)?.msg).toBe('stopped');
  });
});
