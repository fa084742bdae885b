/** Input rules for virtual clusters and their policies, checked before anything is written. */
import { Cron } from 'croner';
import { z } from 'zod';
import { quoted, textProblem, ValidationError } from '../errors.ts';
import { DEFAULT_KEEP_FAILED } from '../snapshots/retention-policy.ts';
import { CATCH_UP_MODES } from './entity.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const clusterName = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(DNS1123_LABEL, 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending alphanumeric');

export const projectId = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(DNS1123_LABEL, 'must be a DNS-1123 label');

/**
 * `<secret-name>/<key>`, read from `<KUBECONFIG_SECRETS_DIR>/<project>/<secret-name>/<key>`:
 * a secret name is a DNS subdomain, a key a file name that is neither `.`, `..` nor hidden
 * (Kubernetes' own `..data` links are not keys).
 */
const secretRef = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[^/]+$/, 'must be "<secret-name>/<key>", the secret name a lower-case DNS name')
  .refine((ref) => !ref.split('/')[1]?.startsWith('.'), 'the key must not start with "."')
  .refine((ref) => /\/[-._a-zA-Z0-9]+$/.test(ref), 'the key may hold only letters, digits, "-", "_" and "."');

export const kubeconfigInput = z
  .object({ inline: z.string().min(1).max(1_000_000).optional(), secretRef: secretRef.optional() })
  .refine((k) => (k.inline === undefined) !== (k.secretRef === undefined), {
    message: 'give exactly one of inline or secretRef',
  });

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Standard five-field cron (minute hour day-of-month month day-of-week). */
export function cronProblem(schedule: string, timeZone: string): string | undefined {
  if (schedule.trim().split(/\s+/).length !== 5) return 'must have five fields: minute hour day-of-month month day-of-week';
  try {
    const cron = new Cron(schedule, { timezone: timeZone, paused: true });
    return cron.nextRun() ? undefined : 'never fires';
  } catch (error) {
    return `is not a valid cron expression (${cronReason(error)})`;
  }
}

const isControl = (character: string) => {
  const code = character.charCodeAt(0);
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
};

/** croner's reason, which quotes pieces of the schedule raw: control characters escaped, length capped. */
function cronReason(error: unknown): string {
  const reason = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, '');
  const escaped = Array.from(reason, (c) => (isControl(c) ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');
  return escaped.length <= 160 ? escaped : `${escaped.slice(0, 160)}…`;
}

/** The largest count a keep rule takes: 10000 hourly snapshots are more than a year's. */
export const MAX_KEEP_COUNT = 10_000;
/** The longest age limit: 50 years (it fits GraphQL's Int). */
export const MAX_RETENTION_AGE_SECONDS = 1_577_880_000;

const keepCount = z.number().int('must be a whole number').min(0, 'must be at least 0').max(MAX_KEEP_COUNT, `must be at most ${MAX_KEEP_COUNT}`);
const retentionAge = z
  .number()
  .int('must be a whole number')
  .min(60, 'must be at least 60 seconds')
  .max(MAX_RETENTION_AGE_SECONDS, `must be at most ${MAX_RETENTION_AGE_SECONDS} seconds (50 years)`);

/** Rules left out are not set; keepFailed's parts default to the last 10 and 7 days. */
export const retentionInput = z.object({
  keepLast: keepCount.nullish(),
  keepHourly: keepCount.nullish(),
  keepDaily: keepCount.nullish(),
  keepWeekly: keepCount.nullish(),
  keepMonthly: keepCount.nullish(),
  keepYearly: keepCount.nullish(),
  maxAgeSeconds: retentionAge.nullish(),
  keepFailed: z
    .object({ last: keepCount.default(DEFAULT_KEEP_FAILED.last), maxAgeSeconds: retentionAge.default(DEFAULT_KEEP_FAILED.maxAgeSeconds) })
    .prefault({}),
});
export type RetentionInput = z.infer<typeof retentionInput>;

export const policyInput = z
  .object({
    enabled: z.boolean(),
    // abort: the object's checks below skip a value its own field refused (no cron parse of 5 MB).
    schedule: z.string().max(120, { error: 'must be at most 120 characters', abort: true }).nullish(),
    timeZone: z.string().max(64, { error: 'must be at most 64 characters', abort: true }).default('UTC'),
    retention: retentionInput.prefault({}),
    /** A storage location's name, checked against the cluster's project by the service; null: the default location. */
    storageLocation: z.string().max(63, 'must be at most 63 characters').nullish(),
    volumeSnapshotsEnabled: z.boolean().default(false),
    catchUp: z.enum(CATCH_UP_MODES).default('ONE'),
  })
  .superRefine((policy, ctx) => {
    const timeZoneOk = isValidTimeZone(policy.timeZone);
    if (!timeZoneOk) ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `${quoted(policy.timeZone)} is not an IANA time zone` });
    if (policy.schedule && timeZoneOk) {
      const problem = cronProblem(policy.schedule, policy.timeZone);
      if (problem) ctx.addIssue({ code: 'custom', path: ['schedule'], message: `${quoted(policy.schedule)} ${problem}` });
    }
    if (policy.enabled && !policy.schedule) {
      ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'is required when auto snapshots are enabled' });
    }
  });
export type PolicyInput = z.infer<typeof policyInput>;

/**
 * Parses `value`, or throws a ValidationError naming the first offending field. Every
 * string in it is checked first for what no column can hold (see textProblem).
 */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, fieldPrefix = ''): T {
  const badText = findBadText(value, []);
  if (badText) throw fieldError(fieldPrefix, badText.path, badText.problem);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw fieldError(fieldPrefix, (issue?.path ?? []).map(String), issue?.message ?? 'is invalid');
}

function fieldError(fieldPrefix: string, path: string[], problem: string): ValidationError {
  const field = [fieldPrefix, ...path].filter(Boolean).join('.');
  return new ValidationError(`${field || 'input'}: ${problem}`, field || undefined);
}

function findBadText(value: unknown, path: string[]): { path: string[]; problem: string } | undefined {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? { path, problem } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = findBadText(item, [...path, key]);
    if (found) return found;
  }
  return undefined;
}
