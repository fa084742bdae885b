/**
 * The event log read as a stream: what subscriptions replay and page through.
 *
 * Ordering: a cursor is taken and committed under one transaction-scoped advisory lock
 * (snapshots/transitions.ts), released only after the commit is visible, so cursors become
 * visible in increasing order: when a reader sees N+1, every N that will ever commit is
 * visible to it too (a rolled-back N leaves a gap that never fills). Plain `id > after`
 * is therefore safe under concurrent writers (test/events/ordering.test.ts).
 *
 * Why the lock and not a high-water mark (bench/event-log.ts, `npm run bench:event-log`; this
 * 2-core machine shared with other test runs, so two runs, medians of 3 × 3 s rounds each):
 *   transitions/s      lock        xmin over the id sequence      xmin over xid-major cursors
 *   1 writer           108 | 90    120 | 106 (1.11x | 1.17x)      98 | 120 (0.90x | 1.33x)
 *   4 writers          165 | 108   206 | 219 (1.25x | 2.02x)      172 | 191 (1.04x | 1.77x)
 *   16 writers         185 | 131   350 | 220 (1.89x | 1.68x)      269 | 170 (1.45x | 1.30x)
 *   with a neighbour (another transaction holding an xid 100 ms at a time), commit→read lag
 *   p50/p99: lock 0.6/31 and 1.1/14 ms; xid-major 46/101 and 63/1996 ms.
 * Reading `id > after and xid < pg_snapshot_xmin(...)` over the id sequence is NOT correct:
 * ids are drawn in one order and xids in another, so its reader skipped 32 of 1,913, 79 of
 * 3,183, 125 of 1,936 cursors. Correct is an xid-major cursor ((xid << 20) + ordinal): up
 * to 1.8x the lock's write rate, but the snapshot's xmin is server-wide, so ANY open
 * transaction that wrote (another database on the server, a row locked across a storage
 * call) holds every event back, and when it ends nothing rings the doorbell (the NOTIFY came
 * with the held-back event's own commit): a listener woken by NOTIFY would have to poll.
 * The lock is correct with the doorbell as it is, its readers see a commit at once, and its
 * 90-185 transitions/s here are ample (a running snapshot writes about one event a second),
 * so the lock stays.
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
    // Postgres takes the parameter's type from the column (uuid for the ids).
    conditions.push(`${column} = ?`);
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
