/** The auto-snapshot schedule as an admin reads it: validated as vsnap does, next runs in its time zone. */
import { Cron } from 'croner';

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The next `count` runs of a five-field cron schedule read in `timeZone`, or what is wrong
 * with it, in the words vsnap's own check uses (src/clusters/input.ts); vsnap checks again.
 */
export function nextRuns(schedule: string, timeZone: string, count: number, from = new Date()): { runs: Date[] } | { problem: string } {
  if (!isValidTimeZone(timeZone)) return { problem: `time zone ${JSON.stringify(timeZone)} is not an IANA time zone` };
  if (schedule.trim().split(/\s+/).length !== 5) return { problem: 'must have five fields: minute hour day-of-month month day-of-week' };
  try {
    const runs = new Cron(schedule, { timezone: timeZone, paused: true }).nextRuns(count, from);
    return runs.length > 0 ? { runs } : { problem: 'never fires' };
  } catch (error) {
    return { problem: `is not a valid cron expression (${(error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, '')})` };
  }
}

/** Every IANA zone the browser knows, for the time-zone picker. */
export function timeZones(): string[] {
  return typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
}
