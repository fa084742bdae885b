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
import { errors, KubeApiError, kubeStatus, type KubeStatus } from './status.ts';
import { KubeStore } from './store.ts';
import { kubeconfigYaml, serverCertificates } from './tls.ts';
import { WatchHub } from './watch.ts';

export interface KubeFaults {
  /** Resource types ("secrets", "apps/deployments") answered 403 for every verb. */
  forbidden: Set<string>;
  /** Resource types answered 404 (as an apiserver answers for a resource it does not serve) for every verb; discovery still lists them. */
  notFound: Set<string>;
  /** Faults that hit some requests only: every Nth, or by a seeded chance (see IntermittentFault). */
  intermittent: IntermittentFault[];
  /** Continue tokens of one resource's lists answered 410 Gone from a given page on (see ContinueExpiry). */
  expireContinue?: ContinueExpiry;
  /** Awaited before each resource request is served: a test holds a request until the cluster is as it wants. */
  before?: (request: FaultRequest) => Promise<void> | void;
  /** Rewrites what a resource request is answered (a test's malformed answer); undefined keeps it. */
  answer?: (request: FaultRequest, reply: Reply) => Reply | undefined;
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
  /** The injected fault it got, if any: the status ("500", "429", "410") or "reset". */
  fault?: string;
}

/** What a fault sees of a request: the verb ("list", "get", "watch", "create", ..., or "discover") and resource type ("configmaps", "apps/deployments"). */
export interface FaultRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  verb: string;
  /** undefined for discovery and other non-resource paths. */
  resource?: string;
}

/** A fault that hits some matching requests: every `every`th, or each with `probability` (seeded, so a run is reproducible). */
export interface IntermittentFault {
  /** What the hit request gets: an HTTP status with a Status body, or "reset" (the connection destroyed, no answer). */
  answer: number | 'reset';
  /** Every Nth matching request (the Nth, 2Nth, ...). */
  every?: number;
  /** Each matching request with this chance, from a generator seeded with `seed` (default 1). */
  probability?: number;
  seed?: number;
  /** Retry-After on the answer: seconds, or a Date sent as an HTTP date. */
  retryAfter?: number | Date;
  /** Which requests count (default: every request). */
  match?: (request: FaultRequest) => boolean;
  /** At most this many hits (default: no limit). */
  limit?: number;
  /** Hits so far (kept by the server). */
  hits?: number;
}

/** The list of `resource` answers 410 Gone (expired continue token) to the `afterPage`th continue token, `times` times (default 1). */
export interface ContinueExpiry {
  resource: string;
  afterPage: number;
  times?: number;
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
  /** 'reversed': each list page's items in reverse (Kubernetes promises no order); default by namespace and name, as etcd keeps them. */
  listOrder?: 'name' | 'reversed';
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

function send(res: ServerResponse, reply: Reply, headers: Record<string, string> = {}): void {
  res.writeHead(reply.code, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', ...headers });
  res.end(reply.body);
}

/** The connection is destroyed without an answer. */
class ResetConnection extends Error {}

/** An injected failure: a Status answer with extra headers (Retry-After). */
class InjectedFault extends KubeApiError {
  constructor(
    status: KubeStatus,
    readonly headers: Record<string, string>,
  ) {
    super(status);
  }
}

/** What an injected status is called in its Status body. */
const FAULT_REASONS: Record<number, string> = { 429: 'TooManyRequests', 500: 'InternalError', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'Timeout' };

/** Decides which requests get the intermittent faults and expired continue tokens, and records what it did. */
class FaultInjector {
  private readonly random = new Map<IntermittentFault, () => number>();
  private readonly matched = new Map<IntermittentFault, number>();
  private continueRequests = 0;
  private expired = 0;
  private expiry: ContinueExpiry | undefined;

  constructor(private readonly faults: KubeFaults) {}

  intermittent(request: FaultRequest, record: RequestRecord): void {
    for (const fault of this.faults.intermittent) {
      if (fault.match && !fault.match(request)) continue;
      if (fault.limit !== undefined && (fault.hits ?? 0) >= fault.limit) continue;
      const seen = (this.matched.get(fault) ?? 0) + 1;
      this.matched.set(fault, seen);
      const hit = fault.every !== undefined ? seen % fault.every === 0 : fault.probability !== undefined && this.chance(fault) < fault.probability;
      if (!hit) continue;
      fault.hits = (fault.hits ?? 0) + 1;
      record.fault = String(fault.answer);
      if (fault.answer === 'reset') throw new ResetConnection();
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) {
        headers['retry-after'] = fault.retryAfter instanceof Date ? fault.retryAfter.toUTCString() : String(fault.retryAfter);
      }
      const reason = FAULT_REASONS[fault.answer] ?? 'InternalError';
      throw new InjectedFault(kubeStatus(fault.answer, reason, `injected fault: ${fault.answer}`), headers);
    }
  }

  /** 410 to the configured continue token of a list of the expiring resource. */
  continueExpiry(resource: string, query: URLSearchParams, record: RequestRecord): void {
    const expiry = this.faults.expireContinue;
    if (expiry !== this.expiry) {
      this.expiry = expiry;
      this.continueRequests = 0;
      this.expired = 0;
    }
    if (!expiry || expiry.resource !== resource || !query.get('continue')) return;
    if (this.expired >= (expiry.times ?? 1)) return;
    this.continueRequests += 1;
    if (this.continueRequests < expiry.afterPage) return;
    this.continueRequests = 0;
    this.expired += 1;
    record.fault = '410';
    throw errors.expiredContinue();
  }

  /** mulberry32: a small seeded generator, one per fault. */
  private chance(fault: IntermittentFault): number {
    let next = this.random.get(fault);
    if (!next) {
      let state = (fault.seed ?? 1) >>> 0;
      next = () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      this.random.set(fault, next);
    }
    return next();
  }
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
  const faults: KubeFaults = { forbidden: new Set(), notFound: new Set(), intermittent: [], unavailable: false, latencyMs: 0, csi: { mode: 'ready' } };
  const injector = new FaultInjector(faults);
  const csi = new CsiController(store, () => faults.csi);
  const hub = new WatchHub();
  const requests: RequestRecord[] = [];
  const handlerContext = {
    store,
    hub,
    pageLimitMax: options.pageLimitMax,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
    reversedLists: options.listOrder === 'reversed',
  };
  let address = '127.0.0.1:0';

  const route = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, record: RequestRecord): Promise<Reply | undefined> => {
    if (faults.unavailable) throw errors.unavailable();
    if (req.headers.authorization !== `Bearer ${token}`) throw errors.unauthorized();
    const segments = path.split('/').filter(Boolean);
    const [root, second, third] = segments;
    const method = req.method ?? 'GET';
    const discovery = (doc: unknown) => {
      injector.intermittent({ method, path, query, verb: 'discover' }, record);
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
    const type = resourceType(parsed.def);
    await faults.before?.({ method, path, query, verb, resource: type });
    injector.intermittent({ method, path, query, verb, resource: type }, record);
    if (faults.forbidden.has(type)) throw errors.forbidden(USER, verb, group, parsed.def.plural, parsed.namespace);
    if (faults.notFound.has(type)) throw errors.pathNotFound();
    if (verb === 'list') injector.continueExpiry(type, query, record);
    const contentType = req.headers['content-type'] ?? 'application/json';
    const reply = await handleResource(handlerContext, verb, { method, route: parsed, query, contentType, body: readBody(req), res });
    return reply && (faults.answer?.({ method, path, query, verb, resource: type }, reply) ?? reply);
  };

  const server = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1) };
    requests.push(record);
    if (faults.unavailable === 'reset') {
      req.socket.destroy();
      return;
    }
    const run = async () => {
      if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
      try {
        const reply = await route(req, res, url.pathname, url.searchParams, record);
        if (reply) send(res, reply);
      } catch (error) {
        if (error instanceof ResetConnection) {
          req.socket.destroy();
        } else if (res.headersSent) {
          res.destroy();
        } else if (error instanceof InjectedFault) {
          send(res, { code: error.status.code, body: JSON.stringify(error.status) }, error.headers);
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
