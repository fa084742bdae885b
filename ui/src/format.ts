/** Words and figures as the product page names them, times in the viewer's time zone. */
import type { SnapshotStatus, VolumeSnapshotPhase, SnapshotTrigger } from './gql/graphql.ts';

export const STATUS_LABELS: Record<SnapshotStatus, string> = {
  SCHEDULED: 'Scheduled',
  IN_PROGRESS: 'In Progress',
  COMPLETED: 'Completed',
  PARTIALLY_FAILED: 'Partially Failed',
  FAILED: 'Failed',
  NOT_FOUND: 'Not Found',
};

export const PHASE_LABELS: Record<VolumeSnapshotPhase, string> = {
  NOT_STARTED: 'Not Started',
  SKIPPED: 'Skipped',
  IN_PROGRESS: 'In Progress',
  COMPLETED_CLEANING_UP: 'Completed Cleaning Up',
  FAILED_CLEANING_UP: 'Failed Cleaning Up',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
};

export const TRIGGER_LABELS: Record<SnapshotTrigger, string> = { SCHEDULE: 'Schedule', MANUAL: 'Manual' };

/** A status or phase word of an event (`to`, `from`), or the word itself when it is neither. */
export function stateLabel(value: string): string {
  return (STATUS_LABELS as Record<string, string>)[value] ?? (PHASE_LABELS as Record<string, string>)[value] ?? value.replaceAll('_', ' ').toLowerCase();
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** An instant in the viewer's own time zone; `—` for none. */
export function formatTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

/** An instant as read in `timeZone`, with the zone's name. */
export function formatTimeIn(date: Date, timeZone: string): string {
  // dateStyle/timeStyle cannot be combined with timeZoneName: the parts are named one by one.
  const parts = { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' } as const;
  return new Intl.DateTimeFormat(undefined, { ...parts, timeZone }).format(date);
}

export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** `2 min 5 s`; `—` until it has both ends. */
export function formatDuration(start: string | null | undefined, end: string | null | undefined): string {
  if (!start || !end) return '—';
  return formatSeconds(Math.max(0, Math.round((Date.parse(end) - Date.parse(start)) / 1000)));
}

export function formatSeconds(total: number): string {
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const parts = [days && `${days} d`, hours && `${hours} h`, minutes && `${minutes} min`, (seconds || total === 0) && `${seconds} s`];
  return parts.filter(Boolean).slice(0, 2).join(' ');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatCount(count: number | null | undefined): string {
  return count === null || count === undefined ? '—' : count.toLocaleString();
}

interface RetentionFigures {
  keepLast?: number | null;
  keepHourly?: number | null;
  keepDaily?: number | null;
  keepWeekly?: number | null;
  keepMonthly?: number | null;
  keepYearly?: number | null;
  maxAgeSeconds?: number | null;
}

/** `last 7, daily 14, at most 30 d old`; `every good snapshot` when no rule is set. */
export function retentionSummary(retention: RetentionFigures): string {
  const rules = (
    [
      ['last', retention.keepLast],
      ['hourly', retention.keepHourly],
      ['daily', retention.keepDaily],
      ['weekly', retention.keepWeekly],
      ['monthly', retention.keepMonthly],
      ['yearly', retention.keepYearly],
    ] as const
  )
    .filter(([, count]) => count !== null && count !== undefined)
    .map(([rule, count]) => `${rule} ${count}`);
  const kept = rules.length > 0 ? `keeps ${rules.join(', ')}` : 'keeps every good snapshot';
  return retention.maxAgeSeconds ? `${kept}, at most ${formatSeconds(retention.maxAgeSeconds)} old` : kept;
}
