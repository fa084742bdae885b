import type { MikroORM } from '@mikro-orm/postgresql';

/** The SCHEDULED snapshots waiting, and how long the oldest has waited (the capacity gauges). */
export async function scheduledQueue(orm: MikroORM): Promise<{ waiting: number; oldestWaitSeconds: number }> {
  const [row] = await orm.em.fork().execute<{ waiting: number; oldest: number | null }[]>(
    `select count(*)::int as waiting, extract(epoch from now() - min(scheduled_at))::float8 as oldest
     from snapshot where status = 'SCHEDULED'`,
  );
  return { waiting: row?.waiting ?? 0, oldestWaitSeconds: Math.max(0, row?.oldest ?? 0) };
}
