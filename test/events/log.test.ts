/**
 * The event log as subscriptions read it (events/log.ts) and event-log retention's prune
 * (events/retention.ts), on real Postgres, with events written by the real transitions.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/orm.ts';
import { CursorExpiredError, ValidationError } from '../../src/errors.ts';
import type { SnapshotEvent } from '../../src/events/entity.ts';
import { assertResumable, eventLogHorizon, latestCursor, parseCursor, readEventsAfter } from '../../src/events/log.ts';
import { pruneEventLog } from '../../src/events/retention.ts';
import { createTestDatabase } from '../support/database.ts';
import { insertCluster, move, schedule } from '../support/snapshots.ts';

let orm: MikroORM;
let drop: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  orm = await openDatabase(database.url, { pool: { min: 0, max: 4 } });
});
afterAll(async () => {
  await orm?.close();
  await drop?.();
});

const em = () => orm.em.fork();
const cursors = (events: readonly SnapshotEvent[]) => events.map((event) => BigInt(event.id));

/** Dates every event of the snapshot `days` ago: the audit trail's time, nothing else. */
async function ageEvents(snapshotId: string, days: number): Promise<void> {
  await em().execute('update snapshot_event set at = ? where snapshot_id = ?', [new Date(Date.now() - days * 86_400_000), snapshotId], 'run');
}

describe('a log without events', () => {
  it('has latest cursor 0 and horizon 0, reads nothing and resumes from 0', async () => {
    expect(await latestCursor(em())).toBe(0n);
    expect(await eventLogHorizon(em())).toBe(0n);
    expect(await readEventsAfter(em(), 0n, 10)).toEqual([]);
    await expect(assertResumable(em(), 0n)).resolves.toBeUndefined();
  });
});

describe('readEventsAfter', () => {
  it('returns the events after the cursor in cursor order, at most `limit`, with their kinds', async () => {
    const start = await latestCursor(em());
    const cluster = await insertCluster(orm, 'reading');
    const snapshot = await schedule(orm, cluster.id);
    await move(orm, snapshot.id, 'IN_PROGRESS');
    await move(orm, snapshot.id, 'FAILED', 'gone');
    const all = await readEventsAfter(em(), start, 100);
    expect(all.map((event) => [event.kind, event.fromState, event.toState])).toEqual([
      ['CREATED', null, 'SCHEDULED'],
      ['STATUS_CHANGED', 'SCHEDULED', 'IN_PROGRESS'],
      ['STATUS_CHANGED', 'IN_PROGRESS', 'FAILED'],
    ]);
    const ids = cursors(all);
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    expect(await latestCursor(em())).toBe(ids.at(-1));
    expect(cursors(await readEventsAfter(em(), start, 2))).toEqual(ids.slice(0, 2));
    expect(cursors(await readEventsAfter(em(), ids[0]!, 100))).toEqual(ids.slice(1));
    expect(await readEventsAfter(em(), ids[2]!, 100)).toEqual([]);
  });

  it('filters by visible projects, project, cluster and snapshot; every given field must match', async () => {
    const start = await latestCursor(em());
    const a = await insertCluster(orm, 'a');
    const b = await insertCluster(orm, 'b');
    const a1 = await schedule(orm, a.id, new Date('2026-01-01T00:00:00Z'));
    await move(orm, a1.id, 'IN_PROGRESS'); // one SCHEDULED per cluster
    const a2 = await schedule(orm, a.id, new Date('2026-01-02T00:00:00Z'));
    const b1 = await schedule(orm, b.id);
    const of = async (filter: Parameters<typeof readEventsAfter>[3]) => (await readEventsAfter(em(), start, 100, filter)).map((event) => event.snapshotId);
    const aEvents = await of({ projectId: a.projectId });
    expect(new Set(aEvents)).toEqual(new Set([a1.id, a2.id]));
    expect(await of({ projectIds: [b.projectId] })).toEqual([b1.id]);
    expect(await of({ projectIds: [a.projectId, b.projectId] })).toEqual(await of({}));
    expect(await of({ projectIds: [] })).toEqual([]);
    expect(await of({ virtualClusterId: b.id })).toEqual([b1.id]);
    expect(new Set(await of({ snapshotId: a2.id }))).toEqual(new Set([a2.id]));
    expect(await of({ projectIds: [a.projectId], virtualClusterId: b.id })).toEqual([]);
    expect(await of({ projectId: b.projectId, snapshotId: a1.id })).toEqual([]);
  });

  it('binds project ids as values: a claim shaped like SQL or an array literal matches no other project', async () => {
    const start = await latestCursor(em());
    const victim = await insertCluster(orm, 'victim');
    await schedule(orm, victim.id);
    for (const hostile of [`x","${victim.projectId}`, `{${victim.projectId}}`, `${victim.projectId}' or '1'='1`, `x\\",\\"${victim.projectId}`]) {
      expect(await readEventsAfter(em(), start, 100, { projectIds: [hostile] }), hostile).toEqual([]);
    }
  });
});

describe('pruneEventLog, the horizon and assertResumable', () => {
  it('prunes the prefix of events older than the cutoff in batches, raises the horizon, and expires exactly the older cursors', async () => {
    const cluster = await insertCluster(orm, 'pruned');
    const old = await schedule(orm, cluster.id, new Date('2026-02-01T00:00:00Z'));
    await move(orm, old.id, 'IN_PROGRESS');
    await move(orm, old.id, 'FAILED', 'old');
    const recent = await schedule(orm, cluster.id, new Date('2026-02-02T00:00:00Z'));
    await ageEvents(old.id, 40);
    const everything = cursors(await readEventsAfter(em(), 0n, 1000));
    const oldCursors = cursors(await readEventsAfter(em(), 0n, 1000, { snapshotId: old.id }));
    const newest = oldCursors.at(-1)!;
    // Every event up to the newest expired one goes (the other tests' events came earlier), nothing after it.
    const expected = everything.filter((cursor) => cursor <= newest);

    const result = await pruneEventLog(em(), new Date(Date.now() - 30 * 86_400_000), 2);
    expect(result).toEqual({ pruned: expected.length, horizon: newest });
    expect(cursors(await readEventsAfter(em(), 0n, 1000))).toEqual(everything.filter((cursor) => cursor > newest));
    expect((await readEventsAfter(em(), 0n, 1000)).map((event) => event.snapshotId)).toEqual([recent.id]);
    expect(await eventLogHorizon(em())).toBe(newest);

    const expired = await assertResumable(em(), newest - 1n).catch((error: unknown) => error);
    expect(expired).toBeInstanceOf(CursorExpiredError);
    expect(expired).toMatchObject({
      code: 'CURSOR_EXPIRED',
      field: 'since',
      message: `cursor ${newest - 1n} is older than the retained event log (events up to ${newest} were pruned): refetch, then subscribe without since`,
    });
    await expect(assertResumable(em(), 0n)).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
    await expect(assertResumable(em(), newest)).resolves.toBeUndefined();
    await expect(assertResumable(em(), newest + 1n)).resolves.toBeUndefined();
    expect(await latestCursor(em())).toBeGreaterThan(newest);
  });

  it('prunes nothing and keeps the horizon when nothing is old enough; latestCursor never falls below the horizon', async () => {
    const before = await eventLogHorizon(em());
    expect(await pruneEventLog(em(), new Date(Date.now() - 30 * 86_400_000), 100)).toEqual({ pruned: 0, horizon: before });
    // Everything pruned: the log is empty, but a client starting from latestCursor can still resume.
    const { horizon } = await pruneEventLog(em(), new Date(Date.now() + 60_000), 100);
    expect(await readEventsAfter(em(), 0n, 10)).toEqual([]);
    expect(await latestCursor(em())).toBe(horizon);
    await expect(assertResumable(em(), await latestCursor(em()))).resolves.toBeUndefined();
  });
});

describe('parseCursor', () => {
  it.each(['0', '1', '42', '9223372036854775807'])('accepts %s', (raw) => {
    expect(parseCursor(raw)).toBe(BigInt(raw));
  });

  it.each(['', '-1', '01', '1.5', '1e3', ' 1', '1 ', '0x10', '9223372036854775808', '99999999999999999999', 'abc'])('refuses %j with VALIDATION on since', (raw) => {
    const error = (() => {
      try {
        return parseCursor(raw);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      code: 'VALIDATION',
      field: 'since',
      message: `since must be an event cursor (a decimal integer from 0 to 9223372036854775807), got ${JSON.stringify(raw)}`,
    });
  });

  it('names the field it was given', () => {
    expect(() => parseCursor('x', 'after')).toThrow(
      expect.objectContaining({ code: 'VALIDATION', field: 'after', message: 'after must be an event cursor (a decimal integer from 0 to 9223372036854775807), got "x"' }),
    );
  });
});
