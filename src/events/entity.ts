import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { SnapshotProgress } from '../snapshots/progress.ts';

export const EVENT_SUBJECTS = ['SNAPSHOT', 'VOLUME_SNAPSHOT'] as const;
export type EventSubject = (typeof EVENT_SUBJECTS)[number];

/** What an event records: a UI switches on this, not on from/to. */
export const SNAPSHOT_EVENT_KINDS = ['CREATED', 'STATUS_CHANGED', 'VOLUME_PHASE_CHANGED', 'PROGRESS', 'DELETED'] as const;
export type SnapshotEventKind = (typeof SNAPSHOT_EVENT_KINDS)[number];

/**
 * One change a UI shows (see SNAPSHOT_EVENT_KINDS). `id` is the global cursor: ids are
 * taken under a transaction-scoped advisory lock, so they commit in increasing order
 * and a subscriber replaying `since` a cursor never skips a late commit (events/log.ts).
 * Snapshot and cluster ids are plain columns so the audit trail outlives them.
 */
export const SnapshotEventSchema = defineEntity({
  name: 'SnapshotEvent',
  tableName: 'snapshot_event',
  indexes: [
    { name: 'snapshot_event_snapshot_idx', properties: ['snapshotId', 'id'] },
    { name: 'snapshot_event_cluster_idx', properties: ['virtualClusterId', 'id'] },
    { name: 'snapshot_event_project_idx', properties: ['projectId', 'id'] },
    // Event-log retention prunes by age.
    { name: 'snapshot_event_at_idx', properties: ['at'] },
  ],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    kind: p.enum(SNAPSHOT_EVENT_KINDS),
    subject: p.enum(EVENT_SUBJECTS),
    snapshotId: p.uuid(),
    volumeSnapshotId: p.uuid().nullable(),
    virtualClusterId: p.uuid(),
    projectId: p.string().length(63),
    /** null when the snapshot was created (it is born SCHEDULED). */
    fromState: p.string().length(32).nullable(),
    /** The status or phase after the change; DELETED for a deletion; the status for PROGRESS. */
    toState: p.string().length(32),
    message: p.text().nullable(),
    /** The figures a PROGRESS event reports; null for every other kind. */
    progress: p.json<SnapshotProgress>().nullable(),
    at: p.datetime().onCreate(() => new Date()),
  },
});
export type SnapshotEvent = InferEntity<typeof SnapshotEventSchema>;

/**
 * The event log's horizon: the highest cursor ever pruned by event-log retention (0 until
 * the first prune). One row; a subscriber resuming from an older cursor may have missed events.
 */
export const EventLogHorizonSchema = defineEntity({
  name: 'EventLogHorizon',
  tableName: 'event_log_horizon',
  properties: {
    /** Always 1: the table holds one row. */
    id: p.smallint().primary().autoincrement(false),
    prunedThrough: p.bigint('bigint').default(0),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type EventLogHorizon = InferEntity<typeof EventLogHorizonSchema>;
