/**
 * Telling a database that is away (stopped, restarting, unreachable) from one
 * that refused a statement, and waiting out the first kind: a result the
 * engine must record is retried with capped, jittered backoff until the
 * database answers or the caller gives up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
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
