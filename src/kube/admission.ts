/**
 * Kubeconfig admission: what a tenant's kubeconfig may say before vsnap uses
 * it. Only static credentials are admitted — a kubeconfig can otherwise make
 * client-node run a program (`exec`, `auth-provider`), read a file of the vsnap
 * host and send it to the tenant's server (`token-file`, `client-key`, ...), or
 * tunnel through a proxy. The check is an allow-list of the keys kubectl knows,
 * applied to every cluster and user entry, whether the current context uses it
 * or not; only the current context's cluster and user are kept.
 */
import { isIP } from 'node:net';
import { load } from 'js-yaml';
import { quoted } from '../errors.ts';

/** What vsnap keeps of a kubeconfig: the current context's cluster and user, static credentials only. */
export interface AdmittedKubeconfig {
  contextName: string;
  cluster: AdmittedCluster;
  user: AdmittedUser;
}

export interface AdmittedCluster {
  name: string;
  server: string;
  /** Base64 of the PEM bundle that signs the server's certificate. */
  certificateAuthorityData?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
}

/** At most one of token and username/password; certificate and key data come together. */
export interface AdmittedUser {
  name: string;
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  username?: string;
  password?: string;
}

/** A kubeconfig vsnap does not use; `message` names the key and where it is, in words meant for the tenant. */
export class KubeconfigRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigRefusedError';
  }
}

export const MAX_KUBECONFIG_BYTES = 1024 * 1024;
const MAX_SERVER_LENGTH = 2048;
const MAX_CREDENTIAL_LENGTH = 64 * 1024;

const STATIC_ONLY = 'vsnap accepts only static credentials (token, client-certificate-data/client-key-data, username/password)';

/** Keys kubectl knows that vsnap refuses, with the reason the tenant sees. */
const REFUSED_USER_KEYS: Record<string, string> = {
  exec: STATIC_ONLY,
  'auth-provider': STATIC_ONLY,
  'token-file': `files of the vsnap host are not read; ${STATIC_ONLY}`,
  tokenFile: `files of the vsnap host are not read; ${STATIC_ONLY}`,
  'client-certificate': 'files of the vsnap host are not read; give client-certificate-data',
  'client-key': 'files of the vsnap host are not read; give client-key-data',
};
const REFUSED_CLUSTER_KEYS: Record<string, string> = {
  'certificate-authority': 'files of the vsnap host are not read; give certificate-authority-data',
  'proxy-url': 'vsnap connects to API servers directly, never through a proxy',
};

const TOP_LEVEL_KEYS = new Set(['apiVersion', 'kind', 'preferences', 'clusters', 'users', 'contexts', 'current-context', 'extensions']);
const CLUSTER_KEYS = new Set(['server', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions']);
const USER_KEYS = new Set(['token', 'client-certificate-data', 'client-key-data', 'username', 'password', 'extensions']);
const CONTEXT_KEYS = new Set(['cluster', 'user', 'namespace', 'extensions']);

type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses and checks a kubeconfig; throws KubeconfigRefusedError with the first
 * problem found. Every entry is checked for refused and unknown keys before the
 * current context is resolved, so a plugin in an unused entry is refused too.
 */
export function admitKubeconfig(text: string): AdmittedKubeconfig {
  if (Buffer.byteLength(text, 'utf8') > MAX_KUBECONFIG_BYTES) refuse(`is larger than ${MAX_KUBECONFIG_BYTES / 1024} KiB`);
  const document = parseYaml(text);
  checkKeys(document, TOP_LEVEL_KEYS, '', () => 'unknown key');

  const clusters = namedEntries(document, 'clusters', 'cluster', CLUSTER_KEYS, REFUSED_CLUSTER_KEYS, 'a cluster may have only server, certificate-authority-data, insecure-skip-tls-verify and tls-server-name');
  const users = namedEntries(document, 'users', 'user', USER_KEYS, REFUSED_USER_KEYS, `a user may have only token, client-certificate-data, client-key-data, username and password; ${STATIC_ONLY}`);
  const contexts = namedEntries(document, 'contexts', 'context', CONTEXT_KEYS, {}, 'a context may have only cluster, user and namespace');

  const current = document['current-context'];
  if (current === undefined || current === null || current === '') refuse('has no current-context');
  if (typeof current !== 'string') refuse('current-context must be a string');
  const context = contexts.find((entry) => entry.name === current);
  if (!context) refuse(`current-context ${quoted(current)} names no context in contexts`);
  const clusterName = stringField(context.body, 'cluster', `${context.at}.context`);
  const userName = stringField(context.body, 'user', `${context.at}.context`);
  if (clusterName === undefined) refuse(`${context.at}.context names no cluster`);
  if (userName === undefined) refuse(`${context.at}.context names no user`);
  const cluster = clusters.find((entry) => entry.name === clusterName);
  if (!cluster) refuse(`${context.at}.context.cluster ${quoted(clusterName)} names no cluster in clusters`);
  const user = users.find((entry) => entry.name === userName);
  if (!user) refuse(`${context.at}.context.user ${quoted(userName)} names no user in users`);

  return { contextName: current, cluster: admitCluster(cluster), user: admitUser(user) };
}

function refuse(problem: string): never {
  throw new KubeconfigRefusedError(problem);
}

function parseYaml(text: string): Mapping {
  let document: unknown;
  try {
    // The core schema builds plain data only: no functions, no custom types.
    document = load(text, { maxDepth: 32 });
  } catch (error) {
    const reason = error instanceof Error && 'reason' in error && typeof error.reason === 'string' ? error.reason : 'unreadable';
    const mark = error instanceof Error && 'mark' in error && isMapping(error.mark) ? error.mark : undefined;
    const where = mark && typeof mark.line === 'number' && typeof mark.column === 'number' ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
    refuse(`is not valid YAML: ${reason}${where}`);
  }
  if (!isMapping(document)) refuse('must be a YAML mapping (apiVersion, clusters, users, contexts, current-context)');
  return document;
}

/** Refuses the first key of `mapping` outside `allowed`: with its own reason when kubectl knows it, else `unknown`. */
function checkKeys(mapping: Mapping, allowed: ReadonlySet<string>, at: string, reasonFor: (key: string) => string): void {
  for (const key of Object.keys(mapping)) {
    if (!allowed.has(key)) refuse(`${at ? `${at}.` : ''}${keyLabel(key)} is not allowed: ${reasonFor(key)}`);
  }
}

/** A key as a message shows it: plain when it looks like a key, quoted and capped otherwise. */
function keyLabel(key: string): string {
  return /^[A-Za-z][-A-Za-z0-9_]{0,63}$/.test(key) ? key : `[${quoted(key)}]`;
}

interface NamedEntry {
  name: string;
  /** Where the entry is, for messages: `users[0]`. */
  at: string;
  body: Mapping;
}

/** `clusters`, `users` or `contexts`: a list of `{name, <kind>: {...}}`, each body checked against the allow-list. */
function namedEntries(
  document: Mapping,
  list: 'clusters' | 'users' | 'contexts',
  kind: 'cluster' | 'user' | 'context',
  allowed: ReadonlySet<string>,
  refused: Record<string, string>,
  unknownReason: string,
): NamedEntry[] {
  const value = document[list];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) refuse(`${list} must be a list`);
  return value.map((entry: unknown, index): NamedEntry => {
    const at = `${list}[${index}]`;
    if (!isMapping(entry)) refuse(`${at} must be a mapping with name and ${kind}`);
    checkKeys(entry, new Set(['name', kind]), at, () => `unknown key; an entry has only name and ${kind}`);
    const body = entry[kind] ?? {};
    if (!isMapping(body)) refuse(`${at}.${kind} must be a mapping`);
    checkKeys(body, allowed, `${at}.${kind}`, (key) => refused[key] ?? `unknown key; ${unknownReason}`);
    const name = entry.name;
    if (typeof name !== 'string' || name === '') refuse(`${at}.name must be a non-empty string`);
    return { name, at, body };
  });
}

function stringField(body: Mapping, key: string, at: string, maxLength = MAX_CREDENTIAL_LENGTH): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') refuse(`${at}.${key} must be a string`);
  if (value.length > maxLength) refuse(`${at}.${key} must be at most ${maxLength} characters`);
  return value === '' ? undefined : value;
}

function base64Field(body: Mapping, key: string, at: string): string | undefined {
  const value = stringField(body, key, at)?.replace(/\s+/g, '');
  if (value !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) refuse(`${at}.${key} must be base64`);
  return value || undefined;
}

function admitCluster({ name, at, body }: NamedEntry): AdmittedCluster {
  const where = `${at}.cluster`;
  const server = stringField(body, 'server', where, Number.MAX_SAFE_INTEGER);
  if (server === undefined) refuse(`${where}.server is required`);
  if (server.length > MAX_SERVER_LENGTH) refuse(`${where}.server must be at most ${MAX_SERVER_LENGTH} characters (got ${server.length})`);
  const skip = body['insecure-skip-tls-verify'] ?? false;
  if (typeof skip !== 'boolean') refuse(`${where}.insecure-skip-tls-verify must be true or false`);
  const url = serverUrl(server, where);
  // client-node refuses plain HTTP without skip-verify at request time; say so up front.
  if (url.protocol === 'http:' && !skip) {
    refuse(`${where}.server uses plain http; use https, or set insecure-skip-tls-verify: true to allow it`);
  }
  const tlsServerName = stringField(body, 'tls-server-name', where, 253);
  if (tlsServerName !== undefined && !/^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(tlsServerName)) {
    refuse(`${where}.tls-server-name must be a DNS name`);
  }
  return {
    name,
    server: url.href.replace(/\/$/, ''),
    certificateAuthorityData: base64Field(body, 'certificate-authority-data', where),
    insecureSkipTlsVerify: skip,
    tlsServerName,
  };
}

function serverUrl(server: string, where: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    refuse(`${where}.server ${quoted(server)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse(`${where}.server must be an https:// (or http://) URL`);
  if (url.username || url.password) refuse(`${where}.server must not carry credentials; give them in the user entry`);
  if (url.search || url.hash) refuse(`${where}.server must not have a query or fragment`);
  // Only the URL parser's own form is kept: "https://2130706433" is judged as the 127.0.0.1 it means.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) === 0 && !/^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(host)) refuse(`${where}.server has an invalid host name`);
  return url;
}

function admitUser({ name, at, body }: NamedEntry): AdmittedUser {
  const where = `${at}.user`;
  const token = stringField(body, 'token', where);
  const clientCertificateData = base64Field(body, 'client-certificate-data', where);
  const clientKeyData = base64Field(body, 'client-key-data', where);
  const username = stringField(body, 'username', where);
  const password = stringField(body, 'password', where);
  if ((clientCertificateData === undefined) !== (clientKeyData === undefined)) {
    refuse(`${where} must have both client-certificate-data and client-key-data, or neither`);
  }
  if ((username === undefined) !== (password === undefined)) refuse(`${where} must have both username and password, or neither`);
  if (token !== undefined && username !== undefined) refuse(`${where} must have token or username/password, not both`);
  // A header value with a line break would smuggle headers into every request.
  for (const [key, value] of [['token', token], ['username', username], ['password', password]] as const) {
    if (value !== undefined && /[\0\r\n]/.test(value)) refuse(`${where}.${key} must not contain line breaks or NUL`);
  }
  if (username?.includes(':')) refuse(`${where}.username must not contain ":"`);
  return { name, token, clientCertificateData, clientKeyData, username, password };
}

/**
 * The admitted kubeconfig as a kubeconfig document (JSON, which is YAML): what
 * vsnap stores, and what admitKubeconfig reads back to the same value.
 */
export function serializeKubeconfig(admitted: AdmittedKubeconfig): string {
  const { cluster, user } = admitted;
  // JSON.stringify leaves out what is undefined.
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster.name,
        cluster: {
          server: cluster.server,
          'certificate-authority-data': cluster.certificateAuthorityData,
          'insecure-skip-tls-verify': cluster.insecureSkipTlsVerify || undefined,
          'tls-server-name': cluster.tlsServerName,
        },
      },
    ],
    users: [
      {
        name: user.name,
        user: {
          token: user.token,
          'client-certificate-data': user.clientCertificateData,
          'client-key-data': user.clientKeyData,
          username: user.username,
          password: user.password,
        },
      },
    ],
    contexts: [{ name: admitted.contextName, context: { cluster: cluster.name, user: user.name } }],
    'current-context': admitted.contextName,
  });
}
