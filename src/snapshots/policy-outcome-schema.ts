/** `AutoSnapshotPolicy.lastRun` and `consecutiveFailures`: what an admin looks for first. Snapshot data: project admins and platform admins. */
import { AutoSnapshotPolicyRef } from '../clusters/schema.ts';
import { builder } from '../graphql/builder.ts';
import { SnapshotRef, SnapshotStatusEnum } from './schema.ts';
import type { SnapshotView } from './views.ts';

const AutoSnapshotRunRef = builder.objectRef<SnapshotView>('AutoSnapshotRun').implement({
  description: 'The newest snapshot an auto-snapshot policy made, and how it stands.',
  fields: (t) => ({
    snapshot: t.field({ type: SnapshotRef, resolve: (snapshot) => snapshot }),
    status: t.field({ type: SnapshotStatusEnum, resolve: (snapshot) => snapshot.status }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, description: 'Null until it has finished.', resolve: (snapshot) => snapshot.finishedAt ?? null }),
  }),
});

builder.objectField(AutoSnapshotPolicyRef, 'lastRun', (t) =>
  t.field({
    type: AutoSnapshotRunRef,
    nullable: true,
    description: 'The newest snapshot the policy\'s ticks made (trigger SCHEDULE); null before the first. Read in one statement for every cluster of a request.',
    authScopes: ({ cluster }) => ({ platformAdmin: true, projectAdmin: cluster.projectId }),
    resolve: async ({ cluster }, _args, context) => (await context.loaders.policyOutcome.load(cluster.id)).lastRun,
  }),
);

builder.objectField(AutoSnapshotPolicyRef, 'consecutiveFailures', (t) =>
  t.int({
    nullable: true,
    description: 'The policy\'s newest runs that FAILED in a row: counted back to its newest run that stored an archive (COMPLETED, PARTIALLY_FAILED or since NOT_FOUND); 0 when the newest finished run stored one.',
    authScopes: ({ cluster }) => ({ platformAdmin: true, projectAdmin: cluster.projectId }),
    resolve: async ({ cluster }, _args, context) => (await context.loaders.policyOutcome.load(cluster.id)).consecutiveFailures,
  }),
);
