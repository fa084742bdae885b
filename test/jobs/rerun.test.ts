/** Rerun: a task at most once at a time, asked again while it runs → exactly one more run, then `after` once. */
import { expect, it } from 'vitest';
import { Rerun } from '../../src/jobs/rerun.ts';

it('runs at once; asked three times while running, runs once more; every caller waits for that run; after runs once', async () => {
  const log: string[] = [];
  let release!: () => void;
  let runs = 0;
  const rerun = new Rerun(
    async () => {
      runs += 1;
      log.push(`run ${runs}`);
      if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
    },
    () => void log.push('after'),
  );
  expect(rerun.current).toBeUndefined();
  const first = rerun.run();
  expect(rerun.current).toBe(first);
  const asked = [rerun.run(), rerun.run(), rerun.run()];
  for (const promise of asked) expect(promise).toBe(first);
  release();
  await Promise.all([first, ...asked]);
  expect(log).toEqual(['run 1', 'run 2', 'after']);
  expect(rerun.current).toBeUndefined();

  await rerun.run();
  expect(log).toEqual(['run 1', 'run 2', 'after', 'run 3', 'after']);
});
