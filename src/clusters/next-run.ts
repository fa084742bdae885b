/**
 * When an auto-snapshot policy fires: croner in the policy's IANA time zone, with the
 * daylight-saving rules stated. A local time the clocks skip fires once, at the first
 * instant after the gap (croner's answer); a local time the clocks repeat fires once, on
 * its first pass: a tick whose local wall-clock time is not after the previous tick's is
 * passed over (so an every-minute schedule is quiet for the repeated hour's second pass).
 */
import { Cron } from 'croner';
import type { CatchUpMode } from './entity.ts';

/** Local wall-clock time as a sortable string, e.g. `2026-10-25 02:30:00`. */
const wallClocks = new Map<string, Intl.DateTimeFormat>();
function wallClock(at: Date, timeZone: string): string {
  let format = wallClocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    wallClocks.set(timeZone, format);
  }
  return format.format(at);
}

const crons = new Map<string, Cron>();
function cronOf(schedule: string, timeZone: string): Cron {
  const key = `${timeZone} ${schedule}`;
  let cron = crons.get(key);
  if (!cron) {
    if (crons.size > 10_000) crons.clear();
    cron = new Cron(schedule, { timezone: timeZone, paused: true });
    crons.set(key, cron);
  }
  return cron;
}

/**
 * The first tick after `after`; `previousTick` (the tick that fired last, when known) rules
 * out the second pass of a repeated local time. Null when the schedule never fires again.
 */
export function nextTick(schedule: string, timeZone: string, after: Date, previousTick: Date | null = null): Date | null {
  const cron = cronOf(schedule, timeZone);
  const floor = previousTick ? wallClock(previousTick, timeZone) : null;
  let candidate = cron.nextRun(after);
  // A repeated hour holds at most 60 minutes of ticks: bounded even for `* * * * *`.
  for (let guard = 0; candidate && floor !== null && wallClock(candidate, timeZone) <= floor && guard < 1_500; guard += 1) {
    candidate = cron.nextRun(candidate);
  }
  return candidate;
}

export interface DueTicks {
  /** Ticks at or before `now`, counted up to `limit` (more: `limit` and `more`). */
  count: number;
  more: boolean;
  /** The newest of them. */
  last: Date;
  /** The first tick after `now`: the policy's next run. */
  next: Date | null;
}

/** The ticks from `due` (a tick, the policy's nextRunAt) up to `now`, and the one after. */
export function dueTicks(schedule: string, timeZone: string, due: Date, now: Date, limit = 10_000): DueTicks {
  let count = 1;
  let last = due;
  let next = nextTick(schedule, timeZone, due, due);
  while (next && next <= now) {
    if (count >= limit) {
      // Too many to count one by one: jump to now.
      return { count, more: true, last: next, next: nextTick(schedule, timeZone, now, next) };
    }
    count += 1;
    last = next;
    next = nextTick(schedule, timeZone, next, next);
  }
  return { count, more: false, last, next };
}

/** What a due cluster gets: a snapshot (with its event's message) or none, and its next tick. */
export interface TickDecision {
  snapshot: { message: string; catchUp: boolean } | null;
  next: Date | null;
}

/** The rules of one due cluster, pure: `ticks` are its due ticks (dueTicks), `now` the pass's time. */
export function decideTick(ticks: DueTicks, first: Date, catchUp: CatchUpMode, now: Date, missedAfterMs: number): TickDecision {
  const current = now.getTime() - ticks.last.getTime() <= missedAfterMs;
  const missed = ticks.count - (current ? 1 : 0);
  const count = `${ticks.more ? 'more than ' : ''}${missed} tick${missed === 1 && !ticks.more ? '' : 's'}`;
  const since = `since ${first.toISOString()}`;
  if (missed === 0) return { snapshot: { message: 'scheduled by the auto-snapshot policy', catchUp: false }, next: ticks.next };
  if (catchUp === 'ONE') {
    return { snapshot: { message: `catch-up run of the auto-snapshot policy: ${count} missed ${since}`, catchUp: true }, next: ticks.next };
  }
  return current
    ? { snapshot: { message: `scheduled by the auto-snapshot policy; ${count} missed ${since} dropped (catchUp NONE)`, catchUp: false }, next: ticks.next }
    : { snapshot: null, next: ticks.next };
}
