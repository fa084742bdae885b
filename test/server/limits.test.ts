/** graphql-armor's limits: an operation over any of them is refused before anything runs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';
import { postGraphQL, type RawResponse } from './helpers.ts';

const LIMITS = { maxDepth: 6, maxAliases: 3, maxTokens: 250, maxCost: 1000 };

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp({ limits: LIMITS });
  admin = await tokens.platformAdmin();
});
afterAll(() => app.close());

let counter = 0;
const uniqueProject = () => `server-limits-${process.pid}-${++counter}`;
const countClusters = () => app.orm.em.fork().count(VirtualClusterSchema, {});

/** `registerVirtualCluster` with a literal input, so the operation needs no variables. */
const register = (selection: string, alias = '') =>
  `${alias ? `${alias}: ` : ''}registerVirtualCluster(input: { projectId: "${uniqueProject()}", name: "prod", kubeconfig: { inline: "${STATIC_KUBECONFIG}" } }) ${selection}`;

/**
 * A VirtualCluster selection that makes `register(…)` exactly `depth` deep:
 * registerVirtualCluster → snapshots → edges → node → virtualCluster → snapshots → … → id.
 */
function deepClusterSelection(depth: number): string {
  const path = ['snapshots', 'edges', 'node', 'virtualCluster'];
  const wrappers = Array.from({ length: depth - 2 }, (_, i) => path[i % path.length]!);
  // A SnapshotConnection has no scalar field to end on: go to the (scalar-ended) policy instead.
  if (wrappers.at(-1) === 'snapshots') wrappers[wrappers.length - 1] = 'autoSnapshotPolicy';
  const leaf = { snapshots: 'cursor', edges: 'cursor', node: 'id', virtualCluster: 'id', autoSnapshotPolicy: 'enabled' }[wrappers.at(-1) ?? 'virtualCluster'];
  return wrappers.reduceRight((inner, field) => `{ ${field} ${inner} }`, `{ ${leaf} }`);
}

async function operationsExecuted(): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  return [...text.matchAll(/^vsnap_graphql_operations_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Sends `query` and checks it was refused with one error matching `message`, with nothing executed or written. */
async function expectRefused(query: string, message: RegExp, code = 'GRAPHQL_VALIDATION_FAILED'): Promise<RawResponse> {
  const [clustersBefore, executedBefore] = [await countClusters(), await operationsExecuted()];
  const response = await postGraphQL(app.url, query, { token: admin });
  expect(response.body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(message), extensions: { code } })]);
  expect(response.body.data ?? undefined).toBeUndefined();
  // GraphQL over HTTP: a request that fails to parse or validate is a 400 for application/graphql-response+json.
  expect(response.status).toBe(400);
  expect(await countClusters()).toBe(clustersBefore);
  expect(await operationsExecuted()).toBe(executedBefore);
  return response;
}

async function expectAccepted(query: string): Promise<RawResponse> {
  const response = await postGraphQL(app.url, query, { token: admin });
  expect(response.body.errors).toBeUndefined();
  expect(response.status).toBe(200);
  return response;
}

describe('query depth', () => {
  it('accepts an operation exactly at the limit', async () => {
    const before = await countClusters();
    await expectAccepted(`mutation { ${register(deepClusterSelection(LIMITS.maxDepth))} }`);
    expect(await countClusters()).toBe(before + 1);
  });

  it('refuses one level more, naming the limit, and registers nothing', async () => {
    await expectRefused(
      `mutation { ${register(deepClusterSelection(LIMITS.maxDepth + 1))} }`,
      new RegExp(`^Syntax Error: Query depth limit of ${LIMITS.maxDepth} exceeded, found ${LIMITS.maxDepth + 1}\\.$`),
    );
  });

  it('counts depth inside fragments too', async () => {
    await expectRefused(
      `mutation { ${register('{ ...deep }')} } fragment deep on VirtualCluster ${deepClusterSelection(LIMITS.maxDepth + 3)}`,
      /Query depth limit of 6 exceeded/,
    );
  });
});

describe('aliases', () => {
  const aliased = (count: number) =>
    `mutation { ${Array.from({ length: count }, (_, i) => register('{ id }', `c${i}`)).join(' ')} }`;

  it('accepts as many aliases as the limit allows', async () => {
    const before = await countClusters();
    await expectAccepted(aliased(LIMITS.maxAliases));
    expect(await countClusters()).toBe(before + LIMITS.maxAliases);
  });

  it('refuses one alias more, naming the limit, and registers none of them', async () => {
    await expectRefused(aliased(LIMITS.maxAliases + 1), new RegExp(`Aliases limit of ${LIMITS.maxAliases} exceeded, found ${LIMITS.maxAliases + 1}\\.$`));
  });
});

describe('tokens', () => {
  it('refuses a document with too many tokens before parsing it into an operation', async () => {
    const padded = `mutation { ${register(`{ ${'id '.repeat(LIMITS.maxTokens)}}`)} }`;
    await expectRefused(padded, new RegExp(`^Syntax Error: Token limit of ${LIMITS.maxTokens} exceeded\\.$`), 'GRAPHQL_PARSE_FAILED');
  });

  it('accepts a document under the limit', async () => {
    await expectAccepted(`{ virtualClusters(first: 1) { edges { node { ${'id '.repeat(LIMITS.maxTokens / 2)}} } } }`);
  });
});

describe('cost', () => {
  const clusters = (first: number, alias = '') =>
    `${alias ? `${alias}: ` : ''}virtualClusters(first: ${first}) { edges { node { id name autoSnapshotPolicy { enabled schedule } } } }`;

  it('accepts a page whose estimated cost is under the limit', async () => {
    await expectAccepted(`{ ${clusters(10)} }`);
  });

  it('refuses a page size that pushes the cost over the limit, though depth, aliases and tokens are fine', async () => {
    await expectRefused(`{ ${clusters(100)} }`, new RegExp(`Query Cost limit of ${LIMITS.maxCost} exceeded, found \\d+(\\.\\d+)?\\.$`));
  });

  it('adds up the cost of aliased copies', async () => {
    // armor multiplies by `first`: one page of 10 costs about 330, four of them about 1300.
    await expectAccepted(`{ ${clusters(10, 'a')} }`);
    await expectRefused(`{ ${[1, 2, 3].map((i) => clusters(10, `c${i}`)).join(' ')} ${clusters(10)} }`, /Query Cost limit of 1000 exceeded/);
  });
});

describe('reporting', () => {
  it('answers application/json clients 200 with the same coded error (the spec allows it)', async () => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: `mutation { ${register(deepClusterSelection(LIMITS.maxDepth + 1))} }` }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      errors: [{ message: expect.stringContaining('Query depth limit of 6 exceeded'), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
    });
  });

  it('reports every limit an operation breaks at once, and still runs none of it', async () => {
    const before = await countClusters();
    const query = `mutation { ${Array.from({ length: LIMITS.maxAliases + 1 }, (_, i) => register(deepClusterSelection(LIMITS.maxDepth + 1), `c${i}`)).join(' ')} }`;
    const response = await postGraphQL(app.url, query, { token: admin });
    expect(response.status).toBe(400);
    expect(response.body.data ?? undefined).toBeUndefined();
    const messages = response.body.errors?.map((error) => error.message) ?? [];
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('Query depth limit'), expect.stringContaining('Aliases limit')]));
    expect(await countClusters()).toBe(before);
  });
});
