/**
 * Query benchmark: requests/s of a nested snapshot page against `{ __typename }`
 * over real HTTP, and the SQL statements one such page costs.
 *
 *   npm run bench:query
 *
 * Environment:
 *   DATABASE_URL           a Postgres server to use: a database vsnap_bench_<pid> is
 *                          created there and dropped at the end. Unset: an embedded
 *                          Postgres is started with its data in .vsnap/bench-postgres.
 *   BENCH_SECONDS          measured seconds per query (default 5)
 *   BENCH_WARMUP_SECONDS   unmeasured seconds per query before that (default 2)
 *   BENCH_CONCURRENCY      requests in flight at once, each on its own keep-alive
 *                          connection (default 8)
 *   LOG_LEVEL              the server's log level (default silent)
 *   BENCH_CPU_PROFILE      a directory: CPU profiles of the server's thread during the measured
 *                          runs of A and B (query-a.cpuprofile, query-b.cpuprofile), top frames printed
 *
 * The server runs in this process (main thread); the load comes from a worker
 * thread of this same file so that the client does not share the server's
 * event loop.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { parentPort, Worker } from 'node:worker_threads';
import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { startCpuProfile } from './cpu-profile.ts';
import { connectClient, createBenchDatabase, envNumber, percentile, runBench, secs, withClient, withCleanups } from './support.ts';

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

const CLUSTERS = 100;
const SNAPSHOTS_PER_CLUSTER = 100;
const PROJECTS = 10;
const RATIO_GOAL = 0.5;
const STATEMENTS_GOAL = 4;
/** The page sizes whose statement count is measured; 100 is the schema's maxSize. */
const PAGE_SIZES = [1, 10, 50, 100];
/** Sequential requests per page size when counting statements. */
const COUNT_SAMPLES = 5;
const JWT_SECRET = randomBytes(32).toString('base64url');

export const QUERY_A = `query($id: ID!) { virtualCluster(id: $id) { snapshots(first: 50) { edges { node { id name status volumeSnapshots { phase } } } } } }`;
const QUERY_B = `{ __typename }`;
const QUERY_PAGE = `query($id: ID!, $first: Int!) { virtualCluster(id: $id) { snapshots(first: $first) { edges { node { id name status volumeSnapshots { phase } } } } } }`;

// ---------------------------------------------------------------------------
// Load generator (runs in the worker thread)
// ---------------------------------------------------------------------------

export interface LoadSpec {
  url: string;
  token: string;
  /** Request bodies, one picked at random per request. */
  bodies: string[];
  concurrency: number;
  seconds: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  failures: number;
  firstFailure?: string;
}

function post(agent: http.Agent, url: URL, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          accept: 'application/graphql-response+json, application/json',
          authorization: `Bearer ${token}`,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function createLoadGenerator() {
  let agent: http.Agent | undefined;
  return async function run(spec: LoadSpec): Promise<LoadResult> {
    agent ??= new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
    const url = new URL(spec.url);
    const latencies: number[] = [];
    let failures = 0;
    let firstFailure: string | undefined;
    const started = performance.now();
    const deadline = started + spec.seconds * 1000;
    const loop = async () => {
      while (performance.now() < deadline) {
        const body = spec.bodies[Math.floor(Math.random() * spec.bodies.length)] ?? '';
        const sent = performance.now();
        try {
          const { status, text } = await post(agent!, url, spec.token, body);
          latencies.push(performance.now() - sent);
          if (status !== 200 || text.includes('"errors"')) {
            failures += 1;
            firstFailure ??= `HTTP ${status}: ${text.slice(0, 300)}`;
          }
        } catch (error) {
          latencies.push(performance.now() - sent);
          failures += 1;
          firstFailure ??= String(error);
        }
      }
    };
    await Promise.all(Array.from({ length: spec.concurrency }, loop));
    const seconds = (performance.now() - started) / 1000;
    const sorted = Float64Array.from(latencies).sort();
    return {
      requests: latencies.length,
      seconds,
      rps: latencies.length / seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? Number.NaN,
      failures,
      firstFailure,
    };
  };
}

function serveLoad(): void {
  const port = parentPort;
  if (!port) return;
  const run = createLoadGenerator();
  port.on('message', (spec: LoadSpec) => {
    run(spec).then(
      (result) => port.postMessage({ result }),
      (error: unknown) => port.postMessage({ error: String(error) }),
    );
  });
}

/** The main thread's handle on the load worker (a thread running this file: bench/gateway.ts uses it too). */
export class LoadWorker {
  private readonly worker = new Worker(new URL(import.meta.url));

  run(spec: LoadSpec): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      const settle = () => {
        this.worker.off('message', onMessage);
        this.worker.off('error', onError);
        this.worker.off('exit', onExit);
      };
      const onMessage = (message: { result?: LoadResult; error?: string }) => {
        settle();
        if (message.result) resolve(message.result);
        else reject(new Error(`load worker failed: ${message.error}`));
      };
      const onError = (error: Error) => {
        settle();
        reject(error);
      };
      const onExit = (code: number) => {
        settle();
        reject(new Error(`load worker exited (code ${code})`));
      };
      this.worker.once('message', onMessage);
      this.worker.once('error', onError);
      this.worker.once('exit', onExit);
      this.worker.postMessage(spec);
    });
  }

  eventLoopUtilization(): EventLoopUtilization {
    return this.worker.performance.eventLoopUtilization();
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

// ---------------------------------------------------------------------------
// Where the CPU goes during a measured run
// ---------------------------------------------------------------------------

interface CpuSpent {
  /** Event-loop busy time of the server's thread (this main thread): wall time, so it grows while other processes hold the cores. */
  serverThreadMs: number;
  /** CPU time of the server's thread (process.threadCpuUsage): what the requests cost it, however busy the machine. */
  serverThreadCpuMs: number;
  /** Event-loop busy time of the load worker. */
  loadWorkerMs: number;
  /** CPU of this whole process: server, load worker, libuv pool (WebCrypto for JWTs), GC helpers. */
  nodeProcessMs: number;
  /** CPU of the Postgres backends serving the benchmark's database; undefined when not readable here. */
  postgresMs: number | undefined;
}

/** Clock ticks per second of /proc/<pid>/stat (CLK_TCK is 100 on Linux). */
const CLOCK_TICKS = 100;

async function postgresBackendTicks(probe: pg.Client): Promise<Map<number, number> | undefined> {
  const { rows } = await probe.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  );
  const ticks = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      // Only when the server runs on this machine: the pid must be a postgres process here.
      if (!(await fs.readFile(`/proc/${pid}/comm`, 'utf8')).startsWith('postgres')) return undefined;
      const fields = (await fs.readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      return undefined;
    }
  }
  return ticks;
}

async function measureCpu<T>(load: LoadWorker, probe: pg.Client, run: () => Promise<T>): Promise<{ result: T; spent: CpuSpent }> {
  const pgBefore = await postgresBackendTicks(probe);
  const mainBefore = performance.eventLoopUtilization();
  const workerBefore = load.eventLoopUtilization();
  const cpuBefore = process.cpuUsage();
  const threadBefore = process.threadCpuUsage();
  const result = await run();
  const thread = process.threadCpuUsage(threadBefore);
  const cpu = process.cpuUsage(cpuBefore);
  const workerSpent = load.eventLoopUtilization();
  const mainSpent = performance.eventLoopUtilization(mainBefore);
  const pgAfter = await postgresBackendTicks(probe);
  let postgresMs: number | undefined;
  if (pgBefore && pgAfter) {
    let ticks = 0;
    // A backend that started during the run counts from zero.
    for (const [pid, after] of pgAfter) ticks += after - (pgBefore.get(pid) ?? 0);
    postgresMs = (ticks * 1000) / CLOCK_TICKS;
  }
  return {
    result,
    spent: {
      serverThreadMs: mainSpent.active,
      serverThreadCpuMs: (thread.user + thread.system) / 1000,
      loadWorkerMs: workerSpent.active - workerBefore.active,
      nodeProcessMs: (cpu.user + cpu.system) / 1000,
      postgresMs,
    },
  };
}

// ---------------------------------------------------------------------------
// Fixture data
// ---------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32), so every run seeds the same shapes. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Status = 'SCHEDULED' | 'IN_PROGRESS' | 'COMPLETED' | 'PARTIALLY_FAILED' | 'FAILED' | 'NOT_FOUND';
type Phase = 'NOT_STARTED' | 'SKIPPED' | 'IN_PROGRESS' | 'COMPLETED_CLEANING_UP' | 'FAILED_CLEANING_UP' | 'COMPLETED' | 'FAILED';

/** Column arrays for one `insert ... select * from unnest(...)` per table. */
class Columns {
  readonly values: unknown[][];
  constructor(readonly names: string[], readonly types: string[]) {
    this.values = names.map(() => []);
  }
  push(...row: unknown[]): void {
    row.forEach((value, index) => this.values[index]?.push(value));
  }
  get length(): number {
    return this.values[0]?.length ?? 0;
  }
  async insert(client: pg.Client, table: string): Promise<void> {
    const casts = this.types.map((type, index) => `$${index + 1}::${type}[]`).join(', ');
    await client.query(`insert into ${table} (${this.names.join(', ')}) select * from unnest(${casts})`, this.values);
  }
}

/** The phases a volume went through, ending in `final` (NOT_STARTED is its birth, not an event). */
function volumePath(final: Phase): Phase[] {
  switch (final) {
    case 'COMPLETED':
      return ['NOT_STARTED', 'IN_PROGRESS', 'COMPLETED_CLEANING_UP', 'COMPLETED'];
    case 'FAILED':
      return ['NOT_STARTED', 'IN_PROGRESS', 'FAILED_CLEANING_UP', 'FAILED'];
    case 'SKIPPED':
      return ['NOT_STARTED', 'SKIPPED'];
    case 'IN_PROGRESS':
      return ['NOT_STARTED', 'IN_PROGRESS'];
    default:
      return [final];
  }
}

/** The statuses a snapshot went through, from its birth (SCHEDULED) to `final`. */
function snapshotPath(final: Status, failedBeforeStart: boolean, reappearedAs: 'COMPLETED' | 'PARTIALLY_FAILED'): Status[] {
  switch (final) {
    case 'SCHEDULED':
      return ['SCHEDULED'];
    case 'IN_PROGRESS':
      return ['SCHEDULED', 'IN_PROGRESS'];
    case 'FAILED':
      return failedBeforeStart ? ['SCHEDULED', 'FAILED'] : ['SCHEDULED', 'IN_PROGRESS', 'FAILED'];
    case 'NOT_FOUND':
      return ['SCHEDULED', 'IN_PROGRESS', reappearedAs, 'NOT_FOUND'];
    default:
      return ['SCHEDULED', 'IN_PROGRESS', final];
  }
}

interface Seeded {
  clusterIds: string[];
  snapshots: number;
  volumes: number;
  events: number;
  statuses: Record<string, number>;
}

/**
 * 100 clusters in 10 projects, 100 snapshots each, hourly, newest first. A
 * quarter of the clusters has a SCHEDULED snapshot waiting and another quarter
 * one IN_PROGRESS (never more than one of each per cluster, as the partial
 * unique indexes demand); everything else has a final status, with 0-3 volume
 * snapshots whose phases agree with it (lifecycle.ts deriveFinalStatus), and
 * the events of every move.
 */
export async function seed(url: string): Promise<Seeded> {
  const { snapshotObjectName } = await import('../src/snapshots/naming.ts');
  const random = prng(0x76736e6170);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (bytes: number) => Array.from({ length: bytes * 2 }, () => Math.floor(random() * 16).toString(16)).join('');
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();

  const clusters = new Columns(
    ['id', 'name', 'project_id', 'kubeconfig_secret_ref', 'policy_enabled', 'policy_schedule', 'policy_time_zone',
      'policy_retention_keep_last', 'policy_storage_location_id', 'policy_volume_snapshots_enabled', 'created_at', 'updated_at'],
    ['uuid', 'varchar', 'varchar', 'varchar', 'boolean', 'varchar', 'varchar', 'int', 'uuid', 'boolean', 'timestamptz', 'timestamptz'],
  );
  const snapshots = new Columns(
    ['id', 'virtual_cluster_id', 'project_id', 'name', 'status', 'trigger', 'volume_snapshots_enabled', 'scheduled_at',
      'started_at', 'finished_at', 'storage_location_id', 'upload_id', 'heartbeat_at', 'location', 'resource_counts',
      'size_bytes', 'sha256', 'object_count', 'message', 'updated_at'],
    ['uuid', 'uuid', 'varchar', 'varchar', 'text', 'text', 'boolean', 'timestamptz', 'timestamptz', 'timestamptz', 'uuid',
      'text', 'timestamptz', 'text', 'jsonb', 'bigint', 'varchar', 'int', 'text', 'timestamptz'],
  );
  const volumes = new Columns(
    ['id', 'snapshot_id', 'namespace', 'pvc_name', 'phase', 'driver', 'volume_snapshot_class', 'snapshot_handle',
      'restore_size_bytes', 'message', 'created_at', 'updated_at'],
    ['uuid', 'uuid', 'varchar', 'varchar', 'text', 'varchar', 'varchar', 'text', 'bigint', 'text', 'timestamptz', 'timestamptz'],
  );
  interface EventRow {
    subject: 'SNAPSHOT' | 'VOLUME_SNAPSHOT';
    snapshotId: string;
    volumeId: string | null;
    clusterId: string;
    projectId: string;
    from: string | null;
    to: string;
    message: string | null;
    at: number;
  }
  const events: EventRow[] = [];
  const statuses: Record<string, number> = {};
  const clusterIds: string[] = [];
  /** One S3 storage location per project, open to that project only. */
  const locations = new Map<string, string>();

  for (let c = 0; c < CLUSTERS; c += 1) {
    const clusterId = randomUUID();
    const clusterName = `cluster-${String(c).padStart(3, '0')}`;
    const projectId = `project-${String(c % PROJECTS).padStart(2, '0')}`;
    const storage = `s3://vsnap-bench/${projectId}`;
    const locationId = locations.get(projectId) ?? randomUUID();
    locations.set(projectId, locationId);
    const volumesEnabled = c % 3 !== 0;
    clusterIds.push(clusterId);
    const createdAt = iso(now - (SNAPSHOTS_PER_CLUSTER + 24) * 3_600_000);
    clusters.push(clusterId, clusterName, projectId, `vsnap-kubeconfigs/${clusterName}`, true, '0 * * * *', 'UTC',
      SNAPSHOTS_PER_CLUSTER * 2, locationId, volumesEnabled, createdAt, createdAt);

    for (let s = 0; s < SNAPSHOTS_PER_CLUSTER; s += 1) {
      // s = 0 is the newest. Only the newest may still be waiting or running.
      const scheduledAt = now - s * 3_600_000 - Math.floor(random() * 60_000);
      const roll = random();
      const status: Status =
        s === 0 && c % 4 === 0 ? 'SCHEDULED'
          : s === 0 && c % 4 === 1 ? 'IN_PROGRESS'
            : roll < 0.7 ? 'COMPLETED'
              : roll < 0.8 ? 'PARTIALLY_FAILED'
                : roll < 0.92 ? 'FAILED'
                  : 'NOT_FOUND';
      statuses[status] = (statuses[status] ?? 0) + 1;
      const failedBeforeStart = status === 'FAILED' && random() < 0.3;
      const reappearedAs = random() < 0.8 ? 'COMPLETED' : 'PARTIALLY_FAILED';
      const archiveFailed = status === 'FAILED';
      // Volumes: none before the snapshot starts; PARTIALLY_FAILED needs at least one FAILED.
      let volumeCount = status === 'SCHEDULED' || failedBeforeStart || !volumesEnabled ? 0 : Math.floor(random() * 4);
      const partial = status === 'PARTIALLY_FAILED' || (status === 'NOT_FOUND' && reappearedAs === 'PARTIALLY_FAILED');
      if (partial && volumeCount === 0) volumeCount = 1 + Math.floor(random() * 3);
      const phases: Phase[] = [];
      for (let v = 0; v < volumeCount; v += 1) {
        if (status === 'IN_PROGRESS') phases.push(pick(['NOT_STARTED', 'IN_PROGRESS', 'COMPLETED'] as const));
        else if (archiveFailed) phases.push(pick(['FAILED', 'FAILED', 'COMPLETED', 'SKIPPED'] as const));
        else phases.push(random() < 0.85 ? 'COMPLETED' : 'SKIPPED');
      }
      if (partial) phases[Math.floor(random() * phases.length)] = 'FAILED';

      const snapshotId = randomUUID();
      const name = snapshotObjectName(clusterName, new Date(scheduledAt));
      const started = status === 'SCHEDULED' || failedBeforeStart ? null : scheduledAt + 1000 + Math.floor(random() * 30_000);
      const finished = status === 'SCHEDULED' || status === 'IN_PROGRESS' ? null
        : (started ?? scheduledAt) + 60_000 + Math.floor(random() * 600_000);
      const stored = status === 'COMPLETED' || status === 'PARTIALLY_FAILED' || status === 'NOT_FOUND';
      const message =
        status === 'FAILED' ? (failedBeforeStart ? 'timed out waiting for a worker' : 'cluster unreachable: connect ECONNREFUSED')
          : partial ? 'volume snapshot failed: driver reported an error'
            : status === 'NOT_FOUND' ? 'archive missing from storage'
              : null;
      const objectCount = stored ? 200 + Math.floor(random() * 2000) : null;
      snapshots.push(
        snapshotId, clusterId, projectId, name, status, random() < 0.9 ? 'SCHEDULE' : 'MANUAL', volumesEnabled, iso(scheduledAt),
        started === null ? null : iso(started), finished === null ? null : iso(finished),
        started === null ? null : locationId,
        status === 'IN_PROGRESS' ? `upload-${hex(8)}` : null,
        status === 'IN_PROGRESS' ? iso(now) : null,
        stored ? `${storage}/${name}` : null,
        stored ? JSON.stringify({ 'v1/configmaps': 40, 'apps/v1/deployments': 12, 'v1/secrets': 30 }) : null,
        stored ? 1_000_000 + Math.floor(random() * 500_000_000) : null,
        stored ? hex(32) : null,
        objectCount,
        message,
        iso(finished ?? started ?? scheduledAt),
      );

      const moves = snapshotPath(status, failedBeforeStart, reappearedAs);
      moves.forEach((to, index) => {
        const at = index === 0 ? scheduledAt
          : to === 'IN_PROGRESS' ? (started ?? scheduledAt)
            : to === 'NOT_FOUND' ? (finished ?? scheduledAt) + 3_000_000
              : (finished ?? scheduledAt);
        events.push({
          subject: 'SNAPSHOT', snapshotId, volumeId: null, clusterId, projectId,
          from: index === 0 ? null : (moves[index - 1] ?? null), to,
          message: index === moves.length - 1 ? message : null, at,
        });
      });
      phases.forEach((phase, v) => {
        const volumeId = randomUUID();
        const namespace = v === 2 ? 'monitoring' : 'default';
        const volumeCreated = started ?? scheduledAt;
        const volumeMessage = phase === 'FAILED' ? 'CSI driver returned an error' : null;
        volumes.push(
          volumeId, snapshotId, namespace, `data-${v}`, phase, 'ebs.csi.aws.com', 'csi-snapclass',
          phase === 'COMPLETED' ? `snap-${hex(8)}` : null,
          phase === 'COMPLETED' ? 1_073_741_824 * (1 + v) : null,
          volumeMessage, iso(volumeCreated), iso(finished ?? volumeCreated),
        );
        const route = volumePath(phase);
        route.slice(1).forEach((to, index) => {
          events.push({
            subject: 'VOLUME_SNAPSHOT', snapshotId, volumeId, clusterId, projectId,
            from: route[index] ?? null, to, message: to === 'FAILED' ? volumeMessage : null,
            at: volumeCreated + 1000 * (index + 1),
          });
        });
      });
    }
  }

  // Cursors (event ids) follow time, as they do when events are recorded live.
  events.sort((a, b) => a.at - b.at);
  const eventColumns = new Columns(
    ['subject', 'kind', 'snapshot_id', 'volume_snapshot_id', 'virtual_cluster_id', 'project_id', 'from_state', 'to_state', 'message', 'at'],
    ['text', 'text', 'uuid', 'uuid', 'uuid', 'varchar', 'varchar', 'varchar', 'text', 'timestamptz'],
  );
  // The kind each move records (as the event_kind migration backfilled them).
  const kindOf = (e: EventRow) => (e.subject === 'VOLUME_SNAPSHOT' ? 'VOLUME_PHASE_CHANGED' : e.from === null ? 'CREATED' : 'STATUS_CHANGED');
  for (const e of events) eventColumns.push(e.subject, kindOf(e), e.snapshotId, e.volumeId, e.clusterId, e.projectId, e.from, e.to, e.message, iso(e.at));

  await withClient(url, async (client) => {
    await client.query('begin');
    for (const [projectId, id] of locations) {
      await client.query(
        `insert into storage_location (id, name, kind, bucket, prefix, credentials_source, allowed_project_ids, created_at, updated_at)
         values ($1, $2, 'S3', 'vsnap-bench', $3::text, 'DEFAULT', array[$3::text], now(), now())`,
        [id, `bench-${projectId}`, projectId],
      );
    }
    await clusters.insert(client, 'virtual_cluster');
    await snapshots.insert(client, 'snapshot');
    await volumes.insert(client, 'volume_snapshot');
    await eventColumns.insert(client, 'snapshot_event');
    await client.query('commit');
    await client.query('analyze virtual_cluster, snapshot, volume_snapshot, snapshot_event');
  });
  return { clusterIds, snapshots: snapshots.length, volumes: volumes.length, events: eventColumns.length, statuses };
}

// ---------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------

function fmt(value: number, digits = 1): string {
  return value.toFixed(digits);
}

export function describeLoad(label: string, result: LoadResult): string {
  const failures = result.failures > 0 ? `  FAILURES ${result.failures} (first: ${result.firstFailure})` : '';
  return `  ${label}  ${fmt(result.rps).padStart(8)} req/s   p50 ${fmt(result.p50, 2).padStart(7)} ms   p99 ${fmt(result.p99, 2).padStart(7)} ms   max ${fmt(result.max, 1).padStart(6)} ms   (${result.requests} requests in ${fmt(result.seconds, 2)}s)${failures}`;
}

function describeCpu(result: LoadResult, spent: CpuSpent): string {
  const per = (ms: number) => fmt(ms / Math.max(1, result.requests), 2);
  const busy = fmt((100 * spent.serverThreadMs) / (result.seconds * 1000), 0);
  const postgres = spent.postgresMs === undefined ? 'n/a (not on this machine)' : `${per(spent.postgresMs)} ms`;
  return `       per request: server thread ${per(spent.serverThreadMs)} ms busy (${busy}% of the run), ${per(spent.serverThreadCpuMs)} ms CPU; node process CPU ${per(spent.nodeProcessMs)} ms, postgres CPU ${postgres}, load worker ${per(spent.loadWorkerMs)} ms`;
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

export async function main(): Promise<number> {
  const benchSeconds = envNumber('BENCH_SECONDS', 5);
  const warmupSeconds = envNumber('BENCH_WARMUP_SECONDS', 2);
  const concurrency = Math.round(envNumber('BENCH_CONCURRENCY', 8));

  // As the Dockerfile runs it: graphql-js, among others, checks more in development (its
  // instanceOf compares class names whenever instanceof fails) and reads NODE_ENV once, on import.
  process.env.NODE_ENV ??= 'production';
  const { openDatabase, sqlStatements } = await import('../src/db/orm.ts');
  const { startServer } = await import('../src/server.ts');
  const { createTokenVerifier, signToken } = await import('../src/auth/tokens.ts');
  const { createLogger } = await import('../src/logger.ts');
  const { loadConfig } = await import('../src/config.ts');

  return withCleanups(async (cleanups) => {
    console.log(`vsnap query benchmark — node ${process.version}, NODE_ENV=${process.env.NODE_ENV}, ${concurrency} concurrent keep-alive connections, ${warmupSeconds}s warm-up + ${benchSeconds}s per query`);

    // 1. A database of our own.
    const database = await createBenchDatabase(cleanups, { prefix: 'vsnap_bench_', dataDirName: 'bench-postgres' });
    console.log(`database: ${database.description}`);

    // 2. Migrations, the real server, a platform-admin token.
    let stepStart = performance.now();
    const orm: MikroORM = await openDatabase(database.url);
    cleanups.push('close orm', () => orm.close());
    console.log(`migrations applied in ${secs(performance.now() - stepStart)}`);

    // 3. Fixture data, before the server starts: its event listener starts after the latest
    // event, so it does not read the seeded trail (59,317 rows) during the measured runs.
    stepStart = performance.now();
    const seeded = await seed(database.url);
    const mix = Object.entries(seeded.statuses).map(([status, count]) => `${status} ${count}`).join(', ');
    console.log(`seeded ${CLUSTERS} clusters, ${seeded.snapshots} snapshots (${mix}), ${seeded.volumes} volume snapshots, ${seeded.events} events in ${secs(performance.now() - stepStart)}`);

    // Production defaults for the armor limits (depth, aliases, tokens, cost) and the HTTP edge.
    const { limits, http: edge, kubeconfigs } = loadConfig({ NODE_ENV: process.env.NODE_ENV, AUTH_JWT_SECRET: JWT_SECRET });
    const server = await startServer({
      config: { host: '127.0.0.1', port: 0, graphiql: false, limits, http: edge, shutdownTimeoutMs: 2000 },
      orm,
      verifier: createTokenVerifier({ kind: 'secret', secret: JWT_SECRET }),
      logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
      kubeconfigs: { egress: kubeconfigs.egress },
    });
    cleanups.push('close server', () => server.close());
    const token = await signToken(new TextEncoder().encode(JWT_SECRET), 'bench-platform-admin', { platformAdmin: true });
    const endpoint = `${server.url}/graphql`;
    console.log(`server: ${endpoint}`);

    // Sanity: query A answers with a full page and no errors.
    const sanityAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push('close check connection', async () => sanityAgent.destroy());
    const ask = async (query: string, variables: Record<string, unknown>) => {
      const { status, text } = await post(sanityAgent, new URL(endpoint), token, JSON.stringify({ query, variables }));
      const body = JSON.parse(text) as {
        data?: { virtualCluster?: { snapshots?: { edges: { node: { volumeSnapshots: unknown[] } }[] } | null } | null };
        errors?: unknown[];
      };
      if (status !== 200 || body.errors) throw new Error(`unexpected answer (HTTP ${status}): ${text.slice(0, 500)}`);
      return body.data?.virtualCluster?.snapshots?.edges ?? [];
    };
    const firstId = seeded.clusterIds[0] ?? '';
    const sample = await ask(QUERY_A, { id: firstId });
    if (sample.length !== 50) throw new Error(`query A returned ${sample.length} edges, expected 50`);
    const sampleVolumes = sample.reduce((sum, edge) => sum + edge.node.volumeSnapshots.length, 0);
    console.log(`query A check: 50 edges, ${sampleVolumes} volume snapshots in the page of ${firstId}`);

    // 5 (first, while nothing else talks to the database). Statements per request.
    console.log('');
    console.log(`SQL statements per request of A-shaped query (sequential requests, ${COUNT_SAMPLES} random clusters each):`);
    const perSize: { first: number; counts: number[] }[] = [];
    await ask(QUERY_PAGE, { id: firstId, first: 1 }); // a first run to warm any lazy path
    for (const first of PAGE_SIZES) {
      const counts: number[] = [];
      for (let i = 0; i < COUNT_SAMPLES; i += 1) {
        const id = seeded.clusterIds[Math.floor(Math.random() * seeded.clusterIds.length)] ?? firstId;
        const before = sqlStatements.count;
        const edges = await ask(QUERY_PAGE, { id, first });
        counts.push(sqlStatements.count - before);
        if (edges.length !== first) throw new Error(`first: ${first} returned ${edges.length} edges`);
      }
      perSize.push({ first, counts });
      const distinct = [...new Set(counts)];
      console.log(`  first = ${String(first).padStart(3)}: ${distinct.length === 1 ? distinct[0] : `varies ${counts.join(', ')}`} statements`);
    }
    const allCounts = perSize.flatMap(({ counts }) => counts);
    const constant = new Set(allCounts).size === 1;
    const worst = Math.max(...allCounts);
    const statementsOk = constant && worst <= STATEMENTS_GOAL;
    console.log(`  => ${constant ? `constant at ${worst}` : `NOT constant (${Math.min(...allCounts)}..${worst})`}; goal: constant and <= ${STATEMENTS_GOAL}: ${statementsOk ? 'PASS' : 'BELOW GOAL'}`);

    // 4. Throughput over HTTP, load from a worker thread.
    console.log('');
    console.log('throughput:');
    const load = new LoadWorker();
    cleanups.push('stop load worker', () => load.close());
    const probe = await connectClient(database.url);
    cleanups.push('close cpu probe', () => probe.end());
    const bodiesA = seeded.clusterIds.map((id) => JSON.stringify({ query: QUERY_A, variables: { id } }));
    const bodiesB = [JSON.stringify({ query: QUERY_B })];
    const spec = { url: endpoint, token, concurrency };
    await load.run({ ...spec, bodies: bodiesA, seconds: warmupSeconds });
    const statementsBefore = sqlStatements.count;
    const profileDir = process.env.BENCH_CPU_PROFILE;
    const profiler = profileDir ? await startCpuProfile() : undefined;
    const { result: resultA, spent: spentA } = await measureCpu(load, probe, () =>
      load.run({ ...spec, bodies: bodiesA, seconds: benchSeconds }),
    );
    if (profiler && profileDir) {
      const file = path.resolve(profileDir, 'query-a.cpuprofile');
      const summary = await profiler.stop(file);
      console.log(`CPU profile of the server thread during A's run (figures below include the profiler's cost): ${file}`);
      for (const line of summary) console.log(`  ${line}`);
    }
    const statementsA = sqlStatements.count - statementsBefore;
    console.log(describeLoad('A  virtualCluster.snapshots(first: 50) + volumeSnapshots', resultA));
    console.log(describeCpu(resultA, spentA));
    await load.run({ ...spec, bodies: bodiesB, seconds: warmupSeconds });
    const profilerB = profileDir ? await startCpuProfile() : undefined;
    const { result: resultB, spent: spentB } = await measureCpu(load, probe, () =>
      load.run({ ...spec, bodies: bodiesB, seconds: benchSeconds }),
    );
    if (profilerB && profileDir) {
      const file = path.resolve(profileDir, 'query-b.cpuprofile');
      const summary = await profilerB.stop(file);
      console.log(`CPU profile of the server thread during B's run: ${file}`);
      for (const line of summary) console.log(`  ${line}`);
    }
    console.log(describeLoad('B  { __typename }                                       ', resultB));
    console.log(describeCpu(resultB, spentB));
    console.log(`  A issued ${statementsA} SQL statements under load: ${fmt(statementsA / Math.max(1, resultA.requests), 2)} per request`);
    const ratio = resultA.rps / resultB.rps;
    const ratioOk = ratio >= RATIO_GOAL && resultA.failures === 0 && resultB.failures === 0;
    console.log(`  A/B = ${fmt(ratio, 3)} (goal >= ${RATIO_GOAL}): ${ratioOk ? 'PASS' : 'BELOW GOAL'}${resultA.failures + resultB.failures > 0 ? ' (requests failed)' : ''}`);
    // Less sensitive to a busy machine than req/s: what each request costs this process in CPU.
    const cpuA = spentA.nodeProcessMs / Math.max(1, resultA.requests);
    const cpuB = spentB.nodeProcessMs / Math.max(1, resultB.requests);
    console.log(`  node CPU per request (server + load worker): A ${fmt(cpuA, 2)} ms, B ${fmt(cpuB, 2)} ms; B/A = ${fmt(cpuB / cpuA, 3)}, about the A/B to expect wherever the node process is the bottleneck`);
    const threadA = spentA.serverThreadCpuMs / Math.max(1, resultA.requests);
    const threadB = spentB.serverThreadCpuMs / Math.max(1, resultB.requests);
    console.log(`  server thread CPU per request: A ${fmt(threadA, 3)} ms, B ${fmt(threadB, 3)} ms; B/A = ${fmt(threadB / threadA, 3)}, the A/B to expect when the server thread is the bottleneck (the least sensitive to a busy machine)`);

    // The stack's own floor for this page: the same answers, from memory, through graphql-yoga and
    // graphql-js with nothing of vsnap (no token, no database, no authorization), the same load.
    const pages = new Map<string, unknown>();
    for (const id of seeded.clusterIds) pages.set(id, { snapshots: { edges: await ask(QUERY_A, { id }) } });
    const floor = await startStackFloor(pages);
    cleanups.push('close the stack floor', () => floor.close());
    const floorSpec = { url: floor.url, token, concurrency };
    await load.run({ ...floorSpec, bodies: bodiesA, seconds: warmupSeconds });
    const { result: floorA, spent: floorSpentA } = await measureCpu(load, probe, () => load.run({ ...floorSpec, bodies: bodiesA, seconds: benchSeconds }));
    await load.run({ ...floorSpec, bodies: bodiesB, seconds: warmupSeconds });
    const { result: floorB, spent: floorSpentB } = await measureCpu(load, probe, () => load.run({ ...floorSpec, bodies: bodiesB, seconds: benchSeconds }));
    console.log('');
    console.log("the stack's floor: the same pages from memory through graphql-yoga alone (no token, no database, no authorization):");
    console.log(describeLoad("A' the same page, from memory                              ", floorA));
    console.log(describeCpu(floorA, floorSpentA));
    console.log(describeLoad("B' { __typename }                                       ", floorB));
    console.log(describeCpu(floorB, floorSpentB));
    const floorThreadA = floorSpentA.serverThreadCpuMs / Math.max(1, floorA.requests);
    const floorThreadB = floorSpentB.serverThreadCpuMs / Math.max(1, floorB.requests);
    console.log(
      `  A'/B' = ${fmt(floorA.rps / floorB.rps, 3)}; server thread CPU per request A' ${fmt(floorThreadA, 3)} ms, B' ${fmt(floorThreadB, 3)} ms (B'/A' ${fmt(floorThreadB / floorThreadA, 3)}); ` +
        `vsnap's A costs ${fmt(threadA / floorThreadA, 2)}x the floor's A', its B ${fmt(threadB / floorThreadB, 2)}x B'`,
    );

    console.log('');
    console.log(`summary: A/B ${fmt(ratio, 3)} ${ratioOk ? 'PASS' : 'BELOW GOAL'}; statements ${constant ? worst : `${Math.min(...allCounts)}..${worst}`} per request ${statementsOk ? 'PASS' : 'BELOW GOAL'}`);
    return 0;
  });
}

/**
 * graphql-yoga on its own HTTP server, answering query A's shape from `pages` (cluster id → the
 * page as vsnap answered it) with graphql-js' default resolvers: what this stack costs for the
 * page before vsnap does anything.
 */
async function startStackFloor(pages: Map<string, unknown>): Promise<{ url: string; close(): Promise<void> }> {
  const { createSchema, createYoga } = await import('graphql-yoga');
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: /* GraphQL */ `
        type Query { virtualCluster(id: ID!): VirtualCluster }
        type VirtualCluster { snapshots(first: Int): SnapshotConnection! }
        type SnapshotConnection { edges: [SnapshotEdge!]! }
        type SnapshotEdge { node: Snapshot! }
        type Snapshot { id: ID! name: String! status: String! volumeSnapshots: [VolumeSnapshot!]! }
        type VolumeSnapshot { phase: String! }
      `,
      resolvers: { Query: { virtualCluster: (_root: unknown, args: { id: string }) => pages.get(args.id) ?? null } },
    }),
    graphiql: false,
    landingPage: false,
    logging: false,
  });
  const server = http.createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

runBench(import.meta.url, main, serveLoad);
