/**
 * `npm run test:mutation [group...]`: StrykerJS on vsnap's core modules, one module group at a
 * time so each group runs only the tests that state its behaviour. Reports go to
 * reports/mutation/<group>/; the score of every group is printed at the end.
 */
import { Stryker } from '@stryker-mutator/core';
import type { MutantResult, PartialStrykerOptions } from '@stryker-mutator/api/core';

interface Group {
  /** Files mutated. */
  mutate: string[];
  /** The tests that state their behaviour. */
  tests: string[];
}

export const GROUPS: Record<string, Group> = {
  lifecycle: { mutate: ['src/snapshots/lifecycle.ts'], tests: ['test/snapshots/lifecycle.test.ts', 'test/snapshots/transitions.test.ts'] },
  'retention-policy': {
    mutate: ['src/snapshots/retention-policy.ts', 'src/snapshots/retention-calendar.ts'],
    tests: ['test/snapshots/retention-policy.test.ts', 'test/snapshots/retention-calendar.test.ts', 'test/snapshots/retention-properties.test.ts'],
  },
  keyset: { mutate: ['src/db/keyset.ts'], tests: ['test/clusters/clusters.test.ts', 'test/snapshots/snapshots.test.ts'] },
  'cluster-input': { mutate: ['src/clusters/input.ts'], tests: ['test/clusters/clusters.test.ts'] },
  tokens: { mutate: ['src/auth/tokens.ts'], tests: ['test/server/http.test.ts'] },
  'volume-plan': { mutate: ['src/kube/volume-plan.ts'], tests: ['test/kube-volumes/volume-rules.test.ts', 'test/kube-volumes/volume-snapshots.test.ts'] },
  'local-store': { mutate: ['src/storage/local.ts'], tests: ['test/storage/local.test.ts'] },
  admission: { mutate: ['src/kube/admission.ts'], tests: ['test/kube-reader/admission.test.ts'] },
  egress: { mutate: ['src/kube/egress.ts'], tests: ['test/kube-reader/egress.test.ts', 'test/kube-reader/connect.test.ts'] },
};

const MINIMUM_SCORE = 90;

function scoreOf(results: readonly MutantResult[]): { score: number; killed: number; valid: number; survived: MutantResult[] } {
  const valid = results.filter((r) => r.status !== 'CompileError' && r.status !== 'RuntimeError' && r.status !== 'Ignored');
  const killed = valid.filter((r) => r.status === 'Killed' || r.status === 'Timeout').length;
  return { score: valid.length ? (100 * killed) / valid.length : 100, killed, valid: valid.length, survived: valid.filter((r) => r.status === 'Survived' || r.status === 'NoCoverage') };
}

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in GROUPS));
if (unknown.length) {
  console.error(`unknown group(s): ${unknown.join(', ')}; groups: ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
const names = requested.length ? requested : Object.keys(GROUPS);
const scores: { group: string; score: number; killed: number; valid: number }[] = [];
for (const group of names) {
  const { mutate, tests } = GROUPS[group]!;
  process.env.VSNAP_TEST_FILES = tests.join(',');
  const options: PartialStrykerOptions = {
    configFile: 'stryker.config.json',
    mutate,
    htmlReporter: { fileName: `reports/mutation/${group}/index.html` },
    jsonReporter: { fileName: `reports/mutation/${group}/mutation.json` },
  };
  const results = await new Stryker(options).runMutationTest();
  const { score, killed, valid } = scoreOf(results);
  scores.push({ group, score, killed, valid });
}

process.stdout.write('\nmutation score per group (killed + timeout over valid mutants):');
for (const { group, score, killed, valid } of scores) {
  process.stdout.write(`  ${group.padEnd(18)} ${score.toFixed(1).padStart(5)}%  (${killed}/${valid})${score < MINIMUM_SCORE ? `  below ${MINIMUM_SCORE}%` : ''}\n`);
}
process.exitCode = scores.every((s) => s.score >= MINIMUM_SCORE) ? 0 : 1;
