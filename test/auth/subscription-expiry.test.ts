/**
 * A subscription ends when its caller's token expires (its `exp`), over both transports: over
 * graphql-ws each live operation gets an `error` message coded UNAUTHENTICATED and the connection
 * is then closed with 4403 "token expired"; over SSE the stream's last `next` carries that error,
 * then `complete`. Until then, events flow; a caller with a longer-lived token is unaffected.
 */
import { print } from 'graphql';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/auth/tokens.ts';
import { ExpirySchedule, tokenExpiries } from '../../src/http/subscription-expiry.ts';
import { latestCursor } from '../../src/events/log.ts';
import { LiveCursorsDocument, LiveSnapshotDocument } from '../generated/graphql.ts';
import { subscribeSse } from '../events/sse.ts';
import { metric } from '../events/metrics.ts';
import { waitFor } from '../server/helpers.ts';
import { startTestApp, TEST_JWT_SECRET, tokens, type TestApp } from '../support/app.ts';
import { insertCluster, move, schedule } from '../support/snapshots.ts';
import { ackedSocket, subscribeWs, wsUrl, type ProtocolMessage } from '../support/ws-client.ts';

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokens.platformAdmin();
});
afterAll(() => app.close());

/** A platform admin's token that expires in `seconds` (at a whole second: `exp` counts seconds). */
async function shortLived(seconds: number): Promise<{ token: string; expiresAt: number }> {
  const token = await signToken(new TextEncoder().encode(TEST_JWT_SECRET), 'short-lived-admin', { platformAdmin: true }, { expiresIn: `${seconds}s` });
  return { token, expiresAt: decodeJwt(token).exp! * 1000 };
}

const UNAUTHENTICATED = [{ message: expect.stringMatching(/^the token expired/), extensions: { code: 'UNAUTHENTICATED' } }];

describe('over graphql-ws', () => {
  it('each live operation gets an UNAUTHENTICATED error at expiry, then the connection closes with 4403; events flow until then', { timeout: 20_000 }, async () => {
    const cluster = await insertCluster(app.orm);
    const snapshot = await schedule(app.orm, cluster.id);
    const { token, expiresAt } = await shortLived(3);
    const socket = await ackedSocket(wsUrl(app.url), `Bearer ${token}`);
    const timed: { message: ProtocolMessage; at: number }[] = [];
    socket.socket.on('message', (data: Buffer) => timed.push({ message: JSON.parse(data.toString('utf8')) as ProtocolMessage, at: Date.now() }));
    const closedAt = socket.closed.then((closed) => ({ ...closed, at: Date.now() }));
    // From the snapshot's creation on: replay (none), then live.
    const since = String(await latestCursor(app.orm.em.fork()));
    const control = await subscribeWs(app.url, LiveCursorsDocument, { virtualClusterId: cluster.id, since }, admin);

    socket.send({ id: 'events', type: 'subscribe', payload: { query: print(LiveCursorsDocument), variables: { virtualClusterId: cluster.id, since } } });
    socket.send({ id: 'state', type: 'subscribe', payload: { query: print(LiveSnapshotDocument), variables: { id: snapshot.id } } });
    await waitFor('the first state', () => timed.some(({ message }) => message.id === 'state' && message.type === 'next'));
    await waitFor('both snapshotEvents subscriptions live', async () => (await metric(app.url, 'vsnap_subscriptions_active', { transport: 'graphql-ws' })) >= 3);
    const event = await move(app.orm, snapshot.id, 'IN_PROGRESS');
    await waitFor('the live event', () => timed.some(({ message }) => message.id === 'events' && message.type === 'next'));
    expect(Date.now()).toBeLessThan(expiresAt);

    const closed = await closedAt;
    expect(closed).toMatchObject({ code: 4403, reason: 'token expired' });
    const errors = timed.filter(({ message }) => message.type === 'error');
    expect(errors.map(({ message }) => message).sort((a, b) => a.id!.localeCompare(b.id!))).toEqual([
      { id: 'events', type: 'error', payload: UNAUTHENTICATED },
      { id: 'state', type: 'error', payload: UNAUTHENTICATED },
    ]);
    // Not a moment before the token's exp, and before the close.
    for (const { at } of errors) expect(at).toBeGreaterThanOrEqual(expiresAt);
    for (const { at } of errors) expect(at).toBeLessThanOrEqual(closed.at);
    expect(timed.filter(({ message }) => message.id === 'events' && message.type === 'next').map(({ message }) => message.payload)).toEqual([
      { data: { snapshotEvents: { cursor: String(event.id), kind: 'STATUS_CHANGED', snapshotId: snapshot.id, to: 'IN_PROGRESS' } } },
    ]);

    // A caller whose token lives on keeps receiving.
    const later = await move(app.orm, snapshot.id, 'COMPLETED');
    await control.until('the event after the expiry', (results) => results.some((result) => result.data?.snapshotEvents.cursor === String(later.id)));
    expect(control.completed).toBe(false);
    await control.close();
  });

  it('a connection whose token expires with no operation open is closed with 4403 at once', { timeout: 10_000 }, async () => {
    const { token, expiresAt } = await shortLived(1);
    const socket = await ackedSocket(wsUrl(app.url), `Bearer ${token}`);
    expect(await socket.closed).toEqual({ code: 4403, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(socket.received).toEqual([{ type: 'connection_ack' }]);
  });
});

describe('over SSE', () => {
  it("the stream's last next carries UNAUTHENTICATED at expiry, then complete; events flow until then", { timeout: 20_000 }, async () => {
    const cluster = await insertCluster(app.orm);
    const snapshot = await schedule(app.orm, cluster.id);
    const { token, expiresAt } = await shortLived(3);
    const states = await subscribeSse(app.url, LiveSnapshotDocument, { id: snapshot.id }, token);
    expect(states.status).toBe(200);
    await states.until('the first state', (results) => results.length === 1);
    await move(app.orm, snapshot.id, 'IN_PROGRESS');
    await states.until('the change', (results) => results.length === 2);
    expect(Date.now()).toBeLessThan(expiresAt);

    await states.closed();
    const endedAt = Date.now();
    expect(endedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(states.completed).toBe(true);
    expect(states.results.map((result) => result.data?.snapshotUpdated?.status ?? result.errors)).toEqual(['SCHEDULED', 'IN_PROGRESS', UNAUTHENTICATED]);
  });
});

describe('one timer per expiry instant', () => {
  it("every subscription and connection of one token, over both transports, waits on one; none once they are closed", { timeout: 20_000 }, async () => {
    const cluster = await insertCluster(app.orm);
    const snapshot = await schedule(app.orm, cluster.id);
    const waitedBefore = tokenExpiries.size;
    const { token } = await shortLived(60);
    const socket = await ackedSocket(wsUrl(app.url), `Bearer ${token}`);
    for (const id of ['a', 'b', 'c']) socket.send({ id, type: 'subscribe', payload: { query: print(LiveSnapshotDocument), variables: { id: snapshot.id } } });
    const states = await subscribeSse(app.url, LiveSnapshotDocument, { id: snapshot.id }, token);
    await states.until('the first state', (results) => results.length === 1);
    await waitFor('three states over graphql-ws', () => socket.received.filter((message) => message.type === 'next').length === 3);
    expect(tokenExpiries.size).toBe(waitedBefore + 1);

    states.abort();
    socket.socket.close();
    await waitFor('nothing of that token waited for', () => tokenExpiries.size === waitedBefore);
  });

  it('tells every target of an instant at that instant, none before, none deleted; an instant passed at once', async () => {
    const schedule = new ExpirySchedule();
    const told: string[] = [];
    const target = (name: string) => ({ expire: () => told.push(`${name}@${Date.now() >= at.getTime() ? 'due' : 'early'}`) });
    const at = new Date(Date.now() + 150);
    const [a, b, c] = [target('a'), target('b'), target('c')];
    schedule.add(at, a);
    schedule.add(at, b);
    schedule.add(at, c);
    schedule.add(new Date(at.getTime() + 60_000), a);
    expect(schedule.size).toBe(2);
    schedule.delete(at, b);
    expect(schedule.size).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(told).toEqual(['a@due', 'c@due']);
    expect(schedule.size).toBe(1);
    schedule.delete(new Date(at.getTime() + 60_000), a);
    expect(schedule.size).toBe(0);

    schedule.add(new Date(Date.now() - 1), target('late'));
    expect(told.at(-1)).toBe('late@due');
    expect(schedule.size).toBe(0);
  });
});
