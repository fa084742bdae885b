/**
 * Keyset pagination: a page is "rows after (or before) this sort key", never an
 * OFFSET, so pages stay fast and stable while rows are added.
 */
import type { z } from 'zod';
import { quoted, ValidationError } from '../errors.ts';

export interface PageRequest {
  /** Opaque cursor of the row to start after, in the direction being read. */
  after?: string | null;
  before?: string | null;
  limit: number;
  /** Read from the end (for `last`): the caller reverses the result. */
  inverted: boolean;
}

export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * The sort key the page starts from, or undefined without a cursor. `key` says exactly
 * what the list's cursors hold (e.g. a name and a UUID): anything else — a cursor of
 * another list, one edited by hand — is VALIDATION on `after` / `before` and never
 * reaches a query (where Postgres' casts would fail on it).
 */
export function cursorKey<T>(page: PageRequest, key: z.ZodType<T>): T | undefined {
  const field = page.after ? 'after' : page.before ? 'before' : undefined;
  const cursor = page.after ?? page.before;
  if (!field || !cursor) return undefined;
  const parsed = key.safeParse(decodeJson(cursor));
  if (!parsed.success) throw new ValidationError(`${field}: ${quoted(cursor)} is not a cursor of this list`, field);
  return parsed.data;
}

function decodeJson(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
