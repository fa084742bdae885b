import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { Client, type BucketItem } from 'minio';
import { DEFAULT_PART_SIZE, S3_MAX_PART_SIZE, S3_MIN_PART_SIZE, type S3Settings } from './config.ts';
import { StorageError } from './errors.ts';
import {
  assertObjectName,
  type IncompleteUpload,
  type ObjectStat,
  type ObjectStore,
  type StoredObject,
  type Upload,
} from './object-store.ts';
import { SingleWriteUpload } from './failure.ts';
import { isNoSuchUpload, isNotFound, storageErrorFromS3 } from './s3-errors.ts';
import { cancelled, sourceChunks } from './source.ts';

/** S3 numbers parts 1..10000. */
const MAX_PARTS = 10_000;
const AWS_ENDPOINT = 'https://s3.amazonaws.com';
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export interface S3ObjectStoreOptions extends Omit<S3Settings, 'partSizeBytes'> {
  bucket: string;
  /** Key prefix the objects go under; slashes at either end are optional. */
  prefix?: string;
  partSizeBytes?: number;
  /** Accept parts under S3's 5 MiB minimum: s3rver allows them, and tests use them to cover many parts cheaply. */
  allowSmallParts?: boolean;
  /** A request whose connection stays silent this long fails as 'unreachable' (default 60 s); minio itself never gives up. */
  idleTimeoutMs?: number;
  /** Where accessKey and secretKey came from, named when S3 denies access (default: the S3_* variables). */
  credentialsSource?: string;
}

/**
 * Archives in an S3 bucket under a prefix, written with explicit multipart
 * uploads: one part buffer in memory at a time, the source read only as fast as
 * parts are stored, and the object visible only once the upload completes.
 */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  readonly bucket: string;
  /** '' or ending in '/'. */
  readonly prefix: string;
  readonly partSize: number;
  readonly endpoint: string;
  private readonly client: Client;
  private readonly credentialsSource?: string;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    const trimmed = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.prefix = trimmed === '' ? '' : `${trimmed}/`;
    this.location = `s3://${this.bucket}${trimmed === '' ? '' : `/${trimmed}`}`;
    this.partSize = checkedPartSize(options.partSizeBytes ?? DEFAULT_PART_SIZE, options.allowSmallParts ?? false);
    const url = URL.parse(options.endpoint ?? AWS_ENDPOINT);
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
      throw new StorageError('invalid', `S3 endpoint "${options.endpoint}" must be an http:// or https:// URL`);
    }
    this.endpoint = url.origin;
    this.credentialsSource = options.credentialsSource;
    const useSSL = url.protocol === 'https:';
    this.client = new Client({
      transport: idleTimeoutTransport(useSSL ? https : http, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS),
      endPoint: url.hostname.replace(/^\[|\]$/g, ''),
      ...(url.port ? { port: Number(url.port) } : {}),
      useSSL,
      region: options.region,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      pathStyle: options.pathStyle,
    });
  }

  locationOf(name: string): string {
    assertObjectName(name);
    return `s3://${this.bucket}/${this.prefix}${name}`;
  }

  async beginUpload(name: string): Promise<Upload> {
    const key = this.keyOf(name);
    const uploadId = await this.call(name, () =>
      this.client.initiateNewMultipartUpload(this.bucket, key, { 'Content-Type': 'application/gzip' }),
    );
    return new S3Upload(this, name, uploadId);
  }

  async abortUpload(name: string, uploadId: string): Promise<void> {
    const key = this.keyOf(name);
    const id = encodedUploadId(uploadId);
    try {
      await this.client.abortMultipartUpload(this.bucket, key, id);
    } catch (error) {
      if (isNoSuchUpload(error) || isNotFound(error)) return;
      throw this.failure(error, name);
    }
  }

  async stat(name: string): Promise<ObjectStat | null> {
    const key = this.keyOf(name);
    try {
      const stat = await this.client.statObject(this.bucket, key);
      return { size: stat.size, lastModified: stat.lastModified };
    } catch (error) {
      // HEAD answers a bare 404 for a missing bucket too; only a missing object is "null".
      if (isNotFound(error)) {
        await this.assertBucketExists();
        return null;
      }
      throw this.failure(error, name);
    }
  }

  async read(name: string): Promise<Readable> {
    const key = this.keyOf(name);
    return this.call(name, () => this.client.getObject(this.bucket, key));
  }

  async remove(name: string): Promise<void> {
    const key = this.keyOf(name);
    await this.call(name, () => this.client.removeObject(this.bucket, key));
  }

  async *list(): AsyncIterable<StoredObject> {
    // Not recursive: objects in "sub-directories" of the prefix are not this store's.
    const items = this.client.listObjectsV2(this.bucket, this.prefix, false) as unknown as AsyncIterable<BucketItem>;
    try {
      for await (const item of items) {
        if (item.name === undefined) continue;
        const name = item.name.slice(this.prefix.length);
        if (name !== '' && !name.includes('/')) yield { name, size: item.size };
      }
    } catch (error) {
      throw this.failure(error);
    }
  }

  /**
   * ListMultipartUploads page by page under the prefix (not recursive). Not minio's
   * listIncompleteUploads stream: it sends a ListParts per upload to sum its size, which
   * is not needed here, and it drops NextUploadIdMarker (so a page ending inside one
   * key's uploads would skip the rest); the markers are taken from the page instead.
   */
  async *listIncompleteUploads(): AsyncIterable<IncompleteUpload> {
    let keyMarker = '';
    let uploadIdMarker = '';
    for (;;) {
      const page = await this.call(undefined, () => this.client.listIncompleteUploadsQuery(this.bucket, this.prefix, keyMarker, uploadIdMarker, '/'));
      for (const upload of page.uploads) {
        // The XML parser turns digit-only text into numbers.
        const key = String(upload.key);
        const name = key.slice(this.prefix.length);
        if (key.startsWith(this.prefix) && name !== '' && !name.includes('/')) yield { name, uploadId: String(upload.uploadId), initiated: upload.initiated };
      }
      const last = page.uploads.at(-1);
      const nextKey = page.nextKeyMarker ? String(page.nextKeyMarker) : last ? String(last.key) : '';
      const nextUploadId = last && String(last.key) === nextKey ? encodeURIComponent(String(last.uploadId)) : '';
      // A server that answers the same markers again would keep this going forever.
      if (!page.isTruncated || nextKey === '' || (nextKey === keyMarker && nextUploadId === uploadIdMarker)) return;
      [keyMarker, uploadIdMarker] = [nextKey, nextUploadId];
    }
  }

  /** @internal S3Upload's way to the bucket. */
  async uploadPart(name: string, uploadId: string, partNumber: number, bytes: Buffer): Promise<{ part: number; etag: string }> {
    if (partNumber > MAX_PARTS) {
      throw new StorageError(
        'refused',
        `${this.locationOf(name)} would need more than ${MAX_PARTS} parts of ${this.partSize} bytes; raise the part size`,
      );
    }
    const { etag } = await this.call(name, () =>
      this.client.uploadPart(
        { bucketName: this.bucket, objectName: this.keyOf(name), uploadID: encodedUploadId(uploadId), partNumber, headers: {} },
        bytes,
      ),
    );
    return { part: partNumber, etag };
  }

  /** @internal */
  async completeUpload(name: string, uploadId: string, parts: { part: number; etag: string }[]): Promise<void> {
    await this.call(name, () => this.client.completeMultipartUpload(this.bucket, this.keyOf(name), uploadId, parts));
  }

  private keyOf(name: string): string {
    assertObjectName(name);
    return this.prefix + name;
  }

  private async assertBucketExists(): Promise<void> {
    const exists = await this.call(undefined, () => this.client.bucketExists(this.bucket));
    if (!exists) {
      throw new StorageError('refused', `bucket "${this.bucket}" does not exist at ${this.endpoint} (NoSuchBucket)`);
    }
  }

  private async call<T>(name: string | undefined, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.failure(error, name);
    }
  }

  private failure(error: unknown, name?: string): StorageError {
    const location = name === undefined ? this.location : this.locationOf(name);
    return storageErrorFromS3(error, { endpoint: this.endpoint, bucket: this.bucket, location, credentials: this.credentialsSource });
  }
}

class S3Upload extends SingleWriteUpload<S3ObjectStore> {
  /** Fills one part buffer from the source and stores it whenever it is full; returns the byte count. */
  protected async transfer(source: Readable, signal?: AbortSignal): Promise<number> {
    const parts: { part: number; etag: string }[] = [];
    const part = Buffer.allocUnsafe(this.store.partSize);
    let filled = 0;
    let size = 0;
    for await (const chunk of sourceChunks(source, signal)) {
      size += chunk.length;
      for (let offset = 0; offset < chunk.length; ) {
        const copied = chunk.copy(part, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === part.length) {
          // The buffer is reused only after the part's request has been answered.
          parts.push(await this.store.uploadPart(this.name, this.uploadId, parts.length + 1, part));
          filled = 0;
        }
      }
    }
    // The last part may be short, and an empty archive is one empty part.
    if (filled > 0 || parts.length === 0) {
      parts.push(await this.store.uploadPart(this.name, this.uploadId, parts.length + 1, part.subarray(0, filled)));
    }
    if (signal?.aborted) throw cancelled(signal);
    await this.store.completeUpload(this.name, this.uploadId, parts);
    return size;
  }
}

function checkedPartSize(partSize: number, allowSmallParts: boolean): number {
  const min = allowSmallParts ? 1 : S3_MIN_PART_SIZE;
  if (!Number.isInteger(partSize) || partSize < min || partSize > S3_MAX_PART_SIZE) {
    throw new StorageError('invalid', `S3 part size ${partSize} must be a whole number of bytes from ${min} to ${S3_MAX_PART_SIZE}`);
  }
  return partSize;
}

/** http(s).request that destroys a request once its socket has been idle for `idleTimeoutMs`. */
function idleTimeoutTransport(base: typeof http | typeof https, idleTimeoutMs: number): Pick<typeof http, 'request'> {
  const request = (options: http.RequestOptions, callback?: (response: http.IncomingMessage) => void): http.ClientRequest => {
    const req = base.request({ ...options, timeout: idleTimeoutMs }, callback);
    req.on('timeout', () => {
      req.destroy(Object.assign(new Error(`no answer for ${idleTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    return req;
  };
  return { request: request as typeof http.request };
}

/** minio puts the id into uploadPart's and abort's query strings as given. */
function encodedUploadId(uploadId: string): string {
  if (uploadId === '' || /[\s\0]/.test(uploadId)) throw new StorageError('invalid', `upload id "${uploadId}" is malformed`);
  return encodeURIComponent(uploadId);
}
