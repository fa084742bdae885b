export type { IncompleteUpload, ObjectStat, ObjectStore, StoredObject, Upload, WrittenObject } from './object-store.ts';
export { StorageError, storageFailureForTenant, type StorageFailure } from './errors.ts';
export { S3ObjectStore, type S3ObjectStoreOptions } from './s3.ts';
export { LocalObjectStore } from './local.ts';
export { isInside, localDirectoryPath, localDirectoryProblem, MAX_LOCAL_DIRECTORY_LENGTH } from './local-directory.ts';
export {
  DEFAULT_PART_SIZE,
  S3_MAX_PART_SIZE,
  S3_MIN_PART_SIZE,
  s3Environment,
  s3Problems,
  s3Settings,
  s3CredentialVariables,
  S3_CREDENTIAL_VARIABLE,
  type S3Environment,
  type S3Settings,
  type StorageSettings,
} from './config.ts';
