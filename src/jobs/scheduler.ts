/**
 * vsnap's jobs on Agenda: `find-due-snapshots` (the due-finder's periodic pass: every
 * policy's ticks, see due-finder.ts), `take-snapshot` per snapshot, and the periodic
 * `reconcile-storage`, `enforce-retention`, `verify-archives` and `prune-event-log`.
 */
import type { Agenda, Job } from 'agenda';
import type { Logger } from '../logger.ts';
import { cleanUpUploads } from '../snapshots/orphaned-uploads.ts';
import { reconcileStorage, sweepStuckSnapshots } from '../snapshots/reconcile.ts';
import { enforceRetention } from '../snapshots/retention.ts';
import { takeSnapshot, type EngineDeps } from '../snapshots/take.ts';
import { verifyOldestArchives } from '../snapshots/verify.ts';
import type { StorageLocation } from '../locations/entity.ts';
import { openLocationStore } from '../locations/store.ts';
import { errorMessage } from '../errors.ts';
import { pruneEventLog } from '../events/retention.ts';
import type { DueFinder } from './due-finder.ts';
import { requestJob, type SnapshotJobs } from './jobs.ts';
import { TakeSlots } from './take-slots.ts';

export const JOB = {
  findDueSnapshots: 'find-due-snapshots',
  takeSnapshot: 'take-snapshot',
  reconcileStorage: 'reconcile-storage',
  enforceRetention: 'enforce-retention',
  verifyArchives: 'verify-archives',
  pruneEventLog: 'prune-event-log',
} as const;

/** The per-cluster recurring job of vsnap before the due-finder; removed wherever it is left. */
const RETIRED_AUTO_SNAPSHOT_JOB = 'auto-snapshot';

type PeriodicJob = typeof JOB.findDueSnapshots | typeof JOB.reconcileStorage | typeof JOB.enforceRetention | typeof JOB.verifyArchives | typeof JOB.pruneEventLog;

/** Events deleted per transaction by prune-event-log: short transactions, the log stays writable meanwhile. */
const EVENT_PRUNE_BATCH = 5_000;

interface TakeSnapshotData {
  snapshotId: string;
}

export class SnapshotScheduler implements SnapshotJobs {
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  /** A worker's snapshot slots: every take runs in one (see take-slots.ts). */
  private readonly slots: TakeSlots;

  constructor(
    private readonly agenda: Agenda,
    private readonly deps: EngineDeps,
    /** Fires the auto-snapshot ticks; a worker starts it. */
    readonly dueFinder: DueFinder,
  ) {
    this.slots = new TakeSlots({
      orm: deps.orm,
      logger: deps.logger.child({ component: 'take-slots' }),
      capacity: deps.config.snapshotConcurrency,
      pollMs: deps.config.dueFinderIntervalMs,
      take: (snapshotId, picked) => this.takeInSlot(snapshotId, picked),
    });
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  /** Registers the job processors; only a worker process calls this (then `start`). */
  defineJobs(): void {
    const { config } = this.deps;
    // Only a doorbell: a pass of 10,000 ticks must not hold (or outlive) this job's lock.
    this.agenda.define(JOB.findDueSnapshots, () => void this.dueFinder.wake(), { concurrency: 1 });
    this.agenda.define<TakeSnapshotData>(JOB.takeSnapshot, (job) => this.keptAlive(job, () => this.take(job)), {
      concurrency: config.snapshotConcurrency,
      // A worker locks only the take jobs it can start. Unlimited, it locked every due one into a
      // local queue where it waited past its lock lifetime: the other worker then took the expired
      // lock over and ran it too (Agenda: "cannot be updated, maybe it does not exist anymore"
      // once one run removed the job), and a draining worker kept starting queued ones until its
      // drain timed out, cancelling snapshots at shutdown (bench/schedule.ts; take-locks.test.ts).
      lockLimit: config.snapshotConcurrency,
      lockLifetime: config.lockLifetimeMs,
      // The snapshot row is the record; a finished job has nothing left to say.
      removeOnComplete: true,
    });
    this.agenda.define(JOB.reconcileStorage, (job) =>
      this.keptAlive(job, async () => {
        await sweepStuckSnapshots(this.deps);
        await cleanUpUploads(this.deps);
        // SCHEDULED snapshots need no job: the slots take them, those of the clusters just swept among them.
        this.slots.wake();
        await this.dueFinder.fillMissingNextRuns();
        await reconcileStorage(this.deps);
      }),
    );
    this.agenda.define(JOB.enforceRetention, async () => {
      await enforceRetention(this.deps);
    });
    this.agenda.define(JOB.pruneEventLog, (job) => this.keptAlive(job, () => this.pruneEventLog()));
    // Reading a large archive back outlasts a lock lifetime: the lock is kept alive meanwhile.
    this.agenda.define(JOB.verifyArchives, (job) =>
      this.keptAlive(job, async () => {
        const { orm, config, logger } = this.deps;
        const openStore = (location: StorageLocation) => openLocationStore(location, config.storage);
        await verifyOldestArchives({ em: orm.em.fork(), openStore, logger, batchSize: config.verifyBatchSize });
      }),
    );
  }

  async start({ worker }: { worker: boolean }): Promise<void> {
    await this.agenda.start();
    if (!worker) return;
    const { config } = this.deps;
    await this.every(config.reconcileIntervalMs, JOB.reconcileStorage);
    await this.every(config.retentionIntervalMs, JOB.enforceRetention);
    await this.every(config.verifyIntervalMs, JOB.verifyArchives);
    await this.every(config.retentionIntervalMs, JOB.pruneEventLog);
    await this.every(config.dueFinderIntervalMs, JOB.findDueSnapshots);
    const retired = await this.agenda.cancel({ name: RETIRED_AUTO_SNAPSHOT_JOB });
    if (retired) this.logger.info({ jobs: retired }, 'per-cluster auto-snapshot jobs removed: the due-finder fires every policy');
    await this.dueFinder.start();
    this.slots.start();
    this.logger.info({ concurrency: config.snapshotConcurrency }, 'snapshot worker started');
  }

  /** Event-log retention: every event older than EVENT_RETENTION_DAYS goes, and the horizon moves up. */
  private async pruneEventLog(): Promise<void> {
    const { orm, config, logger } = this.deps;
    const olderThan = new Date(Date.now() - config.eventRetentionMs);
    const { pruned, horizon } = await pruneEventLog(orm.em.fork(), olderThan, EVENT_PRUNE_BATCH);
    if (pruned) logger.info({ pruned, horizon: String(horizon), olderThan }, `event log pruned: ${pruned} event${pruned === 1 ? '' : 's'}`);
  }

  /**
   * Renews the job's lock every quarter of its lifetime while `work` runs: a snapshot, or a
   * recovery streaming a large archive, outlasts one lifetime. touch() renews the lock in memory
   * before writing it, so a database outage does not make Agenda cancel the job meanwhile.
   */
  private async keptAlive<T>(job: Job, work: () => Promise<T>): Promise<T> {
    let failing = false;
    const timer = setInterval(() => {
      job.touch().then(
        () => (failing = false),
        (error: unknown) => {
          if (!failing) this.logger.warn({ job: job.attrs.name, error: errorMessage(error) }, 'renewing the job lock failed; retried on the next beat');
          failing = true;
        },
      );
    }, Math.max(250, this.deps.config.lockLifetimeMs / 4));
    timer.unref();
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * A periodic job at `intervalMs`, run at once the first time. Agenda keeps a
   * stored job's next run when it is saved again, computed from the interval it
   * had: a shorter interval set since (a restart with new configuration) would
   * wait out the old one. The next run is brought forward to the last run plus
   * the new interval.
   */
  private async every(intervalMs: number, name: PeriodicJob): Promise<void> {
    const job = await this.agenda.every(intervalMs, name, undefined, { skipImmediate: false });
    // save() returns only the id and next run; the last run is read back.
    const lastRunAt = (await this.periodicRun(name))?.lastRunAt;
    const due = new Date((lastRunAt ?? new Date()).getTime() + intervalMs);
    if (job.attrs.nextRunAt && job.attrs.nextRunAt > due) {
      job.attrs.nextRunAt = due;
      await job.save();
      this.logger.info({ job: name, intervalMs, nextRunAt: due }, 'periodic job rescheduled for its new interval');
    }
  }

  /** When a periodic job last ran and runs next; null before it was ever scheduled. */
  async periodicRun(name: PeriodicJob): Promise<{ lastRunAt: Date | null; nextRunAt: Date | null } | null> {
    const { jobs } = await this.agenda.queryJobs({ name, limit: 1 });
    const job = jobs[0];
    return job ? { lastRunAt: job.lastRunAt ?? null, nextRunAt: job.nextRunAt ?? null } : null;
  }

  /** Lets running snapshots finish (up to `timeoutMs`), then stops; unfinished ones are recovered later. */
  async stop(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.slots.close();
    await this.dueFinder.stop();
    // Agenda's drain misses the end of a job it removes on completion (its 'complete' fires before
    // the removal, when the job still counts as running) and then waits out the whole timeout:
    // the running count is watched here too, and ends the drain once it is zero.
    const settled = new AbortController();
    const watch = setInterval(() => {
      this.agenda.getRunningStats().then(
        ({ runningJobs }) => {
          if ((typeof runningJobs === 'number' ? runningJobs : runningJobs.length) === 0) settled.abort();
        },
        () => undefined,
      );
    }, 100);
    const result = await this.agenda.drain({ timeout: timeoutMs, signal: settled.signal }).finally(() => clearInterval(watch));
    // Takes the slots started themselves are no Agenda jobs: waited for until the same deadline.
    const slotsSettled = await Promise.race([
      this.slots.settled().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())).unref()),
    ]);
    if (result.running > 0 || !slotsSettled) {
      // Cancelled snapshots record themselves FAILED; give them a moment to write that.
      this.stopping.abort(new Error('worker shutting down'));
      this.logger.warn({ running: result.running, snapshots: this.running.size }, 'jobs still running at shutdown were cancelled');
      await Promise.race([Promise.allSettled(this.running), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    }
  }

  /** Runs a periodic job now, out of turn (operators after fixing storage; tests). Returns the run's job id. */
  async runNow(name: PeriodicJob): Promise<string> {
    const job = await this.agenda.now(name);
    return String(job.attrs._id);
  }

  /** How a job run stands: 'completed', 'failed' (with the reason), or still to do. */
  async jobState(id: string): Promise<{ state: string; failReason?: string } | null> {
    const { jobs } = await this.agenda.queryJobs({ id, limit: 1 });
    const job = jobs[0];
    return job ? { state: job.state, failReason: job.failReason } : null;
  }

  async enqueueTake(snapshotId: string, delayMs = 0): Promise<void> {
    await this.agenda.schedule<TakeSnapshotData>(new Date(Date.now() + delayMs), JOB.takeSnapshot, { snapshotId });
  }

  /** The due-finder committed these snapshots: no job each, the slots take them. */
  takeScheduled(): void {
    this.slots.wake();
  }

  /**
   * A take-snapshot job: its snapshot now in a free slot; with every slot busy, nothing here
   * (the row is SCHEDULED: a slot takes it when one frees, on this worker or another).
   */
  private async take(job: Job<TakeSnapshotData>): Promise<void> {
    await this.slots.tryTake(job.attrs.data.snapshotId);
  }

  private async takeInSlot(snapshotId: string, picked: boolean): Promise<void> {
    const taking = takeSnapshot(this.deps, snapshotId, { signal: this.stopping.signal, picked });
    this.running.add(taking);
    const outcome = await taking.finally(() => this.running.delete(taking));
    // A cluster's snapshot waiting behind this one starts when this slot frees (the slots look
    // again); a snapshot found in progress under a live worker is looked at again later, in case
    // that worker is lost.
    if (outcome === 'deferred') await requestJob(this.logger, `retrying snapshot ${snapshotId}`, () => this.enqueueTake(snapshotId, Math.min(30_000, this.deps.config.lockLifetimeMs)));
  }
}
