import path from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const postgresUrl = z
  .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
  .optional();

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((value) => value === 'true' || value === '1' || value === 'yes')
    .default(fallback);

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
    GRAPHIQL: booleanFlag(true),
    GRAPHQL_MAX_DEPTH: positiveInt(12),
    GRAPHQL_MAX_ALIASES: positiveInt(15),
    GRAPHQL_MAX_TOKENS: positiveInt(4000),
    GRAPHQL_MAX_COST: positiveInt(50000),
    SHUTDOWN_TIMEOUT_MS: positiveInt(10000),
  })
  .superRefine((env, ctx) => {
    if (env.AUTH_JWT_SECRET && env.AUTH_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_JWKS_URL'], message: 'set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both' });
    }
    if (env.NODE_ENV === 'production' && !env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_JWT_SECRET'],
        message: 'production needs AUTH_JWT_SECRET or AUTH_JWKS_URL (the development secret is only for local use)',
      });
    }
  });

export type AuthConfig =
  | { kind: 'secret'; secret: string; issuer?: string; audience?: string }
  | { kind: 'jwks'; jwksUrl: string; issuer?: string; audience?: string }
  /** No auth configured: a secret kept in the data directory, and a printed admin token. */
  | { kind: 'development'; issuer?: string; audience?: string };

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: (typeof LOG_LEVELS)[number];
  dataDir: string;
  database: { kind: 'url'; url: string } | { kind: 'embedded'; port: number; dataDir: string };
  auth: AuthConfig;
  graphiql: boolean;
  limits: { maxDepth: number; maxAliases: number; maxTokens: number; maxCost: number };
  shutdownTimeoutMs: number;
}

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
  return {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    dataDir,
    database: env.DATABASE_URL
      ? { kind: 'url', url: env.DATABASE_URL }
      : { kind: 'embedded', port: env.EMBEDDED_POSTGRES_PORT, dataDir: path.join(dataDir, 'postgres') },
    auth: env.AUTH_JWT_SECRET
      ? { kind: 'secret', secret: env.AUTH_JWT_SECRET, ...claims }
      : env.AUTH_JWKS_URL
        ? { kind: 'jwks', jwksUrl: env.AUTH_JWKS_URL, ...claims }
        : { kind: 'development', ...claims },
    graphiql: env.GRAPHIQL,
    limits: {
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      maxCost: env.GRAPHQL_MAX_COST,
    },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  };
}
