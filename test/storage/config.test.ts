import { describe, expect, it } from 'vitest';
import { parseStorageTarget, s3Environment, s3Problems, s3Settings, StorageError } from '../../src/storage/index.ts';

describe('s3Environment', () => {
  it('defaults to path-style us-east-1 with 8 MiB parts and no endpoint (AWS)', () => {
    const env = s3Environment.parse({});
    expect(s3Settings(env)).toEqual({
      endpoint: undefined,
      region: 'us-east-1',
      accessKey: undefined,
      secretKey: undefined,
      pathStyle: true,
      partSizeBytes: 8 * 1024 * 1024,
    });
    expect(s3Problems(env)).toEqual([]);
  });

  it('reads every S3_* variable', () => {
    const env = s3Environment.parse({
      S3_ENDPOINT: 'https://minio.internal:9000',
      S3_REGION: 'eu-central-1',
      S3_ACCESS_KEY: 'key',
      S3_SECRET_KEY: 'secret',
      S3_PATH_STYLE: 'false',
      S3_PART_SIZE_MIB: '16',
    });
    expect(s3Settings(env)).toEqual({
      endpoint: 'https://minio.internal:9000',
      region: 'eu-central-1',
      accessKey: 'key',
      secretKey: 'secret',
      pathStyle: false,
      partSizeBytes: 16 * 1024 * 1024,
    });
  });

  it.each([
    [{ S3_ENDPOINT: 'ftp://host' }, 'S3_ENDPOINT'],
    [{ S3_ENDPOINT: 'http://host:9000/bucket' }, 'S3_ENDPOINT'],
    [{ S3_PART_SIZE_MIB: '4' }, 'S3_PART_SIZE_MIB'],
    [{ S3_PART_SIZE_MIB: '5121' }, 'S3_PART_SIZE_MIB'],
    [{ S3_PATH_STYLE: 'maybe' }, 'S3_PATH_STYLE'],
  ])('rejects %j', (input, field) => {
    const result = s3Environment.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
  });

  it('wants both keys or neither', () => {
    expect(s3Problems(s3Environment.parse({ S3_ACCESS_KEY: 'key' }))).toEqual([
      { path: 'S3_SECRET_KEY', message: 'set both S3_ACCESS_KEY and S3_SECRET_KEY, or neither' },
    ]);
  });
});

describe('parseStorageTarget', () => {
  it.each([
    ['s3://snaps', { kind: 's3', bucket: 'snaps', prefix: '' }],
    ['s3://snaps/', { kind: 's3', bucket: 'snaps', prefix: '' }],
    ['s3://snaps/team-a/daily/', { kind: 's3', bucket: 'snaps', prefix: 'team-a/daily' }],
    ['/var/lib/vsnap/snapshots/', { kind: 'local', directory: '/var/lib/vsnap/snapshots' }],
    ['/var/lib/vsnap/../snapshots', { kind: 'local', directory: '/var/lib/snapshots' }],
  ])('%s', (target, expected) => {
    expect(parseStorageTarget(target)).toEqual(expected);
  });

  it.each(['s3://', 's3://Snaps', 's3://a', 'relative/dir', 'https://bucket.s3.amazonaws.com', ''])('rejects %j', (target) => {
    expect(() => parseStorageTarget(target)).toThrow(StorageError);
  });
});
