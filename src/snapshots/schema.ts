import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { Kind, type GraphQLResolveInfo, type SelectionNode } from 'graphql';
import { ProjectRef, VirtualClusterRef } from '../clusters/schema.ts';
import { builder, projectAdminsScope, type Context } from '../graphql/builder.ts';
import type { SnapshotView, VolumeSnapshotView } from './views.ts';
import { SNAPSHOT_INTEGRITIES, SNAPSHOT_TRIGGERS, type SkippedResourceRecord } from './entity.ts';
import { SNAPSHOT_STATUSES, VOLUME_SNAPSHOT_PHASES } from './lifecycle.ts';
import type { SnapshotProgress } from './progress.ts';
import { snapshotCursor, snapshotNotFound, type SnapshotPageQuery, type SnapshotSummary } from './service.ts';

/**
 * snapshot(id) runs for anyone in the snapshot's project (the Snapshot type then refuses a
 * member field by field, FORBIDDEN); to anyone else it does not exist (NOT_FOUND, as for a missing id).
 */
const memberOfSnapshot = async (id: string | number, context: Context) => {
  const snapshot = await context.loaders.snapshot.load(String(id));
  if (!snapshot) throw snapshotNotFound('id');
  return { platformAdmin: true, projectMember: snapshot.projectId };
};

/** Snapshot fields answered from the summary columns (SNAPSHOT_SUMMARY_COLUMNS in service.ts) and loaders. */
const SUMMARY_FIELDS = new Set(['__typename', 'id', 'name', 'status', 'trigger', 'volumeSnapshotsEnabled', 'scheduledAt', 'virtualCluster', 'volumeSnapshots', 'events']);
/** VolumeSnapshot fields answered from its summary columns (VOLUME_SUMMARY_COLUMNS in service.ts). */
const VOLUME_SUMMARY_FIELDS = new Set(['__typename', 'id', 'namespace', 'pvcName', 'phase']);

/**
 * The names of the fields a selection asks for at `path` (`['edges', 'node']`: the nodes of a
 * connection), through fragments. Directives are not read: a skipped field counts, so a column
 * may be read for nothing, never missed.
 */
function selectedFields(info: GraphQLResolveInfo, path: readonly string[]): Set<string> {
  const names = new Set<string>();
  const visit = (selections: readonly SelectionNode[], rest: readonly string[]): void => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) {
        if (rest.length === 0) names.add(selection.name.value);
        else if (selection.name.value === rest[0]) visit(selection.selectionSet?.selections ?? [], rest.slice(1));
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet.selections, rest);
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet?.selections ?? [], path);
  return names;
}

/** Which columns a page of snapshots reads for this selection (its nodes' fields, and their volumes'). */
function pageColumns(info: GraphQLResolveInfo): Pick<SnapshotPageQuery, 'columns' | 'volumes'> {
  const summary = (fields: Set<string>, served: Set<string>) => [...fields].every((field) => served.has(field));
  const nodeFields = selectedFields(info, ['edges', 'node']);
  return {
    columns: summary(nodeFields, SUMMARY_FIELDS) ? 'summary' : 'all',
    volumes: !nodeFields.has('volumeSnapshots')
      ? 'none'
      : summary(selectedFields(info, ['edges', 'node', 'volumeSnapshots']), VOLUME_SUMMARY_FIELDS) ? 'summary' : 'all',
  };
}

export const SnapshotStatusEnum = builder.enumType('SnapshotStatus', { values: SNAPSHOT_STATUSES });
export const VolumeSnapshotPhaseEnum = builder.enumType('VolumeSnapshotPhase', { values: VOLUME_SNAPSHOT_PHASES });
const SnapshotTriggerEnum = builder.enumType('SnapshotTrigger', { values: SNAPSHOT_TRIGGERS });
const SnapshotIntegrityEnum = builder.enumType('SnapshotIntegrity', {
  description:
    'What vsnap knows of a stored archive\'s bytes. UNVERIFIED: not hashed since it was stored (or since its object was replaced); ' +
    'VERIFIED: read back and hashed, sha256 and size as recorded; MISMATCH: a hash, or a storage listing\'s size, differs from the record (integrityMessage says how).',
  values: SNAPSHOT_INTEGRITIES,
});

const SkippedResourceRef = builder.objectRef<SkippedResourceRecord>('SkippedResource').implement({
  description: 'A resource the archive does not hold, and why: the credentials may not list it, or the server no longer serves it.',
  fields: (t) => ({
    group: t.exposeString('group', { description: 'The API group; empty for the core group.' }),
    resource: t.exposeString('resource', { description: 'The plural resource name: `secrets`, `deployments`.' }),
    reason: t.exposeString('reason', { description: 'In vsnap\'s words: `forbidden (403)`, `not found (404)`.' }),
  }),
});

export const SnapshotProgressRef = builder.objectRef<SnapshotProgress>('SnapshotProgress').implement({
  description:
    'How far taking a snapshot has got; every figure only grows. Reported at most once a second while IN_PROGRESS; ' +
    'a stored snapshot (COMPLETED, PARTIALLY_FAILED) keeps its totals, a FAILED one the last figures reported.',
  fields: (t) => ({
    resourceTypesDone: t.exposeInt('resourceTypesDone', { description: 'Resource types listed so far.' }),
    resourceTypesTotal: t.exposeInt('resourceTypesTotal', { description: 'Resource types to list (the readable ones); 0 until discovery has answered.' }),
    objectsWritten: t.exposeInt('objectsWritten', { description: 'Objects written into the archive; objectCount once stored.' }),
    bytesWritten: t.exposeFloat('bytesWritten', { description: 'Compressed archive bytes so far; sizeBytes once stored.' }),
    volumesDone: t.exposeInt('volumesDone', { description: 'Volume snapshots in a final phase.' }),
    volumesTotal: t.exposeInt('volumesTotal', { description: 'Volume snapshots planned.' }),
  }),
});

export const VolumeSnapshotRef = builder.objectRef<VolumeSnapshotView>('VolumeSnapshot').implement({
  description: 'The CSI snapshot of one PersistentVolumeClaim, taken as part of a snapshot.',
  fields: (t) => ({
    id: t.exposeID('id'),
    namespace: t.exposeString('namespace'),
    pvcName: t.exposeString('pvcName'),
    phase: t.field({ type: VolumeSnapshotPhaseEnum, resolve: (volume) => volume.phase }),
    driver: t.exposeString('driver', { nullable: true }),
    volumeSnapshotClass: t.exposeString('volumeSnapshotClass', { nullable: true }),
    snapshotHandle: t.exposeString('snapshotHandle', { nullable: true }),
    restoreSizeBytes: t.exposeFloat('restoreSizeBytes', { nullable: true }),
    message: t.exposeString('message', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const SnapshotRef = builder.objectRef<SnapshotView>('Snapshot').implement({
  description: 'One archive of one virtual cluster. Only platform admins and admins of its project may read it.',
  runScopesOnType: true,
  authScopes: (snapshot) => projectAdminsScope(snapshot.projectId),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: '`<virtual-cluster-name>-<UTC timestamp>.tar.gz`' }),
    status: t.field({ type: SnapshotStatusEnum, resolve: (snapshot) => snapshot.status }),
    trigger: t.field({ type: SnapshotTriggerEnum, resolve: (snapshot) => snapshot.trigger }),
    virtualCluster: t.field({
      type: VirtualClusterRef,
      resolve: async (snapshot, _args, context) => {
        const cluster = await context.loaders.cluster.load(snapshot.virtualCluster.id);
        if (!cluster) throw new Error(`snapshot ${snapshot.id} lost its virtual cluster`);
        return cluster;
      },
    }),
    volumeSnapshotsEnabled: t.exposeBoolean('volumeSnapshotsEnabled'),
    scheduledAt: t.expose('scheduledAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    storageLocation: t.string({
      nullable: true,
      description: 'The name of the storage location it was written to; null before it is taken (or when that location was deleted).',
      resolve: async (snapshot, _args, context) =>
        snapshot.storageLocation ? ((await context.loaders.location.load(snapshot.storageLocation.id))?.name ?? null) : null,
    }),
    location: t.exposeString('location', {
      nullable: true,
      description: 'Where the archive is stored: `s3://bucket/key` or a path on the worker. Platform admins only (it shows buckets and paths).',
      authScopes: { platformAdmin: true },
    }),
    sizeBytes: t.exposeFloat('sizeBytes', { nullable: true }),
    sha256: t.exposeString('sha256', { nullable: true }),
    objectCount: t.exposeInt('objectCount', { nullable: true }),
    message: t.exposeString('message', { nullable: true, description: 'Why it failed, or what part of it failed.' }),
    integrity: t.field({
      type: SnapshotIntegrityEnum,
      description: 'Whether the stored archive is still what was written. Not a status: a COMPLETED snapshot whose archive no longer matches stays COMPLETED.',
      resolve: (snapshot) => snapshot.integrity,
    }),
    verifiedAt: t.expose('verifiedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the stored archive was last read back and hashed (VERIFIED or MISMATCH); null until then, and after its object was replaced.',
    }),
    integrityMessage: t.exposeString('integrityMessage', { nullable: true, description: 'For MISMATCH: what differs (sizes, sha256).' }),
    skippedResources: t.field({
      type: [SkippedResourceRef],
      description: 'Resources the archive does not hold (also listed in its manifest); empty when every listable resource was archived.',
      resolve: (snapshot) => snapshot.skippedResources ?? [],
    }),
    volumeSnapshots: t.field({
      type: [VolumeSnapshotRef],
      // Read with the page when it asked for them: no loader, no promise per snapshot.
      resolve: (snapshot, _args, context) => snapshot.volumeSnapshots ?? context.loaders.volumes.load(snapshot.id),
    }),
    progress: t.field({
      type: SnapshotProgressRef,
      nullable: true,
      description: 'How far taking it has got; null before the first report (and for snapshots taken before vsnap reported progress).',
      resolve: (snapshot) => snapshot.progress ?? null,
    }),
  }),
});

builder.asEntity(SnapshotRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: ({ id }, context) => context.loaders.snapshot.load(id),
});

builder.objectField(VirtualClusterRef, 'snapshots', (t) =>
  t.connection({
    type: SnapshotRef,
    nullable: true,
    description: 'Newest first. Only platform admins and admins of the project may read it.',
    args: { status: t.arg({ type: SnapshotStatusEnum, required: false }) },
    authScopes: (cluster) => projectAdminsScope(cluster.projectId),
    resolve: (cluster, args, context, info) =>
      resolveCursorConnection(
        { args, toCursor: snapshotCursor, defaultSize: 20, maxSize: 100 },
        ({ after, before, limit, inverted }: ResolveCursorConnectionArgs) =>
          context.loaders.snapshotPage.load({
            clusterId: cluster.id,
            query: {
              status: args.status ?? null, after: after ?? null, before: before ?? null, limit, inverted,
              ...pageColumns(info),
            },
          }),
      ),
  }, { name: 'SnapshotConnection' }, { name: 'SnapshotEdge' }),
);

const SnapshotSummaryRef = builder.objectRef<SnapshotSummary>('SnapshotSummary').implement({
  description: 'A project\'s snapshots in figures.',
  fields: (t) => ({
    total: t.exposeInt('total', { description: 'Snapshots of every virtual cluster of the project, whatever their status.' }),
    lastCompletedAt: t.expose('lastCompletedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the newest COMPLETED snapshot finished; null when none has.',
    }),
    failedLast24h: t.exposeInt('failedLast24h', { description: 'Snapshots that ended FAILED in the last 24 hours.' }),
  }),
});

builder.objectField(ProjectRef, 'snapshotSummary', (t) =>
  t.field({
    type: SnapshotSummaryRef,
    nullable: true,
    description: 'Only platform admins and admins of the project may read it (FORBIDDEN for members). Read in one statement for every project of a request.',
    authScopes: (project) => projectAdminsScope(project.id),
    resolve: (project, _args, context) => context.loaders.snapshotSummary.load(project.id),
  }),
);

builder.queryField('snapshot', (t) =>
  t.field({
    type: SnapshotRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    authScopes: (_root, args, context) => memberOfSnapshot(args.id, context),
    resolve: (_root, args, context) => context.snapshots.get(String(args.id)),
  }),
);
