/**
 * Live status through Hive Gateway: a client subscribes to the gateway over SSE, and the
 * gateway carries the subscription to vsnap over SSE or, configured so, over graphql-ws,
 * with the caller's token. Events are committed by the real transitions (event row and
 * NOTIFY in one transaction). A gateway restart ends its subscriptions; resubscribing with
 * `since` misses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveEventsDocument, LiveSnapshotDocument, type LiveEventsSubscription, type LiveSnapshotSubscription } from '../generated/graphql.ts';
import { errorCodes, startTestApp, tokens, type TestApp } from '../support/app.ts';
import { insertCluster, move, schedule } from '../support/snapshots.ts';
import { waitFor } from '../server/helpers.ts';
import { logCursors, metric } from '../events/metrics.ts';
import { subscribeSse } from '../events/sse.ts';
import { startGateway, type Gateway, type SubgraphSubscriptions } from './gateway.ts';
import { startProjectsSubgraph, type ProjectsSubgraph } from './projects-subgraph.ts';
import { vsnapWithProjects } from './supergraph.ts';

let app: TestApp;
let projects: ProjectsSubgraph;
let supergraph: string;

beforeAll(async () => {
  app = await startTestApp();
  projects = await startProjectsSubgraph([]);
  supergraph = vsnapWithProjects({ vsnap: `${app.url}/graphql`, projects: projects.url });
}, 30_000);
afterAll(async () => {
  await projects?.close();
  await app?.close();
});

type LiveEvent = LiveEventsSubscription['snapshotEvents'];
const eventsOf = (results: { data?: LiveEventsSubscription | null }[]): LiveEvent[] => results.map((result) => result.data!.snapshotEvents);

/** vsnap's live subscriptions of a transport, from its /metrics. */
const activeAt = (transport: 'sse' | 'graphql-ws') => metric(app.url, 'vsnap_subscriptions_active', { transport });

describe.each(['sse', 'graphql-ws'] as const satisfies SubgraphSubscriptions[])('the gateway talking to vsnap over %s', (transport) => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ supergraph, subscriptions: transport });
  });
  afterAll(() => gateway?.close());

  it('streams snapshotEvents to the client, every event of the log in cursor order, over the configured transport', async () => {
    const cluster = await insertCluster(app.orm, 'events');
    const admin = await tokens.projectAdmin(cluster.projectId);
    const idle = await activeAt(transport);
    const subscriber = await subscribeSse(gateway.url, LiveEventsDocument, { virtualClusterId: cluster.id }, admin);
    expect(subscriber.status).toBe(200);
    // The gateway holds the subscription open at vsnap over the transport it was configured with.
    await waitFor(`a ${transport} subscription at vsnap`, async () => (await activeAt(transport)) === idle + 1);

    const snapshot = await schedule(app.orm, cluster.id);
    await move(app.orm, snapshot.id, 'IN_PROGRESS');
    await move(app.orm, snapshot.id, 'COMPLETED');
    await subscriber.until('COMPLETED', (results) => eventsOf(results).some((event) => event.to === 'COMPLETED'));
    subscriber.abort();

    const events = eventsOf(subscriber.results);
    expect(events.map((event) => event.cursor)).toEqual(await logCursors(app.orm, { virtualClusterId: cluster.id }));
    expect(events.map((event) => [event.kind, event.from, event.to, event.snapshotId, event.virtualClusterId])).toEqual([
      ['CREATED', null, 'SCHEDULED', snapshot.id, cluster.id],
      ['STATUS_CHANGED', 'SCHEDULED', 'IN_PROGRESS', snapshot.id, cluster.id],
      ['STATUS_CHANGED', 'IN_PROGRESS', 'COMPLETED', snapshot.id, cluster.id],
    ]);
    expect(events.at(-1)!.snapshot).toEqual({ id: snapshot.id, status: 'COMPLETED' });
    // The client went away: the gateway ends its subscription at vsnap.
    await waitFor('the subscription at vsnap to end', async () => (await activeAt(transport)) === idle);
  });

  it('streams snapshotUpdated: the snapshot at once, then on every change', async () => {
    const cluster = await insertCluster(app.orm, 'updates');
    const snapshot = await schedule(app.orm, cluster.id);
    const updates = await subscribeSse(gateway.url, LiveSnapshotDocument, { id: snapshot.id }, await tokens.projectAdmin(cluster.projectId));
    await updates.until('the current state', (results) => results.length === 1);
    await waitFor(`a ${transport} subscription at vsnap`, async () => (await activeAt(transport)) >= 1);
    const states = (results: { data?: LiveSnapshotSubscription | null }[]) => results.map((result) => result.data?.snapshotUpdated.status);
    // Each state is read when its change arrives: the next move waits for it, or the read could already see FAILED.
    await move(app.orm, snapshot.id, 'IN_PROGRESS');
    await updates.until('IN_PROGRESS', (results) => states(results).includes('IN_PROGRESS'));
    await move(app.orm, snapshot.id, 'FAILED', 'no archive');
    await updates.until('FAILED', (results) => states(results).includes('FAILED'));
    updates.abort();
    expect(updates.results.every((result) => result.errors === undefined)).toBe(true);
    expect(states(updates.results)).toEqual(['SCHEDULED', 'IN_PROGRESS', 'FAILED']);
  });

  it('refuses a member FORBIDDEN and an outsider NOT_FOUND, through the gateway, and ends the stream', async () => {
    const cluster = await insertCluster(app.orm, 'refused');
    const snapshot = await schedule(app.orm, cluster.id);
    const cases = [
      { token: await tokens.member(cluster.projectId), code: 'FORBIDDEN' },
      { token: await tokens.projectAdmin('gw-outsider'), code: 'NOT_FOUND' },
    ];
    for (const { token, code } of cases) {
      const updates = await subscribeSse(gateway.url, LiveSnapshotDocument, { id: snapshot.id }, token);
      await updates.closed();
      expect(updates.results.map((result) => errorCodes(result))).toEqual([[code]]);
      expect(JSON.stringify(updates.results)).not.toContain('SCHEDULED');
      const events = await subscribeSse(gateway.url, LiveEventsDocument, { virtualClusterId: cluster.id }, token);
      await events.closed();
      expect(events.results.map((result) => errorCodes(result))).toEqual([[code === 'FORBIDDEN' ? 'FORBIDDEN' : 'NOT_FOUND']]);
    }
  });
});

describe('a gateway restart', () => {
  it.each(['sse', 'graphql-ws'] as const)('ends the subscriptions it carried (to vsnap over %s); resubscribing with since misses nothing', async (transport) => {
    const cluster = await insertCluster(app.orm, `restart-${transport}`);
    const admin = await tokens.projectAdmin(cluster.projectId);
    const idle = await activeAt(transport);
    const first = await startGateway({ supergraph, subscriptions: transport });
    const subscriber = await subscribeSse(first.url, LiveEventsDocument, { virtualClusterId: cluster.id }, admin);
    // Live from now on: the first event only once the gateway's subscription at vsnap is open.
    await waitFor(`a ${transport} subscription at vsnap`, async () => (await activeAt(transport)) === idle + 1);
    const snapshot = await schedule(app.orm, cluster.id);
    await subscriber.until('CREATED', (results) => results.length === 1);
    const { port } = new URL(first.url);
    await first.close();
    // The client's stream ends, and so does the gateway's subscription at vsnap.
    await subscriber.closed();
    await waitFor('the subscription at vsnap to end', async () => (await activeAt(transport)) === idle);
    const last = eventsOf(subscriber.results).at(-1)!.cursor;

    // While no gateway runs, the snapshot moves on.
    await move(app.orm, snapshot.id, 'IN_PROGRESS');
    await move(app.orm, snapshot.id, 'COMPLETED');
    const missed = await logCursors(app.orm, { virtualClusterId: cluster.id }, Number(last));
    expect(missed).toHaveLength(2);

    const second = await startGateway({ supergraph, subscriptions: transport, port: Number(port) });
    try {
      const resumed = await subscribeSse(second.url, LiveEventsDocument, { virtualClusterId: cluster.id, since: last }, admin);
      await resumed.until('the missed events', (results) => results.length >= missed.length);
      // Then live.
      const next = await schedule(app.orm, cluster.id);
      await resumed.until('the next snapshot', (results) => eventsOf(results).some((event) => event.snapshotId === next.id));
      resumed.abort();
      const log = await logCursors(app.orm, { virtualClusterId: cluster.id });
      // Every event exactly once across both subscriptions, in order.
      expect([...eventsOf(subscriber.results), ...eventsOf(resumed.results)].map((event) => event.cursor)).toEqual(log);
    } finally {
      await second.close();
    }
  });
});
