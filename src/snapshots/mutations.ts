import { adminOfCluster } from '../clusters/mutations.ts';
import { builder, type Context } from '../graphql/builder.ts';
import { SnapshotRef } from './schema.ts';
import { snapshotNotFound } from './service.ts';

const DeletePayload = builder.objectRef<{ deletedSnapshotId: string }>('DeleteSnapshotPayload').implement({
  fields: (t) => ({ deletedSnapshotId: t.exposeID('deletedSnapshotId') }),
});

/** Like adminOfCluster: platform admins and admins of the snapshot's project; NOT_FOUND for a snapshot the caller cannot see. */
const adminOfSnapshot = async (id: string | number, context: Context) => {
  const snapshot = await context.loaders.snapshot.load(String(id));
  if (!snapshot) throw snapshotNotFound('id');
  return { platformAdmin: true, projectAdmin: snapshot.projectId };
};

builder.mutationFields((t) => ({
  createSnapshot: t.field({
    type: SnapshotRef,
    description: 'Schedules a snapshot now. CONFLICT while the cluster already has one SCHEDULED.',
    args: { virtualClusterId: t.arg.id({ required: true }) },
    authScopes: (_root, args, context) => adminOfCluster(args.virtualClusterId, context, 'virtualClusterId'),
    resolve: (_root, args, context) => context.snapshots.schedule(String(args.virtualClusterId), 'MANUAL'),
  }),
  verifySnapshot: t.field({
    type: SnapshotRef,
    description:
      'Reads the archive back from storage and compares its sha256 and size with the record: integrity VERIFIED (with verifiedAt) or MISMATCH ' +
      '(integrityMessage says what differs). An archive gone from storage turns the snapshot NOT_FOUND. CONFLICT for a snapshot without a stored ' +
      'archive, or while it is being verified; STORAGE_UNAVAILABLE when its storage cannot be read.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: (_root, args, context) => adminOfSnapshot(args.id, context),
    resolve: (_root, args, context) => context.snapshots.verify(String(args.id), context.logger),
  }),
  deleteSnapshot: t.field({
    type: DeletePayload,
    description: 'Deletes the snapshot. CONFLICT while it is being taken.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: (_root, args, context) => adminOfSnapshot(args.id, context),
    resolve: async (_root, args, context) => ({ deletedSnapshotId: (await context.snapshots.delete(String(args.id))).id }),
  }),
}));
