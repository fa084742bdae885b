/**
 * The cursor guarantee under concurrent writers, on real Postgres through the real
 * transitions: many transactions at once, some held open while the reader polls, some
 * rolled back after writing their event, some writing two events; a reader polling
 * readEventsAfter alongside returns every committed event exactly once, in increasing
 * cursor order, and never one that rolled back.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/orm.ts';
import { readEventsAfter } from '../../src/events/log.ts';
import { SnapshotSchema } from '../../src/snapshots/entity.ts';
import { moveSnapshot } from '../../src/snapshots/transitions.ts';
import { createTestDatabase } from '../support/database.ts';
import { insertCluster, seedCompleted } from '../support/snapshots.ts';

const WRITERS = 12;
const TRANSACTIONS_PER_WRITER = 15;

let orm: MikroORM;
let drop: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  orm = await openDatabase(database.url, { pool: { min: 0, max: WRITERS + 4 } });
});
afterAll(async () => {
  await orm?.close();
  await drop?.();
});

class RolledBack extends Error {}

/** A reader polling the log as a subscription's catch-up does, counting its polls. */
class PollingReader {
  readonly returned: bigint[] = [];
  polls = 0;
  private position: bigint;
  private stopped = false;
  private readonly waiters = new Set<() => void>();
  private readonly done: Promise<void>;

  constructor(from: bigint) {
    this.position = from;
    this.done = this.run();
  }

  /** Resolves once the reader has polled `count` more times. */
  pollsMore(count: number): Promise<void> {
    const target = this.polls + count;
    return new Promise((resolve) => {
      const check = () => {
        if (this.polls < target) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** Reads until it has returned `last`, then stops. */
  async drainTo(last: bigint): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (this.position < last) {
      if (Date.now() > deadline) throw new Error(`reader stuck at ${this.position}, expected ${last}`);
      await this.pollsMore(1);
    }
    this.stopped = true;
    await this.done;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const events = await readEventsAfter(orm.em.fork(), this.position, 7);
      for (const event of events) {
        const cursor = BigInt(event.id);
        // Never at or below a cursor already passed: that would be a reordering.
        if (cursor <= this.position) throw new Error(`cursor ${cursor} returned after ${this.position}`);
        this.returned.push(cursor);
        this.position = cursor;
      }
      this.polls++;
      for (const wake of [...this.waiters]) wake();
      if (!events.length) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

type Shape = 'plain' | 'held' | 'rolled back' | 'two events' | 'held, then rolled back';
const SHAPES: Shape[] = ['plain', 'held', 'rolled back', 'two events', 'held, then rolled back'];

describe('readEventsAfter under concurrent writers', () => {
  it('returns every committed cursor once, in order, none rolled back, while transactions are held open and rolled back', { timeout: 120_000 }, async () => {
    const cluster = await insertCluster(orm, 'ordering');
    const snapshotIds = await seedCompleted(orm, cluster.id, WRITERS);
    const [{ start } = { start: '0' }] = await orm.em.fork().execute<{ start: string }[]>('select coalesce(max(id), 0)::text as start from snapshot_event');
    const reader = new PollingReader(BigInt(start));
    const committed: bigint[] = [];
    const rolledBack: bigint[] = [];

    const writer = async (snapshotId: string, index: number) => {
      for (let t = 0; t < TRANSACTIONS_PER_WRITER; t++) {
        const shape = SHAPES[(index + t) % SHAPES.length]!;
        const written: bigint[] = [];
        try {
          await orm.em.fork().transactional(async (tx) => {
            const snapshot = await tx.findOneOrFail(SnapshotSchema, { id: snapshotId });
            const toggle = () => moveSnapshot(tx, snapshot, snapshot.status === 'COMPLETED' ? 'NOT_FOUND' : 'COMPLETED', shape);
            written.push(BigInt((await toggle()).id));
            if (shape === 'two events') written.push(BigInt((await toggle()).id));
            // Open while the reader polls at least three times: it must not move past this cursor.
            if (shape.startsWith('held')) await reader.pollsMore(3);
            if (shape.endsWith('rolled back')) throw new RolledBack();
          });
          committed.push(...written);
        } catch (error) {
          if (!(error instanceof RolledBack)) throw error;
          rolledBack.push(...written);
        }
      }
    };
    await Promise.all(snapshotIds.map(writer));
    const last = committed.reduce((max, cursor) => (cursor > max ? cursor : max), 0n);
    await reader.drainTo(last);

    const sorted = (cursors: bigint[]) => [...cursors].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(rolledBack.length).toBeGreaterThan(0);
    // Per writer, 15 transactions in 5 shapes: 3 plain + 3 held + 3 of two events commit, 6 roll back.
    expect(committed.length).toBe(WRITERS * (3 + 3 + 3 * 2));
    expect(reader.returned).toEqual(sorted(committed));
    for (const cursor of rolledBack) expect(reader.returned).not.toContain(cursor);
    const stored = await readEventsAfter(orm.em.fork(), BigInt(start), 10_000);
    expect(stored.map((event) => BigInt(event.id))).toEqual(sorted(committed));
  });
});
