/**
 * The transitions module against a real Postgres: one SnapshotEvent per move,
 * committed with its NOTIFY or not at all, cursors in commit order, and the
 * partial unique index on SCHEDULED.
 */
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { openDatabase } from '../../src/db/orm.ts';
import { SnapshotEventSchema, type SnapshotEvent } from '../../src/events/entity.ts';
import { SnapshotSchema, VolumeSnapshotSchema } from '../../src/snapshots/entity.ts';
import { IllegalTransitionError } from '../../src/snapshots/lifecycle.ts';
import { snapshotObjectName } from '../../src/snapshots/naming.ts';
import { moveSnapshot, moveVolume, scheduleSnapshot } from '../../src/snapshots/transitions.ts';
import { createTestDatabase } from '../support/database.ts';
import { addVolumes, EventListener, insertCluster, move, moveVol, schedule } from '../support/snapshots.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let orm: MikroORM;
let listener: EventListener;
/** A plain connection for looking at the database from outside the ORM's transactions. */
let observer: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  orm = await openDatabase(database.url);
  listener = await EventListener.start(database.url);
  observer = new pg.Client({ connectionString: database.url });
  await observer.connect();
});
afterAll(async () => {
  await observer?.end();
  await listener?.close();
  await orm?.close();
  await database?.drop();
});
beforeEach(() => listener.settle());

const countEvents = async (snapshotId?: string) =>
  orm.em.fork().count(SnapshotEventSchema, snapshotId ? { snapshotId } : {});
const statusOf = async (snapshotId: string) => (await orm.em.fork().findOneOrFail(SnapshotSchema, { id: snapshotId })).status;
const phaseOf = async (volumeId: string) => (await orm.em.fork().findOneOrFail(VolumeSnapshotSchema, { id: volumeId })).phase;

/**
 * Commits a harmless later transition (on a cluster of its own) and waits for its
 * notification. Postgres delivers notifications in commit order, so when this is
 * the only one received, nothing earlier was announced.
 */
async function expectNothingAnnouncedBefore(): Promise<void> {
  const cluster = await insertCluster(orm, 'witness');
  const witness = await schedule(orm, cluster.id);
  const [event] = await orm.em.fork().find(SnapshotEventSchema, { snapshotId: witness.id });
  expect(await listener.waitFor(1)).toEqual([String(event!.id)]);
}

describe('every transition', () => {
  it('writes exactly one event with a strictly increasing cursor and one NOTIFY carrying it', async () => {
    const cluster = await insertCluster(orm);
    const steps: { run: () => Promise<SnapshotEvent>; expected: Partial<SnapshotEvent> }[] = [];
    const at = new Date('2026-03-04T05:06:07.089Z');
    const snapshot = await schedule(orm, cluster.id, at, 'MANUAL');
    expect(snapshot).toMatchObject({ status: 'SCHEDULED', name: 'prod-2026-03-04T05-06-07.089Z.tar.gz', trigger: 'MANUAL' });
    const [born] = await orm.em.fork().find(SnapshotEventSchema, { snapshotId: snapshot.id });
    expect(born).toMatchObject({
      subject: 'SNAPSHOT',
      snapshotId: snapshot.id,
      volumeSnapshotId: null,
      virtualClusterId: cluster.id,
      projectId: cluster.projectId,
      fromState: null,
      toState: 'SCHEDULED',
    });
    expect(await listener.waitFor(1)).toEqual([String(born!.id)]);

    steps.push({
      run: () => move(orm, snapshot.id, 'IN_PROGRESS', 'taking'),
      expected: { subject: 'SNAPSHOT', fromState: 'SCHEDULED', toState: 'IN_PROGRESS', message: 'taking', volumeSnapshotId: null },
    });
    const [disk, logs] = await addVolumes(orm, snapshot.id, [
      { namespace: 'db', pvcName: 'disk' },
      { namespace: 'db', pvcName: 'logs' },
    ]);
    // Creating volume rows is not a transition: no event, no notification.
    expect(await countEvents(snapshot.id)).toBe(1);
    const volumeStep = (id: string, from: string, to: Parameters<typeof moveVol>[2], message?: string) => ({
      run: () => moveVol(orm, id, to, message),
      expected: { subject: 'VOLUME_SNAPSHOT' as const, volumeSnapshotId: id, fromState: from, toState: to, message: message ?? null },
    });
    steps.push(
      volumeStep(disk!, 'NOT_STARTED', 'IN_PROGRESS'),
      volumeStep(disk!, 'IN_PROGRESS', 'COMPLETED_CLEANING_UP'),
      volumeStep(logs!, 'NOT_STARTED', 'IN_PROGRESS'),
      volumeStep(disk!, 'COMPLETED_CLEANING_UP', 'COMPLETED'),
      volumeStep(logs!, 'IN_PROGRESS', 'FAILED_CLEANING_UP', 'snapshot content not ready'),
      volumeStep(logs!, 'FAILED_CLEANING_UP', 'FAILED', 'snapshot content not ready'),
      {
        run: () => move(orm, snapshot.id, 'PARTIALLY_FAILED', '1 volume failed'),
        expected: { subject: 'SNAPSHOT', fromState: 'IN_PROGRESS', toState: 'PARTIALLY_FAILED', volumeSnapshotId: null },
      },
      {
        run: () => move(orm, snapshot.id, 'NOT_FOUND'),
        expected: { subject: 'SNAPSHOT', fromState: 'PARTIALLY_FAILED', toState: 'NOT_FOUND' },
      },
      {
        run: () => move(orm, snapshot.id, 'PARTIALLY_FAILED'),
        expected: { subject: 'SNAPSHOT', fromState: 'NOT_FOUND', toState: 'PARTIALLY_FAILED' },
      },
    );

    let cursor = born!.id;
    for (const [index, step] of steps.entries()) {
      const before = await countEvents();
      const event = await step.run();
      expect(await countEvents()).toBe(before + 1);
      expect(event.id).toBeGreaterThan(cursor);
      cursor = event.id;
      const stored = await orm.em.fork().findOneOrFail(SnapshotEventSchema, { id: event.id });
      expect(stored).toMatchObject({ snapshotId: snapshot.id, virtualClusterId: cluster.id, projectId: cluster.projectId, ...step.expected });
      // One more notification, and it carries this event's cursor.
      const received = await listener.waitFor(index + 2);
      expect(received).toHaveLength(index + 2);
      expect(received.at(-1)).toBe(String(event.id));
    }
    expect(await statusOf(snapshot.id)).toBe('PARTIALLY_FAILED');
    expect(await phaseOf(disk!)).toBe('COMPLETED');
    expect(await phaseOf(logs!)).toBe('FAILED');
    const volume = await orm.em.fork().findOneOrFail(VolumeSnapshotSchema, { id: logs! });
    expect(volume.message).toBe('snapshot content not ready');
    // Nothing else was announced along the way.
    expect(listener.received).toHaveLength(steps.length + 1);
  });

  it('is invisible to other connections and unannounced until it commits', async () => {
    const cluster = await insertCluster(orm);
    const snapshot = await schedule(orm, cluster.id);
    await listener.settle();
    const event = await orm.em.fork().transactional(async (tx) => {
      const row = await tx.findOneOrFail(SnapshotSchema, { id: snapshot.id });
      const inside = await moveSnapshot(tx, row, 'IN_PROGRESS');
      const seen = await observer.query('select count(*)::int as n from snapshot_event where id = $1', [inside.id]);
      expect(seen.rows[0].n).toBe(0);
      const status = await observer.query('select status from snapshot where id = $1', [snapshot.id]);
      expect(status.rows[0].status).toBe('SCHEDULED');
      return inside;
    });
    const seen = await observer.query('select count(*)::int as n from snapshot_event where id = $1', [event.id]);
    expect(seen.rows[0].n).toBe(1);
    expect(await listener.waitFor(1)).toEqual([String(event.id)]);
  });

  it('leaves no event and sends no notification when its transaction rolls back', async () => {
    const cluster = await insertCluster(orm);
    const snapshot = await schedule(orm, cluster.id);
    const [disk] = await addVolumes(orm, snapshot.id, [{ namespace: 'db', pvcName: 'disk' }]);
    await listener.settle();
    const before = await countEvents();
    await expect(
      orm.em.fork().transactional(async (tx) => {
        const row = await tx.findOneOrFail(SnapshotSchema, { id: snapshot.id });
        await moveSnapshot(tx, row, 'IN_PROGRESS', 'about to roll back');
        const volume = await tx.findOneOrFail(VolumeSnapshotSchema, { id: disk! }, { populate: ['snapshot'] });
        await moveVolume(tx, volume, 'IN_PROGRESS');
        throw new Error('the worker fell over');
      }),
    ).rejects.toThrow('the worker fell over');
    expect(await countEvents()).toBe(before);
    expect(await statusOf(snapshot.id)).toBe('SCHEDULED');
    expect(await phaseOf(disk!)).toBe('NOT_STARTED');
    await expectNothingAnnouncedBefore();
  });

  it('refuses an illegal move with IllegalTransitionError and writes nothing', async () => {
    const cluster = await insertCluster(orm);
    const snapshot = await schedule(orm, cluster.id);
    const [volume] = await addVolumes(orm, snapshot.id, [{ namespace: 'db', pvcName: 'disk' }]);
    await move(orm, snapshot.id, 'IN_PROGRESS');
    await moveVol(orm, volume!, 'SKIPPED');
    await move(orm, snapshot.id, 'COMPLETED');
    await listener.settle();
    const before = await countEvents();

    let inMemory: string | undefined;
    const illegal = orm.em.fork().transactional(async (tx) => {
      const row = await tx.findOneOrFail(SnapshotSchema, { id: snapshot.id });
      try {
        await moveSnapshot(tx, row, 'IN_PROGRESS');
      } finally {
        inMemory = row.status;
      }
    });
    await expect(illegal).rejects.toThrow(IllegalTransitionError);
    await expect(illegal).rejects.toMatchObject({ subject: 'snapshot', from: 'COMPLETED', to: 'IN_PROGRESS' });
    expect(inMemory).toBe('COMPLETED');
    await expect(moveVol(orm, volume!, 'IN_PROGRESS')).rejects.toThrow(IllegalTransitionError);
    await expect(move(orm, snapshot.id, 'SCHEDULED')).rejects.toThrow(IllegalTransitionError);

    expect(await countEvents()).toBe(before);
    expect(await statusOf(snapshot.id)).toBe('COMPLETED');
    expect(await phaseOf(volume!)).toBe('SKIPPED');
    await expectNothingAnnouncedBefore();
  });

  it('throws outside a transaction and writes nothing', async () => {
    const cluster = await insertCluster(orm);
    const snapshot = await schedule(orm, cluster.id);
    const [volumeId] = await addVolumes(orm, snapshot.id, [{ namespace: 'db', pvcName: 'disk' }]);
    await listener.settle();
    const before = await countEvents();
    const snapshotsBefore = await orm.em.fork().count(SnapshotSchema, {});

    const em = orm.em.fork();
    const row = await em.findOneOrFail(SnapshotSchema, { id: snapshot.id });
    await expect(moveSnapshot(em, row, 'IN_PROGRESS')).rejects.toThrow('snapshot transitions must run inside a transaction');
    expect(row.status).toBe('SCHEDULED');
    const volume = await em.findOneOrFail(VolumeSnapshotSchema, { id: volumeId! }, { populate: ['snapshot'] });
    await expect(moveVolume(em, volume, 'IN_PROGRESS')).rejects.toThrow('inside a transaction');
    expect(volume.phase).toBe('NOT_STARTED');
    const other = await insertCluster(orm);
    const cluster2 = await em.findOneOrFail(VirtualClusterSchema, { id: other.id });
    await expect(
      scheduleSnapshot(em, {
        virtualCluster: cluster2,
        projectId: cluster2.projectId,
        name: snapshotObjectName(cluster2.name, new Date()),
        trigger: 'MANUAL',
        volumeSnapshotsEnabled: false,
        scheduledAt: new Date(),
      }),
    ).rejects.toThrow('inside a transaction');
    // Nothing reached the database, even after a later flush of this EntityManager.
    await em.flush();

    expect(await countEvents()).toBe(before);
    expect(await orm.em.fork().count(SnapshotSchema, {})).toBe(snapshotsBefore);
    expect(await statusOf(snapshot.id)).toBe('SCHEDULED');
    expect(await phaseOf(volumeId!)).toBe('NOT_STARTED');
    await expectNothingAnnouncedBefore();
  });

  it('records a volume move when the volume was loaded without its snapshot', async () => {
    const cluster = await insertCluster(orm);
    const snapshot = await schedule(orm, cluster.id);
    await move(orm, snapshot.id, 'IN_PROGRESS');
    const [volumeId] = await addVolumes(orm, snapshot.id, [{ namespace: 'db', pvcName: 'disk' }]);
    const event = await orm.em.fork().transactional(async (tx) => {
      const volume = await tx.findOneOrFail(VolumeSnapshotSchema, { id: volumeId! });
      return moveVolume(tx, volume, 'IN_PROGRESS');
    });
    expect(event).toMatchObject({ snapshotId: snapshot.id, virtualClusterId: cluster.id, projectId: cluster.projectId, volumeSnapshotId: volumeId });
  });
});

describe('cursors under concurrency', () => {
  /** A promise with its resolve function. */
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((done) => (resolve = done));
    return { promise, resolve };
  };

  const waitUntil = async (what: string, check: () => Promise<boolean>, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('makes a second transaction wait for the first, so cursors commit in increasing order', async () => {
    const [first, second] = await Promise.all([insertCluster(orm), insertCluster(orm)]);
    const one = await schedule(orm, first!.id);
    const two = await schedule(orm, second!.id);
    await listener.settle();

    const release = deferred();
    const firstRecorded = deferred();
    let firstEvent: SnapshotEvent | undefined;
    const txA = orm.em.fork().transactional(async (tx) => {
      firstEvent = await moveSnapshot(tx, await tx.findOneOrFail(SnapshotSchema, { id: one.id }), 'IN_PROGRESS');
      firstRecorded.resolve();
      await release.promise;
      return firstEvent;
    });
    await firstRecorded.promise;

    let secondDone = false;
    let txB: Promise<SnapshotEvent> | undefined;
    try {
      txB = orm.em
        .fork()
        .transactional(async (tx) => moveSnapshot(tx, await tx.findOneOrFail(SnapshotSchema, { id: two.id }), 'IN_PROGRESS'))
        .finally(() => (secondDone = true));
      // The second transaction queues on the event cursor lock while the first is open.
      await waitUntil('the second transaction to wait on the advisory lock', async () => {
        const { rows } = await observer.query(
          `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`,
        );
        return rows[0].n === 1;
      });
      expect(secondDone).toBe(false);
      expect(listener.received).toEqual([]);
    } finally {
      // Never leave the first transaction (and its lock) open, even when an assertion failed.
      release.resolve();
    }
    const [a, b] = await Promise.all([txA, txB!]);
    expect(a.id).toBe(firstEvent!.id);
    expect(b.id).toBeGreaterThan(a.id);
    // Commit order is notification order: the first commits first, with the smaller cursor.
    expect(await listener.waitFor(2)).toEqual([String(a.id), String(b.id)]);
  });

  it('hands out cursors in commit order across many parallel transactions', async () => {
    const parallel = 8;
    const clusters = await Promise.all(Array.from({ length: parallel }, () => insertCluster(orm)));
    const snapshots = await Promise.all(clusters.map((cluster) => schedule(orm, cluster.id)));
    await listener.settle();

    const events = await Promise.all(snapshots.map((snapshot) => move(orm, snapshot.id, 'IN_PROGRESS')));
    const received = (await listener.waitFor(parallel)).map(Number);
    // Notifications arrive in commit order; their cursors must be strictly increasing.
    for (let i = 1; i < received.length; i += 1) expect(received[i]).toBeGreaterThan(received[i - 1]!);
    expect([...received].sort((x, y) => x - y)).toEqual(events.map((event) => event.id).sort((x, y) => x - y));
  });
});

describe('the partial unique index on SCHEDULED', () => {
  const insertRaw = (clusterId: string, projectId: string, name: string, status: string) =>
    observer.query(
      `insert into snapshot (id, virtual_cluster_id, project_id, name, status, trigger, volume_snapshots_enabled, scheduled_at, updated_at)
       values (gen_random_uuid(), $1, $2, $3, $4, 'MANUAL', false, now(), now())`,
      [clusterId, projectId, name, status],
    );

  it('refuses a second SCHEDULED snapshot of a cluster at the database level', async () => {
    const cluster = await insertCluster(orm);
    await schedule(orm, cluster.id);
    await expect(insertRaw(cluster.id, cluster.projectId, 'prod-second.tar.gz', 'SCHEDULED')).rejects.toMatchObject({
      code: '23505',
      constraint: 'snapshot_one_scheduled_per_cluster',
    });
    // Other statuses of the same cluster, and SCHEDULED of another cluster, are fine.
    await insertRaw(cluster.id, cluster.projectId, 'prod-done.tar.gz', 'COMPLETED');
    const other = await insertCluster(orm);
    await insertRaw(other.id, other.projectId, 'prod-other.tar.gz', 'SCHEDULED');
    const { rows } = await observer.query(`select count(*)::int as n from snapshot where virtual_cluster_id = $1 and status = 'SCHEDULED'`, [
      cluster.id,
    ]);
    expect(rows[0].n).toBe(1);
  });

  it('makes scheduleSnapshot fail with no event and no notification, until the first one moves on', async () => {
    const cluster = await insertCluster(orm);
    const first = await schedule(orm, cluster.id, new Date('2026-05-01T00:00:00Z'));
    await listener.settle();
    const before = await countEvents();
    const snapshotsBefore = await orm.em.fork().count(SnapshotSchema, { virtualCluster: cluster.id });
    await expect(schedule(orm, cluster.id, new Date('2026-05-01T00:01:00Z'))).rejects.toThrow(UniqueConstraintViolationException);
    expect(await countEvents()).toBe(before);
    expect(await orm.em.fork().count(SnapshotSchema, { virtualCluster: cluster.id })).toBe(snapshotsBefore);
    await expectNothingAnnouncedBefore();

    await move(orm, first.id, 'IN_PROGRESS');
    const second = await schedule(orm, cluster.id, new Date('2026-05-01T00:02:00Z'));
    expect(second.status).toBe('SCHEDULED');
  });
});
