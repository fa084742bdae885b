import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { errorMessage, StorageError } from './errors.ts';
import { SingleWriteUpload } from './failure.ts';
import { isInside, localDirectoryPath } from './local-directory.ts';
import {
  assertObjectName,
  type IncompleteUpload,
  type ObjectStat,
  type ObjectStore,
  type StoredObject,
  type Upload,
} from './object-store.ts';
import { cancelled, sourceChunks } from './source.ts';

/** The backend said no in a way an operator fixes: permissions, space, a file where a directory should be (ENOENT and ELOOP have their own words). */
const REFUSED_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENAMETOOLONG']);

/** Archives hold Secrets: only vsnap's own user may read them or list their directories. */
const DIRECTORY_MODE = 0o700;
const ARCHIVE_MODE = 0o600;
const CREATE_PARTIAL = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW;
// No O_CREAT: an upload aborted by id in the meantime must not come back to life.
const WRITE_PARTIAL = constants.O_WRONLY | constants.O_NOFOLLOW;
const READ_ARCHIVE = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * Archives as files in one directory under the local storage root. An upload
 * writes `.<name>.<uploadId>.partial` beside the final name, fsyncs it, renames
 * it into place and fsyncs the directory, so a crash leaves either the whole
 * archive or no archive under the final name. Dot-files (temporaries included)
 * are never listed.
 *
 * Nothing leaves the root: directories are created one component at a time and
 * each must be a real directory (not a symbolic link), the directory's real path
 * must lie inside the root's real path before any file in it is touched, and
 * files are opened with O_NOFOLLOW. (Node has no openat: a link swapped in
 * between that check and the write would take write access to the 0700 root,
 * that is, vsnap's own user.)
 */
export class LocalObjectStore implements ObjectStore {
  readonly root: string;
  readonly location: string;

  /** `directory` is relative to `root` ('' for the root itself); see localDirectoryPath. */
  constructor(root: string, directory = '') {
    if (!path.isAbsolute(root)) throw new StorageError('invalid', `LOCAL_STORAGE_ROOT "${root}" must be an absolute path`);
    this.root = path.resolve(root);
    this.location = localDirectoryPath(this.root, directory);
  }

  locationOf(name: string): string {
    assertObjectName(name);
    return path.join(this.location, name);
  }

  async beginUpload(name: string): Promise<Upload> {
    assertObjectName(name);
    const uploadId = randomUUID();
    const directory = await this.createdDirectory();
    const partial = path.join(directory, partialName(name, uploadId));
    // Created now so that an abort by id, even before any byte, has something to remove.
    await fsCall(async () => (await fs.open(partial, CREATE_PARTIAL, ARCHIVE_MODE)).close(), partial);
    return new LocalUpload(this, name, uploadId);
  }

  async abortUpload(name: string, uploadId: string): Promise<void> {
    const file = partialName(name, uploadId);
    const directory = await this.existingDirectory();
    if (directory === null) return;
    const partial = path.join(directory, file);
    await fsCall(() => fs.rm(partial, { force: true }), partial);
  }

  async stat(name: string): Promise<ObjectStat | null> {
    assertObjectName(name);
    const directory = await this.existingDirectory();
    if (directory === null) return null;
    const file = path.join(directory, name);
    try {
      // lstat: a symbolic link under an archive's name is not an archive.
      const stat = await fs.lstat(file);
      return stat.isFile() ? { size: stat.size, lastModified: stat.mtime } : null;
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return null;
      throw localFailure(error, file);
    }
  }

  async read(name: string): Promise<Readable> {
    assertObjectName(name);
    const directory = await this.existingDirectory();
    const file = path.join(directory ?? this.location, name);
    if (directory === null) throw new StorageError('missing', file);
    try {
      const handle = await fs.open(file, READ_ARCHIVE);
      return handle.createReadStream();
    } catch (error) {
      if (codeOf(error) === 'ENOENT') throw new StorageError('missing', file, { cause: error });
      throw localFailure(error, file);
    }
  }

  async remove(name: string): Promise<void> {
    assertObjectName(name);
    const directory = await this.existingDirectory();
    if (directory === null) return;
    const file = path.join(directory, name);
    await fsCall(() => fs.rm(file, { force: true }), file);
  }

  async *list(): AsyncIterable<StoredObject> {
    const directory = await this.existingDirectory();
    if (directory === null) return;
    for (const name of await fileNames(directory)) {
      if (name.startsWith('.')) continue;
      const stat = await this.stat(name);
      if (stat) yield { name, size: stat.size };
    }
  }

  /** The `.partial` files of uploads in the directory; `initiated` is the file's last write. */
  async *listIncompleteUploads(): AsyncIterable<IncompleteUpload> {
    const directory = await this.existingDirectory();
    if (directory === null) return;
    for (const file of await fileNames(directory)) {
      const parsed = PARTIAL_FILE.exec(file);
      if (!parsed) continue;
      const stat = await fs.lstat(path.join(directory, file)).catch((error: unknown) => {
        if (codeOf(error) === 'ENOENT') return null;
        throw localFailure(error, path.join(directory, file));
      });
      if (stat) yield { name: parsed[1]!, uploadId: parsed[2]!, initiated: stat.mtime };
    }
  }

  /**
   * The directory's real path, created (0700, and the root with it) where
   * missing. Each component is created and checked on its own, so a symbolic
   * link planted in the root cannot make vsnap create or write anything outside it.
   */
  async createdDirectory(): Promise<string> {
    await fsCall(() => fs.mkdir(this.root, { recursive: true, mode: DIRECTORY_MODE }), this.root);
    const realRoot = await fsCall(() => fs.realpath(this.root), this.root);
    let current = realRoot;
    let shown = this.root;
    for (const component of path.relative(this.root, this.location).split(path.sep).filter(Boolean)) {
      current = path.join(current, component);
      shown = path.join(shown, component);
      await fs.mkdir(current, { mode: DIRECTORY_MODE }).catch((error: unknown) => {
        if (codeOf(error) !== 'EEXIST') throw localFailure(error, shown);
      });
      const stat = await fsCall(() => fs.lstat(current), shown);
      if (!stat.isDirectory()) throw this.refusal(`${shown} ${stat.isSymbolicLink() ? 'is a symbolic link' : 'is not a directory'}`);
    }
    return this.checkedInside(realRoot, await fsCall(() => fs.realpath(current), shown));
  }

  /** The directory's real path, or null when it (or the root) does not exist yet. */
  async existingDirectory(): Promise<string | null> {
    let realRoot: string;
    let real: string;
    try {
      realRoot = await fs.realpath(this.root);
      real = await fs.realpath(this.location);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return null;
      throw localFailure(error, this.location);
    }
    return this.checkedInside(realRoot, real);
  }

  /** The last check before touching files: whatever the path went through, it ends inside the root. */
  private checkedInside(realRoot: string, real: string): string {
    if (!isInside(realRoot, real)) throw this.refusal(`${this.location} resolves to ${real}, outside LOCAL_STORAGE_ROOT`);
    return real;
  }

  private refusal(what: string): StorageError {
    return new StorageError(
      'refused',
      `${what}; vsnap writes only to real directories inside LOCAL_STORAGE_ROOT (${this.root}): remove the link or point the location elsewhere`,
    );
  }
}

class LocalUpload extends SingleWriteUpload<LocalObjectStore> {
  protected async transfer(source: Readable, signal?: AbortSignal): Promise<number> {
    const directory = await this.store.existingDirectory();
    if (directory === null) throw new StorageError('refused', `${this.store.location} no longer exists`);
    const partial = path.join(directory, partialName(this.name, this.uploadId));
    const final = path.join(directory, this.name);
    const handle = await fsCall(() => fs.open(partial, WRITE_PARTIAL), partial);
    let size = 0;
    try {
      for await (const chunk of sourceChunks(source, signal)) {
        await fsCall(() => writeAll(handle, chunk), partial);
        size += chunk.length;
      }
      await fsCall(() => handle.sync(), partial);
    } finally {
      await handle.close();
    }
    if (signal?.aborted) throw cancelled(signal);
    await fsCall(() => fs.rename(partial, final), final);
    await fsCall(() => syncDirectory(directory), directory);
    return size;
  }
}

/** The regular files of a directory, sorted by name; none when the directory went away since it was resolved. */
async function fileNames(directory: string): Promise<string[]> {
  try {
    return (await fs.readdir(directory, { withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return [];
    throw localFailure(error, directory);
  }
}

/** `.<name>.<uploadId>.partial`: upload ids have no dots, names may. */
const PARTIAL_FILE = /^\.(.+)\.([A-Za-z0-9-]+)\.partial$/;

function partialName(name: string, uploadId: string): string {
  assertObjectName(name);
  if (!/^[A-Za-z0-9-]+$/.test(uploadId)) throw new StorageError('invalid', `upload id "${uploadId}" is malformed`);
  return `.${name}.${uploadId}.partial`;
}

async function fsCall<T>(operation: () => Promise<T>, file: string): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw localFailure(error, file);
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

/** A filesystem error as a StorageError: `refused` for what an operator fixes (see REFUSED_CODES), else `failed`. */
export function localFailure(error: unknown, file: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = codeOf(error);
  if (code === 'ENOENT') return new StorageError('refused', `${file} no longer exists (${errorMessage(error)})`, { cause: error });
  if (code === 'ELOOP') return new StorageError('refused', `${file} is a symbolic link; vsnap follows none inside LOCAL_STORAGE_ROOT`, { cause: error });
  return new StorageError(code && REFUSED_CODES.has(code) ? 'refused' : 'failed', `${file}: ${errorMessage(error)}`, { cause: error });
}
