/**
 * Hive Gateway (@graphql-hive/gateway-runtime) serving a supergraph over node:http on
 * 127.0.0.1, as an operator would run it in front of vsnap: the caller's Authorization goes
 * to every subgraph request, and subscriptions reach vsnap over SSE (the HTTP transport's
 * default) or over graphql-ws on /graphql, the token then in the connection parameters.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { VSNAP_SUBGRAPH_NAME } from './supergraph.ts';

/** How the gateway carries subscriptions to vsnap. */
export type SubgraphSubscriptions = 'sse' | 'graphql-ws';

export interface Gateway {
  /** `http://127.0.0.1:<port>`; GraphQL at /graphql. */
  url: string;
  /** Stops the gateway: open streams end, connections close. */
  close(): Promise<void>;
}

export async function startGateway(options: { supergraph: string; subscriptions: SubgraphSubscriptions; port?: number }): Promise<Gateway> {
  const gateway = createGatewayRuntime({
    supergraph: options.supergraph,
    logging: process.env.LOG_LEVEL ? 'debug' : false,
    graphiql: false,
    landingPage: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
    },
    transportEntries:
      options.subscriptions === 'graphql-ws'
        ? {
            [VSNAP_SUBGRAPH_NAME]: {
              options: {
                subscriptions: {
                  kind: 'ws',
                  location: '/graphql',
                  // A WebSocket carries no per-operation headers: the caller's token goes in connection_init.
                  options: { connectionParams: { authorization: '{context.headers.authorization}' } },
                },
              },
            },
          }
        : undefined,
  });
  const server = http.createServer(gateway);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await gateway.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
