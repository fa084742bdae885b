/**
 * Client errors are never INTERNAL_SERVER_ERROR, and no message repeats much of what the
 * caller sent. Each case here is one the property test (properties.test.ts) found, or a
 * kind of it, pinned with its exact answer, over HTTP against real Postgres.
 *
 * The contract (README "Errors"): a variable GraphQL's types refuse is a request error —
 * HTTP 400, BAD_USER_INPUT, before anything runs; a document GraphQL refuses is
 * GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED (400); a value of the right type that
 * breaks one of vsnap's rules is VALIDATION with `extensions.field` (HTTP 200, data null).
 */
import { isScalarType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECHO_LIMIT, MESSAGE_LIMIT } from '../../src/errors.ts';
import { schema } from '../../src/graphql/schema.ts';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { tableState } from './table-state.ts';

const FIVE_MB = 5 * 1024 * 1024;
/** A literal that keeps its document under the 32 KiB document limit. */
const LITERAL = 30_000;

let app: TestApp;
let admin: string;
let clusterId: string;

async function post(query: string, variables: unknown) {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as { data?: unknown; errors?: { message: string; path?: unknown; extensions?: Record<string, unknown> }[] } };
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokens.platformAdmin();
  const registered = await post('mutation($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id } }', {
    input: { projectId: 'client-errors', name: 'prod', kubeconfig: { secretRef: 'vc/config' } },
  });
  clusterId = (registered.body.data as { registerVirtualCluster: { id: string } }).registerVirtualCluster.id;
});
afterAll(() => app?.close());

const SET_POLICY = 'mutation Set($id: ID!, $policy: AutoSnapshotPolicyInput!) { setAutoSnapshotPolicy(virtualClusterId: $id, policy: $policy) { id } }';
const REMOVE = 'mutation Remove($id: ID!) { removeVirtualCluster(id: $id) { removedVirtualClusterId } }';
const SNAPSHOTS = 'query List($id: ID!, $status: SnapshotStatus, $first: Int) { virtualCluster(id: $id) { snapshots(status: $status, first: $first) { edges { cursor } } } }';

describe('a variable GraphQL refuses is BAD_USER_INPUT with HTTP 400, and nothing runs', () => {
  it.each<[string, string, () => unknown, string]>([
    [
      'an Int of 2^31 (it was INTERNAL_SERVER_ERROR)',
      SET_POLICY,
      () => ({ id: clusterId, policy: { enabled: false, retention: { keepLast: 2 ** 31 } } }),
      'Variable "$policy" got invalid value 2147483648 at "policy.retention.keepLast"; Int cannot represent non 32-bit signed integer value: 2147483648',
    ],
    [
      'a float for an Int',
      SNAPSHOTS,
      () => ({ id: clusterId, first: 1.5 }),
      'Variable "$first" got invalid value 1.5; Int cannot represent non-integer value: 1.5',
    ],
    [
      'a string for a Boolean',
      SET_POLICY,
      () => ({ id: clusterId, policy: { enabled: 'true' } }),
      'Variable "$policy" got invalid value "true" at "policy.enabled"; Boolean cannot represent a non boolean value: "true"',
    ],
    [
      'a string for an input object',
      SET_POLICY,
      () => ({ id: clusterId, policy: 'x' }),
      'Variable "$policy" got invalid value "x"; Expected type "AutoSnapshotPolicyInput" to be an object.',
    ],
    [
      'an object for an ID',
      REMOVE,
      () => ({ id: { a: 1 } }),
      'Variable "$id" got invalid value { a: 1 }; ID cannot represent value: { a: 1 }',
    ],
    ['null for a required ID', REMOVE, () => ({ id: null }), 'Variable "$id" of non-null type "ID!" must not be null.'],
    ['no value for a required ID', REMOVE, () => ({}), 'Variable "$id" of required type "ID!" was not provided.'],
    [
      'a value of no enum',
      SNAPSHOTS,
      () => ({ id: clusterId, status: 'XYZZY' }),
      'Variable "$status" got invalid value "XYZZY"; Value "XYZZY" does not exist in "SnapshotStatus" enum.',
    ],
    [
      'a field the input type does not have',
      SET_POLICY,
      () => ({ id: clusterId, policy: { enabled: false, xyzzy: 1 } }),
      'Variable "$policy" got invalid value { enabled: false, xyzzy: 1 }; Field "xyzzy" is not defined by type "AutoSnapshotPolicyInput".',
    ],
  ])('%s', async (_case, query, variables, message) => {
    const before = await tableState(app.orm);
    const response = await post(query, variables());
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message, locations: [expect.any(Object)], extensions: { code: 'BAD_USER_INPUT' } }] });
    expect(await tableState(app.orm)).toEqual(before);
  });

  it('variables that are not an object are yoga\'s BAD_REQUEST (400)', async () => {
    const response = await post(REMOVE, ['x']);
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_REQUEST']);
  });
});

describe('no message repeats more than 64 characters of caller input', () => {
  it('a 5 MB id is not echoed: NOT_FOUND in a body well under 1 KB', async () => {
    const response = await post(REMOVE, { id: 'f'.repeat(FIVE_MB) });
    expect(response.status).toBe(200);
    expect(response.body.errors).toEqual([expect.objectContaining({ message: 'virtual cluster not found', extensions: { code: 'NOT_FOUND', field: 'id' } })]);
    expect(response.text.length).toBeLessThan(1024);
  });

  it('a 5 MB string for an Int is repeated JSON-quoted and cut at 64 characters', async () => {
    const value = 'x'.repeat(FIVE_MB);
    const response = await post(SET_POLICY, { id: clusterId, policy: { enabled: false, retention: { keepLast: value } } });
    const cut = `"${'x'.repeat(ECHO_LIMIT)}"… (${FIVE_MB} characters)`;
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.message).toBe(
      `Variable "$policy" got invalid value ${cut} at "policy.retention.keepLast"; Int cannot represent non-integer value: ${cut}`,
    );
    expect(response.text.length).toBeLessThan(1024);
  });

  it('a 5 MB object key (graphql-js prints keys unquoted) is cut with the message at 1 KiB', async () => {
    const response = await post(REMOVE, { id: { ['k'.repeat(FIVE_MB)]: 1 } });
    const message = response.body.errors?.[0]?.message ?? '';
    expect(response.status).toBe(400);
    expect(message.startsWith('Variable "$id" got invalid value { kkkk')).toBe(true);
    expect(message.endsWith('… (message cut)')).toBe(true);
    expect(Array.from(message)).toHaveLength(MESSAGE_LIMIT + '… (message cut)'.length);
  });

  // A longer document is refused before it is parsed (413 DOCUMENT_TOO_LARGE, test/security/http.test.ts).
  it('a 30,000-character literal in the document: GRAPHQL_VALIDATION_FAILED, the literal cut', async () => {
    const value = 'y'.repeat(LITERAL);
    const response = await post(
      `mutation Set($id: ID!) { setAutoSnapshotPolicy(virtualClusterId: $id, policy: { enabled: false, retention: { keepLast: "${value}" } }) { id } }`,
      { id: clusterId },
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      {
        message: `Int cannot represent non-integer value: "${'y'.repeat(ECHO_LIMIT)}"… (${LITERAL} characters)`,
        locations: [expect.any(Object)],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
    ]);
  });

  it('the DateTime scalar names what it wants and repeats a refused value cut', () => {
    const dateTime = schema.getType('DateTime');
    if (!isScalarType(dateTime)) throw new Error('DateTime is not a scalar');
    expect(dateTime.parseValue('2026-03-01T03:00:00.5+01:00')).toEqual(new Date('2026-03-01T02:00:00.500Z'));
    for (const [value, shown] of [
      ['yesterday', '"yesterday"'],
      ['2026-02-30T00:00:00Z', '"2026-02-30T00:00:00Z"'],
      ['2026-03-01T02:00:00', '"2026-03-01T02:00:00"'],
      ['z'.repeat(FIVE_MB), `"${'z'.repeat(ECHO_LIMIT)}"… (${FIVE_MB} characters)`],
      [1_767_225_600_000, 'a number'],
    ] as const) {
      expect(() => dateTime.parseValue(value)).toThrow(
        `DateTime must be an ISO-8601 date-time with an offset, such as "2026-03-01T02:00:00Z"; got ${shown}`,
      );
    }
  });
});

describe('federation _entities checks each representation (they were internal errors)', () => {
  const ENTITIES = 'query Entities($r: [_Any!]!) { _entities(representations: $r) { __typename } }';

  it.each<[string, unknown, string, string]>([
    ['a representation without an id', [{ __typename: 'VirtualCluster' }], 'representations.0.id', 'Invalid input: expected string, received undefined'],
    ['an id that is a number', [{ __typename: 'Snapshot', id: 7 }], 'representations.0.id', 'Invalid input: expected string, received number'],
    [
      'a type that is no entity',
      [{ __typename: 'VirtualCluster', id: 'x' }, { __typename: 'StorageLocation', id: 'p' }],
      'representations.1.__typename',
      'Invalid option: expected one of "Project"|"Snapshot"|"VirtualCluster"',
    ],
    ['a string', ['VirtualCluster'], 'representations.0', 'Invalid input: expected object, received string'],
    ['an id with NUL', [{ __typename: 'VirtualCluster', id: 'a\u0000' }], 'representations.0.id', 'must not contain NUL characters'],
  ])('%s → VALIDATION on %s', async (_case, representations, field, problem) => {
    const response = await post(ENTITIES, { r: representations });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: null,
      errors: [{ message: `${field}: ${problem}`, locations: [expect.any(Object)], path: ['_entities'], extensions: { code: 'VALIDATION', field } }],
    });
  });

  it('resolves 600 representations (more than one statement\'s batch): the real one, and null for ids of nothing', async () => {
    const representations = Array.from({ length: 600 }, (_, index) => ({
      __typename: 'VirtualCluster',
      id: index === 599 ? clusterId : `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    }));
    const response = await post(ENTITIES, { r: representations });
    expect(response.body.errors).toBeUndefined();
    const entities = (response.body.data as { _entities: unknown[] })._entities;
    expect(entities.slice(0, 599).every((entity) => entity === null)).toBe(true);
    expect(entities[599]).toEqual({ __typename: 'VirtualCluster' });
  });
});
