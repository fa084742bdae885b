/**
 * Telling a database that is away (stopped, restarting, unreachable) from one
 * that refused a statement, and waiting out the first kind: a result the
 * engine must record is retried with capped, jittered backoff until the
 * database answers or the caller gives up.
 */
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionException, DriverException } from '@mikro-orm/core';
import pg from 'pg';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Node's network failures on the way to the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
/**
 * SQLSTATEs of a server going away or not yet back: admin_shutdown, crash_shutdown,
 * cannot_connect_now (starting up / shutting down), too_many_connections; class 08 is
 * the connection exceptions.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** node-postgres's own words for a connection that died or never came. */
const DRIVER_MESSAGES = [/connection terminated/i, /timeout exceeded when trying to connect/i, /is not queryable/i];

/** Whether `error` (or what it wraps) means the database could not be reached, not that it refused the statement. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (current instanceof Error) {
      const { message } = current;
      if (DRIVER_MESSAGES.some((pattern) => pattern.test(message))) return true;
    }
    // Node's connect gives an AggregateError (one error per address tried).
    if (current instanceof AggregateError && current.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Where the database listens, to recognise a socket error of a connection to it. */
export interface DatabaseEndpoint {
  host: string;
  port: number;
}

export function databaseEndpoint(url: string): DatabaseEndpoint {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 5432) };
}

/**
 * The API's stricter reading of isDatabaseUnavailable, for errors of any origin that reach
 * the GraphQL edge: a Postgres state or a socket error counts only when the driver reports
 * it (MikroORM's DriverException, pg's DatabaseError), or, for a bare socket error (a
 * transaction acquires its connection without MikroORM wrapping the failure), when it
 * names the database's port (and address, or host for DNS). A Kubernetes API or S3
 * endpoint that refuses is not a database outage.
 */
export function isDatabaseUnavailableAt(error: unknown, database: DatabaseEndpoint): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth += 1, current = current.cause) {
    if (current instanceof ConnectionException) return true;
    const code = (current as { code?: unknown }).code;
    const fromDriver = current instanceof DriverException || current instanceof pg.DatabaseError || 'severity' in current;
    if (typeof code === 'string') {
      if ((UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) && fromDriver) return true;
      if (NETWORK_CODES.has(code) && (fromDriver || socketTo(current, database))) return true;
    }
    const { message } = current;
    if (DRIVER_MESSAGES.some((pattern) => pattern.test(message))) return true;
  }
  return false;
}

function socketTo(error: Error, database: DatabaseEndpoint): boolean {
  const { address, port, hostname } = error as { address?: unknown; port?: unknown; hostname?: unknown };
  if (hostname === database.host) return true;
  // `localhost` resolves to an address the URL does not name: the port decides then.
  return port === database.port && (address === database.host || isIP(database.host) === 0);
}

export interface Backoff {
  /** First wait (ms). */
  initialMs: number;
  /** No wait is longer than this (ms). */
  maxMs: number;
}

/**
 * The wait before retry `attempt` (1-based): doubling from `initialMs`, capped at
 * `maxMs`, then jittered down by up to half so that many waiting writers do not
 * return in step.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/**
 * Runs `operation` until it succeeds, retrying while the database is
 * unavailable; any other error is thrown at once. `signal` gives up (throwing
 * the last error). `beforeRetry` runs before each retry and must succeed for the
 * retry to be made (the heartbeat goes first once the database is back).
 */
export async function retryWhileDatabaseUnavailable<T>(
  operation: () => Promise<T>,
  options: { what: string; logger: Logger; signal?: AbortSignal; backoff?: Backoff; beforeRetry?: () => Promise<void> },
): Promise<T> {
  const backoff = options.backoff ?? { initialMs: 100, maxMs: 2_000 };
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      if (attempt > 1 && options.beforeRetry) await options.beforeRetry();
      const result = await operation();
      if (attempt > 1) options.logger.info({ attempts: attempt, waitedMs: Date.now() - started }, `${options.what}: done once the database answered again`);
      return result;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || options.signal?.aborted) throw error;
      // One line when the outage starts; the retries themselves only at debug level.
      if (attempt === 1) options.logger.warn({ error: errorMessage(error), code: (error as { code?: unknown }).code }, `${options.what}: database unavailable; retrying with backoff`);
      else options.logger.debug({ attempt, error: errorMessage(error) }, `${options.what}: database still unavailable`);
      try {
        await sleep(backoffDelay(attempt, backoff), undefined, { signal: options.signal });
      } catch {
        throw error;
      }
    }
  }
}
