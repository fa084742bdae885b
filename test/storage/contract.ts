/**
 * What every ObjectStore promises, run against each real backend by its test
 * file: atomic visibility, abort on failure, abort by id after a crash, listing.
 */
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { StorageError, type ObjectStore } from '../../src/storage/index.ts';
import { chunked, eventually, failingAfter, fedSource, randomBytes, readAll, sha256 } from './streams.ts';

export interface ContractBackend {
  /** Part size the S3 store is opened with; the local store ignores it. */
  partSize: number;
  /** A store at `prefix` (a key prefix or a sub-directory of one test root). */
  open(prefix: string): ObjectStore;
  /** Uploads begun and neither finished nor aborted, with the bytes each holds, as the backend's own storage shows them. */
  pending(): Promise<{ uploadId: string; bytes: number }[]>;
}

const NAME = 'demo-2026-11-24T19-41-05.123Z.tar.gz';

async function collect(store: ObjectStore): Promise<{ name: string; size: number }[]> {
  const objects: { name: string; size: number }[] = [];
  for await (const object of store.list()) objects.push(object);
  return objects.sort((a, b) => a.name.localeCompare(b.name));
}

async function collectUploads(store: ObjectStore): Promise<{ name: string; uploadId: string; initiated: Date }[]> {
  const uploads: { name: string; uploadId: string; initiated: Date }[] = [];
  for await (const upload of store.listIncompleteUploads()) uploads.push(upload);
  return uploads.sort((a, b) => a.name.localeCompare(b.name));
}

async function storageError(promise: Promise<unknown>): Promise<StorageError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

export function objectStoreContract(backend: () => ContractBackend): void {
  it('stores a multi-part archive and reads it back byte for byte', async () => {
    const { open, partSize, pending } = backend();
    const store = open('snapshots');
    const bytes = randomBytes(Math.floor(partSize * 3.5));
    const upload = await store.beginUpload(NAME);
    expect(upload.uploadId).not.toBe('');

    const written = await upload.write(chunked(bytes));

    expect(written).toEqual({ size: bytes.length, location: store.locationOf(NAME) });
    expect(sha256(await readAll(await store.read(NAME)))).toBe(sha256(bytes));
    const stat = await store.stat(NAME);
    expect(stat?.size).toBe(bytes.length);
    expect(stat?.lastModified).toBeInstanceOf(Date);
    expect(await collect(store)).toEqual([{ name: NAME, size: bytes.length }]);
    expect(await pending()).toEqual([]);
  });

  it('stores a zero-byte archive', async () => {
    const store = backend().open('empty');
    const upload = await store.beginUpload(NAME);
    expect(await upload.write(chunked(Buffer.alloc(0)))).toMatchObject({ size: 0 });
    expect((await store.stat(NAME))?.size).toBe(0);
    expect((await readAll(await store.read(NAME))).length).toBe(0);
    expect(await collect(store)).toEqual([{ name: NAME, size: 0 }]);
  });

  it('answers null, missing and no-op for an object that does not exist', async () => {
    const store = backend().open('nothing-here');
    expect(await store.stat(NAME)).toBeNull();
    expect((await storageError(store.read(NAME))).reason).toBe('missing');
    await store.remove(NAME);
    expect(await collect(store)).toEqual([]);
  });

  it('removes an object, and removing it again is fine', async () => {
    const store = backend().open('removal');
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('archive')));
    await store.remove(NAME);
    await store.remove(NAME);
    expect(await store.stat(NAME)).toBeNull();
    expect(await collect(store)).toEqual([]);
  });

  it('lists completed objects directly under its own location only', async () => {
    const { open } = backend();
    const store = open('listing');
    const put = async (target: ObjectStore, name: string, size: number) =>
      (await target.beginUpload(name)).write(chunked(randomBytes(size)));
    await put(store, 'a-2026-01-01T00-00-00.000Z.tar.gz', 10);
    await put(store, 'b-2026-01-01T00-00-00.000Z.tar.gz', 20);
    await put(open('listing/nested'), 'c-2026-01-01T00-00-00.000Z.tar.gz', 30);
    await put(open('listing-sibling'), 'd-2026-01-01T00-00-00.000Z.tar.gz', 40);
    const unfinished = new PassThrough();
    const inFlight = (await store.beginUpload('e-2026-01-01T00-00-00.000Z.tar.gz')).write(unfinished);
    unfinished.write(randomBytes(100));

    expect(await collect(store)).toEqual([
      { name: 'a-2026-01-01T00-00-00.000Z.tar.gz', size: 10 },
      { name: 'b-2026-01-01T00-00-00.000Z.tar.gz', size: 20 },
    ]);
    unfinished.destroy(new Error('stop'));
    await expect(inFlight).rejects.toThrow(StorageError);
  });

  it('lists incomplete uploads directly under its own location, with when they began; aborting one by name and id ends it', async () => {
    const { open, partSize } = backend();
    const store = open('incomplete');
    const before = Date.now() - 2_000;
    const idle = await store.beginUpload('a-2026-01-01T00-00-00.000Z.tar.gz');
    const source = fedSource();
    const writing = await store.beginUpload('b-2026-01-01T00-00-00.000Z.tar.gz');
    const inFlight = writing.write(source.stream);
    source.feed(randomBytes(partSize + 10));
    await source.hungry();
    await (await store.beginUpload('c-2026-01-01T00-00-00.000Z.tar.gz')).write(chunked(Buffer.from('complete')));
    await (await store.beginUpload('d-2026-01-01T00-00-00.000Z.tar.gz')).abort();
    await open('incomplete/nested').beginUpload('e-2026-01-01T00-00-00.000Z.tar.gz');
    await open('incomplete-sibling').beginUpload('f-2026-01-01T00-00-00.000Z.tar.gz');

    const listed = await collectUploads(store);
    expect(listed.map(({ name, uploadId }) => ({ name, uploadId }))).toEqual([
      { name: 'a-2026-01-01T00-00-00.000Z.tar.gz', uploadId: idle.uploadId },
      { name: 'b-2026-01-01T00-00-00.000Z.tar.gz', uploadId: writing.uploadId },
    ]);
    for (const { initiated } of listed) {
      expect(initiated.getTime()).toBeGreaterThanOrEqual(before);
      expect(initiated.getTime()).toBeLessThanOrEqual(Date.now() + 2_000);
    }

    await store.abortUpload(listed[0]!.name, listed[0]!.uploadId);
    expect((await collectUploads(store)).map((upload) => upload.uploadId)).toEqual([writing.uploadId]);
    source.stream.destroy(new Error('stop'));
    await expect(inFlight).rejects.toThrow(StorageError);
    expect(await collectUploads(store)).toEqual([]);
    expect(await collectUploads(open('never-used'))).toEqual([]);
  });

  it('aborts the upload when the source fails midway: nothing under the final name, nothing left over', async () => {
    const { open, partSize, pending } = backend();
    const store = open('source-failure');
    const bytes = randomBytes(partSize * 3);
    const upload = await store.beginUpload(NAME);

    const error = await storageError(upload.write(failingAfter(bytes, Math.floor(partSize * 1.5))));

    expect(error.reason).toBe('source');
    expect(error.message).toBe('archive stream failed: kube list failed: connection reset');
    expect(await store.stat(NAME)).toBeNull();
    expect(await collect(store)).toEqual([]);
    expect(await pending()).toEqual([]);
  });

  it('aborts the upload when the signal fires', async () => {
    const { open, partSize, pending } = backend();
    const store = open('cancelled');
    const source = new PassThrough();
    const controller = new AbortController();
    const upload = await store.beginUpload(NAME);
    const writing = upload.write(source, controller.signal);
    source.write(randomBytes(partSize + 1));
    await eventually(() => source.readableLength === 0 && source.writableLength === 0);

    controller.abort(new Error('snapshot timed out'));
    const error = await storageError(writing);

    expect(error.reason).toBe('cancelled');
    expect(error.message).toBe('upload cancelled: snapshot timed out');
    expect(source.destroyed).toBe(true);
    expect(await store.stat(NAME)).toBeNull();
    expect(await pending()).toEqual([]);
  });

  it('does not start writing when the signal has already fired', async () => {
    const { open, pending } = backend();
    const store = open('cancelled-early');
    const upload = await store.beginUpload(NAME);
    const error = await storageError(upload.write(chunked(randomBytes(10)), AbortSignal.abort(new Error('shutting down'))));
    expect(error.reason).toBe('cancelled');
    expect(await store.stat(NAME)).toBeNull();
    expect(await pending()).toEqual([]);
  });

  it('aborts by id an upload a crashed worker left behind, from a fresh store', async () => {
    const { open, partSize, pending } = backend();
    const crashed = open('crash');
    const source = fedSource();
    const upload = await crashed.beginUpload(NAME);
    const orphan = upload.write(source.stream);
    source.feed(randomBytes(Math.floor(partSize * 2.5)));
    // The worker has taken everything it was given and stored what it could: then it "dies".
    await source.hungry();
    const [left] = await eventually(async () => {
      const uploads = await pending();
      return uploads.length === 1 && uploads[0]!.bytes >= partSize * 2 && uploads;
    });
    expect(left?.uploadId).toBe(upload.uploadId);

    await open('crash').abortUpload(NAME, upload.uploadId);

    expect(await pending()).toEqual([]);
    expect(await crashed.stat(NAME)).toBeNull();
    // Aborting again (a second recovery attempt) is fine.
    await open('crash').abortUpload(NAME, upload.uploadId);
    // The zombie writer, should it wake, fails without resurrecting anything.
    source.stream.destroy(new Error('worker gone'));
    expect((await storageError(orphan)).reason).toBe('source');
    expect(await pending()).toEqual([]);
    expect(await crashed.stat(NAME)).toBeNull();
  });

  it('never removes a completed object when its upload is aborted afterwards', async () => {
    const store = backend().open('abort-after-success');
    const upload = await store.beginUpload(NAME);
    await upload.write(chunked(Buffer.from('complete archive')));
    await upload.abort();
    await store.abortUpload(NAME, upload.uploadId);
    expect((await store.stat(NAME))?.size).toBe('complete archive'.length);
  });

  it('writes an upload once', async () => {
    const store = backend().open('once');
    const upload = await store.beginUpload(NAME);
    await upload.write(chunked(Buffer.from('x')));
    expect((await storageError(upload.write(chunked(Buffer.from('y'))))).reason).toBe('invalid');
    expect((await readAll(await store.read(NAME))).toString()).toBe('x');
  });

  it.each(['', '.hidden.tar.gz', '../escape.tar.gz', 'a/b.tar.gz', 'back\\slash'])('rejects the object name %j', async (name) => {
    const store = backend().open('names');
    expect((await storageError(store.beginUpload(name))).reason).toBe('invalid');
    expect((await storageError(store.stat(name))).reason).toBe('invalid');
    expect((await storageError(store.remove(name))).reason).toBe('invalid');
  });
}
