import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ormOptions } from '../../src/db/orm.ts';
import { createTestDatabase } from '../support/database.ts';

describe('migrations', () => {
  let orm: MikroORM;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    orm = await MikroORM.init(ormOptions(database.url));
  });
  afterAll(async () => {
    await orm.close();
    await drop();
  });

  it('build exactly the schema the entities describe', async () => {
    await orm.migrator.up();
    const drift = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(drift.trim(), 'entities and migrations disagree: run `npm run migration:create`').toBe('');
  });

  it('include the partial unique index that allows one SCHEDULED snapshot per cluster', async () => {
    const [index] = await orm.em.fork().execute<{ indexdef: string }[]>(
      "select indexdef from pg_indexes where indexname = 'snapshot_one_scheduled_per_cluster'",
    );
    expect(index?.indexdef).toMatch(/CREATE UNIQUE INDEX .* \(virtual_cluster_id\) WHERE \(status = 'SCHEDULED'::text\)/);
  });

  it('roll all the way down and up again', async () => {
    await orm.migrator.down({ to: 0 });
    const [{ count } = { count: -1 }] = await orm.em.fork().execute<{ count: number }[]>(
      "select count(*)::int as count from information_schema.tables where table_schema = 'public' and table_name <> 'vsnap_migrations'",
    );
    expect(count).toBe(0);
    await orm.migrator.up();
    expect((await orm.schema.getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');
  });
});
