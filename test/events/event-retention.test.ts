/**
 * Event-log retention through the real periodic job (prune-event-log, run out of turn on the
 * engine's scheduler) on real Postgres: events older than EVENT_RETENTION_DAYS go as a prefix
 * of the log, the horizon moves up to the last one pruned, and assertResumable expires exactly
 * the cursors below it. EVENT_RETENTION_DAYS as loadConfig reads it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { CursorExpiredError } from '../../src/errors.ts';
import { assertResumable, eventLogHorizon, latestCursor, readEventsAfter } from '../../src/events/log.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { insertCluster, scheduledThrough } from '../support/snapshots.ts';

const DAY_MS = 86_400_000;
const RETENTION_DAYS = 30;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ engine: { eventRetentionMs: RETENTION_DAYS * DAY_MS } });
});
afterAll(() => app?.close());

const em = () => app.orm.em.fork();

async function runPrune(): Promise<void> {
  const scheduler = app.engine!.scheduler;
  const id = await scheduler.runNow('prune-event-log');
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = await scheduler.jobState(id);
    if (run?.state === 'failed') throw new Error(`prune-event-log failed: ${run.failReason}`);
    if (run?.state === 'completed') return;
    if (Date.now() > deadline) throw new Error(`prune-event-log did not finish: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Dates the snapshot's events `ms` ago (the audit trail's time, nothing else). */
async function date(snapshotId: string, ms: number): Promise<void> {
  await em().execute('update snapshot_event set at = ? where snapshot_id = ?', [new Date(Date.now() - ms), snapshotId], 'run');
}

/** A snapshot with three events: CREATED, IN_PROGRESS, FAILED (in one transaction: the app's worker never takes it). */
async function snapshotWithHistory(clusterId: string, at: Date) {
  return scheduledThrough(app.orm, clusterId, at, ['IN_PROGRESS', 'FAILED'], 'gone');
}

const cursorsOf = async (snapshotId: string) => (await readEventsAfter(em(), 0n, 1000, { snapshotId })).map((event) => BigInt(event.id));
const pruneLines = () => app.logs().filter((line) => line.msg.startsWith('event log pruned'));

describe('prune-event-log', () => {
  it('prunes the events older than EVENT_RETENTION_DAYS, moves the horizon to the last one, and expires exactly the cursors below it', { timeout: 60_000 }, async () => {
    const cluster = await insertCluster(app.orm, 'history');
    const expired = await snapshotWithHistory(cluster.id, new Date('2026-01-01T00:00:00Z'));
    const skewed = await snapshotWithHistory(cluster.id, new Date('2026-01-02T00:00:00Z'));
    const expiredToo = await snapshotWithHistory(cluster.id, new Date('2026-01-03T00:00:00Z'));
    const kept = await snapshotWithHistory(cluster.id, new Date('2026-01-04T00:00:00Z'));
    const fresh = await snapshotWithHistory(cluster.id, new Date('2026-01-05T00:00:00Z'));
    await date(expired.id, RETENTION_DAYS * DAY_MS + 60_000);
    // Dated recent (a writer's clock behind) but cursors below an expired one: the prune is a prefix of the log.
    await date(skewed.id, 60_000);
    await date(expiredToo.id, RETENTION_DAYS * DAY_MS + 60_000);
    await date(kept.id, RETENTION_DAYS * DAY_MS - 60_000);
    const keptCursors = [...(await cursorsOf(kept.id)), ...(await cursorsOf(fresh.id))];
    const horizon = (await cursorsOf(expiredToo.id)).at(-1)!;
    const before = await latestCursor(em());

    await runPrune();

    for (const gone of [expired, skewed, expiredToo]) expect(await cursorsOf(gone.id), gone.name).toEqual([]);
    expect((await readEventsAfter(em(), 0n, 1000)).map((event) => BigInt(event.id))).toEqual(keptCursors);
    expect(await eventLogHorizon(em())).toBe(horizon);
    expect(await latestCursor(em())).toBe(before);
    expect(pruneLines()).toEqual([expect.objectContaining({ msg: 'event log pruned: 9 events', pruned: 9, horizon: String(horizon) })]);

    await expect(assertResumable(em(), horizon - 1n)).rejects.toBeInstanceOf(CursorExpiredError);
    await expect(assertResumable(em(), horizon - 1n)).rejects.toMatchObject({ code: 'CURSOR_EXPIRED', field: 'since' });
    await expect(assertResumable(em(), 0n)).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
    await expect(assertResumable(em(), horizon)).resolves.toBeUndefined();
    await expect(assertResumable(em(), keptCursors[0]!)).resolves.toBeUndefined();
    // Resuming at the horizon replays exactly what is kept.
    expect((await readEventsAfter(em(), horizon, 1000)).map((event) => BigInt(event.id))).toEqual(keptCursors);
  });

  it('prunes nothing and says nothing when no event is old enough; the horizon stays', { timeout: 60_000 }, async () => {
    const horizon = await eventLogHorizon(em());
    const lines = pruneLines().length;
    const cluster = await insertCluster(app.orm, 'recent');
    const recent = await snapshotWithHistory(cluster.id, new Date('2026-02-01T00:00:00Z'));
    await date(recent.id, RETENTION_DAYS * DAY_MS - 60_000);
    await runPrune();
    expect(await cursorsOf(recent.id)).toHaveLength(3);
    expect(await eventLogHorizon(em())).toBe(horizon);
    expect(pruneLines()).toHaveLength(lines);
  });
});

describe('EVENT_RETENTION_DAYS', () => {
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  it('defaults to 30 days and takes whole days up to a century', () => {
    expect(loadConfig({}).engine.eventRetentionMs).toBe(30 * DAY_MS);
    expect(loadConfig({ EVENT_RETENTION_DAYS: '1' }).engine.eventRetentionMs).toBe(DAY_MS);
    expect(loadConfig({ EVENT_RETENTION_DAYS: '36500' }).engine.eventRetentionMs).toBe(36_500 * DAY_MS);
  });

  it.each([
    ['0', /^EVENT_RETENTION_DAYS: Too small/],
    ['-1', /^EVENT_RETENTION_DAYS: Too small/],
    ['1.5', /^EVENT_RETENTION_DAYS: Invalid input: expected int/],
    ['month', /^EVENT_RETENTION_DAYS: Invalid input: expected number/],
    ['36501', /^EVENT_RETENTION_DAYS: Too big/],
  ])('refuses %s, naming the variable', (value, message) => {
    expect(problems({ EVENT_RETENTION_DAYS: value })).toEqual([expect.stringMatching(message)]);
  });
});
