/**
 * `npm run bench:fanout`: live delivery at scale. Starts the service (src/main.ts, api role) on a
 * database of its own, opens BENCH_WS graphql-ws subscriptions and BENCH_SSE SSE streams spread
 * over BENCH_CLIENTS client processes (bench/fanout-client.ts), commits BENCH_TRANSITIONS status
 * transitions through the real state machine, and prints the latency from each commit to each
 * receipt (p50 / p99 / max), the events delivered per second, and the service's memory per idle
 * subscription. See bench/README.md.
 */
import { fork } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { OpenOrder, Order, Report } from './fanout-client.ts';
import { now } from './fanout-client.ts';
import { Client, cpuMs, JWT_SECRET, ROOT, startService, subscriptionsActive } from './fanout-processes.ts';
import { heapGrowth } from './heap-diff.ts';
import { createBenchDatabase, envNumber, percentile, runBench, withCleanups } from './support.ts';

const LATENCY_GOAL_MS = 100;
const MEMORY_GOAL_BYTES = 10 * 1024;
const EVENT_FIELDS = 'cursor kind snapshotId virtualClusterId from to at';
const QUERIES = {
  /** Every subscriber receives every event (a platform admin's unfiltered snapshotEvents). */
  none: `subscription { snapshotEvents { ${EVENT_FIELDS} } }`,
  /** Each subscriber watches one cluster: an event reaches the subscribers of its cluster only. */
  cluster: `subscription ($virtualClusterId: ID) { snapshotEvents(virtualClusterId: $virtualClusterId) { ${EVENT_FIELDS} } }`,
};

async function seed(orm: MikroORM, snapshots: number): Promise<{ snapshotId: string; clusterId: string }[]> {
  const { VirtualClusterSchema } = await import('../src/clusters/entity.ts');
  const { scheduleSnapshot } = await import('../src/snapshots/transitions.ts');
  const { snapshotObjectName } = await import('../src/snapshots/naming.ts');
  const ids: { snapshotId: string; clusterId: string }[] = [];
  for (let i = 0; i < snapshots; i++) {
    const snapshot = await orm.em.fork().transactional(async (tx) => {
      const cluster = tx.create(VirtualClusterSchema, {
        projectId: `bench-fanout-${i % 4}`,
        name: `cluster-${i}`,
        kubeconfigInline: null,
        kubeconfigSecretRef: 'bench/kubeconfig',
        policy: { enabled: false, schedule: null, timeZone: 'UTC', retention: { keepFailed: {} }, storageLocation: null, volumeSnapshotsEnabled: false },
      });
      await tx.flush();
      const at = new Date();
      return scheduleSnapshot(tx, {
        virtualCluster: cluster,
        projectId: cluster.projectId,
        name: snapshotObjectName(cluster.name, at),
        trigger: 'MANUAL',
        volumeSnapshotsEnabled: false,
        scheduledAt: at,
      });
    });
    ids.push({ snapshotId: snapshot.id, clusterId: snapshot.virtualCluster.id });
  }
  return ids;
}

/** The next legal status of a snapshot walked SCHEDULED → IN_PROGRESS → COMPLETED ⇄ NOT_FOUND. */
const NEXT = { SCHEDULED: 'IN_PROGRESS', IN_PROGRESS: 'COMPLETED', COMPLETED: 'NOT_FOUND', NOT_FOUND: 'COMPLETED' } as const;

async function commitTransition(orm: MikroORM, snapshotId: string): Promise<{ cursor: string; committedAt: number }> {
  const { SnapshotSchema } = await import('../src/snapshots/entity.ts');
  const { moveSnapshot } = await import('../src/snapshots/transitions.ts');
  const event = await orm.em.fork().transactional(async (tx) => {
    const snapshot = await tx.findOneOrFail(SnapshotSchema, { id: snapshotId });
    const from = snapshot.status as keyof typeof NEXT;
    return moveSnapshot(tx, snapshot, NEXT[from], 'bench:fanout');
  });
  return { cursor: String(event.id), committedAt: now() };
}

/** A whole number of subscriptions; 0 allowed (one transport only). */
function envCount(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got ${raw}`);
  return Number(raw);
}

const ms = (value: number) => (Number.isNaN(value) ? '—' : `${value.toFixed(1)} ms`);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function latencyLine(label: string, sorted: Float64Array): string {
  return `${label}: p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted.at(-1) ?? Number.NaN)} (${sorted.length} receipts)`;
}

export async function main(): Promise<number> {
  const wsCount = envCount('BENCH_WS', 10_000);
  const sseCount = envCount('BENCH_SSE', 1_000);
  const clients = Math.round(envNumber('BENCH_CLIENTS', 4));
  const perConnection = Math.round(envNumber('BENCH_WS_PER_CONNECTION', 1));
  const transitions = Math.round(envNumber('BENCH_TRANSITIONS', 100));
  const intervalMs = envNumber('BENCH_INTERVAL_MS', 500);
  const snapshotCount = Math.round(envNumber('BENCH_SNAPSHOTS', 10));
  const filter = process.env.BENCH_FILTER ?? 'none';
  if (filter !== 'none' && filter !== 'cluster') throw new Error(`BENCH_FILTER must be none or cluster, got ${filter}`);
  const query = process.env.BENCH_QUERY ?? QUERIES[filter];
  const { openDatabase } = await import('../src/db/orm.ts');
  const { signToken } = await import('../src/auth/tokens.ts');

  return withCleanups(async (cleanups) => {
    console.log(
      `vsnap fan-out benchmark — node ${process.version}, ${wsCount} graphql-ws (${perConnection} per connection) + ${sseCount} SSE subscriptions over ${clients} client processes, ` +
        `${transitions} transitions every ${intervalMs} ms`,
    );
    console.log(`subscription: ${query}${filter === 'cluster' ? ` — subscribers spread evenly over ${snapshotCount} clusters` : ''}`);
    const database = await createBenchDatabase(cleanups, { prefix: 'vsnap_bench_fanout_', dataDirName: 'bench-postgres' });
    console.log(`database: ${database.description}`);
    const orm: MikroORM = await openDatabase(database.url);
    cleanups.push('close orm', () => orm.close());
    const seeded = await seed(orm, snapshotCount);
    const snapshotIds = seeded.map(({ snapshotId }) => snapshotId);
    /** Subscriptions per cluster index (BENCH_FILTER=cluster), to know how many receipts each transition should have. */
    const watching = new Array<number>(snapshotCount).fill(0);
    let assigned = 0;
    const variablesFor = (count: number) =>
      Array.from({ length: count }, () => {
        if (filter === 'none') return {};
        const index = assigned++ % snapshotCount;
        watching[index]!++;
        return { virtualClusterId: seeded[index]!.clusterId };
      });

    const floor = process.env.BENCH_FLOOR === '1';
    const service = await startService(database.url, floor);
    let broadcasts = 0;
    /** A transition committed, or with BENCH_FLOOR one broadcast ordered (its time taken as it is sent). */
    const transition = async (snapshotId: string): Promise<{ cursor: string; committedAt: number }> => {
      if (!floor) return commitTransition(orm, snapshotId);
      const cursor = String(++broadcasts);
      const committedAt = now();
      service.child.send({ broadcast: Number(cursor) });
      return { cursor, committedAt };
    };
    if (floor) console.log('BENCH_FLOOR: the service is bench/fanout-floor.ts (bare ws + http, no vsnap): the machine\'s floor for this load');
    cleanups.push('stop the service', async () => {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
      await service.exited;
    });
    const openFiles = /^Max open files\s+(\d+)/m.exec(await readFile('/proc/self/limits', 'utf8').catch(() => ''))?.[1];
    console.log(`service: pid ${service.child.pid}, ${service.url}; open files limit ${openFiles ?? 'unknown'} (the service needs one per connection)`);
    if (openFiles !== undefined && Number(openFiles) < wsCount + sseCount + 200) console.log('  raise it (ulimit -n) or the last connections will fail');
    const token = await signToken(new TextEncoder().encode(JWT_SECRET), 'bench-platform-admin', { platformAdmin: true });

    // Client processes; the first opens one subscription of each transport before the memory baseline (warm code paths).
    const processes = Array.from({ length: clients + 1 }, () => {
      const child = fork(path.join(ROOT, 'bench/fanout-client.ts'), { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: 'inherit' });
      cleanups.push('stop a client', async () => void child.kill('SIGKILL'));
      return new Client(child);
    });
    const [warm, ...bulk] = processes as [Client, ...Client[]];
    const order = (ws: number, sse: number, variables: Record<string, unknown>[]): OpenOrder => ({ type: 'open', url: service.url, token, query, variables, ws, sse, concurrency: 200, perConnection });
    const warmVariables = filter === 'none' ? [] : [0, 1].map(() => ({ virtualClusterId: seeded[0]!.clusterId }));
    const warmed = await warm.ask(order(1, 1, warmVariables), 'opened');
    if (warmed.ws + warmed.sse !== 2) throw new Error(`the warm-up subscriptions failed: ${warmed.failures.join('; ')}`);
    await transition(snapshotIds[0]!);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = await service.memory();
    const snapshots = process.env.BENCH_HEAP_SNAPSHOTS;
    if (snapshots) await mkdir(snapshots, { recursive: true });
    const beforeSnapshot = snapshots ? await service.heapSnapshot(path.resolve(snapshots, 'fanout-before.heapsnapshot')) : undefined;

    let started = performance.now();
    const share = (total: number, index: number) => Math.floor(total / clients) + (index < total % clients ? 1 : 0);
    const orders = bulk.map((_, index) => order(share(wsCount, index), share(sseCount, index), variablesFor(share(wsCount, index) + share(sseCount, index))));
    const opened = await Promise.all(bulk.map((client, index) => client.ask(orders[index]!, 'opened')));
    // A subscription that could not be opened receives nothing: it is not expected to.
    opened.forEach(({ failed }, index) => {
      for (const at of failed) {
        const clusterId = orders[index]!.variables[at]?.virtualClusterId;
        if (clusterId !== undefined) watching[seeded.findIndex((row) => row.clusterId === clusterId)]!--;
      }
    });
    const openedWs = opened.reduce((sum, o) => sum + o.ws, 0);
    const openedSse = opened.reduce((sum, o) => sum + o.sse, 0);
    const failures = opened.flatMap((o) => o.failures);
    console.log(`opened ${openedWs} graphql-ws and ${openedSse} SSE subscriptions in ${((performance.now() - started) / 1000).toFixed(1)} s${failures.length ? `; failures: ${failures.join('; ')}` : ''}`);
    // A query instead of a subscription (BENCH_QUERY='{ __typename }') leaves idle connections only: their cost alone.
    const subscribing = /^\s*subscription\b/.test(query);
    const counted =
      !subscribing ||
      ((await subscriptionsActive(service.url, 'graphql-ws', openedWs + 1, 60_000)) && (await subscriptionsActive(service.url, 'sse', openedSse + 1, 30_000)));
    if (!counted) console.log('  (vsnap_subscriptions_active never showed them all: memory is measured anyway)');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = await service.memory();
    const idle = openedWs + openedSse;
    if (beforeSnapshot) {
      const afterSnapshot = await service.heapSnapshot(path.resolve(snapshots!, 'fanout-after.heapsnapshot'));
      console.log(`heap growth per idle subscription, by kind (${beforeSnapshot} → ${afterSnapshot}):`);
      for (const line of await heapGrowth(beforeSnapshot, afterSnapshot, idle)) console.log(`  ${line}`);
    }
    const rssPer = (after.rss - before.rss) / idle;
    const heapPer = (after.heapUsed + after.external - before.heapUsed - before.external) / idle;
    console.log(
      `service memory (after a full GC${after.collected ? '' : ' — NOT collected'}): RSS ${mib(before.rss)} → ${mib(after.rss)}, ` +
        `heap+external ${mib(before.heapUsed + before.external)} → ${mib(after.heapUsed + after.external)}`,
    );
    console.log(
      `  per idle subscription: RSS ${kib(rssPer)}, heap+external ${kib(heapPer)} (goal ≤ ${kib(MEMORY_GOAL_BYTES)}): ` +
        `${Math.max(rssPer, heapPer) <= MEMORY_GOAL_BYTES ? 'PASS' : 'MISSED'}`,
    );

    if (!subscribing) {
      for (const client of processes) client.child.send({ type: 'close' } satisfies Order);
      return 0;
    }

    // Transitions, one at a time every intervalMs.
    const profileDir = process.env.BENCH_CPU_PROFILE;
    if (profileDir) {
      await mkdir(profileDir, { recursive: true });
      await service.profileStart();
    }
    const cpuBefore = await cpuMs(service.child.pid!);
    const commits = new Map<string, number>();
    started = performance.now();
    for (let i = 0; i < transitions; i++) {
      const due = started + i * intervalMs;
      if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
      const { cursor, committedAt } = await transition(snapshotIds[i % snapshotIds.length]!);
      commits.set(cursor, committedAt);
    }
    const expected = filter === 'none' ? transitions * (openedWs + openedSse) : Array.from({ length: transitions }, (_, i) => watching[i % snapshotCount]!).reduce((a, b) => a + b, 0);
    // Wait for every receipt, or until none has come for BENCH_STALL_SECONDS (counts include nothing from before the bulk opened).
    const stallMs = envNumber('BENCH_STALL_SECONDS', 30) * 1000;
    const deliveredSoFar = async () => (await Promise.all(bulk.map((client) => client.ask({ type: 'count' }, 'count')))).reduce((sum, c) => sum + c.delivered, 0);
    for (let last = -1, progressAt = Date.now(); ; ) {
      const delivered = await deliveredSoFar();
      if (delivered >= expected) break;
      if (delivered > last) [last, progressAt] = [delivered, Date.now()];
      else if (Date.now() - progressAt > stallMs) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const cpuSpent = (await cpuMs(service.child.pid!)) - cpuBefore;
    if (profileDir) console.log(`CPU profile of the deliveries: ${await service.profileStop(path.resolve(profileDir, 'fanout.cpuprofile'))}`);
    const reports: Report[] = await Promise.all(bulk.map((client) => client.ask({ type: 'report' }, 'report')));
    const latencies: number[] = [];
    let firstCommit = Infinity;
    let lastReceipt = 0;
    const errors: Record<string, number> = {};
    const closes: Record<string, number> = {};
    for (const report of reports) {
      for (const [cursor, times] of Object.entries(report.receipts)) {
        const committedAt = commits.get(cursor);
        if (committedAt === undefined) continue;
        firstCommit = Math.min(firstCommit, committedAt);
        for (const at of times) {
          latencies.push(at - committedAt);
          lastReceipt = Math.max(lastReceipt, at);
        }
      }
      for (const [code, count] of Object.entries(report.errors)) errors[code] = (errors[code] ?? 0) + count;
      for (const [code, count] of Object.entries(report.closes)) closes[code] = (closes[code] ?? 0) + count;
    }
    const sorted = Float64Array.from(latencies).sort();
    console.log(`delivered ${latencies.length} of ${expected} (${expected - latencies.length} missing)${Object.keys(errors).length ? `; errors ${JSON.stringify(errors)}` : ''}${Object.keys(closes).length ? `; closed ${JSON.stringify(closes)}` : ''}`);
    console.log(latencyLine('latency commit → receipt', sorted));
    const p99 = percentile(sorted, 99);
    console.log(`  goal p99 ≤ ${LATENCY_GOAL_MS} ms: ${p99 <= LATENCY_GOAL_MS ? 'PASS' : `MISSED by ${ms(p99 - LATENCY_GOAL_MS)}`}`);
    const seconds = (lastReceipt - firstCommit) / 1000;
    console.log(`events delivered: ${(latencies.length / seconds).toFixed(0)}/s (${latencies.length} over ${seconds.toFixed(1)} s from the first commit to the last receipt)`);
    // Independent of what else the machine runs: the service's own CPU time per delivery.
    console.log(
      `service CPU: ${(cpuSpent / 1000).toFixed(1)} s for the deliveries, ${((cpuSpent * 1000) / Math.max(1, latencies.length)).toFixed(1)} µs per delivery ` +
        `(${((cpuSpent / 1000) / seconds * 100).toFixed(0)}% of one core over those ${seconds.toFixed(1)} s)`,
    );

    // Shutdown: every connection closes with 1001, every SSE stream ends.
    started = performance.now();
    service.child.kill('SIGTERM');
    const code = await service.exited;
    const stoppedMs = performance.now() - started;
    const final = await Promise.all(bulk.map((client) => client.ask({ type: 'count' }, 'count')));
    const finalCloses: Record<string, number> = {};
    for (const count of final) for (const [reason, n] of Object.entries(count.closes)) finalCloses[reason] = (finalCloses[reason] ?? 0) + n;
    console.log(`SIGTERM: the service exited ${code} after ${ms(stoppedMs)}; clients saw ${JSON.stringify(finalCloses)}`);
    for (const client of processes) client.child.send({ type: 'close' } satisfies Order);
    return 0;
  });
}

runBench(import.meta.url, main, () => undefined);
