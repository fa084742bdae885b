import { z } from 'zod';

const MiB = 1024 * 1024;

/** S3's own limits on multipart parts (every part but the last). */
export const S3_MIN_PART_SIZE = 5 * MiB;
export const S3_MAX_PART_SIZE = 5 * 1024 * MiB;
export const DEFAULT_PART_SIZE = 8 * MiB;

/** How to reach the S3 endpoint behind every `s3://bucket/prefix` storage target. */
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
      .refine((url) => ['', '/'].includes(new URL(url).pathname), 'must have no path (the bucket comes from the storage target)')
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
