import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { builder, projectMembersScope, type Context } from '../graphql/builder.ts';
import type { AutoSnapshotPolicy, Retention, VirtualCluster } from './entity.ts';
import { projectId as projectIdInput, parseInput } from './input.ts';
import { clusterCursor, clusterNotFound } from './service.ts';

/** Reading a cluster is for its project and platform admins; to anyone else it does not exist (NOT_FOUND, as for a missing id). */
const memberOfCluster = async (id: string | number, context: Context) => {
  const cluster = await context.loaders.cluster.load(String(id));
  if (!cluster) throw clusterNotFound('id');
  return { platformAdmin: true, projectMember: cluster.projectId };
};

/** A project as vsnap knows it: its id. */
export interface ProjectKey {
  id: string;
}

/**
 * Projects are owned by another subgraph (their names, members); vsnap contributes their
 * virtual clusters and snapshot figures. To a caller outside the project it is nothing:
 * `_entities` answers null, as for any entity the caller may not see.
 */
export const ProjectRef = builder.objectRef<ProjectKey>('Project').implement({
  description: 'A project, owned by another subgraph; vsnap adds its virtual clusters and a summary of their snapshots.',
  fields: (t) => ({ id: t.exposeID('id') }),
});

builder.asEntity(ProjectRef, {
  key: builder.selection<ProjectKey>('id'),
  resolveReference: ({ id }, context) =>
    projectIdInput.safeParse(id).success && (context.viewer.isPlatformAdmin || context.viewer.belongsTo(id)) ? { id } : null,
});

export const KubeconfigSource = builder.enumType('KubeconfigSource', {
  values: {
    INLINE: { description: 'Held inline in vsnap (development only).' },
    SECRET_REF: { description: 'Read from a mounted secret.' },
  } as const,
});

const KeepFailedRef = builder.objectRef<Retention['keepFailed']>('KeepFailed').implement({
  description: 'How long snapshots without a usable archive stay: FAILED ones while among the `last` newest and at most `maxAgeSeconds` old; NOT_FOUND ones `maxAgeSeconds` after their object went missing.',
  fields: (t) => ({
    last: t.exposeInt('last'),
    maxAgeSeconds: t.exposeInt('maxAgeSeconds'),
  }),
});

const keepCount = (description: string) => ({ nullable: true, description: `${description} Null: the rule is not set.` }) as const;

export const RetentionRef = builder.objectRef<Retention>('Retention').implement({
  description:
    'Which snapshots are kept. Only good snapshots (COMPLETED, PARTIALLY_FAILED) count; the newest good one is never deleted. Periods are calendar periods of the policy\'s time zone. No keep rule set: every good snapshot is kept (within maxAgeSeconds).',
  fields: (t) => ({
    keepLast: t.exposeInt('keepLast', keepCount('The newest N good snapshots.')),
    keepHourly: t.exposeInt('keepHourly', keepCount('The newest good snapshot of each of the N most recent hours that have one.')),
    keepDaily: t.exposeInt('keepDaily', keepCount('The newest good snapshot of each of the N most recent days that have one.')),
    keepWeekly: t.exposeInt('keepWeekly', keepCount('The newest good snapshot of each of the N most recent ISO weeks (from Monday) that have one.')),
    keepMonthly: t.exposeInt('keepMonthly', keepCount('The newest good snapshot of each of the N most recent months that have one.')),
    keepYearly: t.exposeInt('keepYearly', keepCount('The newest good snapshot of each of the N most recent years that have one.')),
    maxAgeSeconds: t.exposeInt('maxAgeSeconds', {
      nullable: true,
      description: 'A good snapshot scheduled longer ago than this is deleted whatever rule keeps it, unless it is the newest good one. Null: no age limit.',
    }),
    keepFailed: t.field({ type: KeepFailedRef, resolve: (retention) => retention.keepFailed }),
  }),
});

/** A policy with its cluster: retention's preview and the auth on it need the cluster. */
export interface PolicyOfCluster {
  cluster: VirtualCluster;
  policy: AutoSnapshotPolicy;
}

export const CatchUpModeRef = builder.enumType('CatchUpMode', {
  description: 'What a policy does with ticks that passed while no worker ran (a stopped or overloaded service).',
  values: {
    ONE: { description: 'One catch-up snapshot for all of them, its CREATED event saying how many ticks were missed.' },
    NONE: { description: 'None: missed ticks are dropped; the schedule goes on from its next tick.' },
  } as const,
});

export const AutoSnapshotPolicyRef = builder.objectRef<PolicyOfCluster>('AutoSnapshotPolicy').implement({
  description: 'When and how a virtual cluster is snapshotted automatically.',
  fields: (t) => ({
    enabled: t.boolean({ resolve: ({ policy }) => policy.enabled }),
    schedule: t.string({ nullable: true, description: 'Five-field cron expression.', resolve: ({ policy }) => policy.schedule }),
    timeZone: t.string({ description: 'IANA time zone the schedule and the retention periods are read in.', resolve: ({ policy }) => policy.timeZone }),
    retention: t.field({ type: RetentionRef, resolve: ({ policy }) => policy.retention }),
    storageLocation: t.string({
      nullable: true,
      description: 'The name of the storage location snapshots are written to; null: the default location at the time each is taken.',
      resolve: async ({ policy }, _args, context) =>
        policy.storageLocation ? ((await context.loaders.location.load(policy.storageLocation.id))?.name ?? null) : null,
    }),
    volumeSnapshotsEnabled: t.boolean({ resolve: ({ policy }) => policy.volumeSnapshotsEnabled }),
    catchUp: t.field({ type: CatchUpModeRef, resolve: ({ policy }) => policy.catchUp }),
    nextRunAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'The next tick, in UTC: when the schedule next fires in its time zone (a local time skipped by daylight saving fires once after the gap, a repeated one once, on its first pass). Null while disabled. A tick still due when read (e.g. no worker running) shows as its time.',
      resolve: ({ policy }) => (policy.enabled ? policy.nextRunAt : null),
    }),
    skippedTicks: t.int({
      description: 'Ticks that made no snapshot because the previous one was still SCHEDULED (waiting for a free worker); reset when the policy is set again.',
      resolve: ({ policy }) => policy.skippedTicks,
    }),
  }),
});

export const VirtualClusterRef = builder.objectRef<VirtualCluster>('VirtualCluster').implement({
  description: 'A virtual Kubernetes cluster vsnap snapshots. Visible to its project and to platform admins.',
  runScopesOnType: true,
  authScopes: (cluster) => projectMembersScope(cluster.projectId),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    projectId: t.exposeID('projectId'),
    project: t.field({ type: ProjectRef, resolve: (cluster) => ({ id: cluster.projectId }) }),
    kubeconfigSource: t.field({
      type: KubeconfigSource,
      resolve: (cluster) => (cluster.kubeconfigSecretRef ? 'SECRET_REF' : 'INLINE'),
    }),
    kubeconfigSecretRef: t.exposeString('kubeconfigSecretRef', { nullable: true }),
    autoSnapshotPolicy: t.field({ type: AutoSnapshotPolicyRef, resolve: (cluster) => ({ cluster, policy: cluster.policy }) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.asEntity(VirtualClusterRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: ({ id }, context) => context.loaders.cluster.load(id),
});

/** One connection type for every list of clusters (Query.virtualClusters, Project.virtualClusters). */
const VirtualClusterConnection = builder.connectionObject({ type: VirtualClusterRef, name: 'VirtualClusterConnection' }, { name: 'VirtualClusterEdge' });

builder.objectField(ProjectRef, 'virtualClusters', (t) =>
  t.connection({
    type: VirtualClusterRef,
    nullable: true,
    description: 'The project\'s virtual clusters by name. Read in one statement for every project of a request.',
    authScopes: (project) => projectMembersScope(project.id),
    resolve: (project, args, context) =>
      resolveCursorConnection(
        { args, toCursor: clusterCursor, defaultSize: 20, maxSize: 100 },
        ({ after, before, limit, inverted }: ResolveCursorConnectionArgs) =>
          context.loaders.projectClusters.load({ projectId: project.id, page: { after: after ?? null, before: before ?? null, limit, inverted } }),
      ),
  }, VirtualClusterConnection),
);

builder.queryFields((t) => ({
  virtualClusters: t.connection({
    type: VirtualClusterRef,
    description: 'Virtual clusters by name: of one project, or of every project the caller belongs to.',
    args: { projectId: t.arg.id({ required: false }) },
    authScopes: (_root, args) => (args.projectId ? { platformAdmin: true, projectMember: String(args.projectId) } : true),
    resolve: (_root, args, context) => {
      const projectIds = args.projectId ? [parseInput(projectIdInput, String(args.projectId), 'projectId')] : context.viewer.visibleProjects();
      return resolveCursorConnection(
        { args, toCursor: clusterCursor, defaultSize: 20, maxSize: 100 },
        (page: ResolveCursorConnectionArgs) => context.clusters.list(projectIds, page),
      );
    },
  }, VirtualClusterConnection),
  virtualCluster: t.field({
    type: VirtualClusterRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    authScopes: (_root, args, context) => memberOfCluster(args.id, context),
    // The row the scope check loaded (a cluster the caller may not see is NOT_FOUND there already).
    resolve: async (_root, args, context) => {
      const cluster = await context.loaders.cluster.load(String(args.id));
      if (!cluster) throw clusterNotFound();
      return cluster;
    },
  }),
}));
