/**
 * The event-kind migration backfills data: events as the old code wrote them, then the
 * migration (each row gets the kind its columns imply), and back down.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ormOptions } from '../../src/db/orm.ts';
import { createTestDatabase } from '../support/database.ts';

const BEFORE = 'Migration20261129072423_integrity';
const MIGRATION = 'Migration20261129091553_event_kind';
const SNAPSHOT = '00000000-0000-4000-8000-0000000000e1';
const CLUSTER = '00000000-0000-4000-8000-0000000000c1';
const VOLUME = '00000000-0000-4000-8000-0000000000f1';

let orm: MikroORM;
let drop: () => Promise<void>;
const sql = <T extends object = Record<string, unknown>>(query: string, params: unknown[] = []) => orm.em.fork().execute<T[]>(query, params);

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  orm = await MikroORM.init(ormOptions(database.url));
  await orm.migrator.up({ to: BEFORE });
  const insert = (subject: string, volume: string | null, from: string | null, to: string) =>
    sql(
      `insert into snapshot_event (subject, snapshot_id, volume_snapshot_id, virtual_cluster_id, project_id, from_state, to_state, at)
       values (?, ?, ?, ?, 'p', ?, ?, now())`,
      [subject, SNAPSHOT, volume, CLUSTER, from, to],
    );
  await insert('SNAPSHOT', null, null, 'SCHEDULED');
  await insert('SNAPSHOT', null, 'SCHEDULED', 'IN_PROGRESS');
  await insert('VOLUME_SNAPSHOT', VOLUME, 'NOT_STARTED', 'IN_PROGRESS');
  await insert('SNAPSHOT', null, 'IN_PROGRESS', 'COMPLETED');
  await orm.migrator.up({ to: MIGRATION });
});
afterAll(async () => {
  await orm?.close();
  await drop?.();
});

describe('the event-kind migration', () => {
  it('gives every existing event its kind: a birth CREATED, a snapshot move STATUS_CHANGED, a volume move VOLUME_PHASE_CHANGED', async () => {
    expect(await sql('select kind, from_state, to_state from snapshot_event order by id')).toEqual([
      { kind: 'CREATED', from_state: null, to_state: 'SCHEDULED' },
      { kind: 'STATUS_CHANGED', from_state: 'SCHEDULED', to_state: 'IN_PROGRESS' },
      { kind: 'VOLUME_PHASE_CHANGED', from_state: 'NOT_STARTED', to_state: 'IN_PROGRESS' },
      { kind: 'STATUS_CHANGED', from_state: 'IN_PROGRESS', to_state: 'COMPLETED' },
    ]);
  });

  it('starts the horizon at 0 and refuses an unknown kind', async () => {
    expect(await sql('select id, pruned_through::int as horizon from event_log_horizon')).toEqual([{ id: 1, horizon: 0 }]);
    await expect(
      sql(`insert into snapshot_event (kind, subject, snapshot_id, virtual_cluster_id, project_id, to_state, at) values ('RENAMED', 'SNAPSHOT', ?, ?, 'p', 'X', now())`, [SNAPSHOT, CLUSTER]),
    ).rejects.toThrow(/snapshot_event_kind_check/);
  });

  it('rolls back to the old columns, dropping the events the old schema cannot tell apart', async () => {
    await sql(`insert into snapshot_event (kind, subject, snapshot_id, virtual_cluster_id, project_id, from_state, to_state, at) values ('DELETED', 'SNAPSHOT', ?, ?, 'p', 'COMPLETED', 'DELETED', now())`, [SNAPSHOT, CLUSTER]);
    await orm.migrator.down({ to: BEFORE });
    const columns = await sql<{ column_name: string }>("select column_name from information_schema.columns where table_name = 'snapshot_event'");
    expect(columns.map((column) => column.column_name)).not.toContain('kind');
    expect(await sql('select to_state from snapshot_event order by id')).toEqual([
      { to_state: 'SCHEDULED' }, { to_state: 'IN_PROGRESS' }, { to_state: 'IN_PROGRESS' }, { to_state: 'COMPLETED' },
    ]);
  });
});
