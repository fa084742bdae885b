import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { z } from 'zod';
import { quoted } from '../errors.ts';
import type { ClusterConnection } from './connect.ts';
import { EgressRefusedError } from './egress.ts';
import { KubeRequestTimeout, type KubeAnswer } from './retry.ts';

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
  /** Only objects matching this label selector (`app.kubernetes.io/managed-by!=vsnap`). */
  labelSelector?: string;
  signal?: AbortSignal;
}

/** Reads a cluster's objects; the one real implementation talks to a Kubernetes API server. */
export interface ClusterReader {
  /** The API server URL, for messages. */
  readonly server: string;
  /** Every listable resource: core v1 and each group's preferred version, minus subresources and events. */
  discover(signal?: AbortSignal): Promise<ResourceType[]>;
  /** How many objects a resource holds now, from one `limit=1` list; null when the server gives no count. */
  estimateCount(type: ResourceType, signal?: AbortSignal, labelSelector?: string): Promise<number | null>;
  /**
   * Cluster-wide list, one page in memory at a time, objects complete with apiVersion/kind,
   * without managedFields, each object once: a list whose continue token expired (410) starts
   * again from the beginning and skips the objects it already gave.
   */
  list(type: ResourceType, options: ListOptions): AsyncIterable<KubeObject>;
}

/** `refused`: vsnap's egress policy did not let it connect; no request reached the address. */
export type ClusterAccessErrorKind = 'unreachable' | 'forbidden' | 'unauthorized' | 'timeout' | 'failed' | 'refused';

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
  /** Per attempt of a request, body included. Default: the connection's. */
  timeoutMs?: number;
}

/** A reader over a connection (and its retries); the connection's owner closes it. */
export function createClusterReader(kc: ClusterConnection, options: ClusterReaderOptions = {}): ClusterReader {
  return new KubeApiReader(kc, options.timeoutMs ?? kc.requestTimeoutMs);
}

/**
 * How messages name an API server: the URL is tenant input (up to 2048
 * characters), so it is quoted and cut like any echoed input.
 */
export function serverLabel(server: string): string {
  return `Kubernetes API ${quoted(server)}`;
}

// Names from discovery end up in messages and archive paths: a real API server's names are
// DNS-style, so anything else is an answer that is not Kubernetes discovery.
const discoveryName = z.string().regex(/^[a-z0-9]([-a-z0-9./]{0,251}[a-z0-9])?$/);
const kindName = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/);
const groupVersion = z.object({ groupVersion: discoveryName, version: discoveryName });
const apiResourceList = z.object({
  groupVersion: discoveryName,
  resources: z.array(
    z.object({ name: discoveryName, kind: kindName, namespaced: z.boolean(), verbs: z.array(z.string()) }),
  ),
});
const apiGroupList = z.object({
  groups: z.array(
    z.object({
      name: discoveryName,
      versions: z.array(groupVersion),
      preferredVersion: groupVersion.optional(),
    }),
  ),
});
const objectList = z.object({
  metadata: z
    .object({ continue: z.string().optional(), remainingItemCount: z.number().int().optional() })
    .optional(),
  items: z.array(z.unknown()).nullable(),
});

interface ApiRequest {
  path: string;
  query?: Record<string, string>;
  /** What the request does, for messages: "list secrets", "discover /apis". */
  what: string;
  resource?: string;
  signal?: AbortSignal;
}

class KubeApiReader implements ClusterReader {
  readonly server: string;
  private readonly at: string;

  constructor(
    private readonly kc: ClusterConnection,
    private readonly timeoutMs: number,
  ) {
    this.server = kc.server.replace(/\/+$/, '');
    this.at = serverLabel(this.server);
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

  async estimateCount(type: ResourceType, signal?: AbortSignal, labelSelector?: string): Promise<number | null> {
    const key = resourceKey(type);
    const query = { limit: '1', ...(labelSelector ? { labelSelector } : {}) };
    const page = await this.fetchAs(objectList, { path: listPath(type), query, what: `list ${key}`, resource: key, signal });
    const items = page.items?.length ?? 0;
    if (!page.metadata?.continue) return items;
    const remaining = page.metadata.remainingItemCount;
    return remaining === undefined ? null : items + remaining;
  }

  async *list(type: ResourceType, { pageSize, labelSelector, signal }: ListOptions): AsyncIterable<KubeObject> {
    const key = resourceKey(type);
    const apiVersion = apiVersionOf(type);
    // What was given, so that a restarted list gives each object once; bounded by the resource's size.
    const given = new GivenObjects();
    const restarts = { resource: key, count: 0 };
    // The next page is asked for as soon as its token is known, while this one is consumed: a
    // remote server's latency is paid once per list, not once per page. Stopped with the list.
    const stopped = new AbortController();
    const requestSignal = signal ? AbortSignal.any([signal, stopped.signal]) : stopped.signal;
    const fetchPage = (token: string | undefined) => {
      const query: Record<string, string> = { limit: String(pageSize), ...(labelSelector ? { labelSelector } : {}) };
      if (token) query.continue = token;
      const page = this.fetchAs(objectList, { path: listPath(type), query, what: `list ${key}`, resource: key, signal: requestSignal });
      // Awaited below unless the list stops first; then its failure is nobody's.
      page.catch(() => undefined);
      return { token, page };
    };
    let next = fetchPage(undefined);
    try {
      for (;;) {
        let page: z.infer<typeof objectList>;
        try {
          page = await next.page;
        } catch (error) {
          if (!(next.token && error instanceof ClusterAccessError && error.status === 410)) throw error;
          // The continue token expired (the store was compacted since the first page): the rest
          // cannot be read consistently, so the list starts over and skips what it already gave.
          // As many starts as a request has attempts: a cluster that changes faster than it can be read fails clearly.
          if (restarts.count + 1 >= this.kc.retries.settings.attempts || !this.kc.retries.take('410', restarts)) {
            const message = `${this.at}: list of ${key} expired mid-way (continue token expired, 410 Gone) ${restarts.count + 1} times; the cluster changes faster than it can be read, try again`;
            throw new ClusterAccessError('failed', message, this.server, key, 410, { cause: error });
          }
          restarts.count += 1;
          given.restarted();
          next = fetchPage(undefined);
          continue;
        }
        const token = page.metadata?.continue || undefined;
        if (token) next = fetchPage(token);
        for (const item of page.items ?? []) {
          const object = this.complete(item, apiVersion, type.kind, key);
          const id = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
          if (!given.add(id)) continue;
          yield object;
        }
        given.endPage();
        if (!token) return;
      }
    } finally {
      stopped.abort(new Error('list stopped'));
    }
  }

  private complete(item: unknown, apiVersion: string, kind: string, key: string): KubeObject {
    if (!isRecord(item) || !isRecord(item.metadata) || typeof item.metadata.name !== 'string') {
      throw new ClusterAccessError('failed', `${this.at} sent a malformed ${key} item`, this.server, key);
    }
    const { managedFields: _dropped, ...metadata } = item.metadata;
    return { apiVersion, kind, ...item, metadata: { ...metadata, name: item.metadata.name } };
  }

  private async fetchAs<T>(schema: z.ZodType<T>, request: ApiRequest): Promise<T> {
    const parsed = schema.safeParse(await this.getJson(request));
    if (parsed.success) return parsed.data;
    // What the answer held is not repeated: it may be anything a server chose to send.
    const message = `${this.at} sent an answer to ${request.what} that is not the expected Kubernetes object`;
    throw new ClusterAccessError('failed', message, this.server, request.resource, undefined, { cause: parsed.error });
  }

  private async getJson({ path, query = {}, what, resource, signal }: ApiRequest): Promise<unknown> {
    const url = new URL(this.server + path);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const fail = (kind: ClusterAccessErrorKind, message: string, cause?: unknown, status?: number) =>
      new ClusterAccessError(kind, message, this.server, resource, status, { cause });
    const context = new RequestContext(url.toString(), HttpMethod.GET);
    context.setHeaderParam('Accept', 'application/json');
    await this.kc.applySecurityAuthentication(context);
    if (signal) context.setSignal(signal);

    let answer: KubeAnswer;
    try {
      answer = await this.kc.retries.exchange(context, this.timeoutMs);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const refused = egressRefusal(error);
      if (refused) throw fail('refused', `${refused.message} (${what})`, error);
      if (error instanceof KubeRequestTimeout) {
        throw fail('timeout', `${this.at} did not answer within ${this.timeoutMs} ms to ${what}`, error);
      }
      throw fail('unreachable', `${this.at} unreachable: ${transportReason(error)} (${what})`, error);
    }
    // The body of a failure is never shown, so it was not read either (it could be any size).
    if (answer.status < 200 || answer.status >= 300) throw this.statusError(answer.status, what, resource);
    try {
      return JSON.parse(answer.text) as unknown;
    } catch (error) {
      throw fail('failed', `${this.at} sent invalid JSON to ${what}`, error);
    }
  }

  /** The status and our own words for it: the body is the server's to choose, so it is never repeated. */
  private statusError(status: number, what: string, resource?: string): ClusterAccessError {
    const at = this.at;
    const [kind, message]: [ClusterAccessErrorKind, string] =
      status === 401 ? ['unauthorized', `${at} rejected the credentials (401 Unauthorized) to ${what}`]
      : status === 403 ? ['forbidden', `${at}: forbidden: cannot ${what} (403 Forbidden)`]
      : status === 504 || status === 408 ? ['timeout', `${at} timed out (${status}) to ${what}`]
      : status === 502 || status === 503 ? ['unreachable', `${at} unavailable (${status}) to ${what}`]
      : ['failed', `${at} answered ${status} to ${what}`];
    return new ClusterAccessError(kind, message, this.server, resource, status);
  }
}

/**
 * The `<namespace>/<name>` of each object a list has given. An API server answers in key
 * order (its continue token is the last key given), and while the keys ascend no lookup is
 * needed: they are kept as one string per page, a few bytes each and no object per key, so
 * a large resource costs the garbage collector nothing. A key out of order, or a restarted
 * list (which answers keys already given), turns them into a set, exact from then on.
 */
export class GivenObjects {
  private pages: string[] = [];
  private page: string[] = [];
  private last: string | undefined;
  private set: Set<string> | undefined;

  /** Whether `key` is new; records it. */
  add(key: string): boolean {
    if (this.set) {
      if (this.set.has(key)) return false;
      this.set.add(key);
      return true;
    }
    if ((this.last !== undefined && key <= this.last) || key.includes('\n')) {
      this.toSet();
      return this.add(key);
    }
    this.last = key;
    this.page.push(key);
    return true;
  }

  /** Joins the page's keys into one string: the page's own key strings become garbage while young. */
  endPage(): void {
    if (this.set || this.page.length === 0) return;
    this.pages.push(this.page.join('\n'));
    this.page = [];
  }

  /** The list starts again from its first page: keys given come again. */
  restarted(): void {
    this.toSet();
  }

  private toSet(): void {
    if (this.set) return;
    this.set = new Set(this.page);
    for (const page of this.pages) for (const key of page.split('\n')) this.set.add(key);
    this.pages = [];
    this.page = [];
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

/** The egress refusal under undici's "fetch failed", if that is why the request failed. */
export function egressRefusal(error: unknown): EgressRefusedError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof EgressRefusedError) return current;
  }
  return undefined;
}

/** Our words for common connection failures; TLS and system messages can carry what the server sent (its certificate's names). */
const TRANSPORT_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the server',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate is not valid for its host name",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is not trusted (self-signed)",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate is not trusted (self-signed chain)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not trusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is not trusted",
  EPROTO: 'TLS handshake failed',
};

/** Why a connection failed, in our words: a known code's reason, else the bare code. */
export function transportReason(error: unknown): string {
  for (let current = error, depth = 0; depth < 6; depth++) {
    if (current instanceof AggregateError && current.errors[0] instanceof Error) current = current.errors[0];
    if (!(current instanceof Error)) break;
    const code = 'code' in current && typeof current.code === 'string' ? current.code : undefined;
    if (code && TRANSPORT_REASONS[code]) return TRANSPORT_REASONS[code];
    if (code?.startsWith('ERR_SSL_')) return 'TLS handshake failed';
    if (code && !current.cause && /^[A-Z0-9_]{2,40}$/.test(code)) return `connection failed (${code})`;
    current = current.cause;
  }
  return 'connection failed';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
