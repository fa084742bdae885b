import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { errorMessage, StorageError } from './errors.ts';
import { SingleWriteUpload } from './failure.ts';
import {
  assertObjectName,
  type ObjectStat,
  type ObjectStore,
  type StoredObject,
  type Upload,
} from './object-store.ts';
import { cancelled, sourceChunks } from './source.ts';

/** The backend said no in a way an operator fixes: permissions, space, a file where a directory should be. */
const REFUSED_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENAMETOOLONG']);

/**
 * Archives as files in one directory. An upload writes `.<name>.<uploadId>.partial`
 * beside the final name, fsyncs it, renames it into place and fsyncs the
 * directory, so a crash leaves either the whole archive or no archive under the
 * final name. Dot-files (temporaries included) are never listed.
 */
export class LocalObjectStore implements ObjectStore {
  readonly location: string;

  constructor(directory: string) {
    if (!path.isAbsolute(directory)) throw new StorageError('invalid', `directory "${directory}" must be an absolute path`);
    this.location = path.resolve(directory);
  }

  locationOf(name: string): string {
    assertObjectName(name);
    return path.join(this.location, name);
  }

  async beginUpload(name: string): Promise<Upload> {
    const uploadId = randomUUID();
    const partial = this.partialPath(name, uploadId);
    await this.fsCall(() => fs.mkdir(this.location, { recursive: true }));
    // Created now so that an abort by id, even before any byte, has something to remove.
    await this.fsCall(async () => (await fs.open(partial, 'wx')).close(), partial);
    return new LocalUpload(this, name, uploadId);
  }

  async abortUpload(name: string, uploadId: string): Promise<void> {
    const partial = this.partialPath(name, uploadId);
    await this.fsCall(() => fs.rm(partial, { force: true }), partial);
  }

  async stat(name: string): Promise<ObjectStat | null> {
    const file = this.locationOf(name);
    try {
      const stat = await fs.stat(file);
      return stat.isFile() ? { size: stat.size, lastModified: stat.mtime } : null;
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return null;
      throw localFailure(error, file);
    }
  }

  async read(name: string): Promise<Readable> {
    const file = this.locationOf(name);
    try {
      const handle = await fs.open(file, 'r');
      return handle.createReadStream();
    } catch (error) {
      if (codeOf(error) === 'ENOENT') throw new StorageError('missing', file, { cause: error });
      throw localFailure(error, file);
    }
  }

  async remove(name: string): Promise<void> {
    const file = this.locationOf(name);
    await this.fsCall(() => fs.rm(file, { force: true }), file);
  }

  async *list(): AsyncIterable<StoredObject> {
    let entries: string[];
    try {
      entries = (await fs.readdir(this.location, { withFileTypes: true }))
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return;
      throw localFailure(error, this.location);
    }
    for (const name of entries) {
      const stat = await this.stat(name);
      if (stat) yield { name, size: stat.size };
    }
  }

  /** @internal */
  partialPath(name: string, uploadId: string): string {
    assertObjectName(name);
    if (!/^[A-Za-z0-9-]+$/.test(uploadId)) throw new StorageError('invalid', `upload id "${uploadId}" is malformed`);
    return path.join(this.location, `.${name}.${uploadId}.partial`);
  }

  /** @internal */
  async fsCall<T>(operation: () => Promise<T>, file = this.location): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw localFailure(error, file);
    }
  }
}

class LocalUpload extends SingleWriteUpload<LocalObjectStore> {
  protected async transfer(source: Readable, signal?: AbortSignal): Promise<number> {
    const partial = this.store.partialPath(this.name, this.uploadId);
    const final = this.store.locationOf(this.name);
    // r+, not w: an upload aborted by id in the meantime must not come back to life.
    const handle = await this.store.fsCall(() => fs.open(partial, 'r+'), partial);
    let size = 0;
    try {
      for await (const chunk of sourceChunks(source, signal)) {
        await this.store.fsCall(() => writeAll(handle, chunk), partial);
        size += chunk.length;
      }
      await this.store.fsCall(() => handle.sync(), partial);
    } finally {
      await handle.close();
    }
    if (signal?.aborted) throw cancelled(signal);
    await this.store.fsCall(() => fs.rename(partial, final), final);
    await this.store.fsCall(() => syncDirectory(this.store.location));
    return size;
  }
}

async function writeAll(handle: fs.FileHandle, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, offset);
    offset += bytesWritten;
  }
}

/** Makes a rename durable: the new directory entry is on disk once this returns. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function localFailure(error: unknown, file: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = codeOf(error);
  const detail = `${file}: ${errorMessage(error)}`;
  if (code === 'ENOENT') return new StorageError('refused', `${file} no longer exists (${errorMessage(error)})`, { cause: error });
  return new StorageError(code && REFUSED_CODES.has(code) ? 'refused' : 'failed', detail, { cause: error });
}
