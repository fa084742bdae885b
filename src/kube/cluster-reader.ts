import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';

/** One listable kind of object: `deployments` in `apps/v1`, `pods` in core `v1`. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural resource name, as in the URL. */
  resource: string;
  kind: string;
  namespaced: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface ListOptions {
  pageSize: number;
  signal?: AbortSignal;
}

/** Reads a cluster's objects; the one real implementation talks to a Kubernetes API server. */
export interface ClusterReader {
  /** The API server URL, for messages. */
  readonly server: string;
  /** Every listable resource: core v1 and each group's preferred version, minus subresources and events. */
  discover(signal?: AbortSignal): Promise<ResourceType[]>;
  /** How many objects a resource holds now, from one `limit=1` list; null when the server gives no count. */
  estimateCount(type: ResourceType, signal?: AbortSignal): Promise<number | null>;
  /** Cluster-wide list, one page in memory at a time, objects complete with apiVersion/kind, without managedFields. */
  list(type: ResourceType, options: ListOptions): AsyncIterable<KubeObject>;
  close(): Promise<void>;
}

export type ClusterAccessErrorKind = 'unreachable' | 'forbidden' | 'unauthorized' | 'timeout' | 'failed';

export class ClusterAccessError extends Error {
  constructor(
    readonly kind: ClusterAccessErrorKind,
    message: string,
    readonly server: string,
    readonly resource?: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClusterAccessError';
  }
}

/** `deployments.apps`, or `pods` for the core group: the name kubectl and RBAC messages use. */
export function resourceKey(type: Pick<ResourceType, 'group' | 'resource'>): string {
  return type.group ? `${type.resource}.${type.group}` : type.resource;
}

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export interface ClusterReaderOptions {
  /** Per request, body included. Default 30 s. */
  timeoutMs?: number;
}

export function createClusterReader(kc: KubeConfig, options: ClusterReaderOptions = {}): ClusterReader {
  return new KubeApiReader(kc, options.timeoutMs ?? 30_000);
}

const apiResourceList = z.object({
  groupVersion: z.string(),
  resources: z.array(
    z.object({ name: z.string(), kind: z.string(), namespaced: z.boolean(), verbs: z.array(z.string()) }),
  ),
});
const apiGroupList = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      versions: z.array(z.object({ groupVersion: z.string(), version: z.string() })),
      preferredVersion: z.object({ groupVersion: z.string(), version: z.string() }).optional(),
    }),
  ),
});
const objectList = z.object({
  metadata: z
    .object({ continue: z.string().optional(), remainingItemCount: z.number().int().optional() })
    .optional(),
  items: z.array(z.unknown()).nullable(),
});
const statusBody = z.object({ message: z.string().optional(), reason: z.string().optional() });

interface ApiRequest {
  path: string;
  query?: Record<string, string>;
  /** What the request does, for messages: "list secrets", "discover /apis". */
  what: string;
  resource?: string;
  signal?: AbortSignal;
}

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

class KubeApiReader implements ClusterReader {
  readonly server: string;
  private readonly http = new IsomorphicFetchHttpLibrary();
  // client-node builds a new undici Agent on every applySecurityAuthentication; keep the first
  // so requests share one connection pool, and close it with the reader.
  private dispatcher: Dispatcher | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly timeoutMs: number,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  async discover(signal?: AbortSignal): Promise<ResourceType[]> {
    const core = await this.fetchAs(apiResourceList, { path: '/api/v1', what: 'discover /api/v1', signal });
    const groups = await this.fetchAs(apiGroupList, { path: '/apis', what: 'discover /apis', signal });
    const perGroup = await Promise.all(
      groups.groups.map(async (group) => {
        const preferred = group.preferredVersion ?? group.versions[0];
        if (!preferred) return [];
        const path = `/apis/${preferred.groupVersion}`;
        const list = await this.fetchAs(apiResourceList, { path, what: `discover ${path}`, signal });
        return listable(list.resources, group.name, preferred.version);
      }),
    );
    return [...listable(core.resources, '', 'v1'), ...perGroup.flat()];
  }

  async estimateCount(type: ResourceType, signal?: AbortSignal): Promise<number | null> {
    const key = resourceKey(type);
    const request = { path: listPath(type), query: { limit: '1' }, what: `list ${key}`, resource: key, signal };
    const page = await this.fetchAs(objectList, request);
    const items = page.items?.length ?? 0;
    if (!page.metadata?.continue) return items;
    const remaining = page.metadata.remainingItemCount;
    return remaining === undefined ? null : items + remaining;
  }

  async *list(type: ResourceType, { pageSize, signal }: ListOptions): AsyncIterable<KubeObject> {
    const key = resourceKey(type);
    const apiVersion = apiVersionOf(type);
    let token: string | undefined;
    do {
      const query: Record<string, string> = { limit: String(pageSize) };
      if (token) query.continue = token;
      let page: z.infer<typeof objectList>;
      try {
        page = await this.fetchAs(objectList, { path: listPath(type), query, what: `list ${key}`, resource: key, signal });
      } catch (error) {
        // Restarting would yield the first pages' objects twice into the archive; fail clearly instead.
        if (token && error instanceof ClusterAccessError && error.status === 410) {
          throw new ClusterAccessError(
            'failed',
            `Kubernetes API ${this.server}: list of ${key} expired mid-way (continue token expired, 410 Gone); the cluster changes faster than it can be read, try again`,
            this.server,
            key,
            410,
            { cause: error },
          );
        }
        throw error;
      }
      for (const item of page.items ?? []) yield this.complete(item, apiVersion, type.kind, key);
      token = page.metadata?.continue || undefined;
    } while (token);
  }

  async close(): Promise<void> {
    const dispatcher = this.dispatcher;
    this.dispatcher = undefined;
    await dispatcher?.close();
  }

  private complete(item: unknown, apiVersion: string, kind: string, key: string): KubeObject {
    if (!isRecord(item) || !isRecord(item.metadata) || typeof item.metadata.name !== 'string') {
      throw new ClusterAccessError('failed', `Kubernetes API ${this.server} sent a malformed ${key} item`, this.server, key);
    }
    const { managedFields: _dropped, ...metadata } = item.metadata;
    return { apiVersion, kind, ...item, metadata: { ...metadata, name: item.metadata.name } };
  }

  private async fetchAs<T>(schema: z.ZodType<T>, request: ApiRequest): Promise<T> {
    const parsed = schema.safeParse(await this.getJson(request));
    if (parsed.success) return parsed.data;
    const message = `Kubernetes API ${this.server} sent an unexpected answer to ${request.what}: ${z.prettifyError(parsed.error)}`;
    throw new ClusterAccessError('failed', message, this.server, request.resource);
  }

  private async getJson({ path, query = {}, what, resource, signal }: ApiRequest): Promise<unknown> {
    const url = new URL(this.server + path);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const fail = (kind: ClusterAccessErrorKind, message: string, cause?: unknown, status?: number) =>
      new ClusterAccessError(kind, message, this.server, resource, status, { cause });
    const context = new RequestContext(url.toString(), HttpMethod.GET);
    context.setHeaderParam('Accept', 'application/json');
    try {
      await this.kc.applySecurityAuthentication(context);
    } catch (error) {
      throw fail('unauthorized', `Kubernetes API ${this.server}: credentials unusable to ${what}: ${messageOf(error)}`, error);
    }
    this.dispatcher ??= context.getDispatcher();
    if (this.dispatcher) context.setDispatcher(this.dispatcher);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    context.setSignal(signal ? AbortSignal.any([signal, timeout]) : timeout);

    try {
      const response = await this.http.send(context).toPromise();
      const text = await response.body.text();
      if (response.httpStatusCode >= 200 && response.httpStatusCode < 300) return JSON.parse(text) as unknown;
      throw this.statusError(response.httpStatusCode, text, what, resource);
    } catch (error) {
      if (error instanceof ClusterAccessError) throw error;
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw fail('timeout', `Kubernetes API ${this.server} did not answer within ${this.timeoutMs} ms to ${what}`, error);
      }
      if (error instanceof SyntaxError) {
        throw fail('failed', `Kubernetes API ${this.server} sent invalid JSON to ${what}`, error);
      }
      throw fail('unreachable', `Kubernetes API ${this.server} unreachable: ${transportCause(error)} (${what})`, error);
    }
  }

  private statusError(status: number, body: string, what: string, resource?: string): ClusterAccessError {
    const parsed = statusBody.safeParse(safeJson(body));
    const detail = (parsed.success ? parsed.data.message : undefined) ?? (body.slice(0, 200) || `HTTP ${status}`);
    const at = `Kubernetes API ${this.server}`;
    const [kind, message]: [ClusterAccessErrorKind, string] =
      status === 401 ? ['unauthorized', `${at} rejected the credentials (401 Unauthorized) to ${what}`]
      : status === 403 ? ['forbidden', `${at}: forbidden: cannot ${what}: ${detail}`]
      : status === 504 || status === 408 ? ['timeout', `${at} timed out (${status}) to ${what}: ${detail}`]
      : status === 502 || status === 503 ? ['unreachable', `${at} unavailable (${status}) to ${what}: ${detail}`]
      : ['failed', `${at} answered ${status} to ${what}: ${detail}`];
    return new ClusterAccessError(kind, message, this.server, resource, status);
  }
}

function listable(
  resources: z.infer<typeof apiResourceList>['resources'],
  group: string,
  version: string,
): ResourceType[] {
  return resources
    .filter((r) => !r.name.includes('/') && r.verbs.includes('list'))
    .filter((r) => !(group === 'events.k8s.io' || (group === '' && r.name === 'events')))
    .map((r) => ({ group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced }));
}

function listPath(type: ResourceType): string {
  return type.group ? `/apis/${type.group}/${type.version}/${type.resource}` : `/api/${type.version}/${type.resource}`;
}

/** The system error under undici's "fetch failed", e.g. "connect ECONNREFUSED 127.0.0.1:1234". */
function transportCause(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  if (current instanceof AggregateError && current.errors[0] instanceof Error) current = current.errors[0];
  if (current instanceof Error) return current.message || ('code' in current ? String(current.code) : current.name);
  return String(current);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
