import { errorMessage, StorageError } from './errors.ts';
import type { Upload } from './object-store.ts';

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
