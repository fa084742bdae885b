/**
 * The local store's failures, errno by errno, and the listing rules: sorted, dot-files and
 * foreign names left out, upload ids that cannot point anywhere else. The errors this
 * machine can make (ENAMETOOLONG, EISDIR, ENOTDIR, ELOOP) are made for real; the rest
 * (no space, read-only, permissions, which root does not meet) are classified from the
 * error Node would raise.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/storage/errors.ts';
import { LocalObjectStore, localFailure } from '../../src/storage/local.ts';
import { chunked } from './streams.ts';

const NAME = 'demo-2026-11-24T19-41-05.123Z.tar.gz';
const UPLOAD_ID = '00000000-0000-4000-8000-000000000000';

let root: string;
let directory: string;
let count = 0;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-local-errors-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});
beforeEach(async () => {
  directory = path.join(root, `case-${++count}`);
  await fs.mkdir(directory);
});

/** An error as Node's fs raises it. */
const systemError = (code: string, syscall = 'open', file = '/srv/vsnap/a.tar.gz') =>
  Object.assign(new Error(`${code}: failed, ${syscall} '${file}'`), { code, errno: -1, syscall, path: file });

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  const error = await promise.then(
    () => expect.fail('it succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

describe('localFailure: errno by errno', () => {
  it.each(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENAMETOOLONG'])(
    '%s is refused: an operator fixes it',
    (code) => {
      const cause = systemError(code);
      const error = localFailure(cause, '/srv/vsnap/a.tar.gz');
      expect(error).toMatchObject({ reason: 'refused', message: `storage refused: /srv/vsnap/a.tar.gz: ${cause.message}`, cause });
    },
  );

  it.each(['EIO', 'EBUSY', 'EMFILE', 'ENOTEMPTY', 'ERR_FS_EISDIR'])('%s failed: nothing an operator set', (code) => {
    const cause = systemError(code);
    expect(localFailure(cause, '/f')).toMatchObject({ reason: 'failed', message: `storage failed: /f: ${cause.message}`, cause });
  });

  it('says that a file went away, and that a link is not followed', () => {
    const gone = systemError('ENOENT');
    expect(localFailure(gone, '/f')).toMatchObject({ reason: 'refused', message: `storage refused: /f no longer exists (${gone.message})`, cause: gone });
    const loop = systemError('ELOOP');
    expect(localFailure(loop, '/f')).toMatchObject({
      reason: 'refused',
      message: 'storage refused: /f is a symbolic link; vsnap follows none inside LOCAL_STORAGE_ROOT',
      cause: loop,
    });
  });

  it('takes a code only when it is a string, and anything thrown', () => {
    expect(localFailure(Object.assign(new Error('odd'), { code: 13 }), '/f')).toMatchObject({ reason: 'failed', message: 'storage failed: /f: odd' });
    expect(localFailure('EACCES', '/f')).toMatchObject({ reason: 'failed', message: 'storage failed: /f: EACCES' });
    expect(localFailure(null, '/f')).toMatchObject({ reason: 'failed', message: 'storage failed: /f: null' });
  });

  it('passes a StorageError through as it is', () => {
    const own = new StorageError('invalid', 'upload id "x" is malformed');
    expect(localFailure(own, '/f')).toBe(own);
  });
});

describe('errors this machine can make', () => {
  it('ENAMETOOLONG: an object name longer than the file system takes is refused, nothing written', async () => {
    const long = `${'x'.repeat(300)}.tar.gz`;
    const error = await failure(new LocalObjectStore(directory).beginUpload(long));
    expect(error.reason).toBe('refused');
    expect(error.message).toMatch(/^storage refused: .*: ENAMETOOLONG: name too long, open /);
    expect(await fs.readdir(directory)).toEqual([]);
  });

  it('EISDIR: a directory standing under the archive name refuses the upload and keeps no temporary', async () => {
    await fs.mkdir(path.join(directory, NAME));
    const error = await failure((await new LocalObjectStore(directory).beginUpload(NAME)).write(chunked(Buffer.from('archive'))));
    expect(error).toMatchObject({ reason: 'refused' });
    expect(error.message.startsWith(`storage refused: ${path.join(directory, NAME)}: EISDIR: illegal operation on a directory, rename '`)).toBe(true);
    expect((await fs.readdir(directory)).sort()).toEqual([NAME]);
  });

  it('ENOTDIR: a file where the root should be', async () => {
    await fs.writeFile(path.join(directory, 'root'), 'a file');
    const error = await failure(new LocalObjectStore(path.join(directory, 'root')).stat(NAME));
    expect(error.reason).toBe('refused');
    expect(error.message).toMatch(/ENOTDIR: not a directory/);
  });
});

describe('what stands where a directory should', () => {
  it('a file on the way to the location refuses stat, read and listings (ENOTDIR), instead of reading as empty', async () => {
    await fs.writeFile(path.join(directory, 'team'), 'a file');
    const store = new LocalObjectStore(directory, 'team/archives');
    const location = path.join(directory, 'team', 'archives');
    const message = `storage refused: ${location}: ENOTDIR: not a directory, realpath '${location}'`;
    expect(await failure(store.stat(NAME))).toMatchObject({ reason: 'refused', message });
    expect(await failure(store.read(NAME))).toMatchObject({ reason: 'refused', message });
    await expect(listed(store.list())).rejects.toMatchObject({ reason: 'refused', message });
    await expect(listed(store.listIncompleteUploads())).rejects.toMatchObject({ reason: 'refused', message });
  });

  it('a file as the location itself refuses the listings (ENOTDIR on reading it), instead of listing nothing', async () => {
    await fs.writeFile(path.join(directory, 'team'), 'a file');
    const store = new LocalObjectStore(directory, 'team');
    const message = `storage refused: ${path.join(directory, 'team')}: ENOTDIR: not a directory, scandir '${path.join(directory, 'team')}'`;
    await expect(listed(store.list())).rejects.toMatchObject({ reason: 'refused', message });
    await expect(listed(store.listIncompleteUploads())).rejects.toMatchObject({ reason: 'refused', message });
  });

  it('a directory replaced by a file while its incomplete uploads are listed ends the listing refused, not short', async () => {
    for (const name of ['a.tar.gz', 'b.tar.gz']) await fs.writeFile(path.join(directory, `.${name}.${UPLOAD_ID}.partial`), '');
    const listedNames: string[] = [];
    const error = await (async () => {
      for await (const upload of new LocalObjectStore(directory).listIncompleteUploads()) {
        listedNames.push(upload.name);
        await fs.rename(directory, `${directory}-moved`);
        await fs.writeFile(directory, 'a file');
      }
    })().then(
      () => expect.fail('the listing ended normally'),
      (e: unknown) => e,
    );
    const partial = path.join(directory, `.b.tar.gz.${UPLOAD_ID}.partial`);
    expect(listedNames).toEqual(['a.tar.gz']);
    expect(error).toMatchObject({ reason: 'refused', message: `storage refused: ${partial}: ENOTDIR: not a directory, lstat '${partial}'` });
    await fs.rm(directory);
    await fs.rename(`${directory}-moved`, directory);
  });
});

/** Everything a listing yields. */
async function listed<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('names are checked before anything is touched', () => {
  it.each(['../escape.tar.gz', '.hidden.tar.gz', 'a/b.tar.gz'])('%j', async (name) => {
    const store = new LocalObjectStore(path.join(directory, 'root'), 'team');
    const invalid = { reason: 'invalid', message: `storage target invalid: object name "${name}" must be a plain file name not starting with "."` };
    expect(() => store.locationOf(name)).toThrow(expect.objectContaining(invalid));
    expect(await failure(store.beginUpload(name))).toMatchObject(invalid);
    expect(await failure(store.read(name))).toMatchObject(invalid);
    // An abort names no file of its own but the temporary: the name in it is checked as well.
    expect(await failure(store.abortUpload(name, UPLOAD_ID))).toMatchObject(invalid);
    // Not even the root was made.
    expect(await fs.readdir(directory)).toEqual([]);
  });
});

describe('what is not there', () => {
  it('reading a name the directory does not hold is missing, naming the file', async () => {
    const store = new LocalObjectStore(directory);
    await (await store.beginUpload('other.tar.gz')).write(chunked(Buffer.from('x')));
    const error = await failure(store.read(NAME));
    expect(error).toMatchObject({ reason: 'missing', message: `storage object missing: ${path.join(directory, NAME)}`, cause: expect.objectContaining({ code: 'ENOENT' }) });
  });

  it('stat answers null only for a name that does not exist: a name the file system cannot hold is refused', async () => {
    const store = new LocalObjectStore(directory);
    await (await store.beginUpload('other.tar.gz')).write(chunked(Buffer.from('x')));
    const error = await failure(store.stat(`${'x'.repeat(300)}.tar.gz`));
    expect(error.reason).toBe('refused');
    expect(error.message).toMatch(/: ENAMETOOLONG: name too long, lstat /);
  });

  it('an upload whose directory was removed after it began is refused, and creates nothing', async () => {
    const store = new LocalObjectStore(path.join(directory, 'root'), 'team');
    const upload = await store.beginUpload(NAME);
    await fs.rm(path.join(directory, 'root'), { recursive: true });
    expect(await failure(upload.write(chunked(Buffer.from('archive'))))).toMatchObject({
      reason: 'refused',
      message: `storage refused: ${path.join(directory, 'root', 'team')} no longer exists`,
    });
    expect(await fs.readdir(directory)).toEqual([]);
  });

  it('a directory that would be longer than the system takes is refused, naming the mkdir that failed', async () => {
    // A root of about 4000 characters, made of 200-character components: one more component passes PATH_MAX (4096).
    const longRoot = path.join(directory, ...Array.from({ length: Math.ceil((4000 - directory.length) / 201) }, () => 'r'.repeat(200)));
    const error = await failure(new LocalObjectStore(longRoot, 'x'.repeat(100)).beginUpload(NAME));
    expect(error.reason).toBe('refused');
    expect(error.message).toBe(`storage refused: ${path.join(longRoot, 'x'.repeat(100))}: ENAMETOOLONG: name too long, mkdir '${path.join(longRoot, 'x'.repeat(100))}'`);
  });

  it('leaves no file open: uploads, reads and listings close what they open', async () => {
    const store = new LocalObjectStore(directory);
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('archive')));
    const stream = await store.read(NAME);
    for await (const chunk of stream) void chunk;
    for await (const object of store.list()) void object;
    await new Promise((resolve) => setImmediate(resolve));
    const open = (await fs.readdir('/proc/self/fd')).map((fd) => fs.readlink(`/proc/self/fd/${fd}`).catch(() => ''));
    expect((await Promise.all(open)).filter((target) => target.startsWith(directory))).toEqual([]);
  });
});

describe('listing', () => {
  /** Names in an order no file system keeps them in, and not sorted. */
  const NAMES = ['m.tar.gz', 'b.tar.gz', 'z.tar.gz', 'a.tar.gz', 'k.tar.gz', 'c.tar.gz', 'y.tar.gz', 'd.tar.gz', 'x.tar.gz', 'e.tar.gz'];

  it('lists archives sorted by name, whatever order the directory gives', async () => {
    for (const name of NAMES) await fs.writeFile(path.join(directory, name), name);
    const listed: string[] = [];
    for await (const object of new LocalObjectStore(directory).list()) listed.push(object.name);
    expect(listed).toEqual(NAMES.toSorted());
  });

  it('sorts as strings compare, not as the file system or its C library orders bytes', async () => {
    // U+FFFD is EF BF BD in UTF-8 and U+1F600 F0 9F 98 80: byte order puts U+FFFD first; as
    // strings (UTF-16, a surrogate pair D83D DE00 for U+1F600) U+1F600 comes first.
    const names = ['a\uFFFD.tar.gz', 'a\u{1F600}.tar.gz', 'a.tar.gz'];
    for (const name of names) {
      await fs.writeFile(path.join(directory, name), name);
      await fs.writeFile(path.join(directory, `.${name}.${UPLOAD_ID}.partial`), '');
    }
    expect((await listed(new LocalObjectStore(directory).list())).map((object) => object.name)).toEqual(['a.tar.gz', 'a\u{1F600}.tar.gz', 'a\uFFFD.tar.gz']);
    expect((await listed(new LocalObjectStore(directory).listIncompleteUploads())).map((upload) => upload.name)).toEqual([
      'a.tar.gz',
      'a\u{1F600}.tar.gz',
      'a\uFFFD.tar.gz',
    ]);
  });

  it('lists incomplete uploads sorted, and only files named exactly as its temporaries', async () => {
    for (const name of NAMES) await fs.writeFile(path.join(directory, `.${name}.${UPLOAD_ID}.partial`), '');
    // Not its temporaries: something after ".partial", something before the dot, a directory.
    await fs.writeFile(path.join(directory, `.${NAME}.${UPLOAD_ID}.partial.bak`), '');
    await fs.writeFile(path.join(directory, `x.${NAME}.${UPLOAD_ID}.partial`), '');
    await fs.mkdir(path.join(directory, `.${NAME}.dir-id.partial`));
    const listed: string[] = [];
    for await (const upload of new LocalObjectStore(directory).listIncompleteUploads()) {
      expect(upload.uploadId).toBe(UPLOAD_ID);
      expect(upload.initiated).toBeInstanceOf(Date);
      listed.push(upload.name);
    }
    expect(listed).toEqual(NAMES.toSorted());
  });

  it('leaves out what is removed while the listing is read', async () => {
    for (const name of ['a.tar.gz', 'b.tar.gz', 'c.tar.gz']) await fs.writeFile(path.join(directory, name), name);
    for (const name of ['a.tar.gz', 'b.tar.gz', 'c.tar.gz']) await fs.writeFile(path.join(directory, `.${name}.${UPLOAD_ID}.partial`), '');
    const store = new LocalObjectStore(directory);
    const listed: string[] = [];
    for await (const object of store.list()) {
      listed.push(object.name);
      if (object.name === 'a.tar.gz') await fs.rm(path.join(directory, 'b.tar.gz'));
    }
    const uploads: string[] = [];
    for await (const upload of store.listIncompleteUploads()) {
      uploads.push(upload.name);
      if (upload.name === 'a.tar.gz') await fs.rm(path.join(directory, `.c.tar.gz.${UPLOAD_ID}.partial`));
    }
    expect({ listed, uploads }).toEqual({ listed: ['a.tar.gz', 'c.tar.gz'], uploads: ['a.tar.gz', 'b.tar.gz'] });
  });

  it('lists nothing, and stats nothing, for a directory not made yet', async () => {
    const store = new LocalObjectStore(path.join(directory, 'not-yet'), 'a/b');
    for await (const object of store.list()) expect.fail(`listed ${object.name}`);
    for await (const upload of store.listIncompleteUploads()) expect.fail(`listed ${upload.name}`);
    expect(await store.stat(NAME)).toBeNull();
    await store.remove(NAME);
    await store.abortUpload(NAME, UPLOAD_ID);
    expect(await fs.readdir(directory)).toEqual([]);
    const missing = await failure(store.read(NAME));
    expect(missing).toMatchObject({ reason: 'missing', message: `storage object missing: ${path.join(directory, 'not-yet', 'a', 'b', NAME)}` });
    // Known before any open: no path that was not resolved inside the root is ever opened.
    expect(missing.cause).toBeUndefined();
  });
});

describe('upload ids', () => {
  // Each id is a valid one with something before or after it: the pattern's anchors alone.
  it.each(['abc/../../victim', '../../victim/abc', 'abc.', '.abc', 'abc def', ''])('refuses %j and touches nothing', async (uploadId) => {
    const store = new LocalObjectStore(path.join(directory, 'root'), 'team');
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('archive')));
    // What a path through the id would reach: the file beside the root.
    await fs.writeFile(path.join(directory, 'victim.partial'), 'not vsnap\'s');
    const error = await failure(store.abortUpload(NAME, uploadId));
    expect(error).toMatchObject({ reason: 'invalid', message: `storage target invalid: upload id "${uploadId}" is malformed` });
    expect(await fs.readFile(path.join(directory, 'victim.partial'), 'utf8')).toBe('not vsnap\'s');
  });

  it('aborts by a well-formed id only the temporary of that name and id', async () => {
    const store = new LocalObjectStore(directory);
    const upload = await store.beginUpload(NAME);
    const other = await store.beginUpload('other.tar.gz');
    await store.abortUpload(NAME, upload.uploadId);
    expect(await fs.readdir(directory)).toEqual([`.other.tar.gz.${other.uploadId}.partial`]);
  });
});
