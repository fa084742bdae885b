/**
 * Live status of snapshots taken by the real engine against the Kubernetes API test server,
 * pushed over SSE: the whole life of a snapshot in cursor order, a subscriber dropped mid-snapshot
 * that resumes with its last cursor, and snapshotUpdated until the snapshot is deleted.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalVolumePhase, type VolumeSnapshotPhase } from '../../src/snapshots/lifecycle.ts';
import { DeleteSnapshotDocument, LiveEventsDocument, LiveSnapshotDocument, type LiveEventsSubscription } from '../generated/graphql.ts';
import { isFinished, useEngineRig, type EngineRig } from '../engine/harness.ts';
import { logCursors } from './metrics.ts';
import { subscribeSse } from './sse.ts';

let rig: EngineRig;
// Small list pages: with the API's latency set, a snapshot takes seconds and reports progress.
useEngineRig((started) => (rig = started), { listPageSize: 5 });

beforeAll(() => {
  for (let i = 0; i < 40; i++) rig.kube.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `live-${i}`, namespace: 'default' }, data: { i: String(i) } });
});
afterEach(() => {
  rig.kube.faults.latencyMs = 0;
});

type LiveEvent = LiveEventsSubscription['snapshotEvents'];
const eventsOf = (results: { data?: LiveEventsSubscription | null }[]): LiveEvent[] => results.map((result) => result.data!.snapshotEvents);
const isFinal = (event: LiveEvent) => event.kind === 'STATUS_CHANGED' && ['COMPLETED', 'PARTIALLY_FAILED', 'FAILED'].includes(event.to);

/** Holds every list request of the cluster until `release()`: the snapshot stays IN_PROGRESS meanwhile. */
function holdListing(): { release(): void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  rig.kube.faults.before = async (request) => {
    if (request.verb === 'list') await released;
  };
  return { release };
}

describe('snapshotEvents', () => {
  it('pushes the whole life of a snapshot in cursor order: CREATED, SCHEDULED → IN_PROGRESS, every volume phase, progress, COMPLETED', async () => {
    const cluster = await rig.registerCluster({ policy: { volumeSnapshotsEnabled: true } });
    rig.kube.faults.latencyMs = 50;
    const subscriber = await subscribeSse(rig.app.url, LiveEventsDocument, { virtualClusterId: cluster.id }, rig.admin);
    const id = await rig.createSnapshot(cluster.id);
    await subscriber.until('the final status', (results) => eventsOf(results).some(isFinal), 60_000);
    subscriber.abort();

    const events = eventsOf(subscriber.results);
    // Exactly the log, in order: nothing skipped, nothing twice.
    expect(events.map((event) => event.cursor)).toEqual(await logCursors(rig.app.orm, { snapshotId: id }));
    expect(events.every((event) => event.snapshotId === id && event.virtualClusterId === cluster.id)).toBe(true);
    const statuses = events.filter((event) => event.subject === 'SNAPSHOT' && event.kind !== 'PROGRESS');
    expect(statuses.map((event) => [event.kind, event.from, event.to])).toEqual([
      ['CREATED', null, 'SCHEDULED'],
      ['STATUS_CHANGED', 'SCHEDULED', 'IN_PROGRESS'],
      ['STATUS_CHANGED', 'IN_PROGRESS', 'COMPLETED'],
    ]);
    const [started, finished] = [statuses[1]!.cursor, statuses[2]!.cursor].map(Number) as [number, number];
    // Every volume moved from NOT_STARTED to a final phase, one step per event, while IN_PROGRESS.
    const volumes = events.filter((event) => event.kind === 'VOLUME_PHASE_CHANGED');
    expect(volumes.length).toBeGreaterThan(0);
    const byVolume = Map.groupBy(volumes, (event) => event.volumeSnapshotId!);
    for (const [volume, moves] of byVolume) {
      expect(moves[0]!.from, volume).toBe('NOT_STARTED');
      moves.slice(1).forEach((move, index) => expect(move.from, volume).toBe(moves[index]!.to));
      expect(isTerminalVolumePhase(moves.at(-1)!.to as VolumeSnapshotPhase), volume).toBe(true);
      for (const move of moves) {
        expect(Number(move.cursor)).toBeGreaterThan(started);
        expect(Number(move.cursor)).toBeLessThan(finished);
      }
    }
    // Progress while it was taken, figures only growing.
    const progress = events.filter((event) => event.kind === 'PROGRESS');
    expect(progress.length).toBeGreaterThan(0);
    progress.forEach((event, index) => {
      expect(Number(event.cursor)).toBeGreaterThan(started);
      expect(Number(event.cursor)).toBeLessThan(finished);
      expect(event.progress!.objectsWritten).toBeGreaterThanOrEqual(progress[index - 1]?.progress!.objectsWritten ?? 0);
    });
    expect(events.filter((event) => event.kind !== 'PROGRESS').every((event) => event.progress === null)).toBe(true);
    // Each event carries the snapshot as it is when it is sent.
    expect(events.at(-1)!.snapshot).toEqual({ id, status: 'COMPLETED' });
  });

  it('resumes a subscriber dropped mid-snapshot from its last cursor: every missed event exactly once, then live', async () => {
    const cluster = await rig.registerCluster({ policy: { volumeSnapshotsEnabled: true } });
    const hold = holdListing();
    const first = await subscribeSse(rig.app.url, LiveEventsDocument, { virtualClusterId: cluster.id }, rig.admin);
    const id = await rig.createSnapshot(cluster.id);
    await first.until('IN_PROGRESS', (results) => eventsOf(results).some((event) => event.to === 'IN_PROGRESS'));
    first.abort();
    const last = eventsOf(first.results).at(-1)!.cursor;

    hold.release();
    await rig.waitFor(id, isFinished);
    const missed = await logCursors(rig.app.orm, { virtualClusterId: cluster.id }, Number(last));
    expect(missed.length).toBeGreaterThan(1);

    const resumed = await subscribeSse(rig.app.url, LiveEventsDocument, { virtualClusterId: cluster.id, since: last }, rig.admin);
    await resumed.until('every missed event', (results) => results.length >= missed.length);
    // Then live: the next snapshot's events follow without a gap.
    const next = await rig.createSnapshot(cluster.id);
    await resumed.until('the next snapshot finished', (results) => eventsOf(results).some((event) => event.snapshotId === next && isFinal(event)));
    resumed.abort();
    const all = await logCursors(rig.app.orm, { virtualClusterId: cluster.id }, Number(last));
    expect(eventsOf(resumed.results).map((event) => event.cursor)).toEqual(all.slice(0, resumed.results.length));
    expect(eventsOf(resumed.results).slice(0, missed.length).map((event) => event.cursor)).toEqual(missed);
  });
});

describe('snapshotUpdated', () => {
  it('sends the snapshot at once, again on every change to it or its volumes, and completes once it is deleted', async () => {
    const cluster = await rig.registerCluster({ policy: { volumeSnapshotsEnabled: true } });
    const hold = holdListing();
    const id = await rig.createSnapshot(cluster.id);
    await rig.waitFor(id, (snapshot) => snapshot.status === 'IN_PROGRESS');
    const events = await subscribeSse(rig.app.url, LiveEventsDocument, { virtualClusterId: cluster.id }, rig.admin);
    const updates = await subscribeSse(rig.app.url, LiveSnapshotDocument, { id }, rig.admin);
    await updates.until('the current state', (results) => results.length === 1);
    expect(updates.results[0]!.data?.snapshotUpdated).toMatchObject({ id, status: 'IN_PROGRESS' });

    hold.release();
    const states = () => updates.results.map((result) => result.data!.snapshotUpdated);
    await updates.until('COMPLETED', () => states().some((state) => state.status === 'COMPLETED'));
    // Statuses only move forward, and volumes were seen changing on the way.
    expect([...new Set(states().map((state) => state.status))]).toEqual(['IN_PROGRESS', 'COMPLETED']);
    const final = states().at(-1)!;
    expect(final.volumeSnapshots.length).toBeGreaterThan(0);
    expect(final.volumeSnapshots.every((volume) => isTerminalVolumePhase(volume.phase))).toBe(true);
    expect(states().some((state) => state.volumeSnapshots.some((volume) => volume.phase === 'IN_PROGRESS' || volume.phase === 'NOT_STARTED'))).toBe(true);

    const deleted = await rig.app.request(DeleteSnapshotDocument, { id }, rig.admin);
    expect(deleted.errors).toBeUndefined();
    await updates.closed();
    expect(updates.completed).toBe(true);
    expect(updates.results.every((result) => result.errors === undefined)).toBe(true);

    // The deletion is an event too; its snapshot is gone.
    await events.until('DELETED', (results) => eventsOf(results).some((event) => event.kind === 'DELETED'));
    events.abort();
    expect(eventsOf(events.results).at(-1)).toMatchObject({ kind: 'DELETED', snapshotId: id, snapshot: null });
  });

  it('answers NOT_FOUND for an id that names no snapshot', async () => {
    const missing = await subscribeSse(rig.app.url, LiveSnapshotDocument, { id: '00000000-0000-4000-8000-000000000000' }, rig.admin);
    await missing.closed();
    expect(missing.results.map((result) => result.errors?.map((error) => error.extensions?.code))).toEqual([['NOT_FOUND']]);
  });
});
