/**
 * Event-log retention: events older than EVENT_RETENTION_DAYS go, as a prefix of the log
 * (every cursor up to the newest expired one), in batches of their own transactions. Each
 * batch raises the horizon (events/log.ts) in its transaction, so a reader never misses
 * that a cursor it resumes from has been pruned.
 */
import type { EntityManager } from '@mikro-orm/postgresql';

export interface PruneResult {
  /** Events deleted. */
  pruned: number;
  /** The horizon afterwards: the highest cursor ever pruned. */
  horizon: bigint;
}

/** Deletes every event up to the newest one recorded before `cutoff`, `batchSize` per transaction. */
export async function pruneEventLog(em: EntityManager, cutoff: Date, batchSize: number): Promise<PruneResult> {
  const [target] = await em.execute<{ through: string | null }[]>(
    'select max(id)::text as through from snapshot_event where at < ?',
    [cutoff],
  );
  let pruned = 0;
  for (;;) {
    const [batch] = await em.transactional((tx) =>
      tx.execute<{ deleted: number; horizon: string }[]>(
        `with doomed as (
           select id from snapshot_event where id <= ?::bigint order by id limit ?
         ), gone as (
           delete from snapshot_event e using doomed where e.id = doomed.id returning e.id
         )
         update event_log_horizon set
           pruned_through = greatest(pruned_through, coalesce((select max(id) from gone), 0)),
           updated_at = now()
         where id = 1
         returning (select count(*) from gone)::int as deleted, pruned_through::text as horizon`,
        [target?.through ?? '0', batchSize],
      ),
    );
    const deleted = batch?.deleted ?? 0;
    pruned += deleted;
    if (deleted < batchSize) return { pruned, horizon: BigInt(batch?.horizon ?? 0) };
  }
}
