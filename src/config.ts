import path from 'node:path';
import { z } from 'zod';
import { defaultDenyList, EgressPolicy, parseAddressRanges } from './kube/egress.ts';
import { DEFAULT_KUBE_RETRY } from './kube/retry.ts';
import { parseSecretKeys, type SecretKey } from './secrets/secret-box.ts';
import type { AuthConfig } from './auth/tokens.ts';
import type { EngineConfig } from './snapshots/engine-deps.ts';
import { s3CredentialVariables, s3Environment, s3Problems, s3Settings } from './storage/config.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const ROLES = ['api', 'worker'] as const;
export type Role = (typeof ROLES)[number];

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const postgresUrl = z
  .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
  .optional();

// An empty PORT= means unset (as for the URL variables), not port 0: coerced, '' would be a random port.
const port = (fallback: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.coerce.number().int().min(0).max(65535).default(fallback));
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
const booleanFlag = (fallback: boolean) => flag.default(fallback);

// HTTP edge and developer experience.
export const LOG_FORMATS = ['json', 'pretty'] as const;
/** `https://console.example.com`: scheme, host and port only, exactly as a browser sends it in `Origin`. */
const corsOrigins = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
  .pipe(
    z.array(
      z.string().refine((origin) => URL.canParse(origin) && /^https?:$/.test(new URL(origin).protocol) && new URL(origin).origin === origin, {
        error: (issue) => `${JSON.stringify(issue.input)} is not an origin (scheme://host[:port], no path or trailing slash)`,
      }),
    ),
  );

/** Every environment variable vsnap reads, parsed and checked once at start-up. */
const environment = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: port(4000),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    VSNAP_DATA_DIR: z.string().min(1).default('.vsnap'),
    DATABASE_URL: z.preprocess((v) => (v === '' ? undefined : v), postgresUrl),
    EMBEDDED_POSTGRES_PORT: port(54329),
    AUTH_JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    AUTH_JWKS_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
    AUTH_ISSUER: optionalString,
    AUTH_AUDIENCE: optionalString,
    GRAPHQL_MAX_DEPTH: positiveInt(12),
    GRAPHQL_MAX_ALIASES: positiveInt(15),
    GRAPHQL_MAX_TOKENS: positiveInt(4000),
    GRAPHQL_MAX_COST: positiveInt(50000),
    // HTTP edge and developer experience (defaults that depend on NODE_ENV are applied in loadConfig).
    /** Serves GraphiQL on GET /graphql (Accept: text/html); default: only in development. */
    GRAPHIQL: flag.optional(),
    /** A GraphQL document longer than this (UTF-8 bytes) is refused before it is parsed. */
    GRAPHQL_MAX_DOCUMENT_BYTES: positiveInt(32 * 1024),
    /** A request body longer than this is refused (413) without reading the rest; inline kubeconfigs travel in variables. */
    HTTP_MAX_BODY_BYTES: positiveInt(1024 * 1024),
    /** Browser origins allowed to call the API (CORS); none by default: no CORS headers at all. */
    CORS_ORIGINS: corsOrigins,
    /** A graphql-ws connection that sends no connection_init for this long is closed with 4408. */
    WS_CONNECTION_INIT_TIMEOUT_MS: positiveInt(3000),
    /** json, or pretty (human-readable, for a terminal); default: pretty in development. */
    LOG_FORMAT: z.preprocess((v) => (v === '' ? undefined : v), z.enum(LOG_FORMATS).optional()),
    SHUTDOWN_TIMEOUT_MS: positiveInt(10000),
    /** Which parts run in this process: the GraphQL API, the snapshot worker, or both. */
    VSNAP_ROLES: z
      .string()
      .default('api,worker')
      .transform((value) => value.split(',').map((role) => role.trim()).filter(Boolean))
      .pipe(z.array(z.enum(ROLES, { error: 'roles are api and worker, comma-separated' })).min(1)),
    MONGODB_URL: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.url({ protocol: /^mongodb(\+srv)?$/, error: 'must be a mongodb:// or mongodb+srv:// URL' }).optional(),
    ),
    /** Snapshots taken at once by one worker process (a cluster never has two at a time). */
    SNAPSHOT_CONCURRENCY: positiveInt(4),
    /** The due-finder's periodic pass (it also wakes at each policy's next run and on a policy change). */
    DUE_FINDER_INTERVAL_SECONDS: positiveInt(5),
    VOLUME_SNAPSHOT_CONCURRENCY: positiveInt(4),
    SNAPSHOT_TIMEOUT_SECONDS: positiveInt(3600),
    VOLUME_SNAPSHOT_TIMEOUT_SECONDS: positiveInt(600),
    /** A worker that has not renewed its lock for this long is presumed dead. */
    WORKER_LOCK_LIFETIME_SECONDS: positiveInt(60),
    RECONCILE_INTERVAL_SECONDS: positiveInt(300),
    RETENTION_INTERVAL_SECONDS: positiveInt(600),
    // Archive integrity (issue 8, I): the verify-archives job reads this many stored archives back per run.
    VERIFY_INTERVAL_SECONDS: positiveInt(3600),
    VERIFY_BATCH_SIZE: positiveInt(10),
    /** Days the event log keeps an event (a subscriber's resume window); at most a century. */
    EVENT_RETENTION_DAYS: z.coerce.number().int().positive().max(36_500).default(30),
    KUBE_LIST_PAGE_SIZE: positiveInt(500),
    KUBE_REQUEST_TIMEOUT_SECONDS: positiveInt(30),
    // -- Kubernetes request retries (5xx, 429, resets, timeouts): per request and per snapshot --
    /** Attempts of one request, the first included (1: no retries). */
    KUBE_RETRY_ATTEMPTS: positiveInt(DEFAULT_KUBE_RETRY.attempts),
    /** Ceiling of the first backoff; it doubles per retry (full jitter: the wait is uniform below it). */
    KUBE_RETRY_BASE_DELAY_MS: positiveInt(DEFAULT_KUBE_RETRY.baseDelayMs),
    /** The longest single wait, Retry-After included. */
    KUBE_RETRY_MAX_DELAY_SECONDS: positiveInt(DEFAULT_KUBE_RETRY.maxDelayMs / 1000),
    /** No retry starts once a request has taken this long. */
    KUBE_RETRY_REQUEST_SECONDS: positiveInt(DEFAULT_KUBE_RETRY.requestDeadlineMs / 1000),
    /** Retries one snapshot may spend on all its Kubernetes requests together. */
    KUBE_RETRY_BUDGET: z.coerce.number().int().min(0).default(DEFAULT_KUBE_RETRY.budget),
    // Storage locations (the S3_* variables below are the defaults of S3 locations).
    /** The directory every LOCAL storage location lives under; default <VSNAP_DATA_DIR>/snapshots. */
    LOCAL_STORAGE_ROOT: optionalString,
    /** Where secrets with S3 credentials are mounted: `<dir>/<secret-name>/access-key` and `secret-key`. */
    STORAGE_SECRETS_DIR: z.string().trim().min(1).default('/var/run/secrets/vsnap-storage'),
    /** Replaced by storage locations: refused, so an upgrade does not silently write elsewhere. */
    DEFAULT_STORAGE_TARGET: optionalString.refine(
      (value) => value === undefined,
      'is no longer read: storage locations replace it (createStorageLocation with default: true; see the README)',
    ),
    /** Directory where kubeconfig secrets are mounted: `<dir>/<project>/<secret-name>/<key>`. */
    KUBECONFIG_SECRETS_DIR: z.string().min(1).default('/var/run/secrets/vsnap'),
    // -- kubeconfigs of virtual clusters: egress of their API servers, inline ones at rest --
    /** Addresses/CIDRs API servers may be at; empty: anywhere the deny list allows. */
    KUBE_API_ALLOW_CIDRS: optionalString,
    /** Addresses/CIDRs API servers may not be at; unset: loopback (production), link-local, unspecified, metadata; `none`: nothing. */
    KUBE_API_DENY_CIDRS: optionalString,
    /** `<key-id>:<base64 of 32 bytes>`, comma-separated: the first seals inline kubeconfigs, all open them. */
    SECRETS_KEY: optionalString,
    /** Production refuses inline kubeconfigs unless this is true. */
    ALLOW_INLINE_KUBECONFIG: booleanFlag(false),
    /** Events a subscriber may fall behind by before its subscription ends with SLOW_CONSUMER (it resumes with `since`). */
    SUBSCRIPTION_BUFFER_EVENTS: positiveInt(1000),
    ...s3Environment.shape,
  })
  .superRefine((env, ctx) => {
    if (env.AUTH_JWT_SECRET && env.AUTH_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_JWKS_URL'], message: 'set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both' });
    }
    for (const problem of s3Problems(env)) ctx.addIssue({ code: 'custom', path: [problem.path], message: problem.message });
    for (const variable of ['KUBE_API_ALLOW_CIDRS', 'KUBE_API_DENY_CIDRS'] as const) {
      const value = env[variable];
      if (value === undefined || (variable === 'KUBE_API_DENY_CIDRS' && value.toLowerCase() === 'none')) continue;
      for (const message of parseAddressRanges(value).problems) ctx.addIssue({ code: 'custom', path: [variable], message });
    }
    if (env.SECRETS_KEY !== undefined) {
      for (const message of parseSecretKeys(env.SECRETS_KEY).problems) ctx.addIssue({ code: 'custom', path: ['SECRETS_KEY'], message });
    }
    if (env.NODE_ENV === 'production' && env.ALLOW_INLINE_KUBECONFIG && env.SECRETS_KEY === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRETS_KEY'],
        message: 'production with ALLOW_INLINE_KUBECONFIG=true needs SECRETS_KEY (inline kubeconfigs are stored encrypted)',
      });
    }
    if (env.NODE_ENV === 'production' && !env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_JWT_SECRET'],
        message: 'production needs AUTH_JWT_SECRET or AUTH_JWKS_URL (the development secret is only for local use)',
      });
    }
  });


export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: (typeof LOG_FORMATS)[number];
  dataDir: string;
  database: { kind: 'url'; url: string } | { kind: 'embedded'; port: number; dataDir: string };
  auth: AuthConfig;
  graphiql: boolean;
  limits: { maxDepth: number; maxAliases: number; maxTokens: number; maxCost: number; maxDocumentBytes: number };
  http: HttpConfig;
  shutdownTimeoutMs: number;
  roles: Role[];
  engine: EngineConfig;
  kubeconfigs: KubeconfigConfig;
  subscriptions: SubscriptionConfig;
}

/** Live delivery of snapshot events. */
export interface SubscriptionConfig {
  /** Events one subscriber may have waiting; past this it is ended with SLOW_CONSUMER. */
  bufferEvents: number;
  /** Events read per statement while replaying after `since` (default 500; tests make it small). */
  replayPageSize?: number;
}

/** How tenants' kubeconfigs are treated. */
export interface KubeconfigConfig {
  /** Where their API servers may be; the same object as `engine.kubeEgress`. */
  egress: EgressPolicy;
  /**
   * Inline kubeconfigs: refused (production unless ALLOW_INLINE_KUBECONFIG), or
   * sealed under SECRETS_KEY, or under a key made in the data directory (development).
   */
  inline: { kind: 'refused' } | { kind: 'keys'; keys: SecretKey[] } | { kind: 'development' };
}

/** The HTTP edge in front of GraphQL. */
export interface HttpConfig {
  maxBodyBytes: number;
  /** Exact origins answered with CORS headers; empty: no CORS headers at all. */
  corsOrigins: string[];
  /** "Did you mean …" in validation errors: a development aid that maps the schema for anyone; off in production. */
  fieldSuggestions: boolean;
  /** graphql-ws: how long a connection may wait before its connection_init (then 4408). */
  wsConnectionInitTimeoutMs: number;
}



export type { AuthConfig, EngineConfig };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environment.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`));
  }
  const env = parsed.data;
  const dataDir = path.resolve(env.VSNAP_DATA_DIR);
  const claims = { issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE };
  const kubeconfigs = kubeconfigConfig(env);
  return {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json'),
    dataDir,
    database: env.DATABASE_URL
      ? { kind: 'url', url: env.DATABASE_URL }
      : { kind: 'embedded', port: env.EMBEDDED_POSTGRES_PORT, dataDir: path.join(dataDir, 'postgres') },
    auth: env.AUTH_JWT_SECRET
      ? { kind: 'secret', secret: env.AUTH_JWT_SECRET, ...claims }
      : env.AUTH_JWKS_URL
        ? { kind: 'jwks', jwksUrl: env.AUTH_JWKS_URL, ...claims }
        : { kind: 'development', ...claims },
    graphiql: env.GRAPHIQL ?? env.NODE_ENV === 'development',
    limits: {
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      maxCost: env.GRAPHQL_MAX_COST,
      maxDocumentBytes: env.GRAPHQL_MAX_DOCUMENT_BYTES,
    },
    http: {
      maxBodyBytes: env.HTTP_MAX_BODY_BYTES,
      corsOrigins: env.CORS_ORIGINS,
      fieldSuggestions: env.NODE_ENV !== 'production',
      wsConnectionInitTimeoutMs: env.WS_CONNECTION_INIT_TIMEOUT_MS,
    },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    roles: env.VSNAP_ROLES,
    engine: {
      mongodbUrl: env.MONGODB_URL,
      snapshotConcurrency: env.SNAPSHOT_CONCURRENCY,
      dueFinderIntervalMs: env.DUE_FINDER_INTERVAL_SECONDS * 1000,
      volumeSnapshotConcurrency: env.VOLUME_SNAPSHOT_CONCURRENCY,
      snapshotTimeoutMs: env.SNAPSHOT_TIMEOUT_SECONDS * 1000,
      volumeSnapshotTimeoutMs: env.VOLUME_SNAPSHOT_TIMEOUT_SECONDS * 1000,
      lockLifetimeMs: env.WORKER_LOCK_LIFETIME_SECONDS * 1000,
      reconcileIntervalMs: env.RECONCILE_INTERVAL_SECONDS * 1000,
      retentionIntervalMs: env.RETENTION_INTERVAL_SECONDS * 1000,
      verifyIntervalMs: env.VERIFY_INTERVAL_SECONDS * 1000,
      verifyBatchSize: env.VERIFY_BATCH_SIZE,
      eventRetentionMs: env.EVENT_RETENTION_DAYS * 86_400_000,
      listPageSize: env.KUBE_LIST_PAGE_SIZE,
      kubeRequestTimeoutMs: env.KUBE_REQUEST_TIMEOUT_SECONDS * 1000,
      kubeRetry: {
        attempts: env.KUBE_RETRY_ATTEMPTS,
        baseDelayMs: env.KUBE_RETRY_BASE_DELAY_MS,
        maxDelayMs: env.KUBE_RETRY_MAX_DELAY_SECONDS * 1000,
        requestDeadlineMs: env.KUBE_RETRY_REQUEST_SECONDS * 1000,
        budget: env.KUBE_RETRY_BUDGET,
      },
      kubeconfigSecretsDir: env.KUBECONFIG_SECRETS_DIR,
      kubeEgress: kubeconfigs.egress,
      storage: {
        s3: s3Settings(env),
        localRoot: path.resolve(env.LOCAL_STORAGE_ROOT ?? path.join(dataDir, 'snapshots')),
        secretsDir: path.resolve(env.STORAGE_SECRETS_DIR),
        credentialVariables: s3CredentialVariables(source),
      },
    },
    kubeconfigs,
    subscriptions: { bufferEvents: env.SUBSCRIPTION_BUFFER_EVENTS },
  };
}

function kubeconfigConfig(env: z.infer<typeof environment>): KubeconfigConfig {
  const ranges = (text: string) => parseAddressRanges(text).ranges;
  const denyText = env.KUBE_API_DENY_CIDRS ?? defaultDenyList(env.NODE_ENV).join(',');
  const egress = new EgressPolicy(ranges(env.KUBE_API_ALLOW_CIDRS ?? ''), denyText.toLowerCase() === 'none' ? [] : ranges(denyText));
  const inlineAllowed = env.NODE_ENV !== 'production' || env.ALLOW_INLINE_KUBECONFIG;
  const inline: KubeconfigConfig['inline'] = !inlineAllowed
    ? { kind: 'refused' }
    : env.SECRETS_KEY !== undefined
      ? { kind: 'keys', keys: parseSecretKeys(env.SECRETS_KEY).keys }
      : { kind: 'development' };
  return { egress, inline };
}
