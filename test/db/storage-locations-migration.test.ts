/**
 * The storage-locations migration moves data, so it is tested on data: the
 * migrations before it, rows as the old code wrote them, then the migration.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ormOptions } from '../../src/db/orm.ts';
import { StorageLocationSchema } from '../../src/locations/entity.ts';
import { openLocationStore } from '../../src/locations/store.ts';
import { LocalObjectStore, S3ObjectStore, StorageError } from '../../src/storage/index.ts';
import { createTestDatabase } from '../support/database.ts';

const BEFORE = 'Migration20261125164433_engine';
const MIGRATION = 'Migration20261129053316_storage_locations';

let orm: MikroORM;
let drop: () => Promise<void>;

const ids = {
  a: '00000000-0000-4000-8000-00000000000a',
  b: '00000000-0000-4000-8000-00000000000b',
  c: '00000000-0000-4000-8000-00000000000c',
  d: '00000000-0000-4000-8000-00000000000d',
  snapshotA: '00000000-0000-4000-8000-0000000000a1',
  snapshotD: '00000000-0000-4000-8000-0000000000d1',
  scheduledD: '00000000-0000-4000-8000-0000000000d2',
};

const sql = <T extends object = Record<string, unknown>>(query: string, params: unknown[] = []) => orm.em.fork().execute<T[]>(query, params);

async function insertCluster(id: string, projectId: string, target: string | null) {
  await sql(
    `insert into virtual_cluster (id, name, project_id, kubeconfig_inline, policy_storage_target, created_at, updated_at)
     values (?, 'prod', ?, 'apiVersion: v1', ?, now(), now())`,
    [id, projectId, target],
  );
}

async function insertSnapshot(id: string, clusterId: string, projectId: string, status: string, target: string | null) {
  await sql(
    `insert into snapshot (id, virtual_cluster_id, project_id, name, status, trigger, volume_snapshots_enabled, scheduled_at, storage_target, location, updated_at)
     values (?, ?, ?, ?, ?, 'MANUAL', false, now(), ?, ?, now())`,
    [id, clusterId, projectId, `prod-${id.slice(-2)}.tar.gz`, status, target, target && status !== 'SCHEDULED' ? `${target}/prod.tar.gz` : null],
  );
}

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  orm = await MikroORM.init(ormOptions(database.url));
  await orm.migrator.up({ to: BEFORE });
  // Two projects sharing one S3 target (written with an empty segment and a trailing slash),
  // a tenant's absolute directory outside any root, and a cluster on the old default.
  await insertCluster(ids.a, 'pa', 's3://snaps/team-a//daily/');
  await insertCluster(ids.b, 'pb', 's3://snaps/team-a//daily/');
  await insertCluster(ids.c, 'pc', '/etc');
  await insertCluster(ids.d, 'pd', null);
  await insertSnapshot(ids.snapshotA, ids.a, 'pa', 'COMPLETED', 's3://snaps/team-a//daily/');
  await insertSnapshot(ids.snapshotD, ids.d, 'pd', 'COMPLETED', '/var/lib/vsnap/snapshots');
  await insertSnapshot(ids.scheduledD, ids.d, 'pd', 'SCHEDULED', null);
  await orm.migrator.up({ to: MIGRATION });
});
afterAll(async () => {
  await orm?.close();
  await drop?.();
});

const locations = () =>
  sql<{ id: string; name: string; kind: string; bucket: string | null; prefix: string | null; endpoint: string | null; credentials_source: string | null; directory: string | null; allowed_project_ids: string[] | null; is_default: boolean }>(
    'select id, name, kind, bucket, prefix, endpoint, credentials_source, directory, allowed_project_ids, is_default from storage_location order by name',
  );

describe(`${MIGRATION} up`, () => {
  it('makes a default LOCAL location at the root and one location per distinct old target, open to the projects that used it', async () => {
    const rows = (await locations()).map(({ id: _id, ...row }) => row);
    expect(rows).toEqual([
      { name: 'default', kind: 'LOCAL', bucket: null, prefix: null, endpoint: null, credentials_source: null, directory: '', allowed_project_ids: null, is_default: true },
      { name: 'legacy-1', kind: 'LOCAL', bucket: null, prefix: null, endpoint: null, credentials_source: null, directory: '/etc', allowed_project_ids: ['pc'], is_default: false },
      { name: 'legacy-2', kind: 'LOCAL', bucket: null, prefix: null, endpoint: null, credentials_source: null, directory: '/var/lib/vsnap/snapshots', allowed_project_ids: ['pd'], is_default: false },
      { name: 'legacy-3', kind: 'S3', bucket: 'snaps', prefix: 'team-a/daily', endpoint: null, credentials_source: 'DEFAULT', directory: null, allowed_project_ids: ['pa', 'pb'], is_default: false },
    ]);
  });

  it('points policies and snapshots at their locations; no target means the default', async () => {
    const byName = Object.fromEntries((await locations()).map((row) => [row.name, row.id]));
    const clusters = await sql<{ id: string; policy_storage_location_id: string | null }>('select id, policy_storage_location_id from virtual_cluster order by id');
    expect(clusters).toEqual([
      { id: ids.a, policy_storage_location_id: byName['legacy-3'] },
      { id: ids.b, policy_storage_location_id: byName['legacy-3'] },
      { id: ids.c, policy_storage_location_id: byName['legacy-1'] },
      { id: ids.d, policy_storage_location_id: null },
    ]);
    const snapshots = await sql<{ id: string; storage_location_id: string | null; location: string | null }>('select id, storage_location_id, location from snapshot order by id');
    expect(snapshots).toEqual([
      { id: ids.snapshotA, storage_location_id: byName['legacy-3'], location: 's3://snaps/team-a//daily//prod.tar.gz' },
      { id: ids.snapshotD, storage_location_id: byName['legacy-2'], location: '/var/lib/vsnap/snapshots/prod.tar.gz' },
      { id: ids.scheduledD, storage_location_id: null, location: null },
    ]);
  });

  it('drops the old columns and leaves exactly the schema the entities describe', async () => {
    const columns = await sql<{ column_name: string }>(
      "select column_name from information_schema.columns where table_name in ('virtual_cluster', 'snapshot', 'storage_location') and column_name in ('policy_storage_target', 'storage_target', 'legacy_target')",
    );
    expect(columns).toEqual([]);
    // The entities describe the schema of every migration, later ones included.
    await orm.migrator.up();
    expect((await orm.schema.getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');
  });

  it('keeps legacy directories usable only inside LOCAL_STORAGE_ROOT, refusing the others with what to do', async () => {
    const em = orm.em.fork();
    const settings = { s3: { region: 'us-east-1', pathStyle: true, partSizeBytes: 5 * 1024 * 1024 }, localRoot: '/var/lib/vsnap', secretsDir: '/nonexistent', credentialVariables: {} };
    const inside = await openLocationStore(await em.findOneOrFail(StorageLocationSchema, { name: 'legacy-2' }), settings);
    expect(inside).toBeInstanceOf(LocalObjectStore);
    expect(inside.location).toBe('/var/lib/vsnap/snapshots');
    const outside: unknown = await openLocationStore(await em.findOneOrFail(StorageLocationSchema, { name: 'legacy-1' }), settings).catch((error: unknown) => error);
    expect(outside).toBeInstanceOf(StorageError);
    expect((outside as StorageError).reason).toBe('refused');
    expect((outside as StorageError).message).toBe(
      'storage refused: legacy directory "/etc" is outside LOCAL_STORAGE_ROOT (/var/lib/vsnap); move its archives under /var/lib/vsnap and set the location\'s directory relative to it',
    );
    const s3 = await openLocationStore(await em.findOneOrFail(StorageLocationSchema, { name: 'legacy-3' }), settings);
    expect(s3).toBeInstanceOf(S3ObjectStore);
    expect(s3.location).toBe('s3://snaps/team-a/daily');
  });
});

describe(`${MIGRATION} down`, () => {
  it('turns locations back into targets (S3 as s3:// URLs, absolute directories as they were)', async () => {
    await orm.migrator.down({ to: BEFORE });
    expect(await sql('select id, policy_storage_target from virtual_cluster order by id')).toEqual([
      { id: ids.a, policy_storage_target: 's3://snaps/team-a/daily' },
      { id: ids.b, policy_storage_target: 's3://snaps/team-a/daily' },
      { id: ids.c, policy_storage_target: '/etc' },
      { id: ids.d, policy_storage_target: null },
    ]);
    expect(await sql('select id, storage_target from snapshot order by id')).toEqual([
      { id: ids.snapshotA, storage_target: 's3://snaps/team-a/daily' },
      { id: ids.snapshotD, storage_target: '/var/lib/vsnap/snapshots' },
      { id: ids.scheduledD, storage_target: null },
    ]);
    expect(await sql("select count(*)::int as n from information_schema.tables where table_name = 'storage_location'")).toEqual([{ n: 0 }]);
    await orm.migrator.up();
  });
});
