import { describe, expect, it } from 'vitest';
import { s3CredentialVariables, s3Environment, s3Problems, s3Settings } from '../../src/storage/index.ts';

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

describe('s3CredentialVariables', () => {
  it('keeps only S3[_<NAME>]_ACCESS_KEY / _SECRET_KEY, trimmed and non-empty: no location can name another variable', () => {
    expect(
      s3CredentialVariables({
        S3_ACCESS_KEY: 'default-key',
        S3_SECRET_KEY: ' default-secret ',
        S3_TEAM_A_ACCESS_KEY: 'a-key',
        S3_TEAM_A_SECRET_KEY: 'a-secret',
        S3_EMPTY_ACCESS_KEY: '  ',
        S3_ENDPOINT: 'http://minio:9000',
        AUTH_JWT_SECRET: 'x'.repeat(32),
        AWS_SECRET_ACCESS_KEY: 'aws',
        s3_lower_ACCESS_KEY: 'lower',
        S3__ACCESS_KEY: 'double underscore',
        PATH: '/usr/bin',
      }),
    ).toEqual({
      S3_ACCESS_KEY: 'default-key',
      S3_SECRET_KEY: 'default-secret',
      S3_TEAM_A_ACCESS_KEY: 'a-key',
      S3_TEAM_A_SECRET_KEY: 'a-secret',
    });
  });
});
