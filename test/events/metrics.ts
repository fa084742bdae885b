/** Reading a running vsnap's /metrics and the event log, for the delivery tests. */
import type { MikroORM } from '@mikro-orm/postgresql';
import { SnapshotEventSchema } from '../../src/events/entity.ts';

/** The value of one series of `name` (the sum over series when no labels are given; 0 when absent). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2]?.split(',') ?? [];
    if (wanted.every((label) => present.includes(label))) total += Number(match[3]);
  }
  return total;
}

/** The cursors of the log's events matching `where`, in order. */
export async function logCursors(orm: MikroORM, where: { virtualClusterId?: string; snapshotId?: string; projectId?: string }, after = 0): Promise<string[]> {
  const events = await orm.em.fork().find(SnapshotEventSchema, { ...where, id: { $gt: after } }, { orderBy: { id: 'asc' } });
  return events.map((event) => String(event.id));
}
