/**
 * A project admin cannot make vsnap reach an address the operator did not
 * allow: literal addresses are refused at registration, host names after DNS
 * resolution when a snapshot connects, and no request reaches the address.
 * Run against services with production defaults, development defaults and an
 * allow list, through GraphQL over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { EgressPolicy, parseAddressRanges } from '../../src/kube/egress.ts';
import { isFinished, useEngineRig, type EngineRig } from '../engine/harness.ts';
import { CreateSnapshotDocument, RegisterVirtualClusterDocument, UpdateVirtualClusterDocument } from '../generated/graphql.ts';
import { errorCodes, startTestApp, tokens, type TestApp } from '../support/app.ts';

const PROJECT = `egress-${process.pid}`;
const DENIED = 'is in a range the egress policy denies';

let counter = 0;
const uniqueName = () => `vc-${++counter}`;

/** The test server's kubeconfig pointed at another host, same port, same CA and token. */
function kubeconfigAt(rig: EngineRig, host: string): string {
  return rig.kube.kubeconfig.replace(rig.kube.url, rig.kube.url.replace('127.0.0.1', host));
}

function kubeconfigFor(server: string): string {
  return `{current-context: x, clusters: [{name: c, cluster: {server: '${server}'}}], users: [{name: u, user: {token: t}}], contexts: [{name: x, context: {cluster: c, user: u}}]}`;
}

async function register(app: TestApp, inline: string, token: string, extra: Record<string, unknown> = {}) {
  return app.request(RegisterVirtualClusterDocument, { input: { projectId: PROJECT, name: uniqueName(), kubeconfig: { inline }, ...extra } }, token);
}

function expectAddressRefused(response: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }, message: string): void {
  expect(errorCodes(response)).toEqual(['VALIDATION']);
  expect(response.errors?.[0]?.extensions?.field).toBe('kubeconfig.inline');
  expect(response.errors?.[0]?.message).toBe(`kubeconfig.inline: API server address not allowed: ${message}`);
}

describe('production defaults', () => {
  let rig: EngineRig;
  let tenant: string;
  useEngineRig((started) => (rig = started), { kubeEgress: EgressPolicy.defaults('production') });
  beforeAll(async () => {
    tenant = await tokens.projectAdmin(PROJECT);
  });

  it.each([
    ['IPv4 loopback', 'https://127.0.0.1:6443', `127.0.0.1 ${DENIED}`],
    ['loopback written as a number', 'https://2130706433:6443', `127.0.0.1 ${DENIED}`],
    ['IPv6 loopback', 'https://[::1]:6443', `::1 ${DENIED}`],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]:6443', `::ffff:7f00:1 ${DENIED}`],
    ['the metadata address', 'http://169.254.169.254', `169.254.169.254 ${DENIED}`],
    ['the unspecified address', 'https://0.0.0.0:6443', `0.0.0.0 ${DENIED}`],
    ['IPv6 link-local', 'https://[fe80::1]:6443', `fe80::1 ${DENIED}`],
  ])('refuses %s at registration, writing nothing', async (_, server, message) => {
    const before = await rig.app.orm.em.fork().count(VirtualClusterSchema, {});
    const inline = server.startsWith('http:') ? kubeconfigFor(server).replace('server:', 'insecure-skip-tls-verify: true, server:') : kubeconfigFor(server);
    expectAddressRefused(await register(rig.app, inline, tenant), message);
    expect(await rig.app.orm.em.fork().count(VirtualClusterSchema, {})).toBe(before);
  });

  it('refuses a literal loopback address in an update too', async () => {
    const registered = await register(rig.app, kubeconfigFor('https://10.20.30.40:6443'), tenant);
    expect(registered.errors).toBeUndefined();
    const response = await rig.app.request(
      UpdateVirtualClusterDocument,
      { id: registered.data!.registerVirtualCluster.id, input: { kubeconfig: { inline: kubeconfigFor('https://127.0.0.1:6443') } } },
      tenant,
    );
    expectAddressRefused(response, `127.0.0.1 ${DENIED}`);
  });

  it.each([false, true])(
    'refuses "localhost" (resolving to 127.0.0.1) when the snapshot connects, before any request (volume snapshots %s)',
    async (volumeSnapshotsEnabled) => {
      const registered = await register(rig.app, kubeconfigAt(rig, 'localhost'), tenant, { autoSnapshotPolicy: { enabled: false, volumeSnapshotsEnabled } });
      // A host name is judged when connecting: its addresses can change after registration (DNS rebinding).
      expect(registered.errors).toBeUndefined();
      rig.kube.requests.length = 0;
      const created = await rig.app.request(CreateSnapshotDocument, { virtualClusterId: registered.data!.registerVirtualCluster.id }, tenant);
      const snapshot = await rig.waitFor(created.data!.createSnapshot.id, isFinished);
      expect(snapshot.status).toBe('FAILED');
      expect(snapshot.message).toBe('API server address not allowed: "localhost" resolves to an address in a range the egress policy denies (discover /api/v1)');
      // The tenant is not told what their host name resolved to.
      expect(snapshot.message).not.toContain('127.0.0.1');
      expect(rig.kube.requests).toEqual([]);
    },
  );
});

describe('development defaults and an allow list', () => {
  let development: TestApp;
  let allowList: TestApp;
  let tenant: string;

  beforeAll(async () => {
    tenant = await tokens.projectAdmin(PROJECT);
    development = await startTestApp();
    allowList = await startTestApp({ kubeEgress: new EgressPolicy(parseAddressRanges('10.0.0.0/8, fd00::/8').ranges, EgressPolicy.defaults('production').deny) });
  });
  afterAll(async () => {
    await development?.close();
    await allowList?.close();
  });

  it('development keeps loopback open for the local test server but refuses the metadata address', async () => {
    expect((await register(development, kubeconfigFor('https://127.0.0.1:6443'), tenant)).errors).toBeUndefined();
    expectAddressRefused(await register(development, kubeconfigFor('https://169.254.169.254'), tenant), `169.254.169.254 ${DENIED}`);
    expectAddressRefused(await register(development, kubeconfigFor('https://[fd00:ec2::254]'), tenant), `fd00:ec2::254 ${DENIED}`);
    expectAddressRefused(await register(development, kubeconfigFor('https://100.100.100.200'), tenant), `100.100.100.200 ${DENIED}`);
  });

  it('an allow list admits only its CIDRs', async () => {
    expect((await register(allowList, kubeconfigFor('https://10.1.2.3:6443'), tenant)).errors).toBeUndefined();
    expect((await register(allowList, kubeconfigFor('https://[fd00::1]:6443'), tenant)).errors).toBeUndefined();
    expectAddressRefused(await register(allowList, kubeconfigFor('https://192.168.1.10:6443'), tenant), '192.168.1.10 is outside the ranges the egress policy allows');
    expectAddressRefused(await register(allowList, kubeconfigFor('https://127.0.0.1:6443'), tenant), `127.0.0.1 ${DENIED}`);
  });
});

describe('configuration', () => {
  const production = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) };

  it('production denies loopback, link-local, unspecified and metadata addresses by default', () => {
    const { egress } = loadConfig(production).kubeconfigs;
    expect(['127.0.0.1', '::1', '169.254.169.254', 'fe80::1', '0.0.0.0', '::', 'fd00:ec2::254', '100.100.100.200'].filter((a) => egress.allows(a))).toEqual([]);
    expect(egress.allows('10.0.0.1')).toBe(true);
  });

  it('development allows loopback; the engine and the API share one policy', () => {
    const config = loadConfig({});
    expect(config.kubeconfigs.egress.allows('127.0.0.1')).toBe(true);
    expect(config.kubeconfigs.egress.allows('169.254.169.254')).toBe(false);
    expect(config.engine.kubeEgress).toBe(config.kubeconfigs.egress);
  });

  it('KUBE_API_DENY_CIDRS replaces the default; none empties it; KUBE_API_ALLOW_CIDRS restricts', () => {
    const replaced = loadConfig({ ...production, KUBE_API_DENY_CIDRS: '10.9.0.0/16' }).kubeconfigs.egress;
    expect([replaced.allows('127.0.0.1'), replaced.allows('10.9.1.1')]).toEqual([true, false]);
    expect(loadConfig({ ...production, KUBE_API_DENY_CIDRS: 'none' }).kubeconfigs.egress.allows('169.254.169.254')).toBe(true);
    const allowed = loadConfig({ ...production, KUBE_API_ALLOW_CIDRS: '10.0.0.0/8,2001:db8::/32' }).kubeconfigs.egress;
    expect([allowed.allows('10.1.1.1'), allowed.allows('2001:db8::5'), allowed.allows('192.168.0.1'), allowed.allows('::ffff:192.168.0.1')]).toEqual([true, true, false, false]);
  });

  it.each([
    ['KUBE_API_DENY_CIDRS', '10.0.0.0/33'],
    ['KUBE_API_ALLOW_CIDRS', 'intranet.example.com'],
  ])('a bad %s stops start-up naming the variable and the entry', (variable, value) => {
    const error = (() => {
      try {
        loadConfig({ ...production, [variable]: `10.0.0.1, ${value}` });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([`${variable}: ${JSON.stringify(value)} is not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`]);
  });
});
