import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { AutoSnapshotPolicySchema, KeepFailedSchema, RetentionSchema, VirtualClusterSchema } from '../clusters/entity.ts';
import { EventLogHorizonSchema, SnapshotEventSchema } from '../events/entity.ts';
import { StorageLocationSchema } from '../locations/entity.ts';
import { SnapshotSchema, VolumeSnapshotSchema } from '../snapshots/entity.ts';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export const ENTITIES = [
  StorageLocationSchema,
  KeepFailedSchema,
  RetentionSchema,
  AutoSnapshotPolicySchema,
  VirtualClusterSchema,
  SnapshotSchema,
  VolumeSnapshotSchema,
  SnapshotEventSchema,
  EventLogHorizonSchema,
];

/** Counts SQL statements sent, for /metrics and the query benchmark. */
export const sqlStatements = { count: 0 };

export function ormOptions(clientUrl: string, overrides: Partial<Options> = {}): Options {
  return defineConfig({
    clientUrl,
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: {
      path: MIGRATIONS_DIR,
      glob: '!(*.d).{js,ts}',
      tableName: 'vsnap_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    // A request's EntityManager is always forked explicitly (see context.ts).
    allowGlobalContext: false,
    forceUtcTimezone: true,
    onQuery: (sql) => {
      sqlStatements.count += 1;
      return sql;
    },
    pool: { min: 0, max: 10 },
    ...overrides,
  });
}

export async function openDatabase(clientUrl: string, overrides: Partial<Options> = {}): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(clientUrl, overrides));
  await orm.migrator.up();
  return orm;
}
