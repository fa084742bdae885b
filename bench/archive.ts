/**
 * Streams a snapshot archive of a cluster holding many objects and prints
 * throughput and memory, then compares with `tar czf` of the same objects as
 * files. The Kubernetes API test server runs in a child process, so the
 * figures are the archive writer's (client-node, tar, gzip, sha256) alone.
 * Run: `node --import tsx bench/archive.ts [objects]` (default 50000).
 * `BENCH_KUBE_500_EVERY=N` makes the API server answer 500 to every Nth list
 * request: the figures then include the retries (their count is printed).
 */
import { execFile, fork } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createClusterReader } from '../src/kube/cluster-reader.ts';
import { admitKubeconfig } from '../src/kube/admission.ts';
import { connectCluster } from '../src/kube/connect.ts';
import { EgressPolicy } from '../src/kube/egress.ts';
import { writeClusterArchive, type ArchiveSummary } from '../src/snapshots/archive.ts';

const MB = 1_000_000;
const MiB = 1024 * 1024;
const PAGE_SIZE = 500;
const self = fileURLToPath(import.meta.url);
const run = promisify(execFile);
// A collection before each run makes "RSS growth" the run's own, without needing --expose-gc.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

interface ServerReady {
  kubeconfig: string;
  objects: number;
}

/** Child: the test API server with `count` synthetic ConfigMaps plus the standard fixtures. */
async function serve(count: number): Promise<void> {
  const { startKubeServer } = await import('../test/kube/server.ts');
  const server = await startKubeServer();
  server.seedStandard();
  server.seedSynthetic(count);
  const every = Number(process.env.BENCH_KUBE_500_EVERY ?? 0);
  if (every > 0) server.faults.intermittent.push({ answer: 500, every, match: (request) => request.verb === 'list' });
  const objects = server.registry
    .all()
    .filter((d) => d.verbs.includes('list') && d.plural !== 'events')
    .reduce((sum, d) => sum + server.store.count(d.group ? `${d.group}/${d.plural}` : d.plural), 0);
  process.send?.({ kubeconfig: server.kubeconfig, objects } satisfies ServerReady);
  process.once('disconnect', () => void server.close().then(() => process.exit(0)));
}

interface Run {
  seconds: number;
  summary: ArchiveSummary;
  peakRssMiB: number;
  rssGrowthMiB: number;
  /** Kubernetes requests retried (the connection's retries, as a snapshot has them). */
  retries: number;
}

async function measure(kubeconfig: string, sink: () => Writable): Promise<Run> {
  const connection = connectCluster(admitKubeconfig(kubeconfig), EgressPolicy.defaults('development'));
  const reader = createClusterReader(connection);
  gc();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
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
    await pipeline(archive.stream as Readable, sink());
    const summary = await archive.done;
    const seconds = (performance.now() - started) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { seconds, summary, peakRssMiB: peak / MiB, rssGrowthMiB: (peak - baseline) / MiB, retries: connection.retries.count };
  } finally {
    clearInterval(sampler);
    await connection.close();
  }
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

function nullSink(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

function report(label: string, r: Run, jsonBytes: number): void {
  const { objectCount, sizeBytes } = r.summary;
  console.log(
    `${label.padEnd(10)} ${objectCount} objects in ${r.seconds.toFixed(2)} s: ` +
      `${Math.round(objectCount / r.seconds)} objects/s, ${(jsonBytes / MB / r.seconds).toFixed(1)} MB/s of JSON, ` +
      `${(sizeBytes / MB / r.seconds).toFixed(2)} MB/s of archive, ` +
      `archive ${(sizeBytes / MB).toFixed(2)} MB, peak RSS ${r.peakRssMiB.toFixed(0)} MiB (growth ${r.rssGrowthMiB.toFixed(1)} MiB), ` +
      `${r.retries} retries`,
  );
}

async function main(count: number): Promise<void> {
  const child = fork(self, ['serve', String(count)], { execArgv: ['--import', 'tsx'] });
  const [ready] = (await once(child, 'message')) as [ServerReady];
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-bench-archive-'));
  try {
    const faults = process.env.BENCH_KUBE_500_EVERY ? `, a 500 in every ${process.env.BENCH_KUBE_500_EVERY} list requests` : '';
    console.log(`cluster: ${ready.objects} listable objects (${count} synthetic ConfigMaps + standard fixtures), page size ${PAGE_SIZE}${faults}`);
    // Warm-up: JIT, TLS session, lazily loaded modules.
    await measure(ready.kubeconfig, nullSink);
    const toNull = await measure(ready.kubeconfig, nullSink);
    const file = path.join(dir, 'vsnap.tar.gz');
    const toFile = await measure(ready.kubeconfig, () => createWriteStream(file));
    if (toFile.summary.objectCount !== ready.objects) throw new Error(`archived ${toFile.summary.objectCount} of ${ready.objects} objects`);

    // The same objects as files (GNU tar reading our archive doubles as a format check).
    const tree = path.join(dir, 'tree');
    await fs.mkdir(tree);
    await run('tar', ['xzf', file, '-C', tree]);
    const jsonBytes = await treeBytes(tree);
    report('to null', toNull, jsonBytes);
    report('to file', toFile, jsonBytes);
    const started = performance.now();
    await run('tar', ['czf', path.join(dir, 'gnu.tar.gz'), '-C', tree, '.']);
    const tarSeconds = (performance.now() - started) / 1000;
    const tarSize = (await fs.stat(path.join(dir, 'gnu.tar.gz'))).size;
    console.log(`tar czf    same ${toFile.summary.objectCount + 2} files in ${tarSeconds.toFixed(2)} s, archive ${(tarSize / MB).toFixed(2)} MB`);
    console.log(
      `ratio      vsnap (list over HTTPS + tar + gzip + sha256, to file) / tar czf (local files): ` +
        `time ${(toFile.seconds / tarSeconds).toFixed(2)}x, size ${(toFile.summary.sizeBytes / tarSize).toFixed(2)}x`,
    );
  } finally {
    child.disconnect();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'serve') await serve(Number(arg));
else await main(Number(mode ?? 50_000));
