import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { MikroORM } from '@mikro-orm/postgresql';
import { PothosValidationError } from '@pothos/core';
import { GraphQLError, type ValidationContext } from 'graphql';
import { createYoga, type YogaInitialContext } from 'graphql-yoga';
import { AuthenticationError, type TokenVerifier } from './auth/tokens.ts';
import type { KubeconfigRules } from './clusters/kubeconfig.ts';
import type { Config } from './config.ts';
import { createContext, type Context } from './context.ts';
import { DomainError } from './errors.ts';
import { schema } from './graphql/schema.ts';
import type { SnapshotJobs } from './jobs/jobs.ts';
import type { Logger } from './logger.ts';
import type { LocationStoreOpener } from './locations/store.ts';
import { createMetrics } from './metrics.ts';

export interface Server {
  url: string;
  close(): Promise<void>;
}

export interface ServerDeps {
  config: Pick<Config, 'host' | 'port' | 'graphiql' | 'limits' | 'shutdownTimeoutMs'>;
  orm: MikroORM;
  verifier: TokenVerifier;
  logger: Logger;
  /** Where mutations enqueue snapshot work; absent in an API-only test server. */
  jobs?: SnapshotJobs;
  /** Opens storage locations, so deleteSnapshot can remove archives. */
  storage?: LocationStoreOpener;
  /** How tenants' kubeconfigs are admitted (egress policy) and kept (sealed). */
  kubeconfigs: KubeconfigRules;
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } } },
  });
}

/** Turns service errors into coded GraphQL errors; hides (and logs) anything unexpected. */
function maskError(logger: Logger) {
  return (error: unknown, message: string): Error => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof DomainError) {
      return new GraphQLError(original.message, {
        path: error instanceof GraphQLError ? error.path : undefined,
        extensions: { code: original.code, ...(original.field ? { field: original.field } : {}) },
      });
    }
    // Pothos' argument checks (e.g. a negative `first` on a connection) are the caller's mistake.
    if (original instanceof PothosValidationError) {
      return new GraphQLError(original.message, {
        path: error instanceof GraphQLError ? error.path : undefined,
        extensions: { code: 'VALIDATION' },
      });
    }
    // Keep graphql-js's located copy: it carries the path of the field that failed.
    if (original instanceof GraphQLError && original.extensions.code) return error instanceof GraphQLError ? error : original;
    if (error instanceof GraphQLError && !error.originalError) return error;
    logger.error({ err: original }, 'unexpected error while resolving');
    return new GraphQLError(message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}

/**
 * graphql-armor throws from its validation rules by default, which yoga answers like an
 * execution error: HTTP 200 and no error code. Reported instead, a rejection is an ordinary
 * validation error: GRAPHQL_VALIDATION_FAILED, and 400 for application/graphql-response+json.
 */
const reportAsValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

export async function startServer({ config, orm, verifier, logger, jobs, storage, kubeconfigs }: ServerDeps): Promise<Server> {
  const metrics = createMetrics();
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: config.graphiql ? { title: 'vsnap', headers: JSON.stringify({ Authorization: 'Bearer <token>' }) } : false,
    landingPage: false,
    logging: false,
    maskedErrors: { maskError: maskError(logger) },
    plugins: [
      EnvelopArmorPlugin({
        maxDepth: { n: config.limits.maxDepth, ...reportAsValidationError },
        maxAliases: { n: config.limits.maxAliases, ...reportAsValidationError },
        maxDirectives: reportAsValidationError,
        // Checked while parsing (no validation context): its default, throwing, is a parse error already.
        maxTokens: { n: config.limits.maxTokens },
        costLimit: { maxCost: config.limits.maxCost, ...reportAsValidationError },
        blockFieldSuggestion: { enabled: false },
      }),
      metrics.graphqlPlugin,
    ],
    context: async ({ request }: YogaInitialContext) => {
      const header = request.headers.get('authorization');
      const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
      if (!token) throw unauthenticated('an Authorization: Bearer <token> header is required');
      try {
        const viewer = await verifier.verify(token);
        const requestLogger = logger.child({ requestId: randomUUID(), subject: viewer.subject });
        return createContext({ em: orm.em.fork(), viewer, logger: requestLogger, scheduler: jobs, storage, kubeconfigs });
      } catch (error) {
        if (error instanceof AuthenticationError) throw unauthenticated(error.message);
        throw error;
      }
    },
  });

  let accepting = true;
  /** Responses being written: on close() they end their keep-alive connections (see close()). */
  const inFlight = new Set<http.ServerResponse>();
  const server = http.createServer(async (req, res) => {
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    if (!accepting) endConnectionAfter(res);
    const route = new URL(req.url ?? '/', 'http://vsnap').pathname;
    const stop = metrics.httpRequests.startTimer({ route: route === '/graphql' ? route : 'other' });
    res.on('finish', () => stop({ status: String(res.statusCode) }));
    if (route === '/healthz') return sendText(res, 200, 'ok');
    if (route === '/readyz') {
      const ready = accepting && (await orm.isConnected().catch(() => false));
      return sendText(res, ready ? 200 : 503, ready ? 'ready' : 'not ready');
    }
    if (route === '/metrics') {
      res.setHeader('content-type', metrics.registry.contentType);
      return res.end(await metrics.registry.metrics());
    }
    return yoga(req, res);
  });
  server.requestTimeout = 60_000;
  /** Answers with `Connection: close`, or, when the headers are out already, drops the connection once idle. */
  function endConnectionAfter(res: http.ServerResponse): void {
    if (!res.headersSent) res.setHeader('connection', 'close');
    else res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;

  return {
    url,
    /** Stops accepting, lets in-flight requests finish (up to the timeout), then drops what is left. */
    async close() {
      accepting = false;
      // Otherwise a request in flight leaves its keep-alive connection open and close() waits out the timeout.
      for (const res of inFlight) endConnectionAfter(res);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timeout = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await closed;
      clearTimeout(timeout);
    },
  };
}

function sendText(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}
