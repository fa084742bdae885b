/**
 * Take jobs on two workers sharing one database, as bench/schedule.ts runs them. Agenda locked
 * every due take job into a worker's local queue, however few it could run: queued jobs waited
 * past their lock lifetime and were taken over by the other worker (the bench's "cannot be
 * updated, maybe it does not exist anymore"), and a stopping worker's drain kept starting queued
 * ones until it timed out, so the snapshots it was cancelling failed (the bench's FAILED ones),
 * and those it had locked but not started stayed locked for a lock lifetime. With the take job's
 * lockLimit, a worker holds only what it runs.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AGENDA_TABLE } from '../../src/jobs/agenda.ts';
import { startEngine, type Engine } from '../../src/jobs/engine.ts';
import { testEngineConfig } from '../support/app.ts';
import { isFinished, startEngineRig, type EngineRig } from './harness.ts';

/** Long: a job left locked by the stopped worker would wait this long for the other. */
const LOCK_LIFETIME_MS = 30_000;
const SNAPSHOTS = 16;

let rig: EngineRig;
let second: Engine | undefined;
const secondLogs: { msg: string; snapshotId?: string }[] = [];

beforeAll(async () => {
  rig = await startEngineRig({ snapshotConcurrency: 1, lockLifetimeMs: LOCK_LIFETIME_MS });
  const logger = pino({ level: 'info' }, { write: (line: string) => void secondLogs.push(JSON.parse(line) as { msg: string }) });
  second = await startEngine({
    orm: rig.app.orm,
    postgresUrl: rig.app.databaseUrl,
    config: testEngineConfig({ storage: rig.storage, snapshotConcurrency: 1, lockLifetimeMs: LOCK_LIFETIME_MS }),
    logger,
    worker: true,
    processEveryMs: 500,
    inlineBox: rig.app.inlineBox,
  });
}, 60_000);
afterAll(async () => {
  await second?.stop(2_000);
  await rig?.close();
});

async function lockedTakeJobs(): Promise<number> {
  const [row] = await rig.app.orm.em
    .fork()
    .execute<{ n: number }[]>(`select count(*)::int as n from ${AGENDA_TABLE} where name = 'take-snapshot' and locked_at is not null`);
  return row!.n;
}

it.skipIf(process.env.MONGODB_URL)(
  'two workers lock only the take jobs they run; a stopping one cancels nothing, and the other takes the rest at once',
  { timeout: 90_000 },
  async () => {
    // About half a second a snapshot: a queue of them outlasts the drain below.
    rig.kube.faults.latencyMs = 40;
    const clusters = await Promise.all(Array.from({ length: SNAPSHOTS }, () => rig.registerCluster()));
    const ids: string[] = [];
    for (const cluster of clusters) ids.push(await rig.createSnapshot(cluster.id));

    // Both workers at work; never more take jobs locked than slots (one each).
    let mostLocked = 0;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      mostLocked = Math.max(mostLocked, await lockedTakeJobs());
      const statuses = await Promise.all(ids.map(async (id) => (await rig.snapshot(id)).status));
      if (statuses.filter((status) => status !== 'SCHEDULED').length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(mostLocked).toBeLessThanOrEqual(2);

    // The first worker stops mid-way: its running snapshot finishes within the drain.
    const stoppedAt = Date.now();
    await rig.app.engine!.stop(5_000);
    const drainedInMs = Date.now() - stoppedAt;

    // The rest go to the second worker now, not a lock lifetime later.
    const finished = await Promise.all(ids.map((id) => rig.waitFor(id, isFinished, LOCK_LIFETIME_MS / 2)));
    expect(finished.map((snapshot) => `${snapshot.status}${snapshot.message ? `: ${snapshot.message}` : ''}`)).toEqual(ids.map(() => 'COMPLETED'));
    expect(drainedInMs).toBeLessThan(5_000);

    // Each snapshot's take job ran once: one claim, no run finding it taken or being taken elsewhere.
    const lines = [...rig.app.logs(), ...secondLogs];
    for (const id of ids) {
      const claims = lines.filter((line) => line.snapshotId === id && ['taking snapshot', 'snapshot already handled: nothing to take', 'snapshot is being taken by a live worker; checked again later'].includes(line.msg));
      expect(claims.map((line) => line.msg)).toEqual(['taking snapshot']);
    }
    expect(lines.filter((line) => line.msg === 'job scheduler error')).toEqual([]);
  },
);

it.skipIf(process.env.MONGODB_URL)('a snapshot cancelled at shutdown fails saying its worker shut down, not blaming its storage', { timeout: 60_000 }, async () => {
  // The second worker, the only one left: a snapshot that outlasts its drain.
  rig.kube.faults.latencyMs = 2_000;
  const cluster = await rig.registerCluster();
  const id = await rig.createSnapshot(cluster.id);
  // The API's own engine was stopped above: its request went nowhere.
  await second!.scheduler.enqueueTake(id);
  await rig.waitFor(id, (snapshot) => snapshot.status === 'IN_PROGRESS');
  const stopping = second!;
  second = undefined;
  await stopping.stop(300);
  const failed = await rig.waitFor(id, isFinished, 10_000);
  expect([failed.status, failed.message]).toEqual(['FAILED', 'cancelled: its worker shut down before the snapshot was stored']);
  expect(secondLogs.some((line) => line.msg === 'jobs still running at shutdown were cancelled')).toBe(true);
});
