import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { StorageLocationSchema } from '../locations/entity.ts';
import { DEFAULT_KEEP_FAILED } from '../snapshots/retention-policy.ts';

/** How long rows without a usable archive (FAILED, NOT_FOUND) stay: see snapshots/retention-policy.ts. */
export const KeepFailedSchema = defineEntity({
  name: 'KeepFailed',
  embeddable: true,
  properties: {
    last: p.integer().default(DEFAULT_KEEP_FAILED.last),
    maxAgeSeconds: p.integer().default(DEFAULT_KEEP_FAILED.maxAgeSeconds),
  },
});

/** Which snapshots are kept; null: the rule is not set. Read by snapshots/retention-policy.ts. */
export const RetentionSchema = defineEntity({
  name: 'Retention',
  embeddable: true,
  properties: {
    keepLast: p.integer().nullable(),
    keepHourly: p.integer().nullable(),
    keepDaily: p.integer().nullable(),
    keepWeekly: p.integer().nullable(),
    keepMonthly: p.integer().nullable(),
    keepYearly: p.integer().nullable(),
    maxAgeSeconds: p.integer().nullable(),
    // Spelled out: MikroORM's relative prefixes drop the grandparent's `policy_` at this depth.
    keepFailed: () => p.embedded(KeepFailedSchema).prefix('policy_retention_keep_failed_').prefixMode('absolute'),
  },
});
export type Retention = InferEntity<typeof RetentionSchema>;

/** What a policy does with ticks that passed while no worker ran (clusters/next-run.ts). */
export const CATCH_UP_MODES = ['ONE', 'NONE'] as const;
export type CatchUpMode = (typeof CATCH_UP_MODES)[number];

/** When and how a virtual cluster is snapshotted automatically. */
export const AutoSnapshotPolicySchema = defineEntity({
  name: 'AutoSnapshotPolicy',
  embeddable: true,
  properties: {
    enabled: p.boolean().default(false),
    /** Five-field cron expression, evaluated in `timeZone`. */
    schedule: p.string().length(120).nullable(),
    timeZone: p.string().length(64).default('UTC'),
    /** Columns `policy_retention_*`; retention reads the calendar in `timeZone`. */
    retention: () => p.embedded(RetentionSchema).prefix('retention_'),
    /** Where its snapshots are written; null means the default location at the time each is taken. */
    storageLocation: () => p.manyToOne(StorageLocationSchema).nullable().deleteRule('restrict'),
    volumeSnapshotsEnabled: p.boolean().default(false),
    /** ONE: after downtime, one catch-up snapshot stating how many ticks were missed; NONE: missed ticks are dropped. */
    catchUp: p.enum(CATCH_UP_MODES).default('ONE'),
    /** The next tick the due-finder fires (jobs/due-finder.ts); null while disabled. Indexed (virtual_cluster_next_run_idx). */
    nextRunAt: p.datetime().nullable(),
    /** Ticks that found the cluster's previous snapshot still SCHEDULED, so made none. */
    skippedTicks: p.integer().default(0),
  },
});
export type AutoSnapshotPolicy = InferEntity<typeof AutoSnapshotPolicySchema>;

export const VirtualClusterSchema = defineEntity({
  name: 'VirtualCluster',
  tableName: 'virtual_cluster',
  uniques: [{ name: 'virtual_cluster_project_name_unique', properties: ['projectId', 'name'] }],
  // The due-finder's scan: enabled policies by next tick.
  indexes: [
    {
      name: 'virtual_cluster_next_run_idx',
      expression: 'create index "virtual_cluster_next_run_idx" on "virtual_cluster" ("policy_next_run_at") where "policy_enabled"',
    },
  ],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** DNS-1123 label, unique within the project. */
    name: p.string().length(63),
    projectId: p.string().length(63).index('virtual_cluster_project_idx'),
    /** Development only: the kubeconfig itself. Never returned by the API. */
    kubeconfigInline: p.text().nullable().hidden().lazy(),
    /** A mounted secret holding the kubeconfig: `<secret-name>/<key>`. */
    kubeconfigSecretRef: p.string().length(253).nullable(),
    policy: p.embedded(AutoSnapshotPolicySchema).prefix('policy_'),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type VirtualCluster = InferEntity<typeof VirtualClusterSchema>;
