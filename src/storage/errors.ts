import { quoted } from '../errors.ts';

/**
 * Why a storage operation failed. The engine writes `message` into a FAILED
 * snapshot as is, so each reason starts it with words an operator can act on.
 */
export type StorageFailure =
  /** The backend answered and said no: missing bucket, bad credentials, no permission, no space. */
  | 'refused'
  /** The backend could not be reached at all: connection refused, DNS, reset, timeout. */
  | 'unreachable'
  /** The named object does not exist (read only; stat answers null instead). */
  | 'missing'
  /** The archive stream being written failed; `cause` holds its error. */
  | 'source'
  /** The caller's AbortSignal fired during a write. */
  | 'cancelled'
  /** A storage target, object name or upload id that no backend could accept. */
  | 'invalid'
  /** Anything else the backend reported (server errors, unexpected answers). */
  | 'failed';

const PREFIX: Record<StorageFailure, string> = {
  refused: 'storage refused',
  unreachable: 'storage unreachable',
  missing: 'storage object missing',
  source: 'archive stream failed',
  cancelled: 'upload cancelled',
  invalid: 'storage target invalid',
  failed: 'storage failed',
};

export class StorageError extends Error {
  constructor(
    readonly reason: StorageFailure,
    /** The message without its reason prefix. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${PREFIX[reason]}: ${detail}`, options);
    this.name = 'StorageError';
  }
}

/**
 * What a project admin may read of a storage failure: the location's name and
 * the kind of failure. Bucket, endpoint, directory and credential source are
 * the operator's business and go to the log with the full error.
 */
export function storageFailureForTenant(error: StorageError, locationName: string): string {
  return `${PREFIX[error.reason]} at storage location ${quoted(locationName)}; the operator's log has the details`;
}

export { errorMessage } from '../errors.ts';
