/**
 * The due-finder over the real Postgres: catch-up after a stopped worker, two workers racing
 * for the same ticks, the wake on a policy change, and what GraphQL shows of a policy's runs.
 * The app runs the engine in the API role only (no worker, so no due-finder of its own): the
 * due-finders here are the only ones, each built as startEngine builds it; their take requests
 * are collected instead of taken (take.test.ts covers taking).
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextTick } from '../../src/clusters/next-run.ts';
import { POLICY_CHANGED_CHANNEL } from '../../src/clusters/service.ts';
import { DueFinder } from '../../src/jobs/due-finder.ts';
import { sqlStatements } from '../../src/db/orm.ts';
import { EnginePolicyNextRunsDocument, EnginePolicyOutcomeDocument, RegisterVirtualClusterDocument, SetAutoSnapshotPolicyDocument } from '../generated/graphql.ts';
import { errorCodes, startTestApp, tokens, type TestApp } from '../support/app.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';
import { insertCluster, move, schedule } from '../support/snapshots.ts';

let app: TestApp;
let admin: string;
const finders: DueFinder[] = [];

beforeAll(async () => {
  app = await startTestApp({ engine: {}, worker: false });
  admin = await tokens.platformAdmin();
});
afterAll(async () => {
  await Promise.all(finders.map((finder) => finder.stop()));
  await app?.close();
});

/** A worker's due-finder on the app's database; `requested` collects its take requests. */
function dueFinder(settings: { batchSize?: number; maxSleepMs?: number } = {}) {
  const requested: string[] = [];
  const finder = new DueFinder(
    {
      orm: app.orm,
      postgresUrl: app.databaseUrl,
      logger: silentLogger,
      requestTakes: async (ids) => {
        requested.push(...ids);
      },
    },
    settings,
  );
  finders.push(finder);
  return { finder, requested };
}

const silentLogger = pino({ level: 'silent' });

const project = () => `sched-${randomBytes(4).toString('hex')}`;

async function registerPolicy(projectId: string, name: string, policy: { schedule: string; timeZone?: string; catchUp?: 'ONE' | 'NONE' }) {
  const response = await app.request(
    RegisterVirtualClusterDocument,
    { input: { projectId, name, kubeconfig: { inline: STATIC_KUBECONFIG }, autoSnapshotPolicy: { enabled: true, timeZone: 'UTC', ...policy } } },
    admin,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.registerVirtualCluster.id;
}

/** As a worker stopped since `since` leaves it: the policy's next run still at that tick. */
async function dueSince(clusterId: string, since: Date) {
  await app.orm.em.fork().execute('update virtual_cluster set policy_next_run_at = ? where id = ?', [since, clusterId]);
}

async function snapshotsOf(clusterId: string) {
  return app.orm.em.fork().execute<{ id: string; status: string; trigger: string; scheduled_at: Date }[]>(
    'select id, status, trigger, scheduled_at from snapshot where virtual_cluster_id = ? order by scheduled_at',
    [clusterId],
  );
}

async function createdEvents(snapshotId: string) {
  return app.orm.em.fork().execute<{ kind: string; to_state: string; message: string }[]>(
    'select kind, to_state, message from snapshot_event where snapshot_id = ? order by id',
    [snapshotId],
  );
}

/** The minute boundary `minutes` before the last one. */
const minuteAgo = (minutes: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - minutes * 60_000);

describe('catch-up after a stopped worker', () => {
  it('catchUp ONE: one snapshot for every missed tick, its event saying how many; the next run is after now', async () => {
    const projectId = project();
    const clusterId = await registerPolicy(projectId, 'ledger', { schedule: '* * * * *', catchUp: 'ONE' });
    const stoppedAt = minuteAgo(5);
    await dueSince(clusterId, stoppedAt);
    // The restarted worker: start() runs a pass at once.
    const { finder, requested } = dueFinder();
    const pass = await finder.pass();
    const rows = await snapshotsOf(clusterId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'SCHEDULED', trigger: 'SCHEDULE' });
    expect(pass.snapshotIds).toContain(rows[0]!.id);
    await finder.takesRequested();
    expect(requested).toContain(rows[0]!.id);
    // The ticks from stoppedAt to now: 6 (5 minutes ago … this minute's), or 5 when this minute's is within 60 s (then it is this run's own).
    const [event] = await createdEvents(rows[0]!.id);
    expect(event).toMatchObject({ kind: 'CREATED', to_state: 'SCHEDULED' });
    expect(event!.message).toMatch(new RegExp(`^catch-up run of the auto-snapshot policy: [56] ticks missed since ${stoppedAt.toISOString().replaceAll('.', '\\.')}$`));
    const read = await app.request(EnginePolicyOutcomeDocument, { id: clusterId }, admin);
    const nextRunAt = new Date(read.data!.virtualCluster!.autoSnapshotPolicy.nextRunAt!);
    expect(nextRunAt.getTime()).toBeGreaterThan(Date.now() - 1_000);
    expect(nextRunAt.getTime() % 60_000).toBe(0);
    // A second pass finds nothing due: the missed ticks were served once.
    expect((await finder.pass()).snapshotIds).not.toContain(rows[0]!.id);
    expect(await snapshotsOf(clusterId)).toHaveLength(1);
  });

  it('catchUp NONE: no snapshot for ticks long past; the schedule goes on from its next tick', async () => {
    const projectId = project();
    const clusterId = await registerPolicy(projectId, 'ledger', { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', catchUp: 'NONE' });
    // Stopped two days ago: two 03:00 ticks in Berlin missed, neither within the last 60 s.
    const twoDaysAgo = nextTick('0 3 * * *', 'Europe/Berlin', new Date(Date.now() - 2 * 86_400_000 - 60_000))!;
    await dueSince(clusterId, twoDaysAgo);
    const { finder } = dueFinder();
    const pass = await finder.pass();
    expect(await snapshotsOf(clusterId)).toEqual([]);
    expect(pass.dropped).toBeGreaterThanOrEqual(1);
    const read = await app.request(EnginePolicyOutcomeDocument, { id: clusterId }, admin);
    expect(read.data!.virtualCluster!.autoSnapshotPolicy).toMatchObject({
      catchUp: 'NONE',
      nextRunAt: nextTick('0 3 * * *', 'Europe/Berlin', new Date())!.toISOString(),
      lastRun: null,
    });
  });
});

describe('two workers racing', () => {
  it('every due tick fires exactly once, split between them; a tick that finds one SCHEDULED is counted as skipped', async () => {
    const projectId = project();
    const ids: string[] = [];
    for (let i = 0; i < 120; i += 1) ids.push((await insertCluster(app.orm, `race-${i}`, projectId)).id);
    const due = minuteAgo(0);
    await app.orm.em.fork().execute(
      `update virtual_cluster set policy_enabled = true, policy_schedule = '* * * * *', policy_next_run_at = ? where project_id = ?`,
      [due, projectId],
    );
    const a = dueFinder({ batchSize: 7 });
    const b = dueFinder({ batchSize: 7 });
    const [passA, passB] = await Promise.all([a.finder.pass(), b.finder.pass()]);
    const fired = [...passA.snapshotIds, ...passB.snapshotIds];
    expect(new Set(fired).size).toBe(fired.length);
    const counts = await app.orm.em.fork().execute<{ snapshots: number; events: number; clusters: number }[]>(
      `select count(*)::int as snapshots, count(distinct s.virtual_cluster_id)::int as clusters,
              (select count(*)::int from snapshot_event e where e.project_id = ? and e.kind = 'CREATED') as events
       from snapshot s where s.project_id = ?`,
      [projectId, projectId],
    );
    expect(counts[0]).toEqual({ snapshots: 120, clusters: 120, events: 120 });
    expect(fired).toHaveLength(120);

    // The next tick comes while all 120 still wait: none is added, each cluster counts a skipped tick.
    await app.orm.em.fork().execute('update virtual_cluster set policy_next_run_at = ? where project_id = ?', [new Date(Date.now() - 1_000), projectId]);
    const [againA, againB] = await Promise.all([a.finder.pass(), b.finder.pass()]);
    expect(againA.skipped + againB.skipped).toBeGreaterThanOrEqual(120);
    const after = await app.orm.em.fork().execute<{ snapshots: number; skipped: number }[]>(
      `select (select count(*)::int from snapshot where project_id = ?) as snapshots,
              (select sum(policy_skipped_ticks)::int from virtual_cluster where project_id = ?) as skipped`,
      [projectId, projectId],
    );
    expect(after[0]).toEqual({ snapshots: 120, skipped: 120 });
  });
});

describe('waking', () => {
  it('a policy change wakes a sleeping due-finder at once (NOTIFY), and its pass fires what is due', async () => {
    const projectId = project();
    const due = await registerPolicy(projectId, 'due', { schedule: '* * * * *' });
    const other = await registerPolicy(projectId, 'other', { schedule: '0 0 1 1 *' });
    // Asleep for up to ten minutes: only the notification can wake it within the test.
    const { finder } = dueFinder({ maxSleepMs: 600_000 });
    await finder.start();
    // Due without a word to anyone (as a tick that passed unnoticed).
    await dueSince(due, minuteAgo(0));
    // A change to another cluster's policy is the doorbell.
    const set = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: other, policy: { enabled: true, schedule: '0 0 2 1 *' } }, admin);
    expect(set.errors).toBeUndefined();
    const deadline = Date.now() + 10_000;
    while ((await snapshotsOf(due)).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await snapshotsOf(due)).toHaveLength(1);
    expect(POLICY_CHANGED_CHANNEL).toBe('vsnap_policy_changed');
    // Asleep again: later tests count statements.
    await finder.stop();
  });
});

describe('AutoSnapshotPolicy through GraphQL', () => {
  it('nextRunAt in the policy\'s zone, lastRun and consecutiveFailures of its SCHEDULE runs only', async () => {
    const projectId = project();
    const clusterId = await registerPolicy(projectId, 'shop', { schedule: '30 2 * * *', timeZone: 'America/New_York' });
    const at = (minutes: number) => new Date(Date.UTC(2026, 5, 1, 0, minutes));
    const finish = async (id: string, to: 'COMPLETED' | 'FAILED', finishedAt: Date) => {
      await move(app.orm, id, 'IN_PROGRESS');
      await move(app.orm, id, to);
      await app.orm.em.fork().execute('update snapshot set finished_at = ? where id = ?', [finishedAt, id]);
    };
    const read = async (token: string) => app.request(EnginePolicyOutcomeDocument, { id: clusterId }, token);

    // Before any run.
    const before = await read(admin);
    expect(before.data!.virtualCluster!.autoSnapshotPolicy).toEqual({
      enabled: true,
      nextRunAt: nextTick('30 2 * * *', 'America/New_York', new Date())!.toISOString(),
      catchUp: 'ONE',
      skippedTicks: 0,
      consecutiveFailures: 0,
      lastRun: null,
    });

    const good = await schedule(app.orm, clusterId, at(0));
    await finish(good.id, 'COMPLETED', at(1));
    const failed1 = await schedule(app.orm, clusterId, at(10));
    await finish(failed1.id, 'FAILED', at(11));
    const failed2 = await schedule(app.orm, clusterId, at(20));
    await finish(failed2.id, 'FAILED', at(21));
    // A manual snapshot is not the policy's run, failed or not.
    const manual = await schedule(app.orm, clusterId, at(30), 'MANUAL');
    await finish(manual.id, 'FAILED', at(31));

    const asAdmin = await read(await tokens.projectAdmin(projectId));
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data!.virtualCluster!.autoSnapshotPolicy).toMatchObject({
      consecutiveFailures: 2,
      lastRun: { status: 'FAILED', finishedAt: at(21).toISOString(), snapshot: { id: failed2.id, name: failed2.name, trigger: 'SCHEDULE' } },
    });

    // A run still waiting is the last run; the failures before it still count.
    const waiting = await schedule(app.orm, clusterId, at(40));
    const withWaiting = await read(admin);
    expect(withWaiting.data!.virtualCluster!.autoSnapshotPolicy).toMatchObject({
      consecutiveFailures: 2,
      lastRun: { status: 'SCHEDULED', finishedAt: null, snapshot: { id: waiting.id } },
    });
    // It completes: the streak is over.
    await finish(waiting.id, 'COMPLETED', at(41));
    expect((await read(admin)).data!.virtualCluster!.autoSnapshotPolicy).toMatchObject({ consecutiveFailures: 0, lastRun: { status: 'COMPLETED' } });

    // A project member sees the schedule, not the snapshot data: FORBIDDEN on those two fields.
    const asMember = await read(await tokens.member(projectId));
    expect(asMember.data!.virtualCluster!.autoSnapshotPolicy).toMatchObject({ nextRunAt: before.data!.virtualCluster!.autoSnapshotPolicy.nextRunAt, lastRun: null, consecutiveFailures: null });
    expect(errorCodes(asMember).sort()).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(asMember.errors!.map((e) => e.path?.join('.')).sort()).toEqual(['virtualCluster.autoSnapshotPolicy.consecutiveFailures', 'virtualCluster.autoSnapshotPolicy.lastRun']);
    // Anyone outside the project: the cluster does not exist.
    const outsider = await read(await tokens.projectAdmin(project()));
    expect(outsider.data).toEqual({ virtualCluster: null });
    expect(errorCodes(outsider)).toEqual(['NOT_FOUND']);
  });

  it('a disabled policy has no next run', async () => {
    const projectId = project();
    const clusterId = await registerPolicy(projectId, 'off', { schedule: '*/5 * * * *' });
    const set = await app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: clusterId, policy: { enabled: false, schedule: '*/5 * * * *' } }, admin);
    expect(set.errors).toBeUndefined();
    const read = await app.request(EnginePolicyOutcomeDocument, { id: clusterId }, admin);
    expect(read.data!.virtualCluster!.autoSnapshotPolicy).toMatchObject({ enabled: false, nextRunAt: null });
  });

  it('lastRun and consecutiveFailures of a page of clusters are read in one statement', async () => {
    const projectId = project();
    // The counter is the process's: the event listener's safety poll may land in one request's count, not in all three.
    const read = async () => {
      // The listener reads the CREATED events the fixtures announced: let it finish first.
      for (let last = -1, deadline = Date.now() + 2_000; last !== sqlStatements.count && Date.now() < deadline; ) {
        last = sqlStatements.count;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      const runs = [];
      for (let i = 0; i < 3; i += 1) {
        const before = sqlStatements.count;
        const response = await app.request(EnginePolicyNextRunsDocument, { projectId }, admin);
        expect(response.errors).toBeUndefined();
        runs.push({ statements: sqlStatements.count - before, clusters: response.data!.virtualClusters.edges.length });
      }
      return runs.reduce((least, run) => (run.statements < least.statements ? run : least));
    };
    for (let i = 0; i < 2; i += 1) await schedule(app.orm, await registerPolicy(projectId, `few-${i}`, { schedule: '0 * * * *' }), new Date());
    const few = await read();
    for (let i = 0; i < 8; i += 1) await schedule(app.orm, await registerPolicy(projectId, `many-${i}`, { schedule: '0 * * * *' }), new Date());
    const many = await read();
    expect(few.clusters).toBe(2);
    expect(many.clusters).toBe(10);
    // The page of clusters, then lastRun and consecutiveFailures of all of them together.
    expect(few.statements).toBe(2);
    expect(many.statements).toBe(2);
  });
});

describe('capacity metrics', () => {
  const sample = (text: string, name: string) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);

  it('the SCHEDULED queue and its oldest wait are gauges over every worker\'s snapshots', async () => {
    const waiting = await app.orm.em.fork().execute<{ n: number; oldest: string }[]>(
      `select count(*)::int as n, min(scheduled_at) as oldest from snapshot where status = 'SCHEDULED'`,
    );
    const scrapedAt = Date.now();
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toContain('# TYPE vsnap_snapshot_start_lateness_seconds histogram');
    expect(sample(text, 'vsnap_snapshots_scheduled')).toBe(waiting[0]!.n);
    expect(waiting[0]!.n).toBeGreaterThan(100);
    const oldest = (scrapedAt - new Date(waiting[0]!.oldest).getTime()) / 1000;
    expect(sample(text, 'vsnap_snapshots_scheduled_oldest_wait_seconds')).toBeGreaterThanOrEqual(oldest - 1);
    expect(sample(text, 'vsnap_snapshots_scheduled_oldest_wait_seconds')).toBeLessThanOrEqual(oldest + 5);
  });
});
