import { z } from 'zod';
import type { RetryObserver } from './retry.ts';

const MiB = 1024 * 1024;

/** S3's own limits on multipart parts (every part but the last). */
export const S3_MIN_PART_SIZE = 5 * MiB;
export const S3_MAX_PART_SIZE = 5 * 1024 * MiB;
export const DEFAULT_PART_SIZE = 8 * MiB;

/** How to reach an S3 endpoint: the S3_* defaults, or one storage location's own settings. */
export interface S3Settings {
  /** `http(s)://host[:port]`; unset means AWS S3 (`https://s3.amazonaws.com`, routed by region). */
  endpoint?: string;
  region: string;
  /** Both or neither; neither means anonymous requests. */
  accessKey?: string;
  secretKey?: string;
  pathStyle: boolean;
  partSizeBytes: number;
}

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/**
 * The S3_* environment variables, for spreading into the service's environment
 * schema (`z.object({ ...s3Environment.shape, ... })`), then `s3Problems` in its
 * superRefine and `s3Settings` when building the config.
 */
export const s3Environment = z.object({
  S3_ENDPOINT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .refine((url) => ['', '/'].includes(new URL(url).pathname), 'must have no path (the bucket comes from the storage location)')
      .optional(),
  ),
  S3_REGION: z.string().trim().min(1).default('us-east-1'),
  S3_ACCESS_KEY: optionalString,
  S3_SECRET_KEY: optionalString,
  S3_PATH_STYLE: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((value) => value === 'true' || value === '1' || value === 'yes')
    .default(true),
  /** Multipart part size in MiB: at least S3's 5, at most its 5120. */
  S3_PART_SIZE_MIB: z.coerce.number().int().min(5).max(5120).default(8),
});
export type S3Environment = z.infer<typeof s3Environment>;

export function s3Problems(env: S3Environment): { path: string; message: string }[] {
  if ((env.S3_ACCESS_KEY === undefined) !== (env.S3_SECRET_KEY === undefined)) {
    return [{ path: 'S3_SECRET_KEY', message: 'set both S3_ACCESS_KEY and S3_SECRET_KEY, or neither' }];
  }
  return [];
}

export function s3Settings(env: S3Environment): S3Settings {
  return {
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    accessKey: env.S3_ACCESS_KEY,
    secretKey: env.S3_SECRET_KEY,
    pathStyle: env.S3_PATH_STYLE,
    partSizeBytes: env.S3_PART_SIZE_MIB * MiB,
  };
}

/** Everything a storage location is opened with besides its own row. */
export interface StorageSettings {
  /** Endpoint, region, addressing, part size and default credentials of S3 locations. */
  s3: S3Settings;
  /** Absolute directory every LOCAL location lives under. */
  localRoot: string;
  /** Mounted secrets holding S3 credentials: `<secretsDir>/<secret-name>/access-key` and `secret-key`. */
  secretsDir: string;
  /**
   * The `S3[_<NAME>]_ACCESS_KEY` / `_SECRET_KEY` variables, read at start-up, for
   * locations whose credentials come from the environment. Nothing else of the
   * environment is kept, so no location can name another variable.
   */
  credentialVariables: Readonly<Record<string, string>>;
  /** Told of every retried storage request (the engine's metrics); not configuration. */
  retryObserver?: RetryObserver;
}

/** The variables a location may take credentials from: `S3_ACCESS_KEY`, `S3_<NAME>_SECRET_KEY`, ... */
export const S3_CREDENTIAL_VARIABLE = /^S3(_[A-Z0-9]+)*_(ACCESS|SECRET)_KEY$/;

export function s3CredentialVariables(source: NodeJS.ProcessEnv): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    const trimmed = value?.trim();
    if (S3_CREDENTIAL_VARIABLE.test(name) && trimmed) variables[name] = trimmed;
  }
  return variables;
}
