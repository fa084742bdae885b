/**
 * Fan-out over SSE against a running vsnap on real Postgres: replay then live with no gap and no
 * duplicate under concurrent writers, live from the latest event without `since`, a slow consumer
 * ended with its server memory bounded, and a LISTEN connection killed under a subscriber.
 * Events are written through the real transitions module (test/support/snapshots.ts).
 */
import http from 'node:http';
import { print } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_APPLICATION_NAME } from '../../src/events/listener.ts';
import { pruneEventLog } from '../../src/events/retention.ts';
import { SnapshotSchema } from '../../src/snapshots/entity.ts';
import { EVENT_CURSOR_LOCK, SNAPSHOT_EVENTS_CHANNEL } from '../../src/snapshots/transitions.ts';
import { LiveCursorsDocument, LiveEventsDocument, LiveSnapshotDocument } from '../generated/graphql.ts';
import { waitFor } from '../server/helpers.ts';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { insertCluster, move, schedule } from '../support/snapshots.ts';
import { ackedSocket, wsUrl } from '../support/ws-client.ts';
import { logCursors, metric } from './metrics.ts';
import { subscribeSse } from './sse.ts';

/**
 * Above the 42 events the hand-over test has waiting while it replays (a replaying subscriber's live
 * events count against its buffer), so only the slow-consumer test, which keeps writing, overflows it.
 */
const BUFFER = 50;
let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp({ subscriptions: { bufferEvents: BUFFER, replayPageSize: 2 } });
  admin = await tokens.platformAdmin();
});
afterAll(() => app?.close());

/** A COMPLETED snapshot of the cluster (3 events). */
async function completed(clusterId: string): Promise<string> {
  const snapshot = await schedule(app.orm, clusterId);
  await move(app.orm, snapshot.id, 'IN_PROGRESS');
  await move(app.orm, snapshot.id, 'COMPLETED');
  return snapshot.id;
}

/** `count` more events of a stored snapshot: its object goes missing, or comes back (the reconciler's moves). */
async function flap(snapshotId: string, count: number, message?: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const { status } = await app.orm.em.fork().findOneOrFail(SnapshotSchema, { id: snapshotId });
    await move(app.orm, snapshotId, status === 'NOT_FOUND' ? 'COMPLETED' : 'NOT_FOUND', message);
  }
}

const cursorsOf = (results: { data?: { snapshotEvents: { cursor: string } } | null }[]) => results.map((result) => result.data?.snapshotEvents.cursor);

describe('snapshotEvents over SSE', () => {
  it('replays the events after since in order, then goes live: no gap and no duplicate at the hand-over, with writers committing throughout', async () => {
    const cluster = await insertCluster(app.orm);
    const [first, second] = [await completed(cluster.id), await completed(cluster.id)];
    const before = await logCursors(app.orm, { virtualClusterId: cluster.id });
    const since = before[1]!;

    // Two writers commit while the subscriber replays (in pages of 2) and switches to live.
    const writers = Promise.all([flap(first, 20), flap(second, 20)]);
    const subscriber = await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: cluster.id, since }, admin);
    await writers;
    const expected = await logCursors(app.orm, { virtualClusterId: cluster.id }, Number(since));
    expect(expected).toHaveLength(before.length - 2 + 40);
    await subscriber.until('the last event', (results) => cursorsOf(results).at(-1) === expected.at(-1));
    expect(cursorsOf(subscriber.results)).toEqual(expected);
    expect(subscriber.results.every((result) => result.errors === undefined)).toBe(true);
    subscriber.abort();
  });

  it('without since, starts live from the latest event', async () => {
    const cluster = await insertCluster(app.orm);
    const snapshot = await completed(cluster.id);
    const subscriber = await subscribeSse(app.url, LiveEventsDocument, { virtualClusterId: cluster.id }, admin);
    await waitFor('the subscription to be registered', async () => (await metric(app.url, 'vsnap_subscriptions_active', { transport: 'sse' })) >= 1);
    const event = await move(app.orm, snapshot, 'NOT_FOUND', 'object gone');
    await subscriber.until('the live event', (results) => results.length === 1);
    expect(subscriber.results[0]!.data?.snapshotEvents).toMatchObject({
      cursor: String(event.id),
      snapshotId: snapshot,
      from: 'COMPLETED',
      to: 'NOT_FOUND',
      message: 'object gone',
      snapshot: { id: snapshot, status: 'NOT_FOUND' },
    });
    subscriber.abort();
  });

  it('answers VALIDATION on since for a value that is no cursor, or one ahead of the log', async () => {
    for (const since of ['-1', '1.5', 'abc', '9223372036854775808', '']) {
      const subscriber = await subscribeSse(app.url, LiveCursorsDocument, { since }, admin);
      await subscriber.closed();
      expect(subscriber.results.map((result) => result.errors?.map((error) => [error.extensions?.code, error.extensions?.field])), since).toEqual([[['VALIDATION', 'since']]]);
    }
    const ahead = await subscribeSse(app.url, LiveCursorsDocument, { since: '9223372036854775807' }, admin);
    await ahead.closed();
    expect(ahead.results[0]!.errors?.[0]).toMatchObject({ extensions: { code: 'VALIDATION', field: 'since' } });
  });
});

/** An SSE subscription whose client reads nothing until told to. */
async function stalledSubscriber(variables: { virtualClusterId: string; since?: string }) {
  const body = JSON.stringify({ query: print(LiveEventsDocument), variables });
  const request = http.request(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${admin}` },
  });
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once('response', resolve).once('error', reject);
    request.end(body);
  });
  // Paused: Node stops reading the socket once its small buffer is full, and TCP pushes back on the server.
  response.pause();
  return {
    status: response.statusCode,
    /** Reads the rest of the stream, to its end. */
    async readAll(): Promise<{ event: string; data: string }[]> {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      const ended = new Promise((resolve) => response.once('end', resolve));
      response.resume();
      await ended;
      return Buffer.concat(chunks)
        .toString('utf8')
        .split('\n\n')
        .flatMap((message) => {
          const event = /^event: (\w+)$/m.exec(message)?.[1];
          return event ? [{ event, data: /^data: ?(.*)$/m.exec(message)?.[1] ?? '' }] : [];
        });
    },
  };
}

/**
 * Commits large events (they fill the socket's buffers quickly, then wait in the subscriber's
 * buffer) until a subscriber of `transport` is ended as slow; then checks the server never held
 * more than the buffer, dropped it, no longer serves it, and that more events cost it nothing.
 */
async function overflowUntilEnded(transport: string, snapshot: string, slowBefore: number, activeBefore: number): Promise<void> {
  const message = 'x'.repeat(64 * 1024);
  let committed = 0;
  let mostBuffered = 0;
  while ((await metric(app.url, 'vsnap_slow_consumers_total', { transport })) === slowBefore) {
    expect(committed, 'events committed before the subscriber was ended').toBeLessThan(2_000);
    await flap(snapshot, 2, message);
    committed += 2;
    mostBuffered = Math.max(mostBuffered, await metric(app.url, 'vsnap_subscription_buffered_events'));
  }
  await flap(snapshot, 20, message);
  expect(mostBuffered).toBeLessThanOrEqual(BUFFER);
  expect(await metric(app.url, 'vsnap_subscription_buffered_events')).toBe(0);
  expect(await metric(app.url, 'vsnap_subscriptions_active', { transport })).toBe(activeBefore);
}

describe('a slow consumer', () => {
  it(`over graphql-ws, a client that stops reading is ended with SLOW_CONSUMER on that operation once more than ${BUFFER} events wait; the connection stays usable`, async () => {
    const cluster = await insertCluster(app.orm);
    const snapshot = await completed(cluster.id);
    const slowBefore = await metric(app.url, 'vsnap_slow_consumers_total', { transport: 'graphql-ws' });
    const activeBefore = await metric(app.url, 'vsnap_subscriptions_active', { transport: 'graphql-ws' });
    const socket = await ackedSocket(wsUrl(app.url), `Bearer ${admin}`);
    socket.send({ id: 'events', type: 'subscribe', payload: { query: print(LiveEventsDocument), variables: { virtualClusterId: cluster.id } } });
    await waitFor('the subscription to be registered', async () => (await metric(app.url, 'vsnap_subscriptions_active', { transport: 'graphql-ws' })) === activeBefore + 1);
    // Reads nothing more: TCP pushes back on the server once the socket's buffers are full.
    socket.socket.pause();

    await overflowUntilEnded('graphql-ws', snapshot, slowBefore, activeBefore);

    // Reading again: what was on its way, in cursor order, then the error and `complete`; the connection is still open.
    socket.socket.resume();
    await waitFor('complete', () => socket.received.some((m) => m.type === 'complete' && m.id === 'events'), 30_000);
    type Result = { data: { snapshotEvents: { cursor: string } } | null; errors?: { extensions: { code: string } }[] };
    const results = socket.received.filter((m) => m.type === 'next' && m.id === 'events').map((m) => m.payload as Result);
    const failure = results.at(-1)!;
    expect(failure.data).toBeNull();
    expect(failure.errors?.map((error) => error.extensions.code)).toEqual(['SLOW_CONSUMER']);
    const received = results.slice(0, -1).map((result) => result.data!.snapshotEvents.cursor);
    const log = await logCursors(app.orm, { virtualClusterId: cluster.id }, 0);
    const start = log.indexOf(received[0]!);
    expect(received).toEqual(log.slice(start, start + received.length));
    socket.send({ type: 'ping' });
    await waitFor('a pong', () => socket.received.some((m) => m.type === 'pong'));
    await socket.close();
  });

  it(`is ended with SLOW_CONSUMER once more than ${BUFFER} events wait for it; the server never buffers more; it resumes with since`, async () => {
    const cluster = await insertCluster(app.orm);
    const snapshot = await completed(cluster.id);
    const slowBefore = await metric(app.url, 'vsnap_slow_consumers_total', { transport: 'sse' });
    const activeBefore = await metric(app.url, 'vsnap_subscriptions_active', { transport: 'sse' });
    const stalled = await stalledSubscriber({ virtualClusterId: cluster.id });
    expect(stalled.status).toBe(200);
    await waitFor('the subscription to be registered', async () => (await metric(app.url, 'vsnap_subscriptions_active', { transport: 'sse' })) === activeBefore + 1);

    await overflowUntilEnded('sse', snapshot, slowBefore, activeBefore);

    // What was already on its way arrives, then the error, then `complete`.
    const messages = await stalled.readAll();
    expect(messages.at(-1)?.event).toBe('complete');
    const results = messages.filter((m) => m.event === 'next').map((m) => JSON.parse(m.data) as { data: { snapshotEvents: { cursor: string } } | null; errors?: { extensions: { code: string } }[] });
    const failure = results.at(-1)!;
    expect(failure.data).toBeNull();
    expect(failure.errors?.map((error) => error.extensions.code)).toEqual(['SLOW_CONSUMER']);
    const received = results.slice(0, -1).map((result) => result.data!.snapshotEvents.cursor);
    const log = await logCursors(app.orm, { virtualClusterId: cluster.id }, 0);
    const start = log.indexOf(received[0]!);
    expect(received).toEqual(log.slice(start, start + received.length));

    // Resumed from the last cursor it received: every later event exactly once.
    const resumed = await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: cluster.id, since: received.at(-1)! }, admin);
    const rest = log.slice(start + received.length);
    await resumed.until('every missed event', (r) => r.length >= rest.length);
    expect(cursorsOf(resumed.results)).toEqual(rest);
    resumed.abort();
  });
});

describe('the LISTEN connection', () => {
  it('is one per process; killed under a subscriber, it is reopened and nothing is missed', async () => {
    const cluster = await insertCluster(app.orm);
    const snapshot = await completed(cluster.id);
    const database = new pg.Client({ connectionString: app.databaseUrl });
    await database.connect();
    try {
      const listeners = async () =>
        (await database.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1 and datname = current_database()', [LISTENER_APPLICATION_NAME])).rows.map((row) => row.pid);
      const [pid] = await listeners();
      expect(await listeners()).toEqual([pid]);

      const subscriber = await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: cluster.id }, admin);
      await flap(snapshot, 1);
      await subscriber.until('the first event', (results) => results.length === 1);

      // Killed (and gone, the `timeout` waits for it), then events committed before it can be back.
      await database.query('select pg_terminate_backend($1, 5000)', [pid]);
      await flap(snapshot, 5);
      const expected = (await logCursors(app.orm, { virtualClusterId: cluster.id })).slice(-6);
      await subscriber.until('every event', (results) => results.length === 6);
      expect(cursorsOf(subscriber.results)).toEqual(expected);

      const reopened = await waitFor('the listener to be back', async () => ((await listeners()).length === 1 ? listeners() : undefined));
      expect(reopened).not.toEqual([pid]);
      const lines = app.logs().map((line) => line.msg);
      expect(lines.filter((msg) => msg.startsWith('lost the LISTEN connection'))).toHaveLength(1);
      expect(lines.filter((msg) => msg.startsWith('listening for snapshot events again'))).toHaveLength(1);
      // Still live without resubscribing.
      await flap(snapshot, 1);
      await subscriber.until('a later event', (results) => results.length === 7);
      subscriber.abort();
    } finally {
      await database.end();
    }
  });
});

describe('a since older than the retained log', () => {
  /** Prunes the log as retention does: every event recorded before now. Returns the horizon. */
  async function pruneAll(): Promise<bigint> {
    const cutoff = new Date();
    await waitFor('the clock to pass the cutoff', () => Date.now() > cutoff.getTime() + 1);
    return (await pruneEventLog(app.orm.em.fork(), cutoff, 1_000)).horizon;
  }

  it('is CURSOR_EXPIRED below the horizon; from the horizon itself, every later event is replayed', async () => {
    const cluster = await insertCluster(app.orm);
    const snapshot = await completed(cluster.id);
    const last = (await logCursors(app.orm, { virtualClusterId: cluster.id })).at(-1)!;
    const horizon = await pruneAll();
    expect(horizon).toBe(BigInt(last));
    await flap(snapshot, 2);
    for (const since of ['0', String(horizon - 1n)]) {
      const expired = await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: cluster.id, since }, admin);
      await expired.closed();
      expect(expired.results.map((result) => result.errors?.map((error) => [error.extensions?.code, error.extensions?.field])), since).toEqual([[['CURSOR_EXPIRED', 'since']]]);
    }
    const resumed = await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: cluster.id, since: String(horizon) }, admin);
    const expected = await logCursors(app.orm, { virtualClusterId: cluster.id });
    expect(expected).toHaveLength(2);
    await resumed.until('both later events', (results) => results.length === 2);
    expect(cursorsOf(resumed.results)).toEqual(expected);
    resumed.abort();
  });

  it('ends a replay with CURSOR_EXPIRED when retention prunes past it while it replays', async () => {
    const cluster = await insertCluster(app.orm);
    const snapshot = await completed(cluster.id);
    // Enough large events that a subscriber that reads nothing holds the replay up half-way.
    await flap(snapshot, 150, 'x'.repeat(64 * 1024));
    const since = (await logCursors(app.orm, { virtualClusterId: cluster.id }))[0]!;
    const stalled = await stalledSubscriber({ virtualClusterId: cluster.id, since });
    await pruneAll();
    const messages = await stalled.readAll();
    expect(messages.at(-1)?.event).toBe('complete');
    const results = messages.filter((m) => m.event === 'next').map((m) => JSON.parse(m.data) as { data: { snapshotEvents: { cursor: string } } | null; errors?: { extensions: { code: string } }[] });
    expect(results.length).toBeLessThan(153);
    expect(results.at(-1)!.errors?.map((error) => error.extensions.code)).toEqual(['CURSOR_EXPIRED']);
    expect(results.slice(0, -1).every((result) => result.data?.snapshotEvents)).toBe(true);
  });
});

describe('snapshotUpdated', () => {
  it("sends no second state for the snapshot's creation, whose event can reach the feed after the first state was read", async () => {
    const cluster = await insertCluster(app.orm);
    const snapshot = await schedule(app.orm, cluster.id);
    const updates = await subscribeSse(app.url, LiveSnapshotDocument, { id: snapshot.id }, admin);
    await updates.until('the first state', (results) => results.length === 1);
    // Its CREATED event handed over only now, as when it was committed just before the subscription registered.
    await app.orm.em.fork().transactional((tx) =>
      tx.execute(
        `with cursor_lock as (select pg_advisory_xact_lock(?)),
         event as (
           insert into snapshot_event (kind, subject, snapshot_id, virtual_cluster_id, project_id, to_state, at)
           select 'CREATED', 'SNAPSHOT', ?, ?, ?, 'SCHEDULED', now() from cursor_lock returning id
         )
         select pg_notify(?, event.id::text) from event`,
        [EVENT_CURSOR_LOCK, snapshot.id, cluster.id, cluster.projectId, SNAPSHOT_EVENTS_CHANNEL],
      ),
    );
    await move(app.orm, snapshot.id, 'IN_PROGRESS');
    await updates.until('IN_PROGRESS', (results) => results.some((result) => result.data?.snapshotUpdated.status === 'IN_PROGRESS'));
    updates.abort();
    expect(updates.results.map((result) => result.data?.snapshotUpdated.status)).toEqual(['SCHEDULED', 'IN_PROGRESS']);
  });
});
