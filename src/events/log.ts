/**
 * The event log read as a stream: what subscriptions replay and page through.
 *
 * Ordering: a cursor is taken and committed under one transaction-scoped advisory lock
 * (snapshots/transitions.ts), released only after the commit is visible, so cursors become
 * visible in increasing order: when a reader sees N+1, every N that will ever commit is
 * visible to it too (a rolled-back N leaves a gap that never fills). Plain `id > after`
 * is therefore safe under concurrent writers (test/events/ordering.test.ts).
 *
 * Why the lock and not a high-water mark (bench/event-log.ts, `npm run bench:event-log`, this
 * 2-core machine shared with other test runs, medians of 3 × 3 s rounds):
 *   writers      lock           xmin over a sequence id     xmin over xid-major cursors
 *   1            108 tr/s       120 tr/s, 1.11x             98 tr/s, 0.90x
 *   4            165 tr/s       206 tr/s, 1.25x             172 tr/s, 1.04x
 *   16           185 tr/s       350 tr/s, 1.89x             269 tr/s, 1.45x
 *   commit→read p99 (1/4/16 writers): lock 27/18/9 ms; xid-major 1987/840/221 ms.
 * Reading `id > after and xid < pg_snapshot_xmin(...)` over a sequence id is NOT correct:
 * ids are drawn in one order and xids in another, so the reader skipped 32 of 1,913 and
 * 79 of 3,183 cursors. Correct is an xid-major cursor ((xid << 20) + ordinal), which writes
 * up to 1.45x faster with 16 writers, but delivers late: the snapshot's xmin is server-wide,
 * so ANY open transaction that wrote (another database on the server, a row locked across a
 * storage call) holds every event back, and nothing rings the doorbell when it ends. The
 * lock's throughput is ample (a running snapshot writes about one event per second) and
 * its readers see a commit at once, so the lock stays.
 *
 * Retention (events/retention.ts) prunes a prefix of the log and raises the horizon in the
 * same transaction. To resume, read first and then assertResumable: if the horizon is still
 * at or below `since` afterwards, nothing the read needed had been pruned before it.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { CursorExpiredError, quoted, ValidationError } from '../errors.ts';
import { SnapshotEventSchema, type SnapshotEvent } from './entity.ts';

/** Which events a reader wants; every given field must match. */
export interface EventFilter {
  /** The caller's visible projects; undefined = all (a platform admin). Empty = none. */
  projectIds?: readonly string[];
  projectId?: string;
  virtualClusterId?: string;
  snapshotId?: string;
}

/** The one row of event_log_horizon. */
const HORIZON_ID = 1;

/** Committed events with id > after, in id order, at most `limit`. */
export async function readEventsAfter(em: EntityManager, after: bigint, limit: number, filter: EventFilter = {}): Promise<SnapshotEvent[]> {
  if (filter.projectIds?.length === 0) return [];
  const conditions = ['id > ?::bigint'];
  const params: unknown[] = [after.toString()];
  if (filter.projectIds) {
    // The driver spreads the array into one bound parameter per project: token claims are never spliced into SQL.
    conditions.push('project_id in (?)');
    params.push([...filter.projectIds]);
  }
  for (const [column, value] of [
    ['project_id', filter.projectId],
    ['virtual_cluster_id', filter.virtualClusterId],
    ['snapshot_id', filter.snapshotId],
  ] as const) {
    if (value === undefined) continue;
    conditions.push(column === 'project_id' ? `${column} = ?` : `${column} = ?::uuid`);
    params.push(value);
  }
  params.push(limit);
  const rows = await em.execute<Record<string, unknown>[]>(
    `select * from snapshot_event where ${conditions.join(' and ')} order by id limit ?`,
    params,
  );
  return rows.map((row) => em.map(SnapshotEventSchema, row));
}

/** The highest cursor ever pruned by event-log retention (0n before the first prune). */
export async function eventLogHorizon(em: EntityManager): Promise<bigint> {
  const [row] = await em.execute<{ pruned_through: string }[]>('select pruned_through::text from event_log_horizon where id = ?', [HORIZON_ID]);
  return BigInt(row?.pruned_through ?? 0);
}

/** CURSOR_EXPIRED when events after `since` may have been pruned: the client refetches and subscribes anew. */
export async function assertResumable(em: EntityManager, since: bigint): Promise<void> {
  const horizon = await eventLogHorizon(em);
  if (since < horizon) {
    throw new CursorExpiredError(
      `cursor ${since} is older than the retained event log (events up to ${horizon} were pruned): refetch, then subscribe without since`,
      'since',
    );
  }
}

/** The highest committed cursor, 0n when none; never below the horizon, so resuming from it always works. */
export async function latestCursor(em: EntityManager): Promise<bigint> {
  const [row] = await em.execute<{ cursor: string }[]>(
    `select greatest(coalesce((select max(id) from snapshot_event), 0), coalesce((select pruned_through from event_log_horizon where id = ?), 0))::text as cursor`,
    [HORIZON_ID],
  );
  return BigInt(row?.cursor ?? 0);
}

/** Largest cursor a client may send: a Postgres bigint. */
const MAX_CURSOR = 2n ** 63n - 1n;

/** A cursor as a client sends it (a decimal string), or VALIDATION naming `field`. */
export function parseCursor(raw: string, field = 'since'): bigint {
  if (!/^(0|[1-9]\d{0,18})$/.test(raw) || BigInt(raw) > MAX_CURSOR) {
    throw new ValidationError(`${field} must be an event cursor (a decimal integer from 0 to ${MAX_CURSOR}), got ${quoted(raw)}`, field);
  }
  return BigInt(raw);
}
