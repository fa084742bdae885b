/**
 * The calendar periods grandfather-father-son retention counts in: hours, days,
 * ISO weeks, months and years of local time in an IANA time zone. Pure.
 *
 * A period is a calendar period of the local clock, so a day is one day whether
 * it has 23, 24 or 25 hours. An hour is a real hour: the hour the clocks repeat
 * when they go back is two hours (its key carries the UTC offset), and the hour
 * they skip when they go forward does not exist. Zones with a non-hour offset
 * (Asia/Kolkata, Australia/Adelaide) start their hours at their own :30.
 */

export const RETENTION_PERIODS = ['hour', 'day', 'week', 'month', 'year'] as const;
export type RetentionPeriod = (typeof RETENTION_PERIODS)[number];

/** The local clock reading of an instant in a time zone. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  /** Local time minus UTC, in minutes: +60 in Berlin's winter, +330 in Kolkata, -240 in New York's summer. */
  offsetMinutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws a RangeError for a name that is not an IANA time zone. */
export function localTime(at: Date, timeZone: string): LocalTime {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = fields;
  const wholeSecond = at.getTime() - (((at.getTime() % 1000) + 1000) % 1000);
  const offsetMinutes = Math.round((Date.UTC(year, month - 1, day, hour, minute, second) - wholeSecond) / 60_000);
  return { year, month, day, hour, offsetMinutes };
}

/** The ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday) of a calendar date. */
export function isoWeek(year: number, month: number, day: number): { weekYear: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const mondayBased = (date.getUTCDay() + 6) % 7;
  // The Thursday of this week decides its year.
  const thursday = new Date(date.getTime() + (3 - mondayBased) * 86_400_000);
  const weekYear = thursday.getUTCFullYear();
  const firstOfYear = Date.UTC(weekYear, 0, 1);
  const week = Math.floor((thursday.getTime() - firstOfYear) / 86_400_000 / 7) + 1;
  return { weekYear, week };
}

const pad = (value: number, width = 2) => String(Math.abs(value)).padStart(width, '0');

function offsetText(minutes: number): string {
  return `${minutes < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/**
 * The period of `period` kind an instant falls in, as a key that is equal for two
 * instants exactly when they share that period and that reads as the period:
 * `2026-03-29 02:00 +01:00`, `2026-03-29`, `2026-W13`, `2026-03`, `2026`.
 */
export function periodKey(at: Date, period: RetentionPeriod, timeZone: string): string {
  const local = localTime(at, timeZone);
  const date = `${pad(local.year, 4)}-${pad(local.month)}-${pad(local.day)}`;
  switch (period) {
    case 'hour':
      return `${date} ${pad(local.hour)}:00 ${offsetText(local.offsetMinutes)}`;
    case 'day':
      return date;
    case 'week': {
      const { weekYear, week } = isoWeek(local.year, local.month, local.day);
      return `${pad(weekYear, 4)}-W${pad(week)}`;
    }
    case 'month':
      return `${pad(local.year, 4)}-${pad(local.month)}`;
    case 'year':
      return pad(local.year, 4);
  }
}
