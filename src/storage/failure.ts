import { errorMessage, StorageError } from './errors.ts';
import type { Readable } from 'node:stream';
import type { ObjectStore, Upload, WrittenObject } from './object-store.ts';
import type { RetryCounts } from './retry.ts';

/**
 * After a failed write: abort the upload so nothing partial stays behind, and
 * return the write's error as a StorageError. If the abort fails too, the error
 * says so; the caller still holds the upload id to abort it later.
 */
export async function abortAfterFailure(error: unknown, upload: Upload): Promise<StorageError> {
  const failure =
    error instanceof StorageError ? error : new StorageError('failed', `${upload.name}: ${errorMessage(error)}`, { cause: error });
  try {
    await upload.abort();
    return failure;
  } catch (abortError) {
    return new StorageError(
      failure.reason,
      `${failure.detail} (aborting upload ${upload.uploadId} failed too: ${errorMessage(abortError)})`,
      { cause: failure.cause },
    );
  }
}

/**
 * An upload written at most once: on any failure of `transfer` it is aborted,
 * so nothing partial stays behind. Each store supplies how bytes travel.
 */
export abstract class SingleWriteUpload<S extends Pick<ObjectStore, 'locationOf' | 'abortUpload'>> implements Upload {
  private written = false;
  /** Requests of this upload retried after transient failures, by reason; reported with the written object. */
  protected readonly retries: RetryCounts = {};

  constructor(
    protected readonly store: S,
    readonly name: string,
    readonly uploadId: string,
  ) {}

  async write(source: Readable, signal?: AbortSignal): Promise<WrittenObject> {
    if (this.written) throw new StorageError('invalid', `upload ${this.uploadId} of ${this.name} was already written`);
    this.written = true;
    try {
      const size = await this.transfer(source, signal);
      const retried = Object.keys(this.retries).length > 0;
      return { size, location: this.store.locationOf(this.name), ...(retried ? { retries: { ...this.retries } } : {}) };
    } catch (error) {
      throw await abortAfterFailure(error, this);
    }
  }

  abort(): Promise<void> {
    return this.store.abortUpload(this.name, this.uploadId);
  }

  /** Moves the source's bytes into place under the final name; returns the byte count. */
  protected abstract transfer(source: Readable, signal?: AbortSignal): Promise<number>;
}
