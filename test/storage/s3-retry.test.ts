/**
 * Part uploads retried against a real S3 server (s3rver) with faults injected in
 * front of it: transient failures (500 InternalError, 503 SlowDown, a reset
 * connection, a connection that never answers) are retried and the object is
 * complete, byte for byte; permanent ones (credentials, permissions, a missing
 * bucket or upload) are not retried (the server saw exactly one request); the
 * retries are bounded in attempts and in time; and each is reported.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore, StorageError, type RetryObserver, type RetryPolicy, type RetryReason } from '../../src/storage/index.ts';
import { withRetries } from '../../src/storage/retry.ts';
import { startS3Server, type S3Fault, type S3TestServer } from '../support/s3.ts';
import { chunked, randomBytes, readAll, sha256 } from './streams.ts';

const PART_SIZE = 64 * 1024;
const NAME = 'faulty-2026-11-24T19-41-05.123Z.tar.gz';
/** Fast retries for tests: the schedule itself is tested below, on withRetries. */
const FAST: Partial<RetryPolicy> = { baseDelayMs: 5, maxDelayMs: 20 };

let s3: S3TestServer;
let bucketCount = 0;

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});
beforeEach(() => s3.faults.clear());

async function freshBucket(): Promise<string> {
  const bucket = `vsnap-faults-${++bucketCount}`;
  await s3.createBucket(bucket);
  return bucket;
}

/** Records every retry the store reports. */
function observer(): RetryObserver & { seen: string[] } {
  const seen: string[] = [];
  return { seen, retried: (operation, reason) => seen.push(`${operation}:${reason}`) };
}

function storeIn(bucket: string, options: { partRetry?: Partial<RetryPolicy>; retryObserver?: RetryObserver; idleTimeoutMs?: number } = {}) {
  return new S3ObjectStore({ ...s3.settings({ partSizeBytes: PART_SIZE }), bucket, prefix: 'archives', allowSmallParts: true, partRetry: FAST, ...options });
}

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

describe('UploadPart retries on transient failures', () => {
  it.each<{ fault: S3Fault; count: number; reason: RetryReason }>([
    { fault: { status: 500, code: 'InternalError' }, count: 2, reason: 'server_error' },
    { fault: { status: 503, code: 'SlowDown' }, count: 3, reason: 'throttled' },
    { fault: { status: 503, code: 'ServiceUnavailable' }, count: 1, reason: 'throttled' },
    { fault: { status: 400, code: 'RequestTimeout' }, count: 1, reason: 'timeout' },
    { fault: 'reset', count: 2, reason: 'connection_reset' },
  ])('$count × $fault: the object is complete and its sha256 matches; $count retries reported as $reason', async ({ fault, count, reason }) => {
    const bucket = await freshBucket();
    const seen = observer();
    const store = storeIn(bucket, { retryObserver: seen });
    const bytes = randomBytes(Math.floor(PART_SIZE * 3.5));
    const upload = await store.beginUpload(NAME);
    s3.faults.failUploadParts(count, fault);

    const written = await upload.write(chunked(bytes));

    expect(written).toEqual({ size: bytes.length, location: `s3://${bucket}/archives/${NAME}`, retries: { [reason]: count } });
    expect(sha256(await readAll(await store.read(NAME)))).toBe(sha256(bytes));
    expect((await store.stat(NAME))?.size).toBe(bytes.length);
    // Four parts, the faulty tries on top.
    expect(s3.faults.requests('UploadPart')).toBe(4 + count);
    expect(s3.faults.pending()).toBe(0);
    expect(seen.seen).toEqual(Array.from({ length: count }, () => `UploadPart:${reason}`));
    expect(await s3.pendingUploads(bucket)).toEqual([]);
  });

  it('retries a part whose connection never answers once the idle timeout passes', async () => {
    const bucket = await freshBucket();
    // Long enough that no answered request of a loaded machine passes for a silent one.
    const store = storeIn(bucket, { idleTimeoutMs: 2_000 });
    const bytes = randomBytes(PART_SIZE + 100);
    const upload = await store.beginUpload(NAME);
    s3.faults.failUploadParts(1, 'stall');

    const written = await upload.write(chunked(bytes));

    expect(written.retries).toEqual({ timeout: 1 });
    expect(sha256(await readAll(await store.read(NAME)))).toBe(sha256(bytes));
    expect(s3.faults.requests('UploadPart')).toBe(3);
  });

  it('mixes reasons across parts and counts each', async () => {
    const bucket = await freshBucket();
    const store = storeIn(bucket);
    const bytes = randomBytes(PART_SIZE * 2);
    const upload = await store.beginUpload(NAME);
    s3.faults.failUploadParts(1, { status: 500, code: 'InternalError' });
    s3.faults.failUploadParts(1, 'reset');
    s3.faults.failUploadParts(1, { status: 503, code: 'SlowDown' });

    const written = await upload.write(chunked(bytes));

    expect(written.retries).toEqual({ server_error: 1, connection_reset: 1, throttled: 1 });
    expect(sha256(await readAll(await store.read(NAME)))).toBe(sha256(bytes));
  });

  it('reports no retries when none was needed', async () => {
    const bucket = await freshBucket();
    const written = await (await storeIn(bucket).beginUpload(NAME)).write(chunked(randomBytes(1000)));
    expect(written).not.toHaveProperty('retries');
    expect(s3.faults.requests('UploadPart')).toBe(1);
  });
});

describe('CompleteMultipartUpload retries', () => {
  it('retries a 500 and completes the object', async () => {
    const bucket = await freshBucket();
    const seen = observer();
    const store = storeIn(bucket, { retryObserver: seen });
    const bytes = randomBytes(PART_SIZE + 10);
    const upload = await store.beginUpload(NAME);
    s3.faults.failRequests('CompleteMultipartUpload', 1, { status: 500, code: 'InternalError' });

    const written = await upload.write(chunked(bytes));

    expect(written.retries).toEqual({ server_error: 1 });
    expect(seen.seen).toEqual(['CompleteMultipartUpload:server_error']);
    expect(s3.faults.requests('CompleteMultipartUpload')).toBe(2);
    expect(sha256(await readAll(await store.read(NAME)))).toBe(sha256(bytes));
  });

  it('takes a completion whose answer was lost for done: the retry finds no upload, and the object of the written size', async () => {
    const bucket = await freshBucket();
    const store = storeIn(bucket);
    const bytes = randomBytes(PART_SIZE * 2 + 10);
    const upload = await store.beginUpload(NAME);
    s3.faults.failRequests('CompleteMultipartUpload', 1, 'lose-answer');

    const written = await upload.write(chunked(bytes));

    expect(written).toMatchObject({ size: bytes.length, retries: { connection_reset: 1 } });
    expect(s3.faults.requests('CompleteMultipartUpload')).toBe(2);
    expect(sha256(await readAll(await store.read(NAME)))).toBe(sha256(bytes));
    expect(await s3.pendingUploads(bucket)).toEqual([]);
  });

  it('does not take another object under the name for the lost completion', async () => {
    const bucket = await freshBucket();
    const store = storeIn(bucket);
    // An object of another size is already there; this upload's completion answer is lost, and its retry finds no upload.
    await (await store.beginUpload(NAME)).write(chunked(randomBytes(10)));
    const upload = await store.beginUpload(NAME);
    s3.faults.failRequests('CompleteMultipartUpload', 1, { status: 404, code: 'NoSuchUpload' });
    const error = await failure(upload.write(chunked(randomBytes(PART_SIZE + 1))));
    expect(error.message).toMatch(/NoSuchUpload: injected NoSuchUpload$/);
    expect(s3.faults.requests('CompleteMultipartUpload')).toBe(2);
  });
});

describe('UploadPart is not retried when retrying cannot help', () => {
  it.each<{ fault: S3Fault; reason: StorageError['reason']; message: RegExp }>([
    { fault: { status: 403, code: 'AccessDenied' }, reason: 'refused', message: /access to s3:\/\/.+ denied; check .*\(AccessDenied: / },
    { fault: { status: 403, code: 'InvalidAccessKeyId' }, reason: 'refused', message: /\(InvalidAccessKeyId: / },
    { fault: { status: 403, code: 'SignatureDoesNotMatch' }, reason: 'refused', message: /\(SignatureDoesNotMatch: / },
    { fault: { status: 404, code: 'NoSuchBucket' }, reason: 'refused', message: /^storage refused: bucket ".+" does not exist at .+ \(NoSuchBucket: / },
    { fault: { status: 404, code: 'NoSuchUpload' }, reason: 'refused', message: /^storage refused: s3:\/\/.+\.tar\.gz: NoSuchUpload: injected NoSuchUpload$/ },
    { fault: { status: 400, code: 'EntityTooSmall' }, reason: 'refused', message: /^storage refused: s3:\/\/.+\.tar\.gz: EntityTooSmall: injected EntityTooSmall$/ },
  ])('$fault.code: one request, the failure as it was, the upload aborted', async ({ fault, reason, message }) => {
    const bucket = await freshBucket();
    const seen = observer();
    const store = storeIn(bucket, { retryObserver: seen });
    const upload = await store.beginUpload(NAME);
    s3.faults.failUploadParts(3, fault);

    const error = await failure(upload.write(chunked(randomBytes(PART_SIZE * 2))));

    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/retr/);
    expect(s3.faults.requests('UploadPart')).toBe(1);
    expect(seen.seen).toEqual([]);
    expect(s3.faults.requests('AbortMultipartUpload')).toBe(1);
    expect(await s3.pendingUploads(bucket)).toEqual([]);
    expect(await store.stat(NAME)).toBeNull();
  });
});

describe('retries are bounded', () => {
  it('gives up after the policy attempts, saying how many retries it made and why; the upload is aborted', async () => {
    const bucket = await freshBucket();
    const seen = observer();
    const store = storeIn(bucket, { retryObserver: seen, partRetry: { ...FAST, attempts: 3 } });
    const upload = await store.beginUpload(NAME);
    s3.faults.failUploadParts(10, { status: 500, code: 'InternalError' });

    const error = await failure(upload.write(chunked(randomBytes(PART_SIZE + 1))));

    expect(error.reason).toBe('failed');
    expect(error.message).toMatch(/: InternalError: injected InternalError \(UploadPart failed after 2 retries: server error ×2\)$/);
    expect(s3.faults.requests('UploadPart')).toBe(3);
    expect(seen.seen).toEqual(['UploadPart:server_error', 'UploadPart:server_error']);
    expect(await s3.pendingUploads(bucket)).toEqual([]);
    expect(await store.stat(NAME)).toBeNull();
  });

  it('stops waiting when the write is cancelled during a backoff', async () => {
    const bucket = await freshBucket();
    const store = storeIn(bucket, { partRetry: { attempts: 10, baseDelayMs: 60_000, maxDelayMs: 60_000, maxElapsedMs: 600_000 } });
    const upload = await store.beginUpload(NAME);
    s3.faults.failUploadParts(10, 'reset');
    const cancel = new AbortController();
    const started = Date.now();
    const writing = upload.write(chunked(randomBytes(1000)), cancel.signal);
    // The first try has failed once the fault is used up.
    await expect.poll(() => s3.faults.pending(), { timeout: 5_000 }).toBe(9);
    cancel.abort(new Error('worker shutting down'));

    const error = await failure(writing);
    expect(error.reason).toBe('cancelled');
    expect(error.message).toBe('upload cancelled: worker shutting down');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(s3.faults.requests('UploadPart')).toBe(1);
  });
});

describe('withRetries: the schedule', () => {
  const transientAlways = () => 'server_error' as const;

  it('waits a random share (full jitter) of a doubling cap, and never starts a retry past maxElapsedMs', async () => {
    let tries = 0;
    const started = Date.now();
    const error = await withRetries(
      async () => {
        tries += 1;
        throw new Error(`try ${tries}`);
      },
      // random() = 1: the whole cap, 400 ms then 800 ms; 400 + 800 passes 1000, so the third try never starts.
      { policy: { attempts: 10, maxElapsedMs: 1_000, baseDelayMs: 400, maxDelayMs: 10_000 }, operation: 'Test', transient: transientAlways, random: () => 1 },
    ).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect((error as Error).message).toBe('try 2');
    expect(tries).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('with random() = 0 retries at once, up to the attempts, reporting each retry', async () => {
    const retried: string[] = [];
    let tries = 0;
    const result = await withRetries(
      async () => {
        tries += 1;
        if (tries < 4) throw new Error('flaky');
        return 'done';
      },
      {
        policy: { attempts: 4, maxElapsedMs: 60_000, baseDelayMs: 60_000, maxDelayMs: 60_000 },
        operation: 'Test',
        transient: transientAlways,
        observer: { retried: (operation, reason) => retried.push(`${operation}:${reason}`) },
        random: () => 0,
      },
    );
    expect(result).toBe('done');
    expect(retried).toEqual(['Test:server_error', 'Test:server_error', 'Test:server_error']);
  });

  it('caps each wait at maxDelayMs', async () => {
    let tries = 0;
    const started = Date.now();
    await withRetries(
      async () => {
        tries += 1;
        if (tries < 3) throw new Error('flaky');
      },
      // Uncapped, the second wait would be 2 × 10 s.
      { policy: { attempts: 3, maxElapsedMs: 60_000, baseDelayMs: 10_000, maxDelayMs: 100 }, operation: 'Test', transient: transientAlways, random: () => 1 },
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('does not retry what transient() says will not pass', async () => {
    let tries = 0;
    await expect(
      withRetries(
        async () => {
          tries += 1;
          throw new Error('denied');
        },
        { policy: { attempts: 5, maxElapsedMs: 60_000, baseDelayMs: 1, maxDelayMs: 1 }, operation: 'Test', transient: () => undefined },
      ),
    ).rejects.toThrow('denied');
    expect(tries).toBe(1);
  });
});
