/**
 * Errors the services raise for bad requests. The GraphQL edge turns each into
 * an error with `extensions.code` (and `extensions.field` where one is to blame).
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'STORAGE_UNAVAILABLE'
  | 'CURSOR_EXPIRED';

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

/**
 * Events after the cursor may have been pruned by event-log retention: refetch, then
 * subscribe anew (Kubernetes' 410 Gone).
 */
export class CursorExpiredError extends DomainError {
  readonly code = 'CURSOR_EXPIRED';
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

/** Longest error message the API sends, whoever wrote it: a backstop behind quoted(). */
export const MESSAGE_LIMIT = 1024;

/**
 * An error message fit to leave the API: every JSON string literal in it (how graphql-js
 * and quoted() show values) longer than ECHO_LIMIT is cut as quoted() cuts it, and the
 * whole is cut at MESSAGE_LIMIT. For messages we did not write (graphql-js repeats a
 * refused variable value in full); quoted() output passes unchanged.
 */
export function boundedMessage(message: string): string {
  let capped = '';
  let from = 0;
  // A scan, not a regular expression: a literal of several MB overflows the regexp engine's stack.
  for (let open = message.indexOf('"'); open !== -1; open = message.indexOf('"', from)) {
    const close = closingQuote(message, open);
    if (close === -1) break;
    const literal = message.slice(open, close + 1);
    const text = close - open - 1 > ECHO_LIMIT ? parseJsonString(literal) : undefined;
    capped += message.slice(from, open) + (text !== undefined && Array.from(text).length > ECHO_LIMIT ? quoted(text) : literal);
    from = close + 1;
  }
  capped += message.slice(from);
  if (capped.length <= MESSAGE_LIMIT) return capped;
  const characters = Array.from(capped);
  return characters.length <= MESSAGE_LIMIT ? capped : `${characters.slice(0, MESSAGE_LIMIT).join('')}… (message cut)`;
}

/** Index of the quote that ends the literal opened at `open`, skipping escaped characters; -1 if none. */
function closingQuote(message: string, open: number): number {
  for (let index = open + 1; index < message.length; index++) {
    if (message[index] === '\\') index++;
    else if (message[index] === '"') return index;
  }
  return -1;
}

function parseJsonString(literal: string): string | undefined {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a piece of caller text cannot be stored as it is, or undefined: Postgres refuses NUL
 * in text (an internal error otherwise), and a lone surrogate would be stored as U+FFFD.
 */
export function textProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'must not contain NUL characters';
  if (!text.isWellFormed()) return 'must be well-formed Unicode (it has a lone surrogate)';
  return undefined;
}
