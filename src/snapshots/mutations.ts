import { adminOfCluster } from '../clusters/mutations.ts';
import { builder } from '../graphql/builder.ts';
import { SnapshotRef } from './schema.ts';

const DeletePayload = builder.objectRef<{ deletedSnapshotId: string }>('DeleteSnapshotPayload').implement({
  fields: (t) => ({ deletedSnapshotId: t.exposeID('deletedSnapshotId') }),
});

builder.mutationFields((t) => ({
  createSnapshot: t.field({
    type: SnapshotRef,
    description: 'Schedules a snapshot now. CONFLICT while the cluster already has one SCHEDULED.',
    args: { virtualClusterId: t.arg.id({ required: true }) },
    authScopes: (_root, args, context) => adminOfCluster(args.virtualClusterId, context),
    resolve: (_root, args, context) => context.snapshots.schedule(String(args.virtualClusterId), 'MANUAL'),
  }),
  deleteSnapshot: t.field({
    type: DeletePayload,
    description: 'Deletes the snapshot. CONFLICT while it is being taken.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: async (_root, args, context) => ({
      platformAdmin: true,
      projectAdmin: (await context.loaders.snapshot.load(String(args.id)))?.projectId ?? '',
    }),
    resolve: async (_root, args, context) => ({ deletedSnapshotId: (await context.snapshots.delete(String(args.id))).id }),
  }),
}));
