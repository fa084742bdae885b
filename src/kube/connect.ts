/**
 * The one way vsnap connects to a tenant's Kubernetes API: a KubeConfig built
 * from an admitted kubeconfig (never from the tenant's text), without
 * client-node's plugin authenticators, whose every request goes through
 * vsnap's own undici Agent, and that Agent connects only to addresses the
 * egress policy allows, judged after DNS resolution.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createConfiguration, KubeConfig, ServerConfiguration, type ApiConstructor, type ApiType } from '@kubernetes/client-node';
import { Agent, buildConnector } from 'undici';
import type { AdmittedKubeconfig } from './admission.ts';
import { EgressRefusedError, type EgressPolicy } from './egress.ts';
import { KubeRetries } from './retry.ts';

export interface ConnectionOptions {
  /** The retries (and their budget) of every request made through this connection; default: a budget of its own. */
  retries?: KubeRetries;
  /** Time for one attempt of a request, body included (default 30 s). */
  requestTimeoutMs?: number;
}

/**
 * A KubeConfig that can only use the static credentials of an admitted
 * kubeconfig. client-node's constructor installs authenticators that run
 * programs (exec, gcp/azure cmd-path) and read files (tokenFile, OIDC); they
 * are removed, and every loader that would read tenant text or a file throws.
 */
export class ClusterConnection extends KubeConfig {
  readonly #agent: Agent;
  #closed: Promise<void> | undefined;
  /** Every request through this connection (the generated clients', the reader's, watches' restarts) retries within these bounds. */
  readonly retries: KubeRetries;
  readonly requestTimeoutMs: number;

  constructor(admitted: AdmittedKubeconfig, egress: EgressPolicy, options: ConnectionOptions = {}) {
    super();
    this.retries = options.retries ?? new KubeRetries();
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    Object.assign(this, { authenticators: [], custom_authenticators: [] });
    const agent = guardedAgent(admitted, egress);
    this.#agent = agent;
    // createDispatcher is private in client-node's types; applySecurityAuthentication asks it for
    // each request's dispatcher, which must always be this agent (one pool, egress-checked).
    Object.defineProperty(this, 'createDispatcher', { value: () => agent });
    const { cluster, user, contextName } = admitted;
    super.loadFromOptions({
      clusters: [
        {
          name: cluster.name,
          server: cluster.server,
          caData: cluster.certificateAuthorityData,
          skipTLSVerify: cluster.insecureSkipTlsVerify,
          tlsServerName: cluster.tlsServerName,
        },
      ],
      users: [
        {
          name: user.name,
          token: user.token,
          certData: user.clientCertificateData,
          keyData: user.clientKeyData,
          username: user.username,
          password: user.password,
        },
      ],
      contexts: [{ name: contextName, cluster: cluster.name, user: user.name }],
      currentContext: contextName,
    });
  }

  /** The API server URL, as admitted. */
  get server(): string {
    return this.getCurrentCluster()?.server ?? '';
  }

  /** A generated API client whose requests go through the connection's retries (client-node's own sends each once). */
  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(this.server, {}),
      authMethods: { default: this },
      httpApi: this.retries.httpLibrary(this.requestTimeoutMs),
    });
    return new apiClientType(configuration);
  }

  /** Closes the connection pool; requests after this fail. Closing again is a no-op. */
  close(): Promise<void> {
    this.#closed ??= this.#agent.close();
    return this.#closed;
  }

  override loadFromString(..._ignored: unknown[]): never {
    return unsupported('loadFromString');
  }

  override loadFromFile(..._ignored: unknown[]): never {
    return unsupported('loadFromFile');
  }

  override loadFromOptions(..._ignored: unknown[]): never {
    return unsupported('loadFromOptions');
  }

  override loadFromClusterAndUser(..._ignored: unknown[]): never {
    return unsupported('loadFromClusterAndUser');
  }

  override loadFromCluster(..._ignored: unknown[]): never {
    return unsupported('loadFromCluster');
  }

  override loadFromDefault(..._ignored: unknown[]): never {
    return unsupported('loadFromDefault');
  }

  override mergeConfig(..._ignored: unknown[]): never {
    return unsupported('mergeConfig');
  }

  override addAuthenticator(..._ignored: unknown[]): never {
    return unsupported('addAuthenticator');
  }

  /** The WebSocket paths (exec, attach, port-forward) build a node https.Agent that bypasses the egress check. */
  override applyToHTTPSOptions(..._ignored: unknown[]): Promise<never> {
    return Promise.reject(new Error('ClusterConnection: WebSocket and https.Agent paths are not supported'));
  }
}

function unsupported(method: string): never {
  throw new Error(`ClusterConnection: ${method} is not supported; build it from an admitted kubeconfig`);
}

/** The connection to a cluster, from its admitted kubeconfig. Close it when done. */
export function connectCluster(admitted: AdmittedKubeconfig, egress: EgressPolicy, options: ConnectionOptions = {}): ClusterConnection {
  return new ClusterConnection(admitted, egress, options);
}

function guardedAgent({ cluster, user }: AdmittedKubeconfig, egress: EgressPolicy): Agent {
  const decode = (data: string | undefined) => (data === undefined ? undefined : Buffer.from(data, 'base64'));
  const connect = buildConnector({
    ca: decode(cluster.certificateAuthorityData),
    cert: decode(user.clientCertificateData),
    key: decode(user.clientKeyData),
    rejectUnauthorized: !cluster.insecureSkipTlsVerify,
    servername: cluster.tlsServerName,
    // client-go's keep-alive, which client-node uses too: below cloud load balancers' 60 s idle timeouts.
    keepAlive: true,
    keepAliveInitialDelay: 30_000,
  });
  return new Agent({
    connect: (options, callback) => {
      allowedAddresses(options.hostname, egress).then(
        // The addresses that were checked are the ones connected to: no second resolution to rebind.
        // TLS still verifies the certificate for the URL's host name (undici derives it from `host`).
        (addresses) => connectToFirst(connect, addresses, options, callback),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
      );
    },
  });
}

/** Resolves `hostname` (every address) and returns them all, when the policy allows them all. */
async function allowedAddresses(hostname: string, egress: EgressPolicy): Promise<string[]> {
  const addresses = isIP(hostname) ? [hostname] : (await lookup(hostname, { all: true, order: 'verbatim' })).map((a) => a.address);
  // All must pass: a name with one public and one internal address could otherwise be steered to the latter.
  for (const address of addresses) {
    const refusal = egress.refusal(address);
    if (refusal) throw new EgressRefusedError(hostname, address, refusal);
  }
  if (addresses.length === 0) throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
  return addresses;
}

/** Failures of one address that make the next one worth trying, as node's own connect does for a name. */
const NEXT_ADDRESS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Connects to the first of `addresses` that accepts, in order: a control plane
 * behind one name with several addresses stays reachable when one is down.
 */
export function connectToFirst(
  connect: buildConnector.connector,
  addresses: readonly string[],
  options: buildConnector.Options,
  callback: buildConnector.Callback,
): void {
  const [address, ...rest] = addresses;
  if (address === undefined) {
    callback(new Error('no address to connect to'), null);
    return;
  }
  connect({ ...options, hostname: address }, (...result) => {
    const [error] = result;
    const code = error && 'code' in error ? String(error.code) : undefined;
    if (error && rest.length > 0 && code && NEXT_ADDRESS.has(code)) connectToFirst(connect, rest, options, callback);
    else callback(...result);
  });
}
