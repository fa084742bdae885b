import type { CombinedError } from '@urql/core';
import { errorCode } from '../client.ts';

/** What the console says in place of snapshot data the caller may not see. */
export const SNAPSHOTS_FORBIDDEN = 'Only project admins and platform admins can see snapshots.';

/** A failed request, in words: who may see it, that it does not exist, or what went wrong. */
export function ErrorNotice({ error, what, retry }: { error: CombinedError; what: string; retry?: () => void }) {
  const code = errorCode(error);
  const message =
    code === 'FORBIDDEN'
      ? SNAPSHOTS_FORBIDDEN
      : code === 'NOT_FOUND'
        ? `No ${what} with this id, or it is not in one of your projects.`
        : error.networkError
          ? `Could not reach vsnap: ${error.networkError.message}`
          : `Could not load the ${what}: ${error.graphQLErrors[0]?.message ?? error.message}${code ? ` (${code})` : ''}`;
  return (
    <div class={code === 'FORBIDDEN' ? 'notice' : 'notice error'} role={code === 'FORBIDDEN' ? 'note' : 'alert'} data-code={code}>
      <p>{message}</p>
      {retry && code !== 'FORBIDDEN' && code !== 'NOT_FOUND' && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** An id that names nothing the caller may see (vsnap answers null, as for one outside their projects). */
export function NotFoundNotice({ what }: { what: string }) {
  return (
    <div class="notice error" role="alert" data-code="NOT_FOUND">
      <p>No {what} with this id, or it is not in one of your projects.</p>
    </div>
  );
}
