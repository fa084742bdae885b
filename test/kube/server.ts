/**
 * A Kubernetes API test server: HTTPS on 127.0.0.1 (random port) with a
 * throwaway CA, bearer-token auth, legacy discovery, CRUD/list/watch of an
 * in-memory store, fault injection, a request log and a simulated CSI
 * snapshot controller — enough for the real @kubernetes/client-node.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { installCoreControllers } from './controllers.ts';
import { CsiController, type CsiFaults } from './csi-controller.ts';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.ts';
import { handleResource, parseResourcePath, verbOf, type Reply } from './handlers.ts';
import { ResourceRegistry, resourceType } from './resources.ts';
import { seedStandard, seedSynthetic, type StandardSeed } from './seed.ts';
import { errors, KubeApiError, kubeStatus } from './status.ts';
import { KubeStore } from './store.ts';
import { kubeconfigYaml, serverCertificates } from './tls.ts';
import { WatchHub } from './watch.ts';

export interface KubeFaults {
  /** Resource types ("secrets", "apps/deployments") answered 403 for every verb. */
  forbidden: Set<string>;
  /** true: every request answers 503; 'reset': every connection is destroyed without an answer. */
  unavailable: boolean | 'reset';
  /** Delay before answering each request. */
  latencyMs: number;
  csi: CsiFaults;
}

export interface RequestRecord {
  method: string;
  path: string;
  /** Raw query string without "?". */
  query: string;
}

export interface KubeServerOptions {
  /** Caps ?limit= (a list with a larger limit gets this many items and a continue token). */
  pageLimitMax?: number;
  /** Continue tokens and watch resourceVersions older than this many changes answer 410 (default 100000). */
  compactAfter?: number;
  /** Bearer token to accept (default: random). */
  token?: string;
  /** How often watches with allowWatchBookmarks get a BOOKMARK (default 1000 ms). */
  bookmarkIntervalMs?: number;
}

export interface KubeTestServer {
  /** https://127.0.0.1:<port> */
  url: string;
  /** Cluster with certificate-authority-data, token user, current-context. */
  kubeconfig: string;
  token: string;
  /** PEM of the CA that signed the serving certificate. */
  ca: string;
  store: KubeStore;
  registry: ResourceRegistry;
  faults: KubeFaults;
  requests: RequestRecord[];
  csi: CsiController;
  /** Number of open watch streams. */
  readonly openWatches: number;
  /** Ends every open watch stream (as if connections dropped); clients reconnect. */
  endWatches(): void;
  seedStandard(): StandardSeed;
  seedSynthetic(count: number, namespace?: string): void;
  close(): Promise<void>;
}

const USER = 'system:serviceaccount:vsnap:snapshotter';

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.code, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
  res.end(reply.body);
}

function readBody(req: IncomingMessage): () => Promise<unknown> {
  return async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw errors.badRequest('the request body is not valid JSON');
    }
  };
}

export async function startKubeServer(options: KubeServerOptions = {}): Promise<KubeTestServer> {
  const certs = await serverCertificates();
  const token = options.token ?? randomBytes(24).toString('hex');
  const registry = new ResourceRegistry();
  const store = new KubeStore(registry, { compactAfter: options.compactAfter });
  const removeControllers = installCoreControllers(store);
  const faults: KubeFaults = { forbidden: new Set(), unavailable: false, latencyMs: 0, csi: { mode: 'ready' } };
  const csi = new CsiController(store, () => faults.csi);
  const hub = new WatchHub();
  const requests: RequestRecord[] = [];
  const handlerContext = { store, hub, pageLimitMax: options.pageLimitMax, bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000 };
  let address = '127.0.0.1:0';

  const route = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<Reply | undefined> => {
    if (faults.unavailable) throw errors.unavailable();
    if (req.headers.authorization !== `Bearer ${token}`) throw errors.unauthorized();
    const segments = path.split('/').filter(Boolean);
    const [root, second, third] = segments;
    const method = req.method ?? 'GET';
    const discovery = (doc: unknown) => {
      if (method !== 'GET') throw errors.methodNotAllowed();
      if (doc === undefined) throw errors.pathNotFound();
      return { code: 200, body: JSON.stringify(doc) };
    };
    if (['healthz', 'livez', 'readyz'].includes(root ?? '') && segments.length === 1) return { code: 200, body: '"ok"' };
    if (root === 'version' && segments.length === 1) return discovery(versionInfo());
    let group: string;
    let version: string;
    let rest: string[];
    if (root === 'api') {
      if (segments.length === 1) return discovery(apiVersions(address));
      if (segments.length === 2) return discovery(second === 'v1' ? apiResourceList(registry, '', 'v1') : undefined);
      [group, version, rest] = ['', second ?? '', segments.slice(2)];
    } else if (root === 'apis') {
      if (segments.length === 1) return discovery(apiGroupList(registry));
      if (segments.length === 2) return discovery(apiGroupDocument(registry, second ?? ''));
      if (segments.length === 3) return discovery(apiResourceList(registry, second ?? '', third ?? ''));
      [group, version, rest] = [second ?? '', third ?? '', segments.slice(3)];
    } else throw errors.pathNotFound();

    const parsed = parseResourcePath(registry, group, version, rest);
    if (!parsed) throw errors.pathNotFound();
    const verb = verbOf(method, parsed, query);
    if (verb === 'unsupported' || !parsed.def.verbs.includes(verb)) throw errors.methodNotAllowed();
    if (faults.forbidden.has(resourceType(parsed.def))) throw errors.forbidden(USER, verb, group, parsed.def.plural, parsed.namespace);
    const contentType = req.headers['content-type'] ?? 'application/json';
    return handleResource(handlerContext, verb, { method, route: parsed, query, contentType, body: readBody(req), res });
  };

  const server = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1) });
    if (faults.unavailable === 'reset') {
      req.socket.destroy();
      return;
    }
    const run = async () => {
      if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
      try {
        const reply = await route(req, res, url.pathname, url.searchParams);
        if (reply) send(res, reply);
      } catch (error) {
        if (res.headersSent) {
          res.destroy();
        } else if (error instanceof KubeApiError) {
          send(res, { code: error.status.code, body: JSON.stringify(error.status) });
        } else {
          console.error('kube test server: request failed', error);
          send(res, { code: 500, body: JSON.stringify(kubeStatus(500, 'InternalError', `Internal error occurred: ${String(error)}`)) });
        }
      }
    };
    void run();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  address = `127.0.0.1:${port}`;
  const url = `https://127.0.0.1:${port}`;
  let closed: Promise<void> | undefined;

  return {
    url,
    kubeconfig: kubeconfigYaml({ server: url, ca: certs.ca, token }),
    token,
    ca: certs.ca,
    store,
    registry,
    faults,
    requests,
    csi,
    get openWatches() {
      return hub.size;
    },
    endWatches: () => hub.endAll(),
    seedStandard: () => seedStandard(store),
    seedSynthetic: (count, namespace) => seedSynthetic(store, count, namespace),
    close() {
      closed ??= new Promise<void>((resolve) => {
        hub.endAll();
        csi.stop();
        removeControllers();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

export type { CsiBehaviour, CsiFaults, CsiMode } from './csi-controller.ts';
export type { KubeObject, ObjectMeta, KubeStore } from './store.ts';
export type { StandardSeed, SeededVolume } from './seed.ts';
export { STANDARD_SEED } from './seed.ts';
export type { KubeStatus } from './status.ts';
