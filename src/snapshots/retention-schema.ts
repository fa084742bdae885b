/** `AutoSnapshotPolicy.retentionPreview`: what the next retention run would delete, and why. */
import { AutoSnapshotPolicyRef } from '../clusters/schema.ts';
import { builder } from '../graphql/builder.ts';
import type { RetentionDecision } from './retention-policy.ts';
import { plannedDeletions, type RetentionRow } from './retention.ts';
import { SnapshotStatusEnum } from './schema.ts';

const RetentionDeletionRef = builder.objectRef<RetentionDecision<RetentionRow>>('RetentionDeletion').implement({
  description: 'A snapshot the next retention run would delete.',
  fields: (t) => ({
    snapshotId: t.id({ resolve: ({ snapshot }) => snapshot.id }),
    name: t.string({ resolve: ({ snapshot }) => snapshot.name }),
    status: t.field({ type: SnapshotStatusEnum, resolve: ({ snapshot }) => snapshot.status }),
    scheduledAt: t.field({ type: 'DateTime', resolve: ({ snapshot }) => snapshot.scheduledAt }),
    reason: t.string({ description: 'Why no rule keeps it.', resolve: ({ reason }) => reason }),
  }),
});

builder.objectField(AutoSnapshotPolicyRef, 'retentionPreview', (t) =>
  t.field({
    type: [RetentionDeletionRef],
    nullable: true,
    description:
      'The snapshots the next retention run would delete (computed now, by the rules the run applies), newest first. Only platform admins and admins of the project may read it.',
    authScopes: ({ cluster }) => ({ platformAdmin: true, projectAdmin: cluster.projectId }),
    resolve: async ({ cluster, policy }, _args, context) => plannedDeletions(await context.loaders.retentionRows.load(cluster.id), policy, new Date()),
  }),
);
