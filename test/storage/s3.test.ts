import net from 'node:net';
import { S3Error } from 'minio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore, StorageError, type ObjectStore } from '../../src/storage/index.ts';
import { storageErrorFromS3 } from '../../src/storage/s3-errors.ts';
import { startS3Server, type S3TestServer } from '../support/s3.ts';
import { objectStoreContract } from './contract.ts';
import { chunked, fedSource, randomBytes, readAll, sha256 } from './streams.ts';

const PART_SIZE = 64 * 1024;
const NAME = 'demo-2026-11-24T19-41-05.123Z.tar.gz';

let s3: S3TestServer;
let bucketCount = 0;

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

/** A fresh bucket per test, so pending uploads and listings are the test's own. */
async function freshBucket(): Promise<string> {
  const bucket = `vsnap-test-${++bucketCount}`;
  await s3.createBucket(bucket);
  return bucket;
}

function storeIn(bucket: string, prefix: string, overrides: Partial<ReturnType<S3TestServer['settings']>> = {}): S3ObjectStore {
  // s3rver accepts parts under S3's 5 MiB minimum, which keeps multi-part tests small.
  return new S3ObjectStore({ ...s3.settings({ partSizeBytes: PART_SIZE, ...overrides }), bucket, prefix, allowSmallParts: true });
}

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

describe('S3ObjectStore contract (s3rver)', () => {
  let bucket = '';
  beforeEach(async () => {
    bucket = await freshBucket();
  });
  objectStoreContract(() => ({
    partSize: PART_SIZE,
    open: (prefix) => storeIn(bucket, prefix),
    pending: async () =>
      (await s3.pendingUploads(bucket)).map(({ uploadId, parts }) => ({ uploadId, bytes: parts.reduce((sum, part) => sum + part.size, 0) })),
  }));
});

describe('S3ObjectStore', () => {
  it('stores fixed-size parts and holds back only the unfinished one', async () => {
    const bucket = await freshBucket();
    const store = storeIn(bucket, 'parts');
    const bytes = randomBytes(Math.floor(PART_SIZE * 3.5));
    const source = fedSource();
    const upload = await store.beginUpload(NAME);
    const writing = upload.write(source.stream);

    source.feed(bytes.subarray(0, PART_SIZE * 2.5));
    await source.hungry();
    expect(await s3.pendingUploads(bucket)).toEqual([{
      uploadId: upload.uploadId,
      key: `parts/${NAME}`,
      parts: [
        { number: 1, size: PART_SIZE },
        { number: 2, size: PART_SIZE },
      ],
    }]);

    source.end(bytes.subarray(PART_SIZE * 2.5));
    expect(await writing).toEqual({ size: bytes.length, location: `s3://${bucket}/parts/${NAME}` });
    expect(sha256(await readAll(await store.read(NAME)))).toBe(sha256(bytes));
    expect(await s3.pendingUploads(bucket)).toEqual([]);
  });

  it('keys objects under the prefix and names locations s3://bucket/prefix/name', async () => {
    const bucket = await freshBucket();
    const store = storeIn(bucket, '/team-a/snapshots/');
    expect(store.location).toBe(`s3://${bucket}/team-a/snapshots`);
    expect(store.locationOf(NAME)).toBe(`s3://${bucket}/team-a/snapshots/${NAME}`);
    await (await store.beginUpload(NAME)).write(chunked(Buffer.from('archive')));
    expect((await storeIn(bucket, 'team-a/snapshots').stat(NAME))?.size).toBe(7);
    expect(await storeIn(bucket, 'team-a').stat(NAME)).toBeNull();

    const atRoot = storeIn(bucket, '');
    expect(atRoot.location).toBe(`s3://${bucket}`);
    expect(atRoot.locationOf(NAME)).toBe(`s3://${bucket}/${NAME}`);
  });

  it('refuses every operation on a bucket that does not exist', async () => {
    const store = storeIn('no-such-bucket', 'snapshots');
    const refused = /^storage refused: bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+ \(NoSuchBucket/;
    for (const operation of [
      () => store.beginUpload(NAME),
      () => store.stat(NAME),
      () => store.read(NAME),
      () => store.remove(NAME),
      () => collect(store),
    ]) {
      const error = await failure(operation());
      expect(error.reason).toBe('refused');
      expect(error.message).toMatch(refused);
    }
  });

  it('refuses an unknown access key', async () => {
    const bucket = await freshBucket();
    const store = storeIn(bucket, 'snapshots', { accessKey: 'NOT-A-KEY', secretKey: 'whatever' });
    for (const operation of [() => store.beginUpload(NAME), () => store.stat(NAME), () => collect(store)]) {
      const error = await failure(operation());
      expect(error.reason).toBe('refused');
      expect(error.message).toMatch(new RegExp(`^storage refused: access to s3://${bucket}/snapshots(/${NAME.replaceAll('.', '\\.')})? denied; check S3_ACCESS_KEY, S3_SECRET_KEY`));
    }
    expect((await failure(store.beginUpload(NAME))).message).toContain('InvalidAccessKeyId');
  });

  it('reports an endpoint nobody listens on as unreachable', async () => {
    const port = await closedPort();
    const store = new S3ObjectStore({ ...s3.settings({ endpoint: `http://127.0.0.1:${port}` }), bucket: 'any-bucket', prefix: 'p' });
    for (const operation of [() => store.beginUpload(NAME), () => store.stat(NAME), () => store.abortUpload(NAME, 'abc'), () => collect(store)]) {
      const error = await failure(operation());
      expect(error.reason).toBe('unreachable');
      expect(error.message).toMatch(new RegExp(`^storage unreachable: cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED`));
    }
  });

  it('gives up on an endpoint that accepts connections but never answers', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const store = new S3ObjectStore({ ...s3.settings({ endpoint: `http://127.0.0.1:${port}` }), bucket: 'any-bucket', idleTimeoutMs: 200 });
      const error = await failure(store.beginUpload(NAME));
      expect(error.reason).toBe('unreachable');
      expect(error.message).toBe(`storage unreachable: cannot reach http://127.0.0.1:${port} (ETIMEDOUT: no answer for 200 ms)`);
    } finally {
      silent.close();
    }
  });

  it('fails a write whose upload was aborted under it, and leaves nothing', async () => {
    const bucket = await freshBucket();
    const store = storeIn(bucket, 'raced');
    const upload = await store.beginUpload(NAME);
    await store.abortUpload(NAME, upload.uploadId);
    // s3rver stores a part for any upload id; completing is where the lost upload shows.
    const error = await failure(upload.write(chunked(randomBytes(PART_SIZE / 2))));
    expect(error.reason).not.toBe('source');
    expect(await store.stat(NAME)).toBeNull();
  });

  it('rejects part sizes S3 would refuse unless small parts are allowed', () => {
    const settings = s3.settings();
    expect(() => new S3ObjectStore({ ...settings, partSizeBytes: 1024 * 1024, bucket: 'b-1' })).toThrow(/part size 1048576/);
    expect(() => new S3ObjectStore({ ...settings, partSizeBytes: 6 * 1024 ** 3, bucket: 'b-1' })).toThrow(StorageError);
    expect(new S3ObjectStore({ ...settings, partSizeBytes: 1024, bucket: 'b-1', allowSmallParts: true }).partSize).toBe(1024);
    expect(new S3ObjectStore({ ...settings, partSizeBytes: undefined, bucket: 'b-1' }).partSize).toBe(8 * 1024 * 1024);
  });
});

describe('S3ObjectStore.listIncompleteUploads', () => {
  it('follows pages of 1000, resuming inside a key whose uploads straddle the page boundary', { timeout: 60_000 }, async () => {
    const bucket = await freshBucket();
    const store = storeIn(bucket, 'many');
    // 999 keys with one upload each, then three uploads of the 1000th key: page one ends among them.
    const names = [...Array.from({ length: 999 }, (_, i) => `c${String(i).padStart(4, '0')}-2026-01-01T00-00-00.000Z.tar.gz`), ...Array<string>(3).fill('z-2026-01-01T00-00-00.000Z.tar.gz')];
    const begun: { name: string; uploadId: string }[] = [];
    for (let i = 0; i < names.length; i += 50) {
      begun.push(...(await Promise.all(names.slice(i, i + 50).map(async (name) => ({ name, uploadId: (await store.beginUpload(name)).uploadId })))));
    }
    const listed: { name: string; uploadId: string }[] = [];
    for await (const { name, uploadId } of store.listIncompleteUploads()) listed.push({ name, uploadId });
    const order = (a: { name: string; uploadId: string }, b: { name: string; uploadId: string }) => a.name.localeCompare(b.name) || a.uploadId.localeCompare(b.uploadId);
    expect(listed).toHaveLength(1002);
    expect(listed).toEqual([...begun].sort(order));
  });

  it('is refused for a missing bucket and unreachable for an endpoint nobody listens on', async () => {
    const missing = await failure(collectUploads(storeIn('no-such-bucket', 'p')));
    expect(missing.reason).toBe('refused');
    expect(missing.message).toMatch(/^storage refused: bucket "no-such-bucket" does not exist/);
    const port = await closedPort();
    const gone = new S3ObjectStore({ ...s3.settings({ endpoint: `http://127.0.0.1:${port}` }), bucket: 'any-bucket', prefix: 'p' });
    expect((await failure(collectUploads(gone))).message).toMatch(new RegExp(`^storage unreachable: cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED`));
  });
});

describe('storageErrorFromS3', () => {
  const context = { endpoint: 'https://s3.example.test', bucket: 'snaps', location: 's3://snaps/p/x.tar.gz' };
  const s3Error = (code: string, message = `${code} message`) => Object.assign(new S3Error(message), { code });
  const systemError = (code: string) => Object.assign(new Error(`connect ${code}`), { code, syscall: 'connect' });

  it.each([
    [s3Error('NoSuchBucket'), 'refused', 'storage refused: bucket "snaps" does not exist at https://s3.example.test (NoSuchBucket: NoSuchBucket message)'],
    [s3Error('AccessDenied'), 'refused', 'storage refused: access to s3://snaps/p/x.tar.gz denied; check S3_ACCESS_KEY, S3_SECRET_KEY and the bucket policy (AccessDenied: AccessDenied message)'],
    [s3Error('InvalidAccessKeyId'), 'refused', /^storage refused: access to .* \(InvalidAccessKeyId: /],
    [s3Error('SignatureDoesNotMatch'), 'refused', /^storage refused: access to .* \(SignatureDoesNotMatch: /],
    [s3Error('RequestTimeTooSkewed'), 'refused', /^storage refused: access to /],
    [s3Error('EntityTooSmall'), 'refused', 'storage refused: s3://snaps/p/x.tar.gz: EntityTooSmall: EntityTooSmall message'],
    [s3Error('NoSuchKey'), 'missing', 'storage object missing: s3://snaps/p/x.tar.gz'],
    [s3Error('InternalError'), 'failed', 'storage failed: s3://snaps/p/x.tar.gz: InternalError: InternalError message'],
    [systemError('ECONNREFUSED'), 'unreachable', 'storage unreachable: cannot reach https://s3.example.test (ECONNREFUSED: connect ECONNREFUSED)'],
    [systemError('ENOTFOUND'), 'unreachable', /^storage unreachable: /],
    [systemError('ECONNRESET'), 'unreachable', /^storage unreachable: /],
    [Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'unreachable', /^storage unreachable: .*self-signed/],
    [new Error('Request failed after 1 retries: Error: Retryable HTTP status: 503'), 'failed', /^storage failed: .*503/],
  ] as const)('%s → %s', (error, reason, message) => {
    const mapped = storageErrorFromS3(error, context);
    expect(mapped.reason).toBe(reason);
    if (typeof message === 'string') expect(mapped.message).toBe(message);
    else expect(mapped.message).toMatch(message);
    expect(mapped.cause).toBe(error);
  });

  it("names a location's own credentials when access is denied", () => {
    const mapped = storageErrorFromS3(s3Error('InvalidAccessKeyId'), { ...context, credentials: 'S3_TEAM_A_ACCESS_KEY and S3_TEAM_A_SECRET_KEY' });
    expect(mapped.message).toBe(
      'storage refused: access to s3://snaps/p/x.tar.gz denied; check S3_TEAM_A_ACCESS_KEY and S3_TEAM_A_SECRET_KEY and the bucket policy (InvalidAccessKeyId: InvalidAccessKeyId message)',
    );
  });
});

async function collect(store: ObjectStore): Promise<string[]> {
  const names: string[] = [];
  for await (const object of store.list()) names.push(object.name);
  return names;
}

async function collectUploads(store: ObjectStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const upload of store.listIncompleteUploads()) ids.push(upload.uploadId);
  return ids;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
