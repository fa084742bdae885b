/**
 * A project admin's kubeconfig can run no program, read no file of the vsnap
 * host and carry no credential but static ones: tried through GraphQL over
 * HTTP against a running service with the snapshot engine, inline and through
 * a mounted secret, and with remote answers that try to get themselves shown.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { isFinished, useEngineRig, type EngineRig } from '../engine/harness.ts';
import {
  CreateSnapshotDocument,
  RegisterVirtualClusterDocument,
  UpdateVirtualClusterDocument,
  type RegisterVirtualClusterInput,
} from '../generated/graphql.ts';
import { errorCodes, tokens } from '../support/app.ts';

const STATIC_ONLY = 'vsnap accepts only static credentials (token, client-certificate-data/client-key-data, username/password)';
const PROJECT = `tenant-${process.pid}`;
const OTHER_PROJECT = `other-${process.pid}`;
/** KUBECONFIG_SECRETS_DIR of the service under test: `<dir>/<project>/<secret>/<key>`. */
const secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsnap-secrets-'));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vsnap-attack-'));

let rig: EngineRig;
let tenant: string;
useEngineRig((started) => (rig = started), { kubeconfigSecretsDir: secretsDir });

beforeAll(async () => {
  tenant = await tokens.projectAdmin(PROJECT);
});
afterAll(() => {
  fs.rmSync(secretsDir, { recursive: true, force: true });
  fs.rmSync(scratch, { recursive: true, force: true });
});

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${++counter}`;
const countClusters = () => rig.app.orm.em.fork().count(VirtualClusterSchema, {});

function register(kubeconfig: RegisterVirtualClusterInput['kubeconfig'], extra: Partial<RegisterVirtualClusterInput> = {}, token = tenant) {
  return rig.app.request(RegisterVirtualClusterDocument, { input: { projectId: PROJECT, name: uniqueName('vc'), kubeconfig, ...extra } }, token);
}

async function registered(kubeconfig: RegisterVirtualClusterInput['kubeconfig'], extra: Partial<RegisterVirtualClusterInput> = {}, token = tenant) {
  const response = await register(kubeconfig, extra, token);
  expect(response.errors).toBeUndefined();
  return response.data!.registerVirtualCluster;
}

/** Takes a snapshot as the tenant and waits for its end. */
async function snapshotOf(clusterId: string, token = tenant) {
  const created = await rig.app.request(CreateSnapshotDocument, { virtualClusterId: clusterId }, token);
  expect(created.errors).toBeUndefined();
  return rig.waitFor(created.data!.createSnapshot.id, isFinished);
}

/** Places `content` where the service reads the secretRef `<secret>/<key>` of `project`. */
function mountSecret(project: string, secret: string, key: string, content: string): string {
  const dir = path.join(secretsDir, project, secret);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, key), content);
  return `${secret}/${key}`;
}

/** A kubeconfig around the test Kubernetes API server with `user` as the credentials. */
function kubeconfigWithUser(user: string, server = rig.kube.url): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: vc
  cluster:
    server: ${server}
    certificate-authority-data: ${Buffer.from(rig.kube.ca).toString('base64')}
users:
- name: tenant
  user:
${user.replace(/^/gm, '    ')}
contexts:
- name: vc
  context: {cluster: vc, user: tenant}
current-context: vc
`;
}

const proofFile = () => path.join(scratch, `proof-${randomBytes(6).toString('hex')}`);

function expectRefused(response: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }, message: string): void {
  expect(errorCodes(response)).toEqual(['VALIDATION']);
  expect(response.errors?.[0]?.extensions?.field).toBe('kubeconfig.inline');
  expect(response.errors?.[0]?.message).toBe(`kubeconfig.inline: ${message}`);
}

describe('plugins that run programs', () => {
  const attacks = (proof: string): [string, string, string][] => [
    [
      'exec (touch <proof>)',
      `exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: touch\n  args: [${proof}]\n  interactiveMode: Never`,
      `users[0].user.exec is not allowed: ${STATIC_ONLY}`,
    ],
    [
      'auth-provider gcp with cmd-path /usr/bin/touch',
      `auth-provider:\n  name: gcp\n  config:\n    cmd-path: /usr/bin/touch\n    cmd-args: ${proof}`,
      `users[0].user.auth-provider is not allowed: ${STATIC_ONLY}`,
    ],
  ];

  it.each(attacks('<proof>').map(([name], index) => [name, index]))('%s inline: VALIDATION naming the key, nothing written, nothing run', async (_, index) => {
    const proof = proofFile();
    const [, user, message] = attacks(proof)[index as number]!;
    const before = await countClusters();
    expectRefused(await register({ inline: kubeconfigWithUser(user) }), message);
    expect(await countClusters()).toBe(before);
    expect(fs.existsSync(proof)).toBe(false);
  });

  it.each(attacks('<proof>').map(([name], index) => [name, index]))('%s in a mounted secret: the snapshot FAILS with the same words, nothing runs', async (_, index) => {
    const proof = proofFile();
    const [, user, message] = attacks(proof)[index as number]!;
    const secretRef = mountSecret(PROJECT, uniqueName('plugin'), 'config', kubeconfigWithUser(user));
    const cluster = await registered({ secretRef });
    rig.kube.requests.length = 0;
    const snapshot = await snapshotOf(cluster.id);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(`kubeconfig secret ${JSON.stringify(secretRef)}: ${message}`);
    expect(fs.existsSync(proof)).toBe(false);
    expect(rig.kube.requests).toEqual([]);
  });

  it('an update to such a kubeconfig is refused and leaves the cluster as it was', async () => {
    const proof = proofFile();
    const cluster = await registered({ inline: rig.kube.kubeconfig });
    const response = await rig.app.request(
      UpdateVirtualClusterDocument,
      { id: cluster.id, input: { name: 'renamed', kubeconfig: { inline: kubeconfigWithUser(`exec:\n  command: touch\n  args: [${proof}]`) } } },
      tenant,
    );
    expectRefused(response, `users[0].user.exec is not allowed: ${STATIC_ONLY}`);
    const row = await rig.app.orm.em.fork().findOneOrFail(VirtualClusterSchema, { id: cluster.id });
    expect(row.name).toBe(cluster.name);
    expect((await snapshotOf(cluster.id)).status).toBe('COMPLETED');
    expect(fs.existsSync(proof)).toBe(false);
  });
});

describe('file references', () => {
  /** A server the tenant controls: records every connection and request. */
  let listener: http.Server;
  let listenerUrl: string;
  const seen = { connections: 0, requests: [] as { url?: string; authorization?: string }[] };

  beforeAll(async () => {
    listener = http.createServer((req, res) => {
      seen.requests.push({ url: req.url, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    listener.on('connection', () => seen.connections++);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  /** A file of the vsnap host holding a secret, as the development JWT secret is. */
  const secretFile = () => {
    const file = path.join(scratch, `signing-secret-${randomBytes(4).toString('hex')}`);
    fs.writeFileSync(file, 'JWT-SIGNING-SECRET-MARKER\n');
    return file;
  };

  const viaListener = (user: string) =>
    kubeconfigWithUser(user, listenerUrl).replace(/certificate-authority-data: .*\n/, 'insecure-skip-tls-verify: true\n');

  it('token-file pointing at the signing secret, server = the tenant\'s listener: VALIDATION, and the listener hears nothing', async () => {
    const file = secretFile();
    expectRefused(
      await register({ inline: viaListener(`token-file: ${file}`) }),
      `users[0].user.token-file is not allowed: files of the vsnap host are not read; ${STATIC_ONLY}`,
    );
    expectRefused(
      await register({ inline: viaListener(`tokenFile: ${file}`) }),
      `users[0].user.tokenFile is not allowed: files of the vsnap host are not read; ${STATIC_ONLY}`,
    );
    expect(seen).toEqual({ connections: 0, requests: [] });
  });

  it('the same through a mounted secret: the snapshot FAILS and the listener hears nothing', async () => {
    const secretRef = mountSecret(PROJECT, uniqueName('tokenfile'), 'config', viaListener(`token-file: ${secretFile()}`));
    const snapshot = await snapshotOf((await registered({ secretRef })).id);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(
      `kubeconfig secret ${JSON.stringify(secretRef)}: users[0].user.token-file is not allowed: files of the vsnap host are not read; ${STATIC_ONLY}`,
    );
    expect(seen).toEqual({ connections: 0, requests: [] });
  });

  it.each([
    ['client-certificate', 'user', 'client-certificate: /etc/ssl/certs/ca-certificates.crt\nclient-key-data: eA==', 'users[0].user.client-certificate is not allowed: files of the vsnap host are not read; give client-certificate-data'],
    ['client-key', 'user', 'client-certificate-data: eA==\nclient-key: /etc/ssl/private/key.pem', 'users[0].user.client-key is not allowed: files of the vsnap host are not read; give client-key-data'],
    ['certificate-authority', 'cluster', 'certificate-authority: /etc/ssl/certs/ca-certificates.crt', 'clusters[0].cluster.certificate-authority is not allowed: files of the vsnap host are not read; give certificate-authority-data'],
    ['proxy-url', 'cluster', 'proxy-url: socks5://127.0.0.1:1080', 'clusters[0].cluster.proxy-url is not allowed: vsnap connects to API servers directly, never through a proxy'],
  ])('%s: VALIDATION naming it', async (_, where, line, message) => {
    const kubeconfig =
      where === 'user'
        ? kubeconfigWithUser(line)
        : kubeconfigWithUser('token: t').replace('    certificate-authority-data:', `    ${line}\n    certificate-authority-data:`);
    const before = await countClusters();
    expectRefused(await register({ inline: kubeconfig }), message);
    expect(await countClusters()).toBe(before);
  });
});

describe('what is kept and when it is checked', () => {
  it('only the current context\'s user is kept: another user\'s token is never stored or sent', async () => {
    const kubeconfig = rig.kube.kubeconfig.replace('users:\n', 'users:\n- name: intruder\n  user:\n    token: OTHER-TOKEN-MARKER\n');
    const cluster = await registered({ inline: kubeconfig });
    const stored = await rig.app.orm.em.fork().findOneOrFail(VirtualClusterSchema, { id: cluster.id }, { populate: ['kubeconfigInline'] });
    const admitted = JSON.parse(rig.app.inlineBox!.open(stored.kubeconfigInline!)) as { users: { name: string }[] };
    expect(admitted.users.map((user) => user.name)).toEqual(['vsnap-test']);
    expect(JSON.stringify(admitted)).not.toContain('OTHER-TOKEN-MARKER');
    // The test server answers 401 to any other token: a completed snapshot means every request carried the current user's.
    expect((await snapshotOf(cluster.id)).status).toBe('COMPLETED');
  });

  it.each([
    ['bad YAML', 'clusters: [\n  - {name: a\nusers: {', 'kubeconfig.inline: is not valid YAML: '],
    ['no current-context', 'apiVersion: v1\nkind: Config\nclusters: []\n', 'kubeconfig.inline: has no current-context'],
    ['a context naming no cluster', 'current-context: x\ncontexts: [{name: x, context: {cluster: gone, user: u}}]\nusers: [{name: u, user: {token: t}}]\n', 'kubeconfig.inline: contexts[0].context.cluster "gone" names no cluster in clusters'],
  ])('%s is refused at registration, not at the first snapshot', async (_, inline, start) => {
    const before = await countClusters();
    const response = await register({ inline });
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]?.extensions?.field).toBe('kubeconfig.inline');
    expect(response.errors?.[0]?.message.startsWith(start)).toBe(true);
    expect(await countClusters()).toBe(before);
  });

  it('an 80 KB server URL is refused without being echoed, inline and from a mounted secret', async () => {
    const server = `https://vc.example.com/${'a'.repeat(80 * 1024)}`;
    const response = await register({ inline: kubeconfigWithUser('token: t', server) });
    expectRefused(response, `clusters[0].cluster.server must be at most 2048 characters (got ${server.length})`);

    const secretRef = mountSecret(PROJECT, uniqueName('long'), 'config', kubeconfigWithUser('token: t', server));
    const snapshot = await snapshotOf((await registered({ secretRef })).id);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(`kubeconfig secret ${JSON.stringify(secretRef)}: clusters[0].cluster.server must be at most 2048 characters (got ${server.length})`);
  });
});

describe('mounted secrets', () => {
  it('are read from the project\'s own directory: a tenant cannot name another project\'s secret', async () => {
    const secretRef = mountSecret(OTHER_PROJECT, 'their-kubeconfig', 'config', rig.kube.kubeconfig);
    // The other project's own cluster works...
    const theirs = await registered({ secretRef }, { projectId: OTHER_PROJECT }, await tokens.projectAdmin(OTHER_PROJECT));
    expect((await snapshotOf(theirs.id, await tokens.projectAdmin(OTHER_PROJECT))).status).toBe('COMPLETED');
    // ...ours, naming the same secret, finds nothing under our project, and is not told where vsnap looked.
    const snapshot = await snapshotOf((await registered({ secretRef })).id);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(`kubeconfig secret "their-kubeconfig/config" is not mounted for project ${PROJECT}`);
    expect(snapshot.message).not.toContain(secretsDir);
  });

  it('a symlink out of the project\'s directory is not followed', async () => {
    const outside = path.join(scratch, `outside-${randomBytes(4).toString('hex')}`);
    fs.writeFileSync(outside, rig.kube.kubeconfig);
    const dir = path.join(secretsDir, PROJECT, 'linked');
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync(outside, path.join(dir, 'config'));
    const snapshot = await snapshotOf((await registered({ secretRef: 'linked/config' })).id);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(`kubeconfig secret "linked/config" is not mounted for project ${PROJECT}`);
  });

  it('Kubernetes\' own links inside a secret volume are followed (key -> ..data/key)', async () => {
    const dir = path.join(secretsDir, PROJECT, 'projected');
    fs.mkdirSync(path.join(dir, '..2026_01_01_00_00_00.000000001'), { recursive: true });
    fs.writeFileSync(path.join(dir, '..2026_01_01_00_00_00.000000001', 'config'), rig.kube.kubeconfig);
    fs.symlinkSync('..2026_01_01_00_00_00.000000001', path.join(dir, '..data'));
    fs.symlinkSync('..data/config', path.join(dir, 'config'));
    expect((await snapshotOf((await registered({ secretRef: 'projected/config' })).id)).status).toBe('COMPLETED');
  });

  it.each([
    ['a hidden key', 'projected/..data', 'kubeconfig.secretRef: the key must not start with "."'],
    ['a dot key', 'projected/.', 'kubeconfig.secretRef: the key must not start with "."'],
    ['a parent directory', '../x', 'kubeconfig.secretRef: must be "<secret-name>/<key>", the secret name a lower-case DNS name'],
    ['a path', 'a/b/c', 'kubeconfig.secretRef: must be "<secret-name>/<key>", the secret name a lower-case DNS name'],
  ])('%s is refused at registration', async (_, secretRef, message) => {
    const response = await register({ secretRef });
    expect(errorCodes(response)).toEqual(['VALIDATION']);
    expect(response.errors?.[0]?.extensions?.field).toBe('kubeconfig.secretRef');
    expect(response.errors?.[0]?.message).toBe(message);
  });
});

describe('remote answers are never shown back', () => {
  const MARKER = 'SECRET-BODY-MARKER';
  let remote: http.Server;
  let remoteUrl: string;
  /** What the tenant's server answers to everything. */
  let answer: { status: number; type: string; body: string };

  beforeAll(async () => {
    remote = http.createServer((req, res) => {
      req.resume();
      res.writeHead(answer.status, `${MARKER} reason`, { 'content-type': answer.type }).end(answer.body);
    });
    await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
    remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => remote.close(() => resolve())));

  const status = (code: number, reason: string) =>
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `${MARKER} internal detail`, reason, code });

  it.each([
    // A 500 is retried (planning's requests and discovery's): the message ends with vsnap's count of them.
    [500, 'text/plain', `${MARKER}: stack trace of an internal service`, /^Kubernetes API "http:\/\/127\.0\.0\.1:\d+" answered 500 to discover \/api\/v1\. \d+ Kubernetes requests retried \d+ times \(500\)$/],
    [500, 'application/json', status(500, 'InternalError'), /^Kubernetes API "http:\/\/127\.0\.0\.1:\d+" answered 500 to discover \/api\/v1\. \d+ Kubernetes requests retried \d+ times \(500\)$/],
    [403, 'application/json', status(403, 'Forbidden'), /^Kubernetes API "http:\/\/127\.0\.0\.1:\d+": forbidden: cannot discover \/api\/v1 \(403 Forbidden\)$/],
    [200, 'text/html', `<html>${MARKER}</html>`, /^Kubernetes API "http:\/\/127\.0\.0\.1:\d+" sent invalid JSON to discover \/api\/v1$/],
    [200, 'application/json', JSON.stringify({ groupVersion: MARKER, resources: [{ name: MARKER }] }), /^Kubernetes API "http:\/\/127\.0\.0\.1:\d+" sent an answer to discover \/api\/v1 that is not the expected Kubernetes object$/],
  ])('a server answering %i (%s) with a marker: the snapshot message has our words only', async (code, type, body, expected) => {
    answer = { status: code, type, body };
    const kubeconfig = kubeconfigWithUser('token: t', remoteUrl).replace(/certificate-authority-data: .*\n/, 'insecure-skip-tls-verify: true\n');
    const cluster = await registered({ inline: kubeconfig }, { autoSnapshotPolicy: { enabled: false, volumeSnapshotsEnabled: true } });
    const snapshot = await snapshotOf(cluster.id);
    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toMatch(expected);
    expect(JSON.stringify(snapshot)).not.toContain(MARKER);
  });
});
