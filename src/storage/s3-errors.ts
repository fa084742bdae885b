import type { IncomingMessage } from 'node:http';
import {
  InvalidArgumentError,
  InvalidBucketNameError,
  InvalidEndpointError,
  InvalidObjectNameError,
  InvalidPortError,
  S3Error,
} from 'minio';
import { errorMessage, StorageError } from './errors.ts';
import type { RetryReason } from './retry.ts';

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

/** S3 codes of a request that may succeed if sent again. */
const TRANSIENT_CODES: Record<string, RetryReason> = {
  InternalError: 'server_error',
  OperationAborted: 'server_error',
  BadGateway: 'server_error',
  GatewayTimeout: 'timeout',
  RequestTimeout: 'timeout',
  ServiceUnavailable: 'throttled',
  SlowDown: 'throttled',
  // minio's name for a 503 without a body, and S3's for a 429.
  TooManyRequests: 'throttled',
};

/** Socket failures of a request that may succeed if sent again (the server restarting, a proxy dropping the connection). */
const TRANSIENT_NETWORK_CODES: Record<string, RetryReason> = {
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  ECONNABORTED: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  ECONNREFUSED: 'connection_refused',
  EHOSTUNREACH: 'connection_refused',
  ENETUNREACH: 'connection_refused',
  EAI_AGAIN: 'connection_refused',
};

/**
 * Why a failed S3 request may succeed when sent again, or undefined when it will
 * not: refused credentials or permissions, a missing bucket or upload, a bad
 * request. Only for requests that are safe to repeat (an UploadPart re-sends
 * the same bytes under the same part number, which replaces the part).
 */
export function transientS3Failure(error: unknown): RetryReason | undefined {
  const code = errorCode(error);
  if (!code) return undefined;
  if (error instanceof S3Error) return TRANSIENT_CODES[code];
  return isNetworkError(error) ? TRANSIENT_NETWORK_CODES[code] : undefined;
}

/** HTTP statuses minio turns into a plain "Retryable HTTP status" Error, its S3 code unread. */
export const RETRYABLE_ANSWERS = new Set([408, 429, 499, 500, 502, 503, 504, 520]);

/** The code an answer without an S3 error body (a HEAD, a proxy's page) is given, by status. */
const CODE_BY_STATUS: Record<number, string> = {
  408: 'RequestTimeout',
  429: 'TooManyRequests',
  499: 'RequestTimeout',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'SlowDown',
  504: 'GatewayTimeout',
  520: 'InternalError',
};

/** An S3 error document is a few hundred bytes; a proxy's error page is cut here. */
const MAX_ERROR_BODY = 64 * 1024;

/** Reads an error answer to its end (so the connection can be reused) and makes it the S3Error it reports. */
export async function readErrorAnswer(response: IncomingMessage): Promise<S3Error> {
  let body = '';
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (body.length < MAX_ERROR_BODY) body += chunk.toString('utf8');
    }
  } catch {
    // A body cut short still has its status.
  }
  const status = response.statusCode ?? 0;
  const field = (name: string) => new RegExp(`<${name}>([^<]{1,1024})</${name}>`).exec(body)?.[1];
  const code = field('Code') ?? CODE_BY_STATUS[status] ?? 'InternalError';
  const error = new S3Error(field('Message') ?? `HTTP ${status}`);
  return Object.assign(error, { code, statusCode: status });
}
