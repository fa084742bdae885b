import { builder } from '../graphql/builder.ts';
import { isOpenTo, type CredentialsSource, type StorageLocation, type StorageLocationKind } from './entity.ts';

export const StorageLocationKindEnum = builder.enumType('StorageLocationKind', {
  values: {
    S3: { description: 'A bucket and key prefix on an S3 endpoint.' },
    LOCAL: { description: 'A directory under LOCAL_STORAGE_ROOT on the worker.' },
  } satisfies Record<StorageLocationKind, unknown>,
});

const CredentialsSourceEnum = builder.enumType('StorageCredentialsSource', {
  values: {
    DEFAULT: { description: 'S3_ACCESS_KEY and S3_SECRET_KEY (anonymous when unset).' },
    ENVIRONMENT: { description: '<environmentPrefix>_ACCESS_KEY and <environmentPrefix>_SECRET_KEY.' },
    SECRET: { description: 'access-key and secret-key of the secret mounted at STORAGE_SECRETS_DIR/<secretName>.' },
  } satisfies Record<CredentialsSource, unknown>,
});

/** Where an S3 location's credentials come from; never the credentials themselves. */
const StorageCredentialsRef = builder.objectRef<StorageLocation>('StorageCredentials').implement({
  description: "Where an S3 location's credentials are read from. The keys themselves are never returned.",
  fields: (t) => ({
    source: t.field({ type: CredentialsSourceEnum, resolve: (location) => location.credentialsSource ?? 'DEFAULT' }),
    environmentPrefix: t.exposeString('credentialsEnvPrefix', { nullable: true }),
    secretName: t.exposeString('credentialsSecret', { nullable: true }),
  }),
});

/** What only platform admins read: where and how archives are written. */
const operatorsOnly = { platformAdmin: true } as const;

export const StorageLocationRef = builder.objectRef<StorageLocation>('StorageLocation').implement({
  description:
    'Where snapshot archives are written, defined by platform admins. Tenants see the name, kind and default flag of the locations their projects may use; everything else is for platform admins.',
  runScopesOnType: true,
  // The query already lists only these; checked here too for every other way a location could be reached.
  authScopes: (location, context) =>
    context.viewer.isPlatformAdmin || (context.viewer.visibleProjects() ?? []).some((projectId) => isOpenTo(location, projectId)),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'What a policy names (`AutoSnapshotPolicyInput.storageLocation`).' }),
    kind: t.field({ type: StorageLocationKindEnum, resolve: (location) => location.kind }),
    default: t.exposeBoolean('isDefault', { description: 'Used by policies that name no location.' }),
    bucket: t.exposeString('bucket', { nullable: true, authScopes: operatorsOnly }),
    prefix: t.exposeString('prefix', { nullable: true, authScopes: operatorsOnly, description: "S3 key prefix; '' for the bucket's top." }),
    endpoint: t.exposeString('endpoint', { nullable: true, authScopes: operatorsOnly, description: 'null: S3_ENDPOINT.' }),
    region: t.exposeString('region', { nullable: true, authScopes: operatorsOnly, description: 'null: S3_REGION.' }),
    pathStyle: t.exposeBoolean('pathStyle', { nullable: true, authScopes: operatorsOnly, description: 'null: S3_PATH_STYLE.' }),
    credentials: t.field({
      type: StorageCredentialsRef,
      nullable: true,
      authScopes: operatorsOnly,
      resolve: (location) => (location.kind === 'S3' ? location : null),
    }),
    directory: t.exposeString('directory', {
      nullable: true,
      authScopes: operatorsOnly,
      description: "LOCAL: relative to LOCAL_STORAGE_ROOT ('' for the root). An absolute path is a legacy storage target, usable only inside the root.",
    }),
    allowedProjectIds: t.exposeIDList('allowedProjectIds', {
      nullable: true,
      authScopes: operatorsOnly,
      description: 'Projects whose clusters may use it; null: every project.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true, authScopes: operatorsOnly }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true, authScopes: operatorsOnly }),
  }),
});

builder.queryField('storageLocations', (t) =>
  t.field({
    type: [StorageLocationRef],
    description: 'Storage locations by name: all of them for platform admins, else those the given (or every) project of the caller may use.',
    args: { projectId: t.arg.id({ required: false }) },
    authScopes: (_root, args) => (args.projectId ? { platformAdmin: true, projectMember: String(args.projectId) } : true),
    resolve: (_root, args, context) =>
      context.locations.list(args.projectId ? [String(args.projectId)] : context.viewer.visibleProjects()),
  }),
);
