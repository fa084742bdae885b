/** Where a LOCAL location may point: one rule per input, and the absolute directory it stands for. */
import { describe, expect, it } from 'vitest';
import { isInside, localDirectoryPath, localDirectoryProblem } from '../../src/storage/local-directory.ts';

describe('localDirectoryProblem: one rule per input', () => {
  it.each([
    ['', undefined],
    ['team-a', undefined],
    ['team-a/daily_2026.v1', undefined],
    ['/etc', 'must be relative to LOCAL_STORAGE_ROOT, not an absolute path'],
    ['../etc', 'must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)'],
    ['a/../../etc', 'must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)'],
    ['daily\nbackups', 'must not contain control characters'],
    ['daily\u0000', 'must not contain control characters'],
    ['.hidden', 'must not have a component starting with "." (".hidden"): vsnap keeps its temporaries in dot-files'],
    ['a/./b', 'must not have a component starting with "." ("."): vsnap keeps its temporaries in dot-files'],
    ['a//b', 'must not contain empty components ("//", or "/" at either end)'],
    ['a/', 'must not contain empty components ("//", or "/" at either end)'],
    ['a b', 'may hold only letters, digits, ".", "_" and "-" in each component ("a b")'],
    ['a\\b', 'may hold only letters, digits, ".", "_" and "-" in each component ("a\\\\b")'],
    ['ä', 'may hold only letters, digits, ".", "_" and "-" in each component ("ä")'],
    ['x'.repeat(100), undefined],
    ['x'.repeat(101), 'must not have a component longer than 100 characters'],
    [Array.from({ length: 16 }, () => 'x'.repeat(15)).join('/'), undefined],
    // Only the whole is too long: every component is within its own limit.
    [['x'.repeat(100), 'x'.repeat(100), 'x'.repeat(54)].join('/'), 'must be at most 255 characters'],
    [['x'.repeat(100), 'x'.repeat(100), 'x'.repeat(53)].join('/'), undefined],
    ['..', 'must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)'],
    ['a/..', 'must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)'],
    ['a/.b', 'must not have a component starting with "." (".b"): vsnap keeps its temporaries in dot-files'],
    ['..a', 'must not have a component starting with "." ("..a"): vsnap keeps its temporaries in dot-files'],
    // Control characters: C0, DEL and C1; their neighbours are merely not allowed in a component.
    ['a\u001f', 'must not contain control characters'],
    ['a\u007f', 'must not contain control characters'],
    ['a\u009f', 'must not contain control characters'],
    ['a~', 'may hold only letters, digits, ".", "_" and "-" in each component ("a~")'],
    ['a\u00a0', 'may hold only letters, digits, ".", "_" and "-" in each component ("a\u00a0")'],
    // A control character makes even an absolute path a control-character problem.
    ['/a\nb', 'must not contain control characters'],
    // The component pattern's anchors alone.
    ['team$', 'may hold only letters, digits, ".", "_" and "-" in each component ("team$")'],
    ['$team', 'may hold only letters, digits, ".", "_" and "-" in each component ("$team")'],
  ])('%j → %s', (directory, problem) => {
    expect(localDirectoryProblem(directory)).toBe(problem);
  });
});

describe('localDirectoryPath', () => {
  it('joins a relative directory to the root', () => {
    expect(localDirectoryPath('/srv/vsnap', '')).toBe('/srv/vsnap');
    expect(localDirectoryPath('/srv/vsnap', 'team-a/daily')).toBe('/srv/vsnap/team-a/daily');
  });

  it('accepts a legacy absolute directory only inside the root, normalized', () => {
    expect(localDirectoryPath('/srv/vsnap', '/srv/vsnap/old/')).toBe('/srv/vsnap/old');
    expect(localDirectoryPath('/srv/vsnap', '/srv/vsnap/a/../old')).toBe('/srv/vsnap/old');
    expect(localDirectoryPath('/srv/vsnap', '/srv/vsnap')).toBe('/srv/vsnap');
    for (const outside of ['/srv/vsnap-other', '/srv/vsnap/../etc', '/etc', '/srv']) {
      expect(() => localDirectoryPath('/srv/vsnap', outside)).toThrow(
        expect.objectContaining({
          reason: 'refused',
          message: `storage refused: legacy directory ${JSON.stringify(outside)} is outside LOCAL_STORAGE_ROOT (/srv/vsnap); move its archives under /srv/vsnap and set the location's directory relative to it`,
        }),
      );
    }
  });

  it('refuses a directory that breaks a rule as an invalid target, naming the rule', () => {
    expect(() => localDirectoryPath('/srv/vsnap', '../etc')).toThrow(
      expect.objectContaining({ reason: 'invalid', message: 'storage target invalid: directory "../etc" must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)' }),
    );
    // Even inside the root, an absolute path with a control character is not taken as a legacy directory.
    expect(() => localDirectoryPath('/srv/vsnap', '/srv/vsnap/a\nb')).toThrow(
      expect.objectContaining({ reason: 'invalid', message: 'storage target invalid: directory "/srv/vsnap/a\\nb" must not contain control characters' }),
    );
  });
});

describe('isInside', () => {
  it.each([
    ['/srv/vsnap', true],
    ['/srv/vsnap/a', true],
    ['/srv/vsnap/a/b', true],
    // A name that merely starts with two dots is inside.
    ['/srv/vsnap/..a', true],
    ['/srv', false],
    ['/srv/vsnap-other', false],
    ['/srv/vsnapx/a', false],
    ['/etc', false],
    ['/', false],
  ])('%s is inside /srv/vsnap: %s', (target, inside) => {
    expect(isInside('/srv/vsnap', target)).toBe(inside);
  });
});
