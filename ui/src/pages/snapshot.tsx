/** The Snapshot View page: one snapshot, its progress, volume snapshots and events, all live. */
import { useMutation, useQuery, useSubscription } from '@urql/preact';
import { useRef, useState } from 'preact/hooks';
import { errorCode } from '../client.ts';
import { ErrorNotice, NotFoundNotice } from '../components/errors.tsx';
import { SnapshotProgressBars } from '../components/progress.tsx';
import { Sha256 } from '../components/snapshot-table.tsx';
import { PhaseBadge, StatusBadge } from '../components/status.tsx';
import { formatBytes, formatCount, formatDuration, formatTime, stateLabel, TRIGGER_LABELS } from '../format.ts';
import type { ConsoleSnapshotUpdatedSubscription, SnapshotDetailFieldsFragment } from '../gql/graphql.ts';
import { DeleteSnapshotMutation, SnapshotQuery, SnapshotUpdatedSubscription } from '../operations.ts';
import { Link, navigate, paths } from '../router.tsx';

type Detail = SnapshotDetailFieldsFragment;

export function SnapshotPage({ id }: { id: string }) {
  const [result, refetch] = useQuery({ query: SnapshotQuery, variables: { id } });
  const [deleted, setDeleted] = useState(false);
  // snapshotUpdated sends the snapshot at once, then after every change; it completes once the snapshot is deleted.
  const [live] = useSubscription({ query: SnapshotUpdatedSubscription, variables: { id }, pause: !result.data?.snapshot || deleted }, (_: unknown, data: ConsoleSnapshotUpdatedSubscription) => data);
  const snapshot = live.data?.snapshotUpdated ?? result.data?.snapshot;

  if (result.error && !result.data?.snapshot) return <ErrorNotice error={result.error} what="snapshot" retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!result.data) return <p aria-busy="true">Loading…</p>;
  if (!snapshot) return <NotFoundNotice what="snapshot" />;

  return (
    <article aria-labelledby="snapshot-title">
      <p class="crumbs">
        <Link href={paths.clusters()}>Virtual clusters</Link> / <Link href={paths.cluster(snapshot.virtualCluster.id)}>{snapshot.virtualCluster.name}</Link>
      </p>
      <h1 id="snapshot-title" class="mono">
        {snapshot.name}
      </h1>
      <p class="headline">
        <StatusBadge status={snapshot.status} />
        {deleted && <span class="notice warning"> Deleted.</span>}
      </p>
      {snapshot.status === 'IN_PROGRESS' && (
        <section aria-labelledby="progress-title">
          <h2 id="progress-title">Progress</h2>
          {snapshot.progress ? <SnapshotProgressBars progress={snapshot.progress} /> : <p>Starting…</p>}
        </section>
      )}
      <Facts snapshot={snapshot} />
      <Volumes snapshot={snapshot} />
      <Timeline snapshot={snapshot} />
      {!deleted && <DeleteSnapshot snapshot={snapshot} onDeleted={() => setDeleted(true)} />}
    </article>
  );
}

function Facts({ snapshot }: { snapshot: Detail }) {
  return (
    <section aria-labelledby="facts-title">
      <h2 id="facts-title">Details</h2>
      <dl class="facts">
        <dt>Trigger</dt>
        <dd>{TRIGGER_LABELS[snapshot.trigger]}</dd>
        <dt>Scheduled</dt>
        <dd>{formatTime(snapshot.scheduledAt)}</dd>
        <dt>Started</dt>
        <dd>{formatTime(snapshot.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(snapshot.finishedAt)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(snapshot.startedAt, snapshot.finishedAt)}</dd>
        <dt>Size</dt>
        <dd>{formatBytes(snapshot.sizeBytes)}</dd>
        <dt>Objects</dt>
        <dd>{formatCount(snapshot.objectCount)}</dd>
        <dt>SHA-256</dt>
        <dd>{snapshot.sha256 ? <Sha256 value={snapshot.sha256} /> : '—'}</dd>
        <dt>Storage location</dt>
        <dd>{snapshot.storageLocation ?? '—'}</dd>
        <dt>Integrity</dt>
        <dd>
          {snapshot.integrity.toLowerCase()}
          {snapshot.verifiedAt ? `, checked ${formatTime(snapshot.verifiedAt)}` : ''}
        </dd>
        <dt>Message</dt>
        <dd class="message">{snapshot.message ?? '—'}</dd>
        {snapshot.skippedResources.length > 0 && (
          <>
            <dt>Not archived</dt>
            <dd>{snapshot.skippedResources.map((r) => `${r.group ? `${r.group}/` : ''}${r.resource}: ${r.reason}`).join('; ')}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

function Volumes({ snapshot }: { snapshot: Detail }) {
  return (
    <section aria-labelledby="volumes-title">
      <h2 id="volumes-title">Volume snapshots</h2>
      {snapshot.volumeSnapshots.length === 0 ? (
        <p>{snapshot.volumeSnapshotsEnabled ? 'None: no PersistentVolumeClaims were found (yet).' : 'Volume snapshots are off for this snapshot.'}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Scrollable table">
          <table class="volumes stack">
            <caption class="sr-only">Volume snapshots of {snapshot.name}</caption>
            <thead>
              <tr>
                <th scope="col">PersistentVolumeClaim</th>
                <th scope="col">Phase</th>
                <th scope="col">Driver</th>
                <th scope="col">Class</th>
                <th scope="col">Size</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {snapshot.volumeSnapshots.map((volume) => (
                <tr key={volume.id} data-pvc={`${volume.namespace}/${volume.pvcName}`}>
                  <th scope="row" data-label="PersistentVolumeClaim" class="mono">
                    {volume.namespace}/{volume.pvcName}
                  </th>
                  <td data-label="Phase">
                    <PhaseBadge phase={volume.phase} />
                  </td>
                  <td data-label="Driver">{volume.driver ?? '—'}</td>
                  <td data-label="Class">{volume.volumeSnapshotClass ?? '—'}</td>
                  <td data-label="Size">{formatBytes(volume.restoreSizeBytes)}</td>
                  <td data-label="Message" class="message">{volume.message ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Timeline({ snapshot }: { snapshot: Detail }) {
  const volumes = new Map(snapshot.volumeSnapshots.map((v) => [v.id, `${v.namespace}/${v.pvcName}`]));
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <ol class="timeline">
        {snapshot.events.map((event) => (
          <li key={event.cursor} data-kind={event.kind}>
            <time dateTime={event.at}>{formatTime(event.at)}</time>{' '}
            <span>
              {event.subject === 'VOLUME_SNAPSHOT' ? `Volume ${volumes.get(event.volumeSnapshotId ?? '') ?? ''}: ` : ''}
              {event.from ? `${stateLabel(event.from)} → ${stateLabel(event.to)}` : `created ${stateLabel(event.to)}`}
            </span>
            {event.message && <span class="message"> — {event.message}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Delete, after the admin confirms in a dialog (Escape or Cancel keeps the snapshot). */
function DeleteSnapshot({ snapshot, onDeleted }: { snapshot: Detail; onDeleted(): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [state, remove] = useMutation(DeleteSnapshotMutation);
  const [problem, setProblem] = useState<string>();
  const confirm = async () => {
    const response = await remove({ id: snapshot.id });
    dialog.current?.close();
    if (response.data) {
      onDeleted();
      navigate(paths.cluster(snapshot.virtualCluster.id));
    } else {
      const code = errorCode(response.error);
      setProblem(`Could not delete: ${response.error?.graphQLErrors[0]?.message ?? response.error?.message}${code ? ` (${code})` : ''}`);
    }
  };
  return (
    <section aria-labelledby="delete-title" class="danger">
      <h2 id="delete-title">Delete</h2>
      <button type="button" class="danger" onClick={() => dialog.current?.showModal()}>
        Delete snapshot…
      </button>
      {problem && (
        <p class="notice error" role="alert">
          {problem}
        </p>
      )}
      <dialog ref={dialog} aria-labelledby="confirm-title">
        <h2 id="confirm-title">Delete {snapshot.name}?</h2>
        <p>The archive is removed from storage, then the record. This cannot be undone.</p>
        <div class="actions">
          <button type="button" class="danger" onClick={confirm} disabled={state.fetching}>
            Delete
          </button>
          <button type="button" class="secondary" onClick={() => dialog.current?.close()} autoFocus>
            Cancel
          </button>
        </div>
      </dialog>
    </section>
  );
}
