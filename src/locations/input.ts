/** Input rules for storage locations, checked before anything is written. */
import { z } from 'zod';
import { localDirectoryProblem } from '../storage/index.ts';
import { STORAGE_LOCATION_KINDS } from './entity.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_PREFIX_COMPONENT = /^[A-Za-z0-9._-]+$/;
/** `S3` or `S3_<NAME>`: the variables read are `<prefix>_ACCESS_KEY` and `<prefix>_SECRET_KEY`, never anything else. */
export const CREDENTIALS_ENV_PREFIX = /^S3(_[A-Z0-9]+)*$/;

export const locationName = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(DNS1123_LABEL, 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending alphanumeric');

const bucket = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(S3_BUCKET, 'must be an S3 bucket name: 3-63 lower-case letters, digits, "." and "-"');

/** Slashes at either end are dropped; the rest is plain components, as for local directories. */
const prefix = z
  .string()
  .max(512, 'must be at most 512 characters')
  .transform((value) => value.replace(/^\/+|\/+$/g, ''))
  .superRefine((value, ctx) => {
    if (value === '') return;
    for (const component of value.split('/')) {
      // The pattern takes no empty component; "." and ".." it would.
      if (component === '.' || component === '..' || !S3_PREFIX_COMPONENT.test(component)) {
        ctx.addIssue({ code: 'custom', message: 'must be "/"-separated components of letters, digits, ".", "_" and "-" (no empty, "." or ".." component)' });
        return;
      }
    }
  });

const endpoint = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .superRefine((value, ctx) => {
    const url = URL.parse(value);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
    } else if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'must not carry credentials (give them through credentials)' });
    } else if (url.pathname !== '/' || url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: 'must have no path, query or fragment (the bucket is a field of its own)' });
    }
  })
  .transform((value) => new URL(value).origin);

const region = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "-" and "_"');

const credentials = z
  .object({
    fromEnvironment: z
      .string()
      .max(64, 'must be at most 64 characters')
      .regex(CREDENTIALS_ENV_PREFIX, 'must be S3 or S3_<NAME> (upper-case letters, digits and "_"): <prefix>_ACCESS_KEY and <prefix>_SECRET_KEY are read')
      .nullish(),
    fromSecret: z
      .string()
      .max(253, 'must be at most 253 characters')
      .regex(DNS1123_SUBDOMAIN, 'must be a secret name: lower-case letters, digits, "-" and "."')
      .nullish(),
  })
  .refine((value) => value.fromEnvironment == null || value.fromSecret == null, {
    message: 'give at most one of fromEnvironment and fromSecret',
  });
export type CredentialsInput = z.output<typeof credentials>;

const directory = z.string().superRefine((value, ctx) => {
  const problem = localDirectoryProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const projectId = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(DNS1123_LABEL, 'must be a DNS-1123 label');

const allowedProjectIds = z
  .array(projectId)
  .max(1000, 'must list at most 1000 projects')
  .transform((ids) => [...new Set(ids)].sort());

const S3_ONLY = ['bucket', 'prefix', 'endpoint', 'region', 'pathStyle', 'credentials'] as const;

/** Fields every kind shares, and each kind's own: S3's are refused on a LOCAL location and the other way round. */
const locationFields = {
  bucket: bucket.nullish(),
  prefix: prefix.nullish(),
  endpoint: endpoint.nullish(),
  region: region.nullish(),
  pathStyle: z.boolean().nullish(),
  credentials: credentials.nullish(),
  directory: directory.nullish(),
  allowedProjectIds: allowedProjectIds.nullish(),
  default: z.boolean().nullish(),
};

export const createLocationInput = z
  .object({ name: locationName, kind: z.enum(STORAGE_LOCATION_KINDS), ...locationFields })
  .superRefine((input, ctx) => {
    if (input.kind === 'S3') {
      if (input.bucket == null) ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'is required for an S3 location' });
      if (input.directory != null) ctx.addIssue({ code: 'custom', path: ['directory'], message: 'is only for LOCAL locations' });
    } else {
      if (input.directory == null) ctx.addIssue({ code: 'custom', path: ['directory'], message: 'is required for a LOCAL location ("" for LOCAL_STORAGE_ROOT itself)' });
      for (const field of S3_ONLY) {
        if (input[field] !== undefined && input[field] !== null) ctx.addIssue({ code: 'custom', path: [field], message: 'is only for S3 locations' });
      }
    }
  });
export type CreateLocationInput = z.input<typeof createLocationInput>;

/**
 * Absent (or null) means unchanged, except that null resets endpoint, region,
 * pathStyle and credentials to the defaults, the prefix to the bucket's top, and
 * opens the location to every project.
 */
export const updateLocationInput = z
  .object({ name: locationName.nullish(), ...locationFields })
  .superRefine((input, ctx) => {
    for (const field of ['bucket', 'directory', 'name', 'default'] as const) {
      if (input[field] === null) ctx.addIssue({ code: 'custom', path: [field], message: 'cannot be null; leave it out to keep it' });
    }
  });
export type UpdateLocationInput = z.input<typeof updateLocationInput>;
export type ParsedUpdateLocationInput = z.output<typeof updateLocationInput>;

/** Checks of an update against the kind of the location it changes. */
export function kindProblems(kind: (typeof STORAGE_LOCATION_KINDS)[number], input: ParsedUpdateLocationInput): { field: string; message: string } | undefined {
  if (kind === 'S3') {
    if (input.directory != null) return { field: 'directory', message: 'is only for LOCAL locations' };
    return undefined;
  }
  const field = S3_ONLY.find((name) => input[name] != null);
  return field ? { field, message: 'is only for S3 locations' } : undefined;
}
