import type { Readable } from 'node:stream';
import { StorageError } from './errors.ts';

/** An archive as the store lists it. */
export interface StoredObject {
  name: string;
  size: number;
}

export interface ObjectStat {
  size: number;
  lastModified: Date;
}

/** An upload begun and neither completed nor aborted. */
export interface IncompleteUpload {
  name: string;
  uploadId: string;
  /** When it was begun (S3's Initiated); a local upload's last write, so a live one is never old. */
  initiated: Date;
}

export interface WrittenObject {
  size: number;
  location: string;
}

/**
 * Where snapshot archives live: an S3 bucket prefix or a local directory.
 * Object names are plain file names (`<cluster>-<timestamp>.tar.gz`); the store
 * places them under its prefix or directory.
 */
export interface ObjectStore {
  /** `s3://bucket/prefix` or the absolute directory. */
  readonly location: string;
  locationOf(name: string): string;
  /**
   * Starts an upload and returns its id before any byte flows, so the caller can
   * persist the id and abort the upload after a crash.
   */
  beginUpload(name: string): Promise<Upload>;
  /** Aborts an upload begun by any process; an upload already gone is fine. Never removes a completed object. */
  abortUpload(name: string, uploadId: string): Promise<void>;
  /** null when the object does not exist; throws when the store itself is unusable (missing bucket, bad credentials). */
  stat(name: string): Promise<ObjectStat | null>;
  /** Throws StorageError('missing') when the object does not exist. */
  read(name: string): Promise<Readable>;
  /** Removing a missing object is fine. */
  remove(name: string): Promise<void>;
  /** Completed objects directly under the prefix or directory; never incomplete uploads. */
  list(): AsyncIterable<StoredObject>;
  /** Incomplete uploads directly under the prefix or directory (abort them by name and id). */
  listIncompleteUploads(): AsyncIterable<IncompleteUpload>;
}

export interface Upload {
  readonly name: string;
  readonly uploadId: string;
  /**
   * Consumes `source` with backpressure and makes the object visible under its
   * final name only once all of it is stored. On any failure (the source's, the
   * backend's, or `signal` firing) it aborts the upload and throws a StorageError.
   * An upload is written once.
   */
  write(source: Readable, signal?: AbortSignal): Promise<WrittenObject>;
  /** Aborts the upload; idempotent. To stop a write in flight, fire its signal instead. */
  abort(): Promise<void>;
}

/** A plain file name: no separators, no leading dot (temporary files use one), not empty. */
export function assertObjectName(name: string): void {
  if (name === '' || name.startsWith('.') || /[/\\\0]/.test(name) || name.length > 512) {
    throw new StorageError('invalid', `object name "${name}" must be a plain file name not starting with "."`);
  }
}
