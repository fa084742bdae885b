/**
 * Schedule benchmark: how late the due-finder fires auto-snapshot ticks, and how late the
 * snapshots they schedule start, with 1,000 and 10,000 clusters on `* * * * *` and TWO worker
 * processes racing for the same ticks.
 *
 *   node --import tsx bench/schedule.ts
 *
 * For each size, a fresh database gets N clusters (bulk insert; varied IANA time zones, ten
 * projects, a local-directory storage target, the kubeconfig of ONE Kubernetes API test server
 * (seedStandard, no volume snapshots) running in a worker thread of this process) whose
 * policies are due at the next minute boundary. Two child processes each run the real engine
 * (startEngine, worker role, production settings of src/config.ts): their due-finders fire the
 * ticks, their Agenda workers take the snapshots. After BENCH_MINUTES boundaries (+ grace) the
 * workers stop and the database is read back.
 *
 * Figures, per size:
 *   tick lateness     snapshot.scheduledAt − boundary (every SCHEDULE snapshot of the window)
 *   pass end          when each worker's pass for a boundary committed its last batch − boundary: an upper bound
 *                     for every tick that pass fired or skipped (a skipped tick has no row)
 *   start lateness    snapshot.startedAt − scheduledAt (started ones), and the age of those
 *                     never started when the workers stopped (capacity: SNAPSHOT_CONCURRENCY
 *                     per worker, against N snapshots a minute)
 *   exactly once      per cluster and boundary: one SCHEDULE snapshot, or one skipped tick
 *                     (policy_skipped_ticks); duplicates = two snapshots of one cluster in one minute
 *   statement time    the due-finder's time inside its transactions per boundary, both workers
 *                     together (from its "auto-snapshot ticks fired" log line)
 *
 * Environment:
 *   DATABASE_URL           a Postgres server to use (databases vsnap_bench_sched<N>_<pid> are made
 *                          and dropped); unset: an embedded Postgres in .vsnap/bench-sched-postgres
 *   BENCH_SIZES            cluster counts, comma-separated (default 1000,10000)
 *   BENCH_MINUTES          minute boundaries measured per size (default 2)
 *   BENCH_GRACE_SECONDS    after the last boundary, before the workers stop (default 50)
 *   BENCH_WORKERS          worker processes (default 2)
 *   BENCH_LOG_DIR          each worker's whole log (info and up) is written to worker-<N>-<i>.log there
 *   SNAPSHOT_CONCURRENCY, DUE_FINDER_INTERVAL_SECONDS, WORKER_LOCK_LIFETIME_SECONDS, ... (engine
 *                          variables of src/config.ts; production defaults when unset)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { createBenchDatabase, envNumber, percentile, runBench, secs, withClient, withCleanups } from './support.ts';

const MINUTE = 60_000;
const SCHEDULE = '* * * * *';
const PROJECTS = 10;
const PREFERRED_ZONES = [
  'UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Eucla',
  'Pacific/Chatham', 'America/St_Johns', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Asia/Tehran', 'Australia/Lord_Howe',
];
/** Engine variables of src/config.ts passed to the workers (anything else: production default). */
const ENGINE_ENV = [
  'SNAPSHOT_CONCURRENCY', 'VOLUME_SNAPSHOT_CONCURRENCY', 'SNAPSHOT_TIMEOUT_SECONDS', 'WORKER_LOCK_LIFETIME_SECONDS',
  'RECONCILE_INTERVAL_SECONDS', 'RETENTION_INTERVAL_SECONDS', 'KUBE_LIST_PAGE_SIZE', 'DUE_FINDER_INTERVAL_SECONDS',
];
const WORKER_ROLE = 'vsnap-bench-schedule-worker';

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
// A worker process: the real engine, its log lines that matter sent to the bench
// ---------------------------------------------------------------------------

interface PassLine {
  type: 'pass';
  worker: number;
  /** When the pass ended (the log line's time), ms. */
  time: number;
  passMs: number;
  transactionMs: number;
  batches: number;
  scheduled: number;
  skipped: number;
  caughtUp: number;
  dropped: number;
  commits: { scheduledAt: number; committedAt: number }[];
}
interface ProblemLine {
  type: 'problem';
  worker: number;
  level: number;
  msg: string;
}
type FromWorker = { type: 'ready'; worker: number } | { type: 'stopped'; worker: number } | PassLine | ProblemLine;

async function runWorker(): Promise<void> {
  const index = Number(process.env.BENCH_WORKER_INDEX);
  const send = (message: FromWorker) => process.send?.(message);
  const { openDatabase } = await import('../src/db/orm.ts');
  const { startEngine } = await import('../src/jobs/engine.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { SecretBox } = await import('../src/secrets/secret-box.ts');
  const url = process.env.BENCH_DATABASE_URL!;
  const engineEnv = Object.fromEntries(ENGINE_ENV.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])));
  const base = loadConfig(engineEnv).engine;
  const config = { ...base, storage: { ...base.storage, localRoot: process.env.BENCH_STORAGE_DIR! }, mongodbUrl: undefined };
  // BENCH_LOG_DIR: every line of this worker's log kept in a file, to follow one snapshot or job afterwards.
  const logFile = process.env.BENCH_LOG_DIR ? createWriteStream(path.join(process.env.BENCH_LOG_DIR, `worker-${process.env.BENCH_SIZE}-${index}.log`)) : undefined;
  const logger = pino({ name: 'vsnap', level: 'info' }, {
    write(line: string) {
      logFile?.write(line);
      if (line.includes('auto-snapshot ticks fired')) {
        const entry = JSON.parse(line) as Omit<PassLine, 'type' | 'worker'>;
        send({ type: 'pass', worker: index, time: entry.time, passMs: entry.passMs, transactionMs: entry.transactionMs, batches: entry.batches, scheduled: entry.scheduled, skipped: entry.skipped, caughtUp: entry.caughtUp, dropped: entry.dropped, commits: entry.commits });
      } else if (/^\{"level":[4-6]0/.test(line)) {
        const entry = JSON.parse(line) as { level: number; msg: string; err?: { message?: string } };
        send({ type: 'problem', worker: index, level: entry.level, msg: `${entry.msg}${entry.err?.message ? `: ${entry.err.message}` : ''}`.slice(0, 200) });
      }
    },
  });
  const orm = await openDatabase(url);
  // Rows inserted with plaintext inline kubeconfigs, as from before sealing: a box lets the engine read them.
  const inlineBox = new SecretBox([{ id: 'bench', key: randomBytes(32) }]);
  const engine = await startEngine({ orm, postgresUrl: url, config, logger, worker: true, inlineBox });
  send({ type: 'ready', worker: index });
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'stop') return;
    void engine
      .stop(5_000)
      .then(() => orm.close())
      .finally(() => {
        send({ type: 'stopped', worker: index });
        if (logFile) logFile.end(() => process.exit(0));
        else process.exit(0);
      });
  });
}

class WorkerProcess {
  readonly child: ChildProcess;
  private readonly listeners = new Set<(message: FromWorker) => void>();

  constructor(index: number, env: Record<string, string>, onMessage: (message: FromWorker) => void) {
    this.child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env, BENCH_ROLE: WORKER_ROLE, BENCH_WORKER_INDEX: String(index) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: FromWorker) => {
      onMessage(message);
      for (const listener of this.listeners) listener(message);
    });
  }

  next(type: FromWorker['type'], timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker: no ${type} within ${timeoutMs} ms`)), timeoutMs);
      const listener = (message: FromWorker) => {
        if (message.type !== type) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      this.listeners.add(listener);
    });
  }

  private stopping: Promise<void> | undefined;

  /** Asks the worker to stop (its engine drains for 5 s); killed if it has not said so in 20 s. Once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.child.exitCode !== null) return;
      const stopped = this.next('stopped', 20_000).catch(() => void this.child.kill('SIGKILL'));
      this.child.send({ type: 'stop' });
      await stopped;
    })();
    return this.stopping;
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
  const cells = [50, 99].map((p) => `p${p} ${secs(percentile(sorted, p), 2).padStart(8)}`);
  return `  ${label.padEnd(46)} n ${String(sorted.length).padStart(6)}   min ${secs(sorted[0] ?? Number.NaN, 2).padStart(7)}   ${cells.join('   ')}   max ${secs(sorted.at(-1) ?? Number.NaN, 2).padStart(8)}`;
}

const nextBoundary = (t: number) => Math.floor(t / MINUTE) * MINUTE + MINUTE;
const clock = (t: number) => new Date(t).toISOString().slice(11, 23);
const sleepUntil = (t: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - Date.now())));
const loadavg = () => os.loadavg().map((value) => value.toFixed(2)).join(' ');

interface SnapshotRow {
  cluster: string;
  status: string;
  trigger: string;
  scheduled: number;
  started: number | null;
  finished: number | null;
}

/** One size: fresh database, N clusters due at the next boundary, the workers, the figures. */
async function measure(size: number, settings: { minutes: number; graceMs: number; workers: number; kubeconfig: string }): Promise<void> {
  const { openDatabase } = await import('../src/db/orm.ts');
  const { cronProblem, isValidTimeZone } = await import('../src/clusters/input.ts');
  const { POLICY_CHANGED_CHANNEL } = await import('../src/clusters/service.ts');
  await withCleanups(async (cleanups) => {
    console.log('');
    console.log(`=== ${size} clusters on '${SCHEDULE}', ${settings.workers} worker processes, ${settings.minutes} boundaries; load average ${loadavg()} ===`);
    const database = await createBenchDatabase(cleanups, { prefix: `vsnap_bench_sched${size}_`, dataDirName: 'bench-sched-postgres' });
    // Migrates the fresh database.
    await (await openDatabase(database.url)).close();
    const storageDir = path.resolve('.vsnap', `bench-sched-${process.pid}-${size}`);
    await fs.mkdir(storageDir, { recursive: true });
    cleanups.push('remove storage directory', () => fs.rm(storageDir, { recursive: true, force: true }));

    // Clusters first, due far in the future: the workers start without work.
    const zones = [...new Set([...PREFERRED_ZONES, ...Intl.supportedValuesOf('timeZone')])].filter((zone) => isValidTimeZone(zone) && !cronProblem(SCHEDULE, zone));
    const clusters = Array.from({ length: size }, (_, i) => ({
      id: randomUUID(),
      name: `c${String(i).padStart(5, '0')}`,
      projectId: `bench-p${String(i % PROJECTS).padStart(2, '0')}`,
      timeZone: zones[i % zones.length] ?? 'UTC',
    }));
    const far = new Date(Date.now() + 3_600_000).toISOString();
    await withClient(database.url, async (client) => {
      await client.query(
        `insert into virtual_cluster (id, name, project_id, kubeconfig_inline, policy_enabled, policy_schedule, policy_time_zone,
           policy_volume_snapshots_enabled, policy_next_run_at, created_at, updated_at)
         select id, name, project_id, $4, true, $5, zone, false, $6, now(), now()
         from unnest($1::uuid[], $2::varchar[], $3::varchar[], $7::varchar[]) as c(id, name, project_id, zone)`,
        [clusters.map((c) => c.id), clusters.map((c) => c.name), clusters.map((c) => c.projectId), settings.kubeconfig, SCHEDULE, far, clusters.map((c) => c.timeZone)],
      );
    });

    // The workers.
    const passes: PassLine[] = [];
    const problems = new Map<string, number>();
    const env = {
      BENCH_DATABASE_URL: database.url,
      BENCH_STORAGE_DIR: storageDir,
      BENCH_SIZE: String(size),
      ...Object.fromEntries(ENGINE_ENV.flatMap((key) => (process.env[key] ? [[key, process.env[key]!]] : []))),
    };
    const workers = Array.from({ length: settings.workers }, (_, index) =>
      new WorkerProcess(index, env, (message) => {
        if (message.type === 'pass') passes.push(message);
        if (message.type === 'problem') problems.set(`${message.level >= 50 ? 'ERROR' : 'WARN'} ${message.msg}`, (problems.get(`${message.level >= 50 ? 'ERROR' : 'WARN'} ${message.msg}`) ?? 0) + 1);
      }),
    );
    cleanups.push('stop workers', () => Promise.all(workers.map((worker) => worker.stop())).then(() => undefined));
    await Promise.all(workers.map((worker) => worker.next('ready', 60_000)));

    // Due at the next boundary at least 5 s away; the workers are told (NOTIFY) as a policy change would.
    const first = nextBoundary(Date.now() + 5_000);
    await withClient(database.url, async (client) => {
      await client.query('update virtual_cluster set policy_next_run_at = $1', [new Date(first).toISOString()]);
      await client.query(`select pg_notify('${POLICY_CHANGED_CHANNEL}', '')`);
    });
    const boundaries = Array.from({ length: settings.minutes }, (_, i) => first + i * MINUTE);
    const last = boundaries.at(-1)!;
    console.log(`workers ready; boundaries ${boundaries.map(clock).join(', ')} UTC; stopping at +${settings.graceMs / 1000}s after the last`);
    const loadSamples: string[] = [];
    for (const boundary of boundaries) {
      await sleepUntil(Math.min(boundary + MINUTE - 5_000, last + settings.graceMs));
      const { rows } = await withClient(database.url, (client) => client.query<{ status: string; n: number }>(`select status, count(*)::int as n from snapshot group by 1 order by 1`));
      const mix = rows.map((row) => `${row.status} ${row.n}`).join(', ');
      loadSamples.push(loadavg());
      console.log(`  minute ${clock(boundary).slice(0, 8)}: load average ${loadavg()}; snapshots ${mix || 'none'}`);
    }
    await sleepUntil(last + settings.graceMs);
    const stopAt = Date.now();
    await Promise.all(workers.map((worker) => worker.stop()));

    // Read back.
    const snapshots = (
      await withClient(database.url, (client) =>
        client.query<SnapshotRow>(
          `select virtual_cluster_id::text as cluster, status, trigger,
             (extract(epoch from scheduled_at) * 1000)::float8 as scheduled,
             (extract(epoch from started_at) * 1000)::float8 as started,
             (extract(epoch from finished_at) * 1000)::float8 as finished
           from snapshot`,
        ),
      )
    ).rows;
    const skippedTicks = (
      await withClient(database.url, (client) => client.query<{ id: string; skipped: number }>('select id::text, policy_skipped_ticks as skipped from virtual_cluster'))
    ).rows;
    const events = (
      await withClient(database.url, (client) => client.query<{ n: number }>(`select count(*)::int as n from snapshot_event where kind = 'CREATED'`))
    ).rows[0]!.n;

    // Exactly once: per cluster, window snapshots + skipped ticks = boundaries; no minute with two.
    const windowOf = (time: number) => boundaries.find((b) => time >= b && time < b + MINUTE);
    const inWindow = snapshots.filter((s) => s.trigger === 'SCHEDULE' && windowOf(s.scheduled) !== undefined);
    const perClusterMinute = new Map<string, number>();
    for (const s of inWindow) {
      const key = `${s.cluster} ${windowOf(s.scheduled)}`;
      perClusterMinute.set(key, (perClusterMinute.get(key) ?? 0) + 1);
    }
    const duplicates = [...perClusterMinute.values()].filter((n) => n > 1).reduce((sum, n) => sum + n - 1, 0);
    const snapshotsOf = new Map<string, number>();
    for (const s of inWindow) snapshotsOf.set(s.cluster, (snapshotsOf.get(s.cluster) ?? 0) + 1);
    let missing = 0;
    let extra = 0;
    for (const { id, skipped } of skippedTicks) {
      const served = (snapshotsOf.get(id) ?? 0) + skipped;
      if (served < boundaries.length) missing += boundaries.length - served;
      if (served > boundaries.length) extra += served - boundaries.length;
    }
    const totalSkipped = skippedTicks.reduce((sum, row) => sum + row.skipped, 0);
    const outside = snapshots.length - inWindow.length;

    console.log(`results (${size} clusters, ${settings.workers} workers, ${boundaries.length} boundaries; workers stopped ${clock(stopAt)}):`);
    console.log(
      `  ticks expected ${size * boundaries.length}: fired with a snapshot ${inWindow.length}, skipped (previous still SCHEDULED) ${totalSkipped}, ` +
        `missing ${missing}, fired twice ${extra}; duplicates (2 snapshots of a cluster in one minute) ${duplicates}; snapshots outside the window ${outside}; CREATED events ${events} for ${snapshots.length} snapshots`,
    );
    // scheduledAt is the batch's clock when its transaction began; the tick is visible at its commit, by the pass's end at the latest.
    console.log(distribution('tick lateness (scheduledAt − boundary)', inWindow.map((s) => s.scheduled - windowOf(s.scheduled)!)));
    // When each snapshot's batch committed (batches are told apart by their clock, the snapshots' scheduledAt).
    const commitOf = new Map(passes.flatMap((pass) => pass.commits.map((c) => [c.scheduledAt, c.committedAt] as const)));
    const committed = inWindow.filter((s) => commitOf.has(s.scheduled));
    console.log(distribution('tick commit lateness (batch commit − boundary)', committed.map((s) => commitOf.get(s.scheduled)! - windowOf(s.scheduled)!)));
    for (const boundary of boundaries) {
      const here = committed.filter((s) => windowOf(s.scheduled) === boundary).map((s) => commitOf.get(s.scheduled)! - boundary);
      console.log(distribution(`  boundary ${clock(boundary).slice(0, 8)}`, here));
    }
    if (committed.length < inWindow.length) console.log(`  (${inWindow.length - committed.length} snapshots whose batch's commit was not reported)`);
    const started = inWindow.filter((s) => s.started !== null);
    console.log(distribution('start lateness (startedAt − scheduledAt)', started.map((s) => s.started! - s.scheduled)));
    console.log(distribution('  never started: age when the workers stopped', inWindow.filter((s) => s.started === null).map((s) => stopAt - s.scheduled)));
    console.log(distribution('  run time (finishedAt − startedAt)', inWindow.filter((s) => s.finished !== null && s.started !== null).map((s) => s.finished! - s.started!)));
    console.log('  due-finder per boundary (both workers):');
    for (const boundary of boundaries) {
      const here = passes.filter((pass) => pass.time - pass.passMs >= boundary - 1_000 && pass.time - pass.passMs < boundary + MINUTE);
      const byWorker = Array.from({ length: settings.workers }, (_, w) => here.filter((pass) => pass.worker === w));
      const parts = byWorker.map((list, w) => {
        const scheduled = list.reduce((sum, p) => sum + p.scheduled, 0);
        const skipped = list.reduce((sum, p) => sum + p.skipped, 0);
        const end = Math.max(...list.map((p) => p.time));
        return `worker ${w}: ${list.length} pass(es), ${list.reduce((sum, p) => sum + p.batches, 0)} batches, scheduled ${scheduled} skipped ${skipped}, last pass committed ${list.length ? `+${secs(end - boundary, 2)}` : '—'}`;
      });
      const statementMs = here.reduce((sum, p) => sum + p.transactionMs, 0);
      console.log(`    ${clock(boundary).slice(0, 8)}: statement time ${statementMs} ms in transactions (${(statementMs / Math.max(1, size)).toFixed(3)} ms per cluster); ${parts.join('; ')}`);
    }
    console.log(`  load average during the window: ${loadSamples.join(' | ')}`);
    for (const [problem, n] of [...problems].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  worker log ×${n}: ${problem}`);
    const statuses = new Map<string, number>();
    for (const s of snapshots) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
    console.log(`  snapshots by status: ${[...statuses].sort().map(([status, n]) => `${status} ${n}`).join(', ')}`);
    // A backup never fails silently: every FAILED snapshot's reason, and whether it ended before the workers were told to stop.
    const failed = (
      await withClient(database.url, (client) =>
        client.query<{ message: string | null; n: number; at_stop: number }>(
          `select message, count(*)::int as n, count(*) filter (where finished_at >= to_timestamp($1 / 1000.0))::int as at_stop
           from snapshot where status = 'FAILED' group by 1 order by 2 desc`,
          [stopAt],
        ),
      )
    ).rows;
    for (const row of failed) console.log(`  FAILED ×${row.n} (${row.at_stop} after the stop request): ${row.message ?? '(no message)'}`);
    await cleanups.run();
  });
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

export async function main(): Promise<number> {
  const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map((value) => Math.round(Number(value))).filter((n) => n > 0);
  const minutes = Math.round(envNumber('BENCH_MINUTES', 2));
  const graceMs = envNumber('BENCH_GRACE_SECONDS', 50) * 1000;
  const workers = Math.round(envNumber('BENCH_WORKERS', 2));
  return withCleanups(async (cleanups) => {
    const started = performance.now();
    console.log(`vsnap schedule benchmark — node ${process.version}, ${os.cpus().length} cores, sizes ${sizes.join(', ')}, load average ${loadavg()}`);
    const kubeWorker = new KubeWorker();
    cleanups.push('stop kubernetes test server', async () => void (await kubeWorker.close()));
    const kube = await kubeWorker.ready();
    console.log(`kubernetes: test API server ${kube.url} in a worker thread, seedStandard (${kube.objects} objects), shared by every cluster`);
    const probe = new LoadProbe();
    await probe.start();
    for (const size of sizes) {
      await measure(size, { minutes, graceMs, workers, kubeconfig: kube.kubeconfig });
      console.log(`  bench process: ${await probe.sample()}`);
    }
    await cleanups.run();
    console.log(`done in ${secs(performance.now() - started)}; load average ${loadavg()}`);
    return 0;
  });
}

if (process.env.BENCH_ROLE === WORKER_ROLE) {
  void runWorker();
} else {
  runBench(import.meta.url, main, () => {
    if ((workerData as { role?: string } | null)?.role === 'kube') void serveKube();
  });
}
