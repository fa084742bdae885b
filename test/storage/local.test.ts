import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore, StorageError } from '../../src/storage/index.ts';
import { objectStoreContract } from './contract.ts';
import { chunked, eventually, randomBytes } from './streams.ts';

const NAME = 'demo-2026-11-24T19-41-05.123Z.tar.gz';

let root: string;
let testCount = 0;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-local-store-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** `.partial` temporaries anywhere under `directory`, with their sizes. */
async function partials(directory: string): Promise<{ uploadId: string; bytes: number }[]> {
  const entries = await fs.readdir(directory, { recursive: true }).catch(() => [] as string[]);
  const found = entries.map((entry) => ({ entry, match: /\.([0-9a-f-]{36})\.partial$/.exec(entry) }));
  return Promise.all(
    found
      .filter(({ match }) => match !== null)
      .map(async ({ entry, match }) => ({ uploadId: match![1]!, bytes: (await fs.stat(path.join(directory, entry))).size })),
  );
}

describe('LocalObjectStore contract', () => {
  let directory = '';
  beforeEach(() => {
    directory = path.join(root, `contract-${++testCount}`);
  });
  objectStoreContract(() => ({
    partSize: 64 * 1024,
    open: (prefix) => new LocalObjectStore(directory, prefix),
    pending: () => partials(directory),
  }));
});

describe('LocalObjectStore', () => {
  let directory = '';
  beforeEach(() => {
    directory = path.join(root, `local-${++testCount}`);
  });

  it('creates the root and its directory, nested, on the first upload: directories 0700, the archive 0600', async () => {
    const store = new LocalObjectStore(directory, 'a/b');
    expect(await store.stat(NAME)).toBeNull();
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('archive')));
    expect(await fs.readFile(path.join(directory, 'a', 'b', NAME), 'utf8')).toBe('archive');
    for (const created of [directory, path.join(directory, 'a'), path.join(directory, 'a', 'b')]) {
      expect(((await fs.stat(created)).mode & 0o777).toString(8), created).toBe('700');
    }
    expect(((await fs.stat(path.join(directory, 'a', 'b', NAME))).mode & 0o777).toString(8)).toBe('600');
  });

  it('writes to .<name>.<uploadId>.partial (0600 from the start) beside the final name until the end', async () => {
    const store = new LocalObjectStore(directory);
    const source = new PassThrough();
    const upload = await store.beginUpload(NAME);
    const partial = path.join(directory, `.${NAME}.${upload.uploadId}.partial`);
    // It exists from the start, so that aborting by id right after beginUpload has something to remove.
    expect((await fs.stat(partial)).size).toBe(0);
    expect(((await fs.stat(partial)).mode & 0o777).toString(8)).toBe('600');

    const writing = upload.write(source);
    source.write(randomBytes(1000));
    await eventually(async () => (await fs.stat(partial)).size === 1000);
    expect(await store.stat(NAME)).toBeNull();

    source.end(randomBytes(500));
    expect(await writing).toEqual({ size: 1500, location: path.join(directory, NAME) });
    expect(await fs.readdir(directory)).toEqual([NAME]);
  });

  it('lists regular files only: no dot-files, no temporaries, no sub-directories, no symbolic links', async () => {
    const store = new LocalObjectStore(directory);
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('12345')));
    await fs.writeFile(path.join(directory, '.DS_Store'), 'x');
    await fs.writeFile(path.join(directory, `.${NAME}.00000000-0000-0000-0000-000000000000.partial`), 'x');
    await fs.mkdir(path.join(directory, 'sub.tar.gz'));
    await fs.symlink(path.join(directory, NAME), path.join(directory, 'link.tar.gz'));
    const listed: { name: string; size: number }[] = [];
    for await (const object of store.list()) listed.push(object);
    expect(listed).toEqual([{ name: NAME, size: 5 }]);
    expect(await store.stat('sub.tar.gz')).toBeNull();
    expect(await store.stat('link.tar.gz')).toBeNull();
  });

  it('refuses a directory it cannot create', async () => {
    await fs.mkdir(directory, { recursive: true });
    await fs.writeFile(path.join(directory, 'a-file'), 'not a directory');
    const store = new LocalObjectStore(directory, 'a-file/snapshots');
    const error = await refusal(store.beginUpload(NAME));
    expect(error.message).toBe(
      `storage refused: ${directory}/a-file is not a directory; vsnap writes only to real directories inside LOCAL_STORAGE_ROOT (${directory}): remove the link or point the location elsewhere`,
    );
  });

  it('rejects malformed upload ids instead of touching other files', async () => {
    const store = new LocalObjectStore(directory);
    await expect(store.abortUpload(NAME, '../../etc')).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('refuses a relative root and a directory that breaks the rules', () => {
    expect(() => new LocalObjectStore('relative')).toThrow('storage target invalid: LOCAL_STORAGE_ROOT "relative" must be an absolute path');
    expect(() => new LocalObjectStore(directory, '../etc')).toThrow(
      'storage target invalid: directory "../etc" must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)',
    );
  });
});

async function refusal(promise: Promise<unknown>): Promise<StorageError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  expect((error as StorageError).reason).toBe('refused');
  return error as StorageError;
}

/** Every path below `directory`, so a test can show nothing appeared there. */
async function tree(directory: string): Promise<string[]> {
  return (await fs.readdir(directory, { recursive: true }).catch(() => [] as string[])).sort();
}

describe('LocalObjectStore: no way out of the root', () => {
  let base = '';
  let storeRoot = '';
  let outside = '';
  beforeEach(async () => {
    base = path.join(root, `escape-${++testCount}`);
    storeRoot = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await fs.mkdir(storeRoot, { recursive: true });
    await fs.mkdir(outside, { recursive: true });
  });

  it('refuses a symbolic link planted as the location directory, and writes nothing behind it', async () => {
    await fs.symlink(outside, path.join(storeRoot, 'evil'));
    const error = await refusal(new LocalObjectStore(storeRoot, 'evil').beginUpload(NAME));
    expect(error.message).toBe(
      `storage refused: ${storeRoot}/evil is a symbolic link; vsnap writes only to real directories inside LOCAL_STORAGE_ROOT (${storeRoot}): remove the link or point the location elsewhere`,
    );
    expect(await tree(outside)).toEqual([]);
  });

  it('refuses a symbolic link on the way to the directory, creating nothing behind it', async () => {
    await fs.symlink(outside, path.join(storeRoot, 'evil'));
    await refusal(new LocalObjectStore(storeRoot, 'evil/deeper/still').beginUpload(NAME));
    expect(await tree(outside)).toEqual([]);
  });

  it('refuses to read, list or stat through a directory swapped for a link after it was used', async () => {
    const store = new LocalObjectStore(storeRoot, 'team');
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('archive')));
    await fs.writeFile(path.join(outside, NAME), 'somebody else\'s file');
    await fs.rename(path.join(storeRoot, 'team'), path.join(storeRoot, 'team-moved'));
    await fs.symlink(outside, path.join(storeRoot, 'team'));
    const message = `storage refused: ${storeRoot}/team resolves to ${outside}, outside LOCAL_STORAGE_ROOT; vsnap writes only to real directories inside LOCAL_STORAGE_ROOT (${storeRoot}): remove the link or point the location elsewhere`;
    expect((await refusal(store.stat(NAME))).message).toBe(message);
    expect((await refusal(store.read(NAME))).message).toBe(message);
    expect((await refusal(store.remove(NAME))).message).toBe(message);
    expect((await refusal(store.beginUpload('other.tar.gz'))).message).toContain(`${storeRoot}/team is a symbolic link`);
    await expect((async () => {
      for await (const object of store.list()) void object;
    })()).rejects.toMatchObject({ reason: 'refused' });
    expect(await tree(outside)).toEqual([NAME]);
    expect(await fs.readFile(path.join(outside, NAME), 'utf8')).toBe("somebody else's file");
  });

  it('does not follow a symbolic link standing under an archive name', async () => {
    const store = new LocalObjectStore(storeRoot);
    await fs.writeFile(path.join(outside, 'secret'), 'not an archive');
    await fs.symlink(path.join(outside, 'secret'), path.join(storeRoot, NAME));
    expect(await store.stat(NAME)).toBeNull();
    const error = await refusal(store.read(NAME));
    expect(error.message).toBe(`storage refused: ${storeRoot}/${NAME} is a symbolic link; vsnap follows none inside LOCAL_STORAGE_ROOT`);
    // Removing the name removes the link, never what it points at.
    await store.remove(NAME);
    expect(await fs.readFile(path.join(outside, 'secret'), 'utf8')).toBe('not an archive');
  });

  it("accepts a root that is itself a link (the operator's choice) and keeps everything inside its target", async () => {
    const linkedRoot = path.join(base, 'linked-root');
    await fs.symlink(storeRoot, linkedRoot);
    const store = new LocalObjectStore(linkedRoot, 'team');
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('archive')));
    expect(await tree(storeRoot)).toEqual(['team', `team/${NAME}`]);
  });

  it('accepts a legacy absolute directory inside the root', async () => {
    const store = new LocalObjectStore(storeRoot, path.join(storeRoot, 'legacy'));
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('archive')));
    expect(store.locationOf(NAME)).toBe(path.join(storeRoot, 'legacy', NAME));
    expect(await tree(storeRoot)).toEqual(['legacy', `legacy/${NAME}`]);
  });
});
