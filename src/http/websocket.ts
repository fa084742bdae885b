/**
 * GraphQL over WebSocket, the graphql-transport-ws protocol of graphql-ws, on the HTTP server's own
 * port and path (/graphql). Operations run through yoga's envelop (`getEnveloped`), so error
 * masking, the armor limits, scope-auth and token expiry (subscription-expiry.ts) are the same as
 * over HTTP.
 *
 * Close codes are graphql-ws's: 4400 invalid message, 4401 subscribe before the ack, 4403 init
 * refused (no valid token) or token expired, 4406 wrong subprotocol, 4408 no connection_init in
 * time, 4409 duplicate operation id, 4429 second connection_init; 1001 when the server shuts down,
 * 1009 for a message over the size limit.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Context as ProtocolContext, type SubscribePayload } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer, type WebSocket } from 'ws';
import { authenticate } from '../auth/request.ts';
import { AuthenticationError, type TokenVerifier } from '../auth/tokens.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { Context } from '../context.ts';
import type { Logger } from '../logger.ts';
import { tokenExpiries, type Expiring } from './subscription-expiry.ts';
import { envelopedOperation, formattedErrors, prepareOperation, tokenExpired, type SocketInitialContext } from './websocket-operations.ts';

export const SHUTDOWN_CLOSE_REASON = 'server shutting down';
export const TOKEN_EXPIRED_CLOSE_REASON = 'token expired';
/** After its token expires, a connection waits this long at most for its operations' errors to be sent before it is closed. */
const EXPIRY_CLOSE_WAIT_MS = 1_000;
/** Every connection is pinged this often (WebSocket ping frames); one that has not answered the previous ping is dropped. */
const KEEP_ALIVE_MS = 12_000;

export interface WebSocketSettings {
  verifier: TokenVerifier;
  logger: Logger;
  /** Browser origins allowed besides the server's own (CORS_ORIGINS). */
  corsOrigins: readonly string[];
  /** The longest message; a longer one closes the connection with 1009 (HTTP_MAX_BODY_BYTES). */
  maxMessageBytes: number;
  /** The longest GraphQL document (GRAPHQL_MAX_DOCUMENT_BYTES). */
  maxDocumentBytes: number;
  /** "Did you mean …" in errors (as over HTTP). */
  fieldSuggestions: boolean;
  /** No connection_init within this → 4408 (WS_CONNECTION_INIT_TIMEOUT_MS). */
  connectionInitTimeoutMs: number;
}

/**
 * One connection: its socket, and its caller once its connection_init is accepted. When the
 * caller's token expires, each live operation ends with an UNAUTHENTICATED error (their own
 * expiry, subscription-expiry.ts), then the connection closes with 4403, which tells a graphql-ws
 * client to connect again (with a fresh token from its connectionParams).
 */
class Connection implements Expiring {
  viewer: Viewer | undefined;
  expired = false;
  /** Answered the last keep-alive ping. */
  alive = true;
  /** graphql-ws' state of the connection, once it has one. */
  protocol: ProtocolContext<ConnectionParams, Connection> | undefined;

  constructor(
    readonly socket: WebSocket,
    /** The upgrade request's Authorization header, used when connection_init carries none. */
    public upgradeAuthorization: string | undefined,
  ) {}

  expire(): void {
    this.expired = true;
    if (!this.protocol || Object.keys(this.protocol.subscriptions).length === 0) return this.closeExpired();
    setTimeout(() => this.closeExpired(), EXPIRY_CLOSE_WAIT_MS).unref();
  }

  closeExpired(): void {
    this.socket.close(CloseCode.Forbidden, TOKEN_EXPIRED_CLOSE_REASON);
  }

  /** Closed: its expiry is no longer waited for. */
  closed(): void {
    if (this.viewer?.expiresAt) tokenExpiries.delete(this.viewer.expiresAt, this);
  }
}

type ConnectionParams = Record<string, unknown> | undefined;
type Yoga = YogaServerInstance<Record<string, unknown>, Context>;

/** Serves graphql-ws on `server`'s upgrades to /graphql; `close` ends every connection with 1001. */
export function attachGraphQLWebSocket(server: http.Server, yoga: Yoga, settings: WebSocketSettings) {
  const { logger } = settings;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: settings.maxMessageBytes, handleProtocols });
  const connections = new Map<WebSocket, Connection>();
  let closing = false;

  const protocol = makeServer<ConnectionParams, Connection>({
    connectionInitWaitTimeout: settings.connectionInitTimeoutMs,
    execute: (args: ExecutionArgs) => envelopedOperation(args).execute(args),
    subscribe: (args: ExecutionArgs) => envelopedOperation(args).subscribe(args),
    async onConnect(context) {
      const connection = context.extra;
      const authorization = connectionParamsAuthorization(context.connectionParams) ?? connection.upgradeAuthorization;
      // Read once: an open connection holds no token text.
      connection.upgradeAuthorization = undefined;
      forgetAuthorization(context.connectionParams);
      try {
        connection.viewer = await authenticate(settings.verifier, authorization);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        // graphql-ws would close with a bare "Forbidden": the reason says why (closing twice is harmless).
        connection.socket.close(CloseCode.Forbidden, error.message.slice(0, 120));
        return false;
      }
      connection.protocol = context;
      const { expiresAt } = connection.viewer;
      if (expiresAt) tokenExpiries.add(expiresAt, connection);
      return true;
    },
    async onSubscribe({ extra: connection }, _id, payload: SubscribePayload) {
      const { viewer } = connection;
      if (!viewer || connection.expired || (viewer.expiresAt && viewer.expiresAt.getTime() <= Date.now())) return [tokenExpired()];
      const initial: SocketInitialContext = { viewer, transport: 'graphql-ws' };
      return prepareOperation(yoga, initial, payload, settings);
    },
    onNext(_context, _id, _payload, _args, result) {
      if (!result.errors) return undefined;
      return { ...result, errors: formattedErrors(result.errors, settings.fieldSuggestions) };
    },
    onError: (_context, _id, _payload, errors: readonly GraphQLError[]) => formattedErrors(errors, settings.fieldSuggestions),
    onComplete(context, id) {
      if (context.extra.expired && Object.keys(context.subscriptions).every((open) => open === id)) context.extra.closeExpired();
    },
  });

  sockets.on('connection', (socket: WebSocket, request: http.IncomingMessage, stream: Duplex) => {
    const connection = new Connection(socket, request.headers.authorization);
    connections.set(socket, connection);
    // ws closes the connection itself (1009 too big, 1002 protocol error); this only says why.
    socket.on('error', (error) => logger.info({ err: error }, 'WebSocket connection closed on a protocol error'));
    socket.on('pong', () => (connection.alive = true));
    const closed = protocol.opened(new ProtocolSocket(socket, stream, logger), connection);
    socket.once('close', (code: number, reason: Buffer) => {
      connections.delete(socket);
      connection.closed();
      closed(code, reason.toString('utf8')).catch((error: unknown) => logger.error({ err: error }, 'error while closing a graphql-ws connection'));
    });
  });

  const keepAlive = setInterval(() => {
    for (const connection of connections.values()) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, KEEP_ALIVE_MS).unref();

  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = closing ? 503 : refusedUpgrade(request, settings.corsOrigins);
    if (refusal) return refuse(socket, refusal);
    sockets.handleUpgrade(request, socket, head, (webSocket) => sockets.emit('connection', webSocket, request, socket));
  });

  return {
    /** Open connections. */
    get size() {
      return connections.size;
    },
    /** Refuses new upgrades (503), closes every connection with 1001; waits for them to close, up to `graceMs`. */
    async close(graceMs: number): Promise<void> {
      closing = true;
      clearInterval(keepAlive);
      const open = [...connections.keys()];
      const closed = open.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
      for (const socket of open) socket.close(1001, SHUTDOWN_CLOSE_REASON);
      const timer = setTimeout(() => open.forEach((socket) => socket.terminate()), graceMs);
      await Promise.all(closed);
      clearTimeout(timer);
      if (open.length > 0) logger.info({ connections: open.length }, 'WebSocket connections closed: server shutting down');
    },
  };
}
export type GraphQLWebSocket = ReturnType<typeof attachGraphQLWebSocket>;

/**
 * Connections written to in this turn of the event loop, uncorked together once it ends: the
 * messages one event sends to the several subscriptions of one connection (a console page, a
 * gateway multiplexing its clients) leave in one write, not one system call each.
 */
const corked = new Set<Duplex>();
let uncorkScheduled = false;

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const stream of corked) stream.uncork();
  corked.clear();
}

/** The socket as graphql-ws drives it. A class, not an object of closures: one is made per connection. */
class ProtocolSocket {
  constructor(
    private readonly socket: WebSocket,
    /** The upgraded connection under `socket`, corked while a turn's messages are written. */
    private readonly stream: Duplex,
    private readonly logger: Logger,
  ) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): Promise<void> {
    const { socket, stream } = this;
    return new Promise<void>((resolve, reject) => {
      if (socket.readyState !== socket.OPEN) return resolve();
      if (!corked.has(stream)) {
        stream.cork();
        corked.add(stream);
        if (!uncorkScheduled) {
          uncorkScheduled = true;
          setImmediate(uncorkAll);
        }
      }
      socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(handle: (data: string) => Promise<void>): void {
    this.socket.on('message', (data: Buffer) => {
      handle(data.toString('utf8')).catch((error: unknown) => {
        this.logger.error({ err: error }, 'unexpected error in a graphql-ws message: connection closed with 4500');
        this.socket.close(CloseCode.InternalServerError, 'Internal server error');
      });
    });
  }
}

/** Removes the token from connection_init's payload, which graphql-ws keeps for the connection's life. */
function forgetAuthorization(params: Record<string, unknown> | undefined): void {
  for (const key of Object.keys(params ?? {})) if (key.toLowerCase() === 'authorization') delete params![key];
}

/** `connectionParams: { authorization: "Bearer <token>" }` (the key in any case). */
function connectionParamsAuthorization(params: Record<string, unknown> | undefined): string | undefined {
  if (!params) return undefined;
  const key = Object.keys(params).find((name) => name.toLowerCase() === 'authorization');
  const value = key === undefined ? undefined : params[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Why an upgrade is refused (an HTTP status), or undefined: only /graphql upgrades, and a browser
 * page (it sends Origin) only from the server's own origin or one listed in CORS_ORIGINS — a
 * WebSocket has no CORS preflight, so the Origin is checked here.
 */
function refusedUpgrade(request: http.IncomingMessage, corsOrigins: readonly string[]): number | undefined {
  if (new URL(request.url ?? '/', 'http://vsnap').pathname !== '/graphql') return 404;
  const origin = request.headers.origin;
  if (origin === undefined || corsOrigins.includes(origin)) return undefined;
  const sameHost = URL.canParse(origin) && new URL(origin).host === request.headers.host;
  return sameHost ? undefined : 403;
}

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

function refuse(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
