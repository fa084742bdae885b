/**
 * Progress while a snapshot is taken, end to end: the real engine against the Kubernetes
 * API test server (its latency paces the listing), read back over GraphQL. PROGRESS events
 * come in cursor order between IN_PROGRESS and the final status, at most one a second, with
 * figures that only grow; the finished snapshot keeps its totals; a failing progress write
 * is logged once and never costs the snapshot.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS_INTERVAL_MS } from '../../src/snapshots/progress-reporter.ts';
import { EngineSnapshotProgressDocument, type EngineSnapshotProgressQuery } from '../generated/graphql.ts';
import { STANDARD_SEED } from '../kube/server.ts';
import { waitFor } from '../server/helpers.ts';
import { isFinished, useEngineRig, type EngineRig } from './harness.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started), { listPageSize: 5 });

beforeAll(() => {
  // Enough pages (5 objects each) that the listing takes seconds at the API's latency.
  for (let i = 0; i < 100; i++) {
    rig.kube.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `progress-${i}`, namespace: 'default' }, data: { value: randomBytes(512).toString('base64') } });
  }
});
afterEach(() => {
  rig.kube.faults.latencyMs = 0;
});

type Read = NonNullable<EngineSnapshotProgressQuery['snapshot']>;
type Figures = NonNullable<Read['progress']>;
const FIELDS = ['resourceTypesDone', 'resourceTypesTotal', 'objectsWritten', 'bytesWritten', 'volumesDone', 'volumesTotal'] as const;

async function read(id: string): Promise<Read> {
  const response = await rig.app.request(EngineSnapshotProgressDocument, { id }, rig.admin);
  expect(response.errors).toBeUndefined();
  return response.data!.snapshot!;
}

const finished = (id: string) => waitFor(`snapshot ${id} to finish`, async () => {
  const snapshot = await read(id);
  return isFinished(snapshot) ? snapshot : undefined;
}, 60_000, 100);

/** The totals a stored snapshot keeps. */
function expectTotals(snapshot: Read): Figures {
  const totals = snapshot.progress!;
  expect(totals).toMatchObject({
    objectsWritten: snapshot.objectCount,
    bytesWritten: snapshot.sizeBytes,
    resourceTypesDone: totals.resourceTypesTotal,
    volumesDone: snapshot.volumeSnapshots.length,
    volumesTotal: snapshot.volumeSnapshots.length,
  });
  expect(totals.resourceTypesTotal).toBeGreaterThan(0);
  return totals;
}

describe('progress of a snapshot being taken', () => {
  it('is readable while IN_PROGRESS, published as PROGRESS events between IN_PROGRESS and the final status, one a second at most, figures only growing, totals kept', { timeout: 90_000 }, async () => {
    rig.kube.faults.latencyMs = 100;
    const cluster = await rig.registerCluster({ policy: { volumeSnapshotsEnabled: true } });
    const id = await rig.createSnapshot(cluster.id);

    // Reported figures, read by query while it is being taken (discovery answered: types known).
    const during = await waitFor('progress while IN_PROGRESS', async () => {
      const snapshot = await read(id);
      expect(snapshot.status).not.toMatch(/COMPLETED|FAILED/);
      return snapshot.progress && snapshot.progress.resourceTypesTotal > 0 ? snapshot : undefined;
    }, 30_000, 50);
    expect(during.status).toBe('IN_PROGRESS');
    expect(during.progress!.resourceTypesDone).toBeLessThanOrEqual(during.progress!.resourceTypesTotal);
    expect(during.progress!.volumesTotal).toBe(STANDARD_SEED.volumes.length);

    const snapshot = await finished(id);
    expect(snapshot.status).toBe('COMPLETED');
    const totals = expectTotals(snapshot);

    const kinds = snapshot.events.map((event) => (event.kind === 'PROGRESS' ? 'PROGRESS' : `${event.kind}:${event.to}`));
    const started = kinds.indexOf('STATUS_CHANGED:IN_PROGRESS');
    const ended = kinds.indexOf('STATUS_CHANGED:COMPLETED');
    expect(started).toBe(1);
    expect(ended).toBe(kinds.length - 1);
    const progress = snapshot.events.filter((event) => event.kind === 'PROGRESS');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const [index, event] of snapshot.events.entries()) {
      if (event.kind === 'PROGRESS') {
        expect(index, 'PROGRESS between IN_PROGRESS and the final status').toBeGreaterThan(started);
        expect(index).toBeLessThan(ended);
        expect(event).toMatchObject({ subject: 'SNAPSHOT', from: 'IN_PROGRESS', to: 'IN_PROGRESS' });
      } else {
        expect(event.progress).toBeNull();
      }
    }
    const cursors = snapshot.events.map((event) => BigInt(event.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => (a < b ? -1 : 1)));
    for (let i = 1; i < progress.length; i++) {
      const [before, after] = [progress[i - 1]!, progress[i]!];
      expect(Date.parse(after.at) - Date.parse(before.at), 'at most one PROGRESS event a second').toBeGreaterThanOrEqual(PROGRESS_INTERVAL_MS);
      for (const field of FIELDS) expect(after.progress![field], field).toBeGreaterThanOrEqual(before.progress![field]);
      expect(after.progress, 'a PROGRESS event only when a figure changed').not.toEqual(before.progress);
    }
    for (const event of progress) {
      for (const field of FIELDS) expect(event.progress![field], field).toBeLessThanOrEqual(totals[field]);
    }
    // Snapshot.events without `kinds` is the history: every event but PROGRESS.
    const history = (await rig.snapshot(id)).events.map((event) => event.cursor);
    expect(history).toEqual(snapshot.events.filter((event) => event.kind !== 'PROGRESS').map((event) => event.cursor));
  });

  it('a snapshot that takes under a second writes (almost) no PROGRESS event, and still keeps its totals', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster();
    const snapshot = await finished(await rig.createSnapshot(cluster.id));
    expect(snapshot.status).toBe('COMPLETED');
    expectTotals(snapshot);
    const seconds = (Date.parse(snapshot.finishedAt!) - Date.parse(snapshot.startedAt!)) / 1000;
    expect(snapshot.events.filter((event) => event.kind === 'PROGRESS').length).toBeLessThanOrEqual(Math.floor(seconds));
  });

  it('a snapshot that fails keeps the last figures it reported', { timeout: 90_000 }, async () => {
    rig.kube.faults.latencyMs = 100;
    const cluster = await rig.registerCluster();
    const id = await rig.createSnapshot(cluster.id);
    await waitFor('objects reported', async () => ((await read(id)).progress?.objectsWritten ?? 0) > 0, 30_000, 50);
    rig.kube.faults.unavailable = true;
    const snapshot = await finished(id);
    expect(snapshot.status).toBe('FAILED');
    const reported = snapshot.events.filter((event) => event.kind === 'PROGRESS');
    expect(snapshot.progress).toEqual(reported.at(-1)!.progress);
    expect(snapshot.progress!.resourceTypesDone).toBeLessThan(snapshot.progress!.resourceTypesTotal);
  });

  it('a progress write that fails is logged once and retried; the snapshot goes on and ends COMPLETED with its totals', { timeout: 90_000 }, async () => {
    rig.kube.faults.latencyMs = 100;
    // The Widgets (listed last) wait until the test has seen reporting resume: the snapshot is
    // still being taken then, however fast the other lists go.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    rig.kube.faults.before = (request) =>
      request.resource === 'example.com/widgets' && request.verb === 'list' && request.query.get('limit') !== '1' ? held : undefined;
    const em = rig.app.orm.em.fork();
    // The database refuses every PROGRESS event until the trigger is dropped.
    await em.execute(`create or replace function test_refuse_progress() returns trigger language plpgsql as $$
      begin if new.kind = 'PROGRESS' then raise exception 'progress refused by the test'; end if; return new; end $$`);
    await em.execute('create trigger test_refuse_progress before insert on snapshot_event for each row execute function test_refuse_progress()');
    const cluster = await rig.registerCluster();
    const id = await rig.createSnapshot(cluster.id);
    const logsOf = (message: string) => rig.app.logs().filter((line) => line.snapshotId === id && line.msg === message);
    const refusal = "could not record the snapshot's progress; the snapshot goes on and reporting is retried";
    try {
      // Two failed reports at least (the second one a second after the first), logged once.
      await waitFor('the first refused report', () => logsOf(refusal).length > 0, 30_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 2 * PROGRESS_INTERVAL_MS + 200));
      expect((await read(id)).status).toBe('IN_PROGRESS');
    } finally {
      await em.execute('drop trigger if exists test_refuse_progress on snapshot_event');
    }
    try {
      await waitFor('reporting to resume', () => logsOf('progress reporting resumed').length > 0, 30_000, 50);
      expect((await read(id)).status).toBe('IN_PROGRESS');
    } finally {
      release();
    }
    const snapshot = await finished(id);
    expect(snapshot.status).toBe('COMPLETED');
    expectTotals(snapshot);
    expect(logsOf(refusal)).toHaveLength(1);
    expect(logsOf(refusal)[0]).toMatchObject({ error: expect.stringContaining('progress refused by the test') });
    expect(logsOf('progress reporting resumed')).toEqual([expect.objectContaining({ failedReports: expect.any(Number) })]);
    expect(logsOf('progress reporting resumed')[0]!.failedReports).toBeGreaterThanOrEqual(2);
  });
});
