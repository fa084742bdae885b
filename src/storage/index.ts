export type { ObjectStat, ObjectStore, ObjectStoreOpener, StoredObject, Upload, WrittenObject } from './object-store.ts';
export { StorageError, type StorageFailure } from './errors.ts';
export { openObjectStore, parseStorageTarget, type StorageTarget } from './open.ts';
export { S3ObjectStore, type S3ObjectStoreOptions } from './s3.ts';
export { LocalObjectStore } from './local.ts';
export {
  DEFAULT_PART_SIZE,
  S3_MAX_PART_SIZE,
  S3_MIN_PART_SIZE,
  s3Environment,
  s3Problems,
  s3Settings,
  type S3Environment,
  type S3Settings,
} from './config.ts';
