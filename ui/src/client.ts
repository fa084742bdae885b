/**
 * The console's GraphQL client: queries and mutations over HTTP, subscriptions over graphql-ws,
 * both to vsnap's own /graphql (same origin) with the pasted token. Subscriptions that carry a
 * `since` variable resume after the last cursor received whenever they are sent again.
 */
import { Client, fetchExchange, mapExchange, subscriptionExchange, type ExecutionResult } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

export type Connection = 'connected' | 'reconnecting';

export interface ConsoleClient {
  urql: Client;
  ws: WsClient;
  /** The live connection's state, for the "reconnecting" notice. */
  onConnection(listener: (state: Connection) => void): () => void;
  dispose(): void;
}

/** Errors that end a subscription which a new subscription with `since` resumes without loss. */
const RESUMABLE = new Set(['SLOW_CONSUMER', 'SERVICE_UNAVAILABLE']);

/** The first letters of a wait after the connection dropped: quick at first, at most 5 s. */
export function reconnectDelayMs(retries: number): number {
  return Math.min(5000, 250 * 2 ** retries) + Math.floor(Math.random() * 250);
}

export function errorCode(error: { graphQLErrors: readonly { extensions?: Record<string, unknown> }[] } | undefined): string | undefined {
  const code = error?.graphQLErrors.find((e) => typeof e.extensions?.code === 'string')?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `signedOut` is called with the reason when the server refuses the token: HTTP 401
 * (UNAUTHENTICATED) or a WebSocket closed with 4403.
 */
export function createConsoleClient(token: string, signedOut: (reason: string) => void): ConsoleClient {
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  const connectionListeners = new Set<(state: Connection) => void>();
  let disposed = false;
  // A client replaced by a newer sign-in must not end that one when its own socket closes.
  const signOut = (reason: string) => {
    if (!disposed) signedOut(reason);
  };
  let state: Connection = 'connected';
  const setState = (next: Connection) => {
    if (next === state) return;
    state = next;
    connectionListeners.forEach((listener) => listener(next));
  };

  const ws = createWsClient({
    url: wsUrl,
    connectionParams: () => ({ authorization: `Bearer ${token}` }),
    // A console is left open for hours: retry for as long as it is open.
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, reconnectDelayMs(retries))),
    // Every close but a refused token (4403): that session is over, the page returns to sign-in.
    shouldRetry: (event) => (event as CloseEvent | undefined)?.code !== 4403,
    lazyCloseTimeout: 3000,
    on: {
      connected: () => setState('connected'),
      closed: (event) => {
        const { code, reason } = event as CloseEvent;
        if (code === 4403) signOut(`The server refused the token: ${reason || 'HTTP 403'}.`);
        // 1000: closed on purpose (no subscription left); anything else is a connection lost.
        else if (code !== 1000) setState('reconnecting');
      },
    },
  });

  const urql = new Client({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}`, accept: 'application/graphql-response+json, application/json' } }),
    exchanges: [
      mapExchange({
        onError(error) {
          const unauthenticated = error.response?.status === 401 || errorCode(error) === 'UNAUTHENTICATED';
          if (unauthenticated) signOut(`The server refused the token: ${error.graphQLErrors[0]?.message ?? 'HTTP 401'}.`);
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          // One payload object for the operation's life: graphql-ws sends it again on every reconnection.
          const payload = { query: request.query ?? '', variables: { ...request.variables } as Record<string, unknown> };
          const resumesSince = /\$since\b/.test(payload.query);
          return {
            subscribe(sink) {
              let unsubscribe = () => {};
              let stopped = false;
              const start = () => {
                let resume = false;
                unsubscribe = ws.subscribe(payload, {
                  next(result: ExecutionResult) {
                    const codes = (result.errors ?? []).map((e) => (e as { extensions?: Record<string, unknown> }).extensions?.code);
                    if (codes.some((code) => typeof code === 'string' && RESUMABLE.has(code))) {
                      resume = true;
                      return;
                    }
                    if (resumesSince) trackCursor(payload.variables, result);
                    sink.next(result);
                  },
                  // GraphQL errors before execution (an expired token), or a close that ends retrying.
                  error: (error) => sink.error(error),
                  complete() {
                    if (resume && !stopped) start();
                    else sink.complete();
                  },
                });
              };
              start();
              return {
                unsubscribe() {
                  stopped = true;
                  unsubscribe();
                },
              };
            },
          };
        },
      }),
    ],
  });

  return {
    urql,
    ws,
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => void connectionListeners.delete(listener);
    },
    dispose() {
      disposed = true;
      connectionListeners.clear();
      // dispose() awaits the last connection attempt: one refused (4403) rejects, and that is no news here.
      Promise.resolve(ws.dispose()).catch(() => undefined);
    },
  };
}

/** A subscription with a `since` variable resumes after the newest cursor it has received. */
function trackCursor(variables: Record<string, unknown>, result: ExecutionResult): void {
  if (!result.data) return;
  for (const value of Object.values(result.data)) {
    const cursor = (value as { cursor?: unknown } | null)?.cursor;
    if (typeof cursor === 'string') variables.since = cursor;
  }
}
