/**
 * Periodic jobs follow the configuration of the process that starts them: two
 * (then three) engine starts on one database, the intervals changed between
 * them. An unchanged interval keeps its schedule; a shorter one applies at
 * once, not after the old interval has run out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EngineConfig } from '../../src/config.ts';
import { startEngine, type Engine } from '../../src/jobs/engine.ts';
import { createLogger } from '../../src/logger.ts';
import { waitFor } from '../server/helpers.ts';
import { startTestApp, testEngineConfig, type TestApp } from '../support/app.ts';

let app: TestApp;
let engine: Engine | undefined;
const HOUR = 3_600_000;
const JOBS = ['reconcile-storage', 'enforce-retention'] as const;

beforeAll(async () => {
  // The API and its database only: the engines are started and stopped by the test.
  app = await startTestApp();
});
afterAll(async () => {
  await engine?.stop(2_000);
  await app?.close();
});

async function startWith(intervals: Pick<EngineConfig, 'reconcileIntervalMs' | 'retentionIntervalMs'>): Promise<Engine> {
  engine = await startEngine({
    orm: app.orm,
    postgresUrl: app.databaseUrl,
    config: testEngineConfig(intervals),
    logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
    worker: true,
    processEveryMs: 200,
  });
  return engine;
}

async function stop(): Promise<void> {
  await engine?.stop(2_000);
  engine = undefined;
}

type Run = Awaited<ReturnType<Engine['scheduler']['periodicRun']>>;
const runsOf = async (running: Engine): Promise<Record<(typeof JOBS)[number], Run>> => {
  const [reconcile, retention] = await Promise.all(JOBS.map((name) => running.scheduler.periodicRun(name)));
  return { 'reconcile-storage': reconcile ?? null, 'enforce-retention': retention ?? null };
};

it('a changed RECONCILE_INTERVAL_SECONDS / RETENTION_INTERVAL_SECONDS applies at the next start', { timeout: 60_000 }, async () => {
  // First start: both run at once, then hourly.
  const first = await startWith({ reconcileIntervalMs: HOUR, retentionIntervalMs: HOUR });
  const firstRuns = await waitFor('both first runs', async () => {
    const runs = await runsOf(first);
    return JOBS.every((name) => runs[name]?.lastRunAt) ? runs : undefined;
  });
  await stop();

  // Same intervals: nothing runs early, the next run is still an hour after the last.
  const same = await startWith({ reconcileIntervalMs: HOUR, retentionIntervalMs: HOUR });
  await sleep(1_500);
  const sameRuns = await runsOf(same);
  for (const name of JOBS) {
    expect(sameRuns[name]?.lastRunAt).toEqual(firstRuns[name]!.lastRunAt);
    expect(Math.abs(sameRuns[name]!.nextRunAt!.getTime() - (firstRuns[name]!.lastRunAt!.getTime() + HOUR))).toBeLessThan(5_000);
  }
  await stop();

  // One-second intervals: each runs within moments of the start, not an hour after its last run.
  const startedAt = Date.now();
  const shorter = await startWith({ reconcileIntervalMs: 1_000, retentionIntervalMs: 1_000 });
  for (const name of JOBS) {
    const run = await waitFor(`${name} to run on its new interval`, async () => {
      const current = (await runsOf(shorter))[name];
      return current?.lastRunAt && current.lastRunAt > firstRuns[name]!.lastRunAt! ? current : undefined;
    }, 10_000, 50);
    console.log(`${name}: first run on the new interval ${run.lastRunAt!.getTime() - startedAt} ms after the start`);
    expect(run.lastRunAt!.getTime() - startedAt).toBeLessThan(5_000);
  }
  await stop();
});
