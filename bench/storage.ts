/**
 * Streams a large archive through each ObjectStore and prints throughput and
 * peak memory growth, to show memory stays near one part buffer whatever the
 * archive's size. Each backend is measured in a process of its own, and s3rver
 * runs in yet another, so the figures are the store's alone.
 * Run: `node --expose-gc --import tsx bench/storage.ts [MiB]` (default 200).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { LocalObjectStore, S3ObjectStore, type ObjectStore, type S3Settings } from '../src/storage/index.ts';
import { startS3Server } from '../test/support/s3.ts';

const MiB = 1024 * 1024;
const PART_SIZE = 8 * MiB;
const CHUNK = 64 * 1024;
const self = fileURLToPath(import.meta.url);

interface Figures {
  mibPerSecond: number;
  seconds: number;
  peakRssDeltaMiB: number;
  peakHeapAndBuffersDeltaMiB: number;
}

/** `totalMiB` of incompressible bytes in 64 KiB chunks, produced only as fast as they are read. */
function archive(totalMiB: number): Readable {
  const block = randomBytes(MiB);
  const total = totalMiB * MiB;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      this.push(block.subarray(sent % MiB, (sent % MiB) + CHUNK));
      sent += CHUNK;
    },
  });
}

/** Runs `write` over a fresh archive, sampling memory every 5 ms. */
async function measure(write: (source: Readable) => Promise<number>, totalMiB: number): Promise<Figures> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const used = () => {
    const m = process.memoryUsage();
    return { rss: m.rss, live: m.heapUsed + m.arrayBuffers };
  };
  const before = used();
  const peak = { ...before };
  const sampler = setInterval(() => {
    const now = used();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.live = Math.max(peak.live, now.live);
  }, 5);
  const started = performance.now();
  const size = await write(archive(totalMiB));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (size !== totalMiB * MiB) throw new Error(`stored ${size} bytes, expected ${totalMiB * MiB}`);
  return {
    mibPerSecond: round(totalMiB / seconds),
    seconds: round(seconds),
    peakRssDeltaMiB: round((peak.rss - before.rss) / MiB),
    peakHeapAndBuffersDeltaMiB: round((peak.live - before.live) / MiB),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Through the store, checking the stored size. */
function viaStore(store: ObjectStore): (source: Readable) => Promise<number> {
  return async (source) => {
    const name = `bench-${Date.now()}.tar.gz`;
    const { size } = await (await store.beginUpload(name)).write(source);
    if ((await store.stat(name))?.size !== size) throw new Error(`${name}: stat disagrees with the write`);
    await store.remove(name);
    return size;
  };
}

/** What Node itself costs: a bare write loop into one file, no store. */
function bareFileLoop(directory: string): (source: Readable) => Promise<number> {
  return async (source) => {
    const file = path.join(directory, 'baseline.bin');
    const handle = await fs.open(file, 'w');
    let size = 0;
    for await (const chunk of source as AsyncIterable<Buffer>) size += (await handle.write(chunk)).bytesWritten;
    await handle.close();
    await fs.rm(file);
    return size;
  };
}

/** Child: measures one way of writing (after a small warm-up) and sends the figures to the parent. */
async function runMeasurement(kind: string, totalMiB: number, target: string): Promise<void> {
  const write =
    kind === 's3'
      ? viaStore(new S3ObjectStore({ ...(JSON.parse(target) as S3Settings), bucket: 'bench', prefix: 'snapshots' }))
      : kind === 'local'
        ? viaStore(new LocalObjectStore(target))
        : bareFileLoop(target);
  await measure(write, 16);
  process.send?.(await measure(write, totalMiB));
}

/** Child: an s3rver that lives until its parent disconnects. */
async function serveS3(): Promise<void> {
  const s3 = await startS3Server();
  await s3.createBucket('bench');
  process.send?.(s3.settings({ partSizeBytes: PART_SIZE }));
  process.once('disconnect', () => void s3.close());
}

async function child(args: string[]): Promise<{ process: ChildProcess; message: unknown }> {
  const proc = fork(self, args, { execArgv: process.execArgv });
  const [message] = (await once(proc, 'message')) as [unknown];
  return { process: proc, message };
}

async function main(): Promise<void> {
  const totalMiB = Number(process.argv[2] ?? 200);
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-bench-'));
  const server = await child(['--serve-s3']);
  try {
    console.log(`${totalMiB} MiB archive in ${CHUNK / 1024} KiB chunks, ${PART_SIZE / MiB} MiB S3 parts, Node ${process.version}`);
    const runs: [string, string, string][] = [
      ['S3 (s3rver over HTTP)', 's3', JSON.stringify(server.message)],
      ['local directory', 'local', directory],
      ['baseline: bare fs loop', 'baseline', directory],
    ];
    for (const [label, kind, target] of runs) {
      const { process: proc, message } = await child(['--measure', kind, String(totalMiB), target]);
      proc.disconnect();
      const f = message as Figures;
      console.log(
        `${label.padEnd(22)} ${String(f.mibPerSecond).padStart(6)} MiB/s (${f.seconds} s)  ` +
          `peak RSS +${f.peakRssDeltaMiB} MiB  peak heap+buffers +${f.peakHeapAndBuffersDeltaMiB} MiB  ` +
          `(${round((f.peakRssDeltaMiB / totalMiB) * 100)}% of the archive)`,
      );
    }
  } finally {
    server.process.disconnect();
    await fs.rm(directory, { recursive: true, force: true });
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === '--serve-s3') await serveS3();
else if (mode === '--measure') await runMeasurement(rest[0]!, Number(rest[1]), rest[2]!);
else await main();
