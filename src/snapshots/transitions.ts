/**
 * The only code that assigns a snapshot status or a volume phase. Each move is
 * checked against lifecycle.ts, recorded as a SnapshotEvent and announced with
 * NOTIFY, all inside the caller's transaction: a rolled-back move leaves no
 * event and no notification, a committed one always has both.
 */
import { wrap } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SnapshotEventSchema, type EventSubject, type SnapshotEvent, type SnapshotEventKind } from '../events/entity.ts';
import { SnapshotSchema, type Snapshot, type SnapshotTrigger, type VolumeSnapshot } from './entity.ts';
import type { SnapshotProgress } from './progress.ts';
import {
  assertSnapshotMove,
  assertVolumeMove,
  INITIAL_SNAPSHOT_STATUS,
  type SnapshotStatus,
  type VolumeSnapshotPhase,
} from './lifecycle.ts';

/** The channel every replica LISTENs on; the payload is the event's cursor. */
export const SNAPSHOT_EVENTS_CHANNEL = 'vsnap_snapshot_events';

/** Serialises event inserts so cursors commit in increasing order (see events/entity.ts). */
export const EVENT_CURSOR_LOCK = 0x76736e6170; // "vsnap"

function requireTransaction(em: EntityManager): void {
  if (!em.isInTransaction()) throw new Error('snapshot transitions must run inside a transaction');
}

async function record(
  em: EntityManager,
  snapshot: Snapshot,
  change: {
    kind: SnapshotEventKind;
    subject: EventSubject;
    volumeSnapshotId?: string;
    from: string | null;
    to: string;
    message?: string;
    progress?: SnapshotProgress;
  },
): Promise<SnapshotEvent> {
  // The status or phase itself first, outside the cursor lock.
  await em.flush();
  // Then lock, insert and notify in ONE statement: the lock is held until commit, so the
  // fewer round trips after it, the more transitions commit per second (bench/schedule.ts).
  const [row] = await em.execute<Record<string, unknown>[]>(
    `with cursor_lock as (select pg_advisory_xact_lock(?)),
     event as (
       insert into snapshot_event (kind, subject, snapshot_id, volume_snapshot_id, virtual_cluster_id, project_id, from_state, to_state, message, progress, at)
       select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ? from cursor_lock
       returning *
     )
     select event.*, pg_notify(?, event.id::text) from event`,
    [
      EVENT_CURSOR_LOCK,
      change.kind,
      change.subject,
      snapshot.id,
      change.volumeSnapshotId ?? null,
      snapshot.virtualCluster.id,
      snapshot.projectId,
      change.from,
      change.to,
      change.message ?? null,
      change.progress ? JSON.stringify(change.progress) : null,
      new Date(),
      SNAPSHOT_EVENTS_CHANNEL,
    ],
  );
  const { pg_notify: _notified, ...columns } = row!;
  return em.map(SnapshotEventSchema, columns);
}

export interface NewSnapshot {
  virtualCluster: Snapshot['virtualCluster'];
  projectId: string;
  name: string;
  trigger: SnapshotTrigger;
  volumeSnapshotsEnabled: boolean;
  scheduledAt: Date;
}

/** A snapshot is born SCHEDULED; the partial unique index refuses a second one. */
export async function scheduleSnapshot(em: EntityManager, data: NewSnapshot, message?: string): Promise<Snapshot> {
  requireTransaction(em);
  const snapshot = em.create(SnapshotSchema, { ...data, status: INITIAL_SNAPSHOT_STATUS });
  await em.flush();
  await record(em, snapshot, { kind: 'CREATED', subject: 'SNAPSHOT', from: null, to: INITIAL_SNAPSHOT_STATUS, message });
  return snapshot;
}

export async function moveSnapshot(
  em: EntityManager,
  snapshot: Snapshot,
  to: SnapshotStatus,
  message?: string,
): Promise<SnapshotEvent> {
  requireTransaction(em);
  const from = snapshot.status;
  assertSnapshotMove(from, to);
  snapshot.status = to;
  return record(em, snapshot, { kind: 'STATUS_CHANGED', subject: 'SNAPSHOT', from, to, message });
}

export async function moveVolume(
  em: EntityManager,
  volume: VolumeSnapshot,
  to: VolumeSnapshotPhase,
  message?: string,
): Promise<SnapshotEvent> {
  requireTransaction(em);
  const from = volume.phase;
  assertVolumeMove(from, to);
  // The event needs the snapshot's cluster and project: load it when the volume
  // came with only a reference (e.g. created with `snapshot: id`, or found without populate).
  if (!wrap(volume.snapshot).isInitialized()) await em.populate(volume, ['snapshot']);
  volume.phase = to;
  if (message !== undefined) volume.message = message;
  return record(em, volume.snapshot, { kind: 'VOLUME_PHASE_CHANGED', subject: 'VOLUME_SNAPSHOT', volumeSnapshotId: volume.id, from, to, message });
}

/**
 * Records how far an IN_PROGRESS snapshot has got: its `progress` and a PROGRESS event, in the
 * caller's transaction (which should hold the row's lock, so no move slips in between).
 * The engine throttles these (snapshots/progress-reporter.ts); a snapshot no longer
 * IN_PROGRESS is refused, so no PROGRESS event ever follows its final status.
 */
export async function reportProgress(em: EntityManager, snapshot: Snapshot, progress: SnapshotProgress): Promise<SnapshotEvent> {
  requireTransaction(em);
  if (snapshot.status !== 'IN_PROGRESS') throw new Error(`progress of snapshot ${snapshot.id} reported while ${snapshot.status}`);
  snapshot.progress = progress;
  return record(em, snapshot, { kind: 'PROGRESS', subject: 'SNAPSHOT', from: snapshot.status, to: snapshot.status, progress });
}

/** What a DELETED event's `to` says. */
export const DELETED_STATE = 'DELETED';

/**
 * Records that the snapshot's row is about to go (deleteSnapshot, retention, the removal of
 * its cluster): call it in the transaction that deletes the row, before the delete.
 */
export async function recordSnapshotDeleted(em: EntityManager, snapshot: Snapshot, message: string): Promise<SnapshotEvent> {
  requireTransaction(em);
  return record(em, snapshot, { kind: 'DELETED', subject: 'SNAPSHOT', from: snapshot.status, to: DELETED_STATE, message });
}

/** One SCHEDULED snapshot of a bulk insert (scheduleSnapshots). */
export interface NewScheduledSnapshot {
  virtualClusterId: string;
  projectId: string;
  name: string;
  trigger: SnapshotTrigger;
  volumeSnapshotsEnabled: boolean;
  scheduledAt: Date;
  /** The CREATED event's message. */
  message: string;
}

/**
 * Many snapshots born SCHEDULED at once (the due-finder's tick), each with its CREATED event
 * and NOTIFY, in two statements whatever their number. A cluster that already has a SCHEDULED
 * snapshot (the partial unique index) or a snapshot of the same name gets none: the ids of
 * the clusters that got one are returned, with their snapshots' ids.
 */
export async function scheduleSnapshots(em: EntityManager, snapshots: readonly NewScheduledSnapshot[]): Promise<Map<string, string>> {
  requireTransaction(em);
  const created = new Map<string, string>();
  if (snapshots.length === 0) return created;
  const rows = snapshots.map((s) => ({ c: s.virtualClusterId, p: s.projectId, n: s.name, t: s.trigger, v: s.volumeSnapshotsEnabled, a: s.scheduledAt.toISOString() }));
  const inserted = await em.execute<{ id: string; virtual_cluster_id: string }[]>(
    `insert into snapshot (id, virtual_cluster_id, project_id, name, status, trigger, volume_snapshots_enabled, scheduled_at, updated_at)
     select gen_random_uuid(), r.c, r.p, r.n, ?, r.t, r.v, r.a, now()
     from json_to_recordset(?::json) as r(c uuid, p text, n text, t text, v boolean, a timestamptz)
     on conflict do nothing
     returning id, virtual_cluster_id`,
    [INITIAL_SNAPSHOT_STATUS, JSON.stringify(rows)],
  );
  if (inserted.length === 0) return created;
  for (const row of inserted) created.set(row.virtual_cluster_id, row.id);
  const byCluster = new Map(snapshots.map((s) => [s.virtualClusterId, s]));
  const events = inserted.map((row) => ({ row, wanted: byCluster.get(row.virtual_cluster_id)! }));
  // The CREATED events, under the cursor lock (see record), each announced.
  await em.execute(
    `with cursor_lock as (select pg_advisory_xact_lock(?)),
     event as (
       insert into snapshot_event (kind, subject, snapshot_id, virtual_cluster_id, project_id, from_state, to_state, message, at)
       select 'CREATED', 'SNAPSHOT', e.s::uuid, e.c::uuid, e.p, null, ?, e.m, ?
       from cursor_lock, json_to_recordset(?::json) as e(s text, c text, p text, m text)
       returning id
     )
     select count(pg_notify(?, event.id::text)) from event`,
    [
      EVENT_CURSOR_LOCK,
      INITIAL_SNAPSHOT_STATUS,
      new Date(),
      JSON.stringify(events.map(({ row, wanted }) => ({ s: row.id, c: row.virtual_cluster_id, p: wanted.projectId, m: wanted.message }))),
      SNAPSHOT_EVENTS_CHANNEL,
    ],
  );
  return created;
}
