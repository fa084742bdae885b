/**
 * Schedule benchmark: how late auto-snapshot ticks fire, and how late the
 * snapshots they schedule start and finish, with many clusters on one worker.
 *
 *   node --import tsx bench/schedule.ts
 *
 * N clusters get the policy `* * * * *` (every minute, the finest 5-field cron)
 * in varied IANA time zones, a local-directory storage target and the
 * kubeconfig of ONE Kubernetes API test server (seedStandard, no volume
 * snapshots) that runs in a worker thread, so that it does not share the
 * engine's event loop (it does share the machine's cores). The worker is the
 * real engine (startEngine, worker role) with production settings from
 * src/config.ts; clusters are inserted in bulk and then registered with the
 * real scheduler (SnapshotScheduler.syncCluster, as ClusterService does).
 *
 * Environment:
 *   DATABASE_URL           a Postgres server to use: a database vsnap_bench_sched_<pid> is
 *                          created there and dropped at the end. Unset: an embedded
 *                          Postgres is started with its data in .vsnap/bench-sched-postgres.
 *   BENCH_CLUSTERS         clusters (default 1000)
 *   BENCH_MINUTES          minute boundaries measured (default 2)
 *   BENCH_GRACE_SECONDS    how long after the last measured boundary ticks may still fire
 *                          and snapshots finish before the worker is stopped (default 55:
 *                          just before the next boundary)
 *   BENCH_PROCESS_EVERY_MS Agenda processEvery (default: unset, i.e. what main.ts uses)
 *   SNAPSHOT_CONCURRENCY, WORKER_LOCK_LIFETIME_SECONDS, RECONCILE_INTERVAL_SECONDS,
 *   RETENTION_INTERVAL_SECONDS, KUBE_LIST_PAGE_SIZE, ... (the engine's variables of
 *                          src/config.ts; production defaults when unset)
 *   BENCH_VERBOSE          1: echo the engine's warnings and errors to stderr as they happen
 *
 * Experiments (NOT production behaviour: they reach into the running engine to
 * try a proposed fix without editing src/; the header says when one is on):
 *   BENCH_AUTO_CONCURRENCY  auto-snapshot's own Agenda concurrency (Agenda maxConcurrency is
 *                           raised by the difference); production: SNAPSHOT_CONCURRENCY
 *   BENCH_AGENDA_POOL_MAX   max connections of the pg pool agenda.ts creates (production: 4,
 *                           one of them held by LISTEN)
 *   BENCH_TAKE_LOCK_LIMIT   lockLimit of take-snapshot (production: 0 = lock every due job)
 *
 * How ticks are attributed: Agenda computes a recurring job's next run from the
 * time it last started (the cron's next minute after lastRunAt), so the tick a
 * run serves is "the first boundary after the previous run" (after
 * registration for the first). The bench LISTENs on Agenda's state channel
 * (`vsnap_jobs:state`, the `start` notifications Agenda publishes anyway) for
 * every auto-snapshot run's lastRunAt, rebuilds each cluster's ticks from that,
 * and matches the SCHEDULE snapshots (and the logged "auto-snapshot skipped")
 * to the run that made them.
 *
 * Lateness figures (all against the tick's minute boundary, wall clock of this machine):
 *   fire lateness       Agenda started the job (lastRunAt) − boundary
 *   tick lateness       snapshot.scheduledAt − boundary (what the brief asks for)
 *   start lateness      snapshot.startedAt − snapshot.scheduledAt
 *   completion          snapshot.finishedAt − snapshot.scheduledAt
 *
 * Diagnostics: waiting clients of Agenda's pg pool (sampled every 100 ms; the
 * bench wraps pg.Pool to see the instance agenda.ts creates), backends of the
 * bench database by state and lock waits (pg_stat_activity every 250 ms), and
 * job durations from Agenda's success/complete notifications.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Agenda } from 'agenda';
import pg from 'pg';
import { pino, type DestinationStream } from 'pino';
import { createBenchDatabase, envNumber, percentile, runBench, secs, withClient, withCleanups } from './support.ts';

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

const MINUTE = 60_000;
const SCHEDULE = '* * * * *';
const PROJECTS = 10;
/** Zones with unusual offsets first (half and quarter hours, far east/west), then every zone Intl knows. */
const PREFERRED_ZONES = [
  'UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Eucla',
  'Pacific/Chatham', 'America/St_Johns', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Asia/Tehran', 'Australia/Lord_Howe',
];
/** Engine variables of src/config.ts passed through from the environment (anything else: production default). */
const ENGINE_ENV = [
  'SNAPSHOT_CONCURRENCY', 'VOLUME_SNAPSHOT_CONCURRENCY', 'SNAPSHOT_TIMEOUT_SECONDS', 'VOLUME_SNAPSHOT_TIMEOUT_SECONDS',
  'WORKER_LOCK_LIFETIME_SECONDS', 'RECONCILE_INTERVAL_SECONDS', 'RETENTION_INTERVAL_SECONDS', 'KUBE_LIST_PAGE_SIZE',
  'KUBE_REQUEST_TIMEOUT_SECONDS', 'VERIFY_INTERVAL_SECONDS', 'VERIFY_BATCH_SIZE',
];

// ---------------------------------------------------------------------------
// Kubernetes API test server (runs in a worker thread)
// ---------------------------------------------------------------------------

interface KubeReady {
  type: 'ready';
  kubeconfig: string;
  url: string;
  objects: number;
}
interface KubeClosed {
  type: 'closed';
  requests: number;
}

async function serveKube(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const { startKubeServer } = await import('../test/kube/server.ts');
  const server = await startKubeServer();
  const seed = server.seedStandard();
  let requests = 0;
  // The request log would grow without bound: count and drop it.
  const trim = setInterval(() => {
    requests += server.requests.length;
    server.requests.length = 0;
  }, 1000);
  port.on('message', (message: { type: string }) => {
    if (message.type !== 'close') return;
    clearInterval(trim);
    requests += server.requests.length;
    void server.close().then(() => port.postMessage({ type: 'closed', requests } satisfies KubeClosed));
  });
  const objects = Object.values(seed.counts).reduce((sum, count) => sum + count, 0);
  port.postMessage({ type: 'ready', kubeconfig: server.kubeconfig, url: server.url, objects } satisfies KubeReady);
}

class KubeWorker {
  private readonly worker = new Worker(new URL(import.meta.url), { workerData: { role: 'kube' } });

  ready(): Promise<KubeReady> {
    return this.next<KubeReady>('ready');
  }

  /** Stops the server; the number of requests it answered. */
  async close(): Promise<number> {
    const closed = this.next<KubeClosed>('closed');
    this.worker.postMessage({ type: 'close' });
    const { requests } = await Promise.race([
      closed,
      new Promise<KubeClosed>((resolve) => setTimeout(() => resolve({ type: 'closed', requests: Number.NaN }), 5000).unref()),
    ]);
    await this.worker.terminate();
    return requests;
  }

  private next<T extends { type: string }>(type: T['type']): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: T) => {
        if (message.type !== type) return;
        this.worker.off('message', onMessage);
        this.worker.off('error', onError);
        resolve(message);
      };
      const onError = (error: Error) => {
        this.worker.off('message', onMessage);
        reject(error);
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', onError);
    });
  }
}

// ---------------------------------------------------------------------------
// Agenda's pg pool (agenda.ts makes it with `new pg.Pool`, read at call time)
// ---------------------------------------------------------------------------

const createdPools: pg.Pool[] = [];
let poolMaxOverride: number | undefined;

/** Records every pool made through `pg.Pool` from now on (MikroORM imports its Pool directly: not seen). */
function watchPools(): void {
  const Original = pg.Pool;
  class WatchedPool extends Original {
    constructor(config?: pg.PoolConfig) {
      super(poolMaxOverride && config?.max === 4 ? { ...config, max: poolMaxOverride } : config);
      createdPools.push(this);
    }
  }
  (pg as { Pool: typeof pg.Pool }).Pool = WatchedPool;
}

interface Sample {
  at: number;
  values: Record<string, number>;
}

/** Mean and max of each key over the samples taken in [from, to]. */
function summarise(samples: readonly Sample[], from: number, to: number): { n: number; stats: Map<string, { mean: number; max: number }> } {
  const within = samples.filter((s) => s.at >= from && s.at <= to);
  const stats = new Map<string, { mean: number; max: number }>();
  for (const sample of within) {
    for (const [key, value] of Object.entries(sample.values)) {
      const stat = stats.get(key) ?? { mean: 0, max: 0 };
      stat.mean += value / within.length;
      stat.max = Math.max(stat.max, value);
      stats.set(key, stat);
    }
  }
  return { n: within.length, stats };
}

class PoolSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pool: pg.Pool) {}

  start(): void {
    this.timer = setInterval(() => this.samples.push({ at: Date.now(), values: { waiting: this.pool.waitingCount } }), 100);
    this.timer.unref();
  }

  /** Queries waiting for one of the pool's connections, in [from, to]. */
  describe(from: number, to: number): string {
    const { n, stats } = summarise(this.samples, from, to);
    const waiting = stats.get('waiting') ?? { mean: 0, max: 0 };
    const queued = this.samples.filter((s) => s.at >= from && s.at <= to && (s.values.waiting ?? 0) > 0).length;
    return `Agenda pool (max ${this.pool.options.max}, 1 held by LISTEN): queries waiting for a connection mean ${waiting.mean.toFixed(1)} max ${waiting.max}, queue in ${((100 * queued) / Math.max(1, n)).toFixed(0)}% of samples`;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** What the bench database's backends are doing: running, waiting (on what), idle in a transaction. */
class ActivitySampler {
  private readonly samples: Sample[] = [];
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  async start(url: string): Promise<void> {
    this.client = new pg.Client({ connectionString: url });
    await this.client.connect();
    this.timer = setInterval(() => void this.sample(), 200);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    if (this.busy || !this.client) return;
    this.busy = true;
    try {
      const { rows } = await this.client.query<{ what: string; n: number }>(
        `select case when state = 'active' then coalesce(wait_event_type || ':' || wait_event, 'running')
                     else state end as what, count(*)::int as n
         from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'
           and state in ('active', 'idle in transaction', 'idle in transaction (aborted)')
         group by 1`,
      );
      this.samples.push({ at: Date.now(), values: Object.fromEntries(rows.map((row) => [row.what, row.n])) });
    } catch {
      // the database is going away at the end of the run
    } finally {
      this.busy = false;
    }
  }

  /** Mean (max) backends per activity in [from, to], busiest first. */
  describe(from: number, to: number): string {
    const { stats } = summarise(this.samples, from, to);
    const parts = [...stats].sort((a, b) => b[1].mean - a[1].mean).slice(0, 6).map(([what, { mean, max }]) => `${what} ${mean.toFixed(1)} (${max})`);
    return `postgres backends, mean (max): ${parts.join(', ') || 'all idle'}`;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.client?.end();
    this.client = undefined;
  }
}

// ---------------------------------------------------------------------------
// What the engine says: its log lines and Agenda's state notifications
// ---------------------------------------------------------------------------

interface LogLine {
  level: number;
  time: number;
  msg?: string;
  cluster?: string;
}

/** A pino destination that keeps what the bench needs from the engine's log. */
class LogTap implements DestinationStream {
  /** "auto-snapshot skipped" lines: when, and for which cluster (by name). */
  readonly skips: { time: number; cluster: string }[] = [];
  /** Warnings and errors by message shape, with one full example each. */
  readonly problems = new Map<string, { level: number; count: number; example: string }>();
  lines = 0;

  constructor(private readonly echo: boolean) {}

  write(line: string): void {
    this.lines += 1;
    const skipped = line.includes('auto-snapshot skipped');
    // Only these are parsed: levels are written first by pino ({"level":40,...}).
    if (!skipped && !/^\{"level":[4-6]0/.test(line)) return;
    const entry = JSON.parse(line) as LogLine;
    if (skipped && entry.cluster) this.skips.push({ time: entry.time, cluster: entry.cluster });
    if (entry.level >= 40) {
      const shape = `${entry.level >= 50 ? 'ERROR' : 'WARN '} ${(entry.msg ?? '')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
        .replace(/\bc\d{4,}\b/g, '<cluster>')
        .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
        .replace(/\d+/g, '<n>')
        .slice(0, 160)}`;
      const known = this.problems.get(shape);
      if (known) known.count += 1;
      else this.problems.set(shape, { level: entry.level, count: 1, example: line.trim().slice(0, 600) });
      if (this.echo) process.stderr.write(line);
    }
  }
}

interface StateNotification {
  type: string;
  jobId: string;
  jobName: string;
  timestamp: string;
  lastRunAt?: string;
  duration?: number;
  error?: string;
}

/** Agenda's job state notifications (published for every job start/success/fail/complete). */
class AgendaStates {
  /** auto-snapshot starts: job id → lastRunAt (ms) of each run. */
  readonly autoStarts = new Map<string, number[]>();
  readonly counts = new Map<string, number>();
  readonly periodic: { at: number; job: string; type: string }[] = [];
  readonly failures = new Map<string, number>();
  /** Per job name: lastRunAt → success (the processor plus the first saveJobState). */
  readonly durations = new Map<string, number[]>();
  /** Per job name: lastRunAt → 'complete' published (the slot is free right after). */
  readonly slots = new Map<string, number[]>();
  private client: pg.Client | undefined;

  async listen(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on('notification', ({ payload }) => {
      if (!payload) return;
      const state = JSON.parse(payload) as StateNotification;
      const key = `${state.jobName} ${state.type}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      if (state.jobName === 'auto-snapshot' && state.type === 'start' && state.lastRunAt) {
        const runs = this.autoStarts.get(state.jobId) ?? [];
        runs.push(Date.parse(state.lastRunAt));
        this.autoStarts.set(state.jobId, runs);
      }
      if (state.type === 'success' && state.duration !== undefined) {
        const list = this.durations.get(state.jobName) ?? [];
        list.push(state.duration);
        this.durations.set(state.jobName, list);
      }
      if (state.type === 'complete' && state.lastRunAt) {
        const list = this.slots.get(state.jobName) ?? [];
        list.push(Date.parse(state.timestamp) - Date.parse(state.lastRunAt));
        this.slots.set(state.jobName, list);
      }
      if (state.type === 'fail') {
        const reason = `${state.jobName}: ${(state.error ?? '').slice(0, 120)}`;
        this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
      }
      if (state.jobName === 'reconcile-storage' || state.jobName === 'enforce-retention') {
        this.periodic.push({ at: Date.parse(state.timestamp), job: state.jobName, type: state.type });
      }
    });
    await client.query('listen "vsnap_jobs:state"');
    this.client = client;
  }

  count(job: string, type: string): number {
    return this.counts.get(`${job} ${type}`) ?? 0;
  }

  async close(): Promise<void> {
    await this.client?.end();
    this.client = undefined;
  }
}

// ---------------------------------------------------------------------------
// Machine load (the 2 cores are shared with whatever else runs)
// ---------------------------------------------------------------------------

async function cpuTimes(): Promise<{ busy: number; total: number }> {
  const line = (await fs.readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

class LoadProbe {
  private machine = { busy: 0, total: 0 };
  private process = process.cpuUsage();
  private wall = performance.now();
  readonly loop = monitorEventLoopDelay({ resolution: 10 });

  async start(): Promise<void> {
    this.machine = await cpuTimes().catch(() => ({ busy: 0, total: 0 }));
    this.process = process.cpuUsage();
    this.wall = performance.now();
    this.loop.enable();
  }

  /** Since the last call: machine busy %, this process's CPU % of one core, event-loop delay p99/max (ms). */
  async sample(): Promise<string> {
    const machine = await cpuTimes().catch(() => ({ busy: 0, total: 0 }));
    const cpu = process.cpuUsage(this.process);
    const wall = performance.now() - this.wall;
    const busy = machine.total > this.machine.total ? (100 * (machine.busy - this.machine.busy)) / (machine.total - this.machine.total) : Number.NaN;
    const text = `machine ${busy.toFixed(0)}% busy (${os.cpus().length} cores), bench process ${((100 * (cpu.user + cpu.system)) / 1000 / wall).toFixed(0)}% of a core, event-loop delay p99 ${(this.loop.percentile(99) / 1e6).toFixed(0)} ms max ${(this.loop.max / 1e6).toFixed(0)} ms`;
    await this.start();
    this.loop.reset();
    return text;
  }
}

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

function distribution(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const cells = [50, 90, 99].map((p) => `p${p} ${secs(percentile(sorted, p), 2).padStart(8)}`);
  return `  ${label.padEnd(42)} n ${String(sorted.length).padStart(5)}   min ${secs(sorted[0] ?? Number.NaN, 2).padStart(7)}   ${cells.join('   ')}   max ${secs(sorted.at(-1) ?? Number.NaN, 2).padStart(8)}`;
}

const nextBoundary = (t: number) => Math.floor(t / MINUTE) * MINUTE + MINUTE;
const clock = (t: number) => new Date(t).toISOString().slice(11, 23);
const sleepUntil = (t: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - Date.now())));

// ---------------------------------------------------------------------------
// Ticks: rebuilt from Agenda's runs, matched with snapshots and skip logs
// ---------------------------------------------------------------------------

interface SnapshotRow {
  cluster: string;
  status: string;
  trigger: string;
  scheduled: number;
  started: number | null;
  finished: number | null;
  message: string | null;
}

interface Run {
  cluster: string;
  /** The minute boundary this run serves. */
  due: number;
  /** lastRunAt: when Agenda started the job. */
  at: number;
  snapshot?: SnapshotRow;
  skipped?: boolean;
}

interface TickAnalysis {
  runs: Run[];
  /** Ticks whose boundary passed without a run of their own: a late run served an earlier one. */
  coalesced: number;
  /** Ticks still unfired when observation ended. */
  unfired: number;
  /** Runs that started before the boundary they were computed to serve (should be 0). */
  early: number;
  /** Snapshots with no run found before them (missed state notification). */
  unmatchedSnapshots: number;
  unmatchedSkips: number;
}

function analyseTicks(options: {
  clusters: { id: string; name: string; registeredAt: number }[];
  jobCluster: Map<string, string>;
  autoStarts: Map<string, number[]>;
  snapshots: SnapshotRow[];
  skips: { time: number; cluster: string }[];
  boundaries: number[];
}): TickAnalysis {
  const first = options.boundaries[0] ?? 0;
  const last = options.boundaries.at(-1) ?? 0;
  const runsByCluster = new Map<string, Run[]>();
  let early = 0;
  for (const [jobId, starts] of options.autoStarts) {
    const cluster = options.jobCluster.get(jobId);
    if (!cluster) continue;
    const registeredAt = options.clusters.find((c) => c.id === cluster)?.registeredAt ?? 0;
    let previous = registeredAt;
    const runs: Run[] = [];
    for (const at of [...starts].sort((a, b) => a - b)) {
      const due = nextBoundary(previous);
      if (at < due) early += 1;
      runs.push({ cluster, due, at });
      previous = at;
    }
    runsByCluster.set(cluster, runs);
  }
  // Each snapshot / skip belongs to the cluster's latest run that started before it.
  const runBefore = (cluster: string, time: number): Run | undefined => {
    const runs = runsByCluster.get(cluster) ?? [];
    let found: Run | undefined;
    for (const run of runs) if (run.at <= time) found = run;
    return found;
  };
  let unmatchedSnapshots = 0;
  for (const snapshot of options.snapshots) {
    if (snapshot.trigger !== 'SCHEDULE') continue;
    const run = runBefore(snapshot.cluster, snapshot.scheduled);
    if (run && !run.snapshot) run.snapshot = snapshot;
    else unmatchedSnapshots += 1;
  }
  const idByName = new Map(options.clusters.map((c) => [c.name, c.id]));
  let unmatchedSkips = 0;
  for (const skip of options.skips) {
    const run = runBefore(idByName.get(skip.cluster) ?? '', skip.time);
    if (run && !run.skipped && !run.snapshot) run.skipped = true;
    else unmatchedSkips += 1;
  }
  let coalesced = 0;
  let unfired = 0;
  for (const { id } of options.clusters) {
    const runs = runsByCluster.get(id) ?? [];
    const served = new Set(runs.map((run) => run.due));
    for (const boundary of options.boundaries) {
      if (served.has(boundary)) continue;
      if (runs.some((run) => run.due < boundary && run.at > boundary)) coalesced += 1;
      else unfired += 1;
    }
  }
  const runs = [...runsByCluster.values()].flat().filter((run) => run.due >= first && run.due <= last);
  return { runs, coalesced, unfired, early, unmatchedSnapshots, unmatchedSkips };
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

export async function main(): Promise<number> {
  const clusterCount = Math.round(envNumber('BENCH_CLUSTERS', 1000));
  const minutes = Math.round(envNumber('BENCH_MINUTES', 2));
  const graceMs = envNumber('BENCH_GRACE_SECONDS', 55) * 1000;
  const processEveryMs = process.env.BENCH_PROCESS_EVERY_MS ? envNumber('BENCH_PROCESS_EVERY_MS', 5000) : undefined;
  const experiment = {
    autoConcurrency: process.env.BENCH_AUTO_CONCURRENCY ? Math.round(envNumber('BENCH_AUTO_CONCURRENCY', 4)) : undefined,
    agendaPoolMax: process.env.BENCH_AGENDA_POOL_MAX ? Math.round(envNumber('BENCH_AGENDA_POOL_MAX', 4)) : undefined,
    takeLockLimit: process.env.BENCH_TAKE_LOCK_LIMIT ? Math.round(envNumber('BENCH_TAKE_LOCK_LIMIT', 1)) : undefined,
  };
  poolMaxOverride = experiment.agendaPoolMax;
  watchPools();

  const { openDatabase } = await import('../src/db/orm.ts');
  const { startEngine } = await import('../src/jobs/engine.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { VirtualClusterSchema } = await import('../src/clusters/entity.ts');
  const { SecretBox } = await import('../src/secrets/secret-box.ts');
  const { cronProblem, isValidTimeZone } = await import('../src/clusters/input.ts');

  return withCleanups(async (cleanups) => {
    const started = performance.now();
    console.log(`vsnap schedule benchmark — node ${process.version}, ${clusterCount} clusters on '${SCHEDULE}', ${minutes} measured minute boundaries, ${graceMs / 1000}s grace`);

    // 1. Database, storage directory, Kubernetes API test server.
    const database = await createBenchDatabase(cleanups, { prefix: 'vsnap_bench_sched_', dataDirName: 'bench-sched-postgres' });
    console.log(`database: ${database.description}`);
    const orm: MikroORM = await openDatabase(database.url);
    cleanups.push('close orm', () => orm.close());
    const storageDir = path.resolve('.vsnap', `bench-sched-${process.pid}`);
    await fs.mkdir(storageDir, { recursive: true });
    cleanups.push('remove storage directory', () => fs.rm(storageDir, { recursive: true, force: true }));
    const kubeWorker = new KubeWorker();
    let kubeRequests = Number.NaN;
    cleanups.push('stop kubernetes test server', async () => void (kubeRequests = await kubeWorker.close()));
    const kube = await kubeWorker.ready();
    console.log(`kubernetes: test API server ${kube.url} in a worker thread, seedStandard (${kube.objects} objects), shared by every cluster`);
    console.log(`storage: local directory ${path.relative(process.cwd(), storageDir)}`);

    // 2. The engine, as main.ts starts it: production settings except where the environment says.
    const engineEnv = Object.fromEntries(ENGINE_ENV.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])));
    // Clusters name no storage location: the default one (LOCAL, the root itself) is this directory.
    const engineConfig = loadConfig(engineEnv).engine;
    const config = { ...engineConfig, storage: { ...engineConfig.storage, localRoot: storageDir }, mongodbUrl: undefined };
    const logTap = new LogTap(process.env.BENCH_VERBOSE === '1');
    const logger = pino({ name: 'vsnap', level: 'info' }, logTap);
    const states = new AgendaStates();
    await states.listen(database.url);
    cleanups.push('stop listening to agenda states', () => states.close());
    const poolsBefore = createdPools.length;
    // The clusters below are inserted with plaintext inline kubeconfigs, as rows from before sealing; a box lets the engine read them.
    const inlineBox = new SecretBox([{ id: 'bench', key: randomBytes(32) }]);
    const engine = await startEngine({ orm, postgresUrl: database.url, config, logger, worker: true, processEveryMs, inlineBox });
    const agendaPool = createdPools[poolsBefore];
    if (!agendaPool) throw new Error('did not see the pg pool agenda.ts creates');
    let engineStopped: Promise<void> | undefined;
    const stopEngine = () => (engineStopped ??= engine.stop(10_000));
    cleanups.push('stop engine', stopEngine);
    const overridden = Object.keys(engineEnv);
    console.log(
      `engine: worker role; SNAPSHOT_CONCURRENCY ${config.snapshotConcurrency}, AUTO_SNAPSHOT_CONCURRENCY ${config.autoSnapshotConcurrency}, ` +
        `Agenda maxConcurrency ${config.snapshotConcurrency + config.autoSnapshotConcurrency + 2}, processEvery ${processEveryMs ?? 5000} ms${processEveryMs ? '' : ' (agenda.ts default, as main.ts)'}, ` +
        `lockLimit 0 (none), lock lifetime ${config.lockLifetimeMs / 1000}s, Agenda pg pool max ${agendaPool.options.max} (agenda.ts; 1 held by LISTEN), ORM pool max 10, ` +
        `reconcile every ${config.reconcileIntervalMs / 1000}s, retention every ${config.retentionIntervalMs / 1000}s, list page ${config.listPageSize}; ` +
        `${overridden.length ? `from the environment: ${overridden.join(', ')}` : 'all production defaults (src/config.ts)'}; volume snapshots off`,
    );
    if (experiment.autoConcurrency !== undefined || experiment.agendaPoolMax !== undefined || experiment.takeLockLimit !== undefined) {
      // Reaching into the engine: SnapshotScheduler keeps its Agenda private, Agenda its JobProcessor.
      const agenda = (engine.scheduler as unknown as { agenda: Agenda }).agenda;
      const processor = (agenda as unknown as { jobProcessor?: { maxConcurrency: number } }).jobProcessor;
      const auto = agenda.definitions['auto-snapshot'];
      const take = agenda.definitions['take-snapshot'];
      if (!processor || !auto || !take) throw new Error('cannot find the engine\'s Agenda job processor and definitions');
      if (experiment.autoConcurrency !== undefined) {
        processor.maxConcurrency += experiment.autoConcurrency - (auto.concurrency ?? 0);
        auto.concurrency = experiment.autoConcurrency;
      }
      if (experiment.takeLockLimit !== undefined) take.lockLimit = experiment.takeLockLimit;
      console.log(
        `EXPERIMENT (not production): auto-snapshot concurrency ${auto.concurrency}, Agenda maxConcurrency ${processor.maxConcurrency}, ` +
          `Agenda pg pool max ${agendaPool.options.max}, take-snapshot lockLimit ${take.lockLimit}`,
      );
    }
    // The first reconcile (skipImmediate: false) re-syncs every cluster: let it pass before registering.
    const settleDeadline = Date.now() + 30_000;
    while (states.count('reconcile-storage', 'complete') + states.count('reconcile-storage', 'fail') === 0 && Date.now() < settleDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // 3. Clusters: inserted in bulk, then registered with the real scheduler one by one.
    const zones = [...new Set([...PREFERRED_ZONES, ...Intl.supportedValuesOf('timeZone')])].filter(
      (zone) => isValidTimeZone(zone) && !cronProblem(SCHEDULE, zone),
    );
    const clusters = Array.from({ length: clusterCount }, (_, i) => ({
      id: randomUUID(),
      name: `c${String(i).padStart(4, '0')}`,
      projectId: `bench-p${String(i % PROJECTS).padStart(2, '0')}`,
      timeZone: zones[i % zones.length] ?? 'UTC',
      registeredAt: 0,
    }));
    let stepStart = performance.now();
    await withClient(database.url, async (client) => {
      const now = new Date().toISOString();
      await client.query(
        `insert into virtual_cluster (id, name, project_id, kubeconfig_inline, policy_enabled, policy_schedule, policy_time_zone,
           policy_volume_snapshots_enabled, created_at, updated_at)
         select id, name, project_id, $4, true, $5, zone, false, $6, $6
         from unnest($1::uuid[], $2::varchar[], $3::varchar[], $7::varchar[]) as c(id, name, project_id, zone)`,
        [clusters.map((c) => c.id), clusters.map((c) => c.name), clusters.map((c) => c.projectId), kube.kubeconfig, SCHEDULE, now, clusters.map((c) => c.timeZone)],
      );
    });
    const inserted = performance.now() - stepStart;
    stepStart = performance.now();
    const entities = await orm.em.fork().find(VirtualClusterSchema, {});
    const byId = new Map<string, (typeof clusters)[number]>(clusters.map((c) => [c.id, c]));
    for (const entity of entities) {
      const cluster = byId.get(entity.id);
      if (cluster) cluster.registeredAt = Date.now();
      await engine.scheduler.syncCluster(entity);
    }
    const registered = Date.now();
    const jobRows = await withClient(database.url, (client) =>
      client.query<{ id: string; cluster: string }>(`select id::text, data->>'virtualClusterId' as cluster from vsnap_jobs where name = 'auto-snapshot'`),
    );
    const jobCluster = new Map(jobRows.rows.map((row) => [row.id, row.cluster]));
    console.log(
      `registered ${entities.length} clusters (${zones.length} time zones used round-robin, ${PROJECTS} projects): bulk insert ${secs(inserted, 2)}, ` +
        `syncCluster one by one ${secs(performance.now() - stepStart, 2)} (${((performance.now() - stepStart) / entities.length).toFixed(1)} ms each); ${jobCluster.size} auto-snapshot jobs`,
    );
    if (jobCluster.size !== clusterCount) throw new Error(`expected ${clusterCount} auto-snapshot jobs, found ${jobCluster.size}`);

    // 4. Observe: the first boundary after registration, then `minutes` of them.
    const boundaries = Array.from({ length: minutes }, (_, i) => nextBoundary(registered) + i * MINUTE);
    const firstBoundary = boundaries[0] ?? 0;
    const lastBoundary = boundaries.at(-1) ?? 0;
    const observeUntil = lastBoundary + graceMs;
    console.log(`measuring boundaries ${boundaries.map(clock).join(', ')} UTC (first in ${secs(firstBoundary - Date.now())}), observing until ${clock(observeUntil)}`);
    console.log('');
    const probe = new LoadProbe();
    await probe.start();
    const poolSampler = new PoolSampler(agendaPool);
    poolSampler.start();
    const activity = new ActivitySampler();
    await activity.start(database.url);
    cleanups.push('stop samplers', async () => {
      poolSampler.stop();
      await activity.stop();
    });
    const dueNow = (boundary: number) => {
      let fired = 0;
      const lateness: number[] = [];
      for (const [jobId, starts] of states.autoStarts) {
        if (!jobCluster.has(jobId)) continue;
        for (const at of starts) {
          if (at >= boundary && at < boundary + MINUTE) {
            fired += 1;
            lateness.push(at - boundary);
          }
        }
      }
      return { fired, lateness: lateness.sort((a, b) => a - b) };
    };
    for (const boundary of boundaries) {
      const reportAt = Math.min(boundary + MINUTE - 3000, observeUntil);
      await sleepUntil(reportAt);
      const { fired, lateness } = dueNow(boundary);
      const statuses = await withClient(database.url, (client) =>
        client.query<{ status: string; n: number }>(`select status, count(*)::int as n from snapshot group by status order by status`),
      );
      const mix = statuses.rows.map((row) => `${row.status} ${row.n}`).join(', ') || 'none';
      console.log(
        `minute ${clock(boundary)}: ${fired}/${clusterCount} runs started in [${clock(boundary).slice(0, 8)}, +60s) by +${secs(reportAt - boundary, 0)}; ` +
          `start − boundary p50 ${secs(percentile(lateness, 50), 2)} p99 ${secs(percentile(lateness, 99), 2)} max ${secs(lateness.at(-1) ?? Number.NaN, 2)}; ` +
          `skips logged so far ${logTap.skips.length}; snapshots ${mix}`,
      );
      console.log(`  load: ${await probe.sample()}`);
      console.log(`  ${poolSampler.describe(boundary, reportAt)}`);
      console.log(`  ${activity.describe(boundary, reportAt)}`);
    }
    await sleepUntil(observeUntil);

    // 5. Stop the worker (running snapshots may finish for 10 s), then read the outcome.
    stepStart = performance.now();
    await stopEngine();
    const stoppedIn = performance.now() - stepStart;
    const rows = await withClient(database.url, (client) =>
      client.query<SnapshotRow>(
        `select virtual_cluster_id::text as cluster, status, trigger,
           (extract(epoch from scheduled_at) * 1000)::float8 as scheduled,
           (extract(epoch from started_at) * 1000)::float8 as started,
           (extract(epoch from finished_at) * 1000)::float8 as finished,
           message
         from snapshot`,
      ),
    );
    const snapshots = rows.rows;
    const ticks = analyseTicks({ clusters, jobCluster, autoStarts: states.autoStarts, snapshots, skips: logTap.skips, boundaries });

    // 6. Report.
    const expected = clusterCount * boundaries.length;
    const inWindow = ticks.runs;
    const withSnapshot = inWindow.filter((run) => run.snapshot);
    const window = withSnapshot.map((run) => run.snapshot as SnapshotRow);
    const skipped = inWindow.filter((run) => run.skipped).length;
    const noOutcome = inWindow.length - withSnapshot.length - skipped;
    console.log('');
    console.log(`results for the ${boundaries.length} measured boundaries (${clusterCount} clusters; worker stopped in ${secs(stoppedIn)}):`);
    console.log(`  ticks expected ${expected}, runs observed ${inWindow.length}, missed ${expected - inWindow.length} ` +
      `(coalesced into a late run of the previous tick ${ticks.coalesced}, not fired by ${clock(observeUntil)} ${ticks.unfired})`);
    console.log(`  runs: scheduled a snapshot ${withSnapshot.length}, skipped because one was already SCHEDULED ${skipped}, no outcome seen (error / still running) ${noOutcome}`);
    console.log(distribution('fire lateness (lastRunAt − boundary)', inWindow.map((run) => run.at - run.due)));
    console.log(distribution('tick lateness (scheduledAt − boundary)', withSnapshot.map((run) => (run.snapshot as SnapshotRow).scheduled - run.due)));
    console.log(distribution('  of which the tick itself (− lastRunAt)', withSnapshot.map((run) => (run.snapshot as SnapshotRow).scheduled - run.at)));
    const startedRows = window.filter((s) => s.started !== null);
    const finishedRows = window.filter((s) => s.finished !== null);
    console.log(distribution('start lateness (startedAt − scheduledAt)', startedRows.map((s) => (s.started as number) - s.scheduled)));
    console.log(distribution('completion (finishedAt − scheduledAt)', finishedRows.map((s) => (s.finished as number) - s.scheduled)));
    console.log(distribution('  run time (finishedAt − startedAt)', finishedRows.filter((s) => s.started !== null).map((s) => (s.finished as number) - (s.started as number))));
    if (startedRows.length < window.length) {
      const stopAt = Date.now() - stoppedIn;
      const waiting = window.filter((s) => s.started === null).map((s) => stopAt - s.scheduled);
      console.log(distribution('  never started: age at stop (≥ lateness)', waiting));
    }
    for (const job of ['auto-snapshot', 'take-snapshot']) {
      console.log(distribution(`${job} job: start → success`, states.durations.get(job) ?? []));
      console.log(distribution(`${job} job: start → slot free`, states.slots.get(job) ?? []));
    }
    const perBoundary = boundaries.map((boundary) => {
      const runs = inWindow.filter((run) => run.due === boundary);
      const late = runs.map((run) => (run.snapshot ? run.snapshot.scheduled : run.at) - boundary).sort((a, b) => a - b);
      const starts = runs.map((run) => run.at).sort((a, b) => a - b);
      const spread = (starts.at(-1) ?? 0) - (starts[0] ?? 0);
      const rate = spread > 0 ? `${((runs.length - 1) / (spread / 1000)).toFixed(0)} runs/s` : '—';
      return `${clock(boundary).slice(0, 8)} runs ${runs.length} (${rate} from first to last start) snapshots ${runs.filter((r) => r.snapshot).length} skipped ${runs.filter((r) => r.skipped).length} p99 ${secs(percentile(late, 99), 1)} max ${secs(late.at(-1) ?? Number.NaN, 1)}`;
    });
    console.log('  per boundary (tick lateness; a skipped run counts from its start), and the database during the burst of runs:');
    boundaries.forEach((boundary, index) => {
      const lastStart = Math.max(boundary, ...inWindow.filter((run) => run.due === boundary).map((run) => run.at));
      console.log(`    ${perBoundary[index]}`);
      console.log(`      burst ${clock(boundary).slice(0, 8)}..${clock(lastStart).slice(0, 8)}: ${poolSampler.describe(boundary, lastStart)}`);
      console.log(`      ${activity.describe(boundary, lastStart)}`);
    });
    const statusOf = (list: SnapshotRow[]) => {
      const counts = new Map<string, number>();
      for (const s of list) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
      return [...counts].sort().map(([status, n]) => `${status} ${n}`).join(', ') || 'none';
    };
    console.log(`  final status of the window's snapshots: ${statusOf(window)}`);
    console.log(`  every snapshot in the database (${snapshots.length}, incl. ticks outside the window): ${statusOf(snapshots)}`);
    const failedMessages = new Map<string, number>();
    for (const s of snapshots) if (s.status === 'FAILED') failedMessages.set(s.message ?? '', (failedMessages.get(s.message ?? '') ?? 0) + 1);
    for (const [message, n] of [...failedMessages].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`    FAILED ×${n}: ${message.slice(0, 200)}`);
    console.log(`  attribution: ${ticks.early} runs before their boundary, ${ticks.unmatchedSnapshots} SCHEDULE snapshots and ${ticks.unmatchedSkips} skip logs without a run (should all be 0)`);
    const jobStats = ['auto-snapshot', 'take-snapshot'].map((job) =>
      `${job} start ${states.count(job, 'start')} success ${states.count(job, 'success')} fail ${states.count(job, 'fail')}`).join('; ');
    console.log(`  Agenda, whole run: ${jobStats}`);
    for (const [reason, n] of states.failures) console.log(`    job failure ×${n}: ${reason}`);
    const periodic = states.periodic.filter((p) => p.type === 'start').map((p) => `${p.job} ${clock(p.at)}`);
    console.log(`  periodic jobs started: ${periodic.join(', ') || 'none'}`);
    console.log(`  engine log: ${logTap.lines} lines, ${logTap.skips.length} "auto-snapshot skipped"`);
    for (const [shape, { count, example }] of [...logTap.problems].sort((a, b) => b[1].count - a[1].count).slice(0, 8)) {
      console.log(`    ${shape} ×${count}`);
      console.log(`      e.g. ${example.slice(0, 300)}`);
    }

    await cleanups.run();
    console.log(`  kubernetes test server answered ${kubeRequests} requests`);
    console.log(`done in ${secs(performance.now() - started)}; database dropped, ${path.relative(process.cwd(), storageDir)} removed`);
    return 0;
  });
}

runBench(import.meta.url, main, () => {
  if ((workerData as { role?: string } | null)?.role === 'kube') void serveKube();
});
