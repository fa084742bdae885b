/**
 * Errors the services raise for bad requests. The GraphQL edge turns each into
 * an error with `extensions.code` (and `extensions.field` where one is to blame).
 */
export type ErrorCode = 'VALIDATION' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'STORAGE_UNAVAILABLE';

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION';
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
}

/** The storage backend refused or could not be reached; nothing was changed. */
export class StorageUnavailableError extends DomainError {
  readonly code = 'STORAGE_UNAVAILABLE';
}

/** An error's message, whatever was thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Longest piece of caller input an error message repeats; the rest is cut, so a 5 MB id is not echoed back. */
export const ECHO_LIMIT = 64;

/**
 * Caller input as an error message shows it: JSON-quoted (so control characters
 * and quotes cannot forge a message) and cut to `limit` characters.
 */
export function quoted(input: string, limit = ECHO_LIMIT): string {
  const characters = Array.from(input);
  if (characters.length <= limit) return JSON.stringify(input);
  return `${JSON.stringify(characters.slice(0, limit).join(''))}… (${characters.length} characters)`;
}
