/**
 * graphql-ws (graphql-transport-ws) on /graphql, spoken by hand with a raw `ws` client: the
 * upgrade's checks, authentication in connection_init, the protocol's close codes, and the
 * HTTP edge's rules (masking, limits, suggestions) applied to operations over the socket.
 */
import http from 'node:http';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_JWT_SECRET, tokens, type TestApp } from '../support/app.ts';
import { ackedSocket, GRAPHQL_WS_PROTOCOL, openSocket, upgradeStatus, wsRequest, wsUrl } from '../support/ws-client.ts';

const INIT_TIMEOUT_MS = 300;
const CONSOLE = 'https://console.example.com';
const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_DOCUMENT_BYTES = 4 * 1024;

let app: TestApp;
let url: string;
let admin: string;

beforeAll(async () => {
  app = await startTestApp({
    http: { wsConnectionInitTimeoutMs: INIT_TIMEOUT_MS, corsOrigins: [CONSOLE], maxBodyBytes: MAX_MESSAGE_BYTES, fieldSuggestions: false },
    limits: { maxDepth: 4, maxDocumentBytes: MAX_DOCUMENT_BYTES },
  });
  url = wsUrl(app.url);
  admin = await tokens.platformAdmin();
});
afterAll(() => app.close());

const TYPENAME = { data: { __typename: 'Query' } };

const signed = (claims: { sub?: string; exp?: number; vsnap?: unknown }, secret = TEST_JWT_SECRET) => {
  let jwt = new SignJWT({ vsnap: claims.vsnap ?? { platformAdmin: true } }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
  return jwt.sign(new TextEncoder().encode(secret));
};

describe('the upgrade', () => {
  it('is accepted on /graphql with the graphql-transport-ws subprotocol', async () => {
    const socket = await openSocket(url);
    expect(socket.socket.protocol).toBe(GRAPHQL_WS_PROTOCOL);
    await socket.close();
  });

  it.each(['/', '/graphql/', '/graphqlx', '/metrics', '/other'])('is refused with 404 on %s', async (path) => {
    expect(await upgradeStatus(wsUrl(app.url, path))).toBe(404);
  });

  it('keeps the query string out of the path check: /graphql?x=1 is /graphql', async () => {
    expect(await upgradeStatus(wsUrl(app.url, '/graphql?x=1'))).toBe(101);
  });

  it.each([
    ['no Origin (not a browser)', 101, undefined],
    ['an Origin listed in CORS_ORIGINS', 101, CONSOLE],
    ["the server's own origin", 101, 'SAME'],
    ['an unlisted Origin', 403, 'https://evil.example.com'],
    ['a listed origin with another port', 403, `${CONSOLE}:8443`],
    ['the "null" origin of a sandboxed page', 403, 'null'],
  ])('with %s answers %s', async (_name, status, origin) => {
    const headers: Record<string, string> = origin === undefined ? {} : { origin: origin === 'SAME' ? app.url : origin };
    expect(await upgradeStatus(url, { headers })).toBe(status);
  });

  it('closes a connection without the graphql-transport-ws subprotocol with 4406', async () => {
    const socket = await openSocket(url, { protocols: [] });
    expect(socket.socket.protocol).toBe('');
    expect(await socket.closed).toEqual({ code: 4406, reason: 'Subprotocol not acceptable' });
  });

  it('leaves a request with another Upgrade header (h2c) to HTTP', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = http.get(`${app.url}/healthz`, { headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': '' } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('upgrade', () => reject(new Error('upgraded')));
      request.on('error', reject);
    });
    expect(status).toBe(200);
  });
});

describe('authentication', () => {
  it('accepts `authorization` in connectionParams, and runs operations as that caller', async () => {
    const socket = await ackedSocket(url, `Bearer ${admin}`);
    expect(await wsRequest(socket, '1', '{ __typename }')).toEqual(TYPENAME);
    await socket.close();
  });

  it('accepts the Authorization header of the upgrade when connection_init has none', async () => {
    const socket = await openSocket(url, { headers: { authorization: `Bearer ${admin}` } });
    socket.send({ type: 'connection_init' });
    expect(await socket.next()).toEqual({ type: 'connection_ack' });
    expect(await wsRequest(socket, '1', '{ __typename }')).toEqual(TYPENAME);
    await socket.close();
  });

  it('prefers connectionParams to the upgrade header (a client refreshing its token sets it there)', async () => {
    const socket = await openSocket(url, { headers: { authorization: 'Bearer not-a-token' } });
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${admin}` } });
    expect(await socket.next()).toEqual({ type: 'connection_ack' });
    await socket.close();
  });

  it.each<[string, () => Promise<Record<string, unknown> | undefined>, RegExp]>([
    ['no token at all', async () => undefined, /^an Authorization: Bearer <token> header is required$/],
    ['an empty payload', async () => ({}), /^an Authorization: Bearer <token> header is required$/],
    ['a token without "Bearer "', async () => ({ authorization: admin }), /^an Authorization: Bearer <token> header is required$/],
    ['a non-string authorization', async () => ({ authorization: 42 }), /^an Authorization: Bearer <token> header is required$/],
    ['a malformed token', async () => ({ authorization: 'Bearer abc.def.ghi' }), /^invalid token: ERR_JWS_INVALID$/],
    ['a token signed with another secret', async () => ({ authorization: `Bearer ${await signed({ sub: 'x' }, 'another-secret-long-enough-for-hs256-ok')}` }), /^invalid token: ERR_JWS_SIGNATURE_VERIFICATION_FAILED$/],
    ['an expired token', async () => ({ authorization: `Bearer ${await signed({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 10 })}` }), /^invalid token: ERR_JWT_EXPIRED$/],
    ['a token without a subject', async () => ({ authorization: `Bearer ${await signed({})}` }), /^token has no subject$/],
  ])('rejects connection_init with %s: 4403', async (_name, payload, reason) => {
    const socket = await openSocket(url);
    const params = await payload();
    socket.send(params === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload: params });
    const closed = await socket.closed;
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(reason);
    expect(socket.received).toEqual([]);
  });

  it('rejects a bad upgrade header with 4403 too', async () => {
    const socket = await openSocket(url, { headers: { authorization: 'Bearer abc.def.ghi' } });
    socket.send({ type: 'connection_init' });
    expect(await socket.closed).toEqual({ code: 4403, reason: 'invalid token: ERR_JWS_INVALID' });
  });
});

describe('the protocol', () => {
  it('closes a connection that sends no connection_init in time with 4408', async () => {
    const socket = await openSocket(url);
    const opened = Date.now();
    expect(await socket.closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    expect(Date.now() - opened).toBeGreaterThanOrEqual(INIT_TIMEOUT_MS - 20);
  });

  it('closes on a subscribe before the ack with 4401', async () => {
    const socket = await openSocket(url);
    socket.send({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await socket.closed).toEqual({ code: 4401, reason: 'Unauthorized' });
    expect(socket.received).toEqual([]);
  });

  it('closes on a second connection_init with 4429', async () => {
    const socket = await ackedSocket(url, `Bearer ${admin}`);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${admin}` } });
    expect(await socket.closed).toEqual({ code: 4429, reason: 'Too many initialisation requests' });
  });

  it('closes on a subscribe reusing the id of an operation still running with 4409', async () => {
    const socket = await ackedSocket(url, `Bearer ${admin}`);
    const live = { id: 'live', type: 'subscribe', payload: { query: 'subscription { snapshotEvents { cursor } }' } };
    socket.send(live);
    socket.send(live);
    expect(await socket.closed).toEqual({ code: 4409, reason: 'Subscriber for live already exists' });
  });

  it('takes an id again once its operation has completed', async () => {
    const socket = await ackedSocket(url, `Bearer ${admin}`);
    expect(await wsRequest(socket, 'same', '{ __typename }')).toEqual(TYPENAME);
    expect(await wsRequest(socket, 'same', '{ __typename }')).toEqual(TYPENAME);
    await socket.close();
  });

  it.each<[string, string | object]>([
    ['text that is not JSON', 'hello'],
    ['a message of an unknown type', { type: 'bogus' }],
    ['a subscribe without an id', { type: 'subscribe', payload: { query: '{ __typename }' } }],
    ['a subscribe without a query', { id: '1', type: 'subscribe', payload: {} }],
    ['a JSON array', [1, 2]],
  ])('closes on %s with 4400', async (_name, message) => {
    const socket = await ackedSocket(url, `Bearer ${admin}`);
    socket.send(message);
    expect(await socket.closed).toEqual({ code: 4400, reason: 'Invalid message received' });
  });

  it('answers ping with pong, before and after the ack, echoing the payload', async () => {
    const socket = await openSocket(url);
    socket.send({ type: 'ping' });
    expect(await socket.next()).toEqual({ type: 'pong' });
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${admin}` } });
    expect(await socket.next()).toEqual({ type: 'connection_ack' });
    socket.send({ type: 'ping', payload: { at: 1 } });
    expect(await socket.next()).toEqual({ type: 'pong', payload: { at: 1 } });
    await socket.close();
  });

  it('closes a message over the size limit (HTTP_MAX_BODY_BYTES) with 1009', async () => {
    const socket = await ackedSocket(url, `Bearer ${admin}`);
    socket.send({ id: '1', type: 'subscribe', payload: { query: `{ __typename } #${'x'.repeat(MAX_MESSAGE_BYTES)}` } });
    expect((await socket.closed).code).toBe(1009);
  });
});

describe('operations over the socket follow the HTTP edge', () => {
  const errorsOf = async (query: string) => {
    const socket = await ackedSocket(url, `Bearer ${admin}`);
    socket.send({ id: 'a', type: 'subscribe', payload: { query } });
    const message = await socket.next();
    // The connection stays usable after an operation's error.
    expect(await wsRequest(socket, 'b', '{ __typename }')).toEqual(TYPENAME);
    await socket.close();
    return message;
  };

  it('a parse error is an error message coded GRAPHQL_PARSE_FAILED', async () => {
    expect(await errorsOf('{ __typename')).toEqual({
      id: 'a',
      type: 'error',
      payload: [{ message: 'Syntax Error: Expected Name, found <EOF>.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }],
    });
  });

  it('a document over the byte limit is refused before parsing: DOCUMENT_TOO_LARGE', async () => {
    const query = `{ __typename } #${'x'.repeat(MAX_DOCUMENT_BYTES - 15)}`;
    expect(Buffer.byteLength(query)).toBe(MAX_DOCUMENT_BYTES + 1);
    expect(await errorsOf(query)).toEqual({
      id: 'a',
      type: 'error',
      payload: [{ message: `the GraphQL document has ${MAX_DOCUMENT_BYTES + 1} bytes, more than the limit of ${MAX_DOCUMENT_BYTES}`, extensions: { code: 'DOCUMENT_TOO_LARGE' } }],
    });
  });

  it('armor limits apply: a document too deep is GRAPHQL_VALIDATION_FAILED, without the HTTP extension', async () => {
    const message = await errorsOf('{ virtualClusters { edges { node { snapshots { edges { node { id } } } } } } }');
    expect(message).toMatchObject({ id: 'a', type: 'error', payload: [{ message: expect.stringMatching(/depth/i), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    expect(JSON.stringify(message)).not.toContain('"http"');
  });

  it('field suggestions are hidden when off, as over HTTP', async () => {
    const message = await errorsOf('{ virtualCluster { id } }');
    expect(message).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    expect(JSON.stringify(message)).not.toContain('Did you mean');
  });

  it('a refused variable is BAD_USER_INPUT in a next message, then complete', async () => {
    const socket = await ackedSocket(url, `Bearer ${admin}`);
    const result = await wsRequest(socket, '1', 'query ($id: ID!) { virtualCluster(id: $id) { id } }', { id: null });
    expect(result).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })] });
    await socket.close();
  });

  it('a mutation runs as over HTTP, with the caller of the connection', async () => {
    const member = await tokens.member('ws-project');
    const socket = await ackedSocket(url, `Bearer ${member}`);
    const result = await wsRequest(
      socket,
      '1',
      'mutation { registerVirtualCluster(input: { projectId: "ws-project", name: "prod", kubeconfig: { inline: "x" } }) { __typename } }',
    );
    expect(result).toMatchObject({ data: null, errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    await socket.close();
  });
});
