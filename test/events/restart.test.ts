/**
 * Postgres restarted under a live subscriber: vsnap runs on an embedded Postgres of this file's
 * own, which the test stops and starts again. The subscriber keeps its SSE stream, is never asked
 * to resubscribe, and receives every event committed after the restart, including those committed
 * before vsnap listens again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SnapshotSchema } from '../../src/snapshots/entity.ts';
import { LiveCursorsDocument } from '../generated/graphql.ts';
import { waitFor } from '../server/helpers.ts';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { insertCluster, move, schedule } from '../support/snapshots.ts';
import { startStoppablePostgres, type StoppablePostgres } from '../support/stoppable-postgres.ts';
import { logCursors } from './metrics.ts';
import { subscribeSse } from './sse.ts';

let postgres: StoppablePostgres;
let app: TestApp;

beforeAll(async () => {
  postgres = await startStoppablePostgres();
  app = await startTestApp({ postgresAdminUrl: postgres.adminUrl });
}, 120_000);

afterAll(async () => {
  await postgres?.start();
  await app?.close();
  await postgres?.close();
}, 60_000);

/** One more event of a stored snapshot (its object goes missing, or comes back); retried while the pool reconnects. */
async function flap(snapshotId: string): Promise<void> {
  await waitFor('a transition to commit', async () => {
    const { status } = await app.orm.em.fork().findOneOrFail(SnapshotSchema, { id: snapshotId });
    await move(app.orm, snapshotId, status === 'NOT_FOUND' ? 'COMPLETED' : 'NOT_FOUND');
    return true;
  }, 30_000, 100);
}

it('keeps a subscriber receiving across a Postgres restart, nothing missed, without resubscribing', async () => {
  const cluster = await insertCluster(app.orm);
  const snapshot = await schedule(app.orm, cluster.id);
  await move(app.orm, snapshot.id, 'IN_PROGRESS');
  await move(app.orm, snapshot.id, 'COMPLETED');
  const subscriber = await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: cluster.id }, await tokens.platformAdmin());
  await flap(snapshot.id);
  await subscriber.until('the first event', (results) => results.length === 1);

  await postgres.stop();
  await waitFor('vsnap to notice', () => app.logs().some((line) => line.msg.startsWith('lost the LISTEN connection')), 30_000);
  await postgres.start();
  // At once: these commit before the listener is back (its backoff has grown while the server was down).
  for (let i = 0; i < 3; i++) await flap(snapshot.id);
  const listeningAgain = () => app.logs().some((line) => line.msg.startsWith('listening for snapshot events again'));
  const committedBeforeListening = !listeningAgain();
  await subscriber.until('every event', (results) => results.length === 4, 60_000);
  await flap(snapshot.id);
  await subscriber.until('a later event', (results) => results.length === 5);
  subscriber.abort();

  expect(subscriber.results.map((result) => result.data?.snapshotEvents.cursor)).toEqual((await logCursors(app.orm, { virtualClusterId: cluster.id })).slice(-5));
  expect(subscriber.results.every((result) => result.errors === undefined)).toBe(true);
  expect(listeningAgain()).toBe(true);
  const lines = app.logs().map((line) => line.msg);
  expect(lines.filter((msg) => msg.startsWith('lost the LISTEN connection'))).toHaveLength(1);
  expect(lines.filter((msg) => msg.startsWith('listening for snapshot events again'))).toHaveLength(1);
  // Reported, so the run shows which path it took; both must lose nothing.
  console.log(`events committed after the restart ${committedBeforeListening ? 'before' : 'after'} vsnap listened again`);
});
