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

export function createAgenda(settings: AgendaSettings, logger: Logger): JobQueue {
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
  logger.info({ backend: settings.mongodbUrl ? 'mongodb' : 'postgres' }, 'job scheduler configured');
  return {
    agenda,
    close: async () => {
      repeats.flush();
      if (!pool.ended) await pool.end();
    },
  };
}
