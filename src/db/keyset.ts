/**
 * Keyset pagination: a page is "rows after (or before) this sort key", never an
 * OFFSET, so pages stay fast and stable while rows are added.
 */
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

/** Decodes a cursor made by encodeCursor, or returns undefined when it is not one. */
export function decodeCursor(cursor: string, arity: number): (string | number)[] | undefined {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === arity &&
      values.every((v) => typeof v === 'string' || typeof v === 'number')
    ) {
      return values;
    }
  } catch {
    // fall through: not a cursor of ours
  }
  return undefined;
}
