/**
 * The gateway of bench/gateway.ts in a process of its own, as it runs in front of vsnap in
 * production: told the supergraph and the subscription transport over IPC, it starts Hive
 * Gateway (test/gateway/gateway.ts, the tests' configuration) and answers with its URL.
 */
import { startGateway, type SubgraphSubscriptions } from '../test/gateway/gateway.ts';

export interface GatewayOrder {
  supergraph: string;
  subscriptions: SubgraphSubscriptions;
}

process.once('message', (order: GatewayOrder) => {
  startGateway(order).then(
    (gateway) => {
      process.send?.({ url: gateway.url });
      process.once('disconnect', () => void gateway.close().finally(() => process.exit(0)));
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
