import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { sqlStatements } from './db/orm.ts';
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
  return { registry, storageRetries: storageRetryObserver, kubeRetries: (reason: string) => kubeRequestRetries.inc({ reason }) };
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
  return { registry, httpRequests, graphqlPlugin };
}
export type Metrics = ReturnType<typeof createMetrics>;
