/**
 * Repeated log lines collapsed. During an outage the same failure is logged by
 * every request, every pool connection and every heartbeat (~20 lines a second
 * for a database outage); an operator needs to know that it happens and how
 * often, not each occurrence.
 */
import type { Logger } from 'pino';

/** Default interval of one line per kind. */
export const REPEAT_INTERVAL_MS = 10_000;
/** Kinds tracked at once per logger; past this a line is written as is (kinds are fixed texts, so this is a backstop). */
const MAX_KINDS = 200;

type Level = 'warn' | 'error' | 'info';

export interface RepeatedLines {
  /**
   * Logs `msg` at once the first time; further lines of the same level and `msg`
   * within the interval are counted and written as one line when it ends,
   * `msg (N times in the last 10 s)` with `repeated: N` and the last one's fields.
   * A kind that stays quiet for a whole interval starts over.
   */
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  /** Writes the pending counts now (at shutdown). */
  flush(): void;
}

interface Window {
  count: number;
  last: object;
  timer: NodeJS.Timeout;
}

export function collapseRepeats(logger: Logger, intervalMs = REPEAT_INTERVAL_MS): RepeatedLines {
  const windows = new Map<string, Window>();
  const seconds = Number((intervalMs / 1000).toFixed(3));

  const summarize = (window: Window, level: Level, msg: string) =>
    logger[level]({ ...window.last, repeated: window.count }, `${msg} (${window.count} ${window.count === 1 ? 'time' : 'times'} in the last ${seconds} s)`);

  const close = (key: string, level: Level, msg: string) => {
    const window = windows.get(key);
    if (!window) return;
    clearTimeout(window.timer);
    if (window.count === 0) {
      windows.delete(key);
      return;
    }
    summarize(window, level, msg);
    // Still happening: the next line of this kind is due one interval from now.
    windows.set(key, { count: 0, last: window.last, timer: schedule(key, level, msg) });
  };
  const schedule = (key: string, level: Level, msg: string) => setTimeout(() => close(key, level, msg), intervalMs).unref();

  const log = (level: Level) => (fields: object, msg: string) => {
    const key = `${level}\u0000${msg}`;
    const window = windows.get(key);
    if (window) {
      window.count += 1;
      window.last = fields;
      return;
    }
    logger[level](fields, msg);
    if (windows.size < MAX_KINDS) windows.set(key, { count: 0, last: fields, timer: schedule(key, level, msg) });
  };

  return {
    warn: log('warn'),
    error: log('error'),
    info: log('info'),
    flush() {
      for (const key of [...windows.keys()]) {
        const [level, msg] = key.split('\u0000') as [Level, string];
        const window = windows.get(key)!;
        clearTimeout(window.timer);
        if (window.count > 0) summarize(window, level, msg);
        windows.delete(key);
      }
    },
  };
}

const shared = new WeakMap<Logger, RepeatedLines>();

/** One collapser per logger, for code paths that have a logger but no place to keep one (a heartbeat per snapshot). */
export function repeatsOf(logger: Logger): RepeatedLines {
  let repeats = shared.get(logger);
  if (!repeats) {
    repeats = collapseRepeats(logger);
    shared.set(logger, repeats);
  }
  return repeats;
}
