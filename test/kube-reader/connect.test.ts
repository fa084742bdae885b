/**
 * ClusterConnection: the only KubeConfig vsnap builds. Every client-node path
 * (generated API clients, Watch, vsnap's own reader) goes through its one
 * egress-checked undici Agent, and nothing can load tenant text or files into it.
 */
import type { Socket } from 'node:net';
import { CoreV1Api, HttpMethod, RequestContext, Watch } from '@kubernetes/client-node';
import { buildConnector } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterAccessError, createClusterReader } from '../../src/kube/cluster-reader.ts';
import { admitKubeconfig } from '../../src/kube/admission.ts';
import { connectCluster, connectToFirst, type ClusterConnection } from '../../src/kube/connect.ts';
import { EgressPolicy, EgressRefusedError } from '../../src/kube/egress.ts';
import { startKubeServer, type KubeTestServer } from '../kube/server.ts';
import { connectTo, TEST_EGRESS } from '../support/kubeconfig.ts';

let server: KubeTestServer;
const connections: ClusterConnection[] = [];
const production = EgressPolicy.defaults('production');

beforeAll(async () => {
  server = await startKubeServer();
});
afterAll(() => server.close());
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()));
  server.requests.length = 0;
});

function open(kubeconfig: string, egress: EgressPolicy = TEST_EGRESS): ClusterConnection {
  const connection = connectTo(kubeconfig, egress);
  connections.push(connection);
  return connection;
}

/** The test server's kubeconfig with another host for the same port. */
const withHost = (host: string) => server.kubeconfig.replace(server.url, server.url.replace('127.0.0.1', host));

const EXEC_KUBECONFIG = `apiVersion: v1
clusters: [{name: c, cluster: {server: https://10.0.0.1}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: touch, args: [/tmp/vsnap-never]}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;

describe('ClusterConnection', () => {
  it('carries the admitted cluster and user, and sends the token through its own agent on every request', async () => {
    const connection = open(server.kubeconfig);
    expect(connection.server).toBe(server.url);
    const first = new RequestContext(`${server.url}/api/v1`, HttpMethod.GET);
    const second = new RequestContext(`${server.url}/apis`, HttpMethod.GET);
    await connection.applySecurityAuthentication(first);
    await connection.applySecurityAuthentication(second);
    expect(first.getHeaders().Authorization).toBe(`Bearer ${server.token}`);
    expect(first.getDispatcher()).toBeDefined();
    // One pool per connection: client-node would otherwise build a new undici Agent per request.
    expect(second.getDispatcher()).toBe(first.getDispatcher());
  });

  it('has none of client-node\'s plugin authenticators (exec, gcp, azure, oidc, token files)', () => {
    const connection = open(server.kubeconfig);
    // Private in client-node's types; the property is what applyAuthorizationHeader searches.
    const internals = connection as unknown as { authenticators: unknown[]; custom_authenticators: unknown[] };
    expect(internals.authenticators).toEqual([]);
    expect(internals.custom_authenticators).toEqual([]);
  });

  it('refuses every way to load tenant text, a file, or an authenticator into it', async () => {
    const connection = open(server.kubeconfig);
    expect(() => connection.loadFromString(EXEC_KUBECONFIG)).toThrow('ClusterConnection: loadFromString is not supported');
    expect(() => connection.loadFromFile('/etc/passwd')).toThrow('ClusterConnection: loadFromFile is not supported');
    expect(() => connection.loadFromDefault()).toThrow('ClusterConnection: loadFromDefault is not supported');
    expect(() => connection.loadFromCluster()).toThrow('ClusterConnection: loadFromCluster is not supported');
    expect(() => connection.loadFromOptions({})).toThrow('ClusterConnection: loadFromOptions is not supported');
    expect(() => connection.mergeConfig(connection)).toThrow('ClusterConnection: mergeConfig is not supported');
    expect(() => connection.addAuthenticator({ isAuthProvider: () => true, applyAuthentication: async () => undefined })).toThrow(
      'ClusterConnection: addAuthenticator is not supported',
    );
    // The WebSocket paths build a node https.Agent of their own, outside the egress check.
    await expect(connection.applyToHTTPSOptions({})).rejects.toThrow('WebSocket and https.Agent paths are not supported');
    expect(connection.server).toBe(server.url);
  });

  it('keeps only the current context: a second user in the kubeconfig is not there', () => {
    const twoUsers = server.kubeconfig.replace('users:\n', `users:\n- name: other\n  user:\n    token: other-token\n`);
    const connection = open(twoUsers);
    expect(connection.getUsers().map((user) => user.name)).toEqual(['vsnap-test']);
    expect(connection.getUsers()[0]?.token).toBe(server.token);
  });

  it('reaches a host name that resolves to an allowed address, verifying the certificate for that name', async () => {
    const reader = createClusterReader(open(withHost('localhost')));
    expect((await reader.discover()).length).toBeGreaterThan(0);
    expect(server.requests.length).toBeGreaterThan(0);
  });
});

describe('connectToFirst', () => {
  const attempt = (addresses: string[]) =>
    new Promise<Socket | Error>((resolve) => {
      const port = new URL(server.url).port;
      const connector = buildConnector({ ca: server.ca, timeout: 2_000 });
      const options = { hostname: 'localhost', host: `localhost:${port}`, protocol: 'https:', port, servername: 'localhost' };
      connectToFirst(connector, addresses, options, (error, socket) => resolve(error ?? socket!));
    });

  it('tries the next checked address when one refuses, verifying the certificate for the host name', async () => {
    // The test server listens on 127.0.0.1 only: 127.0.0.2 refuses.
    const socket = await attempt(['127.0.0.2', '127.0.0.1']);
    expect(socket).not.toBeInstanceOf(Error);
    expect((socket as Socket).remoteAddress).toBe('127.0.0.1');
    (socket as Socket).destroy();
  });

  it('reports the last failure when no address accepts', async () => {
    expect(await attempt(['127.0.0.2', '127.0.0.3'])).toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('the egress policy at connect time', () => {
  const refusedPaths: [string, (connection: ClusterConnection) => Promise<unknown>][] = [
    ['vsnap\'s reader', (connection) => createClusterReader(connection, { timeoutMs: 5_000 }).discover()],
    ['a generated API client', (connection) => connection.makeApiClient(CoreV1Api).listNamespace()],
    [
      'a Watch',
      (connection) =>
        new Promise((resolve) => {
          void new Watch(connection).watch('/api/v1/namespaces', {}, () => undefined, resolve);
        }).then((error) => {
          throw error;
        }),
    ],
  ];

  it.each(refusedPaths)('refuses a host name resolving to loopback in production, through %s, before any request', async (_, call) => {
    const connection = open(withHost('localhost'), production);
    const error = await call(connection).catch((caught: unknown) => caught);
    const refusal = findCause(error, EgressRefusedError);
    expect(refusal).toMatchObject({ host: 'localhost', address: '127.0.0.1', refusal: 'denied' });
    expect(refusal?.message).toBe('API server address not allowed: "localhost" resolves to an address in a range the egress policy denies');
    expect(server.requests).toEqual([]);
  });

  it('names only the host for the tenant: the reader\'s error starts with the refusal', async () => {
    const error = await createClusterReader(open(withHost('localhost'), production)).discover().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClusterAccessError);
    expect(error).toMatchObject({ kind: 'refused' });
    expect((error as Error).message).toBe(
      'API server address not allowed: "localhost" resolves to an address in a range the egress policy denies (discover /api/v1)',
    );
    expect((error as Error).message).not.toContain('127.0.0.1');
  });

  it.each([
    ['IPv6 loopback', '[::1]'],
    ['IPv4-mapped loopback', '[::ffff:127.0.0.1]'],
    ['IPv4-mapped loopback in hex', '[::ffff:7f00:1]'],
  ])('refuses %s literals in production', async (_, host) => {
    const refusal = findCause(await createClusterReader(open(withHost(host), production)).discover().catch((caught: unknown) => caught), EgressRefusedError);
    expect(refusal?.refusal).toBe('denied');
    expect(server.requests).toEqual([]);
  });

  it('an allow list admits only its ranges', async () => {
    const onlyTenNet = new EgressPolicy([{ address: '10.0.0.0', prefix: 8, family: 'ipv4' }], []);
    const refusal = findCause(await createClusterReader(open(server.kubeconfig, onlyTenNet)).discover().catch((caught: unknown) => caught), EgressRefusedError);
    expect(refusal).toMatchObject({ address: '127.0.0.1', refusal: 'not-allowed' });
    expect(refusal?.message).toBe('API server address not allowed: 127.0.0.1 is outside the ranges the egress policy allows');
    expect(server.requests).toEqual([]);

    const loopbackAllowed = new EgressPolicy([{ address: '127.0.0.0', prefix: 8, family: 'ipv4' }], []);
    expect((await createClusterReader(open(server.kubeconfig, loopbackAllowed)).discover()).length).toBeGreaterThan(0);
  });

  it('a connection is built from an admitted kubeconfig only', () => {
    expect(() => connectCluster(admitKubeconfig(EXEC_KUBECONFIG), TEST_EGRESS)).toThrow('users[0].user.exec is not allowed');
  });
});

function findCause<T extends Error>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 6; current = current.cause, depth++) {
    if (current instanceof type) return current;
  }
  return undefined;
}
