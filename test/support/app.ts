import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { print, type ExecutionResult } from 'graphql';
import { MongoClient } from 'mongodb';
import { createTokenVerifier, signToken } from '../../src/auth/tokens.ts';
import type { RolesClaim } from '../../src/auth/viewer.ts';
import type { EngineConfig, HttpConfig, SubscriptionConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/orm.ts';
import { startEngine, type Engine } from '../../src/jobs/engine.ts';
import { EgressPolicy } from '../../src/kube/egress.ts';
import { pino } from 'pino';
import { loggerOptions } from '../../src/logger.ts';
import { createProcessMetrics } from '../../src/metrics.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { startServer, type Server } from '../../src/server.ts';
import { openLocationStore } from '../../src/locations/store.ts';
import type { StorageSettings } from '../../src/storage/index.ts';
import { createTestDatabase } from './database.ts';

export const TEST_JWT_SECRET = 'vsnap-test-secret-that-is-long-enough-for-hs256';
const secretKey = new TextEncoder().encode(TEST_JWT_SECRET);

export type GraphQLResponse<T> = ExecutionResult<T> & { status: number };

export type LogLine = { level: number; msg: string } & Record<string, unknown>;

export interface TestApp {
  url: string;
  databaseUrl: string;
  orm: MikroORM;
  engine?: Engine;
  server: Server;
  /** The box inline kubeconfigs are sealed in; undefined when the app refuses them. */
  inlineBox?: SecretBox;
  /** Every line the app logged at info and above, parsed (printed too when LOG_LEVEL is set). */
  logs(): LogLine[];
  /**
   * Stops the HTTP server as SIGTERM does (WebSocket connections closed with 1001) and starts
   * it again on the same port and database, as a restarted vsnap: `url` stays the same.
   * `whileDown` runs in between.
   */
  restartServer(whileDown?: () => Promise<void>): Promise<void>;
  /** Sends an operation over HTTP as the holder of `token` (no header when undefined). */
  request<T, V>(document: TypedDocumentNode<T, V>, variables: V, token: string | undefined): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export const tokens = {
  platformAdmin: () => signToken(secretKey, 'platform-admin', { platformAdmin: true }),
  projectAdmin: (projectId: string) => signToken(secretKey, `admin-of-${projectId}`, { projects: { [projectId]: 'admin' } }),
  member: (projectId: string) => signToken(secretKey, `member-of-${projectId}`, { projects: { [projectId]: 'member' } }),
  as: (subject: string, roles: Partial<RolesClaim>) => signToken(secretKey, subject, roles),
};

/** Engine settings for tests: short locks and timeouts, nothing periodic unless a test runs it. */
export function testEngineConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    snapshotConcurrency: 2,
    dueFinderIntervalMs: 5_000,
    volumeSnapshotConcurrency: 2,
    snapshotTimeoutMs: 60_000,
    volumeSnapshotTimeoutMs: 10_000,
    lockLifetimeMs: 4_000,
    reconcileIntervalMs: 3_600_000,
    retentionIntervalMs: 3_600_000,
    verifyIntervalMs: 3_600_000,
    verifyBatchSize: 10,
    eventRetentionMs: 30 * 86_400_000,
    listPageSize: 50,
    kubeRequestTimeoutMs: 5_000,
    // Kubernetes retries as configured by default, with short waits: tests do not wait seconds for a backoff.
    kubeRetry: { attempts: 5, baseDelayMs: 20, maxDelayMs: 1_000, requestDeadlineMs: 20_000, budget: 100 },
    kubeconfigSecretsDir: '/nonexistent-secrets',
    kubeEgress: EgressPolicy.defaults('test'),
    storage: {
      s3: { region: 'us-east-1', pathStyle: true, partSizeBytes: 5 * 1024 * 1024 },
      // Created on first use; startTestApp removes it on close.
      localRoot: path.join(os.tmpdir(), `vsnap-test-storage-${randomUUID()}`),
      secretsDir: '/nonexistent-storage-secrets',
      credentialVariables: {},
    },
    mongodbUrl: process.env.MONGODB_URL,
    ...overrides,
  };
}

export async function startTestApp(
  options: {
    limits?: Partial<{ maxDepth: number; maxAliases: number; maxTokens: number; maxCost: number; maxDocumentBytes: number }>;
    /**
     * The HTTP edge; default: 16 MiB bodies (room for the 5 MB inputs that tests of echo capping
     * send; the body limit itself is tested in test/security/http.test.ts), no CORS origins, field
     * suggestions on (as in development).
     */
    http?: Partial<HttpConfig>;
    graphiql?: boolean;
    /** Starts the snapshot engine beside the API. */
    engine?: Partial<EngineConfig>;
    /** false: the engine only enqueues (another process works the jobs). Default true. */
    worker?: boolean;
    /** Where API servers may be, for the API and the engine; default the development/test policy (loopback allowed). */
    kubeEgress?: EgressPolicy;
    /** Seals inline kubeconfigs; default a box with a fresh random key; null refuses them (production's default). */
    inlineBox?: SecretBox | null;
    /** How the API opens storage locations (deleteSnapshot, verifySnapshot) when no engine is started; default: it cannot. */
    storage?: StorageSettings;
    /** The Postgres server to make the app's database on; default the run's (tests that stop their own pass it). */
    postgresAdminUrl?: string;
    /** Live delivery; default SUBSCRIPTION_BUFFER_EVENTS' default (1,000 events a subscriber). */
    subscriptions?: Partial<SubscriptionConfig>;
    /** The built web console served at /ui; default ui/dist. */
    consoleDir?: string;
  } = {},
): Promise<TestApp> {
  const kubeEgress = options.kubeEgress ?? options.engine?.kubeEgress ?? EgressPolicy.defaults('test');
  const inlineBox = options.inlineBox === null ? undefined : (options.inlineBox ?? new SecretBox([{ id: 'test', key: randomBytes(32) }]));
  const database = await createTestDatabase(options.postgresAdminUrl);
  const orm = await openDatabase(database.url, { pool: { min: 0, max: 8 } });
  const logLines: LogLine[] = [];
  const logger = pino(loggerOptions('info'), {
    write(line: string) {
      logLines.push(JSON.parse(line) as LogLine);
      if (process.env.LOG_LEVEL) process.stderr.write(line);
    },
  });
  const engineConfig = options.engine ? testEngineConfig({ ...options.engine, kubeEgress }) : undefined;
  // With MONGODB_URL, each app keeps its jobs in a MongoDB database of its own (named like its
  // Postgres one): apps running in parallel must never work each other's jobs.
  const ownMongo = engineConfig?.mongodbUrl && !options.engine?.mongodbUrl ? isolatedMongoUrl(engineConfig.mongodbUrl, database.url) : undefined;
  if (engineConfig && ownMongo) engineConfig.mongodbUrl = ownMongo;
  const metrics = createProcessMetrics();
  const engine = engineConfig
    ? await startEngine({ orm, postgresUrl: database.url, config: engineConfig, logger, worker: options.worker ?? true, processEveryMs: 500, inlineBox, metrics })
    : undefined;
  const serverDeps = (port: number): Parameters<typeof startServer>[0] => ({
    config: {
      host: '127.0.0.1',
      port,
      graphiql: options.graphiql ?? false,
      limits: { maxDepth: 12, maxAliases: 15, maxTokens: 4000, maxCost: 50000, maxDocumentBytes: 32 * 1024, ...options.limits },
      http: { maxBodyBytes: 16 * 1024 * 1024, corsOrigins: [], fieldSuggestions: true, wsConnectionInitTimeoutMs: 3000, ...options.http },
      shutdownTimeoutMs: 2000,
      subscriptions: { bufferEvents: 1000, ...options.subscriptions },
      consoleDir: options.consoleDir,
    },
    orm,
    verifier: createTokenVerifier({ kind: 'secret', secret: TEST_JWT_SECRET }),
    logger,
    jobs: engine?.scheduler,
    storage: engineConfig || options.storage ? (location) => openLocationStore(location, engineConfig?.storage ?? options.storage!) : undefined,
    kubeconfigs: { egress: kubeEgress, inlineBox },
    metrics,
  });
  let server = await startServer(serverDeps(0));
  return {
    logs: () => logLines,
    url: server.url,
    databaseUrl: database.url,
    orm,
    get server() {
      return server;
    },
    engine,
    inlineBox,
    async restartServer(whileDown) {
      const port = Number(new URL(server.url).port);
      await server.close();
      await whileDown?.();
      // A registry of its own: the first server's metrics are registered in the process's one.
      server = await startServer({ ...serverDeps(port), metrics: createProcessMetrics() });
    },
    async request(document, variables, token) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query: print(document), variables }),
      });
      const body = (await response.json()) as ExecutionResult<never>;
      return { ...body, status: response.status } as GraphQLResponse<never>;
    },
    async close() {
      await server.close();
      await engine?.stop(2_000);
      await orm.close();
      await database.drop();
      if (engineConfig) await fs.rm(engineConfig.storage.localRoot, { recursive: true, force: true });
      if (ownMongo) {
        const mongo = await MongoClient.connect(ownMongo);
        await mongo.db().dropDatabase();
        await mongo.close();
      }
    },
  };
}

function isolatedMongoUrl(base: string, postgresUrl: string): string {
  const url = new URL(base);
  url.pathname = new URL(postgresUrl).pathname;
  return url.toString();
}

/** The error codes of a response, in order. */
export function errorCodes(response: { errors?: readonly { extensions?: Record<string, unknown> }[] }): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}
