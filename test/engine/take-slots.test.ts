/**
 * The worker's take slots claim SCHEDULED snapshots straight from their rows: a snapshot whose
 * take job never existed (an API that died after its commit, a lost request) is taken all the
 * same, and the due-finder's ticks insert no job per snapshot.
 */
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { AGENDA_TABLE } from '../../src/jobs/agenda.ts';
import { RunningSnapshots } from '../../src/snapshots/running.ts';
import { takeSnapshot } from '../../src/snapshots/take.ts';
import { testEngineConfig } from '../support/app.ts';
import { waitFor } from '../server/helpers.ts';
import { move, schedule } from '../support/snapshots.ts';
import { isFinished, useEngineRig, type EngineRig } from './harness.ts';

let rig: EngineRig;
// The slots look every dueFinderIntervalMs when nothing wakes them.
useEngineRig((started) => (rig = started), { dueFinderIntervalMs: 1_000 });

const takeJobs = async () =>
  (await rig.app.orm.em.fork().execute<{ n: number }[]>(`select count(*)::int as n from ${AGENDA_TABLE} where name = 'take-snapshot'`))[0]!.n;

it.skipIf(process.env.MONGODB_URL)('a SCHEDULED snapshot without any take job is taken by a slot', { timeout: 30_000 }, async () => {
  const cluster = await rig.registerCluster();
  // Inserted as the API's transaction does, with no request after it.
  const orphan = await schedule(rig.app.orm, cluster.id, new Date(), 'MANUAL');
  expect(await takeJobs()).toBe(0);
  const taken = await rig.waitFor(orphan.id, isFinished, 10_000);
  expect(taken.status).toBe('COMPLETED');
});

it.skipIf(process.env.MONGODB_URL)('auto-snapshot ticks are taken with no take job inserted for them', { timeout: 30_000 }, async () => {
  const clusters = await Promise.all([1, 2, 3].map(() => rig.registerCluster({ policy: { enabled: true, schedule: '* * * * *', timeZone: 'UTC' } })));
  // Due at this minute's tick (the due-finder may already have fired it: then this is a no-op).
  await rig.app.orm.em.fork().execute(`update virtual_cluster set policy_next_run_at = date_trunc('minute', now()) where id in (?, ?, ?) and policy_next_run_at > now()`, clusters.map((c) => c.id));
  await rig.app.engine!.scheduler.dueFinder.wake();
  const rows = await waitFor('a SCHEDULE snapshot of each cluster', async () => {
    const found = await rig.app.orm.em.fork().execute<{ id: string; cluster: string }[]>(
      `select id, virtual_cluster_id as cluster from snapshot where trigger = 'SCHEDULE' and virtual_cluster_id in (?, ?, ?)`,
      clusters.map((c) => c.id),
    );
    return new Set(found.map((row) => row.cluster)).size === 3 ? found : undefined;
  });
  const finished = await Promise.all(rows.map((row) => rig.waitFor(row.id, isFinished, 15_000)));
  expect(finished.map((s) => s.status)).toEqual(rows.map(() => 'COMPLETED'));
  expect(await takeJobs()).toBe(0);
});

it.skipIf(process.env.MONGODB_URL)(
  "a slot's pick that another worker claimed a moment before is left to it quietly; a job's is checked again later",
  { timeout: 30_000 },
  async () => {
    const cluster = await rig.registerCluster();
    // Scheduled an hour ahead: this rig's own slots never pick it (they take rows already due).
    const snapshot = await schedule(rig.app.orm, cluster.id, new Date(Date.now() + 3_600_000), 'MANUAL');
    // Claimed by another worker, alive: IN_PROGRESS with a fresh heartbeat, not this process's.
    await move(rig.app.orm, snapshot.id, 'IN_PROGRESS');
    await rig.app.orm.em.fork().execute(`update snapshot set started_at = now(), heartbeat_at = now() where id = ?`, [snapshot.id]);
    const lines: { msg: string; level: number }[] = [];
    const deps = {
      orm: rig.app.orm,
      config: testEngineConfig({ storage: rig.storage }),
      logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string; level: number }) }),
      version: 'test',
      running: new RunningSnapshots(),
    };
    const signal = new AbortController().signal;

    expect(await takeSnapshot(deps, snapshot.id, { signal, picked: true })).toBe('skipped');
    expect(lines.map(({ msg, level }) => [level, msg])).toEqual([[20, 'picked by a take slot, claimed first by another worker: left to it']]);
    lines.length = 0;
    expect(await takeSnapshot(deps, snapshot.id, { signal })).toBe('deferred');
    expect(lines.map(({ msg, level }) => [level, msg])).toEqual([[30, 'snapshot is being taken by a live worker; checked again later']]);
    expect((await rig.snapshot(snapshot.id)).status).toBe('IN_PROGRESS');
  },
);
