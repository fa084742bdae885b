/**
 * Plumbing shared by the database benches (query.ts, schedule.ts): environment
 * numbers, a database of their own (on DATABASE_URL's server or an embedded
 * Postgres), named cleanup steps run once on exit or SIGINT/SIGTERM, the
 * run-as-script entry point, percentiles and duration formatting.
 */
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import pg from 'pg';

// ---------------------------------------------------------------------------
// Settings and figures
// ---------------------------------------------------------------------------

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

/** The p-th percentile (nearest rank) of values sorted ascending; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** Milliseconds as seconds, e.g. `1.5s`; `—` for NaN. */
export function secs(ms: number, digits = 1): string {
  return Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(digits)}s`;
}

// ---------------------------------------------------------------------------
// Cleanup and signals
// ---------------------------------------------------------------------------

export interface Cleanup {
  name: string;
  run(): Promise<void>;
}

const CLEANUP_STEP_TIMEOUT_MS = 15_000;

/** Runs one cleanup step; a step that fails or hangs is reported and skipped, never blocks the rest. */
async function runCleanup(step: Cleanup): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CLEANUP_STEP_TIMEOUT_MS);
  });
  try {
    const outcome = await Promise.race([step.run().then(() => 'done' as const), timedOut]);
    if (outcome === 'timeout') console.error(`cleanup: ${step.name} did not finish in ${CLEANUP_STEP_TIMEOUT_MS / 1000}s; moving on`);
  } catch (error) {
    console.error(`cleanup: ${step.name} failed:`, error instanceof Error ? error.message : error);
  } finally {
    clearTimeout(timer);
  }
}

/** Set by SIGINT/SIGTERM: the run's failure that follows is the interruption, not an error. */
let interrupted = false;

/** Steps undone in reverse order, once, whether the run ends, fails or is interrupted. */
export class Cleanups {
  private readonly steps: Cleanup[] = [];
  private cleaning: Promise<void> | undefined;

  push(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  /** Runs the steps pushed so far, once; later calls wait for that same run. */
  run(): Promise<void> {
    return (this.cleaning ??= (async () => {
      for (const step of this.steps.reverse().splice(0)) await runCleanup(step);
    })());
  }
}

/** Runs `body` with SIGINT/SIGTERM cleaning up and exiting (130); cleans up when `body` ends or fails. */
export async function withCleanups<T>(body: (cleanups: Cleanups) => Promise<T>): Promise<T> {
  const cleanups = new Cleanups();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\n${signal}: cleaning up`);
    void cleanups.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body(cleanups);
  } finally {
    await cleanups.run();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The bench's entry: `worker()` in a worker thread of the bench file, `main()` (exit code
 * its result, 1 on an error) when the file is run directly, nothing when it is imported.
 */
export function runBench(moduleUrl: string, main: () => Promise<number>, worker: () => void): void {
  const runDirectly = process.argv[1] !== undefined && moduleUrl === pathToFileURL(path.resolve(process.argv[1])).href;
  if (!isMainThread) {
    worker();
  } else if (runDirectly) {
    main().then(
      (code) => process.exit(code),
      (error: unknown) => {
        if (interrupted) return; // the signal handler exits once cleanup is done
        console.error(error);
        process.exit(1);
      },
    );
  }
}

// ---------------------------------------------------------------------------
// Database
// ---------------------------------------------------------------------------

export interface BenchDatabase {
  url: string;
  description: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A connected client whose connection errors (a server shutting down) fail its queries instead of crashing the process. */
export async function connectClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  // A server shutting down (Ctrl-C reaches the embedded one too) must fail the query, not crash the process.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectClient(url);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database `<prefix><pid>` on DATABASE_URL's server, or on an embedded
 * Postgres started here with its data in .vsnap/<dataDirName>; dropped (and the
 * embedded server stopped) by `cleanups`.
 */
export async function createBenchDatabase(
  cleanups: Cleanups,
  options: { prefix: string; dataDirName: string },
): Promise<BenchDatabase> {
  let adminUrl: string;
  let description: string;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
    description = `DATABASE_URL server ${new URL(adminUrl).host}`;
  } else {
    const { startEmbeddedPostgres } = await import('../src/db/embedded.ts');
    const { createLogger } = await import('../src/logger.ts');
    const dataDir = path.resolve('.vsnap', options.dataDirName);
    const port = await freePort();
    const started = performance.now();
    const embedded = await startEmbeddedPostgres({ dataDir, port, database: 'postgres', logger: createLogger('warn') });
    cleanups.push('stop embedded postgres', () => embedded.stop());
    adminUrl = embedded.url;
    description = `embedded Postgres on 127.0.0.1:${port}, data in ${path.relative(process.cwd(), dataDir)} (started in ${secs(performance.now() - started)})`;
    // The embedded server is this benchmark's alone: drop what a killed earlier run left.
    await withClient(adminUrl, async (client) => {
      const stale = await client.query<{ datname: string }>(`select datname from pg_database where datname ~ $1`, [`^${options.prefix}[0-9]+$`]);
      for (const { datname } of stale.rows) await client.query(`drop database if exists "${datname}" with (force)`);
    });
  }
  const name = `${options.prefix}${process.pid}`;
  await withClient(adminUrl, async (client) => {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  });
  cleanups.push('drop database', () =>
    withClient(adminUrl, async (client) => void (await client.query(`drop database if exists ${name} with (force)`))),
  );
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), description: `${description}, database ${name}` };
}
