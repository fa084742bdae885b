import { describe, expect, it } from 'vitest';
import { GivenObjects } from '../../src/kube/cluster-reader.ts';

/** Feeds pages of keys; returns the keys given (new), page by page, with a restart before any page marked 'restart'. */
function give(pages: (string[] | 'restart')[]): string[] {
  const given = new GivenObjects();
  const out: string[] = [];
  for (const page of pages) {
    if (page === 'restart') {
      given.restarted();
      continue;
    }
    for (const key of page) if (given.add(key)) out.push(key);
    given.endPage();
  }
  return out;
}

describe('GivenObjects', () => {
  it.each<[string, (string[] | 'restart')[], string[]]>([
    ['keys in order, over pages: each given', [['a/1', 'a/2'], ['b/1']], ['a/1', 'a/2', 'b/1']],
    ['a key repeated on the next page: given once', [['a/1', 'a/2'], ['a/2', 'b/1']], ['a/1', 'a/2', 'b/1']],
    ['a key repeated on the same page: given once', [['a/1', 'a/1', 'a/2']], ['a/1', 'a/2']],
    ['a server out of key order: every key once', [['b/1', 'a/1'], ['c/1', 'a/1', 'b/1', 'a/0']], ['b/1', 'a/1', 'c/1', 'a/0']],
    [
      'a restart: keys given before are skipped, new ones (before and after the last key) given',
      [['b/1', 'b/2'], ['c/1'], 'restart', ['a/9', 'b/1', 'b/2'], ['c/1', 'd/1']],
      ['b/1', 'b/2', 'c/1', 'a/9', 'd/1'],
    ],
    ['two restarts: the keys of both passes count', [['a/1'], 'restart', ['a/1', 'a/2'], 'restart', ['a/1', 'a/2', 'a/3']], ['a/1', 'a/2', 'a/3']],
    ['a key holding the page separator', [['a/x\ny', 'b/1'], ['a/x\ny', 'b/2']], ['a/x\ny', 'b/1', 'b/2']],
    ['a restart before anything was given', ['restart', ['a/1']], ['a/1']],
  ])('%s', (_label, pages, expected) => {
    expect(give(pages)).toEqual(expected);
  });
});
