/**
 * The Agenda instance behind vsnap's jobs: MongoDB storage when MONGODB_URL is
 * set, else the service's own Postgres. Either way, job notifications travel
 * over Postgres LISTEN/NOTIFY, so a job saved by one replica wakes the others
 * at once instead of on their next poll.
 */
import { MongoBackend } from '@agendajs/mongo-backend';
import { PostgresBackend, PostgresNotificationChannel } from '@agendajs/postgres-backend';
import { Agenda } from 'agenda';
import pg from 'pg';
import { collapseRepeats, type Logger } from '../logger.ts';

export interface AgendaSettings {
  /** The service's Postgres: job storage without MongoDB, notifications always. */
  postgresUrl: string;
  mongodbUrl?: string;
  /** Shown as `lastModifiedBy` on the jobs this process touches. */
  instanceName: string;
  maxConcurrency: number;
  lockLifetimeMs: number;
  /** How often to look for due jobs when no notification arrived. */
  processEveryMs?: number;
}

export const AGENDA_TABLE = 'vsnap_jobs';
const NOTIFY_CHANNEL = 'vsnap_jobs';

export interface JobQueue {
  agenda: Agenda;
  /** Ends the Postgres pool Agenda was given (Agenda leaves a pool it did not create open). */
  close(): Promise<void>;
}

/**
 * Agenda, connected and ready. On Postgres, connecting creates its table, indexes and types
 * when missing, which two processes starting at once on a new database would race (one fails
 * with 23505 on the type): the connection is made under an advisory lock, one process at a time.
 */
export async function createAgenda(settings: AgendaSettings, logger: Logger): Promise<JobQueue> {
  if (settings.mongodbUrl) return connectAgenda(settings, logger);
  const client = new pg.Client({ connectionString: settings.postgresUrl, application_name: 'vsnap-job-schema' });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [SCHEMA_LOCK]);
    return await connectAgenda(settings, logger);
  } finally {
    // Ending the session releases the lock, whatever happened.
    await client.end().catch(() => undefined);
  }
}

/** The advisory lock key under which a process creates Agenda's schema. */
const SCHEMA_LOCK = 'vsnap: agenda schema';

async function connectAgenda(settings: AgendaSettings, logger: Logger): Promise<JobQueue> {
  // Our own pool, with an error listener: a database restart or failover terminates idle
  // connections, which must be logged and replaced, not crash the process.
  // One connection is held by LISTEN; a burst of ticks queues on the rest (bench/schedule.ts).
  const pool = new pg.Pool({ connectionString: settings.postgresUrl, max: 16 });
  // During an outage these fire for every connection and every poll: one line per kind per interval.
  const repeats = collapseRepeats(logger);
  pool.on('error', (error) => repeats.warn({ err: error }, 'job scheduler lost a database connection; it reconnects'));
  const common = {
    name: settings.instanceName,
    maxConcurrency: settings.maxConcurrency,
    defaultLockLifetime: settings.lockLifetimeMs,
    processEvery: settings.processEveryMs ?? 5_000,
  };
  const notificationChannel = new PostgresNotificationChannel({ pool, channelName: NOTIFY_CHANNEL });
  notificationChannel.on('error', (error: Error) => repeats.warn({ err: error }, 'job notification channel error; it reconnects'));
  const backend = settings.mongodbUrl
    ? new MongoBackend({ address: settings.mongodbUrl, collection: AGENDA_TABLE })
    : new PostgresBackend({ pool, tableName: AGENDA_TABLE, disableNotifications: true });
  const agenda = new Agenda({ ...common, backend, notificationChannel });
  agenda.on('error', (error) => repeats.error({ err: error }, 'job scheduler error'));
  const queue: JobQueue = {
    agenda,
    close: async () => {
      repeats.flush();
      if (!pool.ended) await pool.end();
    },
  };
  try {
    await agenda.ready;
  } catch (error) {
    await queue.close();
    throw error;
  }
  logger.info({ backend: settings.mongodbUrl ? 'mongodb' : 'postgres' }, 'job scheduler configured');
  return queue;
}
