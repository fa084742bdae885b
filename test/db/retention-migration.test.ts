/**
 * The retention migration moves data (the old two limits become keepLast and
 * maxAgeSeconds), so it is tested on data: the migrations before it, rows as
 * the old code wrote them, then the migration, and back down.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { ormOptions } from '../../src/db/orm.ts';
import { retentionPolicyOf } from '../../src/snapshots/retention.ts';
import { createTestDatabase } from '../support/database.ts';

const BEFORE = 'Migration20261129053316_storage_locations';
const MIGRATION = 'Migration20261129071427_retention';

let orm: MikroORM;
let drop: () => Promise<void>;

const ids = {
  both: '00000000-0000-4000-8000-0000000000b1',
  count: '00000000-0000-4000-8000-0000000000c1',
  age: '00000000-0000-4000-8000-0000000000a1',
  none: '00000000-0000-4000-8000-0000000000d1',
};

const sql = <T extends object = Record<string, unknown>>(query: string, params: unknown[] = []) => orm.em.fork().execute<T[]>(query, params);

async function insertOldCluster(id: string, maxSnapshots: number | null, maxAgeSeconds: number | null) {
  await sql(
    `insert into virtual_cluster (id, name, project_id, kubeconfig_inline, policy_time_zone, policy_retention_max_snapshots, policy_retention_max_age_seconds, created_at, updated_at)
     values (?, 'prod', ?, 'apiVersion: v1', 'Europe/Berlin', ?, ?, now(), now())`,
    [id, `p-${id.slice(-2)}`, maxSnapshots, maxAgeSeconds],
  );
}

const retentionColumns = () =>
  sql(
    `select id, policy_retention_keep_last as keep_last, policy_retention_keep_hourly as hourly, policy_retention_keep_daily as daily,
       policy_retention_keep_weekly as weekly, policy_retention_keep_monthly as monthly, policy_retention_keep_yearly as yearly,
       policy_retention_max_age_seconds as max_age, policy_retention_keep_failed_last as failed_last,
       policy_retention_keep_failed_max_age_seconds as failed_max_age
     from virtual_cluster order by id`,
  );

const row = (id: string, keepLast: number | null, maxAge: number | null) => ({
  id, keep_last: keepLast, hourly: null, daily: null, weekly: null, monthly: null, yearly: null, max_age: maxAge, failed_last: 10, failed_max_age: 604800,
});

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  orm = await MikroORM.init(ormOptions(database.url));
  await orm.migrator.up({ to: BEFORE });
  await insertOldCluster(ids.both, 2, 3600);
  await insertOldCluster(ids.count, 7, null);
  await insertOldCluster(ids.age, null, 86400);
  await insertOldCluster(ids.none, null, null);
  await orm.migrator.up({ to: MIGRATION });
});
afterAll(async () => {
  await orm?.close();
  await drop?.();
});

describe(`${MIGRATION} up`, () => {
  it('keeps the old limits as keepLast and maxAgeSeconds, no calendar rule, keepFailed at its defaults', async () => {
    expect(await retentionColumns()).toEqual([row(ids.age, null, 86400), row(ids.both, 2, 3600), row(ids.count, 7, null), row(ids.none, null, null)]);
  });

  it('the entities read a migrated policy as the same rules (with the later migrations applied, as the entities expect)', async () => {
    await orm.migrator.up();
    const cluster = await orm.em.fork().findOneOrFail(VirtualClusterSchema, { id: ids.both });
    await orm.migrator.down({ to: MIGRATION });
    expect(retentionPolicyOf(cluster.policy)).toEqual({
      timeZone: 'Europe/Berlin',
      keepLast: 2,
      keepHourly: null,
      keepDaily: null,
      keepWeekly: null,
      keepMonthly: null,
      keepYearly: null,
      maxAgeSeconds: 3600,
      keepFailed: { last: 10, maxAgeSeconds: 604800 },
    });
  });

  it('drops the old count column and, with every later migration, leaves exactly the schema the entities describe', async () => {
    const old = await sql("select column_name from information_schema.columns where table_name = 'virtual_cluster' and column_name = 'policy_retention_max_snapshots'");
    expect(old).toEqual([]);
    await orm.migrator.up();
    expect((await orm.schema.getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');
    await orm.migrator.down({ to: MIGRATION });
  });
});

describe(`${MIGRATION} down`, () => {
  it('goes back to one count that never deletes more than the new rules kept', async () => {
    await sql(`update virtual_cluster set policy_retention_keep_daily = 7, policy_retention_keep_last = 2 where id = ?`, [ids.both]);
    await sql(`update virtual_cluster set policy_retention_keep_last = 0 where id = ?`, [ids.count]);
    await orm.migrator.down({ to: BEFORE });
    expect(await sql('select id, policy_retention_max_snapshots, policy_retention_max_age_seconds from virtual_cluster order by id')).toEqual([
      { id: ids.age, policy_retention_max_snapshots: null, policy_retention_max_age_seconds: 86400 },
      // keepDaily 7 has no old equivalent: every snapshot kept (within the age).
      { id: ids.both, policy_retention_max_snapshots: null, policy_retention_max_age_seconds: 3600 },
      // keepLast 0 (only the newest) becomes 1, the old smallest count.
      { id: ids.count, policy_retention_max_snapshots: 1, policy_retention_max_age_seconds: null },
      { id: ids.none, policy_retention_max_snapshots: null, policy_retention_max_age_seconds: null },
    ]);
    const gone = await sql("select column_name from information_schema.columns where table_name = 'virtual_cluster' and column_name like 'policy_retention_keep%'");
    expect(gone).toEqual([]);
    await orm.migrator.up();
  });
});
