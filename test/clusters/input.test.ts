/**
 * The input rules of virtual clusters and their policies, as pure tables: each bad input
 * breaks exactly one rule, and the message is exact.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  clusterName,
  cronProblem,
  isValidTimeZone,
  kubeconfigInput,
  MAX_KEEP_COUNT,
  MAX_RETENTION_AGE_SECONDS,
  parseInput,
  policyInput,
  projectId,
  retentionInput,
} from '../../src/clusters/input.ts';
import { ValidationError } from '../../src/errors.ts';

const DNS_LABEL = 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending alphanumeric';
const SECRET_REF = 'must be "<secret-name>/<key>", the secret name a lower-case DNS name';
const KEY_CHARACTERS = 'the key may hold only letters, digits, "-", "_" and "."';
const FIVE_FIELDS = 'must have five fields: minute hour day-of-month month day-of-week';
const DEFAULT_KEEP_FAILED = { last: 10, maxAgeSeconds: 7 * 86_400 };

/** The ValidationError parseInput throws, as message and field. */
function refusal(schema: z.ZodType, value: unknown, prefix?: string): { message: string; field: string | undefined } {
  try {
    parseInput(schema, value, prefix);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return { message: (error as ValidationError).message, field: (error as ValidationError).field };
  }
  return expect.fail(`${JSON.stringify(value)} was accepted`);
}

describe('cluster name', () => {
  it.each(['a', '0', 'prod', 'a-b', 'prod-2', '2-prod', 'a--b', 'x'.repeat(63)])('accepts %j', (name) => {
    expect(parseInput(clusterName, name)).toBe(name);
  });

  it.each([
    ['x'.repeat(64), 'must be at most 63 characters'],
    ['', DNS_LABEL],
    ['Prod', DNS_LABEL],
    ['-prod', DNS_LABEL],
    ['prod-', DNS_LABEL],
    ['pr_od', DNS_LABEL],
    // Anchors alone: a valid label with one bad character before or after it.
    ['.prod', DNS_LABEL],
    ['prod.', DNS_LABEL],
  ])('refuses %j: %s', (name, problem) => {
    expect(refusal(clusterName, name, 'name')).toEqual({ message: `name: ${problem}`, field: 'name' });
  });
});

describe('project id', () => {
  it.each(['p', 'p1', 'team-a', 'p'.repeat(63)])('accepts %j', (id) => {
    expect(parseInput(projectId, id)).toBe(id);
  });

  it.each([
    ['', 'must not be empty'],
    ['p'.repeat(64), 'must be at most 63 characters'],
    ['Team', 'must be a DNS-1123 label'],
    ['team.', 'must be a DNS-1123 label'],
    ['.team', 'must be a DNS-1123 label'],
  ])('refuses %j: %s', (id, problem) => {
    expect(refusal(projectId, id, 'projectId')).toEqual({ message: `projectId: ${problem}`, field: 'projectId' });
  });
});

describe('kubeconfig', () => {
  it.each([
    { inline: 'apiVersion: v1' },
    { inline: 'x' },
    { secretRef: 'vc/config' },
    { secretRef: 'a/b' },
    { secretRef: 'vcluster-prod.ns/KUBE_config-1.yaml' },
    { secretRef: `${'a'.repeat(251)}/k` },
  ])('accepts %j', (kubeconfig) => {
    expect(parseInput(kubeconfigInput, kubeconfig)).toEqual(kubeconfig);
  });

  it.each([
    [{}, '', 'give exactly one of inline or secretRef'],
    [{ inline: 'apiVersion: v1', secretRef: 'vc/config' }, '', 'give exactly one of inline or secretRef'],
    [{ inline: '' }, '.inline', 'Too small: expected string to have >=1 characters'],
    [{ inline: 'x'.repeat(1_000_001) }, '.inline', 'Too big: expected string to have <=1000000 characters'],
    [{ secretRef: `${'a'.repeat(252)}/k` }, '.secretRef', 'must be at most 253 characters'],
    [{ secretRef: 'no-key' }, '.secretRef', SECRET_REF],
    [{ secretRef: 'vc/' }, '.secretRef', SECRET_REF],
    [{ secretRef: '/config' }, '.secretRef', SECRET_REF],
    [{ secretRef: 'Vc/config' }, '.secretRef', SECRET_REF],
    [{ secretRef: 'vc-/config' }, '.secretRef', SECRET_REF],
    [{ secretRef: '-vc/config' }, '.secretRef', SECRET_REF],
    // The end anchor alone: a valid reference with a third component.
    [{ secretRef: 'vc/config/x' }, '.secretRef', SECRET_REF],
    [{ secretRef: 'vc/.config' }, '.secretRef', 'the key must not start with "."'],
    [{ secretRef: 'vc/..data' }, '.secretRef', 'the key must not start with "."'],
    [{ secretRef: 'vc/con fig' }, '.secretRef', KEY_CHARACTERS],
    [{ secretRef: 'vc/$config' }, '.secretRef', KEY_CHARACTERS],
    // The key's end anchor alone: allowed characters, then one that is not.
    [{ secretRef: 'vc/config$' }, '.secretRef', KEY_CHARACTERS],
  ])('refuses %j', (kubeconfig, path, problem) => {
    expect(refusal(kubeconfigInput, kubeconfig, 'kubeconfig')).toEqual({ message: `kubeconfig${path}: ${problem}`, field: `kubeconfig${path}` });
  });
});

describe('cron schedule', () => {
  it.each(['0 3 * * *', '*/15 * * * *', '  0 3 * * *  ', '0  3 *\t* *', '0 3 * * 1-5'])('accepts %j', (schedule) => {
    expect(cronProblem(schedule, 'Europe/Berlin')).toBeUndefined();
  });

  /** croner's reason for a bad fifth field, as cronProblem repeats it. */
  const illegal = (shown: string) => `is not a valid cron expression (configuration entry 5 (${shown}) contains illegal characters.)`;

  it.each([
    ['0 3 * *', FIVE_FIELDS],
    ['0 3 * * * *', FIVE_FIELDS],
    ['every day', FIVE_FIELDS],
    ['0 0 31 2 *', 'never fires'],
    ['61 * * * *', 'is not a valid cron expression (Invalid value for minute: 61)'],
    // Control characters (C0, DEL, C1) come back escaped; their neighbours as they are.
    ['0 3 * * \u001f', illegal('\\u001f')],
    ['0 3 * * ~', illegal('~')],
    ['0 3 * * \u007f', illegal('\\u007f')],
    ['0 3 * * \u009f', illegal('\\u009f')],
    ['0 3 * * \u00a1', illegal('\u00a1')],
    // The reason is cut after 160 characters.
    [`0 3 * * ${'x'.repeat(107)}`, illegal('x'.repeat(107))],
    [`0 3 * * ${'x'.repeat(108)}`, `is not a valid cron expression (${`configuration entry 5 (${'x'.repeat(108)}) contains illegal characters.`.slice(0, 160)}…)`],
  ])('refuses %j: %s', (schedule, problem) => {
    expect(cronProblem(schedule, 'UTC')).toBe(problem);
  });
});

describe('time zone', () => {
  it.each([
    ['UTC', true],
    ['Europe/Berlin', true],
    ['Asia/Kolkata', true],
    ['Mars/Olympus', false],
    ['', false],
  ])('%j is an IANA time zone: %s', (timeZone, valid) => {
    expect(isValidTimeZone(timeZone)).toBe(valid);
  });
});

describe('auto-snapshot policy', () => {
  it('fills in the defaults: UTC, no schedule, no keep rule, failed snapshots by the defaults, volume snapshots off, one catch-up run', () => {
    expect(parseInput(policyInput, { enabled: false })).toEqual({
      enabled: false,
      timeZone: 'UTC',
      retention: { keepFailed: DEFAULT_KEEP_FAILED },
      volumeSnapshotsEnabled: false,
      catchUp: 'ONE',
    });
  });

  it.each([
    { enabled: true, schedule: '0 3 * * *' },
    { enabled: true, schedule: '0 3 * * *', timeZone: 'Asia/Kolkata', storageLocation: 'backups', volumeSnapshotsEnabled: true },
    // A schedule may be kept while auto snapshots are off.
    { enabled: false, schedule: '0 3 * * *' },
    { enabled: false, schedule: null, storageLocation: null },
    // The longest schedule, time zone and location name.
    { enabled: true, schedule: '0 3 * * *'.padEnd(120) },
    { enabled: false, timeZone: 'America/Argentina/ComodRivadavia', storageLocation: 'l'.repeat(63) },
    { enabled: true, schedule: '* * * * *', catchUp: 'NONE' },
    { enabled: true, schedule: '* * * * *', catchUp: 'ONE' },
  ])('accepts %j as given', (policy) => {
    expect(parseInput(policyInput, policy)).toMatchObject(policy);
  });

  it.each([
    [{ enabled: true }, 'schedule', 'is required when auto snapshots are enabled'],
    [{ enabled: true, schedule: '' }, 'schedule', 'is required when auto snapshots are enabled'],
    [{ enabled: true, schedule: null }, 'schedule', 'is required when auto snapshots are enabled'],
    // Checked whether or not auto snapshots are on.
    [{ enabled: false, schedule: '0 3 * * * *' }, 'schedule', `"0 3 * * * *" ${FIVE_FIELDS}`],
    [{ enabled: true, schedule: '0 3 * * *'.padEnd(121) }, 'schedule', 'must be at most 120 characters'],
    [{ enabled: false, timeZone: 'Mars/Olympus' }, 'timeZone', '"Mars/Olympus" is not an IANA time zone'],
    [{ enabled: false, timeZone: 'Z'.repeat(64) }, 'timeZone', `"${'Z'.repeat(64)}" is not an IANA time zone`],
    [{ enabled: false, timeZone: 'Z'.repeat(65) }, 'timeZone', 'must be at most 64 characters'],
    [{ enabled: false, storageLocation: 'l'.repeat(64) }, 'storageLocation', 'must be at most 63 characters'],
    [{ enabled: 'yes' }, 'enabled', 'Invalid input: expected boolean, received string'],
    [{ enabled: false, volumeSnapshotsEnabled: 'yes' }, 'volumeSnapshotsEnabled', 'Invalid input: expected boolean, received string'],
    [{ enabled: false, catchUp: 'ALL' }, 'catchUp', 'Invalid option: expected one of "ONE"|"NONE"'],
    [{ enabled: false, catchUp: 'one' }, 'catchUp', 'Invalid option: expected one of "ONE"|"NONE"'],
  ])('refuses %j on %s', (policy, field, problem) => {
    expect(refusal(policyInput, policy, 'autoSnapshotPolicy')).toEqual({ message: `autoSnapshotPolicy.${field}: ${problem}`, field: `autoSnapshotPolicy.${field}` });
  });

  it('reads a schedule in the policy time zone only when that zone exists', () => {
    const result = policyInput.safeParse({ enabled: true, schedule: '0 3 * * *', timeZone: 'Mars/Olympus' });
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([['timeZone', '"Mars/Olympus" is not an IANA time zone']]);
  });

  it('reports a value its own field refused once, without the checks that read it', () => {
    const issues = (policy: object) => policyInput.safeParse(policy).error?.issues.map((issue) => [issue.path.join('.'), issue.message]);
    expect(issues({ enabled: true, schedule: 'x'.repeat(121) })).toEqual([['schedule', 'must be at most 120 characters']]);
    // Not also "is not an IANA time zone": a 5 MB name never reaches Intl.
    expect(issues({ enabled: false, timeZone: 'Z'.repeat(65) })).toEqual([['timeZone', 'must be at most 64 characters']]);
  });
});

describe('retention', () => {
  const RULES = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;

  it('sets no rule by default, and keepFailed by its defaults', () => {
    expect(parseInput(retentionInput, {})).toEqual({ keepFailed: DEFAULT_KEEP_FAILED });
    expect(parseInput(retentionInput, { keepFailed: { last: 3 } })).toEqual({ keepFailed: { last: 3, maxAgeSeconds: DEFAULT_KEEP_FAILED.maxAgeSeconds } });
    expect(parseInput(retentionInput, { keepFailed: { maxAgeSeconds: 60 } })).toEqual({ keepFailed: { last: DEFAULT_KEEP_FAILED.last, maxAgeSeconds: 60 } });
  });

  it.each(RULES.flatMap((rule) => [0, 1, MAX_KEEP_COUNT, null].map((value) => [rule, value] as const)))('accepts %s %j', (rule, value) => {
    expect(parseInput(retentionInput, { [rule]: value })).toEqual({ [rule]: value, keepFailed: DEFAULT_KEEP_FAILED });
  });

  it.each([60, 61, MAX_RETENTION_AGE_SECONDS, null])('accepts maxAgeSeconds %j', (value) => {
    expect(parseInput(retentionInput, { maxAgeSeconds: value })).toEqual({ maxAgeSeconds: value, keepFailed: DEFAULT_KEEP_FAILED });
  });

  it('accepts keepFailed at its bounds', () => {
    for (const keepFailed of [
      { last: 0, maxAgeSeconds: 60 },
      { last: MAX_KEEP_COUNT, maxAgeSeconds: MAX_RETENTION_AGE_SECONDS },
    ]) {
      expect(parseInput(retentionInput, { keepFailed })).toEqual({ keepFailed });
    }
  });

  it('has the bounds the schema documents', () => {
    expect(MAX_KEEP_COUNT).toBe(10_000);
    expect(MAX_RETENTION_AGE_SECONDS).toBe(50 * 365.25 * 86_400);
  });

  it.each([
    ...RULES.flatMap((rule) => [
      [{ [rule]: -1 }, rule, 'must be at least 0'],
      [{ [rule]: 10_001 }, rule, 'must be at most 10000'],
      [{ [rule]: 1.5 }, rule, 'must be a whole number'],
    ]),
    [{ maxAgeSeconds: 59 }, 'maxAgeSeconds', 'must be at least 60 seconds'],
    [{ maxAgeSeconds: 1_577_880_001 }, 'maxAgeSeconds', 'must be at most 1577880000 seconds (50 years)'],
    [{ maxAgeSeconds: 60.5 }, 'maxAgeSeconds', 'must be a whole number'],
    [{ keepFailed: { last: -1 } }, 'keepFailed.last', 'must be at least 0'],
    [{ keepFailed: { last: 10_001 } }, 'keepFailed.last', 'must be at most 10000'],
    [{ keepFailed: { maxAgeSeconds: 59 } }, 'keepFailed.maxAgeSeconds', 'must be at least 60 seconds'],
    [{ keepFailed: { maxAgeSeconds: 1_577_880_001 } }, 'keepFailed.maxAgeSeconds', 'must be at most 1577880000 seconds (50 years)'],
  ] as [object, string, string][])('refuses %j on %s', (retention, field, problem) => {
    expect(refusal(retentionInput, retention, 'retention')).toEqual({ message: `retention.${field}: ${problem}`, field: `retention.${field}` });
  });
});

describe('parseInput', () => {
  const schema = z.object({ names: z.array(z.string()), count: z.number() });

  it('returns what the schema gives', () => {
    expect(parseInput(schema, { names: ['a'], count: 1, extra: true })).toEqual({ names: ['a'], count: 1 });
  });

  it('names the offending field under the prefix, or the input itself', () => {
    expect(refusal(schema, { names: ['a', 1], count: 1 }, 'input')).toEqual({
      message: 'input.names.1: Invalid input: expected string, received number',
      field: 'input.names.1',
    });
    expect(refusal(schema, { names: [], count: 'x' })).toEqual({ message: 'count: Invalid input: expected number, received string', field: 'count' });
    expect(refusal(schema, 'x')).toEqual({ message: 'input: Invalid input: expected object, received string', field: undefined });
  });

  it('refuses text no column can hold anywhere in the input, before any other rule', () => {
    expect(refusal(schema, { names: ['a', 'b\u0000'], count: 'not a number' }, 'input')).toEqual({
      message: 'input.names.1: must not contain NUL characters',
      field: 'input.names.1',
    });
    expect(refusal(schema, { count: 1, names: null, deep: { er: ['\ud800'] } })).toEqual({
      message: 'deep.er.0: must be well-formed Unicode (it has a lone surrogate)',
      field: 'deep.er.0',
    });
    expect(refusal(schema, '\u0000')).toEqual({ message: 'input: must not contain NUL characters', field: undefined });
  });
});
