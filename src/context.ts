import { randomUUID } from 'node:crypto';
import { contextCacheSymbol } from '@pothos/core';
import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from './auth/viewer.ts';
import type { PageRequest } from './db/keyset.ts';
import type { VirtualCluster } from './clusters/entity.ts';
import type { KubeconfigRules } from './clusters/kubeconfig.ts';
import { ClusterService } from './clusters/service.ts';
import type { SnapshotEvent } from './events/entity.ts';
import type { EventFeed } from './events/feed.ts';
import type { SnapshotJobs } from './jobs/jobs.ts';
import type { Logger } from './logger.ts';
import { StorageLocationSchema, type StorageLocation } from './locations/entity.ts';
import { LocationService } from './locations/service.ts';
import type { LocationStoreOpener } from './locations/store.ts';
import { SnapshotSchema, type Snapshot } from './snapshots/entity.ts';
import type { SnapshotView, VolumeSnapshotView } from './snapshots/views.ts';
import { retentionRows, type RetentionRow } from './snapshots/retention.ts';
import { SnapshotService, type PolicyOutcome, type SnapshotPageQuery, type SnapshotSummary } from './snapshots/service.ts';

/** How an operation reached vsnap: a plain HTTP request, an SSE stream, or a graphql-ws connection. */
export type Transport = 'http' | 'sse' | 'graphql-ws';

/**
 * Everything one GraphQL request works with: its caller, its own EntityManager, its batch loaders.
 * The EntityManager, the services, the loaders and the request's logger are made on first use:
 * a subscription waiting for events holds none of them.
 */
export interface Context {
  readonly viewer: Viewer;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly clusters: ClusterService;
  readonly snapshots: SnapshotService;
  readonly locations: LocationService;
  readonly loaders: Loaders;
  /** The process's live events, for subscriptions. */
  readonly feed: EventFeed;
  /**
   * Forgets every row read so far (the EntityManager and the loaders' caches: new ones are made
   * on next use) and the authorization decisions cached: a subscription lives on one context, and
   * each of its events is resolved against the rows as they are now.
   */
  refresh(): void;
}

export type Loaders = ReturnType<typeof createLoaders>;

/** What every request's context is made with, once per process. */
export interface ContextDeps {
  /** A new EntityManager of a request's own (orm.em.fork). */
  fork: () => EntityManager;
  /** The process's logger; each request logs through a child with its own requestId and the caller's subject. */
  logger: Logger;
  /** Where mutations enqueue snapshot work. */
  scheduler?: SnapshotJobs;
  /** Opens storage locations, to delete archives. */
  storage?: LocationStoreOpener;
  /** How tenants' kubeconfigs are admitted (egress policy) and kept (sealed). */
  kubeconfigs: KubeconfigRules;
  feed: EventFeed;
}

interface Rows {
  clusters: ClusterService;
  snapshots: SnapshotService;
  locations: LocationService;
  loaders: Loaders;
}

/** The lazily made part of one request's context. */
class RequestScope {
  private rows: Rows | undefined;
  private log: Logger | undefined;

  constructor(
    private readonly deps: ContextDeps,
    private readonly viewer: Viewer,
  ) {}

  get logger(): Logger {
    return (this.log ??= this.deps.logger.child({ requestId: randomUUID(), subject: this.viewer.subject }));
  }

  get current(): Rows {
    if (this.rows) return this.rows;
    const { fork, scheduler, storage, kubeconfigs } = this.deps;
    const em = fork();
    const jobs = scheduler ? { scheduler, logger: this.logger } : undefined;
    const clusters = new ClusterService(em, jobs, kubeconfigs);
    const snapshots = new SnapshotService(em, jobs, storage);
    this.rows = { clusters, snapshots, locations: new LocationService(em), loaders: createLoaders(em, clusters, snapshots, this.viewer) };
    return this.rows;
  }

  refresh(): void {
    this.rows = undefined;
  }
}

const SCOPE = Symbol('vsnap request scope');
type Scoped = { [SCOPE]: RequestScope };

/** Shared by every context (no closures per request); not enumerable: copying a context copies no getter's value. */
const LAZY_MEMBERS: PropertyDescriptorMap = {
  logger: { get: function (this: Scoped) { return this[SCOPE].logger; } },
  clusters: { get: function (this: Scoped) { return this[SCOPE].current.clusters; } },
  snapshots: { get: function (this: Scoped) { return this[SCOPE].current.snapshots; } },
  locations: { get: function (this: Scoped) { return this[SCOPE].current.locations; } },
  loaders: { get: function (this: Scoped) { return this[SCOPE].current.loaders; } },
  refresh: {
    value: function (this: Scoped & Record<symbol, unknown>) {
      this[SCOPE].refresh();
      // Pothos keys its per-request caches (scope-auth's grants) by this object: a new one drops them.
      this[contextCacheSymbol] = {};
    },
  },
};

/**
 * Makes `target` (yoga's own context object, or a new one) a request's context, in place: yoga
 * extends its context with what the factory returns by copying values, which would read every
 * lazy member at once; here they stay getters on the object the resolvers receive, and are not
 * enumerable, so that copy changes nothing.
 */
export function createContext(deps: ContextDeps, viewer: Viewer, transport: Transport, target: object = {}): Context {
  Object.defineProperties(target, LAZY_MEMBERS);
  return Object.assign(target, { [SCOPE]: new RequestScope(deps, viewer), [contextCacheSymbol]: {}, viewer, transport, feed: deps.feed }) as unknown as Context;
}

/** Rows in the order of `ids` (UUIDs compared as Postgres does, whatever their case). */
const byId = <T extends { id: string }>(ids: readonly string[], rows: T[]) => {
  const found = new Map(rows.map((row) => [row.id.toLowerCase(), row]));
  return ids.map((id) => found.get(id.toLowerCase()) ?? null);
};

const groupBy = <T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string) => {
  const groups = new Map<string, T[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids per statement: a federation request may carry thousands of representations. */
const MAX_IDS_PER_STATEMENT = 500;

/**
 * Batches every lookup of a request into one statement per kind, whatever the page size.
 * `cluster` and `snapshot` load only rows of the viewer's projects (every row for a platform
 * admin): a row elsewhere is null, exactly like an id that does not exist, so no field or
 * entity built on them can tell the two apart.
 */
function createLoaders(em: EntityManager, clusters: ClusterService, snapshots: SnapshotService, viewer: Viewer) {
  const visible = <T extends { projectId: string }>(rows: T[]) =>
    viewer.isPlatformAdmin ? rows : rows.filter((row) => viewer.belongsTo(row.projectId));
  const uuids = (ids: readonly string[]) => ids.filter((id) => UUID.test(id));
  const batch = { maxBatchSize: MAX_IDS_PER_STATEMENT };
  return {
    cluster: new DataLoader<string, VirtualCluster | null>(
      async (ids) => byId(ids, visible(await clusters.findByIds(uuids(ids)))),
      batch,
    ),
    location: new DataLoader<string, StorageLocation | null>(
      async (ids) => byId(ids, await em.find(StorageLocationSchema, { id: { $in: uuids(ids) } })),
      batch,
    ),
    snapshot: new DataLoader<string, Snapshot | null>(
      async (ids) => byId(ids, visible(await em.find(SnapshotSchema, { id: { $in: uuids(ids) } }))),
      batch,
    ),
    snapshotPage: new DataLoader<{ clusterId: string; query: SnapshotPageQuery }, SnapshotView[], string>(
      async (keys) => {
        // Keys asking the same question of different clusters share one statement.
        const byQuery = new Map<string, { query: SnapshotPageQuery; clusterIds: string[] }>();
        for (const { clusterId, query } of keys) {
          const group = byQuery.get(JSON.stringify(query)) ?? { query, clusterIds: [] };
          group.clusterIds.push(clusterId);
          byQuery.set(JSON.stringify(query), group);
        }
        const pages = new Map<string, SnapshotView[]>();
        for (const [queryKey, { query, clusterIds }] of byQuery) {
          const result = await snapshots.pagesForClusters(clusterIds, query);
          for (const [clusterId, page] of result) pages.set(`${clusterId}|${queryKey}`, page);
        }
        return keys.map(({ clusterId, query }) => pages.get(`${clusterId}|${JSON.stringify(query)}`) ?? []);
      },
      { cacheKeyFn: ({ clusterId, query }) => `${clusterId}|${JSON.stringify(query)}` },
    ),
    /** A page of each project's clusters (Project.virtualClusters): projects asking for the same page share one statement. */
    projectClusters: new DataLoader<{ projectId: string; page: PageRequest }, VirtualCluster[], string>(
      async (keys) => {
        const byPage = new Map<string, { page: PageRequest; projectIds: string[] }>();
        for (const { projectId, page } of keys) {
          const group = byPage.get(JSON.stringify(page)) ?? { page, projectIds: [] };
          group.projectIds.push(projectId);
          byPage.set(JSON.stringify(page), group);
        }
        const pages = new Map<string, VirtualCluster[]>();
        for (const [pageKey, { page, projectIds }] of byPage) {
          for (const [projectId, found] of await clusters.pagesForProjects(projectIds, page)) pages.set(`${projectId}|${pageKey}`, found);
        }
        return keys.map(({ projectId, page }) => pages.get(`${projectId}|${JSON.stringify(page)}`) ?? []);
      },
      { cacheKeyFn: ({ projectId, page }) => `${projectId}|${JSON.stringify(page)}`, ...batch },
    ),
    /** Each project's snapshot figures (Project.snapshotSummary; projects the caller administers). */
    snapshotSummary: new DataLoader<string, SnapshotSummary>(async (projectIds) => {
      const summaries = await snapshots.summariesFor(projectIds);
      return projectIds.map((id) => summaries.get(id) ?? { total: 0, lastCompletedAt: null, failedLast24h: 0 });
    }, batch),
    volumes: new DataLoader<string, VolumeSnapshotView[]>(async (ids) =>
      groupBy(ids, await snapshots.volumesFor(ids), (volume) => volume.snapshot.id),
    ),
    /** Each snapshot's events but PROGRESS (its history); `progressEvents` has the rest. */
    events: new DataLoader<string, SnapshotEvent[]>(async (ids) =>
      groupBy(ids, await snapshots.eventsFor(ids, 'history'), (event) => event.snapshotId),
    ),
    progressEvents: new DataLoader<string, SnapshotEvent[]>(async (ids) =>
      groupBy(ids, await snapshots.eventsFor(ids, 'progress'), (event) => event.snapshotId),
    ),
    /** Every snapshot of each cluster, for `retentionPreview` (ids of clusters the caller may already read). */
    policyOutcome: new DataLoader<string, PolicyOutcome>(async (ids) => {
      const outcomes = await snapshots.policyOutcomes(uuids(ids));
      return ids.map((id) => outcomes.get(id) ?? { lastRun: null, consecutiveFailures: 0 });
    }, batch),
    retentionRows: new DataLoader<string, RetentionRow[]>(
      async (ids) => groupBy(ids, await retentionRows(em, uuids(ids)), (row) => row.virtualClusterId),
      batch,
    ),
  };
}
