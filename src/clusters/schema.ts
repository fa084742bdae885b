import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { builder, type Context } from '../graphql/builder.ts';
import type { AutoSnapshotPolicy, Retention, VirtualCluster } from './entity.ts';
import { projectId as projectIdInput, parseInput } from './input.ts';
import { clusterCursor, clusterNotFound } from './service.ts';

/** Reading a cluster is for its project and platform admins; to anyone else it does not exist (NOT_FOUND, as for a missing id). */
const memberOfCluster = async (id: string | number, context: Context) => {
  const cluster = await context.loaders.cluster.load(String(id));
  if (!cluster) throw clusterNotFound('id');
  return { platformAdmin: true, projectMember: cluster.projectId };
};

/** Projects live in another subgraph; vsnap only references them by key. */
export const ProjectRef = builder
  .externalRef('Project', builder.keyDirective(builder.selection<{ id: string }>('id'), false))
  .implement({
  fields: (t) => ({ id: t.exposeID('id') }),
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
  }),
});

export const VirtualClusterRef = builder.objectRef<VirtualCluster>('VirtualCluster').implement({
  description: 'A virtual Kubernetes cluster vsnap snapshots. Visible to its project and to platform admins.',
  runScopesOnType: true,
  authScopes: (cluster) => ({ platformAdmin: true, projectMember: cluster.projectId }),
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
  }, { name: 'VirtualClusterConnection' }, { name: 'VirtualClusterEdge' }),
  virtualCluster: t.field({
    type: VirtualClusterRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    authScopes: (_root, args, context) => memberOfCluster(args.id, context),
    resolve: (_root, args, context) => context.clusters.get(String(args.id)),
  }),
}));
