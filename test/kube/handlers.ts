/**
 * Resource endpoints: parsing /api/v1/... and /apis/<g>/<v>/... paths into a
 * route and verb, and serving get, list (chunked), watch, create, update,
 * patch, delete and deletecollection against the store.
 */
import type { ServerResponse } from 'node:http';
import { applyPatch } from './patch.ts';
import { groupVersion, type ResourceDef, type ResourceRegistry } from './resources.ts';
import { combine, fieldSelector, labelSelector } from './selectors.ts';
import { errors, KubeApiError, kubeStatus } from './status.ts';
import type { KubeObject, KubeStore, StoredObject } from './store.ts';
import type { WatchHub } from './watch.ts';

export interface ResourceRoute {
  def: ResourceDef;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Legacy /watch/ path prefix. */
  watchPath: boolean;
}

export interface Reply {
  code: number;
  body: string;
}

export interface ResourceRequest {
  method: string;
  route: ResourceRoute;
  query: URLSearchParams;
  contentType: string;
  body: () => Promise<unknown>;
  res: ServerResponse;
}

export interface HandlerContext {
  store: KubeStore;
  hub: WatchHub;
  pageLimitMax?: number;
  bookmarkIntervalMs: number;
  /** Each list page's items in reverse. */
  reversedLists?: boolean;
}

/** segments after /api/v1 or /apis/<g>/<v>; undefined when no served resource matches. */
export function parseResourcePath(registry: ResourceRegistry, group: string, version: string, segments: string[]): ResourceRoute | undefined {
  let rest = segments;
  const watchPath = rest[0] === 'watch';
  if (watchPath) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && registry.lookup(group, version, rest[2]!)?.namespaced) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = '', name, subresource, ...extra] = rest;
  const def = registry.lookup(group, version, plural);
  if (!def || extra.length > 0 || (namespace !== undefined && !def.namespaced)) return undefined;
  if (subresource !== undefined && !def.subresources.includes(subresource)) return undefined;
  const route: ResourceRoute = { def, version, watchPath };
  if (namespace !== undefined) route.namespace = namespace;
  if (name !== undefined) route.name = name;
  if (subresource !== undefined) route.subresource = subresource;
  return route;
}

export function verbOf(method: string, route: ResourceRoute, query: URLSearchParams): string {
  const watch = route.watchPath || query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
      if (route.name !== undefined) return watch ? 'watch' : 'get';
      return watch ? 'watch' : 'list';
    case 'POST':
      return route.name === undefined ? 'create' : 'unsupported';
    case 'PUT':
      return route.name !== undefined ? 'update' : 'unsupported';
    case 'PATCH':
      return route.name !== undefined ? 'patch' : 'unsupported';
    case 'DELETE':
      return route.name !== undefined ? 'delete' : 'deletecollection';
    default:
      return 'unsupported';
  }
}

const json = (code: number, value: unknown): Reply => ({ code, body: JSON.stringify(value) });

function typedJson(def: ResourceDef, version: string, item: StoredObject): string {
  return `{"apiVersion":${JSON.stringify(groupVersion(def.group, version))},"kind":${JSON.stringify(def.kind)},${item.json.slice(1)}`;
}

async function objectBody(request: ResourceRequest): Promise<KubeObject> {
  const body = await request.body();
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the request body must be a JSON object');
  return body as KubeObject;
}

function predicateOf(query: URLSearchParams) {
  return combine(labelSelector(query.get('labelSelector')), fieldSelector(query.get('fieldSelector')));
}

export async function handleResource(ctx: HandlerContext, verb: string, request: ResourceRequest): Promise<Reply | undefined> {
  const { store } = ctx;
  const { def, version, namespace, name = '', subresource } = request.route;
  const query = request.query;
  const typed = (item: StoredObject) => typedJson(def, version, item);
  const existing = () => {
    const found = store.entry(def, name, namespace);
    if (!found) throw errors.notFound(def.group, def.plural, name);
    return found;
  };

  switch (verb) {
    case 'get':
      return { code: 200, body: typed(existing()) };

    case 'list': {
      const rawLimit = Number(query.get('limit'));
      let limit = Number.isInteger(rawLimit) && rawLimit > 0 ? rawLimit : undefined;
      if (limit !== undefined && ctx.pageLimitMax !== undefined) limit = Math.min(limit, ctx.pageLimitMax);
      const page = store.page(def, { namespace, limit, continueToken: query.get('continue') || undefined, predicate: predicateOf(query) });
      const meta: Record<string, unknown> = { resourceVersion: String(page.rv) };
      if (page.continue) meta.continue = page.continue;
      if (page.remainingItemCount !== undefined) meta.remainingItemCount = page.remainingItemCount;
      const items = (ctx.reversedLists ? page.items.toReversed() : page.items).map((item) => (def.unstructured ? typed(item) : item.json)).join(',');
      const head = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(groupVersion(def.group, version))}`;
      return { code: 200, body: `${head},"metadata":${JSON.stringify(meta)},"items":[${items}]}` };
    }

    case 'watch': {
      const timeout = Number(query.get('timeoutSeconds'));
      const fieldSel = name ? `metadata.name=${name}${query.get('fieldSelector') ? `,${query.get('fieldSelector')}` : ''}` : query.get('fieldSelector');
      ctx.hub.serve(store, request.res, {
        def,
        version,
        namespace,
        predicate: combine(labelSelector(query.get('labelSelector')), fieldSelector(fieldSel)),
        resourceVersion: query.get('resourceVersion'),
        timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
        bookmarks: query.get('allowWatchBookmarks') === 'true',
        bookmarkIntervalMs: ctx.bookmarkIntervalMs,
      });
      return undefined;
    }

    case 'create': {
      const body = await objectBody(request);
      if (body.kind !== undefined && body.kind !== def.kind) {
        throw errors.badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${def.kind})`);
      }
      const bodyNamespace = body.metadata?.namespace;
      if (def.namespaced && bodyNamespace && bodyNamespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (def.namespaced && namespace !== undefined && !store.entry(store.registry.require('namespaces'), namespace, undefined)) {
        throw errors.notFound('', 'namespaces', namespace);
      }
      const obj: KubeObject = { ...body, metadata: { ...body.metadata, ...(def.namespaced ? { namespace } : {}) } };
      if (def.group === '' && def.plural === 'namespaces') {
        obj.spec ??= { finalizers: ['kubernetes'] };
        obj.status ??= { phase: 'Active' };
      }
      if (def.virtual) return json(201, { apiVersion: groupVersion(def.group, version), kind: def.kind, ...obj });
      return { code: 201, body: typed(store.create(def, obj)) };
    }

    case 'update': {
      const body = await objectBody(request);
      if (body.metadata?.name && body.metadata.name !== name) {
        throw errors.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
      }
      const current = existing().object();
      const obj = mergeForSubresource(def, subresource, current, { ...body, metadata: { ...body.metadata, name, namespace } });
      return { code: 200, body: typed(store.replace(def, obj)) };
    }

    case 'patch': {
      const current = existing().object();
      const patched = applyPatch(current, request.contentType, await request.body()) as KubeObject;
      if (patched === null || typeof patched !== 'object') throw errors.badRequest('the patch produced no object');
      const meta = { ...patched.metadata, name, namespace };
      return { code: 200, body: typed(store.replace(def, mergeForSubresource(def, subresource, current, { ...patched, metadata: meta }))) };
    }

    case 'delete': {
      const deleted = store.delete(def, existing().name, namespace);
      if (def.unstructured || def.plural === 'namespaces' || def.plural === 'pods') return { code: 200, body: typed(deleted) };
      const uid = deleted.object().metadata.uid;
      return json(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: def.group, kind: def.plural, uid } });
    }

    case 'deletecollection': {
      const predicate = predicateOf(query);
      const victims = store.scan(def, namespace).filter((item) => !predicate || predicate(item));
      const deleted = victims.map((item) => store.delete(def, item.name, item.namespace));
      const head = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(groupVersion(def.group, version))}`;
      return { code: 200, body: `${head},"metadata":{"resourceVersion":"${store.resourceVersion}"},"items":[${deleted.map(typed).join(',')}]}` };
    }

    default:
      throw errors.methodNotAllowed();
  }
}

/** Main resource writes keep the stored status; /status writes change only the status. */
function mergeForSubresource(def: ResourceDef, subresource: string | undefined, current: KubeObject, next: KubeObject): KubeObject {
  if (subresource === 'status') {
    return { ...current, status: next.status, metadata: { ...current.metadata, resourceVersion: next.metadata?.resourceVersion } };
  }
  if (subresource !== undefined) throw new KubeApiError(kubeStatus(405, 'MethodNotAllowed', `subresource ${subresource} is not writable here`));
  if (def.subresources.includes('status')) return { ...next, status: current.status };
  return next;
}
