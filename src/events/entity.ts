import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const EVENT_SUBJECTS = ['SNAPSHOT', 'VOLUME_SNAPSHOT'] as const;
export type EventSubject = (typeof EVENT_SUBJECTS)[number];

/**
 * One status or phase transition. `id` is the global cursor: ids are taken
 * under a transaction-scoped advisory lock, so they commit in increasing order
 * and a subscriber replaying `since` a cursor never skips a late commit.
 * Snapshot and cluster ids are plain columns so the audit trail outlives them.
 */
export const SnapshotEventSchema = defineEntity({
  name: 'SnapshotEvent',
  tableName: 'snapshot_event',
  indexes: [
    { name: 'snapshot_event_snapshot_idx', properties: ['snapshotId', 'id'] },
    { name: 'snapshot_event_cluster_idx', properties: ['virtualClusterId', 'id'] },
    { name: 'snapshot_event_project_idx', properties: ['projectId', 'id'] },
  ],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    subject: p.enum(EVENT_SUBJECTS),
    snapshotId: p.uuid(),
    volumeSnapshotId: p.uuid().nullable(),
    virtualClusterId: p.uuid(),
    projectId: p.string().length(63),
    /** null when the snapshot was created (it is born SCHEDULED). */
    fromState: p.string().length(32).nullable(),
    toState: p.string().length(32),
    message: p.text().nullable(),
    at: p.datetime().onCreate(() => new Date()),
  },
});
export type SnapshotEvent = InferEntity<typeof SnapshotEventSchema>;
