import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { print, type ExecutionResult } from 'graphql';
import { createTokenVerifier, signToken } from '../../src/auth/tokens.ts';
import type { RolesClaim } from '../../src/auth/viewer.ts';
import { openDatabase } from '../../src/db/orm.ts';
import { createLogger } from '../../src/logger.ts';
import { startServer, type Server } from '../../src/server.ts';
import { createTestDatabase } from './database.ts';

export const TEST_JWT_SECRET = 'vsnap-test-secret-that-is-long-enough-for-hs256';
const secretKey = new TextEncoder().encode(TEST_JWT_SECRET);

export type GraphQLResponse<T> = ExecutionResult<T> & { status: number };

export interface TestApp {
  url: string;
  orm: MikroORM;
  server: Server;
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

export async function startTestApp(
  options: { limits?: Partial<{ maxDepth: number; maxAliases: number; maxTokens: number; maxCost: number }> } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const orm = await openDatabase(database.url, { pool: { min: 0, max: 4 } });
  const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');
  const server = await startServer({
    config: {
      host: '127.0.0.1',
      port: 0,
      graphiql: false,
      limits: { maxDepth: 12, maxAliases: 15, maxTokens: 4000, maxCost: 50000, ...options.limits },
      shutdownTimeoutMs: 2000,
    },
    orm,
    verifier: createTokenVerifier({ kind: 'secret', secret: TEST_JWT_SECRET }),
    logger,
  });
  return {
    url: server.url,
    orm,
    server,
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
      await orm.close();
      await database.drop();
    },
  };
}

/** The error codes of a response, in order. */
export function errorCodes(response: { errors?: readonly { extensions?: Record<string, unknown> }[] }): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}
