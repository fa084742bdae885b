/**
 * Preloaded into the service that bench/fanout.ts starts (`node --expose-gc --import tsx
 * --import ./bench/fanout-probe.ts src/main.ts`). Over the IPC channel it answers the bench's
 * `memory` message with the process's memory after a full garbage collection, and, when the bench
 * asks (BENCH_HEAP_SNAPSHOTS, BENCH_CPU_PROFILE), writes a heap snapshot or records a CPU profile
 * of the delivery phase. Nothing else.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { writeHeapSnapshot } from 'node:v8';

type Order = 'memory' | { heapSnapshot: string } | { profileStart: true } | { profileStop: string };

let profiler: Session | undefined;

const isOrder = (message: unknown): message is Order =>
  message === 'memory' ||
  (typeof message === 'object' && message !== null && ('heapSnapshot' in message || 'profileStart' in message || 'profileStop' in message));

// Other messages are the service's own (bench/fanout-floor.ts' broadcasts).
process.on('message', (message: unknown) => {
  if (isOrder(message)) void answer(message).then((reply) => process.send?.(reply));
});

async function answer(order: Order): Promise<object> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (order === 'memory') {
    collect?.();
    collect?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    return { type: 'memory', rss, heapUsed, external, arrayBuffers, collected: collect !== undefined };
  }
  if ('heapSnapshot' in order) {
    collect?.();
    return { type: 'heap-snapshot', file: writeHeapSnapshot(order.heapSnapshot) };
  }
  if ('profileStart' in order) {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return { type: 'profile-started' };
  }
  const { profile } = await profiler!.post('Profiler.stop');
  await writeFile(order.profileStop, JSON.stringify(profile));
  profiler!.disconnect();
  return { type: 'profile', file: order.profileStop };
}

// The channel must not keep the service alive once it has shut down.
process.channel?.unref();
