/**
 * Streams a snapshot archive of a cluster holding many objects and prints
 * vsnap's own time, CPU and memory, then compares with `tar czf` of the same
 * objects as files. Three kinds of process, so that no figure mixes in another's
 * work: the orchestrator (this file's main), the Kubernetes API test server
 * (`serve`), and the archive writer (`archive`: client-node, JSON, tar, gzip,
 * sha256 — what a worker runs), a fresh one per cluster size, its peak RSS
 * taken per run. The cluster is measured at N and then 2N objects: the writer's
 * peak RSS should stay flat.
 * Run: `node --import tsx bench/archive.ts [objects]` (default 50000).
 * `BENCH_KUBE_500_EVERY=N` makes the API server answer 500 to every Nth list
 * request: the figures then include the retries (their count is printed).
 * `BENCH_KUBE_LATENCY_MS=N` delays every answer by N ms, as a remote API server does.
 * `BENCH_SEMI_SPACE_MB=N` starts the writer with `--max-semi-space-size=N` (default 8, as the
 * Dockerfile runs a worker-only process; 0: V8's default): V8's young generation is most of an
 * archive's peak RSS (see bench/README.md).
 * `BENCH_PAGE_SIZE=N` lists N objects per request (default 500, as KUBE_LIST_PAGE_SIZE).
 * `BENCH_MEMORY_DETAIL=1` prints, per run, the maxima of the writer's memory figures and V8 heap spaces.
 * `BENCH_CPU_PROFILE=dir` writes a V8 CPU profile of each measured run of the writer into dir
 * (`archive-<objects>-<sink>.cpuprofile`, the writer's main thread only: gzip runs in libuv's pool).
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Session } from 'node:inspector/promises';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getHeapSpaceStatistics } from 'node:v8';
import { createGzip, gunzipSync } from 'node:zlib';
import { ARCHIVE_GZIP_LEVEL, type ArchiveSummary } from '../src/snapshots/archive.ts';

const MB = 1_000_000;
const MiB = 1024 * 1024;
/** A worker lists with KUBE_LIST_PAGE_SIZE (default 500). */
const PAGE_SIZE = Number(process.env.BENCH_PAGE_SIZE ?? 500);
/** The young generation's bound of a worker-only process (the Dockerfile's CMD). */
const WORKER_SEMI_SPACE_MB = '8';
const semiSpaceMb = process.env.BENCH_SEMI_SPACE_MB ?? WORKER_SEMI_SPACE_MB;
const self = fileURLToPath(import.meta.url);
const run = promisify(execFile);

interface ServerReady {
  kubeconfig: string;
  objects: number;
}

/** Microseconds of CPU (user, system), as process.cpuUsage() gives them. */
type Cpu = NodeJS.CpuUsage;

/** `profile`: where to write a CPU profile of this run. */
type Request = { ask: 'cpu' } | { ask: 'run'; sink: 'null' | 'file'; file?: string; profile?: string };

/** Child: the test API server with `count` synthetic ConfigMaps plus the standard fixtures; answers `cpu` with its CPU so far. */
async function serve(count: number): Promise<void> {
  const { startKubeServer } = await import('../test/kube/server.ts');
  const server = await startKubeServer();
  server.seedStandard();
  server.seedSynthetic(count);
  const every = Number(process.env.BENCH_KUBE_500_EVERY ?? 0);
  if (every > 0) server.faults.intermittent.push({ answer: 500, every, match: (request) => request.verb === 'list' });
  server.faults.latencyMs = Number(process.env.BENCH_KUBE_LATENCY_MS ?? 0);
  const objects = server.registry
    .all()
    .filter((d) => d.verbs.includes('list') && d.plural !== 'events')
    .reduce((sum, d) => sum + server.store.count(d.group ? `${d.group}/${d.plural}` : d.plural), 0);
  process.on('message', (message: Request) => {
    // The request log would grow with every run; nothing here reads it.
    server.requests.length = 0;
    if (message.ask === 'cpu') process.send?.(process.cpuUsage());
  });
  process.send?.({ kubeconfig: server.kubeconfig, objects } satisfies ServerReady);
  process.once('disconnect', () => void server.close().then(() => process.exit(0)));
}

interface Run {
  seconds: number;
  cpu: Cpu;
  summary: ArchiveSummary;
  /** Kubernetes requests retried (the connection's retries, as a snapshot has them). */
  retries: number;
}

interface WriterReady {
  /** RSS once every module is loaded, before any archive. */
  loadedRssMiB: number;
}

/** Starts the peak RSS (VmHWM) afresh: each run's figure is its own (Linux: clear_refs 5). */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Without it the figure is the process's peak so far, which includes earlier runs.
  }
}

/** The writer's peak RSS since the last reset (VmHWM): exact, unlike sampling. */
function peakRssMiB(): number {
  const line = readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
  return line ? Number(line[1]) / 1024 : Number.NaN;
}

/** Child: the archive writer, one archive per `run` request, as a worker takes a snapshot. */
async function writer(kubeconfig: string): Promise<void> {
  const { createClusterReader } = await import('../src/kube/cluster-reader.ts');
  const { admitKubeconfig } = await import('../src/kube/admission.ts');
  const { connectCluster } = await import('../src/kube/connect.ts');
  const { EgressPolicy } = await import('../src/kube/egress.ts');
  const { writeClusterArchive } = await import('../src/snapshots/archive.ts');

  async function measure(sink: Writable): Promise<Run> {
    const connection = connectCluster(admitKubeconfig(kubeconfig), EgressPolicy.defaults('development'));
    const reader = createClusterReader(connection);
    const started = performance.now();
    const cpu = process.cpuUsage();
    try {
      const archive = writeClusterArchive({
        reader,
        snapshotId: 'bench',
        clusterName: 'bench',
        takenAt: new Date(),
        vsnapVersion: 'bench',
        pageSize: PAGE_SIZE,
        volumes: () => [],
      });
      await pipeline(archive.stream as Readable, sink);
      const summary = await archive.done;
      return { seconds: (performance.now() - started) / 1000, cpu: process.cpuUsage(cpu), summary, retries: connection.retries.count };
    } finally {
      await connection.close();
    }
  }

  process.on('message', (message: Request) => {
    if (message.ask !== 'run') return;
    const sink = message.sink === 'file' && message.file ? createWriteStream(message.file) : nullSink();
    resetPeakRss();
    const sampler = process.env.BENCH_MEMORY_DETAIL ? sampleMemory() : undefined;
    profiled(message.profile, () => measure(sink)).then(
      (result) => {
        if (sampler) console.log(`  writer memory at its peaks (MiB): ${sampler()}`);
        process.send?.({ result, peakRssMiB: peakRssMiB() });
      },
      (error: unknown) => process.send?.({ error: String(error) }),
    );
  });
  process.send?.({ loadedRssMiB: process.memoryUsage().rss / MiB } satisfies WriterReady);
  process.once('disconnect', () => process.exit(0));
}

/** Samples memory every 20 ms; the returned function stops and describes each figure's maximum. */
function sampleMemory(): () => string {
  const max: Record<string, number> = {};
  const note = (name: string, bytes: number) => (max[name] = Math.max(max[name] ?? 0, bytes / MiB));
  const sample = () => {
    const usage = process.memoryUsage();
    for (const name of ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const) note(name, usage[name]);
    for (const space of getHeapSpaceStatistics()) note(space.space_name, space.space_size);
  };
  const timer = setInterval(sample, 20);
  return () => {
    clearInterval(timer);
    return Object.entries(max)
      .map(([name, mib]) => `${name} ${mib.toFixed(1)}`)
      .join(', ');
  };
}

/** Runs `task`, with a CPU profile of the process's main thread written to `file` if one is given. */
async function profiled<T>(file: string | undefined, task: () => Promise<T>): Promise<T> {
  if (!file) return task();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await task();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

function nullSink(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

async function ask<T>(child: ChildProcess, request: Request): Promise<T> {
  const reply = once(child, 'message') as Promise<[T]>;
  child.send(request);
  const [message] = await reply;
  return message;
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const cpuSeconds = (cpu: Cpu) => (cpu.user + cpu.system) / 1e6;

interface Measured extends Run {
  serverCpu: Cpu;
  peakRssMiB: number;
}

/** One archive in the writer, with the server's CPU over the same span. */
async function measured(
  writerProcess: ChildProcess,
  server: ChildProcess,
  sink: 'null' | 'file',
  options: { file?: string; profile?: string } = {},
): Promise<Measured> {
  const before = await ask<Cpu>(server, { ask: 'cpu' });
  const reply = await ask<{ result?: Run; peakRssMiB: number; error?: string }>(writerProcess, { ask: 'run', sink, ...options });
  const after = await ask<Cpu>(server, { ask: 'cpu' });
  if (!reply.result) throw new Error(`archive failed: ${reply.error}`);
  return { ...reply.result, peakRssMiB: reply.peakRssMiB, serverCpu: { user: after.user - before.user, system: after.system - before.system } };
}

function report(label: string, r: Measured, jsonBytes: number): void {
  const { objectCount, sizeBytes } = r.summary;
  const cpu = cpuSeconds(r.cpu);
  console.log(
    `${label.padEnd(10)} ${objectCount} objects in ${r.seconds.toFixed(2)} s: ` +
      `${Math.round(objectCount / r.seconds)} objects/s, ${(jsonBytes / MB / r.seconds).toFixed(1)} MB/s of JSON, ` +
      `archive ${(sizeBytes / MB).toFixed(2)} MB; vsnap CPU ${cpu.toFixed(2)} s ` +
      `(user ${(r.cpu.user / 1e6).toFixed(2)}, sys ${(r.cpu.system / 1e6).toFixed(2)}) = ${((cpu * 1e6) / objectCount).toFixed(1)} µs/object, ` +
      `API server CPU ${cpuSeconds(r.serverCpu).toFixed(2)} s; vsnap peak RSS ${r.peakRssMiB.toFixed(0)} MiB; ${r.retries} retries`,
  );
}

/** `tar czf` of `tree`: wall time and its CPU (bash's `times` gives the children's). */
async function gnuTar(tree: string, out: string): Promise<{ seconds: number; cpuSeconds: number }> {
  const started = performance.now();
  const { stdout } = await run('bash', ['-c', 'tar czf "$0" -C "$1" . && times', out, tree]);
  const seconds = (performance.now() - started) / 1000;
  const children = stdout.trim().split('\n').at(-1) ?? '';
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { seconds, cpuSeconds: parts.reduce((a, b) => a + b, 0) };
}

/**
 * The gzip level as a lever, apart from everything else: vsnap's tar (its archive, unzipped)
 * compressed again at levels 1-6 in this process, as the archive does (256 KiB writes, libuv's
 * pool); per level the least CPU of three rounds and the size beside tar czf's.
 */
async function gzipLevels(archive: string, tarCzfBytes: number, objects: number): Promise<void> {
  const tar = gunzipSync(await fs.readFile(archive));
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < tar.byteLength; offset += 256 * 1024) chunks.push(tar.subarray(offset, offset + 256 * 1024));
  const figures: string[] = [];
  for (let level = 1; level <= 6; level++) {
    let best = Number.POSITIVE_INFINITY;
    let bytes = 0;
    for (let round = 0; round < 3; round++) {
      bytes = 0;
      const cpu = process.cpuUsage();
      await pipeline(Readable.from(chunks), createGzip({ level }), new Writable({ write: (chunk: Buffer, _encoding, callback) => ((bytes += chunk.byteLength), callback()) }));
      best = Math.min(best, cpuSeconds(process.cpuUsage(cpu)));
    }
    figures.push(`${level}${level === ARCHIVE_GZIP_LEVEL ? ' (vsnap)' : ''}: ${((best * 1e6) / objects).toFixed(1)} µs/object, ${(bytes / MB).toFixed(2)} MB = ${(bytes / tarCzfBytes).toFixed(2)}x`);
  }
  console.log(`gzip level ${figures.join('; ')} (CPU of gzip alone, size ÷ tar czf's)`);
}

async function measureSize(count: number, dir: string): Promise<{ objects: number; peakRssMiB: number; ratio: number }> {
  const server = fork(self, ['serve', String(count)], { execArgv: ['--import', 'tsx'] });
  const [ready] = (await once(server, 'message')) as [ServerReady];
  const semiSpace = semiSpaceMb === '0' ? [] : [`--max-semi-space-size=${semiSpaceMb}`];
  const writerProcess = fork(self, ['archive', ready.kubeconfig], { execArgv: [...semiSpace, '--import', 'tsx'] });
  try {
    const [loaded] = (await once(writerProcess, 'message')) as [WriterReady];
    console.log(`\ncluster: ${ready.objects} listable objects (${count} synthetic ConfigMaps + standard fixtures); writer RSS with its modules loaded ${loaded.loadedRssMiB.toFixed(0)} MiB`);
    // Warm-up: JIT, TLS session, lazily loaded modules.
    await measured(writerProcess, server, 'null');
    const profiles = process.env.BENCH_CPU_PROFILE;
    const profile = (sink: string) => (profiles ? path.resolve(profiles, `archive-${count}-${sink}.cpuprofile`) : undefined);
    const toNull = await measured(writerProcess, server, 'null', { profile: profile('null') });
    const file = path.join(dir, `vsnap-${count}.tar.gz`);
    const toFile = await measured(writerProcess, server, 'file', { file, profile: profile('file') });
    if (toFile.summary.objectCount !== ready.objects) throw new Error(`archived ${toFile.summary.objectCount} of ${ready.objects} objects`);

    // The same objects as files (GNU tar reading our archive doubles as a format check).
    const tree = path.join(dir, `tree-${count}`);
    await fs.mkdir(tree);
    await run('tar', ['xzf', file, '-C', tree]);
    const jsonBytes = await treeBytes(tree);
    report('to null', toNull, jsonBytes);
    report('to file', toFile, jsonBytes);
    const tar = await gnuTar(tree, path.join(dir, `gnu-${count}.tar.gz`));
    const tarSize = (await fs.stat(path.join(dir, `gnu-${count}.tar.gz`))).size;
    console.log(
      `tar czf    same ${toFile.summary.objectCount + 2} files in ${tar.seconds.toFixed(2)} s, CPU ${tar.cpuSeconds.toFixed(2)} s, archive ${(tarSize / MB).toFixed(2)} MB`,
    );
    const ratio = toFile.seconds / tar.seconds;
    console.log(
      `ratio      vsnap (list over HTTPS + tar + gzip + sha256, to file) / tar czf (local files): ` +
        `time ${ratio.toFixed(2)}x (goal ≤ 1.4), CPU ${(cpuSeconds(toFile.cpu) / tar.cpuSeconds).toFixed(2)}x, size ${(toFile.summary.sizeBytes / tarSize).toFixed(2)}x`,
    );
    await fs.rm(tree, { recursive: true, force: true });
    await gzipLevels(file, tarSize, toFile.summary.objectCount);
    return { objects: ready.objects, peakRssMiB: toFile.peakRssMiB, ratio };
  } finally {
    writerProcess.disconnect();
    server.disconnect();
  }
}

async function main(count: number): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-bench-archive-'));
  try {
    const faults = [
      process.env.BENCH_KUBE_500_EVERY ? `a 500 in every ${process.env.BENCH_KUBE_500_EVERY} list requests` : '',
      process.env.BENCH_KUBE_LATENCY_MS ? `${process.env.BENCH_KUBE_LATENCY_MS} ms latency per answer` : '',
      semiSpaceMb === '0' ? "writer with V8's default young generation" : `writer with --max-semi-space-size=${semiSpaceMb}${semiSpaceMb === WORKER_SEMI_SPACE_MB ? ' (as the Dockerfile runs a worker-only process)' : ''}`,
    ].filter(Boolean);
    const [load1] = os.loadavg();
    console.log(`page size ${PAGE_SIZE}${faults.length ? `, ${faults.join(', ')}` : ''}; load average ${load1?.toFixed(2)} on ${os.availableParallelism()} CPUs`);
    const small = await measureSize(count, dir);
    const large = await measureSize(count * 2, dir);
    console.log(
      `\nsummary    peak RSS ${small.peakRssMiB.toFixed(0)} MiB at ${small.objects} objects, ${large.peakRssMiB.toFixed(0)} MiB at ${large.objects} (goal < 256, flat); ` +
        `time ratio ${small.ratio.toFixed(2)}x and ${large.ratio.toFixed(2)}x (goal ≤ 1.4)`,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'serve') await serve(Number(arg));
else if (mode === 'archive') await writer(arg ?? '');
else await main(Number(mode ?? 50_000));
