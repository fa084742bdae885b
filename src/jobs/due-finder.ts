/**
 * The due-finder: every auto-snapshot tick of every cluster, fired by one pass over the
 * policies' `nextRunAt` instead of one recurring job per cluster. A pass takes the due
 * clusters in batches, each batch in ONE transaction: the rows are locked `FOR UPDATE SKIP
 * LOCKED` (two workers split the work and never fire the same tick), their SCHEDULED
 * snapshots and CREATED events are inserted in bulk, and `nextRunAt` advances. A crash
 * before commit leaves the tick due; after commit the snapshot row stands, and the workers'
 * take slots claim it from there (take-slots.ts): no job is requested per snapshot, and the
 * pass's NOTIFY wakes every worker's slots once all its batches have committed.
 *
 * Each worker wakes at the earliest `nextRunAt` (a timer), when a policy changes (LISTEN),
 * and on the `find-due-snapshots` Agenda job, the pass that runs whatever a timer or a
 * connection did.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { POLICY_CHANGED_CHANNEL } from '../clusters/service.ts';
import { decideTick, dueTicks, nextTick, type DueTicks } from '../clusters/next-run.ts';
import type { CatchUpMode } from '../clusters/entity.ts';
import type { Logger } from '../logger.ts';
import { snapshotObjectName } from '../snapshots/naming.ts';
import { scheduleSnapshots, type NewScheduledSnapshot } from '../snapshots/transitions.ts';
import { Rerun } from './rerun.ts';

export interface DueFinderSettings {
  /** Clusters per transaction. */
  batchSize: number;
  /** A tick older than this when its pass comes is missed (the policy's catchUp decides). */
  missedAfterMs: number;
  /** The longest a worker sleeps between passes, whatever the earliest nextRunAt. */
  maxSleepMs: number;
}

/** NOTIFY channel: a due-finder pass committed SCHEDULED snapshots (the workers' slots look). */
export const SNAPSHOTS_SCHEDULED_CHANNEL = 'vsnap_snapshots_scheduled';

export const DEFAULT_DUE_FINDER_SETTINGS: DueFinderSettings = { batchSize: 500, missedAfterMs: 60_000, maxSleepMs: 5_000 };

/** What one pass did. */
export interface DuePass {
  /** Snapshots inserted (catch-ups included). */
  scheduled: number;
  /** Ticks that found the cluster's previous snapshot still SCHEDULED. */
  skipped: number;
  /** Snapshots that stand for missed ticks (catchUp ONE). */
  caughtUp: number;
  /** Clusters whose missed ticks were dropped without a snapshot (catchUp NONE). */
  dropped: number;
  /** Time inside the batches' transactions, milliseconds. */
  transactionMs: number;
  /** The inserted snapshots' ids. */
  snapshotIds: string[];
  /** Per batch that fired something: its clock (the snapshots' scheduledAt) and when it committed, ms since the epoch. */
  commits: { scheduledAt: number; committedAt: number }[];
}

interface DueRow {
  id: string;
  name: string;
  project_id: string;
  policy_schedule: string | null;
  policy_time_zone: string;
  policy_next_run_at: Date;
  policy_catch_up: CatchUpMode;
  policy_volume_snapshots_enabled: boolean;
}

export class DueFinder {
  private timer: NodeJS.Timeout | undefined;
  private client: pg.Client | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  /** Whether the LISTEN connection is down: said once when it goes, once when it is back. */
  private listenLost = false;
  private stopped = false;
  /** Passes, one at a time; then the timer is armed for the earliest next run. */
  private readonly passes = new Rerun(
    async () => {
      if (this.stopped) return;
      await this.pass().catch((error: unknown) => this.logger.error({ err: error }, 'due-finder pass failed; retried on the next wake'));
    },
    () =>
      this.arm().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'reading the next due tick failed; the due-finder looks again shortly');
        this.armIn(this.settings.maxSleepMs);
      }),
  );
  /** Take requests of committed batches, one pass's after another's. */
  private takeRequests: Promise<void> = Promise.resolve();
  private readonly settings: DueFinderSettings;

  constructor(
    private readonly deps: {
      orm: MikroORM;
      postgresUrl: string;
      logger: Logger;
      /** Told of the snapshots this process's passes committed (the worker's slots take them). */
      requestTakes: (snapshotIds: string[]) => Promise<void>;
      /**
       * A due-finder pass committed snapshots: its NOTIFY, from any worker, this one's own
       * included (requestTakes also tells this worker directly, in case its LISTEN is down).
       */
      scheduledElsewhere?: () => void;
    },
    settings: Partial<DueFinderSettings> = {},
  ) {
    this.settings = { ...DEFAULT_DUE_FINDER_SETTINGS, ...settings };
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  /** Sets missing next runs, listens for policy changes and runs the first pass. */
  async start(): Promise<void> {
    await this.fillMissingNextRuns();
    await this.listen().catch((error: unknown) => this.listenLater(error));
    void this.wake();
  }

  /** Resolves when the take jobs of every pass so far have been requested (tests). */
  takesRequested(): Promise<void> {
    return this.takeRequests;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.reconnect);
    await this.passes.current;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Runs a pass now (or right after the one running); resolves when it has run. */
  wake(): Promise<void> {
    return this.stopped ? Promise.resolve() : this.passes.run();
  }

  /** Every due cluster of this moment, batch by batch, until none is left that another worker has not locked. */
  async pass(): Promise<DuePass> {
    const started = performance.now();
    let batches = 0;
    const total: DuePass = { scheduled: 0, skipped: 0, caughtUp: 0, dropped: 0, transactionMs: 0, snapshotIds: [], commits: [] };
    const committed: string[] = [];
    for (;;) {
      const batch = await this.batch();
      batches += 1;
      total.scheduled += batch.scheduled;
      total.skipped += batch.skipped;
      total.caughtUp += batch.caughtUp;
      total.dropped += batch.dropped;
      total.transactionMs += batch.transactionMs;
      total.snapshotIds.push(...batch.snapshotIds);
      total.commits.push(...batch.commits);
      committed.push(...batch.snapshotIds);
      if (batch.size < this.settings.batchSize) break;
    }
    // Every worker's slots are told once every batch has committed, and not waited for: the next
    // tick must not wait behind them. Told per batch, the slots started snapshots while the tick's
    // other batches waited for the cores (bench:schedule, 10,000 clusters: tick p99 2.15 s; a
    // NOTIFY lost with a crash costs nothing: the slots also look every interval).
    if (committed.length) {
      this.takeRequests = this.takeRequests.then(async () => {
        await this.deps.orm.em
          .fork()
          .execute(`select pg_notify('${SNAPSHOTS_SCHEDULED_CHANNEL}', '')`)
          .catch((error: unknown) => this.logger.debug({ err: error }, 'could not tell the other workers of scheduled snapshots; their slots look every interval'));
        await this.deps.requestTakes(committed);
      });
    }
    if (total.scheduled || total.skipped || total.dropped) {
      const { snapshotIds: _ids, ...figures } = total;
      this.logger.info({ ...figures, batches, transactionMs: Math.round(total.transactionMs), passMs: Math.round(performance.now() - started) }, 'auto-snapshot ticks fired');
    }
    return total;
  }

  private async batch(): Promise<DuePass & { size: number }> {
    const started = performance.now();
    const now = new Date();
    const em = this.deps.orm.em.fork();
    const result = await em.transactional(async (tx) => this.fire(tx, now));
    const commits = result.scheduled + result.skipped + result.dropped > 0 ? [{ scheduledAt: now.getTime(), committedAt: Date.now() }] : [];
    return { ...result, transactionMs: performance.now() - started, commits };
  }

  private async fire(tx: EntityManager, now: Date): Promise<Omit<DuePass, 'transactionMs' | 'commits'> & { size: number }> {
    const rows = await tx.execute<DueRow[]>(
      `select id, name, project_id, policy_schedule, policy_time_zone, policy_next_run_at, policy_catch_up, policy_volume_snapshots_enabled
       from virtual_cluster where policy_enabled and policy_next_run_at <= ?
       order by policy_next_run_at limit ? for update skip locked`,
      [now, this.settings.batchSize],
    );
    const result = { scheduled: 0, skipped: 0, caughtUp: 0, dropped: 0, snapshotIds: [] as string[], size: rows.length };
    if (rows.length === 0) return result;
    // Clusters on one schedule, zone and tick share the arithmetic (10,000 on `* * * * *`: one).
    const memo = new Map<string, DueTicks>();
    const wanted: NewScheduledSnapshot[] = [];
    const catchUps = new Set<string>();
    const advances: { id: string; next: string | null; skip: number }[] = [];
    for (const row of rows) {
      const due = new Date(row.policy_next_run_at);
      if (!row.policy_schedule) {
        advances.push({ id: row.id, next: null, skip: 0 });
        continue;
      }
      const key = `${row.policy_schedule}|${row.policy_time_zone}|${due.getTime()}`;
      let ticks = memo.get(key);
      if (!ticks) memo.set(key, (ticks = dueTicks(row.policy_schedule, row.policy_time_zone, due, now)));
      const decision = decideTick(ticks, due, row.policy_catch_up, now, this.settings.missedAfterMs);
      advances.push({ id: row.id, next: decision.next?.toISOString() ?? null, skip: 0 });
      if (!decision.snapshot) {
        result.dropped += 1;
        continue;
      }
      if (decision.snapshot.catchUp) catchUps.add(row.id);
      wanted.push({
        virtualClusterId: row.id,
        projectId: row.project_id,
        name: snapshotObjectName(row.name, now),
        trigger: 'SCHEDULE',
        volumeSnapshotsEnabled: row.policy_volume_snapshots_enabled,
        scheduledAt: now,
        message: decision.snapshot.message,
      });
    }
    const created = await scheduleSnapshots(tx, wanted);
    const skippedIds = new Set(wanted.filter((s) => !created.has(s.virtualClusterId)).map((s) => s.virtualClusterId));
    for (const advance of advances) if (skippedIds.has(advance.id)) advance.skip = 1;
    await tx.execute(
      `update virtual_cluster v set policy_next_run_at = r.next, policy_skipped_ticks = v.policy_skipped_ticks + r.skip
       from json_to_recordset(?::json) as r(id uuid, next timestamptz, skip int) where v.id = r.id`,
      [JSON.stringify(advances)],
    );
    result.scheduled = created.size;
    result.skipped = skippedIds.size;
    result.caughtUp = [...created.keys()].filter((id) => catchUps.has(id)).length;
    result.snapshotIds = [...created.values()];
    return result;
  }

  /** Enabled policies without a next run (written before the due-finder, or by hand) get one. */
  async fillMissingNextRuns(): Promise<number> {
    const em = this.deps.orm.em.fork();
    const rows = await em.execute<{ id: string; policy_schedule: string; policy_time_zone: string }[]>(
      'select id, policy_schedule, policy_time_zone from virtual_cluster where policy_enabled and policy_next_run_at is null and policy_schedule is not null',
    );
    if (rows.length === 0) return 0;
    const now = new Date();
    const next = rows.map((row) => ({ id: row.id, next: nextTick(row.policy_schedule, row.policy_time_zone, now)?.toISOString() ?? null }));
    await em.execute(
      `update virtual_cluster v set policy_next_run_at = r.next from json_to_recordset(?::json) as r(id uuid, next timestamptz)
       where v.id = r.id and v.policy_next_run_at is null`,
      [JSON.stringify(next)],
    );
    this.logger.info({ clusters: rows.length }, 'next auto-snapshot runs set for policies that had none');
    return rows.length;
  }

  /** Sleeps until the earliest next run, at most maxSleepMs. */
  private async arm(): Promise<void> {
    if (this.stopped) return;
    const [row] = await this.deps.orm.em.fork().execute<{ next: Date | null }[]>(
      'select min(policy_next_run_at) as next from virtual_cluster where policy_enabled',
    );
    const next = row?.next ? new Date(row.next).getTime() : Number.POSITIVE_INFINITY;
    // A few milliseconds past the tick: a timer that fires a hair early would find nothing due.
    this.armIn(Math.min(this.settings.maxSleepMs, Math.max(0, next - Date.now() + 3)));
  }

  private armIn(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.wake(), delayMs);
    this.timer.unref();
  }

  /** LISTEN for policy changes on a connection of its own; a lost one is replaced (the timer covers the gap). */
  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.deps.postgresUrl, application_name: 'vsnap-due-finder' });
    const retry = (error: unknown) => {
      if (this.stopped || this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      this.listenLater(error);
    };
    client.on('error', retry);
    client.on('end', () => retry(new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === SNAPSHOTS_SCHEDULED_CHANNEL) this.deps.scheduledElsewhere?.();
      else void this.wake();
    });
    this.client = client;
    await client.connect();
    await client.query(`listen ${POLICY_CHANGED_CHANNEL}`);
    await client.query(`listen ${SNAPSHOTS_SCHEDULED_CHANNEL}`);
    if (this.listenLost) this.logger.info('due-finder listens for policy changes again');
    this.listenLost = false;
  }

  private listenLater(error: unknown): void {
    if (this.stopped) return;
    this.client = undefined;
    if (!this.listenLost) this.logger.warn({ err: error }, 'due-finder has no LISTEN connection; it reconnects in a few seconds (its timer keeps it on time meanwhile)');
    this.listenLost = true;
    clearTimeout(this.reconnect);
    this.reconnect = setTimeout(() => void this.listen().catch((next: unknown) => this.listenLater(next)), 2_000);
    this.reconnect.unref();
  }
}
