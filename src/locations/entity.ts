import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const STORAGE_LOCATION_KINDS = ['S3', 'LOCAL'] as const;
export type StorageLocationKind = (typeof STORAGE_LOCATION_KINDS)[number];

/** Where an S3 location's access key and secret key come from. */
export const CREDENTIALS_SOURCES = [
  /** S3_ACCESS_KEY / S3_SECRET_KEY (or anonymous when those are unset). */
  'DEFAULT',
  /** `<prefix>_ACCESS_KEY` / `<prefix>_SECRET_KEY`, the prefix `S3` or `S3_<NAME>`. */
  'ENVIRONMENT',
  /** `<STORAGE_SECRETS_DIR>/<secret>/access-key` and `secret-key`, read at each use. */
  'SECRET',
] as const;
export type CredentialsSource = (typeof CREDENTIALS_SOURCES)[number];

/**
 * Where snapshot archives are written, defined by platform admins (Velero's
 * BackupStorageLocation is the model): tenants pick one by name and never see
 * or pass a bucket, URL or path.
 */
export const StorageLocationSchema = defineEntity({
  name: 'StorageLocation',
  tableName: 'storage_location',
  uniques: [
    { name: 'storage_location_name_unique', properties: ['name'] },
    // At most one default: the location of policies that name none.
    { name: 'storage_location_one_default', properties: ['isDefault'], where: 'is_default' },
  ],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** DNS-1123 label, unique. */
    name: p.string().length(63),
    kind: p.enum(STORAGE_LOCATION_KINDS),
    /** S3: the bucket. */
    bucket: p.string().length(63).nullable(),
    /** S3: the key prefix the archives go under; '' for the bucket's top. */
    prefix: p.text().nullable(),
    /** S3: `http(s)://host[:port]`; null means S3_ENDPOINT. */
    endpoint: p.text().nullable(),
    /** S3: null means S3_REGION. */
    region: p.string().length(64).nullable(),
    /** S3: path-style addressing; null means S3_PATH_STYLE. */
    pathStyle: p.boolean().nullable(),
    /** S3 only. */
    credentialsSource: p.enum(CREDENTIALS_SOURCES).nullable(),
    /** ENVIRONMENT: `S3` or `S3_<NAME>`. */
    credentialsEnvPrefix: p.string().length(64).nullable(),
    /** SECRET: the directory under STORAGE_SECRETS_DIR. */
    credentialsSecret: p.string().length(253).nullable(),
    /**
     * LOCAL: relative to LOCAL_STORAGE_ROOT ('' for the root). An absolute path
     * is a storage target carried over from before locations: usable only
     * inside the root.
     */
    directory: p.text().nullable(),
    /** Projects whose clusters may use the location; null means every project. */
    allowedProjectIds: p.array().nullable(),
    isDefault: p.boolean().default(false),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type StorageLocation = InferEntity<typeof StorageLocationSchema>;

/** Whether a cluster of `projectId` may write to the location. */
export function isOpenTo(location: Pick<StorageLocation, 'allowedProjectIds'>, projectId: string): boolean {
  return location.allowedProjectIds === null || location.allowedProjectIds === undefined || location.allowedProjectIds.includes(projectId);
}
