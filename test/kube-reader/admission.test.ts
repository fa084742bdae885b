/** Kubeconfig admission: one rule broken per input, the exact words of each refusal. */
import { describe, expect, it } from 'vitest';
import { admitKubeconfig, KubeconfigRefusedError, serializeKubeconfig, type AdmittedKubeconfig } from '../../src/kube/admission.ts';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const STATIC_ONLY = 'vsnap accepts only static credentials (token, client-certificate-data/client-key-data, username/password)';
const USER_KEYS = `a user may have only token, client-certificate-data, client-key-data, username and password; ${STATIC_ONLY}`;
const CLUSTER_KEYS = 'a cluster may have only server, certificate-authority-data, insecure-skip-tls-verify and tls-server-name';

type Doc = Record<string, unknown> & {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: Record<string, unknown> }[];
};

/** A kubeconfig admission accepts: what `kubectl config view --raw` prints for a token user. */
function valid(): Doc {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: 'vc', cluster: { server: 'https://vc.example.com:6443', 'certificate-authority-data': CA } }],
    users: [{ name: 'admin', user: { token: 'abc' } }],
    contexts: [{ name: 'vc', context: { cluster: 'vc', user: 'admin', namespace: 'default' } }],
    'current-context': 'vc',
  };
}

const text = (doc: unknown) => JSON.stringify(doc);

function refusal(input: string): string {
  try {
    admitKubeconfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(KubeconfigRefusedError);
    return (error as Error).message;
  }
  throw new Error('admitted');
}

function changed(change: (doc: Doc) => void): string {
  const doc = valid();
  change(doc);
  return text(doc);
}

const user = (doc: Doc) => doc.users[0]!.user;
const cluster = (doc: Doc) => doc.clusters[0]!.cluster;

describe('admitKubeconfig accepts', () => {
  it('static credentials of the current context, as an AdmittedKubeconfig', () => {
    expect(admitKubeconfig(text(valid()))).toEqual<AdmittedKubeconfig>({
      contextName: 'vc',
      cluster: { name: 'vc', server: 'https://vc.example.com:6443', certificateAuthorityData: CA, insecureSkipTlsVerify: false, tlsServerName: undefined },
      user: { name: 'admin', token: 'abc', clientCertificateData: undefined, clientKeyData: undefined, username: undefined, password: undefined },
    });
  });

  it('YAML as kubectl writes it, extensions ignored', () => {
    const yaml = `apiVersion: v1
kind: Config
clusters:
- name: vc
  cluster:
    server: https://10.0.0.1:6443/
    tls-server-name: kubernetes.default.svc
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: x}
users:
- name: cert
  user:
    client-certificate-data: ${CA}
    client-key-data: ${CA}
contexts:
- name: vc
  context:
    cluster: vc
    user: cert
current-context: vc
`;
    const admitted = admitKubeconfig(yaml);
    expect(admitted.cluster).toEqual({ name: 'vc', server: 'https://10.0.0.1:6443', certificateAuthorityData: undefined, insecureSkipTlsVerify: false, tlsServerName: 'kubernetes.default.svc' });
    expect(admitted.user).toMatchObject({ clientCertificateData: CA, clientKeyData: CA, token: undefined });
  });

  it('username and password, and plain http with insecure-skip-tls-verify', () => {
    const admitted = admitKubeconfig(
      changed((doc) => {
        doc.users[0]!.user = { username: 'alice', password: 's3cret' };
        doc.clusters[0]!.cluster = { server: 'http://vc.example.com:8080', 'insecure-skip-tls-verify': true };
      }),
    );
    expect(admitted.user).toMatchObject({ username: 'alice', password: 's3cret' });
    expect(admitted.cluster).toMatchObject({ server: 'http://vc.example.com:8080', insecureSkipTlsVerify: true });
  });

  it('keeps only the current context\'s cluster and user', () => {
    const admitted = admitKubeconfig(
      changed((doc) => {
        doc.users.unshift({ name: 'other', user: { token: 'other-token' } });
        doc.clusters.push({ name: 'other', cluster: { server: 'https://other.example.com' } });
        doc.contexts.push({ name: 'other', context: { cluster: 'other', user: 'other' } });
      }),
    );
    expect(admitted.user.token).toBe('abc');
    expect(serializeKubeconfig(admitted)).not.toContain('other');
  });

  it('judges a server by the URL parser\'s own form: a numeric host is the address it means', () => {
    expect(admitKubeconfig(changed((doc) => (cluster(doc).server = 'https://2130706433:6443'))).cluster.server).toBe('https://127.0.0.1:6443');
  });

  it('reads back its own serialization to the same value', () => {
    const admitted = admitKubeconfig(changed((doc) => (doc.users[0]!.user = { username: 'a', password: 'b' })));
    expect(admitKubeconfig(serializeKubeconfig(admitted))).toEqual(admitted);
  });
});

describe('admitKubeconfig refuses', () => {
  it.each<[string, (doc: Doc) => void, string]>([
    ['exec', (doc) => (user(doc).exec = { command: 'touch', args: ['/tmp/proof'] }), `users[0].user.exec is not allowed: ${STATIC_ONLY}`],
    ['auth-provider', (doc) => (user(doc)['auth-provider'] = { name: 'gcp', config: { 'cmd-path': '/usr/bin/touch' } }), `users[0].user.auth-provider is not allowed: ${STATIC_ONLY}`],
    ['token-file', (doc) => (user(doc)['token-file'] = '/etc/passwd'), `users[0].user.token-file is not allowed: files of the vsnap host are not read; ${STATIC_ONLY}`],
    ['tokenFile', (doc) => (user(doc).tokenFile = '/etc/passwd'), `users[0].user.tokenFile is not allowed: files of the vsnap host are not read; ${STATIC_ONLY}`],
    ['client-certificate', (doc) => (user(doc)['client-certificate'] = '/etc/ssl/cert.pem'), 'users[0].user.client-certificate is not allowed: files of the vsnap host are not read; give client-certificate-data'],
    ['client-key', (doc) => (user(doc)['client-key'] = '/etc/ssl/key.pem'), 'users[0].user.client-key is not allowed: files of the vsnap host are not read; give client-key-data'],
    ['certificate-authority', (doc) => (cluster(doc)['certificate-authority'] = '/etc/ssl/ca.pem'), 'clusters[0].cluster.certificate-authority is not allowed: files of the vsnap host are not read; give certificate-authority-data'],
    ['proxy-url', (doc) => (cluster(doc)['proxy-url'] = 'socks5://10.0.0.9:1080'), 'clusters[0].cluster.proxy-url is not allowed: vsnap connects to API servers directly, never through a proxy'],
    ['an unknown user key (impersonation)', (doc) => (user(doc).as = 'system:admin'), `users[0].user.as is not allowed: unknown key; ${USER_KEYS}`],
    ['an unknown cluster key', (doc) => (cluster(doc)['disable-compression'] = true), `clusters[0].cluster.disable-compression is not allowed: unknown key; ${CLUSTER_KEYS}`],
    ['an unknown context key', (doc) => (doc.contexts[0]!.context.cmd = 'x'), 'contexts[0].context.cmd is not allowed: unknown key; a context may have only cluster, user and namespace'],
    ['an unknown key beside name', (doc) => ((doc.users[0] as Record<string, unknown>).exec = {}), 'users[0].exec is not allowed: unknown key; an entry has only name and user'],
    ['an unknown top-level key', (doc) => (doc.plugins = {}), 'plugins is not allowed: unknown key'],
    [
      'exec in a user the current context does not use',
      (doc) => doc.users.push({ name: 'unused', user: { exec: { command: 'touch' } } }),
      `users[1].user.exec is not allowed: ${STATIC_ONLY}`,
    ],
    [
      'a proxy in a cluster the current context does not use',
      (doc) => doc.clusters.push({ name: 'unused', cluster: { server: 'https://x.example.com', 'proxy-url': 'http://10.0.0.9' } }),
      'clusters[1].cluster.proxy-url is not allowed: vsnap connects to API servers directly, never through a proxy',
    ],
    ['a key that is no identifier, quoted', (doc) => (user(doc)['a\nb'] = 1), `users[0].user.["a\\nb"] is not allowed: unknown key; ${USER_KEYS}`],
  ])('%s', (_, change, message) => {
    expect(refusal(changed(change))).toBe(message);
  });

  it.each<[string, string, string]>([
    ['bad YAML', 'clusters: [\n  - a\nusers: {', 'is not valid YAML: '],
    ['a YAML list', '- a\n- b\n', 'must be a YAML mapping (apiVersion, clusters, users, contexts, current-context)'],
    ['a YAML scalar', 'just text', 'must be a YAML mapping (apiVersion, clusters, users, contexts, current-context)'],
    ['a YAML null', 'null\n', 'must be a YAML mapping (apiVersion, clusters, users, contexts, current-context)'],
    ['a custom tag', 'apiVersion: !!js/function "function () {}"\n', 'is not valid YAML: '],
    ['a duplicated key', 'apiVersion: v1\napiVersion: v2\n', 'is not valid YAML: duplicated mapping key at line 2, column 1'],
  ])('%s', (_, input, start) => {
    expect(refusal(input).startsWith(start)).toBe(true);
  });

  it('a document over 1 MiB', () => {
    expect(refusal(changed((doc) => (user(doc).token = 'x'.repeat(1024 * 1024))))).toBe('is larger than 1024 KiB');
  });

  it.each<[string, (doc: Doc) => void, string]>([
    ['no current-context', (doc) => delete doc['current-context'], 'has no current-context'],
    ['a current-context that is no string', (doc) => (doc['current-context'] = ['vc']), 'current-context must be a string'],
    ['a current-context naming no context', (doc) => (doc['current-context'] = 'gone'), 'current-context "gone" names no context in contexts'],
    ['a context naming no cluster', (doc) => (doc.contexts[0]!.context.cluster = 'gone'), 'contexts[0].context.cluster "gone" names no cluster in clusters'],
    ['a context naming no user', (doc) => (doc.contexts[0]!.context.user = 'gone'), 'contexts[0].context.user "gone" names no user in users'],
    ['a context without a cluster', (doc) => delete doc.contexts[0]!.context.cluster, 'contexts[0].context names no cluster'],
    ['clusters that is no list', (doc) => ((doc as Record<string, unknown>).clusters = { vc: {} }), 'clusters must be a list'],
    ['an entry that is no mapping', (doc) => ((doc.users as unknown[])[0] = 'admin'), 'users[0] must be a mapping with name and user'],
    ['an entry that is null', (doc) => ((doc.clusters as unknown[])[0] = null), 'clusters[0] must be a mapping with name and cluster'],
    ['an entry that is a list', (doc) => ((doc.contexts as unknown[])[0] = ['vc']), 'contexts[0] must be a mapping with name and context'],
    ['an entry without a name', (doc) => ((doc.users[0] as Record<string, unknown>).name = ''), 'users[0].name must be a non-empty string'],
    ['no server', (doc) => delete cluster(doc).server, 'clusters[0].cluster.server is required'],
    ['a server that is no URL', (doc) => (cluster(doc).server = 'vc.example.com 6443'), 'clusters[0].cluster.server "vc.example.com 6443" is not a URL'],
    ['a server of an unknown scheme', (doc) => (cluster(doc).server = 'vc.example.com:6443'), 'clusters[0].cluster.server must be an https:// (or http://) URL'],
    ['a server of another scheme', (doc) => (cluster(doc).server = 'file:///etc/passwd'), 'clusters[0].cluster.server must be an https:// (or http://) URL'],
    ['credentials in the server URL', (doc) => (cluster(doc).server = 'https://u:p@vc.example.com'), 'clusters[0].cluster.server must not carry credentials; give them in the user entry'],
    ['a query in the server URL', (doc) => (cluster(doc).server = 'https://vc.example.com/?x=1'), 'clusters[0].cluster.server must not have a query or fragment'],
    ['plain http without insecure-skip-tls-verify', (doc) => (cluster(doc).server = 'http://vc.example.com'), 'clusters[0].cluster.server uses plain http; use https, or set insecure-skip-tls-verify: true to allow it'],
    ['insecure-skip-tls-verify that is no boolean', (doc) => (cluster(doc)['insecure-skip-tls-verify'] = 'yes'), 'clusters[0].cluster.insecure-skip-tls-verify must be true or false'],
    ['certificate-authority-data that is no base64', (doc) => (cluster(doc)['certificate-authority-data'] = 'not base64!'), 'clusters[0].cluster.certificate-authority-data must be base64'],
    ['a tls-server-name that is no DNS name', (doc) => (cluster(doc)['tls-server-name'] = 'a b'), 'clusters[0].cluster.tls-server-name must be a DNS name'],
    ['a token that is no string', (doc) => (user(doc).token = 12345), 'users[0].user.token must be a string'],
    ['a token with a line break', (doc) => (user(doc).token = 'abc\r\nX-Injected: 1'), 'users[0].user.token must not contain line breaks or NUL'],
    ['a certificate without its key', (doc) => (doc.users[0]!.user = { 'client-certificate-data': CA }), 'users[0].user must have both client-certificate-data and client-key-data, or neither'],
    ['a username without a password', (doc) => (doc.users[0]!.user = { username: 'alice' }), 'users[0].user must have both username and password, or neither'],
    ['a token and a username', (doc) => (doc.users[0]!.user = { token: 't', username: 'a', password: 'b' }), 'users[0].user must have token or username/password, not both'],
  ])('%s', (_, change, message) => {
    expect(refusal(changed(change))).toBe(message);
  });

  it('a server URL over 2048 characters, without echoing it', () => {
    const server = `https://vc.example.com/${'a'.repeat(80 * 1024)}`;
    const message = refusal(changed((doc) => (cluster(doc).server = server)));
    expect(message).toBe(`clusters[0].cluster.server must be at most 2048 characters (got ${server.length})`);
  });

  it('a long server that is no URL, echoed cut', () => {
    const message = refusal(changed((doc) => (cluster(doc).server = `x${'b'.repeat(1000)}`)));
    expect(message).toBe(`clusters[0].cluster.server "x${'b'.repeat(63)}"… (1001 characters) is not a URL`);
  });
});

describe('admitKubeconfig, rule by rule at the edges', () => {
  it('refuses with a KubeconfigRefusedError by that name', () => {
    expect(() => admitKubeconfig('just text')).toThrow(expect.objectContaining({ name: 'KubeconfigRefusedError' }));
  });

  it('accepts extensions at the top, in a user and in a context, as kubectl writes them', () => {
    const admitted = admitKubeconfig(
      changed((doc) => {
        doc.extensions = [{ name: 'x', extension: {} }];
        user(doc).extensions = [{ name: 'x', extension: {} }];
        doc.contexts[0]!.context.extensions = [{ name: 'x', extension: {} }];
      }),
    );
    expect(admitted.user.token).toBe('abc');
  });

  it('takes a document of exactly 1 MiB, counted in bytes', () => {
    const padded = (bytes: number, filler = 'x') => {
      const base = `${text(valid())}\n#`;
      return base + filler.repeat(Math.floor((bytes - Buffer.byteLength(base)) / Buffer.byteLength(filler)));
    };
    expect(Buffer.byteLength(padded(1024 * 1024))).toBe(1024 * 1024);
    expect(admitKubeconfig(padded(1024 * 1024)).contextName).toBe('vc');
    expect(refusal(`${padded(1024 * 1024)}x`)).toBe('is larger than 1024 KiB');
    // Fewer than 1 MiB characters, more than 1 MiB bytes.
    expect(refusal(`${padded(1024 * 1024, 'é')}é`)).toBe('is larger than 1024 KiB');
  });

  it('nests YAML at most 32 deep, the document itself and its value counting', () => {
    const nested = (depth: number) => `${text(valid()).slice(0, -1)},"extensions":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(admitKubeconfig(nested(30)).contextName).toBe('vc');
    expect(refusal(nested(31))).toMatch(/^is not valid YAML: nesting exceeded maxDepth \(32\) at line 1, column \d+$/);
  });

  it.each<[string, (doc: Doc) => void, string]>([
    ['a null current-context', (doc) => (doc['current-context'] = null), 'has no current-context'],
    ['an empty current-context', (doc) => (doc['current-context'] = ''), 'has no current-context'],
    ['a context without a user', (doc) => delete doc.contexts[0]!.context.user, 'contexts[0].context names no user'],
    ['a context whose cluster is no string', (doc) => (doc.contexts[0]!.context.cluster = 5), 'contexts[0].context.cluster must be a string'],
    ['a context whose user is no string', (doc) => (doc.contexts[0]!.context.user = ['admin']), 'contexts[0].context.user must be a string'],
    ['no clusters at all', (doc) => delete (doc as Record<string, unknown>).clusters, 'contexts[0].context.cluster "vc" names no cluster in clusters'],
    ['clusters: null', (doc) => ((doc as Record<string, unknown>).clusters = null), 'contexts[0].context.cluster "vc" names no cluster in clusters'],
    ['contexts: null', (doc) => ((doc as Record<string, unknown>).contexts = null), 'current-context "vc" names no context in contexts'],
    ['a user body that is a list', (doc) => ((doc.users[0] as Record<string, unknown>).user = []), 'users[0].user must be a mapping'],
    ['a cluster body that is a string', (doc) => ((doc.clusters[0] as Record<string, unknown>).cluster = 'https://vc.example.com'), 'clusters[0].cluster must be a mapping'],
    ['a token over 64 KiB', (doc) => (user(doc).token = 't'.repeat(64 * 1024 + 1)), 'users[0].user.token must be at most 65536 characters'],
    ['a tls-server-name over 253 characters', (doc) => (cluster(doc)['tls-server-name'] = 'a'.repeat(254)), 'clusters[0].cluster.tls-server-name must be at most 253 characters'],
    ['a tls-server-name ending in "."', (doc) => (cluster(doc)['tls-server-name'] = 'vc.example.com.'), 'clusters[0].cluster.tls-server-name must be a DNS name'],
    ['a server of 2049 characters', (doc) => (cluster(doc).server = `https://vc.example.com/${'a'.repeat(2049 - 23)}`), 'clusters[0].cluster.server must be at most 2048 characters (got 2049)'],
    ['a user in the server URL', (doc) => (cluster(doc).server = 'https://u@vc.example.com'), 'clusters[0].cluster.server must not carry credentials; give them in the user entry'],
    ['a password in the server URL', (doc) => (cluster(doc).server = 'https://:p@vc.example.com'), 'clusters[0].cluster.server must not carry credentials; give them in the user entry'],
    ['a fragment in the server URL', (doc) => (cluster(doc).server = 'https://vc.example.com#x'), 'clusters[0].cluster.server must not have a query or fragment'],
    ['a host name with "_"', (doc) => (cluster(doc).server = 'https://vc_1.example.com'), 'clusters[0].cluster.server has an invalid host name'],
    ['a host name starting with "-"', (doc) => (cluster(doc).server = 'https://-vc.example.com'), 'clusters[0].cluster.server has an invalid host name'],
    ['a host name ending with "-"', (doc) => (cluster(doc).server = 'https://vc.example.com-'), 'clusters[0].cluster.server has an invalid host name'],
    ['base64 with a character before it', (doc) => (cluster(doc)['certificate-authority-data'] = `!${CA}`), 'clusters[0].cluster.certificate-authority-data must be base64'],
    ['base64 with three "="', (doc) => (cluster(doc)['certificate-authority-data'] = 'QQ==='), 'clusters[0].cluster.certificate-authority-data must be base64'],
    ['a username with ":"', (doc) => (doc.users[0]!.user = { username: 'a:b', password: 'c' }), 'users[0].user.username must not contain ":"'],
    ['a password with NUL', (doc) => (doc.users[0]!.user = { username: 'a', password: 'b\u0000' }), 'users[0].user.password must not contain line breaks or NUL'],
    ['a username with a line feed', (doc) => (doc.users[0]!.user = { username: 'a\nb', password: 'c' }), 'users[0].user.username must not contain line breaks or NUL'],
  ])('refuses %s', (_, change, message) => {
    expect(refusal(changed(change))).toBe(message);
  });

  it.each<[string, (doc: Doc) => void, (admitted: AdmittedKubeconfig) => unknown, unknown]>([
    ['a token of exactly 64 KiB', (doc) => (user(doc).token = 't'.repeat(64 * 1024)), (a) => a.user.token?.length, 64 * 1024],
    ['a server of exactly 2048 characters', (doc) => (cluster(doc).server = `https://vc.example.com/${'a'.repeat(2048 - 23)}`), (a) => a.cluster.server.length, 2048],
    ['a one-letter host and tls-server-name', (doc) => Object.assign(cluster(doc), { server: 'https://a:6443', 'tls-server-name': 'b' }), (a) => [a.cluster.server, a.cluster.tlsServerName], ['https://a:6443', 'b']],
    ['an IPv6 server', (doc) => (cluster(doc).server = 'https://[fd00::1]:6443/'), (a) => a.cluster.server, 'https://[fd00::1]:6443'],
    ['base64 wrapped over lines, as PEM tools write it', (doc) => (cluster(doc)['certificate-authority-data'] = `${CA.slice(0, 20)}\n  ${CA.slice(20, 40)}\r\n\t${CA.slice(40)}`), (a) => a.cluster.certificateAuthorityData, CA],
    ['base64 without padding, with one "=", with two', (doc) => Object.assign(user(doc), { token: undefined, 'client-certificate-data': 'QUJD', 'client-key-data': 'QUI=' }), (a) => [a.user.clientCertificateData, a.user.clientKeyData], ['QUJD', 'QUI=']],
    ['an empty token beside username and password: no token', (doc) => (doc.users[0]!.user = { token: '', username: 'a', password: 'b' }), (a) => [a.user.token, a.user.username], [undefined, 'a']],
    ['a null token beside username and password: no token', (doc) => (doc.users[0]!.user = { token: null, username: 'a', password: 'b' }), (a) => [a.user.token, a.user.username], [undefined, 'a']],
    ['empty base64 fields: none', (doc) => Object.assign(cluster(doc), { 'certificate-authority-data': '' }), (a) => a.cluster.certificateAuthorityData, undefined],
  ])('accepts %s', (_, change, read, expected) => {
    expect(read(admitKubeconfig(changed(change)))).toEqual(expected);
  });

  it('a YAML error says where it is', () => {
    expect(refusal('apiVersion: v1\nclusters: [\n')).toMatch(/^is not valid YAML: .+ at line \d+, column \d+$/);
  });
});

describe('serializeKubeconfig', () => {
  it('writes the admitted kubeconfig as a kubeconfig document, nothing more', () => {
    const admitted = admitKubeconfig(
      changed((doc) => {
        doc.clusters[0]!.cluster = { server: 'http://vc.example.com:8080', 'insecure-skip-tls-verify': true, 'tls-server-name': 'vc.internal' };
        doc.users[0]!.user = { 'client-certificate-data': CA, 'client-key-data': CA };
      }),
    );
    expect(JSON.parse(serializeKubeconfig(admitted))).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'vc', cluster: { server: 'http://vc.example.com:8080', 'insecure-skip-tls-verify': true, 'tls-server-name': 'vc.internal' } }],
      users: [{ name: 'admin', user: { 'client-certificate-data': CA, 'client-key-data': CA } }],
      contexts: [{ name: 'vc', context: { cluster: 'vc', user: 'admin' } }],
      'current-context': 'vc',
    });
    expect(admitKubeconfig(serializeKubeconfig(admitted))).toEqual(admitted);
  });

  it('leaves insecure-skip-tls-verify out when it is false', () => {
    expect(JSON.parse(serializeKubeconfig(admitKubeconfig(text(valid())))).clusters[0].cluster).toEqual({ server: 'https://vc.example.com:6443', 'certificate-authority-data': CA });
  });
});
