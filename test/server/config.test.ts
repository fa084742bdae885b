/** Configuration: the environment parser's rules, and what `src/main.ts` does with a bad environment. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.ts';
import { spawnMain } from './helpers.ts';

const SECRET = 'x'.repeat(32);

/** The problems loadConfig reports for `env`, or [] when it parses. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('loadConfig defaults', () => {
  it('runs with an empty environment: development, embedded Postgres, development auth, the documented limits', () => {
    const config = loadConfig({});
    expect(config).toMatchObject<Partial<Config>>({
      env: 'development',
      host: '127.0.0.1',
      port: 4000,
      logLevel: 'info',
      dataDir: path.resolve('.vsnap'),
      database: { kind: 'embedded', port: 54329, dataDir: path.resolve('.vsnap', 'postgres') },
      auth: { kind: 'development', issuer: undefined, audience: undefined },
      logFormat: 'pretty',
      graphiql: true,
      limits: { maxDepth: 12, maxAliases: 15, maxTokens: 4000, maxCost: 50000, maxDocumentBytes: 32 * 1024 },
      http: { maxBodyBytes: 1024 * 1024, corsOrigins: [], fieldSuggestions: true, wsConnectionInitTimeoutMs: 3000 },
      shutdownTimeoutMs: 10_000,
    });
  });

  it.each<[string, Record<string, string>, Pick<Config, 'graphiql' | 'logFormat'> & { fieldSuggestions: boolean }]>([
    ['development (the default)', {}, { graphiql: true, logFormat: 'pretty', fieldSuggestions: true }],
    ['test', { NODE_ENV: 'test' }, { graphiql: false, logFormat: 'json', fieldSuggestions: true }],
    ['production', { NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET }, { graphiql: false, logFormat: 'json', fieldSuggestions: false }],
  ])('sets the edge for %s: GraphiQL, log format, field suggestions', (_name, env, expected) => {
    const config = loadConfig(env);
    expect({ graphiql: config.graphiql, logFormat: config.logFormat, fieldSuggestions: config.http.fieldSuggestions }).toEqual(expected);
  });

  it('does not read process.env when given a source', () => {
    expect(loadConfig({ PORT: '1234' }).port).toBe(1234);
  });
});

describe('loadConfig accepts', () => {
  it.each<[string, Record<string, string>, (config: Config) => unknown, unknown]>([
    ['PORT=0 (any free port)', { PORT: '0' }, (c) => c.port, 0],
    ['PORT=65535', { PORT: '65535' }, (c) => c.port, 65535],
    ['PORT with spaces', { PORT: ' 8080 ' }, (c) => c.port, 8080],
    ['an empty PORT as unset', { PORT: '' }, (c) => c.port, 4000],
    ['an empty EMBEDDED_POSTGRES_PORT as unset', { EMBEDDED_POSTGRES_PORT: '' }, (c) => c.database, { kind: 'embedded', port: 54329, dataDir: path.resolve('.vsnap', 'postgres') }],
    ['HOST=::', { HOST: '::' }, (c) => c.host, '::'],
    ['LOG_LEVEL=silent', { LOG_LEVEL: 'silent' }, (c) => c.logLevel, 'silent'],
    ['LOG_LEVEL=trace', { LOG_LEVEL: 'trace' }, (c) => c.logLevel, 'trace'],
    ['a relative VSNAP_DATA_DIR, resolved', { VSNAP_DATA_DIR: 'data' }, (c) => c.dataDir, path.resolve('data')],
    [
      'a postgres:// DATABASE_URL',
      { DATABASE_URL: 'postgres://u:p@db:5432/vsnap' },
      (c) => c.database,
      { kind: 'url', url: 'postgres://u:p@db:5432/vsnap' },
    ],
    ['a postgresql:// DATABASE_URL', { DATABASE_URL: 'postgresql://db/vsnap' }, (c) => c.database.kind, 'url'],
    ['an empty DATABASE_URL as unset (embedded)', { DATABASE_URL: '' }, (c) => c.database.kind, 'embedded'],
    ['EMBEDDED_POSTGRES_PORT', { EMBEDDED_POSTGRES_PORT: '15432' }, (c) => c.database, { kind: 'embedded', port: 15432, dataDir: path.resolve('.vsnap', 'postgres') }],
    ['AUTH_JWT_SECRET of 32 characters', { AUTH_JWT_SECRET: SECRET }, (c) => c.auth, { kind: 'secret', secret: SECRET, issuer: undefined, audience: undefined }],
    ['AUTH_JWT_SECRET, trimmed', { AUTH_JWT_SECRET: `  ${SECRET}  ` }, (c) => c.auth.kind === 'secret' && c.auth.secret, SECRET],
    [
      'AUTH_JWKS_URL with issuer and audience',
      { AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json', AUTH_ISSUER: 'https://idp.example/', AUTH_AUDIENCE: 'vsnap' },
      (c) => c.auth,
      { kind: 'jwks', jwksUrl: 'https://idp.example/.well-known/jwks.json', issuer: 'https://idp.example/', audience: 'vsnap' },
    ],
    ['a blank AUTH_ISSUER as unset', { AUTH_JWT_SECRET: SECRET, AUTH_ISSUER: '  ' }, (c) => c.auth.issuer, undefined],
    ['production with a secret', { NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET }, (c) => c.env, 'production'],
    ['production with JWKS', { NODE_ENV: 'production', AUTH_JWKS_URL: 'https://idp.example/jwks' }, (c) => c.auth.kind, 'jwks'],
    ...(['true', '1', 'yes'] as const).map((value): [string, Record<string, string>, (config: Config) => unknown, unknown] => [`GRAPHIQL=${value}`, { GRAPHIQL: value }, (c) => c.graphiql, true]),
    ...(['false', '0', 'no'] as const).map((value): [string, Record<string, string>, (config: Config) => unknown, unknown] => [`GRAPHIQL=${value}`, { GRAPHIQL: value }, (c) => c.graphiql, false]),
    [
      'the GRAPHQL_MAX_* limits',
      { GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ALIASES: '4', GRAPHQL_MAX_TOKENS: '500', GRAPHQL_MAX_COST: '600' },
      (c) => c.limits,
      { maxDepth: 3, maxAliases: 4, maxTokens: 500, maxCost: 600, maxDocumentBytes: 32 * 1024 },
    ],
    ['SHUTDOWN_TIMEOUT_MS', { SHUTDOWN_TIMEOUT_MS: '2500' }, (c) => c.shutdownTimeoutMs, 2500],
    ['GRAPHIQL=true in production', { NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, GRAPHIQL: 'true' }, (c) => c.graphiql, true],
    ['GRAPHIQL=false in development', { GRAPHIQL: 'false' }, (c) => c.graphiql, false],
    ['LOG_FORMAT=json in development', { LOG_FORMAT: 'json' }, (c) => c.logFormat, 'json'],
    ['LOG_FORMAT=pretty in production', { NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, LOG_FORMAT: 'pretty' }, (c) => c.logFormat, 'pretty'],
    ['an empty LOG_FORMAT as unset', { LOG_FORMAT: '' }, (c) => c.logFormat, 'pretty'],
    ['GRAPHQL_MAX_DOCUMENT_BYTES', { GRAPHQL_MAX_DOCUMENT_BYTES: '65536' }, (c) => c.limits.maxDocumentBytes, 65536],
    ['HTTP_MAX_BODY_BYTES', { HTTP_MAX_BODY_BYTES: '4194304' }, (c) => c.http.maxBodyBytes, 4194304],
    ['WS_CONNECTION_INIT_TIMEOUT_MS', { WS_CONNECTION_INIT_TIMEOUT_MS: '250' }, (c) => c.http.wsConnectionInitTimeoutMs, 250],
    [
      'CORS_ORIGINS, comma-separated with spaces',
      { CORS_ORIGINS: ' https://console.example.com , http://localhost:5173,' },
      (c) => c.http.corsOrigins,
      ['https://console.example.com', 'http://localhost:5173'],
    ],
    ['an empty CORS_ORIGINS as none', { CORS_ORIGINS: '' }, (c) => c.http.corsOrigins, []],
    ['VSNAP_ROLES=api', { VSNAP_ROLES: 'api' }, (c) => c.roles, ['api']],
    ['VSNAP_ROLES with spaces', { VSNAP_ROLES: ' worker , api ' }, (c) => c.roles, ['worker', 'api']],
    // Storage locations: the local root and where S3 credentials are found.
    ['LOCAL_STORAGE_ROOT by default under VSNAP_DATA_DIR', { VSNAP_DATA_DIR: 'data' }, (c) => c.engine.storage.localRoot, path.resolve('data', 'snapshots')],
    ['a relative LOCAL_STORAGE_ROOT, resolved', { LOCAL_STORAGE_ROOT: 'archives' }, (c) => c.engine.storage.localRoot, path.resolve('archives')],
    ['an empty LOCAL_STORAGE_ROOT as unset', { LOCAL_STORAGE_ROOT: '' }, (c) => c.engine.storage.localRoot, path.resolve('.vsnap', 'snapshots')],
    ['STORAGE_SECRETS_DIR by default', {}, (c) => c.engine.storage.secretsDir, '/var/run/secrets/vsnap-storage'],
    ['STORAGE_SECRETS_DIR', { STORAGE_SECRETS_DIR: '/mnt/s3-keys' }, (c) => c.engine.storage.secretsDir, '/mnt/s3-keys'],
    [
      'S3_<NAME>_ACCESS_KEY / _SECRET_KEY for locations, and nothing else',
      { S3_TEAM_A_ACCESS_KEY: 'a', S3_TEAM_A_SECRET_KEY: 'b', AUTH_JWT_SECRET: SECRET },
      (c) => c.engine.storage.credentialVariables,
      { S3_TEAM_A_ACCESS_KEY: 'a', S3_TEAM_A_SECRET_KEY: 'b' },
    ],
  ])('%s', (_name, env, pick, expected) => {
    expect(pick(loadConfig(env))).toEqual(expected);
  });
});

describe('loadConfig refuses', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    ['PORT=abc', { PORT: 'abc' }, /^PORT: .*expected number/],
    ['PORT=65536', { PORT: '65536' }, /^PORT: Too big/],
    ['PORT=-1', { PORT: '-1' }, /^PORT: Too small/],
    ['PORT=80.5', { PORT: '80.5' }, /^PORT: .*expected int/],
    ['EMBEDDED_POSTGRES_PORT=x', { EMBEDDED_POSTGRES_PORT: 'x' }, /^EMBEDDED_POSTGRES_PORT: /],
    ['an empty HOST', { HOST: '' }, /^HOST: /],
    ['LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, /^LOG_LEVEL: .*"fatal"\|"error"\|"warn"\|"info"\|"debug"\|"trace"\|"silent"/],
    ['NODE_ENV=staging', { NODE_ENV: 'staging' }, /^NODE_ENV: /],
    ['DATABASE_URL=not-a-url', { DATABASE_URL: 'not-a-url' }, /^DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL$/],
    ['a mysql:// DATABASE_URL', { DATABASE_URL: 'mysql://db/vsnap' }, /^DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL$/],
    ['a short AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'short' }, /^AUTH_JWT_SECRET: must be at least 32 characters$/],
    ['AUTH_JWKS_URL=jwks', { AUTH_JWKS_URL: 'jwks' }, /^AUTH_JWKS_URL: /],
    ['both AUTH_JWT_SECRET and AUTH_JWKS_URL', { AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: 'https://idp.example/jwks' }, /^AUTH_JWKS_URL: set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both$/],
    ['production without auth', { NODE_ENV: 'production' }, /^AUTH_JWT_SECRET: production needs AUTH_JWT_SECRET or AUTH_JWKS_URL/],
    ['production with a blank secret', { NODE_ENV: 'production', AUTH_JWT_SECRET: '   ' }, /^AUTH_JWT_SECRET: production needs/],
    ['GRAPHIQL=maybe', { GRAPHIQL: 'maybe' }, /^GRAPHIQL: must be true or false$/],
    ['GRAPHQL_MAX_DEPTH=0', { GRAPHQL_MAX_DEPTH: '0' }, /^GRAPHQL_MAX_DEPTH: Too small/],
    ['GRAPHQL_MAX_TOKENS=many', { GRAPHQL_MAX_TOKENS: 'many' }, /^GRAPHQL_MAX_TOKENS: /],
    ['SHUTDOWN_TIMEOUT_MS=-5', { SHUTDOWN_TIMEOUT_MS: '-5' }, /^SHUTDOWN_TIMEOUT_MS: Too small/],
    ['VSNAP_ROLES=web', { VSNAP_ROLES: 'web' }, /^VSNAP_ROLES\.0: roles are api and worker/],
    ['LOG_FORMAT=yaml', { LOG_FORMAT: 'yaml' }, /^LOG_FORMAT: .*"json"\|"pretty"/],
    ['GRAPHQL_MAX_DOCUMENT_BYTES=0', { GRAPHQL_MAX_DOCUMENT_BYTES: '0' }, /^GRAPHQL_MAX_DOCUMENT_BYTES: Too small/],
    ['HTTP_MAX_BODY_BYTES=1MiB', { HTTP_MAX_BODY_BYTES: '1MiB' }, /^HTTP_MAX_BODY_BYTES: /],
    ['WS_CONNECTION_INIT_TIMEOUT_MS=0', { WS_CONNECTION_INIT_TIMEOUT_MS: '0' }, /^WS_CONNECTION_INIT_TIMEOUT_MS: Too small/],
    ['CORS_ORIGINS=*', { CORS_ORIGINS: '*' }, /^CORS_ORIGINS\.0: "\*" is not an origin \(scheme:\/\/host\[:port\], no path or trailing slash\)$/],
    ['a CORS origin with a trailing slash', { CORS_ORIGINS: 'https://console.example.com/' }, /^CORS_ORIGINS\.0: "https:\/\/console\.example\.com\/" is not an origin/],
    ['a CORS origin with a path', { CORS_ORIGINS: 'https://console.example.com/app' }, /^CORS_ORIGINS\.0: .* is not an origin/],
    ['a CORS origin without a scheme', { CORS_ORIGINS: 'console.example.com' }, /^CORS_ORIGINS\.0: .* is not an origin/],
    ['a CORS origin of another scheme', { CORS_ORIGINS: 'ftp://console.example.com' }, /^CORS_ORIGINS\.0: .* is not an origin/],
    ['a CORS origin in capitals (browsers send lower case)', { CORS_ORIGINS: 'https://Console.example.com' }, /^CORS_ORIGINS\.0: .* is not an origin/],
    ['the second of two CORS origins', { CORS_ORIGINS: 'https://ok.example,null' }, /^CORS_ORIGINS\.1: "null" is not an origin/],
    [
      'DEFAULT_STORAGE_TARGET (replaced by storage locations)',
      { DEFAULT_STORAGE_TARGET: 's3://backups/vsnap' },
      /^DEFAULT_STORAGE_TARGET: is no longer read: storage locations replace it \(createStorageLocation with default: true; see the README\)$/,
    ],
  ])('%s, naming the variable', (_name, env, message) => {
    expect(problems(env)).toEqual([expect.stringMatching(message)]);
  });

  it('reports every bad variable at once, in a ConfigError whose message lists them', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'not-a-url', GRAPHIQL: 'maybe' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems: reported, message } = error as ConfigError;
    expect(reported.map((problem) => problem.split(':')[0])).toEqual(['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'GRAPHIQL']);
    expect(message.split('\n')).toEqual(['invalid configuration:', ...reported.map((problem) => `  - ${problem}`)]);
  });
});

describe('src/main.ts with a bad environment', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-config-'));
  });
  afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

  const bad = {
    PORT: 'abc',
    LOG_LEVEL: 'loud',
    DATABASE_URL: 'not-a-url',
    AUTH_JWKS_URL: 'jwks',
    EMBEDDED_POSTGRES_PORT: '70000',
    GRAPHIQL: 'maybe',
    GRAPHQL_MAX_DEPTH: '0',
    SHUTDOWN_TIMEOUT_MS: 'soon',
  };

  it.concurrent('exits 1 before opening anything, naming every bad variable on stderr', { timeout: 60_000 }, async () => {
    const main = spawnMain({ ...bad, VSNAP_DATA_DIR: dataDir });
    const exit = await main.exited;
    expect(exit, main.stderr()).toEqual({ code: 1, signal: null });
    const lines = main.stderr().trimEnd().split('\n');
    expect(lines[0]).toBe('vsnap: invalid configuration:');
    for (const name of Object.keys(bad)) {
      expect(lines.filter((line) => line.startsWith(`  - ${name}: `)), `${name} on stderr:\n${main.stderr()}`).toHaveLength(1);
    }
    expect(lines).toHaveLength(1 + Object.keys(bad).length);
    expect(main.stdout()).toBe('');
    // Nothing was created: no development secret, no embedded database.
    expect(await fs.readdir(dataDir)).toEqual([]);
  });

  it.concurrent('exits 1 on a rule between variables (secret and JWKS both set)', { timeout: 60_000 }, async () => {
    const main = spawnMain({ AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: 'https://idp.example/jwks', VSNAP_DATA_DIR: dataDir, DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    expect(await main.exited).toEqual({ code: 1, signal: null });
    expect(main.stderr()).toBe('vsnap: invalid configuration:\n  - AUTH_JWKS_URL: set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both\n');
    expect(main.stdout()).toBe('');
  });

  it.concurrent('exits 1 in production without auth', { timeout: 60_000 }, async () => {
    const main = spawnMain({ NODE_ENV: 'production', VSNAP_DATA_DIR: dataDir });
    expect(await main.exited).toEqual({ code: 1, signal: null });
    expect(main.stderr()).toMatch(/^vsnap: invalid configuration:\n {2}- AUTH_JWT_SECRET: production needs AUTH_JWT_SECRET or AUTH_JWKS_URL/);
  });

  it.concurrent('exits 1 with a fatal log when the database cannot be reached', { timeout: 60_000 }, async () => {
    const main = spawnMain({ AUTH_JWT_SECRET: SECRET, VSNAP_DATA_DIR: dataDir, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'info' });
    expect(await main.exited).toEqual({ code: 1, signal: null });
    expect(main.logs().find((line) => line.level === 60)).toMatchObject({ msg: 'could not open the database' });
    expect(main.logs().some((line) => line.msg === 'vsnap is serving GraphQL')).toBe(false);
  });
});
