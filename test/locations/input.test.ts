/**
 * The input rules of storage locations, as pure tables: each bad input breaks exactly one
 * rule (the base inputs break none), and the message is exact.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseInput } from '../../src/clusters/input.ts';
import { ValidationError } from '../../src/errors.ts';
import { CREDENTIALS_ENV_PREFIX, createLocationInput, kindProblems, updateLocationInput } from '../../src/locations/input.ts';

const S3 = { name: 'archives', kind: 'S3', bucket: 'vsnap-archives' } as const;
const LOCAL = { name: 'archives', kind: 'LOCAL', directory: 'team-a' } as const;
const DNS_LABEL = 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending alphanumeric';
const BUCKET = 'must be an S3 bucket name: 3-63 lower-case letters, digits, "." and "-"';
const PREFIX = 'must be "/"-separated components of letters, digits, ".", "_" and "-" (no empty, "." or ".." component)';
const ENV_PREFIX = 'must be S3 or S3_<NAME> (upper-case letters, digits and "_"): <prefix>_ACCESS_KEY and <prefix>_SECRET_KEY are read';
const SECRET_NAME = 'must be a secret name: lower-case letters, digits, "-" and "."';
const REGION = 'must be letters, digits, "-" and "_"';

function refusal(schema: z.ZodType, value: unknown): string {
  try {
    parseInput(schema, value);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    const { field, message } = error as ValidationError;
    expect(message.startsWith(`${field}: `)).toBe(true);
    return message;
  }
  return expect.fail(`${JSON.stringify(value)} was accepted`);
}

describe('createStorageLocation input', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['the shortest bucket', { bucket: 'abc' }, { bucket: 'abc' }],
    ['the longest bucket', { bucket: `a${'b'.repeat(61)}c` }, { bucket: `a${'b'.repeat(61)}c` }],
    ['a bucket with dots and dashes', { bucket: 'a.b-c' }, { bucket: 'a.b-c' }],
    ['a prefix without its outer slashes', { prefix: '//team-a/daily_v1.2/' }, { prefix: 'team-a/daily_v1.2' }],
    ['a prefix of slashes only: the bucket top', { prefix: '///' }, { prefix: '' }],
    ['a prefix with several slashes at either end', { prefix: '//team-a//' }, { prefix: 'team-a' }],
    ['an empty prefix', { prefix: '' }, { prefix: '' }],
    ['the longest prefix', { prefix: 'p'.repeat(512) }, { prefix: 'p'.repeat(512) }],
    ['an endpoint as its origin', { endpoint: 'HTTPS://Minio.Example.test:9000/' }, { endpoint: 'https://minio.example.test:9000' }],
    ['an http endpoint', { endpoint: 'http://10.0.0.5:9000' }, { endpoint: 'http://10.0.0.5:9000' }],
    ['a region', { region: 'eu-central_1' }, { region: 'eu-central_1' }],
    ['the longest region', { region: 'r'.repeat(64) }, { region: 'r'.repeat(64) }],
    ['credentials from the default variables', { credentials: { fromEnvironment: 'S3' } }, { credentials: { fromEnvironment: 'S3' } }],
    ['credentials from named variables', { credentials: { fromEnvironment: 'S3_TEAM_A2' } }, { credentials: { fromEnvironment: 'S3_TEAM_A2' } }],
    ['credentials from a mounted secret', { credentials: { fromSecret: 'vsnap-s3.team-a' } }, { credentials: { fromSecret: 'vsnap-s3.team-a' } }],
    ['credentials with one source null', { credentials: { fromEnvironment: 'S3', fromSecret: null } }, { credentials: { fromEnvironment: 'S3', fromSecret: null } }],
    ['projects, deduplicated and sorted', { allowedProjectIds: ['p2', 'p1', 'p2'] }, { allowedProjectIds: ['p1', 'p2'] }],
    ['no project at all', { allowedProjectIds: [] }, { allowedProjectIds: [] }],
    ['a thousand projects', { allowedProjectIds: Array.from({ length: 1000 }, (_, i) => `p${i}`) }, {}],
    ['pathStyle and default', { pathStyle: false, default: true }, { pathStyle: false, default: true }],
  ])('S3: accepts %s', (_what, fields, parsed) => {
    expect(parseInput(createLocationInput, { ...S3, ...fields })).toMatchObject({ ...S3, ...parsed });
  });

  it.each<[string, Record<string, unknown>]>([
    ['the root itself', { directory: '' }],
    ['a nested directory', { directory: 'team-a/daily_v1.2' }],
    ['nulls for the S3 fields', { bucket: null, prefix: null, endpoint: null, region: null, pathStyle: null, credentials: null }],
  ])('LOCAL: accepts %s', (_what, fields) => {
    expect(parseInput(createLocationInput, { ...LOCAL, ...fields })).toMatchObject({ ...LOCAL, ...fields });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a 64-character name', { name: 'a'.repeat(64) }, 'name: must be at most 63 characters'],
    ['an upper-case name', { name: 'Archives' }, `name: ${DNS_LABEL}`],
    ['a name ending in "-"', { name: 'archives-' }, `name: ${DNS_LABEL}`],
    ['a name with a character after a valid label', { name: 'archives.' }, `name: ${DNS_LABEL}`],
    ['a name with a character before a valid label', { name: '.archives' }, `name: ${DNS_LABEL}`],
    ['an unknown kind', { kind: 'GCS' }, 'kind: Invalid option: expected one of "S3"|"LOCAL"'],
    ['no bucket', { bucket: undefined }, 'bucket: is required for an S3 location'],
    ['a null bucket', { bucket: null }, 'bucket: is required for an S3 location'],
    ['a directory', { directory: 'a' }, 'directory: is only for LOCAL locations'],
    ['an empty directory', { directory: '' }, 'directory: is only for LOCAL locations'],
    ['a 2-character bucket', { bucket: 'ab' }, `bucket: ${BUCKET}`],
    ['a 64-character bucket', { bucket: `a${'b'.repeat(62)}c` }, 'bucket: must be at most 63 characters'],
    ['an upper-case bucket', { bucket: 'Vsnap-archives' }, `bucket: ${BUCKET}`],
    ['a bucket starting with "-"', { bucket: '-vsnap' }, `bucket: ${BUCKET}`],
    ['a bucket ending with "."', { bucket: 'vsnap.' }, `bucket: ${BUCKET}`],
    ['a bucket with a slash after a valid name', { bucket: 'vsnap/x' }, `bucket: ${BUCKET}`],
    ['a bucket with a slash before a valid name', { bucket: 'x/vsnap' }, `bucket: ${BUCKET}`],
    ['a 513-character prefix', { prefix: 'p'.repeat(513) }, 'prefix: must be at most 512 characters'],
    ['a prefix with an empty component', { prefix: 'team-a//daily' }, `prefix: ${PREFIX}`],
    ['a prefix with a "." component', { prefix: 'team-a/./daily' }, `prefix: ${PREFIX}`],
    ['a prefix with a ".." component', { prefix: 'team-a/../daily' }, `prefix: ${PREFIX}`],
    ['a prefix with a space', { prefix: 'team a' }, `prefix: ${PREFIX}`],
    ['a prefix with a character after valid ones', { prefix: 'team-a$' }, `prefix: ${PREFIX}`],
    ['a prefix with a character before valid ones', { prefix: '$team-a' }, `prefix: ${PREFIX}`],
    ['an ftp endpoint', { endpoint: 'ftp://minio.example.test' }, 'endpoint: must be an http:// or https:// URL'],
    ['an endpoint that is no URL', { endpoint: 'minio.example.test' }, 'endpoint: must be an http:// or https:// URL'],
    ['an endpoint with a user', { endpoint: 'https://key@minio.example.test' }, 'endpoint: must not carry credentials (give them through credentials)'],
    ['an endpoint with a password only', { endpoint: 'https://:secret@minio.example.test' }, 'endpoint: must not carry credentials (give them through credentials)'],
    ['an endpoint with a path', { endpoint: 'https://minio.example.test/bucket' }, 'endpoint: must have no path, query or fragment (the bucket is a field of its own)'],
    ['an endpoint with a query', { endpoint: 'https://minio.example.test/?x=1' }, 'endpoint: must have no path, query or fragment (the bucket is a field of its own)'],
    ['an endpoint with a fragment', { endpoint: 'https://minio.example.test#x' }, 'endpoint: must have no path, query or fragment (the bucket is a field of its own)'],
    ['a 2049-character endpoint', { endpoint: `https://${'m'.repeat(2041)}` }, 'endpoint: must be at most 2048 characters'],
    ['a region with a space', { region: 'eu central' }, `region: ${REGION}`],
    ['a region with a character after valid ones', { region: 'eu-central-1.' }, `region: ${REGION}`],
    ['a region with a character before valid ones', { region: '.eu-central-1' }, `region: ${REGION}`],
    ['an empty region', { region: '' }, `region: ${REGION}`],
    ['a 65-character region', { region: 'r'.repeat(65) }, 'region: must be at most 64 characters'],
    ['both credential sources', { credentials: { fromEnvironment: 'S3_A', fromSecret: 'a' } }, 'credentials: give at most one of fromEnvironment and fromSecret'],
    ['a variable prefix of another variable', { credentials: { fromEnvironment: 'AUTH_JWT' } }, `credentials.fromEnvironment: ${ENV_PREFIX}`],
    ['a variable prefix ending in "_"', { credentials: { fromEnvironment: 'S3_' } }, `credentials.fromEnvironment: ${ENV_PREFIX}`],
    ['a variable prefix in lower case', { credentials: { fromEnvironment: 'S3_team' } }, `credentials.fromEnvironment: ${ENV_PREFIX}`],
    ['a variable prefix with a character after a valid one', { credentials: { fromEnvironment: 'S3_A-' } }, `credentials.fromEnvironment: ${ENV_PREFIX}`],
    ['a variable prefix with a character before a valid one', { credentials: { fromEnvironment: 'XS3' } }, `credentials.fromEnvironment: ${ENV_PREFIX}`],
    ['a 65-character variable prefix', { credentials: { fromEnvironment: `S3_${'A'.repeat(62)}` } }, 'credentials.fromEnvironment: must be at most 64 characters'],
    ['a secret name with a slash', { credentials: { fromSecret: 'a/b' } }, `credentials.fromSecret: ${SECRET_NAME}`],
    ['a secret name ending in "."', { credentials: { fromSecret: 'secret.' } }, `credentials.fromSecret: ${SECRET_NAME}`],
    ['a secret name starting with "-"', { credentials: { fromSecret: '-secret' } }, `credentials.fromSecret: ${SECRET_NAME}`],
    ['a 254-character secret name', { credentials: { fromSecret: 's'.repeat(254) } }, 'credentials.fromSecret: must be at most 253 characters'],
    ['a project id that is no label', { allowedProjectIds: ['p1', 'Team A'] }, `allowedProjectIds.1: must be a DNS-1123 label`],
    ['a project id ending in "-"', { allowedProjectIds: ['p1-'] }, `allowedProjectIds.0: must be a DNS-1123 label`],
    ['a 64-character project id', { allowedProjectIds: ['p'.repeat(64)] }, 'allowedProjectIds.0: must be at most 63 characters'],
    ['1001 projects', { allowedProjectIds: Array.from({ length: 1001 }, (_, i) => `p${i}`) }, 'allowedProjectIds: must list at most 1000 projects'],
  ])('S3: refuses %s', (_what, fields, message) => {
    expect(refusal(createLocationInput, { ...S3, ...fields })).toBe(message);
  });

  it('accepts the longest secret name and variable prefix', () => {
    const credentials = [{ fromSecret: 's'.repeat(253) }, { fromEnvironment: `S3_${'A'.repeat(61)}` }];
    for (const given of credentials) expect(parseInput(createLocationInput, { ...S3, credentials: given }).credentials).toEqual(given);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no directory', { directory: undefined }, 'directory: is required for a LOCAL location ("" for LOCAL_STORAGE_ROOT itself)'],
    ['a null directory', { directory: null }, 'directory: is required for a LOCAL location ("" for LOCAL_STORAGE_ROOT itself)'],
    ['an absolute directory', { directory: '/var/lib/vsnap' }, 'directory: must be relative to LOCAL_STORAGE_ROOT, not an absolute path'],
    ['a directory leaving the root', { directory: 'a/../../etc' }, 'directory: must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)'],
    ['a bucket', { bucket: 'vsnap-archives' }, 'bucket: is only for S3 locations'],
    ['a prefix', { prefix: 'team-a' }, 'prefix: is only for S3 locations'],
    ['an empty prefix', { prefix: '' }, 'prefix: is only for S3 locations'],
    ['an endpoint', { endpoint: 'https://minio.example.test' }, 'endpoint: is only for S3 locations'],
    ['a region', { region: 'eu-central-1' }, 'region: is only for S3 locations'],
    ['pathStyle', { pathStyle: false }, 'pathStyle: is only for S3 locations'],
    ['credentials', { credentials: { fromSecret: 'a' } }, 'credentials: is only for S3 locations'],
  ])('LOCAL: refuses %s', (_what, fields, message) => {
    expect(refusal(createLocationInput, { ...LOCAL, ...fields })).toBe(message);
  });

  it('names only S3 and S3_<NAME> prefixes as credentials', () => {
    expect(['S3', 'S3_A', 'S3_A_B', 'S3_1'].filter((name) => CREDENTIALS_ENV_PREFIX.test(name))).toEqual(['S3', 'S3_A', 'S3_A_B', 'S3_1']);
    expect(['S3__A', 'S3A', 's3', 'S3_A_', 'AS3'].filter((name) => CREDENTIALS_ENV_PREFIX.test(name))).toEqual([]);
  });
});

describe('updateStorageLocation input', () => {
  it('takes what it is given; null resets the defaults', () => {
    expect(parseInput(updateLocationInput, {})).toEqual({});
    const reset = { prefix: null, endpoint: null, region: null, pathStyle: null, credentials: null, allowedProjectIds: null };
    expect(parseInput(updateLocationInput, reset)).toEqual(reset);
    expect(parseInput(updateLocationInput, { name: 'renamed', prefix: '/a/', directory: 'b', default: false })).toEqual({ name: 'renamed', prefix: 'a', directory: 'b', default: false });
  });

  it.each(['bucket', 'directory', 'name', 'default'])('refuses %s: null', (field) => {
    expect(refusal(updateLocationInput, { [field]: null })).toBe(`${field}: cannot be null; leave it out to keep it`);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a bad name', { name: 'A' }, `name: ${DNS_LABEL}`],
    ['a bad bucket', { bucket: 'ab' }, `bucket: ${BUCKET}`],
    ['a bad directory', { directory: '../x' }, 'directory: must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)'],
  ])('checks each field as creation does: %s', (_what, input, message) => {
    expect(refusal(updateLocationInput, input)).toBe(message);
  });

  it.each<['S3' | 'LOCAL', Record<string, unknown>, { field: string; message: string } | undefined]>([
    ['S3', { bucket: 'vsnap-archives', prefix: 'a', credentials: { fromSecret: 's' } }, undefined],
    ['S3', { directory: 'a' }, { field: 'directory', message: 'is only for LOCAL locations' }],
    ['S3', { directory: '' }, { field: 'directory', message: 'is only for LOCAL locations' }],
    ['LOCAL', { directory: 'a', name: 'b', default: true, allowedProjectIds: ['p1'] }, undefined],
    // null resets an S3 field: nothing to refuse on a LOCAL location.
    ['LOCAL', { prefix: null, endpoint: null, region: null, pathStyle: null, credentials: null }, undefined],
    ['LOCAL', { bucket: 'vsnap-archives' }, { field: 'bucket', message: 'is only for S3 locations' }],
    ['LOCAL', { prefix: '' }, { field: 'prefix', message: 'is only for S3 locations' }],
    ['LOCAL', { endpoint: 'https://minio.example.test' }, { field: 'endpoint', message: 'is only for S3 locations' }],
    ['LOCAL', { region: 'eu' }, { field: 'region', message: 'is only for S3 locations' }],
    ['LOCAL', { pathStyle: false }, { field: 'pathStyle', message: 'is only for S3 locations' }],
    ['LOCAL', { credentials: { fromEnvironment: 'S3' } }, { field: 'credentials', message: 'is only for S3 locations' }],
  ])('on a %s location, %j: %j', (kind, input, problem) => {
    expect(kindProblems(kind, parseInput(updateLocationInput, input))).toEqual(problem);
  });
});
