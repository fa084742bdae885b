/**
 * A snapshot SCHEDULED behind one IN_PROGRESS on the same cluster is woken
 * when that one finishes, not at its next retry (here the lock lifetime, 20 s).
 * Measured with the events' own timestamps, through GraphQL over HTTP.
 */
import { expect, it } from 'vitest';
import { waitFor } from '../server/helpers.ts';
import { isFinished, type EngineRig, useEngineRig } from './harness.ts';

let rig: EngineRig;
/** A deferred snapshot would otherwise be retried after min(30 s, lock lifetime). */
const LOCK_LIFETIME_MS = 20_000;
useEngineRig((started) => (rig = started), { lockLifetimeMs: LOCK_LIFETIME_MS, listPageSize: 5 });

const eventAt = (snapshot: Awaited<ReturnType<EngineRig['snapshot']>>, to: string) =>
  Date.parse(snapshot.events.find((e) => e.subject === 'SNAPSHOT' && e.to === to)!.at as string);

it('starts the snapshot waiting behind another when that one finishes, not at its retry', { timeout: 60_000 }, async () => {
  rig.kube.faults.latencyMs = 100;
  const cluster = await rig.registerCluster();
  const firstId = await rig.createSnapshot(cluster.id);
  await rig.waitFor(firstId, (s) => s.status === 'IN_PROGRESS');
  const secondId = await rig.createSnapshot(cluster.id);
  // Its take job ran and found the cluster busy.
  await waitFor('the second snapshot to be deferred', () =>
    rig.app.logs().some((line) => line.snapshotId === secondId && line.msg === 'the cluster has a snapshot in progress: deferred'),
  );
  expect((await rig.snapshot(secondId)).status).toBe('SCHEDULED');
  rig.kube.faults.latencyMs = 0;

  const first = await rig.waitFor(firstId, isFinished, 30_000);
  // Well within the 20 s the retry alone would take.
  const second = await rig.waitFor(secondId, isFinished, LOCK_LIFETIME_MS / 2);
  expect([first.status, second.status]).toEqual(['COMPLETED', 'COMPLETED']);
  const wokenAfterMs = eventAt(second, 'IN_PROGRESS') - eventAt(first, 'COMPLETED');
  console.log(`the waiting snapshot started ${wokenAfterMs} ms after the blocking one completed`);
  expect(wokenAfterMs).toBeGreaterThanOrEqual(0);
  // Woken by the finish (73-830 ms measured, load-dependent), not by the 20 s retry: the bound
  // separates the two mechanisms without timing the machine.
  expect(wokenAfterMs).toBeLessThan(LOCK_LIFETIME_MS / 4);
});
