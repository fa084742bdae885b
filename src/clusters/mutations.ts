import { builder, type Context } from '../graphql/builder.ts';
import { CatchUpModeRef, VirtualClusterRef } from './schema.ts';
import { clusterNotFound } from './service.ts';

const KeepFailedInput = builder.inputType('KeepFailedInput', {
  description: 'How long snapshots without a usable archive stay; each part left out takes its default.',
  fields: (t) => ({
    last: t.int({ description: 'FAILED snapshots kept: the newest N (0 to 10000; default 10).' }),
    maxAgeSeconds: t.int({
      description: 'FAILED snapshots older than this, and NOT_FOUND ones whose object has been missing longer, are deleted (60 to 1577880000; default 604800, 7 days).',
    }),
  }),
});

const RetentionInput = builder.inputType('RetentionInput', {
  description: 'Which snapshots are kept (see `Retention`). A rule left out is not set; counts are 0 to 10000.',
  fields: (t) => ({
    keepLast: t.int(),
    keepHourly: t.int(),
    keepDaily: t.int(),
    keepWeekly: t.int(),
    keepMonthly: t.int(),
    keepYearly: t.int(),
    maxAgeSeconds: t.int({ description: '60 to 1577880000 (50 years); left out: no age limit.' }),
    keepFailed: t.field({ type: KeepFailedInput }),
  }),
});

const PolicyInput = builder.inputType('AutoSnapshotPolicyInput', {
  fields: (t) => ({
    enabled: t.boolean({ required: true }),
    schedule: t.string({ description: 'Five-field cron expression; required when enabled.' }),
    timeZone: t.string({ description: 'IANA time zone; defaults to UTC.' }),
    retention: t.field({ type: RetentionInput, description: 'Left out: every good snapshot is kept; failed ones by keepFailed\'s defaults.' }),
    storageLocation: t.string({
      description: 'The name of a storage location the cluster\'s project may use (see `storageLocations`); null for the default location.',
    }),
    volumeSnapshotsEnabled: t.boolean(),
    catchUp: t.field({ type: CatchUpModeRef, description: 'What happens to ticks missed while no worker ran; defaults to ONE.' }),
  }),
});

const KubeconfigInput = builder.inputType('KubeconfigInput', {
  description: 'Exactly one of the two.',
  fields: (t) => ({
    inline: t.string({
      description:
        'The kubeconfig itself (development only; production refuses it unless ALLOW_INLINE_KUBECONFIG=true). Static credentials only: no exec, auth-provider, file references or proxy-url. Stored encrypted, never returned.',
    }),
    secretRef: t.string({ description: 'A mounted secret holding it: `<secret-name>/<key>`, read from `<KUBECONFIG_SECRETS_DIR>/<project>/<secret-name>/<key>`.' }),
  }),
});

const RegisterInput = builder.inputType('RegisterVirtualClusterInput', {
  fields: (t) => ({
    projectId: t.id({ required: true }),
    name: t.string({ required: true, description: 'DNS-1123 label, unique in the project.' }),
    kubeconfig: t.field({ type: KubeconfigInput, required: true }),
    autoSnapshotPolicy: t.field({ type: PolicyInput }),
  }),
});

const UpdateInput = builder.inputType('UpdateVirtualClusterInput', {
  fields: (t) => ({
    name: t.string(),
    kubeconfig: t.field({ type: KubeconfigInput }),
  }),
});

const RemovePayload = builder.objectRef<{ removedVirtualClusterId: string }>('RemoveVirtualClusterPayload').implement({
  fields: (t) => ({ removedVirtualClusterId: t.exposeID('removedVirtualClusterId') }),
});

/**
 * Changes to a cluster are for platform admins and the admins of its project (a member
 * gets FORBIDDEN). A cluster the caller cannot see — no such id, or one outside every
 * project of theirs — is NOT_FOUND on `argument`, the same answer for both.
 */
export const adminOfCluster = async (id: string | number, context: Context, argument = 'id') => {
  const cluster = await context.loaders.cluster.load(String(id));
  if (!cluster) throw clusterNotFound(argument);
  return { platformAdmin: true, projectAdmin: cluster.projectId };
};

/** GraphQL gives null for an omitted input field; the services take "absent" as undefined. */
const withoutNulls = <T extends object>(input: T) =>
  Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null && value !== undefined));

/** A policy as the services take it: omitted fields absent, at every level of `retention` too. */
const policyArgument = <T extends { enabled: boolean; retention?: { keepFailed?: object | null } | null }>(policy: T) => ({
  enabled: policy.enabled,
  ...withoutNulls(policy),
  ...(policy.retention
    ? { retention: { ...withoutNulls(policy.retention), ...(policy.retention.keepFailed ? { keepFailed: withoutNulls(policy.retention.keepFailed) } : {}) } }
    : {}),
});

builder.mutationFields((t) => ({
  registerVirtualCluster: t.field({
    type: VirtualClusterRef,
    args: { input: t.arg({ type: RegisterInput, required: true }) },
    authScopes: (_root, { input }) => ({ platformAdmin: true, projectAdmin: String(input.projectId) }),
    resolve: (_root, { input }, context) =>
      context.clusters.register({
        projectId: String(input.projectId),
        name: input.name,
        kubeconfig: withoutNulls(input.kubeconfig),
        autoSnapshotPolicy: input.autoSnapshotPolicy ? policyArgument(input.autoSnapshotPolicy) : undefined,
      }),
  }),
  updateVirtualCluster: t.field({
    type: VirtualClusterRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateInput, required: true }) },
    authScopes: (_root, args, context) => adminOfCluster(args.id, context),
    resolve: (_root, { id, input }, context) =>
      context.clusters.update(String(id), {
        name: input.name ?? undefined,
        kubeconfig: input.kubeconfig ? withoutNulls(input.kubeconfig) : undefined,
      }),
  }),
  removeVirtualCluster: t.field({
    type: RemovePayload,
    args: { id: t.arg.id({ required: true }) },
    authScopes: (_root, args, context) => adminOfCluster(args.id, context),
    resolve: async (_root, { id }, context) => ({ removedVirtualClusterId: (await context.clusters.remove(String(id))).id }),
  }),
  setAutoSnapshotPolicy: t.field({
    type: VirtualClusterRef,
    args: { virtualClusterId: t.arg.id({ required: true }), policy: t.arg({ type: PolicyInput, required: true }) },
    authScopes: (_root, args, context) => adminOfCluster(args.virtualClusterId, context, 'virtualClusterId'),
    resolve: (_root, { virtualClusterId, policy }, context) =>
      context.clusters.setPolicy(String(virtualClusterId), policyArgument(policy)),
  }),
}));
