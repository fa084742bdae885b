/**
 * Event-log benchmark: how many transitions per second commit with each way of keeping
 * cursors in order for readers, with 1, 4 and 16 concurrent writers, and whether a reader
 * polling alongside ever skips a cursor.
 *
 *   npm run bench:event-log
 *
 * A transition is what snapshots/transitions.ts commits: in one transaction, the snapshot
 * row's status UPDATE, then the event INSERT with its NOTIFY, then COMMIT. Each writer has
 * a connection and a snapshot row of its own (no row contention: only the ordering costs).
 * The strategies differ only in the event statement and the reader's query:
 *
 *   lock       (production) the INSERT takes a transaction-scoped advisory lock first, so
 *              cursors (a sequence) are drawn and committed one transaction at a time;
 *              the reader reads `id > after`.
 *   xmin-id    the INSERT stores pg_current_xact_id() in an xid8 column, without a lock;
 *              the reader reads `id > after` but only rows whose xid is below
 *              pg_snapshot_xmin(pg_current_snapshot()) (every older transaction has ended).
 *              Cursors are still a sequence: ordered by id while visibility follows xids.
 *   xmin-xid   as xmin-id, but the cursor itself is xid-major ((xid << 20) + the event's
 *              ordinal in its transaction), so the high-water mark is a cursor prefix.
 *
 * Lag: from a writer's COMMIT returning to the polling reader returning that cursor. A last
 * configuration adds a neighbour: one more connection whose transactions take an xid and
 * stay open 100 ms, one after another (a row locked FOR UPDATE across a storage call, or any
 * other application's transaction on the same server: xmin is server-wide).
 *
 * Skips: the reader records every cursor it has passed; once the writers stop and it has
 * drained, every committed cursor it never returned is a skip (it had moved past it).
 * Rounds alternate between strategies (machine noise hits all alike); each figure is the
 * median of its rounds.
 *
 * Environment:
 *   DATABASE_URL        a Postgres server: a database vsnap_bench_events_<pid> is created there
 *                       and dropped at the end (unset: an embedded Postgres in .vsnap/bench-events-postgres)
 *   BENCH_SECONDS       measured seconds per round (default 3)
 *   BENCH_ROUNDS        rounds per strategy and writer count (default 3)
 *   BENCH_WRITERS       writer counts, comma-separated (default 1,4,16)
 *   BENCH_NEIGHBOUR_WRITERS  writers of the extra configuration with a neighbour (default 4)
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { createBenchDatabase, connectClient, envNumber, percentile, runBench, withClient, withCleanups } from './support.ts';

const SECONDS = envNumber('BENCH_SECONDS', 3);
const ROUNDS = envNumber('BENCH_ROUNDS', 3);
const WRITERS = (process.env.BENCH_WRITERS ?? '1,4,16').split(',').map(Number);
/** Writers of the round with a neighbour. */
const NEIGHBOUR_WRITERS = envNumber('BENCH_NEIGHBOUR_WRITERS', 4);
const LOCK_KEY = 0x76736e6170;
const ORDINAL_BITS = 20;

type Strategy = 'lock' | 'xmin-id' | 'xmin-xid';
const STRATEGIES: Strategy[] = ['lock', 'xmin-id', 'xmin-xid'];

const EVENT_COLUMNS = 'kind, subject, snapshot_id, virtual_cluster_id, project_id, from_state, to_state, at';
const EVENT_VALUES = `'STATUS_CHANGED', 'SNAPSHOT', $1, $2, 'bench', 'IN_PROGRESS', 'IN_PROGRESS', now()`;

/** The event statement of each strategy ($1 snapshot, $2 cluster); returns the cursor. */
const INSERT: Record<Strategy, string> = {
  lock: `with cursor_lock as (select pg_advisory_xact_lock(${LOCK_KEY})),
    event as (insert into snapshot_event (${EVENT_COLUMNS}) select ${EVENT_VALUES} from cursor_lock returning id)
    select id, pg_notify('bench_events', id::text) from event`,
  'xmin-id': `with event as (insert into snapshot_event (${EVENT_COLUMNS}, xid) values (${EVENT_VALUES}, pg_current_xact_id()) returning id)
    select id, pg_notify('bench_events', id::text) from event`,
  'xmin-xid': `with tx as materialized (select pg_current_xact_id()::text::bigint << ${ORDINAL_BITS} as base),
    event as (
      insert into snapshot_event (id, ${EVENT_COLUMNS}, xid)
      select coalesce((select max(id) from snapshot_event where id >= tx.base and id < tx.base + ${2 ** ORDINAL_BITS}), tx.base) + 1,
        ${EVENT_VALUES}, pg_current_xact_id() from tx
      returning id)
    select id, pg_notify('bench_events', id::text) from event`,
};

/** The reader's query of each strategy ($1 after). */
const READ: Record<Strategy, string> = {
  lock: 'select id from snapshot_event where id > $1 order by id limit 1000',
  'xmin-id': 'select id from snapshot_event where id > $1 and xid < pg_snapshot_xmin(pg_current_snapshot()) order by id limit 1000',
  'xmin-xid': `select id from snapshot_event where id > $1
    and id < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << ${ORDINAL_BITS}) order by id limit 1000`,
};

interface Round {
  strategy: Strategy;
  writers: number;
  neighbour: boolean;
  transitionsPerSecond: number;
  skipped: number;
  committed: number;
  /** Milliseconds from a writer's COMMIT returning to the reader returning its cursor. */
  lags: number[];
}

async function prepare(url: string): Promise<{ clusterId: string; snapshotIds: string[] }> {
  const { openDatabase } = await import('../src/db/orm.ts');
  const orm = await openDatabase(url, { pool: { min: 0, max: 2 } });
  await orm.close();
  const max = Math.max(...WRITERS);
  return withClient(url, async (client) => {
    await client.query('alter table snapshot_event add column xid xid8');
    const cluster = await client.query<{ id: string }>(
      `insert into virtual_cluster (id, name, project_id, kubeconfig_inline, policy_time_zone, created_at, updated_at)
       values (gen_random_uuid(), 'bench', 'bench', 'apiVersion: v1', 'UTC', now(), now()) returning id`,
    );
    const clusterId = cluster.rows[0]!.id;
    const snapshots = await client.query<{ id: string }>(
      `insert into snapshot (id, virtual_cluster_id, project_id, name, status, trigger, volume_snapshots_enabled, scheduled_at, updated_at)
       select gen_random_uuid(), $1, 'bench', 'bench-' || n || '.tar.gz', 'COMPLETED', 'MANUAL', false, now() - n * interval '1 second', now()
       from generate_series(1, $2) n returning id`,
      [clusterId, max],
    );
    return { clusterId, snapshotIds: snapshots.rows.map((row) => row.id) };
  });
}

async function round(url: string, strategy: Strategy, writers: number, neighbour: boolean, clusterId: string, snapshotIds: string[]): Promise<Round> {
  const clients = await Promise.all(Array.from({ length: writers }, () => connectClient(url)));
  const reader = await connectClient(url);
  const other = neighbour ? await connectClient(url) : undefined;
  await reader.query('truncate snapshot_event');
  let running = true;
  let transitions = 0;
  const commits = new Map<string, number>();
  const write = async (client: pg.Client, snapshotId: string) => {
    while (running) {
      await client.query('begin');
      await client.query(`update snapshot set status = 'COMPLETED', updated_at = now() where id = $1`, [snapshotId]);
      const { rows } = await client.query<{ id: string }>(INSERT[strategy], [snapshotId, clusterId]);
      await client.query('commit');
      commits.set(rows[0]!.id, performance.now());
      transitions++;
    }
  };
  // A neighbour: another transaction that writes and stays open 100 ms (a row locked FOR UPDATE
  // across a storage call, another application on the same server), one after another.
  const disturb = async (client: pg.Client) => {
    while (running) {
      await client.query('begin');
      await client.query('select pg_current_xact_id()');
      await client.query('select pg_sleep(0.1)');
      await client.query('commit');
    }
  };
  const returned = new Map<string, number>();
  let position = 0n;
  let reading = true;
  const read = async () => {
    while (reading) {
      const { rows } = await reader.query<{ id: string }>(READ[strategy], [position.toString()]);
      const now = performance.now();
      for (const row of rows) returned.set(row.id, now);
      if (rows.length) position = BigInt(rows.at(-1)!.id);
      else await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  const readerDone = read();
  const started = performance.now();
  const writing = clients.map((client, index) => write(client, snapshotIds[index]!));
  if (other) writing.push(disturb(other));
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  running = false;
  await Promise.all(writing);
  const elapsed = (performance.now() - started) / 1000;
  const total = transitions;
  // Drain: the reader catches up with everything committed, then stops.
  const { rows: all } = await reader.query<{ id: string }>('select id from snapshot_event order by id');
  const last = all.at(-1)?.id;
  const deadline = Date.now() + 10_000;
  while (last !== undefined && position < BigInt(last) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  reading = false;
  await readerDone;
  const skipped = all.filter((row) => !returned.has(row.id)).length;
  await Promise.all([...clients, reader, ...(other ? [other] : [])].map((client) => client.end()));
  const lags = [...commits].flatMap(([id, at]) => (returned.has(id) ? [Math.max(0, returned.get(id)! - at)] : []));
  return { strategy, writers, neighbour, transitionsPerSecond: total / elapsed, skipped, committed: all.length, lags };
}

const ms = (value: number) => `${Number.isNaN(value) ? '—' : value.toFixed(1)}ms`.padStart(7);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function main(): Promise<number> {
  return withCleanups(async (cleanups) => {
    const database = await createBenchDatabase(cleanups, { prefix: 'vsnap_bench_events_', dataDirName: 'bench-events-postgres' });
    console.log(`event-log bench: ${database.description}; ${SECONDS}s rounds, ${ROUNDS} per strategy and writer count`);
    const { clusterId, snapshotIds } = await prepare(database.url);
    const results: Round[] = [];
    const configurations = [...WRITERS.map((writers) => ({ writers, neighbour: false })), { writers: NEIGHBOUR_WRITERS, neighbour: true }];
    for (const { writers, neighbour } of configurations) {
      for (let r = 0; r < ROUNDS; r++) {
        for (const strategy of STRATEGIES) results.push(await round(database.url, strategy, writers, neighbour, clusterId, snapshotIds));
      }
    }
    console.log('\nwriters            strategy   transitions/s  (rounds)              vs lock  lag p50   p99    skipped cursors');
    for (const { writers, neighbour } of configurations) {
      const of = (strategy: Strategy) => results.filter((r) => r.writers === writers && r.neighbour === neighbour && r.strategy === strategy);
      const lock = median(of('lock').map((r) => r.transitionsPerSecond));
      for (const strategy of STRATEGIES) {
        const mine = of(strategy);
        const rate = median(mine.map((r) => r.transitionsPerSecond));
        const lags = mine.flatMap((r) => r.lags).sort((a, b) => a - b);
        const skipped = mine.reduce((sum, r) => sum + r.skipped, 0);
        const committed = mine.reduce((sum, r) => sum + r.committed, 0);
        const label = `${writers}${neighbour ? ' + neighbour' : ''}`;
        console.log(
          `${label.padEnd(17)}  ${strategy.padEnd(9)}  ${rate.toFixed(0).padStart(13)}  ${`(${mine.map((r) => r.transitionsPerSecond.toFixed(0)).join(', ')})`.padEnd(20)}` +
            `  ${`${(rate / lock).toFixed(2)}x`.padStart(7)}  ${ms(percentile(lags, 50))}  ${ms(percentile(lags, 99))}  ${`${skipped} of ${committed}`.padStart(15)}`,
        );
      }
    }
    return 0;
  });
}

runBench(import.meta.url, main, () => undefined);
