import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore, openObjectStore, StorageError, type ObjectStore } from '../../src/storage/index.ts';
import { objectStoreContract } from './contract.ts';
import { chunked, eventually, randomBytes } from './streams.ts';

const NAME = 'demo-2026-11-24T19-41-05.123Z.tar.gz';
const s3 = { region: 'us-east-1', pathStyle: true, partSizeBytes: 8 * 1024 * 1024 };

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
    open: (prefix) => new LocalObjectStore(path.join(directory, prefix)),
    pending: () => partials(directory),
  }));
});

describe('LocalObjectStore', () => {
  let directory = '';
  beforeEach(() => {
    directory = path.join(root, `local-${++testCount}`);
  });

  it('creates its directory, nested, on the first upload', async () => {
    const store = new LocalObjectStore(path.join(directory, 'a', 'b'));
    expect(await store.stat(NAME)).toBeNull();
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('archive')));
    expect(await fs.readFile(path.join(directory, 'a', 'b', NAME), 'utf8')).toBe('archive');
  });

  it('writes to .<name>.<uploadId>.partial beside the final name until the end', async () => {
    const store = new LocalObjectStore(directory);
    const source = new PassThrough();
    const upload = await store.beginUpload(NAME);
    const partial = path.join(directory, `.${NAME}.${upload.uploadId}.partial`);
    // It exists from the start, so that aborting by id right after beginUpload has something to remove.
    expect((await fs.stat(partial)).size).toBe(0);

    const writing = upload.write(source);
    source.write(randomBytes(1000));
    await eventually(async () => (await fs.stat(partial)).size === 1000);
    expect(await store.stat(NAME)).toBeNull();

    source.end(randomBytes(500));
    expect(await writing).toEqual({ size: 1500, location: path.join(directory, NAME) });
    expect(await fs.readdir(directory)).toEqual([NAME]);
  });

  it('lists regular files only: no dot-files, no temporaries, no sub-directories', async () => {
    const store = new LocalObjectStore(directory);
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('12345')));
    await fs.writeFile(path.join(directory, '.DS_Store'), 'x');
    await fs.writeFile(path.join(directory, `.${NAME}.00000000-0000-0000-0000-000000000000.partial`), 'x');
    await fs.mkdir(path.join(directory, 'sub.tar.gz'));
    const listed: { name: string; size: number }[] = [];
    for await (const object of store.list()) listed.push(object);
    expect(listed).toEqual([{ name: NAME, size: 5 }]);
    expect(await store.stat('sub.tar.gz')).toBeNull();
  });

  it('refuses a directory it cannot create', async () => {
    await fs.mkdir(directory, { recursive: true });
    await fs.writeFile(path.join(directory, 'a-file'), 'not a directory');
    const store = new LocalObjectStore(path.join(directory, 'a-file', 'snapshots'));
    const error: unknown = await store.beginUpload(NAME).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).reason).toBe('refused');
    expect((error as StorageError).message).toMatch(/^storage refused: .*a-file\/snapshots: ENOTDIR/);
  });

  it('rejects malformed upload ids instead of touching other files', async () => {
    const store = new LocalObjectStore(directory);
    await expect(store.abortUpload(NAME, '../../etc')).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('is what openObjectStore returns for an absolute path, and relative paths are refused', async () => {
    const store: ObjectStore = openObjectStore(directory, s3);
    expect(store).toBeInstanceOf(LocalObjectStore);
    expect(store.location).toBe(directory);
    expect(store.locationOf(NAME)).toBe(path.join(directory, NAME));
    expect(() => openObjectStore('relative/snapshots', s3)).toThrow(/^storage target invalid: "relative\/snapshots" must be/);
    expect(() => new LocalObjectStore('relative')).toThrow(StorageError);
  });
});
