import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { MikroORM } from '@mikro-orm/postgresql';
import { PothosValidationError } from '@pothos/core';
import { ForbiddenError } from '@pothos/plugin-scope-auth';
import { GraphQLError, Kind, type ValidationContext } from 'graphql';
import { createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import type { TokenVerifier } from './auth/tokens.ts';
import type { KubeconfigRules } from './clusters/kubeconfig.ts';
import type { Config, SubscriptionConfig } from './config.ts';
import { createContext, type Context, type ContextDeps } from './context.ts';
import { useSharedSubscriptionResults } from './graphql/shared-results.ts';
import { boundedMessage, DomainError } from './errors.ts';
import { EventFeed } from './events/feed.ts';
import { schema } from './graphql/schema.ts';
import { requestAuthentication } from './http/authentication.ts';
import { CONSOLE_PATH, consoleHandler, DEFAULT_CONSOLE_DIR } from './http/console.ts';
import { useCorsOrigins } from './http/cors.ts';
import { offlineGraphiQL } from './http/graphiql.ts';
import { gracefulClose } from './http/graceful-close.ts';
import { useSubscriptionExpiry } from './http/subscription-expiry.ts';
import { useCloseAfterTooLarge, useMaxDocumentBytes, useRequestBodyLimit } from './http/request-size.ts';
import { useHiddenSuggestions } from './http/suggestions.ts';
import { attachGraphQLWebSocket } from './http/websocket.ts';
import type { SocketInitialContext } from './http/websocket-operations.ts';
import type { SnapshotJobs } from './jobs/jobs.ts';
import { collapseRepeats, type Logger, type RepeatedLines } from './logger.ts';
import { databaseEndpoint, isDatabaseUnavailableAt, type DatabaseEndpoint } from './db/outage.ts';
import type { LocationStoreOpener } from './locations/store.ts';
import { createMetrics, type ProcessMetrics } from './metrics.ts';

export interface Server {
  url: string;
  close(): Promise<void>;
}

export interface ServerDeps {
  config: Pick<Config, 'host' | 'port' | 'graphiql' | 'limits' | 'http' | 'shutdownTimeoutMs'> & {
    subscriptions?: SubscriptionConfig;
    /** The built web console served at /ui; default ui/dist of this checkout. */
    consoleDir?: string;
  };
  orm: MikroORM;
  verifier: TokenVerifier;
  logger: Logger;
  /** Where mutations enqueue snapshot work; absent in an API-only test server. */
  jobs?: SnapshotJobs;
  /** Opens storage locations, so deleteSnapshot can remove archives. */
  storage?: LocationStoreOpener;
  /** How tenants' kubeconfigs are admitted (egress policy) and kept (sealed). */
  kubeconfigs: KubeconfigRules;
  /** The process's registry (the engine's counters): /metrics serves it with the API's metrics. */
  metrics?: ProcessMetrics;
}

/** What a client is told to wait before retrying a request that failed for a database outage. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Every error leaves with a code and a bounded message (boundedMessage: no caller input
 * echoed past 64 characters, nothing past 1 KiB). The caller's mistakes are named as such:
 * - DomainError → its code (VALIDATION with `extensions.field`, NOT_FOUND, CONFLICT, ...);
 * - Pothos' argument checks (a negative `first`) → VALIDATION on that argument;
 * - request errors, raised before anything runs: a variable GraphQL's types refuse (2^31 for
 *   an Int, a string for an input object, null for a required ID, an unknown enum value)
 *   → BAD_USER_INPUT with HTTP 400; parse and document errors keep yoga's
 *   GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED (400);
 * - the database unreachable (connection refused or lost, server shutting down): HTTP 503,
 *   SERVICE_UNAVAILABLE and Retry-After; one log line per interval while it lasts;
 * - anything else is ours: logged, answered INTERNAL_SERVER_ERROR without detail.
 */
function maskError(logger: Logger, repeats: RepeatedLines, database: DatabaseEndpoint) {
  return (error: unknown, message: string): Error => {
    const located = error instanceof GraphQLError ? error : undefined;
    const original = located?.originalError ?? error;
    if (original instanceof DomainError) {
      return codedError(original.message, located, { code: original.code, ...(original.field ? { field: original.field } : {}) });
    }
    if (original instanceof PothosValidationError) return pothosArgumentError(original, located);
    if (located && isRequestError(located)) {
      return codedError(located.message, located, {
        ...located.extensions,
        code: 'BAD_USER_INPUT',
        http: { ...(located.extensions.http as object | undefined), status: 400 },
      });
    }
    // Coded by us (FORBIDDEN from scope-auth, UNAUTHENTICATED) or by yoga: keep graphql-js's located copy, with its path.
    if (located && original instanceof GraphQLError && original.extensions.code) return codedError(located.message, located, located.extensions);
    if (isDatabaseUnavailableAt(original, database)) {
      repeats.error({ err: original }, 'database unreachable: requests are answered 503 SERVICE_UNAVAILABLE');
      return codedError('the database is unreachable; try again shortly', located, {
        code: 'SERVICE_UNAVAILABLE',
        http: { status: 503, headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) } },
      });
    }
    logger.error({ err: original }, 'unexpected error while resolving');
    return new GraphQLError(message, { path: located?.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };
}

/** `error` (its locations and path) with a bounded message and these extensions. */
function codedError(message: string, error: GraphQLError | undefined, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(boundedMessage(message), { nodes: error?.nodes, source: error?.source, positions: error?.positions, path: error?.path, extensions });
}

/** Pothos says `Argument "first" must be a non-negative integer`: VALIDATION, `extensions.field` the argument. */
function pothosArgumentError(error: PothosValidationError, located: GraphQLError | undefined): GraphQLError {
  // scope-auth's own refusal is a PothosValidationError too (ours, unauthorizedError in builder.ts, comes first).
  if (error instanceof ForbiddenError) return codedError(error.message, located, { code: 'FORBIDDEN' });
  const argument = /^Argument "(\w+)" (.+)$/.exec(error.message);
  if (!argument) return codedError(error.message, located, { code: 'VALIDATION' });
  return codedError(`${argument[1]}: ${argument[2]}`, located, { code: 'VALIDATION', field: argument[1] });
}

/**
 * A GraphQL error raised before execution without a code of its own: the variable checks of
 * graphql-js (they point at the variable's definition, and have no path) and their "too many
 * errors" cut-off. Errors of execution always have a path.
 */
function isRequestError(error: GraphQLError): boolean {
  if (error.path !== undefined) return false;
  if (error.nodes?.some((node) => node.kind === Kind.VARIABLE_DEFINITION)) return true;
  return !error.extensions.code && !(error.originalError && !(error.originalError instanceof GraphQLError));
}

/**
 * Document validation errors never reach maskError, and graphql-js repeats the document's
 * literals and names in them (`Int cannot represent non-integer value: "<5 MB>"`): their
 * messages are bounded the same way.
 */
const boundedValidationMessages: Plugin = {
  onValidate: () => ({ result }) => {
    for (const error of result) if (error instanceof GraphQLError) error.message = boundedMessage(error.message);
  },
};

/**
 * graphql-armor throws from its validation rules by default, which yoga answers like an
 * execution error: HTTP 200 and no error code. Reported instead, a rejection is an ordinary
 * validation error: GRAPHQL_VALIDATION_FAILED, and 400 for application/graphql-response+json.
 */
const reportAsValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

export async function startServer({ config, orm, verifier, logger, jobs, storage, kubeconfigs, metrics: processMetrics }: ServerDeps): Promise<Server> {
  const metrics = createMetrics(processMetrics?.registry);
  // The process's one LISTEN connection and the fan-out to its subscribers (SSE here, graphql-ws alike).
  const feed = new EventFeed(orm, logger, metrics.delivery, { bufferEvents: 1000, ...config.subscriptions });
  metrics.delivery.bufferedFrom(() => feed.bufferedEvents);
  await feed.start();
  const authentication = requestAuthentication(verifier);
  const contextDeps: ContextDeps = { fork: () => orm.em.fork(), logger, scheduler: jobs, storage, kubeconfigs, feed };
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: config.graphiql ? { title: 'vsnap', headers: JSON.stringify({ Authorization: 'Bearer <token>' }) } : false,
    renderGraphiQL: offlineGraphiQL(),
    landingPage: false,
    logging: false,
    // Answered 413 (REQUEST_ENTITY_TOO_LARGE) from Content-Length alone, or as soon as a chunked body passes it.
    // useRequestBodyLimit below: the same refusals, without a stream and a second Request per body.
    maxRequestBodySize: false,
    // yoga's own CORS reflects any Origin with credentials; useCorsOrigins answers listed origins only.
    cors: false,
    maskedErrors: { maskError: maskError(logger, collapseRepeats(logger), databaseEndpoint(orm.config.get('clientUrl') ?? 'postgres://localhost')) },
    plugins: [
      // First of vsnap's plugins: no token, no parsing.
      authentication.plugin,
      ...(config.http.corsOrigins.length > 0 ? [useCorsOrigins(config.http.corsOrigins)] : []),
      useCloseAfterTooLarge(),
      useRequestBodyLimit(config.http.maxBodyBytes),
      useMaxDocumentBytes(config.limits.maxDocumentBytes),
      ...(config.http.fieldSuggestions ? [] : [useHiddenSuggestions()]),
      EnvelopArmorPlugin({
        maxDepth: { n: config.limits.maxDepth, ...reportAsValidationError },
        // armor leaves `__typename` aliases out of the count by default: a thousand of them are cheap to send, not to answer.
        maxAliases: { n: config.limits.maxAliases, allowList: [], ...reportAsValidationError },
        maxDirectives: reportAsValidationError,
        // Checked while parsing (no validation context): its default, throwing, is a parse error already.
        maxTokens: { n: config.limits.maxTokens },
        costLimit: { maxCost: config.limits.maxCost, ...reportAsValidationError },
        // useHiddenSuggestions covers more than armor's validation-only rewrite.
        blockFieldSuggestion: { enabled: false },
      }),
      metrics.graphqlPlugin,
      boundedValidationMessages,
      useSubscriptionExpiry(),
      // Each live event executed once per group of identical subscriptions, not once per subscriber.
      useSharedSubscriptionResults(),
    ],
    // An HTTP request's caller is authenticated by the plugin above; a graphql-ws operation's comes with it (websocket.ts).
    context: (initial: YogaInitialContext & Partial<SocketInitialContext>) => {
      const viewer = initial.viewer ?? authentication.viewerOf(initial.request);
      const transport = initial.transport ?? (initial.request.headers.get('accept')?.includes('text/event-stream') ? 'sse' : 'http');
      return createContext(contextDeps, viewer, transport, initial);
    },
  });

  // Only WebSocket upgrades are upgrades: any other Upgrade header is an ordinary request.
  const server = http.createServer({ shouldUpgradeCallback: (req) => req.headers.upgrade?.toLowerCase() === 'websocket' });
  server.requestTimeout = 60_000;
  const shutdown = gracefulClose(server);
  const serveConsole = consoleHandler(config.consoleDir ?? DEFAULT_CONSOLE_DIR);
  server.on('request', async (req: http.IncomingMessage, res: http.ServerResponse) => {
    shutdown.track(req, res);
    const route = new URL(req.url ?? '/', 'http://vsnap').pathname;
    const stop = metrics.httpRequests.startTimer({ route: route === '/graphql' ? route : 'other' });
    res.on('finish', () => stop({ status: String(res.statusCode) }));
    if (route === '/healthz') return sendText(res, 200, 'ok');
    if (route === '/readyz') {
      const ready = !shutdown.closing && (await orm.isConnected().catch(() => false));
      return sendText(res, ready ? 200 : 503, ready ? 'ready' : 'not ready');
    }
    if (route === CONSOLE_PATH || route.startsWith(`${CONSOLE_PATH}/`)) {
      return serveConsole(req, res, route).catch((error: unknown) => {
        logger.error({ err: error }, 'could not read a file of the console');
        if (!res.headersSent) sendText(res, 500, 'internal error');
        else res.destroy();
      });
    }
    if (route === '/metrics') {
      res.setHeader('content-type', metrics.registry.contentType);
      return res.end(await metrics.registry.metrics());
    }
    return yoga(req, res);
  });
  const webSocket = attachGraphQLWebSocket(server, yoga, {
    verifier,
    logger,
    corsOrigins: config.http.corsOrigins,
    maxMessageBytes: config.http.maxBodyBytes,
    maxDocumentBytes: config.limits.maxDocumentBytes,
    fieldSuggestions: config.http.fieldSuggestions,
    connectionInitTimeoutMs: config.http.wsConnectionInitTimeoutMs,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  }).catch(async (error: unknown) => {
    await feed.stop();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;

  return {
    url,
    /**
     * Ends live subscriptions — WebSocket connections are closed with 1001 "server shutting down"
     * first, then the feed ends the rest (SSE streams: SERVICE_UNAVAILABLE, then complete) — stops
     * accepting, lets in-flight requests finish (up to the timeout), then drops what is left.
     */
    close: async () => {
      const sockets = webSocket.close(config.shutdownTimeoutMs);
      await feed.stop();
      await Promise.all([sockets, shutdown.close(config.shutdownTimeoutMs)]);
    },
  };
}

function sendText(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}
