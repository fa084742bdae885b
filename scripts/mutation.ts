/**
 * `npm run test:mutation [group...]`: StrykerJS on vsnap's core modules, one module group at a
 * time so each group runs only the tests that state its behaviour (scripts/mutation-groups.ts).
 * Reports go to reports/mutation/<group>/; the score of every group is printed at the end, and
 * the run fails when one is below 90%.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PartialStrykerOptions } from '@stryker-mutator/api/core';
import { Stryker } from '@stryker-mutator/core';
import { EQUIVALENT, GROUPS, type Equivalent } from './mutation-groups.ts';

const MINIMUM_SCORE = 90;
/** Written per group (git-ignored). */
const CHECKER_TSCONFIG = 'tsconfig.mutation.json';

interface ReportedMutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: ReportedMutant[] }>;
}

interface Score {
  group: string;
  score: number;
  killed: number;
  /** Valid mutants (compiled, ran), listed equivalents left out. */
  counted: number;
  equivalent: number;
  seconds: number;
}

/** The text a mutant replaced (report positions are 1-based). */
function original(source: string, { start, end }: ReportedMutant['location']): string {
  const lines = source.split('\n');
  const offset = (p: { line: number; column: number }) => lines.slice(0, p.line - 1).reduce((sum, line) => sum + line.length + 1, 0) + p.column - 1;
  return source.slice(offset(start), offset(end));
}

function matches(entry: Equivalent, file: string, source: string, mutant: ReportedMutant): boolean {
  if (entry.file !== file || entry.mutator !== mutant.mutatorName || entry.replacement !== mutant.replacement) return false;
  const line = source.split('\n')[mutant.location.start.line - 1] ?? '';
  return original(source, mutant.location) === entry.original && line.includes(entry.line);
}

/** Reads the group's JSON report: the score, and what is wrong with the equivalents listed for it. */
function scoreReport(group: string, seconds: number): { score: Score; warnings: string[] } {
  const report = JSON.parse(fs.readFileSync(`reports/mutation/${group}/mutation.json`, 'utf8')) as Report;
  const warnings: string[] = [];
  let killed = 0;
  let counted = 0;
  let equivalent = 0;
  const used = new Set<Equivalent>();
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const relative = path.relative(process.cwd(), path.resolve(file));
    for (const mutant of mutants) {
      if (['CompileError', 'RuntimeError', 'Ignored'].includes(mutant.status)) continue;
      const listed = EQUIVALENT.find((entry) => matches(entry, relative, source, mutant));
      if (listed) {
        used.add(listed);
        if (mutant.status === 'Killed' || mutant.status === 'Timeout') {
          warnings.push(`${relative}:${mutant.location.start.line} is listed as equivalent but was killed: remove it from EQUIVALENT`);
        } else {
          equivalent += 1;
          continue;
        }
      }
      counted += 1;
      if (mutant.status === 'Killed' || mutant.status === 'Timeout') killed += 1;
    }
  }
  const mutated = new Set(GROUPS[group]!.mutate);
  for (const entry of EQUIVALENT) {
    if (mutated.has(entry.file) && !used.has(entry)) warnings.push(`listed equivalent ${entry.file} "${entry.original}" -> "${entry.replacement}" (${entry.mutator}) no longer found`);
  }
  return { score: { group, score: counted ? (100 * killed) / counted : 100, killed, counted, equivalent, seconds }, warnings };
}

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in GROUPS));
if (unknown.length) {
  console.error(`unknown group(s): ${unknown.join(', ')}; groups: ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
const names = requested.length ? requested : Object.keys(GROUPS);
const scores: Score[] = [];
const warnings: string[] = [];
for (const group of names) {
  const { mutate, tests } = GROUPS[group]!;
  const started = Date.now();
  process.env.VSNAP_TEST_FILES = tests.join(',');
  // The checker compiles the mutated files alone: against the whole project every mutant of a
  // module imported everywhere re-checks its dependents (lifecycle.ts: 18 minutes for 94 mutants).
  // A mutant that breaks only a dependent's types is then valid, and the tests must kill it.
  fs.writeFileSync(CHECKER_TSCONFIG, `${JSON.stringify({ extends: './tsconfig.json', include: [], files: mutate }, null, 2)}\n`);
  const options: PartialStrykerOptions = {
    configFile: 'stryker.config.json',
    tsconfigFile: CHECKER_TSCONFIG,
    mutate,
    htmlReporter: { fileName: `reports/mutation/${group}/index.html` },
    jsonReporter: { fileName: `reports/mutation/${group}/mutation.json` },
  };
  await new Stryker(options).runMutationTest();
  const scored = scoreReport(group, Math.round((Date.now() - started) / 1000));
  scores.push(scored.score);
  warnings.push(...scored.warnings);
}
fs.rmSync(CHECKER_TSCONFIG, { force: true });

process.stdout.write('\nmutation score per group (killed + timeout over valid mutants; mutants listed as equivalent left out):\n');
for (const { group, score, killed, counted, equivalent, seconds } of scores) {
  const listed = equivalent ? `, ${equivalent} equivalent` : '';
  const below = score < MINIMUM_SCORE ? `  below ${MINIMUM_SCORE}%` : '';
  process.stdout.write(`  ${group.padEnd(18)} ${score.toFixed(1).padStart(5)}%  (${killed}/${counted}${listed}; ${seconds} s)${below}\n`);
}
for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
process.exitCode = scores.every((s) => s.score >= MINIMUM_SCORE) && warnings.length === 0 ? 0 : 1;
