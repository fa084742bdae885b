/**
 * The HTTP edge as an attacker meets it: no token means 401 before anything is parsed, no schema
 * hints in production, bounded documents and bodies, CORS only for listed origins, and aliases of
 * `__typename` counted like any other.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { postGraphQL, useMainOnTestDatabase, waitFor } from '../server/helpers.ts';
import { startTestApp, TEST_JWT_SECRET, tokens, type TestApp } from '../support/app.ts';

const MAX_DOCUMENT_BYTES = 2_000;
const MAX_BODY_BYTES = 20_000;
const MAX_ALIASES = 3;
const LISTED = 'https://console.example.com';

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp({
    limits: { maxAliases: MAX_ALIASES, maxDocumentBytes: MAX_DOCUMENT_BYTES },
    http: { maxBodyBytes: MAX_BODY_BYTES, corsOrigins: [LISTED, 'http://localhost:5173'], fieldSuggestions: false },
    graphiql: true,
  });
  admin = await tokens.platformAdmin();
});
afterAll(() => app.close());

const countClusters = () => app.orm.em.fork().count(VirtualClusterSchema, {});
let counter = 0;
const uniqueProject = () => `security-http-${process.pid}-${++counter}`;

async function operationsExecuted(): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  return [...text.matchAll(/^vsnap_graphql_operations_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Body bytes written before the answer arrived. */
  sentBeforeAnswer: number;
  /** The server ended the (keep-alive) connection after answering. */
  closedByServer: boolean;
}

/**
 * A POST /graphql on a keep-alive connection that tells how much of its body the server needed:
 * `headersOnly` sends no body at all (an answer must come from the headers), otherwise the body
 * goes in `chunkBytes` pieces, each only while no answer has come.
 */
function rawPost(options: { headers: Record<string, string | number>; body: Buffer; headersOnly?: boolean; chunkBytes?: number }): Promise<RawAnswer> {
  const { port } = new URL(app.url);
  const chunkBytes = options.chunkBytes ?? options.body.length;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise<RawAnswer>((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const request = http.request({ host: '127.0.0.1', port: Number(port), path: '/graphql', method: 'POST', agent, headers: options.headers }, (response) => {
      answered = true;
      const sentBeforeAnswer = sent;
      const chunks: Buffer[] = [];
      response.on('data', (data: Buffer) => chunks.push(data));
      response.on('end', () => {
        const finish = (closedByServer: boolean) =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8'), sentBeforeAnswer, closedByServer });
        const socket = response.socket as typeof response.socket | null;
        // Handed back to the agent: the connection stays open.
        if (!socket) return finish(false);
        if (socket.destroyed) return finish(true);
        const timer = setTimeout(() => finish(false), 1_000);
        socket.once('close', () => {
          clearTimeout(timer);
          finish(true);
        });
      });
    });
    // EPIPE / ECONNRESET while still writing is the server refusing the rest: its answer decides.
    request.on('error', (error) => (answered ? undefined : reject(error)));
    request.flushHeaders();
    if (options.headersOnly) {
      setTimeout(() => (answered ? undefined : reject(new Error('no answer to the headers alone within 3 s'))), 3_000);
      return;
    }
    const writeNext = () => {
      if (answered || request.destroyed) return;
      if (sent >= options.body.length) return void request.end();
      const piece = options.body.subarray(sent, sent + chunkBytes);
      sent += piece.length;
      request.write(piece, () => setTimeout(writeNext, 20));
    };
    writeNext();
  }).finally(() => agent.destroy());
}

describe('a request without a valid token', () => {
  const withoutToken = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const UNAUTHENTICATED = { errors: [{ message: 'an Authorization: Bearer <token> header is required', extensions: { code: 'UNAUTHENTICATED' } }] };

  it.each<[string, unknown]>([
    ['a query naming a field that does not exist', { query: '{ virtualClusterz { id } }' }],
    ['a query with a misspelt argument', { query: '{ virtualClusters(frist: 1) { edges { node { id } } } }' }],
    ['a document that does not parse', { query: '{ virtualClusters { ' }],
    ['a document over the token limit', { query: `{ ${'__typename '.repeat(5_000)}}` }],
    ['a body that is not JSON', '{"query": '],
    ['a mutation', { query: 'mutation { registerVirtualCluster(input: { projectId: "p", name: "x", kubeconfig: { inline: "x" } }) { id } }' }],
  ])('is answered 401 for %s, with nothing parsed, validated or executed', async (_name, body) => {
    const [clustersBefore, executedBefore] = [await countClusters(), await operationsExecuted()];
    const response = await withoutToken(body);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(JSON.parse(response.text)).toEqual(UNAUTHENTICATED);
    expect(await countClusters()).toBe(clustersBefore);
    expect(await operationsExecuted()).toBe(executedBefore);
  });

  it('gets 401 for an invalid query where a token holder gets the validation error', async () => {
    const query = '{ virtualClusters { edges { node { nmae } } } }';
    const refused = await withoutToken({ query });
    expect(refused.status).toBe(401);
    expect(refused.text).not.toContain('nmae');
    // The same document with a token is parsed and validated: the 401 above came first.
    const validated = await postGraphQL(app.url, query, { token: admin });
    expect(validated.status).toBe(400);
    expect(validated.body.errors?.map((error) => error.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('is answered 401 on its headers alone: the body is never needed', async () => {
    const body = Buffer.from(JSON.stringify({ query: '{ virtualClusterz }' }));
    const answer = await rawPost({
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'content-length': body.length },
      body,
      headersOnly: true,
    });
    expect(answer.status).toBe(401);
    expect(answer.sentBeforeAnswer).toBe(0);
    expect(JSON.parse(answer.body)).toEqual(UNAUTHENTICATED);
  });

  it('is answered 401 on GET too, whatever the query', async () => {
    for (const query of ['{ __typename }', '{ virtualClusterz { id } }', '{ broken']) {
      const response = await fetch(`${app.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/graphql-response+json' } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toEqual(UNAUTHENTICATED);
    }
  });

  it('is answered 401 for a token signed with another secret, before validation', async () => {
    const response = await withoutToken({ query: '{ virtualClusterz { id } }' }, { authorization: `Bearer ${await tokens.platformAdmin()}x` });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.text)).toEqual({ errors: [{ message: 'invalid token: ERR_JWS_SIGNATURE_VERIFICATION_FAILED', extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('still reaches the GraphiQL page (when enabled), which holds no data', async () => {
    const response = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('<title>vsnap</title>');
  });
});

describe('field suggestions with fieldSuggestions off (production)', () => {
  // Each hint graphql-js gives: a field, an argument, an enum literal or variable, an input field in a variable, a type, a fragment's type.
  const cases: { name: string; query: string; variables?: () => Record<string, unknown>; hint: string }[] = [
    { name: 'an unknown field', query: '{ virtualClusterz { id } }', hint: 'virtualClusters' },
    { name: 'an unknown argument', query: '{ virtualClusters(frist: 1) { edges { node { id } } } }', hint: 'first' },
    { name: 'an enum literal', query: '{ virtualClusters { edges { node { snapshots(status: SCHEDULD) { edges { node { id } } } } } } }', hint: 'SCHEDULED' },
    {
      name: 'an enum variable',
      query: 'query ($s: SnapshotStatus) { virtualClusters { edges { node { snapshots(status: $s) { edges { node { id } } } } } } }',
      variables: () => ({ s: 'SCHEDULD' }),
      hint: 'SCHEDULED',
    },
    {
      name: 'an input field in a variable',
      query: 'mutation ($i: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $i) { id } }',
      variables: () => ({ i: { projectId: uniqueProject(), nmae: 'x', name: 'x', kubeconfig: { inline: 'x' } } }),
      hint: 'name',
    },
    { name: 'an unknown type', query: 'query ($s: SnapshotStatu) { __typename }', hint: 'SnapshotStatus' },
    { name: 'a field of a union member', query: '{ _entities(representations: []) { status } }', hint: 'to use an inline fragment on' },
  ];
  const send = (url: string, { query, variables }: (typeof cases)[number]) => postGraphQL(url, query, { token: admin, variables: variables?.() });

  it.each(cases)('are absent for $name', async (testCase) => {
    const before = await countClusters();
    const response = await send(app.url, testCase);
    expect(response.body.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(response.body)).not.toContain('Did you mean');
    expect(await countClusters()).toBe(before);
  });

  it('are given where fieldSuggestions is on (development): the test above can fail', async () => {
    const development = await startTestApp({ http: { fieldSuggestions: true } });
    try {
      for (const testCase of cases) {
        const response = await send(development.url, testCase);
        expect(response.body.errors?.map((error) => error.message).join('\n'), testCase.name).toMatch(new RegExp(`Did you mean [^?]*${testCase.hint}`));
      }
    } finally {
      await development.close();
    }
  });

  it('leave the rest of the message and its code intact', async () => {
    const response = await postGraphQL(app.url, '{ virtualClusterz { id } }', { token: admin });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { message: 'Cannot query field "virtualClusterz" on type "Query".', locations: [{ line: 1, column: 3 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
    ]);
  });
});

describe('document size', () => {
  /** `{ __typename }` padded with a comment to exactly `bytes` UTF-8 bytes, using `pad` characters. */
  const documentOf = (bytes: number, pad = 'x') => {
    const base = '{ __typename }\n#';
    const padBytes = Buffer.byteLength(pad);
    const count = Math.floor((bytes - base.length) / padBytes);
    const document = `${base}${pad.repeat(count)}${'y'.repeat(bytes - base.length - count * padBytes)}`;
    expect(Buffer.byteLength(document)).toBe(bytes);
    return document;
  };

  it('accepts a document of exactly the limit', async () => {
    const response = await postGraphQL(app.url, documentOf(MAX_DOCUMENT_BYTES), { token: admin });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses one byte more with 413 DOCUMENT_TOO_LARGE, running nothing', async () => {
    const executedBefore = await operationsExecuted();
    const response = await postGraphQL(app.url, documentOf(MAX_DOCUMENT_BYTES + 1), { token: admin });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      errors: [{ message: `the GraphQL document has ${MAX_DOCUMENT_BYTES + 1} bytes, more than the limit of ${MAX_DOCUMENT_BYTES}`, extensions: { code: 'DOCUMENT_TOO_LARGE' } }],
    });
    expect(await operationsExecuted()).toBe(executedBefore);
  });

  it('counts bytes, not characters: two-byte characters reach the limit at half the length', async () => {
    const document = documentOf(MAX_DOCUMENT_BYTES + 1, 'é');
    expect(document.length).toBeLessThan(MAX_DOCUMENT_BYTES);
    const response = await postGraphQL(app.url, document, { token: admin });
    expect(response.status).toBe(413);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('DOCUMENT_TOO_LARGE');
  });

  it('applies to GET requests too', async () => {
    const response = await fetch(`${app.url}/graphql?query=${encodeURIComponent(documentOf(MAX_DOCUMENT_BYTES + 1))}`, {
      headers: { accept: 'application/graphql-response+json', authorization: `Bearer ${admin}` },
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('DOCUMENT_TOO_LARGE');
  });
});

describe('request body size', () => {
  /** A JSON body of exactly `bytes` bytes: `{ __typename }` with a padding variable (as an inline kubeconfig would travel). */
  const bodyOf = (bytes: number) => {
    const empty = JSON.stringify({ query: '{ __typename }', variables: { padding: '' } });
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'k'.repeat(bytes - empty.length) } });
    expect(Buffer.byteLength(body)).toBe(bytes);
    return Buffer.from(body);
  };
  const headers = (extra: Record<string, string | number>) => ({
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
    authorization: `Bearer ${admin}`,
    ...extra,
  });
  const TOO_LARGE = { errors: [{ message: 'Request body too large', extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } }] };

  it('accepts a body of exactly the limit', async () => {
    const body = bodyOf(MAX_BODY_BYTES);
    const answer = await rawPost({ headers: headers({ 'content-length': body.length }), body });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { __typename: 'Query' } });
    // Only a refused body ends its connection.
    expect(answer.headers.connection).toBe('keep-alive');
    expect(answer.closedByServer).toBe(false);
  });

  it('refuses a Content-Length of one byte over the limit with 413', async () => {
    const body = bodyOf(MAX_BODY_BYTES + 1);
    const answer = await rawPost({ headers: headers({ 'content-length': body.length }), body });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual(TOO_LARGE);
  });

  it('accepts a chunked body of exactly the limit, and refuses one of a byte more', async () => {
    const exact = await rawPost({ headers: headers({ 'transfer-encoding': 'chunked' }), body: bodyOf(MAX_BODY_BYTES), chunkBytes: 4_096 });
    expect(exact.status).toBe(200);
    expect(JSON.parse(exact.body)).toEqual({ data: { __typename: 'Query' } });
    const over = await rawPost({ headers: headers({ 'transfer-encoding': 'chunked' }), body: bodyOf(MAX_BODY_BYTES + 1), chunkBytes: 4_096 });
    expect(over.status).toBe(413);
    expect(JSON.parse(over.body)).toEqual(TOO_LARGE);
  });

  it('refuses a Content-Length over the limit with 413 on the headers alone, and closes the connection', async () => {
    // Ten times the limit announced; not one byte of it is sent before the answer.
    const body = bodyOf(MAX_BODY_BYTES * 10);
    const answer = await rawPost({ headers: headers({ 'content-length': body.length }), body, headersOnly: true });
    expect(answer.status).toBe(413);
    expect(answer.sentBeforeAnswer).toBe(0);
    expect(JSON.parse(answer.body)).toEqual(TOO_LARGE);
    expect(answer.headers.connection).toBe('close');
    expect(answer.closedByServer).toBe(true);
  });

  it('refuses a chunked body once it passes the limit, without reading the rest', async () => {
    const body = bodyOf(MAX_BODY_BYTES * 10);
    const chunkBytes = 1_000;
    const answer = await rawPost({ headers: headers({ 'transfer-encoding': 'chunked' }), body, chunkBytes });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual(TOO_LARGE);
    // Answered once the limit was passed (some chunks may be on their way meanwhile), long before the end.
    expect(answer.sentBeforeAnswer).toBeGreaterThan(MAX_BODY_BYTES);
    expect(answer.sentBeforeAnswer).toBeLessThan(3 * MAX_BODY_BYTES);
    expect(answer.closedByServer).toBe(true);
  });

  it('refuses a registration whose inline kubeconfig makes the body too large, writing nothing', async () => {
    const before = await countClusters();
    const query = 'mutation ($i: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $i) { id } }';
    const response = await postGraphQL(app.url, query, {
      token: admin,
      variables: { i: { projectId: uniqueProject(), name: 'big', kubeconfig: { inline: 'k'.repeat(MAX_BODY_BYTES) } } },
    });
    expect(response).toMatchObject({ status: 413, body: TOO_LARGE });
    expect(await countClusters()).toBe(before);
  });
});

describe('CORS', () => {
  const simple = (origin: string, token: string | null = admin) =>
    fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
  const preflight = (origin: string) =>
    fetch(`${app.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
  const corsHeaders = (response: Response) => [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));

  it('answers a listed origin with exactly that origin, no credentials, and Vary: Origin', async () => {
    for (const origin of [LISTED, 'http://localhost:5173']) {
      const response = await simple(origin);
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('gives an unlisted origin no CORS header at all, nor a near miss', async () => {
    for (const origin of ['https://evil.example', 'https://console.example.com.evil.example', 'http://console.example.com', 'https://console.example.com:8443', 'null']) {
      const response = await simple(origin);
      expect(corsHeaders(response), origin).toEqual([]);
      expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('answers the preflight of a listed origin with the methods and headers the API takes', async () => {
    const response = await preflight(LISTED);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization, content-type, accept');
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers the preflight of an unlisted origin without any CORS header', async () => {
    const response = await preflight('https://evil.example');
    expect(corsHeaders(response)).toEqual([]);
  });

  it('lets a listed origin read its 401 (and nothing for an unlisted one)', async () => {
    const listed = await simple(LISTED, null);
    expect(listed.status).toBe(401);
    expect(listed.headers.get('access-control-allow-origin')).toBe(LISTED);
    const unlisted = await simple('https://evil.example', null);
    expect(unlisted.status).toBe(401);
    expect(corsHeaders(unlisted)).toEqual([]);
  });

  it('sends no CORS header at all when CORS_ORIGINS is empty (the default)', async () => {
    const closed = await startTestApp();
    try {
      const response = await fetch(`${closed.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: LISTED, authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(200);
      expect(corsHeaders(response)).toEqual([]);
      const options = await fetch(`${closed.url}/graphql`, { method: 'OPTIONS', headers: { origin: LISTED, 'access-control-request-method': 'POST' } });
      expect(corsHeaders(options)).toEqual([]);
    } finally {
      await closed.close();
    }
  });
});

describe('aliases of __typename', () => {
  const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `t${i}: __typename`).join(' ')} }`;

  it('count against the alias limit like any other alias', async () => {
    const executedBefore = await operationsExecuted();
    const response = await postGraphQL(app.url, aliased(MAX_ALIASES + 1), { token: admin });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      expect.objectContaining({ message: `Syntax Error: Aliases limit of ${MAX_ALIASES} exceeded, found ${MAX_ALIASES + 1}.`, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]);
    expect(await operationsExecuted()).toBe(executedBefore);
  });

  it('are accepted up to the limit', async () => {
    const response = await postGraphQL(app.url, aliased(MAX_ALIASES), { token: admin });
    expect(response.body).toEqual({ data: Object.fromEntries(Array.from({ length: MAX_ALIASES }, (_, i) => [`t${i}`, 'Query'])) });
  });
});

describe('a vsnap started with NODE_ENV=production and nothing else about the edge', () => {
  const start = useMainOnTestDatabase('security-http');

  it('serves no GraphiQL and gives no field suggestions', { timeout: 60_000 }, async () => {
    // LOG_FORMAT unset (spawnMain would ask for JSON), to see production's default.
    const { main } = await start({ NODE_ENV: 'production', AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_FORMAT: '' });
    await main.waitForOutput(/"msg":"vsnap is serving GraphQL"/);
    const url = String(main.logs().find((line) => line.msg === 'vsnap is serving GraphQL')?.url).replace(/\/graphql$/, '');
    await waitFor('/readyz', async () => (await fetch(`${url}/readyz`)).status === 200);

    // What a browser asks for: the page where GraphiQL is on, a 401 in JSON here.
    const page = await fetch(`${url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await page.text()).not.toContain('<html');
    // Only HTML accepted: nothing to answer with (406), still no page, with or without a token.
    for (const authorization of [undefined, `Bearer ${admin}`]) {
      const htmlOnly = await fetch(`${url}/graphql`, { headers: { accept: 'text/html', ...(authorization ? { authorization } : {}) } });
      expect(htmlOnly.status).toBe(406);
      expect(await htmlOnly.text()).toBe('');
    }

    const response = await postGraphQL(url, '{ virtualClusterz { id } }', { token: admin });
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((error) => error.message)).toEqual(['Cannot query field "virtualClusterz" on type "Query".']);
    const logs = main.stdout();
    expect(logs.split('\n').filter((line) => line.trim() !== '').every((line) => line.startsWith('{')), 'JSON logs by default in production').toBe(true);
  });
});
