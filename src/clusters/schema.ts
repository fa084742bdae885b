import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import type { Context } from '../context.ts';
import { builder } from '../graphql/builder.ts';
import type { AutoSnapshotPolicy, VirtualCluster } from './entity.ts';
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

export const AutoSnapshotPolicyRef = builder.objectRef<AutoSnapshotPolicy>('AutoSnapshotPolicy').implement({
  description: 'When and how a virtual cluster is snapshotted automatically.',
  fields: (t) => ({
    enabled: t.exposeBoolean('enabled'),
    schedule: t.exposeString('schedule', { nullable: true, description: 'Five-field cron expression.' }),
    timeZone: t.exposeString('timeZone', { description: 'IANA time zone the schedule is read in.' }),
    retentionMaxSnapshots: t.exposeInt('retentionMaxSnapshots', { nullable: true }),
    retentionMaxAgeSeconds: t.exposeInt('retentionMaxAgeSeconds', { nullable: true }),
    storageLocation: t.string({
      nullable: true,
      description: 'The name of the storage location snapshots are written to; null: the default location at the time each is taken.',
      resolve: async (policy, _args, context) =>
        policy.storageLocation ? ((await context.loaders.location.load(policy.storageLocation.id))?.name ?? null) : null,
    }),
    volumeSnapshotsEnabled: t.exposeBoolean('volumeSnapshotsEnabled'),
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
    autoSnapshotPolicy: t.field({ type: AutoSnapshotPolicyRef, resolve: (cluster) => cluster.policy }),
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
