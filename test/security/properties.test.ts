/**
 * Schema-wide property test: every argument of every Query, Mutation and Subscription field (and of
 * every field with arguments below them, such as VirtualCluster.snapshots), recursing
 * into input objects and federation's `_entities` representations, gets generated hostile
 * values sent as variables over HTTP — huge and negative integers, 2^31, floats,
 * NaN-like strings, empty strings, whitespace, emoji, RTL marks, lone surrogates, NUL and
 * control characters, non-UUID ids, UUIDs of nothing, ids of rows in another project,
 * strings of several MB, wrong JSON types, null for required arguments — as a platform
 * admin and as the admin of one project.
 *
 * Every answer must be a client error or a success: never INTERNAL_SERVER_ERROR (or a
 * 5xx), every error with a code and a bounded message, and a rejected call writes no row
 * in any table (row count and content of every table compared before and after). Half
 * the objects carry one hostile value among calm, valid ones, so each rule is reached
 * alone; each field's outcomes are printed, and most calls must get past GraphQL's own
 * type checks to vsnap's rules (else the generators test only graphql-js).
 *
 * Reproducible: PROPERTY_SEED (printed) fixes the values; PROPERTY_RUNS the runs per field.
 */
import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/db/keyset.ts';
import { MESSAGE_LIMIT } from '../../src/errors.ts';
import { schema } from '../../src/graphql/schema.ts';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { metric } from '../events/metrics.ts';
import { waitFor } from '../server/helpers.ts';
import { tableState } from './table-state.ts';

const SEED = Number(process.env.PROPERTY_SEED ?? 20_260_301);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);

/** The caller's project (P) and somebody else's (Q). */
const P = 'prop-p';
const Q = 'prop-q';

/** Codes a client error may carry; INTERNAL_SERVER_ERROR is not one of them. */
const CLIENT_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'FORBIDDEN',
  'STORAGE_UNAVAILABLE',
  // A variable GraphQL's types refuse (see maskError); yoga's own for a request it cannot read (variables not an object).
  'BAD_USER_INPUT',
  'BAD_REQUEST',
];

/** A row that exists when the call is made (resolved then: earlier runs may have removed some). */
class Ref {
  constructor(
    readonly kind: 'cluster' | 'snapshot',
    readonly project: 'P' | 'Q',
    readonly index: number,
  ) {}
}

// ---------------------------------------------------------------------------------------------
// What to call: every field with arguments, found in the executable schema
// ---------------------------------------------------------------------------------------------

interface Target {
  /** `Mutation.removeVirtualCluster`, `VirtualCluster.snapshots`, ... */
  name: string;
  args: readonly GraphQLArgument[];
  document: string;
  /** For a field below the root: the root field that reaches it, called on a real row of P. */
  parent?: { variable: string; ref: Ref };
  /** A subscription: sent over SSE, its first result (the data, or the errors that refused it) read. */
  stream?: boolean;
}

const selectionOf = (field: GraphQLField<unknown, unknown>) => (isLeafType(getNamedType(field.type)) ? '' : ' { __typename }');
const callOf = (field: GraphQLField<unknown, unknown>) =>
  `${field.name}${field.args.length ? `(${field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ')})` : ''}${selectionOf(field)}`;
const variablesOf = (args: readonly GraphQLArgument[], extra: string[] = []) => {
  const definitions = [...extra, ...args.map((arg) => `$${arg.name}: ${String(arg.type)}`)];
  return definitions.length ? `(${definitions.join(', ')})` : '';
};

function rootTargets(type: GraphQLObjectType | null | undefined, operation: 'query' | 'mutation' | 'subscription'): Target[] {
  return Object.values(type?.getFields() ?? {}).map((field) => ({
    name: `${type!.name}.${field.name}`,
    args: field.args,
    document: `${operation} Probe${variablesOf(field.args)} { ${callOf(field)} }`,
    stream: operation === 'subscription',
  }));
}

/** Types no root query returns by id, reached through one that does: that root query, then the field below it. */
const REACHED_THROUGH: Record<string, { root: string; field: string; kind: 'cluster' | 'snapshot' }> = {
  Project: { root: 'virtualCluster', field: 'project', kind: 'cluster' },
};

/** Fields with arguments on the types root queries return, reached through a query taking one `id`. */
function nestedTargets(): Target[] {
  const query = schema.getQueryType()!;
  const targets: Target[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || [query, schema.getMutationType(), schema.getSubscriptionType()].includes(type) || type.name.startsWith('_')) continue;
    for (const field of Object.values(type.getFields()).filter((f) => f.args.length > 0)) {
      const entry = Object.values(query.getFields()).find(
        (root) => getNamedType(root.type) === type && root.args.length === 1 && root.args[0]!.name === 'id',
      );
      const through = REACHED_THROUGH[type.name];
      if (through) {
        targets.push({
          name: `${type.name}.${field.name}`,
          args: field.args,
          document: `query Probe${variablesOf(field.args, ['$parent: ID!'])} { ${through.root}(id: $parent) { ${through.field} { ${callOf(field)} } } }`,
          parent: { variable: 'parent', ref: new Ref(through.kind, 'P', 0) },
        });
        continue;
      }
      if (!entry) throw new Error(`no query reaches ${type.name}.${field.name}: add a way to this test`);
      const kind = type.name === 'VirtualCluster' ? 'cluster' : 'snapshot';
      targets.push({
        name: `${type.name}.${field.name}`,
        args: field.args,
        document: `query Probe${variablesOf(field.args, ['$parent: ID!'])} { ${entry.name}(id: $parent) { ${callOf(field)} } }`,
        parent: { variable: 'parent', ref: new Ref(kind, 'P', 0) },
      });
    }
  }
  return targets;
}

const TARGETS = [
  ...rootTargets(schema.getQueryType(), 'query'),
  ...rootTargets(schema.getMutationType(), 'mutation'),
  ...rootTargets(schema.getSubscriptionType(), 'subscription'),
  ...nestedTargets(),
];

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** An optional argument or input field left out. */
const OMIT = Symbol('omit');
/** hostile: any value; calm: one that passes (see CALM). */
type Mode = 'hostile' | 'calm';

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const bigString = fc
  .tuple(fc.constantFrom(70_000, 1_100_000, 4_000_000), fc.constantFrom('x', 'é', '😀', '\0', '\ud800', 'a-'))
  .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)));

/** Strings of every kind; one leaf in about 120 is a string of several MB. */
const smallHostileString = (bigWeight: number) => fc.oneof(
  {
    weight: 60,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\t\n ',
      '\u0000',
      'prod\u0000',
      '\ud800',
      'prod\udfff',
      '\u202eevil\u202c',
      '👩‍👩‍👧‍👦',
      'مرحبا',
      'NaN',
      'Infinity',
      '-0',
      '1e400',
      'null',
      'undefined',
      'true',
      "'; drop table virtual_cluster; --",
      '../../etc/passwd',
      '/etc',
      '%00',
      '\u0001\u001b[31m\u007f',
      'ＡＢＣ',
      'a'.repeat(63),
      'a'.repeat(64),
      'a'.repeat(65),
      'b'.repeat(254),
      'c'.repeat(1025),
    ),
  },
  { weight: 30, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 40 }) },
  { weight: 30, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: bigWeight, arbitrary: bigString },
);
const hostileString = smallHostileString(1);

/**
 * Numbers: mostly ones an Int takes (extremes, negatives, zero), so they reach the rules;
 * now and then one it refuses (2^31, 2^53, 1e21, a fraction).
 */
const hostileInt = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31)), fc.integer()) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 1e21, -1e21, 1.5, -0.5, 1e308), fc.double({ noNaN: true })) },
);
const hostileFloat = fc.oneof(hostileInt, fc.constantFrom(1.7976931348623157e308, -1.7976931348623157e308, 5e-324), fc.double());
const wrongJson = fc.oneof(fc.constantFrom([], {}, true, false, 0, 1.5, 'x', [null], { a: 1 }), fc.jsonValue({ maxDepth: 2 }));

const refs = fc.tuple(fc.constantFrom('cluster' as const, 'snapshot' as const), fc.constantFrom('P' as const, 'Q' as const), fc.nat(5));
const hostileIdOf = (strings: fc.Arbitrary<string>) => fc.oneof(
  { weight: 4, arbitrary: refs.map(([kind, project, index]) => new Ref(kind, project, index)) },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.uuid().map((id) => id.toUpperCase()) },
  { weight: 1, arbitrary: fc.constantFrom('00000000-0000-0000-0000-000000000000', 'garbage', '1', 'ffffffff-ffff-ffff-ffff-ffffffffffff') },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 3, arbitrary: strings },
);

const clusterNames = ['prod', 'a', 'payments', 'x'.repeat(63), 'Prod_1', '-prod'];
const cursorValues = [
  encodeCursor(['prod', '00000000-0000-4000-8000-000000000000']),
  encodeCursor(['2026-02-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']),
  encodeCursor(['0000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']),
  encodeCursor(['+275760-09-13T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']),
  encodeCursor(['prod\u0000', 'zz']),
  encodeCursor([1, 2]),
  encodeCursor(['a', 'b', 'c']),
  'not-a-cursor',
  '',
];

/** Values that pass GraphQL's types and some of vsnap's rules, by argument or input field name: they reach the deeper checks. */
const PLAUSIBLE: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.constantFrom(...clusterNames),
  projectId: fc.constantFrom(P, Q, 'other-project', ''),
  schedule: fc.constantFrom('0 3 * * *', '*/5 * * * *', '61 * * * *', '0 0 30 2 *', '* * * *', '@daily', '0 0 * * 5#9'),
  timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/Argentina/ComodRivadavia', 'Mars/Olympus', 'utc', '+01:00'),
  secretRef: fc.constantFrom('vc/config', 'vcluster-prod/kubeconfig', 'no-key', '../x/y', 'a/b/c'),
  inline: fc.constantFrom('apiVersion: v1', 'x', '{}', '- a\n- b', ':\n  - ['),
  storageTarget: fc.constantFrom('s3://bucket/prefix', 's3://b', 's3://bucket//x', '/tmp/vsnap-property', 'relative/dir', 'file:///etc'),
  ...Object.fromEntries(['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'].map((rule) => [rule, fc.constantFrom(0, 7, 10_000, 10_001, -1)])),
  maxAgeSeconds: fc.constantFrom(60, 59, 86_400, 1_577_880_000, 1_577_880_001, 2 ** 31 - 1),
  first: fc.constantFrom(0, 1, 5, 100, 101),
  last: fc.constantFrom(0, 1, 5),
  after: fc.constantFrom(...cursorValues),
  before: fc.constantFrom(...cursorValues),
  // Event cursors (subscriptions' `since`): the range's edges, and what is not one.
  since: fc.constantFrom('0', '1', '9223372036854775807', '9223372036854775808', '-1', '01', '1.0', ''),
};

const representationOf = (id: fc.Arbitrary<unknown>) => fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      __typename: fc.constantFrom('VirtualCluster', 'Snapshot', 'Project', 'Query', 'Mutation', 'String', 'Nope', '', '__proto__'),
      id,
    }),
  },
  { weight: 1, arbitrary: fc.record({ __typename: fc.constantFrom('VirtualCluster', 'Snapshot') }) },
  { weight: 1, arbitrary: wrongJson },
);

/**
 * Calm values: right for GraphQL and for vsnap's rules (a real row of P, a valid schedule):
 * the background against which one hostile value is tested.
 */
const CALM: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.nat(1_000_000).map((n) => `calm-${n}`),
  projectId: fc.constantFrom(P, Q),
  schedule: fc.constantFrom('0 3 * * *', '*/5 * * * *'),
  timeZone: fc.constantFrom('UTC', 'Europe/Berlin'),
  secretRef: fc.constant('vc/config'),
  inline: fc.constant('apiVersion: v1'),
  storageTarget: fc.constant('s3://bucket/prefix'),
  ...Object.fromEntries(['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'].map((rule) => [rule, fc.constantFrom(1, 7)])),
  maxAgeSeconds: fc.constant(86_400),
  first: fc.constantFrom(1, 5),
  last: fc.constantFrom(1, 5),
  after: fc.constant(OMIT),
  before: fc.constant(OMIT),
};
const calmScalar = (scalar: string): fc.Arbitrary<unknown> => {
  switch (scalar) {
    case 'ID':
      return fc.tuple(fc.constantFrom('cluster' as const, 'snapshot' as const), fc.nat(5)).map(([kind, index]) => new Ref(kind, 'P', index));
    case 'Int':
    case 'Float':
      return fc.constant(1);
    case 'Boolean':
      return fc.boolean();
    case '_Any':
      return fc.nat(5).map((index) => ({ __typename: 'VirtualCluster', id: new Ref('cluster', 'P', index) }));
    default:
      return fc.constant('calm');
  }
};

/** Leaf values: `small` ones (for the items of a 600-long list) never hold a string of several MB. */
const LEAVES = {
  large: { strings: hostileString, ids: hostileIdOf(hostileString) },
  small: { strings: smallHostileString(0), ids: hostileIdOf(smallHostileString(0)) },
};
type Leaves = (typeof LEAVES)[keyof typeof LEAVES];

/**
 * A value for an argument or input field. Mostly of the right GraphQL type (hostile inside
 * it), so that a whole input object often gets past GraphQL's checks to vsnap's rules; now
 * and then of a wrong JSON type, or null / left out where that is required.
 */
function valueFor(type: GraphQLInputType, name: string, leaves: Leaves = LEAVES.large, mode: Mode = 'hostile'): fc.Arbitrary<unknown> {
  const required = isNonNullType(type);
  const inner = isNonNullType(type) ? type.ofType : type;
  const wellTyped = wellTypedValue(inner, name, leaves, mode);
  if (mode === 'calm') return required ? wellTyped : fc.oneof({ weight: 3, arbitrary: wellTyped }, { weight: 1, arbitrary: fc.constant(OMIT) });
  return fc.oneof(
    { weight: 40, arbitrary: wellTyped },
    { weight: 1, arbitrary: wrongJson },
    { weight: 1, arbitrary: fc.constant(required ? null : OMIT) },
    { weight: required ? 1 : 8, arbitrary: fc.constant(OMIT) },
    { weight: required ? 0 : 4, arbitrary: fc.constant(null) },
  );
}

/**
 * An object of these fields (an input object, or a field's arguments): either every field
 * hostile, or exactly one hostile and the others calm — so each rule is reached alone too.
 */
function objectOf(fields: readonly { name: string; type: GraphQLInputType }[], leaves: Leaves, mode: Mode): fc.Arbitrary<Record<string, unknown>> {
  const record = (modeOf: (index: number) => Mode) =>
    fc.record(Object.fromEntries(fields.map((field, index) => [field.name, valueFor(field.type, field.name, leaves, modeOf(index))])));
  const values =
    mode === 'calm' || fields.length < 2
      ? record(() => mode)
      : fc.oneof(record(() => 'hostile'), fc.nat(fields.length - 1).chain((hostile) => record((index) => (index === hostile ? 'hostile' : 'calm'))));
  return values.map((object) => Object.fromEntries(Object.entries(object).filter(([, value]) => value !== OMIT)));
}

function wellTypedValue(type: GraphQLInputType, name: string, leaves: Leaves, mode: Mode): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return wellTypedValue(type.ofType, name, leaves, mode);
  if (isListType(type)) {
    const item = type.ofType as GraphQLInputType;
    if (mode === 'calm') return fc.array(valueFor(item, name, leaves, 'calm'), { minLength: 1, maxLength: 3 });
    return fc.oneof(
      { weight: 8, arbitrary: fc.array(valueFor(item, name, leaves), { maxLength: 4 }) },
      // Longer than a loader's batch (500 ids per statement).
      { weight: 1, arbitrary: fc.array(wellTypedValue(item, name, LEAVES.small, 'hostile'), { minLength: 501, maxLength: 600 }) },
      { weight: 1, arbitrary: valueFor(item, name, leaves) },
    );
  }
  if (isInputObjectType(type)) {
    const object = objectOf(Object.values(type.getFields()), leaves, mode);
    if (mode === 'calm') return object;
    // One object in 30 has a field its type does not define.
    const extraField = fc.oneof({ weight: 29, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(leaves.strings, wrongJson) });
    return fc.tuple(object, extraField).map(([value, extra]) => (extra ? { ...value, [extra[0]]: extra[1] } : value));
  }
  const values = isEnumType(type) ? fc.constantFrom(...type.getValues().map((v) => v.name)) : undefined;
  if (mode === 'calm') return values ?? CALM[name] ?? calmScalar(type.name);
  if (values) return fc.oneof({ weight: 8, arbitrary: values }, { weight: 1, arbitrary: leaves.strings });
  if (!isScalarType(type)) throw new Error(`no values for ${String(type)}`);
  const plausible = PLAUSIBLE[name];
  const hostile = scalarValue(type.name, leaves);
  return plausible ? fc.oneof({ weight: 2, arbitrary: plausible }, { weight: 3, arbitrary: hostile }) : hostile;
}

function scalarValue(scalar: string, leaves: Leaves): fc.Arbitrary<unknown> {
  switch (scalar) {
    case 'Int':
      return hostileInt;
    case 'Float':
      return hostileFloat;
    case 'Boolean':
      return fc.oneof({ weight: 15, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('true', 0, 1) });
    case 'ID':
      return leaves.ids;
    case 'String':
      return leaves.strings;
    case 'DateTime':
      return fc.oneof(
        fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
        fc.constantFrom('2026-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', 'yesterday', '1'),
        leaves.strings,
      );
    case '_Any':
      return representationOf(leaves.ids);
    default:
      throw new Error(`no values for the scalar ${scalar}: add them to this test`);
  }
}

function variablesFor(target: Target): fc.Arbitrary<unknown> {
  const variables = objectOf(target.args, LEAVES.large, 'hostile').map((values) =>
    target.parent ? { ...values, [target.parent.variable]: target.parent.ref } : values,
  );
  // Now and then the variables as a whole are not even an object.
  return fc.oneof({ weight: 30, arbitrary: variables }, { weight: 1, arbitrary: wrongJson });
}

// ---------------------------------------------------------------------------------------------
// The service under test
// ---------------------------------------------------------------------------------------------

let app: TestApp;
const callers = {} as Record<'platformAdmin' | 'projectAdmin', string>;
const PROJECTS = { P, Q } as const;

async function gql(query: string, variables: unknown, token: string, stream = false) {
  // A subscription is registered before its stream's headers are sent: with none live before, one live after is this one, accepted.
  const live = () => metric(app.url, 'vsnap_subscriptions_active');
  if (stream) await waitFor('earlier subscriptions to end', async () => (await live()) === 0);
  const controller = new AbortController();
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/graphql-response+json, application/json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  if (!stream || !response.headers.get('content-type')?.startsWith('text/event-stream')) return { status: response.status, text: await response.text() };
  if ((await live()) > 0) {
    controller.abort();
    return { status: response.status, text: '{"data":{}}' };
  }
  // Refused: its one result, the errors; then the stream is dropped, as a client that goes away.
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let received = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    received += decoder.decode(chunk.value, { stream: true });
    const next = /event: next\ndata: (.*)\n\n/.exec(received);
    if (next) {
      controller.abort();
      return { status: response.status, text: next[1]! };
    }
  }
  return { status: response.status, text: received };
}

async function seed(projectId: string, index: number) {
  const register = await gql(
    'mutation Seed($input: RegisterVirtualClusterInput!) { registerVirtualCluster(input: $input) { id } }',
    { input: { projectId, name: `seed-${index}-${Date.now()}`, kubeconfig: { secretRef: 'vc/config' } } },
    callers.platformAdmin,
  );
  const clusterId = (JSON.parse(register.text) as { data: { registerVirtualCluster: { id: string } } }).data.registerVirtualCluster.id;
  await gql('mutation Seed($id: ID!) { createSnapshot(virtualClusterId: $id) { id } }', { id: clusterId }, callers.platformAdmin);
}

/** The ids that exist now, per kind and project; a project left without clusters gets new ones. */
async function currentRows() {
  const em = app.orm.em.fork();
  const rows = async () => ({
    cluster: await em.getConnection().execute<{ id: string; project_id: string }[]>('select id, project_id from virtual_cluster order by created_at, id'),
    snapshot: await em.getConnection().execute<{ id: string; project_id: string }[]>('select id, project_id from snapshot order by scheduled_at, id'),
  });
  let found = await rows();
  for (const [key, projectId] of Object.entries(PROJECTS)) {
    if (!found.cluster.some((row) => row.project_id === projectId) || !found.snapshot.some((row) => row.project_id === projectId)) {
      await seed(projectId, Number(key === 'Q'));
      found = await rows();
    }
  }
  return (ref: Ref) => {
    const ids = found[ref.kind].filter((row) => row.project_id === PROJECTS[ref.project]).map((row) => row.id);
    return ids[ref.index % ids.length]!;
  };
}

function resolveRefs(value: unknown, idOf: (ref: Ref) => string): unknown {
  if (value instanceof Ref) return idOf(value);
  if (Array.isArray(value)) return value.map((item) => resolveRefs(item, idOf));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveRefs(item, idOf)]));
  return value;
}

beforeAll(async () => {
  console.log(`property seed ${SEED} (PROPERTY_SEED=${SEED} to replay), ${RUNS} runs per field`);
  app = await startTestApp();
  callers.platformAdmin = await tokens.platformAdmin();
  callers.projectAdmin = await tokens.projectAdmin(P);
  for (let index = 0; index < 3; index++) {
    await seed(P, index);
    await seed(Q, index);
  }
});
afterAll(() => app?.close());

interface ErrorBody {
  message?: unknown;
  extensions?: { code?: unknown };
}

describe('hostile values for every argument', () => {
  it('covers every argument of every field that takes one, input objects and _entities included', () => {
    const names = TARGETS.flatMap((target) => target.args.map((arg) => `${target.name}(${arg.name})`));
    expect(names).toEqual(
      expect.arrayContaining([
        'Query._entities(representations)',
        'Query.virtualCluster(id)',
        'Query.virtualClusters(after)',
        'Mutation.removeVirtualCluster(id)',
        'Mutation.setAutoSnapshotPolicy(policy)',
        'Mutation.deleteSnapshot(id)',
        'VirtualCluster.snapshots(status)',
        'VirtualCluster.snapshots(before)',
      ]),
    );
    // Every field of the schema with arguments is a target (a new one is covered without editing this file).
    const withArgs = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__'))
      .flatMap((type) => Object.values((type as GraphQLObjectType).getFields()).filter((f) => f.args.length).map((f) => `${type.name}.${f.name}`));
    expect(TARGETS.map((target) => target.name)).toEqual(expect.arrayContaining(withArgs));
  });

  it.each(TARGETS.map((target) => ({ ...target, label: target.name })))('$label', async (target) => {
    const runs = target.args.length ? RUNS : 3;
    /** How the calls ended (a code, or OK): the values must reach the resolvers, not only GraphQL's type checks. */
    const outcomes: Record<string, number> = {};
    await assertProperty(
      fc.asyncProperty(fc.constantFrom('platformAdmin' as const, 'platformAdmin' as const, 'projectAdmin' as const), variablesFor(target), async (caller, generated) => {
        const idOf = await currentRows();
        const variables = resolveRefs(generated, idOf);
        const before = await tableState(app.orm);
        const { status, text } = await gql(target.document, variables, callers[caller], target.stream);
        const context = () => `${caller} → HTTP ${status}: ${text.slice(0, 600)}`;

        expect(status, context()).toBeLessThan(500);
        let body: { errors?: ErrorBody[]; data?: unknown };
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          // Only a request refused for its size may come without a GraphQL body (a limit of the HTTP edge).
          expect(status, context()).toBe(413);
          body = { errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] };
        }
        for (const error of body.errors ?? []) {
          expect(error.extensions?.code, context()).not.toBe('INTERNAL_SERVER_ERROR');
          if (status !== 413) {
            expect(CLIENT_CODES, context()).toContain(error.extensions?.code);
            expect(typeof error.message === 'string' && error.message.length > 0, context()).toBe(true);
            expect(Array.from(String(error.message)).length, context()).toBeLessThanOrEqual(MESSAGE_LIMIT + 20);
          }
        }
        if (body.errors?.length || status >= 400) expect(await tableState(app.orm), `a rejected call wrote: ${context()}`).toEqual(before);
        const outcome = String(body.errors?.[0]?.extensions?.code ?? 'OK');
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }),
      { seed: SEED, numRuns: runs, endOnFailure: true },
    );
    console.log(`${target.name}: ${JSON.stringify(outcomes)}`);
    const reachedResolvers = Object.entries(outcomes)
      .filter(([outcome]) => !['BAD_USER_INPUT', 'BAD_REQUEST'].includes(outcome))
      .reduce((sum, [, count]) => sum + count, 0);
    expect(reachedResolvers, `${target.name}: no call got past GraphQL's type checks`).toBeGreaterThan(runs / 4);
  }, 180_000);

/** fc.assert, with the report cut to a readable size: a counterexample may hold a 4 MB string. */
async function assertProperty<T>(property: fc.IAsyncProperty<T>, parameters: fc.Parameters<T>) {
  const details = await fc.check(property, parameters);
  if (!details.failed) return;
  const cut = (text: string) => (text.length > 3000 ? `${text.slice(0, 3000)}…(${text.length} characters)` : text);
  const counterexample = cut(fc.stringify(details.counterexample));
  throw new Error(`property failed (seed ${details.seed}, path ${details.counterexamplePath}): ${counterexample}\n${cut(String(details.errorInstance))}`);
}
});
