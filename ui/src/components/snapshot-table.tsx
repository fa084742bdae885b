/** A cluster's snapshots: one row each, status as a word, progress while In Progress. */
import { useState } from 'preact/hooks';
import { formatBytes, formatCount, formatDuration, formatTime, TRIGGER_LABELS } from '../format.ts';
import type { SnapshotRowFieldsFragment } from '../gql/graphql.ts';
import { Link, paths } from '../router.tsx';
import { SnapshotProgressBars } from './progress.tsx';
import { StatusBadge } from './status.tsx';

export type SnapshotRow = SnapshotRowFieldsFragment;

export function SnapshotTable({ rows }: { rows: readonly SnapshotRow[] }) {
  if (rows.length === 0) return <p>No snapshots yet.</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Scrollable table">
      <table class="snapshots stack">
        <caption class="sr-only">Snapshots, newest first; times in your time zone</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Trigger</th>
            <th scope="col">Scheduled</th>
            <th scope="col">Started</th>
            <th scope="col">Finished</th>
            <th scope="col">Duration</th>
            <th scope="col">Size</th>
            <th scope="col">Objects</th>
            <th scope="col">SHA-256</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} data-snapshot={row.name}>
              <th scope="row" data-label="Name">
                <Link href={paths.snapshot(row.id)}>{row.name}</Link>
              </th>
              <td data-label="Status" class="status">
                <span>
                  <StatusBadge status={row.status} />
                  {row.status === 'IN_PROGRESS' && row.progress && <SnapshotProgressBars progress={row.progress} compact />}
                </span>
              </td>
              <td data-label="Trigger">{TRIGGER_LABELS[row.trigger]}</td>
              <td data-label="Scheduled">{formatTime(row.scheduledAt)}</td>
              <td data-label="Started">{formatTime(row.startedAt)}</td>
              <td data-label="Finished">{formatTime(row.finishedAt)}</td>
              <td data-label="Duration">{formatDuration(row.startedAt, row.finishedAt)}</td>
              <td data-label="Size">{formatBytes(row.sizeBytes)}</td>
              <td data-label="Objects">{formatCount(row.objectCount)}</td>
              <td data-label="SHA-256">{row.sha256 ? <Sha256 value={row.sha256} /> : '—'}</td>
              <td data-label="Message" class="message">{row.message ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The first characters of a checksum and a button that copies all of it. */
export function Sha256({ value }: { value: string }) {
  const [copied, setCopied] = useState<string>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied');
    } catch {
      setCopied('Copy refused by the browser: select the checksum instead');
    }
  };
  return (
    <span class="sha">
      <code title={value}>{value.slice(0, 12)}…</code>{' '}
      <button type="button" class="small" onClick={copy} aria-label={`Copy SHA-256 ${value}`}>
        Copy
      </button>
      <span role="status" class="help">
        {copied ?? ''}
      </span>
    </span>
  );
}
