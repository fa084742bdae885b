/**
 * The object store of the test apiserver: one global resourceVersion counter,
 * objects kept compactly as JSON strings (without apiVersion/kind), sorted
 * snapshots for chunked lists, a bounded event history for watch resumption,
 * and ordered fan-out of every change to listeners.
 */
import { randomUUID } from 'node:crypto';
import { groupVersion, resourceType, type ResourceDef, type ResourceRegistry } from './resources.ts';
import { Collection, StoredObject, type KubeObject, type ListPage, type ObjectMeta, type PageOptions } from './collection.ts';
import { errors } from './status.ts';

export { StoredObject, type KubeObject, type ObjectMeta } from './collection.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceDef;
  /** The new version; for DELETED the last version, stamped with the deletion's resourceVersion. */
  object: StoredObject;
  previous?: StoredObject;
  rv: number;
}

export type StoreListener = (event: StoreEvent) => void;

const nowSeconds = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 7).padEnd(5, 'x');
}

export class KubeStore {
  private rv = 0;
  private readonly collections = new Map<string, Collection>();
  private history: StoreEvent[] = [];
  private historyHead = 0;
  private readonly listeners = new Set<StoreListener>();
  private readonly queue: StoreEvent[] = [];
  private dispatching = false;
  readonly compactAfter: number;

  constructor(
    readonly registry: ResourceRegistry,
    options: { compactAfter?: number } = {},
  ) {
    this.compactAfter = options.compactAfter ?? 100_000;
  }

  /** The latest resourceVersion handed out. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Watches and continue tokens from resourceVersions below this are answered 410. */
  get compactedResourceVersion(): number {
    return Math.max(0, this.rv - this.compactAfter);
  }

  // ---- convenience API for seeding and assertions (type = "configmaps", "apps/deployments") ----

  /** Creates `obj` (409 KubeApiError if it exists); unlike an API create, a missing namespace is created too. */
  add(obj: KubeObject): KubeObject {
    const def = this.defOf(obj);
    this.ensureNamespace(def, obj.metadata?.namespace);
    return this.toObject(def, this.create(def, obj));
  }

  update(obj: KubeObject): KubeObject {
    const def = this.defOf(obj);
    return this.toObject(def, this.replace(def, obj));
  }

  /** Creates, or replaces whatever is there (ignoring resourceVersion). */
  upsert(obj: KubeObject): KubeObject {
    const def = this.defOf(obj);
    const existing = this.entry(def, obj.metadata?.name ?? '', this.namespaceFor(def, obj.metadata?.namespace));
    if (!existing) return this.add(obj);
    return this.toObject(def, this.replace(def, { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } }));
  }

  /** Reads, lets `change` edit the object in place, and writes it back (one MODIFIED event). */
  modify(type: string, name: string, namespace: string | undefined, change: (obj: KubeObject & { metadata: ObjectMeta }) => void): KubeObject {
    const def = this.registry.require(type);
    const existing = this.entry(def, name, namespace);
    if (!existing) throw errors.notFound(def.group, def.plural, name);
    const obj = existing.object();
    change(obj);
    return this.toObject(def, this.replace(def, obj));
  }

  /** One object; `namespace` defaults to "default" for namespaced types and is ignored for cluster-scoped ones. */
  get(type: string, name: string, namespace?: string): KubeObject | undefined {
    const def = this.registry.require(type);
    const found = this.entry(def, name, namespace);
    return found && this.toObject(def, found);
  }

  /** Objects sorted by namespace/name; all namespaces unless `namespace` is given. */
  list(type: string, namespace?: string): KubeObject[] {
    const def = this.registry.require(type);
    return this.scan(def, namespace).map((item) => this.toObject(def, item));
  }

  count(type: string, namespace?: string): number {
    const def = this.registry.require(type);
    return namespace === undefined ? (this.collections.get(resourceType(def))?.items.size ?? 0) : this.scan(def, namespace).length;
  }

  remove(type: string, name: string, namespace?: string): KubeObject | undefined {
    const def = this.registry.require(type);
    if (!this.entry(def, name, namespace)) return undefined;
    return this.toObject(def, this.delete(def, name, namespace));
  }

  /** Every committed change, in resourceVersion order; listeners may write to the store. */
  on(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Creates the namespace a directly added object lives in when it does not exist yet. */
  ensureNamespace(def: ResourceDef, namespace: string | undefined): void {
    if (!def.namespaced) return;
    const name = this.namespaceFor(def, namespace);
    const namespaces = this.registry.require('namespaces');
    if (this.entry(namespaces, name, undefined)) return;
    this.create(namespaces, { metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }

  // ---- the API the HTTP layer uses ----

  toObject(def: ResourceDef, item: StoredObject, version = def.versions[0]!): KubeObject {
    return { apiVersion: groupVersion(def.group, version), kind: def.kind, ...item.object() };
  }

  entry(def: ResourceDef, name: string, namespace: string | undefined): StoredObject | undefined {
    return this.collections.get(resourceType(def))?.items.get(`${this.namespaceFor(def, namespace)}\0${name}`);
  }

  /** All objects of a resource (optionally one namespace), sorted by namespace/name. */
  scan(def: ResourceDef, namespace?: string): StoredObject[] {
    return this.collection(def).inNamespace(namespace);
  }

  create(def: ResourceDef, obj: KubeObject): StoredObject {
    const meta: ObjectMeta = { ...obj.metadata };
    if (!meta.name) {
      if (!meta.generateName) throw errors.invalid(def.group, def.kind, '', 'metadata.name: Required value: name or generateName is required');
      meta.name = `${meta.generateName}${randomSuffix()}`;
    }
    const namespace = this.namespaceFor(def, meta.namespace);
    if (def.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    const collection = this.collection(def);
    if (collection.items.has(`${namespace}\0${meta.name}`)) throw errors.alreadyExists(def.group, def.plural, meta.name);
    const rv = ++this.rv;
    meta.uid = randomUUID();
    meta.resourceVersion = String(rv);
    meta.creationTimestamp = nowSeconds();
    if (obj.spec !== undefined) meta.generation = 1;
    meta.managedFields ??= [managedFieldsEntry(def)];
    const stored = this.serialize(namespace, meta, obj, rv);
    collection.set(stored);
    this.emit({ type: 'ADDED', resource: def, object: stored, rv });
    return stored;
  }

  replace(def: ResourceDef, obj: KubeObject): StoredObject {
    const name = obj.metadata?.name ?? '';
    const namespace = this.namespaceFor(def, obj.metadata?.namespace);
    const existing = this.entry(def, name, namespace);
    if (!existing) throw errors.notFound(def.group, def.plural, name);
    const expected = obj.metadata?.resourceVersion;
    if (expected && expected !== String(existing.rv)) throw errors.conflict(def.group, def.plural, name);
    const old = existing.object();
    const rv = ++this.rv;
    const meta: ObjectMeta = { ...obj.metadata, name, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp };
    if (def.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    meta.resourceVersion = String(rv);
    if (old.metadata.generation !== undefined) {
      const specChanged = JSON.stringify(old.spec) !== JSON.stringify(obj.spec);
      meta.generation = old.metadata.generation + (specChanged ? 1 : 0);
    }
    meta.managedFields ??= old.metadata.managedFields;
    const stored = this.serialize(namespace, meta, obj, rv);
    this.collection(def).set(stored);
    this.emit({ type: 'MODIFIED', resource: def, object: stored, previous: existing, rv });
    return stored;
  }

  delete(def: ResourceDef, name: string, namespace: string | undefined): StoredObject {
    const existing = this.entry(def, name, namespace);
    if (!existing) throw errors.notFound(def.group, def.plural, name);
    const rv = ++this.rv;
    const obj = existing.object();
    const stored = this.serialize(existing.namespace, { ...obj.metadata, resourceVersion: String(rv) }, obj, rv);
    this.collection(def).delete(existing.key);
    this.emit({ type: 'DELETED', resource: def, object: stored, previous: existing, rv });
    return stored;
  }

  /** Drops a whole collection (a deleted CRD's objects), emitting DELETED for each. */
  deleteAll(def: ResourceDef): void {
    for (const item of [...this.scan(def)]) this.delete(def, item.name, item.namespace);
  }

  /** One chunk of a list; see Collection.page. */
  page(def: ResourceDef, options: PageOptions): ListPage {
    return this.collection(def).page(options, this.rv, this.compactedResourceVersion);
  }

  /** Events after `rv` (exclusive), or undefined when `rv` is older than the kept history. */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedResourceVersion) return undefined;
    const events = this.history;
    let lo = this.historyHead;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (events[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return events.slice(lo);
  }

  // ---- internals ----

  private defOf(obj: KubeObject): ResourceDef {
    const def = this.registry.byKind(obj.apiVersion ?? '', obj.kind ?? '');
    if (!def) throw new Error(`no resource serves ${obj.apiVersion} ${obj.kind}`);
    return def;
  }

  private namespaceFor(def: ResourceDef, namespace: string | undefined): string {
    return def.namespaced ? namespace || 'default' : '';
  }

  private collection(def: ResourceDef): Collection {
    const key = resourceType(def);
    let collection = this.collections.get(key);
    if (!collection) this.collections.set(key, (collection = new Collection(def.namespaced)));
    return collection;
  }

  private serialize(namespace: string, meta: ObjectMeta, obj: KubeObject, rv: number): StoredObject {
    const { apiVersion: _apiVersion, kind: _kind, metadata: _metadata, ...rest } = obj;
    const json = JSON.stringify({ metadata: meta, ...rest });
    const labels = meta.labels && Object.keys(meta.labels).length > 0 ? meta.labels : undefined;
    return new StoredObject(namespace, meta.name ?? '', rv, json, labels);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    const compacted = this.compactedResourceVersion;
    while (this.historyHead < this.history.length && this.history[this.historyHead]!.rv <= compacted) this.historyHead++;
    if (this.historyHead > 4096 && this.historyHead > this.history.length / 2) {
      this.history = this.history.slice(this.historyHead);
      this.historyHead = 0;
    }
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        for (const listener of [...this.listeners]) {
          try {
            listener(next);
          } catch (error) {
            console.error('kube test store: listener failed', error);
          }
        }
      }
    } finally {
      this.dispatching = false;
    }
  }
}

function managedFieldsEntry(def: ResourceDef) {
  return {
    manager: 'kubectl-client-side-apply',
    operation: 'Update',
    apiVersion: groupVersion(def.group, def.versions[0]!),
    time: nowSeconds(),
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:annotations': {} } },
  };
}

