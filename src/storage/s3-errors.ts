import {
  InvalidArgumentError,
  InvalidBucketNameError,
  InvalidEndpointError,
  InvalidObjectNameError,
  InvalidPortError,
  S3Error,
} from 'minio';
import { errorMessage, StorageError } from './errors.ts';

/** What a failed S3 call was about, for messages an operator can act on. */
export interface S3Context {
  endpoint: string;
  bucket: string;
  /** `s3://bucket/prefix[/name]` */
  location: string;
  /** Where the credentials come from, for a refusal to name; default the S3_* variables. */
  credentials?: string;
}

const CREDENTIAL_CODES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidSecurity',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
]);

/** Server-side trouble: the request may succeed later, but this one failed. */
const SERVER_CODES = new Set(['InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout', 'OperationAborted']);

const NOT_FOUND_CODES = new Set(['NotFound', 'NoSuchKey']);

/** Errors minio raises before sending anything: the request itself cannot be made. */
const CLIENT_SIDE_ERRORS = [
  InvalidBucketNameError,
  InvalidObjectNameError,
  InvalidEndpointError,
  InvalidPortError,
  InvalidArgumentError,
];

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof S3Error && NOT_FOUND_CODES.has(errorCode(error) ?? '');
}

export function isNoSuchUpload(error: unknown): boolean {
  return error instanceof S3Error && errorCode(error) === 'NoSuchUpload';
}

/** Network-level failures carry a Node system error code; TLS failures a certificate or TLS code. */
function isNetworkError(error: unknown): boolean {
  if (error instanceof S3Error) return false;
  const code = errorCode(error);
  if (!code) return false;
  return (error as { syscall?: unknown }).syscall !== undefined || /^(E[A-Z]+|UND_ERR_|ERR_TLS_|ERR_SSL_)|CERT/.test(code);
}

/** Turns whatever minio threw into a StorageError whose message says what to fix. */
export function storageErrorFromS3(error: unknown, context: S3Context): StorageError {
  if (error instanceof StorageError) return error;
  const code = errorCode(error);
  const detail = code ? `${code}: ${errorMessage(error)}` : errorMessage(error);
  if (isNetworkError(error)) {
    return new StorageError('unreachable', `cannot reach ${context.endpoint} (${detail})`, { cause: error });
  }
  if (CLIENT_SIDE_ERRORS.some((type) => error instanceof type)) {
    return new StorageError('invalid', `${context.location}: ${errorMessage(error)}`, { cause: error });
  }
  if (!(error instanceof S3Error) || !code) {
    return new StorageError('failed', `${context.location}: ${errorMessage(error)}`, { cause: error });
  }
  if (code === 'NoSuchBucket') {
    return new StorageError('refused', `bucket "${context.bucket}" does not exist at ${context.endpoint} (${detail})`, {
      cause: error,
    });
  }
  if (CREDENTIAL_CODES.has(code)) {
    return new StorageError(
      'refused',
      `access to ${context.location} denied; check ${context.credentials ?? 'S3_ACCESS_KEY, S3_SECRET_KEY'} and the bucket policy (${detail})`,
      { cause: error },
    );
  }
  if (NOT_FOUND_CODES.has(code)) return new StorageError('missing', context.location, { cause: error });
  if (SERVER_CODES.has(code)) return new StorageError('failed', `${context.location}: ${detail}`, { cause: error });
  return new StorageError('refused', `${context.location}: ${detail}`, { cause: error });
}
