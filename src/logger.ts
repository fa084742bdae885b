import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * JSON lines (for log collectors, and what tests parse), or `pretty` for a developer's terminal.
 * pino-pretty runs in-process and writes synchronously, so the last lines before process.exit are kept.
 */
export function createLogger(level: string, format: 'json' | 'pretty' = 'json'): Logger {
  if (format === 'json') return pino({ name: 'vsnap', level });
  return pino({ name: 'vsnap', level }, pretty({ sync: true, colorize: process.stdout.isTTY, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
}
