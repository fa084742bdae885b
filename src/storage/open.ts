import path from 'node:path';
import type { S3Settings } from './config.ts';
import { StorageError } from './errors.ts';
import { LocalObjectStore } from './local.ts';
import type { ObjectStore } from './object-store.ts';
import { S3ObjectStore } from './s3.ts';

export type StorageTarget = { kind: 's3'; bucket: string; prefix: string } | { kind: 'local'; directory: string };

/** `s3://bucket[/prefix]` or an absolute directory; anything else is a StorageError('invalid'). */
export function parseStorageTarget(target: string): StorageTarget {
  if (target.startsWith('s3://')) {
    const [bucket = '', ...rest] = target.slice('s3://'.length).split('/');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new StorageError('invalid', `"${target}" has an invalid bucket name "${bucket}"`);
    }
    return { kind: 's3', bucket, prefix: rest.filter((part) => part !== '').join('/') };
  }
  if (path.isAbsolute(target) && !target.includes('\0')) return { kind: 'local', directory: path.resolve(target) };
  throw new StorageError('invalid', `"${target}" must be s3://bucket[/prefix] or an absolute directory path`);
}

/** The store behind a snapshot's storage target; S3 targets all share the configured endpoint. */
export function openObjectStore(target: string, s3: S3Settings): ObjectStore {
  const parsed = parseStorageTarget(target);
  if (parsed.kind === 'local') return new LocalObjectStore(parsed.directory);
  return new S3ObjectStore({ ...s3, bucket: parsed.bucket, prefix: parsed.prefix });
}
