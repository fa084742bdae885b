import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** Causes followed below an error; a cycle or a deep chain ends there. */
const MAX_CAUSES = 3;
/** Errors of an AggregateError kept (a dual-stack ECONNREFUSED has two). */
const MAX_AGGREGATED = 3;
/** Longest message or property value kept; a stack gets more room. */
const MAX_TEXT = 2_000;
const MAX_STACK = 4_000;
/** Scalar properties kept besides name, message and stack (pg errors have ~15, all short). */
const MAX_PROPERTIES = 20;
const OWN_KEYS = new Set(['name', 'message', 'stack', 'cause', 'errors']);

const bounded = (text: string, limit: number) => (text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length} characters)`);

/**
 * An error as one log line shows it: its class, name, message, stack, the scalar
 * properties drivers add (code, errno, syscall, address, severity, detail, routine…)
 * and its cause chain, each bounded. Object-valued properties are never copied: pg
 * hangs its client (with the type-parser tables) and Agenda its job on errors, and
 * pino's default serializer wrote all of that into one line.
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) {
    // Something thrown that is not an Error: a primitive as it is; an object only by its class (it may be a client, keys and all).
    if (error === null || (typeof error !== 'object' && typeof error !== 'function')) return { type: typeof error, message: bounded(String(error), MAX_TEXT) };
    const kind = (error as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    return { type: typeof error, message: `a ${kind} was thrown, not an Error` };
  }
  const serialized: Record<string, unknown> = {
    type: error.constructor?.name ?? 'Error',
    name: error.name,
    message: bounded(error.message, MAX_TEXT),
    stack: error.stack === undefined ? undefined : bounded(error.stack, MAX_STACK),
  };
  let kept = 0;
  for (const [key, value] of Object.entries(error)) {
    if (OWN_KEYS.has(key) || kept >= MAX_PROPERTIES) continue;
    if (typeof value === 'string') serialized[key] = bounded(value, MAX_TEXT);
    else if (typeof value === 'number' || typeof value === 'boolean') serialized[key] = value;
    else continue;
    kept += 1;
  }
  if (error.cause !== undefined) serialized.cause = depth < MAX_CAUSES ? serializeError(error.cause, depth + 1) : '(further causes left out)';
  if (error instanceof AggregateError && Array.isArray(error.errors)) {
    serialized.errors = error.errors.slice(0, MAX_AGGREGATED).map((inner: unknown) => serializeError(inner, MAX_CAUSES));
  }
  return serialized;
}

/** What every vsnap logger is made with (tests that capture logs use it too). */
export function loggerOptions(level: string): LoggerOptions {
  return { name: 'vsnap', level, serializers: { err: serializeError } };
}

/**
 * JSON lines (for log collectors, and what tests parse), or `pretty` for a developer's terminal.
 * pino-pretty runs in-process and writes synchronously, so the last lines before process.exit are kept.
 */
export function createLogger(level: string, format: 'json' | 'pretty' = 'json'): Logger {
  if (format === 'json') return pino(loggerOptions(level));
  return pino(loggerOptions(level), pretty({ sync: true, colorize: process.stdout.isTTY, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
}

export { collapseRepeats, repeatsOf, REPEAT_INTERVAL_MS, type RepeatedLines } from './log-repeats.ts';
