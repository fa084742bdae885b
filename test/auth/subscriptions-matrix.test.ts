/**
 * The authorization matrix of subscriptions: every role × both subscriptions (snapshotEvents with
 * each kind of filter, snapshotUpdated) × both transports (SSE, graphql-ws), against a running
 * vsnap on real Postgres, events written through the real transitions module.
 *
 * Rule (as for queries, test/auth/auth-matrix.test.ts): snapshot events and states are for
 * platform admins and the admins of the cluster's project. A member of the project is refused
 * (FORBIDDEN); to a caller outside it the cluster and snapshot do not exist (NOT_FOUND), while a
 * project is no secret (FORBIDDEN). Without a filter, snapshotEvents carries the events of the
 * projects the caller administers (all for a platform admin), and is FORBIDDEN to a caller who
 * administers none. No token: HTTP 401 over SSE, 4403 at connection_init over graphql-ws.
 *
 * An allowed subscription is checked to deliver exactly what it should: the events replayed after
 * `since`, then live ones, with an event the caller may not see committed just before one it may
 * (delivery is in cursor order, so the visible one arriving with nothing before it proves the
 * other was filtered out).
 */
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCursor } from '../../src/events/log.ts';
import { LiveCursorsDocument, LiveSnapshotDocument, type LiveCursorsSubscriptionVariables } from '../generated/graphql.ts';
import { subscribeSse } from '../events/sse.ts';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { insertCluster, move, schedule } from '../support/snapshots.ts';
import { openSocket, subscribeWs, wsUrl } from '../support/ws-client.ts';
import { SnapshotSchema } from '../../src/snapshots/entity.ts';

const ROLES = ['platformAdmin', 'projectAdmin', 'member', 'outsider', 'anonymous'] as const;
type Role = (typeof ROLES)[number];
const TRANSPORTS = ['sse', 'graphql-ws'] as const;
type Transport = (typeof TRANSPORTS)[number];

const WHO: Record<Role, string> = {
  platformAdmin: 'platform admin',
  projectAdmin: "admin of the cluster's project",
  member: "member of the cluster's project",
  outsider: 'admin of another project',
  anonymous: 'no token',
};

/** ALLOWED, or the code of the error the subscription ends with at once. */
type Outcome = 'ALLOWED' | 'FORBIDDEN' | 'NOT_FOUND' | 'UNAUTHENTICATED';

/** Which project's events (P1: the cluster under test's, P2: another's) the caller receives without a filter. */
const UNFILTERED_SEES: Record<Role, readonly ('P1' | 'P2')[]> = {
  platformAdmin: ['P1', 'P2'],
  projectAdmin: ['P1'],
  member: [], // FORBIDDEN
  outsider: ['P2'],
  anonymous: [],
};

const CASES = {
  'snapshotEvents(virtualClusterId)': { platformAdmin: 'ALLOWED', projectAdmin: 'ALLOWED', member: 'FORBIDDEN', outsider: 'NOT_FOUND', anonymous: 'UNAUTHENTICATED' },
  'snapshotEvents(projectId)': { platformAdmin: 'ALLOWED', projectAdmin: 'ALLOWED', member: 'FORBIDDEN', outsider: 'FORBIDDEN', anonymous: 'UNAUTHENTICATED' },
  'snapshotEvents (no filter)': { platformAdmin: 'ALLOWED', projectAdmin: 'ALLOWED', member: 'FORBIDDEN', outsider: 'ALLOWED', anonymous: 'UNAUTHENTICATED' },
  'snapshotUpdated(id)': { platformAdmin: 'ALLOWED', projectAdmin: 'ALLOWED', member: 'FORBIDDEN', outsider: 'NOT_FOUND', anonymous: 'UNAUTHENTICATED' },
} satisfies Record<string, Record<Role, Outcome>>;
type Case = keyof typeof CASES;

let app: TestApp;
/** The cluster under test (project P1) and its snapshot; another project's (P2). */
let p1: { project: string; cluster: string; snapshot: string };
let p2: { project: string; cluster: string; snapshot: string };
let tokenOf: Record<Role, string | undefined>;

async function completedSnapshot(): Promise<{ project: string; cluster: string; snapshot: string }> {
  const cluster = await insertCluster(app.orm);
  const snapshot = await schedule(app.orm, cluster.id);
  await move(app.orm, snapshot.id, 'IN_PROGRESS');
  await move(app.orm, snapshot.id, 'COMPLETED');
  return { project: cluster.projectId, cluster: cluster.id, snapshot: snapshot.id };
}

/** One more event of a stored snapshot (its object goes missing or comes back); its cursor. */
async function flap(snapshotId: string): Promise<string> {
  const { status } = await app.orm.em.fork().findOneOrFail(SnapshotSchema, { id: snapshotId });
  return String((await move(app.orm, snapshotId, status === 'NOT_FOUND' ? 'COMPLETED' : 'NOT_FOUND')).id);
}

beforeAll(async () => {
  app = await startTestApp();
  [p1, p2] = [await completedSnapshot(), await completedSnapshot()];
  tokenOf = {
    platformAdmin: await tokens.platformAdmin(),
    projectAdmin: await tokens.projectAdmin(p1.project),
    member: await tokens.member(p1.project),
    outsider: await tokens.projectAdmin(p2.project),
    anonymous: undefined,
  };
});
afterAll(() => app.close());

interface Subscription {
  results: ExecutionResult<Record<string, unknown>>[];
  readonly completed: boolean;
  until(what: string, check: (results: ExecutionResult<Record<string, unknown>>[]) => boolean): Promise<unknown>;
  ended(): Promise<void>;
  close(): Promise<void> | void;
}

async function subscribe(transport: Transport, document: typeof LiveCursorsDocument | typeof LiveSnapshotDocument, variables: object, token: string): Promise<Subscription> {
  if (transport === 'graphql-ws') {
    const ws = await subscribeWs(app.url, document as typeof LiveCursorsDocument, variables as LiveCursorsSubscriptionVariables, token);
    return { results: ws.results as Subscription['results'], get completed() { return ws.completed; }, until: ws.until, ended: () => ws.ended(), close: () => ws.close() };
  }
  const sse = await subscribeSse(app.url, document as typeof LiveCursorsDocument, variables as LiveCursorsSubscriptionVariables, token);
  expect(sse.status).toBe(200);
  return { results: sse.results as Subscription['results'], get completed() { return sse.completed; }, until: sse.until, ended: () => sse.closed(), close: () => sse.abort() };
}

const cursors = (results: ExecutionResult<Record<string, unknown>>[]) =>
  results.map((result) => (result.data?.snapshotEvents as { cursor: string } | undefined)?.cursor ?? result.errors);

function variablesOf(name: Case, since: string): Record<string, string> {
  if (name === 'snapshotEvents(virtualClusterId)') return { virtualClusterId: p1.cluster, since };
  if (name === 'snapshotEvents(projectId)') return { projectId: p1.project, since };
  if (name === 'snapshotEvents (no filter)') return { since };
  return { id: p1.snapshot };
}

/** The refusal a case ends with: FORBIDDEN by scope-auth, NOT_FOUND naming the argument, as for an id of nothing. */
function refusal(name: Case, outcome: 'FORBIDDEN' | 'NOT_FOUND') {
  const field = name.startsWith('snapshotUpdated') ? 'snapshotUpdated' : 'snapshotEvents';
  if (outcome === 'FORBIDDEN') return { message: `not allowed to read Subscription.${field}`, extensions: { code: 'FORBIDDEN' } };
  return { extensions: { code: 'NOT_FOUND', field: name === 'snapshotUpdated(id)' ? 'id' : 'virtualClusterId' } };
}

async function expectUnauthenticated(transport: Transport, name: Case): Promise<void> {
  const document = name === 'snapshotUpdated(id)' ? LiveSnapshotDocument : LiveCursorsDocument;
  if (transport === 'sse') {
    const sse = await subscribeSse(app.url, document as typeof LiveCursorsDocument, variablesOf(name, '0') as LiveCursorsSubscriptionVariables, undefined);
    expect(sse.status).toBe(401);
    // Refused before any stream: the body is yoga's one `next` event (in SSE framing) with the error.
    const body = [...(sse.text ?? '').matchAll(/^data: (.+)$/gm)].map((match) => JSON.parse(match[1]!) as unknown);
    expect(body).toEqual([{ errors: [{ message: 'an Authorization: Bearer <token> header is required', extensions: { code: 'UNAUTHENTICATED' } }] }]);
    return;
  }
  const socket = await openSocket(wsUrl(app.url));
  socket.send({ type: 'connection_init' });
  expect((await socket.closed).code).toBe(4403);
}

describe.each(TRANSPORTS)('over %s', (transport) => {
  describe.each(Object.keys(CASES) as Case[])('%s', (name) => {
    it.each(ROLES.map((role) => [WHO[role], role, CASES[name][role]] as const))('%s: %s', async (_who, role, outcome) => {
      if (outcome === 'UNAUTHENTICATED') return expectUnauthenticated(transport, name);
      const token = tokenOf[role]!;
      const since = String(await latestCursor(app.orm.em.fork()));
      // Replayed after `since` by snapshotEvents: another project's event, then the cluster under test's.
      const [e2, e1] = name === 'snapshotUpdated(id)' ? [] : [await flap(p2.snapshot), await flap(p1.snapshot)];
      const document = name === 'snapshotUpdated(id)' ? LiveSnapshotDocument : LiveCursorsDocument;
      const subscription = await subscribe(transport, document, variablesOf(name, since), token);

      if (outcome !== 'ALLOWED') {
        await subscription.ended();
        expect(subscription.results).toEqual([{ errors: [expect.objectContaining(refusal(name, outcome))] }]);
        expect(JSON.stringify(subscription.results)).not.toContain(p1.snapshot);
        return;
      }

      if (name === 'snapshotUpdated(id)') {
        await subscription.until('the current state', (results) => results.length >= 1);
        await flap(p2.snapshot);
        await flap(p1.snapshot);
        await subscription.until('the next state', (results) => results.length === 2);
        const { status } = await app.orm.em.fork().findOneOrFail(SnapshotSchema, { id: p1.snapshot });
        expect(subscription.results.map((result) => result.data?.snapshotUpdated)).toEqual([
          expect.objectContaining({ id: p1.snapshot }),
          expect.objectContaining({ id: p1.snapshot, status }),
        ]);
        await subscription.close();
        return;
      }

      const sees = name === 'snapshotEvents (no filter)' ? UNFILTERED_SEES[role] : (['P1'] as const);
      const replayed = [e2!, e1!].filter((_, index) => sees.includes(index === 0 ? 'P2' : 'P1'));
      await subscription.until('the replayed events', (results) => results.length >= replayed.length);
      // Live: an event it may not see, then one it may (P1's unless it sees only P2).
      const hiddenFirst = sees.includes('P1') ? p2.snapshot : p1.snapshot;
      const visibleLast = sees.includes('P1') ? p1.snapshot : p2.snapshot;
      const hidden = await flap(hiddenFirst);
      const visible = await flap(visibleLast);
      await subscription.until('the live event', (results) => cursors(results).includes(visible));
      const expected = sees.length === 2 ? [...replayed, hidden, visible] : [...replayed, visible];
      expect(cursors(subscription.results)).toEqual(expected);
      expect(subscription.completed).toBe(false);
      await subscription.close();
    });
  });
});

describe('a refused subscription leaves the connection usable', () => {
  it('a member who is admin of another project: FORBIDDEN on one operation, the next on the same connection delivers', async () => {
    const token = await tokens.as('member-here-admin-there', { projects: { [p1.project]: 'member', [p2.project]: 'admin' } });
    const ws = await subscribeWs(app.url, LiveSnapshotDocument, { id: p1.snapshot }, token);
    await ws.ended();
    expect(ws.results).toEqual([{ errors: [expect.objectContaining({ message: 'not allowed to read Subscription.snapshotUpdated', extensions: { code: 'FORBIDDEN' } })] }]);
    expect(ws.failed).toBe(false);
    expect(ws.socket.socket.readyState).toBe(ws.socket.socket.OPEN);
    // A second operation on the same connection.
    ws.socket.send({ id: '2', type: 'subscribe', payload: { query: 'subscription ($id: ID!) { snapshotUpdated(id: $id) { id } }', variables: { id: p2.snapshot } } });
    await expect(nextOf(ws.socket, '2')).resolves.toEqual({ id: '2', type: 'next', payload: { data: { snapshotUpdated: { id: p2.snapshot } } } });
    await ws.close();
  });
});

async function nextOf(socket: Awaited<ReturnType<typeof openSocket>>, id: string) {
  for (;;) {
    const message = await socket.next();
    if (message.id === id) return message;
  }
}
