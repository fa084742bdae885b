/**
 * `npm run bench:gateway`: what putting Hive Gateway in front of vsnap costs. In one run:
 * requests/s and p99 of the snapshot-page query (bench/query.ts' query A) sent to vsnap
 * directly and through the gateway, and the latency from an event's commit to its receipt by
 * an SSE client subscribed directly, through the gateway talking SSE to vsnap, and through
 * the gateway talking graphql-ws to vsnap. See bench/README.md.
 *
 * vsnap (startServer) and the projects subgraph run in this process; each gateway runs in a
 * child process (bench/gateway-process.ts); the query load comes from a worker thread.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { GatewayOrder } from './gateway-process.ts';
import { createBenchDatabase, envNumber, percentile, runBench, withCleanups } from './support.ts';

const THROUGHPUT_GOAL = 0.7;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const JWT_SECRET = 'vsnap-bench-gateway-secret-long-enough-for-hs256';
const EVENTS_QUERY = 'subscription { snapshotEvents { cursor kind snapshotId to } }';

/** A gateway child process; resolves once it serves. */
async function startGatewayProcess(order: GatewayOrder): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(path.join(ROOT, 'bench/gateway-process.ts'), { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: { url: string }) => resolve(message.url));
    child.once('exit', (code) => reject(new Error(`the gateway process exited (${code}) before serving`)));
    child.send(order);
  });
  return { url, child };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.disconnect();
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** An SSE subscription that notes when each event's cursor arrived (performance.now()). */
async function receiptsOf(url: string, token: string): Promise<{ received: Map<string, number>; close(): void }> {
  const controller = new AbortController();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: EVENTS_QUERY }),
    signal: controller.signal,
  });
  if (response.status !== 200) throw new Error(`subscribing at ${url}: HTTP ${response.status} ${await response.text()}`);
  const received = new Map<string, number>();
  void (async () => {
    const decoder = new TextDecoder();
    let pending = '';
    try {
      const reader = response.body!.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        const at = performance.now();
        pending += decoder.decode(chunk.value, { stream: true });
        for (let end = pending.indexOf('\n\n'); end !== -1; end = pending.indexOf('\n\n')) {
          const message = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const data = /^data: (.*)$/m.exec(message)?.[1];
          const cursor = data && (JSON.parse(data) as { data?: { snapshotEvents?: { cursor: string } } }).data?.snapshotEvents?.cursor;
          if (cursor) received.set(cursor, at);
        }
      }
    } catch {
      // aborted at the end
    }
  })();
  return { received, close: () => controller.abort() };
}

/** A snapshot to walk SCHEDULED → IN_PROGRESS → COMPLETED ⇄ NOT_FOUND, one event per move. */
async function eventSource(orm: MikroORM): Promise<() => Promise<{ cursor: string; committedAt: number }>> {
  const { VirtualClusterSchema } = await import('../src/clusters/entity.ts');
  const { SnapshotSchema } = await import('../src/snapshots/entity.ts');
  const { moveSnapshot, scheduleSnapshot } = await import('../src/snapshots/transitions.ts');
  const { snapshotObjectName } = await import('../src/snapshots/naming.ts');
  const snapshot = await orm.em.fork().transactional(async (tx) => {
    const cluster = tx.create(VirtualClusterSchema, {
      projectId: 'bench-gateway-events',
      name: 'events',
      kubeconfigInline: null,
      kubeconfigSecretRef: 'bench/kubeconfig',
      policy: { enabled: false, schedule: null, timeZone: 'UTC', retention: { keepFailed: {} }, storageLocation: null, volumeSnapshotsEnabled: false },
    });
    await tx.flush();
    const at = new Date();
    return scheduleSnapshot(tx, { virtualCluster: cluster, projectId: cluster.projectId, name: snapshotObjectName(cluster.name, at), trigger: 'MANUAL', volumeSnapshotsEnabled: false, scheduledAt: at });
  });
  const next = { SCHEDULED: 'IN_PROGRESS', IN_PROGRESS: 'COMPLETED', COMPLETED: 'NOT_FOUND', NOT_FOUND: 'COMPLETED' } as const;
  return async () => {
    const event = await orm.em.fork().transactional(async (tx) => {
      const row = await tx.findOneOrFail(SnapshotSchema, { id: snapshot.id });
      return moveSnapshot(tx, row, next[row.status as keyof typeof next], 'bench:gateway');
    });
    return { cursor: String(event.id), committedAt: performance.now() };
  };
}

const fmt = (value: number, digits = 1) => value.toFixed(digits);

export async function main(): Promise<number> {
  const benchSeconds = envNumber('BENCH_SECONDS', 5);
  const warmupSeconds = envNumber('BENCH_WARMUP_SECONDS', 2);
  const concurrency = Math.round(envNumber('BENCH_CONCURRENCY', 8));
  const eventCount = Math.round(envNumber('BENCH_EVENTS', 300));
  const eventGapMs = envNumber('BENCH_EVENT_GAP_MS', 20);

  const { openDatabase } = await import('../src/db/orm.ts');
  const { startServer } = await import('../src/server.ts');
  const { createTokenVerifier, signToken } = await import('../src/auth/tokens.ts');
  const { createLogger } = await import('../src/logger.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { LoadWorker, QUERY_A, describeLoad, seed } = await import('./query.ts');
  const { startProjectsSubgraph } = await import('../test/gateway/projects-subgraph.ts');
  const { vsnapWithProjects } = await import('../test/gateway/supergraph.ts');

  return withCleanups(async (cleanups) => {
    console.log(`vsnap gateway benchmark — node ${process.version}, ${concurrency} concurrent keep-alive connections, ${warmupSeconds}s warm-up + ${benchSeconds}s per target`);
    const database = await createBenchDatabase(cleanups, { prefix: 'vsnap_bench_gw_', dataDirName: 'bench-postgres' });
    console.log(`database: ${database.description}`);
    const orm: MikroORM = await openDatabase(database.url);
    cleanups.push('close orm', () => orm.close());
    const { limits, http: edge, kubeconfigs } = loadConfig({});
    const server = await startServer({
      config: { host: '127.0.0.1', port: 0, graphiql: false, limits, http: edge, shutdownTimeoutMs: 2000 },
      orm,
      verifier: createTokenVerifier({ kind: 'secret', secret: JWT_SECRET }),
      logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
      kubeconfigs: { egress: kubeconfigs.egress },
    });
    cleanups.push('close vsnap', () => server.close());
    const token = await signToken(new TextEncoder().encode(JWT_SECRET), 'bench-platform-admin', { platformAdmin: true });
    const seeded = await seed(database.url);
    console.log(`vsnap: ${server.url}/graphql; seeded ${seeded.clusterIds.length} clusters, ${seeded.snapshots} snapshots, ${seeded.volumes} volume snapshots`);

    const projects = await startProjectsSubgraph([]);
    cleanups.push('close projects subgraph', () => projects.close());
    const supergraph = vsnapWithProjects({ vsnap: `${server.url}/graphql`, projects: projects.url });
    const overSse = await startGatewayProcess({ supergraph, subscriptions: 'sse' });
    cleanups.push('stop gateway (SSE to vsnap)', () => stopProcess(overSse.child));
    const overWs = await startGatewayProcess({ supergraph, subscriptions: 'graphql-ws' });
    cleanups.push('stop gateway (graphql-ws to vsnap)', () => stopProcess(overWs.child));
    console.log(`gateways (each a process of its own): ${overSse.url}/graphql (SSE to vsnap), ${overWs.url}/graphql (graphql-ws to vsnap)`);

    // 1. Throughput of the snapshot page, direct and through the gateway.
    const bodies = seeded.clusterIds.map((id) => JSON.stringify({ query: QUERY_A, variables: { id } }));
    const load = new LoadWorker();
    cleanups.push('stop load worker', () => load.close());
    const measure = async (url: string) => {
      const spec = { url: `${url}/graphql`, token, concurrency, bodies };
      await load.run({ ...spec, seconds: warmupSeconds });
      return load.run({ ...spec, seconds: benchSeconds });
    };
    console.log('');
    console.log('throughput of query A, virtualCluster.snapshots(first: 50) + volumeSnapshots:');
    const direct = await measure(server.url);
    console.log(describeLoad('direct  ', direct));
    const through = await measure(overSse.url);
    console.log(describeLoad('gateway ', through));
    const ratio = through.rps / direct.rps;
    const failed = direct.failures + through.failures > 0;
    const throughputOk = ratio >= THROUGHPUT_GOAL && !failed;
    console.log(`  gateway/direct = ${fmt(ratio, 3)} req/s (the gateway costs ${fmt(100 * (1 - ratio), 0)}%; goal: at most ${fmt(100 * (1 - THROUGHPUT_GOAL), 0)}%): ${throughputOk ? 'PASS' : 'BELOW GOAL'}${failed ? ' (requests failed)' : ''}; p99 ${fmt(direct.p99, 2)} ms → ${fmt(through.p99, 2)} ms`);

    // 2. Commit-to-receipt latency of events: three subscribers at once, so they share the machine's load.
    console.log('');
    console.log(`event latency, commit → receipt by an SSE client (${eventCount} transitions, one every ${eventGapMs} ms):`);
    const commit = await eventSource(orm);
    const targets = [
      { label: 'direct                       ', subscription: await receiptsOf(server.url, token) },
      { label: 'gateway, SSE to vsnap        ', subscription: await receiptsOf(overSse.url, token) },
      { label: 'gateway, graphql-ws to vsnap ', subscription: await receiptsOf(overWs.url, token) },
    ];
    cleanups.push('close subscriptions', async () => targets.forEach(({ subscription }) => subscription.close()));
    // Until every subscriber receives: the gateways open their subscription at vsnap lazily.
    for (let ready = false; !ready; ) {
      const { cursor } = await commit();
      await new Promise((resolve) => setTimeout(resolve, 200));
      ready = targets.every(({ subscription }) => subscription.received.has(cursor));
    }
    const commits: { cursor: string; committedAt: number }[] = [];
    for (let i = 0; i < eventCount; i++) {
      commits.push(await commit());
      await new Promise((resolve) => setTimeout(resolve, eventGapMs));
    }
    const deadline = performance.now() + 10_000;
    const last = commits.at(-1)!.cursor;
    while (performance.now() < deadline && !targets.every(({ subscription }) => subscription.received.has(last))) await new Promise((resolve) => setTimeout(resolve, 50));
    const p50s: number[] = [];
    for (const { label, subscription } of targets) {
      const latencies = Float64Array.from(commits.flatMap(({ cursor, committedAt }) => {
        const at = subscription.received.get(cursor);
        return at === undefined ? [] : [Math.max(0, at - committedAt)];
      })).sort();
      const missing = commits.length - latencies.length;
      p50s.push(percentile(latencies, 50));
      console.log(`  ${label} p50 ${fmt(percentile(latencies, 50), 2).padStart(7)} ms   p99 ${fmt(percentile(latencies, 99), 2).padStart(7)} ms   max ${fmt(latencies.at(-1) ?? Number.NaN, 2).padStart(7)} ms${missing > 0 ? `   MISSING ${missing}` : ''}`);
    }
    console.log(`  the gateway adds (p50): ${fmt(p50s[1]! - p50s[0]!, 2)} ms over SSE, ${fmt(p50s[2]! - p50s[0]!, 2)} ms over graphql-ws`);

    console.log('');
    console.log(`summary: gateway/direct ${fmt(ratio, 3)} ${throughputOk ? 'PASS' : 'BELOW GOAL'}; events through the gateway p50 +${fmt(p50s[1]! - p50s[0]!, 2)} ms (SSE), +${fmt(p50s[2]! - p50s[0]!, 2)} ms (graphql-ws)`);
    return 0;
  });
}

runBench(import.meta.url, main, () => undefined);
