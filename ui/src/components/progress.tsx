import { formatBytes, formatCount } from '../format.ts';
import type { SnapshotRowFieldsFragment } from '../gql/graphql.ts';

type Progress = NonNullable<SnapshotRowFieldsFragment['progress']>;

/** How far a snapshot being taken has got: resource types listed, objects and bytes written, volumes done. */
export function SnapshotProgressBars({ progress, compact = false }: { progress: Progress; compact?: boolean }) {
  const types = `${progress.resourceTypesDone} of ${progress.resourceTypesTotal || '?'} resource types`;
  if (compact) {
    return (
      <span class="progress compact">
        <progress value={progress.resourceTypesDone} max={progress.resourceTypesTotal || 1} aria-label={`Progress: ${types}`} />
        <span class="help">
          {formatCount(progress.objectsWritten)} objects, {formatBytes(progress.bytesWritten)}
        </span>
      </span>
    );
  }
  return (
    <dl class="progress">
      <dt id="progress-types">Resource types</dt>
      <dd>
        <progress value={progress.resourceTypesDone} max={progress.resourceTypesTotal || 1} aria-labelledby="progress-types" data-progress="types" /> {types}
      </dd>
      <dt>Objects written</dt>
      <dd data-progress="objects">{formatCount(progress.objectsWritten)}</dd>
      <dt>Bytes written</dt>
      <dd data-progress="bytes">{formatBytes(progress.bytesWritten)}</dd>
      <dt id="progress-volumes">Volumes</dt>
      <dd>
        {progress.volumesTotal > 0 ? (
          <>
            <progress value={progress.volumesDone} max={progress.volumesTotal} aria-labelledby="progress-volumes" data-progress="volumes" /> {progress.volumesDone} of{' '}
            {progress.volumesTotal} done
          </>
        ) : (
          'none planned'
        )}
      </dd>
    </dl>
  );
}
