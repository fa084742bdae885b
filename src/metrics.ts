import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { sqlStatements } from './db/orm.ts';
import type { DeliveryMetrics } from './events/feed.ts';
import type { RetryObserver } from './storage/index.ts';

/**
 * The process's registry and the counters its engine adds to; /metrics serves them
 * with the API's own (createMetrics). One per process, made in main.ts.
 */
export function createProcessMetrics() {
  const registry = new Registry();
  const storageRetries = new Counter({
    name: 'vsnap_storage_retries_total',
    help: 'Storage requests retried after a transient failure, by S3 operation and reason.',
    labelNames: ['operation', 'reason'] as const,
    registers: [registry],
  });
  const storageRetryObserver: RetryObserver = { retried: (operation, reason) => storageRetries.inc({ operation, reason }) };
  const kubeRequestRetries = new Counter({
    name: 'vsnap_kube_request_retries_total',
    help: 'Kubernetes API requests tried again (5xx, 429, connection resets, timeouts, lists restarted after 410), by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return {
    registry,
    storageRetries: storageRetryObserver,
    kubeRetries: (reason: string) => kubeRequestRetries.inc({ reason }),
    ...schedulingMetrics(registry),
  };
}

/** Capacity: the SCHEDULED queue, its oldest wait (read at scrape time), and start lateness. */
function schedulingMetrics(registry: Registry) {
  let read: (() => Promise<{ waiting: number; oldestWaitSeconds: number }>) | undefined;
  let last: Promise<{ waiting: number; oldestWaitSeconds: number }> | undefined;
  // Both gauges from one statement per scrape.
  const current = () => (last ??= (read?.() ?? Promise.resolve({ waiting: 0, oldestWaitSeconds: 0 })).finally(() => setImmediate(() => (last = undefined))));
  new Gauge({
    name: 'vsnap_snapshots_scheduled',
    help: 'SCHEDULED snapshots waiting to be taken, all workers together.',
    registers: [registry],
    async collect() {
      this.set((await current()).waiting);
    },
  });
  new Gauge({
    name: 'vsnap_snapshots_scheduled_oldest_wait_seconds',
    help: 'How long the oldest SCHEDULED snapshot has waited; 0 when none waits.',
    registers: [registry],
    async collect() {
      this.set((await current()).oldestWaitSeconds);
    },
  });
  const startLateness = new Histogram({
    name: 'vsnap_snapshot_start_lateness_seconds',
    help: 'From a snapshot\'s scheduledAt to its move to IN_PROGRESS, as this worker took it.',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  return {
    scheduledQueueFrom: (source: () => Promise<{ waiting: number; oldestWaitSeconds: number }>) => (read = source),
    snapshotStarted: (waitedSeconds: number) => startLateness.observe(Math.max(0, waitedSeconds)),
  };
}
export type ProcessMetrics = ReturnType<typeof createProcessMetrics>;

/** Prometheus metrics served at /metrics, in the process's registry when given. */
export function createMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'vsnap_' });
  const httpRequests = new Histogram({
    name: 'vsnap_http_request_duration_seconds',
    help: 'HTTP requests by route and status code.',
    labelNames: ['route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const operations = new Counter({
    name: 'vsnap_graphql_operations_total',
    help: 'GraphQL operations executed, by type and whether they returned errors.',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'vsnap_sql_statements',
    help: 'SQL statements sent to the database since start.',
    registers: [registry],
    collect() {
      this.set(sqlStatements.count);
    },
  });

  const graphqlPlugin: Plugin = {
    onExecute: ({ args }) => {
      const type = getOperationAST(args.document, args.operationName)?.operation ?? 'unknown';
      return {
        onExecuteDone: ({ result }) => {
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          operations.inc({ type, outcome: failed ? 'error' : 'ok' });
        },
      };
    },
  };
  return { registry, httpRequests, graphqlPlugin, delivery: deliveryMetrics(registry) };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** Live delivery of snapshot events (events/feed.ts reports through this). */
function deliveryMetrics(registry: Registry): DeliveryMetrics & { bufferedFrom(count: () => number): void } {
  const active = new Gauge({
    name: 'vsnap_subscriptions_active',
    help: 'Subscriptions being served, by transport (sse, graphql-ws).',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const delivered = new Counter({
    name: 'vsnap_events_delivered_total',
    help: 'Snapshot events handed to a subscriber\'s transport (replayed ones included), by transport.',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'vsnap_event_delivery_lag_seconds',
    help: 'From an event\'s commit (its `at`) to its hand-over to a live subscriber\'s transport; replayed events are not counted.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const slow = new Counter({
    name: 'vsnap_slow_consumers_total',
    help: 'Subscriptions ended with SLOW_CONSUMER: they fell further behind than their buffer holds.',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  let buffered = () => 0;
  new Gauge({
    name: 'vsnap_subscription_buffered_events',
    help: 'Events waiting in subscribers\' buffers, all subscriptions together (each is bounded by SUBSCRIPTION_BUFFER_EVENTS).',
    registers: [registry],
    collect() {
      this.set(buffered());
    },
  });
  return {
    subscribed: (transport) => active.inc({ transport }),
    ended: (transport) => active.dec({ transport }),
    delivered: (transport, lagSeconds) => {
      delivered.inc({ transport });
      if (lagSeconds !== undefined) lag.observe(Math.max(0, lagSeconds));
    },
    slowConsumer: (transport) => slow.inc({ transport }),
    bufferedFrom: (count) => (buffered = count),
  };
}
