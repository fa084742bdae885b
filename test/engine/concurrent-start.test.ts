/**
 * Replicas starting at once on a new database: each connects Agenda, which creates its table,
 * indexes and types when missing. Unserialised, all but one failed with 23505 (a duplicate type);
 * under the advisory lock of createAgenda every one starts.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/orm.ts';
import { AGENDA_TABLE } from '../../src/jobs/agenda.ts';
import { startEngine, type Engine } from '../../src/jobs/engine.ts';
import { createLogger } from '../../src/logger.ts';
import { testEngineConfig } from '../support/app.ts';
import { createTestDatabase } from '../support/database.ts';

let database: { url: string; drop: () => Promise<void> };
let orm: MikroORM;
const engines: Engine[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  orm = await openDatabase(database.url);
});
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.stop(2_000)));
  await orm?.close();
  await database?.drop();
});

it('four engines starting at once on a database without the job table all start, and share one table', { timeout: 60_000 }, async () => {
  const before = await orm.em.getConnection().execute<{ count: number }[]>('select count(*)::int as count from pg_tables where tablename = ?', [AGENDA_TABLE]);
  expect(before[0]!.count).toBe(0);
  const start = () =>
    startEngine({ orm, postgresUrl: database.url, config: testEngineConfig(), logger: createLogger('silent'), worker: true, processEveryMs: 200 });
  const started = await Promise.allSettled([start(), start(), start(), start()]);
  for (const result of started) if (result.status === 'fulfilled') engines.push(result.value);
  expect(started.map((result) => (result.status === 'rejected' ? String(result.reason) : 'started'))).toEqual(['started', 'started', 'started', 'started']);
  const after = await orm.em.getConnection().execute<{ count: number }[]>('select count(*)::int as count from pg_tables where tablename = ?', [AGENDA_TABLE]);
  expect(after[0]!.count).toBe(1);
});
