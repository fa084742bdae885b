/** Graceful shutdown: in-flight requests finish, new connections are refused, the process exits 0. */
import net from 'node:net';
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

/** A raw HTTP/1.1 connection: what the server wrote, and whether it closed the connection. */
async function rawConnection(url: string) {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    received: () => received,
    ended,
    send(token: string) {
      const body = JSON.stringify({ query: '{ __typename }' });
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: vsnap\r\nContent-Type: application/json\r\nAccept: application/json\r\n` +
          `Authorization: Bearer ${token}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    },
    destroy: () => socket.destroy(),
  };
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('server.close() and connections without a request at that instant', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close().catch(() => undefined);
    app = undefined;
  });
  /** One 200 answer with `Connection: close` among its headers and `{ __typename }`'s data as its body. */
  const ANSWER = /^HTTP\/1\.1 200 OK\r\n(?:[^\r\n]+\r\n)*connection: close\r\n(?:[^\r\n]+\r\n)*\r\n\{"data":\{"__typename":"Query"\}\}$/i;

  // These tests are about time itself (the grace a connection gets), hence the sleeps.
  it('answers a request sent on a fresh connection shortly after close() began, with Connection: close', async () => {
    app = await startTestApp();
    const admin = await tokens.platformAdmin();
    const fresh = await rawConnection(app.url);
    await sleep(100); // accepted and idle: Node's own close() would drop it now
    const closing = app.server.close();
    await sleep(300); // past the listener's close
    expect(await tryConnect(app.url)).toBe('ECONNREFUSED');
    fresh.send(admin);
    await fresh.ended;
    expect(fresh.received()).toMatch(ANSWER);
    await closing;
  });

  it('answers the next request on an idle keep-alive connection sent shortly after close() began', async () => {
    app = await startTestApp();
    const admin = await tokens.platformAdmin();
    const kept = await rawConnection(app.url);
    kept.send(admin);
    await waitFor('the first answer', () => kept.received().endsWith('{"data":{"__typename":"Query"}}'));
    expect(kept.received()).toMatch(/\r\nconnection: keep-alive\r\n/i);
    const first = kept.received().length;
    const closing = app.server.close();
    await sleep(300);
    kept.send(admin);
    await kept.ended;
    expect(kept.received().slice(first)).toMatch(ANSWER);
    await closing;
  });

  it('closes a connection that sends nothing after a grace, not after the shutdown timeout', async () => {
    app = await startTestApp();
    const silent = await rawConnection(app.url);
    const started = Date.now();
    await app.server.close();
    const elapsed = Date.now() - started;
    await silent.ended;
    expect(silent.received()).toBe('');
    // The grace is 500 ms; startTestApp's shutdown timeout is 2000 ms.
    expect(elapsed).toBeGreaterThanOrEqual(450);
    // Closed by the grace, not by the shutdown timeout.
    expect(elapsed).toBeLessThan(2_000);
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
