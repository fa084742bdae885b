import type { InputFieldBuilder } from '@pothos/core';
import { builder } from '../graphql/builder.ts';
import { StorageLocationKindEnum, StorageLocationRef } from './schema.ts';

const CredentialsInput = builder.inputType('StorageCredentialsInput', {
  description: 'At most one of the two; neither means S3_ACCESS_KEY and S3_SECRET_KEY.',
  fields: (t) => ({
    fromEnvironment: t.string({ description: '`S3` or `S3_<NAME>`: `<prefix>_ACCESS_KEY` and `<prefix>_SECRET_KEY` are read.' }),
    fromSecret: t.string({ description: 'A secret mounted at `STORAGE_SECRETS_DIR/<name>` with the files `access-key` and `secret-key`.' }),
  }),
});

/** The fields of both inputs; which ones a kind takes is checked by the service. */
const locationFields = (t: InputFieldBuilder<typeof builder.$inferSchemaTypes, 'InputObject'>) => ({
  bucket: t.string({ description: 'S3: the bucket.' }),
  prefix: t.string({ description: 'S3: key prefix the archives go under.' }),
  endpoint: t.string({ description: 'S3: `http(s)://host[:port]`; null for S3_ENDPOINT.' }),
  region: t.string({ description: 'S3: null for S3_REGION.' }),
  pathStyle: t.boolean({ description: 'S3: path-style addressing; null for S3_PATH_STYLE.' }),
  credentials: t.field({ type: CredentialsInput, description: 'S3: where the keys are read from; null for the S3_* defaults.' }),
  directory: t.string({ description: "LOCAL: relative to LOCAL_STORAGE_ROOT; '' for the root itself." }),
  allowedProjectIds: t.idList({ description: 'Projects whose clusters may use it; null for every project.' }),
  default: t.boolean({ description: 'Make it the location of policies that name none (the previous default stops being it).' }),
});

const CreateInput = builder.inputType('CreateStorageLocationInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'DNS-1123 label; what policies name.' }),
    kind: t.field({ type: StorageLocationKindEnum, required: true }),
    ...locationFields(t),
  }),
});

const UpdateInput = builder.inputType('UpdateStorageLocationInput', {
  description: 'Absent fields stay as they are. Pointing a location elsewhere moves no archive.',
  fields: (t) => ({
    name: t.string({ description: 'A new name; policies follow it.' }),
    ...locationFields(t),
  }),
});

const DeletePayload = builder.objectRef<{ deletedStorageLocationName: string }>('DeleteStorageLocationPayload').implement({
  fields: (t) => ({ deletedStorageLocationName: t.exposeString('deletedStorageLocationName') }),
});

/** GraphQL input objects with ID lists come back as (string | number)[]. */
function asInput<T extends { allowedProjectIds?: readonly (string | number)[] | null }>(input: T) {
  const { allowedProjectIds, ...rest } = input;
  return { ...rest, ...(allowedProjectIds === undefined ? {} : { allowedProjectIds: allowedProjectIds?.map(String) ?? null }) };
}

builder.mutationFields((t) => ({
  createStorageLocation: t.field({
    type: StorageLocationRef,
    description: 'Platform admins only.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    authScopes: { platformAdmin: true },
    resolve: (_root, { input }, context) => context.locations.create(withoutAbsent(asInput(input))),
  }),
  updateStorageLocation: t.field({
    type: StorageLocationRef,
    description: 'Platform admins only. null resets endpoint, region, pathStyle and credentials to the defaults, allowedProjectIds to every project.',
    args: { name: t.arg.string({ required: true }), input: t.arg({ type: UpdateInput, required: true }) },
    authScopes: { platformAdmin: true },
    resolve: (_root, { name, input }, context) => context.locations.update(name, withoutAbsent(asInput(input))),
  }),
  deleteStorageLocation: t.field({
    type: DeletePayload,
    description: 'Platform admins only. CONFLICT while a policy names it, clusters rely on it as the default, or it holds snapshots.',
    args: { name: t.arg.string({ required: true }) },
    authScopes: { platformAdmin: true },
    resolve: async (_root, { name }, context) => ({ deletedStorageLocationName: (await context.locations.delete(name)).name }),
  }),
}));

/** Drops fields the caller left out (undefined); explicit nulls stay, they mean "back to the default". */
function withoutAbsent<T extends object>(input: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
