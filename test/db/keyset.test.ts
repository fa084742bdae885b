/** Keyset cursors: what encodeCursor makes, and cursorKey taking back exactly that and nothing else. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cursorKey, encodeCursor, type PageRequest } from '../../src/db/keyset.ts';
import { quoted, ValidationError } from '../../src/errors.ts';

/** A key like the cluster list's: a name and a UUID. */
const KEY = z.tuple([z.string().min(1), z.uuid()]);
const ID = '00000000-0000-4000-8000-000000000000';
const VALID = encodeCursor(['prod', ID]);

const page = (cursors: Pick<PageRequest, 'after' | 'before'>): PageRequest => ({ limit: 10, inverted: false, ...cursors });
const base64url = (text: string) => Buffer.from(text).toString('base64url');

describe('encodeCursor', () => {
  it('is the JSON of the sort key in base64url', () => {
    expect(encodeCursor(['prod', 3])).toBe('WyJwcm9kIiwzXQ');
    // base64url, never "+", "/" or "=": a cursor goes into URLs unescaped.
    expect(encodeCursor(['>>>?'])).toBe('WyI-Pj4_Il0');
  });
});

describe('cursorKey', () => {
  it.each([
    ['no cursor', {}],
    ['null cursors', { after: null, before: null }],
    ['empty cursors', { after: '', before: '' }],
  ])('reads %s as the start of the list', (_what, cursors) => {
    expect(cursorKey(page(cursors), KEY)).toBeUndefined();
  });

  it('gives the sort key of after, of before, and of after when both are given', () => {
    expect(cursorKey(page({ after: VALID }), KEY)).toEqual(['prod', ID]);
    expect(cursorKey(page({ before: encodeCursor(['test', ID]) }), KEY)).toEqual(['test', ID]);
    expect(cursorKey(page({ after: VALID, before: 'garbage' }), KEY)).toEqual(['prod', ID]);
    expect(cursorKey(page({ after: null, before: VALID }), KEY)).toEqual(['prod', ID]);
  });

  // Each cursor is wrong in one way only.
  it.each([
    ['not base64url JSON', 'not-a-cursor'],
    ['JSON that is cut off', base64url('["prod",')],
    ['one value short', encodeCursor(['prod'])],
    ['one value too many', encodeCursor(['prod', ID, 'x'])],
    ['an object for the name', base64url(JSON.stringify([{ name: 'prod' }, ID]))],
    ['an array for the id', base64url(JSON.stringify(['prod', [ID]]))],
    ['null for the name', base64url(JSON.stringify([null, ID]))],
    ['a number for the name', encodeCursor([7, ID])],
    ['an object instead of a list', base64url(JSON.stringify({ 0: 'prod', 1: ID }))],
    ['an id that is no UUID', encodeCursor(['prod', 'zz'])],
  ])('answers VALIDATION on the cursor given for %s', (_what, cursor) => {
    for (const field of ['after', 'before'] as const) {
      let thrown: unknown;
      try {
        cursorKey(page({ [field]: cursor }), KEY);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ValidationError);
      expect(thrown).toMatchObject({ code: 'VALIDATION', field, message: `${field}: ${quoted(cursor)} is not a cursor of this list` });
    }
  });

  it('repeats at most 64 characters of a long cursor', () => {
    const cursor = 'A'.repeat(100);
    expect(() => cursorKey(page({ after: cursor }), KEY)).toThrow(`after: "${'A'.repeat(64)}"… (100 characters) is not a cursor of this list`);
  });
});
