/**
 * Who may subscribe to what, over SSE (test/auth/subscriptions-matrix.test.ts has both transports): the queries' rules.
 * Snapshot events are for platform admins and admins of their project; a member of the project is
 * refused (FORBIDDEN); to anyone else a cluster or snapshot of the project does not exist
 * (NOT_FOUND, the same answer as for an id of nothing). A request without a valid token is
 * refused whole (401) before its document is read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClusterSchema, type VirtualCluster } from '../../src/clusters/entity.ts';
import { LiveCursorsDocument, LiveSnapshotDocument, type LiveCursorsSubscription } from '../generated/graphql.ts';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { insertCluster, move, schedule } from '../support/snapshots.ts';
import { subscribeSse, type SseSubscription } from './sse.ts';

let app: TestApp;
/** c1 and c1b in P1, c2 in P2, c3 in P3. */
let c1: VirtualCluster, c1b: VirtualCluster, c2: VirtualCluster, c3: VirtualCluster;
let s1: string;
const who: Record<'platformAdmin' | 'admin' | 'member' | 'outsider' | 'memberAdminElsewhere', string> = {} as never;

beforeAll(async () => {
  app = await startTestApp();
  [c1, c1b, c2, c3] = [await insertCluster(app.orm, 'c1'), await insertCluster(app.orm, 'c1b'), await insertCluster(app.orm, 'c2'), await insertCluster(app.orm, 'c3')];
  // c1b joins c1's project.
  await app.orm.em.fork().nativeUpdate(VirtualClusterSchema, { id: c1b.id }, { projectId: c1.projectId });
  c1b.projectId = c1.projectId;
  s1 = (await schedule(app.orm, c1.id)).id;
  await move(app.orm, s1, 'IN_PROGRESS');
  await move(app.orm, s1, 'COMPLETED');
  who.platformAdmin = await tokens.platformAdmin();
  who.admin = await tokens.projectAdmin(c1.projectId);
  who.member = await tokens.member(c1.projectId);
  who.outsider = await tokens.projectAdmin(c2.projectId);
  who.memberAdminElsewhere = await tokens.as('member-of-p1-admin-of-p3', { projects: { [c1.projectId]: 'member', [c3.projectId]: 'admin' } });
});
afterAll(() => app?.close());

/** A new event of the cluster (a snapshot scheduled): its cursor. */
async function eventOf(cluster: VirtualCluster): Promise<string> {
  const snapshot = await schedule(app.orm, cluster.id);
  const event = await move(app.orm, snapshot.id, 'FAILED', 'made for the auth tests');
  return String(event.id);
}

const cursorsIn = (results: { data?: LiveCursorsSubscription | null }[]) => results.map((result) => result.data?.snapshotEvents.cursor);
const cursors = (subscription: SseSubscription<LiveCursorsSubscription>) => cursorsIn(subscription.results);

/** The error a refused subscription ends with: one `next` with the error, then `complete`. */
async function refusal(subscription: SseSubscription<unknown>) {
  await subscription.closed();
  expect(subscription.status).toBe(200);
  expect(subscription.completed).toBe(true);
  expect(subscription.results).toHaveLength(1);
  const [result] = subscription.results;
  expect(result!.data ?? null).toBeNull();
  return result!.errors!.map(({ message, path, extensions }) => ({ message, path, extensions }));
}

const code = async (subscription: SseSubscription<unknown>) => (await refusal(subscription)).map((error) => error.extensions?.code);

describe('snapshotEvents without a filter', () => {
  it('gives a platform admin every event, and a project admin only those of the projects it administers', async () => {
    const [everything, admin, adminElsewhere] = await Promise.all([
      subscribeSse(app.url, LiveCursorsDocument, {}, who.platformAdmin),
      subscribeSse(app.url, LiveCursorsDocument, {}, who.admin),
      subscribeSse(app.url, LiveCursorsDocument, {}, who.memberAdminElsewhere),
    ]);
    const [in2, in1, in3, in1Later] = [await eventOf(c2), await eventOf(c1), await eventOf(c3), await eventOf(c1)];
    // Events arrive in cursor order: once a later event has arrived, an earlier one that is missing was withheld.
    await everything.until('every event', (results) => cursorsIn(results).includes(in1Later));
    expect(cursors(everything).filter((cursor) => [in2, in1, in3, in1Later].includes(cursor!))).toEqual([in2, in1, in3, in1Later]);
    await admin.until('the later P1 event', (results) => cursorsIn(results).includes(in1Later));
    // Two events of each P1 snapshot (created, failed), nothing of P2 or P3.
    expect(cursors(admin)).toHaveLength(4);
    expect(cursors(admin)).toEqual(expect.arrayContaining([in1, in1Later]));
    await adminElsewhere.until('the P3 event', (results) => cursorsIn(results).includes(in3));
    await eventOf(c3);
    await adminElsewhere.until('a later P3 event', (results) => results.length >= 4);
    expect(cursors(adminElsewhere)).not.toContain(in1);
    expect(cursors(adminElsewhere)).not.toContain(in1Later);
    expect(cursors(adminElsewhere)).not.toContain(in2);
    for (const subscription of [everything, admin, adminElsewhere]) subscription.abort();
  });

  it('is FORBIDDEN to a caller who administers no project (a member)', async () => {
    expect(await code(await subscribeSse(app.url, LiveCursorsDocument, {}, who.member))).toEqual(['FORBIDDEN']);
  });
});

describe('snapshotEvents(projectId)', () => {
  it('gives platform admins and the project\'s admins that project\'s events only', async () => {
    for (const token of [who.platformAdmin, who.admin]) {
      const subscriber = await subscribeSse(app.url, LiveCursorsDocument, { projectId: c1.projectId }, token);
      await eventOf(c2);
      const wanted = [await eventOf(c1b), await eventOf(c1)];
      await subscriber.until('both P1 events', (results) => results.length >= 4);
      subscriber.abort();
      expect(subscriber.results.map((result) => result.errors)).toEqual([undefined, undefined, undefined, undefined]);
      expect(cursors(subscriber)).toContain(wanted[0]);
      expect(cursors(subscriber)).toContain(wanted[1]);
      expect(cursors(subscriber)).toEqual([...cursors(subscriber)].sort((a, b) => Number(a) - Number(b)));
    }
  });

  it('is FORBIDDEN to a member of the project and to anyone outside it', async () => {
    for (const token of [who.member, who.outsider, who.memberAdminElsewhere]) {
      expect(await code(await subscribeSse(app.url, LiveCursorsDocument, { projectId: c1.projectId }, token))).toEqual(['FORBIDDEN']);
    }
  });
});

describe('snapshotEvents(virtualClusterId)', () => {
  it('gives platform admins and the project\'s admins that cluster\'s events only', async () => {
    for (const token of [who.platformAdmin, who.admin]) {
      const subscriber = await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: c1.id }, token);
      const other = await eventOf(c1b);
      const wanted = await eventOf(c1);
      await subscriber.until('the cluster event', (results) => cursorsIn(results).includes(wanted));
      subscriber.abort();
      expect(cursors(subscriber)).not.toContain(other);
    }
  });

  it('is FORBIDDEN to a member of the project (whatever it administers elsewhere)', async () => {
    for (const token of [who.member, who.memberAdminElsewhere]) {
      expect(await code(await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: c1.id }, token))).toEqual(['FORBIDDEN']);
    }
  });

  it('is NOT_FOUND to anyone outside the project, exactly as for a cluster that does not exist', async () => {
    const nothing = await refusal(await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: '00000000-0000-4000-8000-000000000000' }, who.outsider));
    expect(nothing).toEqual([{ message: 'virtual cluster not found', path: ['snapshotEvents'], extensions: { code: 'NOT_FOUND', field: 'virtualClusterId' } }]);
    expect(await refusal(await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: c1.id }, who.outsider))).toEqual(nothing);
    expect(await refusal(await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: 'not-a-uuid' }, who.platformAdmin))).toEqual(nothing);
    // A cluster named with another project than its own is not found in that project.
    expect(await refusal(await subscribeSse(app.url, LiveCursorsDocument, { virtualClusterId: c1.id, projectId: c2.projectId }, who.platformAdmin))).toEqual(nothing);
  });
});

describe('snapshotUpdated', () => {
  it('gives platform admins and the project\'s admins the snapshot', async () => {
    for (const token of [who.platformAdmin, who.admin]) {
      const subscriber = await subscribeSse(app.url, LiveSnapshotDocument, { id: s1 }, token);
      await subscriber.until('the snapshot', (results) => results.length === 1);
      subscriber.abort();
      expect(subscriber.results[0]).toEqual({ data: { snapshotUpdated: { id: s1, status: 'COMPLETED', volumeSnapshots: [] } } });
    }
  });

  it('is FORBIDDEN to a member of the project, and NOT_FOUND to anyone else as for a snapshot that does not exist', async () => {
    for (const token of [who.member, who.memberAdminElsewhere]) {
      expect(await code(await subscribeSse(app.url, LiveSnapshotDocument, { id: s1 }, token))).toEqual(['FORBIDDEN']);
    }
    const nothing = await refusal(await subscribeSse(app.url, LiveSnapshotDocument, { id: '00000000-0000-4000-8000-000000000000' }, who.outsider));
    expect(nothing).toEqual([{ message: 'snapshot not found', path: ['snapshotUpdated'], extensions: { code: 'NOT_FOUND', field: 'id' } }]);
    expect(await refusal(await subscribeSse(app.url, LiveSnapshotDocument, { id: s1 }, who.outsider))).toEqual(nothing);
  });
});

describe('without a valid token', () => {
  it('answers 401 before reading the document, whatever it asks', async () => {
    const expired = await tokens.as('someone', { platformAdmin: true }).then((token) => `${token.slice(0, -4)}AAAA`);
    for (const token of [undefined, expired]) {
      const subscriber = await subscribeSse(app.url, LiveCursorsDocument, {}, token);
      expect(subscriber.status).toBe(401);
      expect(subscriber.headers.get('www-authenticate')).toBe('Bearer');
      expect(subscriber.results).toEqual([]);
      expect(subscriber.text).toContain('UNAUTHENTICATED');
    }
  });
});
